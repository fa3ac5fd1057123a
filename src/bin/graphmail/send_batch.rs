//! `graphmail send-batch FILE`: send every message of a JSON Lines file (one message object per
//! line, the C ABI's keys), concurrently across mailboxes with at most 4 requests in flight per
//! mailbox; print one result per line, in input order.

use std::io::Read;
use std::path::PathBuf;

use graphmail::{Error, ErrorCode, Message};

use crate::exit;
use crate::ConfigArgs;

/// Flags of `graphmail send-batch`.
#[derive(clap::Args, Debug)]
pub struct SendBatchArgs {
    /// JSON Lines file: one message object per line (from, to, subject, body, attachments...);
    /// `-` reads standard input. Blank lines are skipped.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    config: ConfigArgs,
}

/// Runs the command: exit 0 when every message was sent, else the exit code of the first
/// failure (in input order). Standard output gets one JSON result per message line, in order:
/// the send report or `{"error": {...}}`, with `"line"` giving the input line number.
pub fn run(args: SendBatchArgs) -> u8 {
    let mut text = String::new();
    let read = if args.file.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(&args.file).map(|t| text = t)
    };
    if let Err(e) = read {
        return exit::report(
            &Error::new(
                ErrorCode::FileUnreadable,
                format!(
                    "The message file '{}' cannot be read: {e}.",
                    args.file.display()
                ),
            ),
            false,
        );
    }
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| (n + 1, l))
        .collect();
    let messages: Vec<graphmail::Result<Message>> =
        lines.iter().map(|(_, l)| Message::from_json(l)).collect();
    let client = match args.config.load().and_then(graphmail::Client::new) {
        Ok(c) => c,
        Err(e) => return exit::report(&e, false),
    };
    let results = client.send_many_blocking(messages);
    let mut first_failure: Option<&Error> = None;
    let mut sent = 0usize;
    for ((line, _), result) in lines.iter().zip(&results) {
        let mut json = graphmail::bulk::result_json(result);
        json["line"] = serde_json::json!(line);
        println!("{json}");
        match result {
            Ok(_) => sent += 1,
            Err(e) => {
                eprintln!("graphmail: line {line}: {e} [{}]", e.code());
                first_failure.get_or_insert(e);
            }
        }
    }
    eprintln!(
        "graphmail: sent {sent} of {} message(s); {} failed.",
        results.len(),
        results.len() - sent
    );
    first_failure.map(exit::code_for).unwrap_or(0)
}
