//! MIME (what `graphmail sendmail` reads): `mime::prepare_mime` with sendmail's options, then
//! the sendMail MIME-mode body, and `mime::mime_to_message` (the draft path for large messages)
//! followed by `Message::validate`, as `Client::send_mime` does.
//!
//! The first input byte picks the options (`-t`, `-f`, `-F`, recipient arguments); the rest is
//! the raw message. Attachments are staged in a fresh folder under this process's temporary
//! folder and removed after each input.
//!
//! Invariants checked, beyond "never panics":
//! * every error has a non-empty message and its JSON carries its stable code;
//! * a prepared message has a recipient; with `-f` its mailbox is that sender, and recipient
//!   arguments without `-t` are exactly its recipients;
//! * the MIME-mode body is base64 of the prepared bytes in lines of at most 76 characters;
//! * staged attachments are files inside the staging folder (a file name from the message can
//!   never write elsewhere), with at most 5 custom headers kept;
//! * every recipient the draft path rebuilds as text, whose address alone is valid, parses back
//!   to one mailbox with that address (otherwise a valid large message would be refused).

#![no_main]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use graphmail::mime::{mime_to_message, prepare_mime, MimeOptions};
use graphmail::{Error, Mailbox, Message};
use libfuzzer_sys::fuzz_target;

const SENDER: &str = "Night Job <cron@contoso.test>";
const ARGUMENT: &str = "ops@contoso.test, \"Doe, Jane\" <jane@contoso.test>";

fn check_error(e: &Error) {
    assert!(!e.message().is_empty(), "an error without a message: {e:?}");
    let json = e.to_json();
    assert_eq!(json["error"]["code"], e.code().as_str(), "{json}");
    assert_eq!(json["error"]["message"], e.message(), "{json}");
}

fn options(flags: u8) -> MimeOptions {
    MimeOptions {
        recipients_from_headers: flags & 1 != 0,
        sender: (flags & 2 != 0).then(|| SENDER.to_string()),
        sender_name: (flags & 4 != 0).then(|| "Backup \"Robot\"".to_string()),
        recipients: if flags & 8 != 0 {
            vec![ARGUMENT.to_string()]
        } else {
            Vec::new()
        },
    }
}

fn check_recipients_round_trip(message: &Message) {
    for text in std::iter::once(&message.from)
        .chain(&message.to)
        .chain(&message.cc)
        .chain(&message.bcc)
        .chain(&message.reply_to)
    {
        let address = match (text.rfind('<'), text.ends_with('>')) {
            (Some(open), true) => &text[open + 1..text.len() - 1],
            _ => text.as_str(),
        };
        if Mailbox::parse(address).is_err() {
            continue; // An address GraphMail refuses anyway: an error is right.
        }
        let parsed = Mailbox::parse_list(text);
        assert!(
            matches!(&parsed, Ok(list) if list.len() == 1 && list[0].address == address.trim()),
            "the draft path rebuilt recipient {text:?}, which parses as {parsed:?}"
        );
    }
}

fn check_staged(message: &Message, dir: &Path) {
    assert!(message.headers.len() <= 5, "{:?}", message.headers);
    let staged = message
        .attachments
        .iter()
        .chain(message.inline_attachments.iter().map(|(_, p)| p));
    for path in staged {
        assert!(path.starts_with(dir), "attachment staged outside: {path:?}");
        let canonical = path.canonicalize().expect("a staged attachment exists");
        let root = dir.canonicalize().expect("the staging folder exists");
        assert!(canonical.starts_with(&root), "{path:?} is {canonical:?}");
        assert!(canonical.is_file(), "{canonical:?} is not a file");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, raw)) = data.split_first() else {
        return;
    };
    let options = options(flags);
    let prepared = match prepare_mime(raw.to_vec(), &options) {
        Ok(p) => p,
        Err(e) => return check_error(&e),
    };
    assert!(!prepared.recipients.is_empty());
    if let Some(sender) = &options.sender {
        assert_eq!(prepared.mailbox, Mailbox::parse(sender).unwrap());
    }
    if !options.recipients_from_headers && !options.recipients.is_empty() {
        assert_eq!(
            prepared.recipients,
            vec!["ops@contoso.test", "jane@contoso.test"]
        );
    }

    let body = prepared.base64_body();
    let mut joined = Vec::with_capacity(body.len());
    for line in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let line = line.strip_suffix(b"\r").expect("lines end with CRLF");
        assert!(
            line.len() <= 76,
            "a base64 line of {} characters",
            line.len()
        );
        joined.extend_from_slice(line);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&joined)
        .expect("the MIME-mode body is base64");
    assert_eq!(decoded, prepared.raw);

    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "graphmail-fuzz-mime-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create the staging folder");
    match mime_to_message(&prepared, &dir) {
        Ok((message, _warnings)) => {
            check_staged(&message, &dir);
            check_recipients_round_trip(&message);
            if let Err(e) = message.validate() {
                check_error(&e);
            }
        }
        Err(e) => check_error(&e),
    }
    std::fs::remove_dir_all(&dir).expect("remove the staging folder");
});
