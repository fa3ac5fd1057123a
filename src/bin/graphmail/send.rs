//! `graphmail send`: flags named after Send-MailMessage's parameters.

use std::io::Read;
use std::path::PathBuf;

use graphmail::{DeliveryNotification, Error, ErrorCode, Message, Priority};

use crate::exit;
use crate::ConfigArgs;

/// Flags of `graphmail send`.
#[derive(clap::Args, Debug)]
pub struct SendArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Sending mailbox ("Name <addr>" or addr); mail is sent as this mailbox.
    #[arg(long)]
    from: String,
    /// Recipient; repeat, or separate with commas.
    #[arg(long)]
    to: Vec<String>,
    /// Cc recipient; repeat, or separate with commas.
    #[arg(long)]
    cc: Vec<String>,
    /// Bcc recipient; repeat, or separate with commas.
    #[arg(long)]
    bcc: Vec<String>,
    /// Reply-To address; repeat, or separate with commas.
    #[arg(long = "reply-to")]
    reply_to: Vec<String>,
    /// Subject line.
    #[arg(long)]
    subject: Option<String>,
    /// Body text.
    #[arg(long, conflicts_with = "body_file")]
    body: Option<String>,
    /// Read the body from a UTF-8 file ("-" reads standard input).
    #[arg(long = "body-file", value_name = "FILE")]
    body_file: Option<PathBuf>,
    /// The body is HTML (Send-MailMessage -BodyAsHtml).
    #[arg(long)]
    html: bool,
    /// Attach a file; repeat for several.
    #[arg(long = "attach", value_name = "FILE")]
    attach: Vec<PathBuf>,
    /// Attach an inline image "ID=FILE", referenced from the HTML body as <img src="cid:ID">.
    #[arg(long = "inline", value_name = "ID=FILE")]
    inline: Vec<String>,
    /// Normal, Low or High.
    #[arg(long)]
    priority: Option<String>,
    /// Custom header "X-Name: value" (name must start with x-; at most 5).
    #[arg(long = "header", value_name = "X-NAME: VALUE")]
    header: Vec<String>,
    /// Do not keep a copy in the sender's Sent Items.
    #[arg(long = "no-save-to-sent-items")]
    no_save_to_sent_items: bool,
    /// Send-MailMessage -DeliveryNotificationOption (OnSuccess requests a delivery receipt).
    #[arg(long = "delivery-notification-option", value_name = "OPTION")]
    delivery_notification_option: Vec<String>,
    /// Print the result (or error) as JSON on stdout.
    #[arg(long)]
    json: bool,
}

fn build_message(args: &SendArgs) -> graphmail::Result<Message> {
    let body = match &args.body_file {
        None => args.body.clone(),
        Some(path) => {
            let mut bytes = Vec::new();
            let read = if path.as_os_str() == "-" {
                std::io::stdin().read_to_end(&mut bytes)
            } else {
                std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes))
            };
            read.map_err(|e| {
                Error::new(
                    ErrorCode::FileUnreadable,
                    format!("The body file '{}' cannot be read: {e}.", path.display()),
                )
            })?;
            Some(String::from_utf8(bytes).map_err(|_| {
                Error::new(
                    ErrorCode::InvalidMessage,
                    format!("The body file '{}' is not UTF-8 text.", path.display()),
                )
                .with_field("body")
            })?)
        }
    };
    let mut headers = Vec::new();
    for h in &args.header {
        let Some((name, value)) = h.split_once(':') else {
            return Err(Error::new(
                ErrorCode::InvalidHeader,
                format!("--header '{h}' must look like 'X-Name: value'."),
            ));
        };
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let mut inline = Vec::new();
    for item in &args.inline {
        let Some((id, path)) = item.split_once('=') else {
            return Err(Error::new(
                ErrorCode::InvalidMessage,
                format!("--inline '{item}' must look like 'ID=FILE' (for example logo=logo.png)."),
            )
            .with_field("inlineAttachments"));
        };
        inline.push((id.trim().to_string(), PathBuf::from(path)));
    }
    let mut delivery = Vec::new();
    for option in &args.delivery_notification_option {
        for part in option.split(',') {
            delivery.push(part.parse::<DeliveryNotification>()?);
        }
    }
    Ok(Message {
        from: args.from.clone(),
        to: args.to.clone(),
        cc: args.cc.clone(),
        bcc: args.bcc.clone(),
        reply_to: args.reply_to.clone(),
        subject: args.subject.clone(),
        body,
        body_as_html: args.html,
        priority: match &args.priority {
            Some(p) => p.parse::<Priority>()?,
            None => Priority::Normal,
        },
        delivery_notification: delivery,
        headers,
        save_to_sent_items: !args.no_save_to_sent_items,
        attachments: args.attach.clone(),
        inline_attachments: inline,
        ..Message::default()
    })
}

/// Runs the command. The message is validated before the configuration is used, so bad input
/// never causes a request.
pub fn run(args: SendArgs) -> u8 {
    let result = build_message(&args).and_then(|message| {
        let validated = message.validate()?;
        let client = graphmail::Client::new(args.config.load()?)?;
        crate::progress::send_with_progress(client, validated)
    });
    match result {
        Ok(report) => {
            if args.json {
                println!("{}", report.to_json());
            } else {
                println!(
                    "Sent from {} to {} recipient(s) via Microsoft Graph {} (request-id {}).",
                    report.from,
                    report.to.len() + report.cc.len() + report.bcc.len(),
                    if report.path == "draft" {
                        "(draft + upload)"
                    } else {
                        "sendMail"
                    },
                    report.request_id.as_deref().unwrap_or("none")
                );
            }
            for w in &report.warnings {
                eprintln!("graphmail: warning: {} [{}]", w.message, w.code);
            }
            0
        }
        Err(e) => exit::report(&e, args.json),
    }
}
