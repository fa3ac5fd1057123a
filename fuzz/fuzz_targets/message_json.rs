//! Message JSON (the C ABI's `message_json`): `Message::from_json`, `Message::validate`, and for
//! valid messages the sendMail mapping (`prepare_send_mail`, `preview_send_mail`).
//!
//! Attachment paths in the input are never opened: each one is replaced by one of a few files
//! this target creates in its own temporary folder (or by a missing path or a folder there), so
//! the fuzzer exercises the attachment code without touching anything else on the machine.
//!
//! Invariants checked, beyond "never panics":
//! * every error has a non-empty message and its JSON carries its stable code;
//! * the sendMail body is valid JSON that carries every recipient, header and attachment of the
//!   validated message, unchanged, and `saveToSentItems` only when it is `false`;
//! * the preview is JSON that survives a text round trip, with `POST`, the sender's URL and the
//!   attachments as validated;
//! * a validated mailbox written back as text (`Mailbox`'s `Display`, which the MIME draft path
//!   uses to rebuild a `Message`) parses back to the same mailbox.

#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use graphmail::graph::send::{
    plan_send, prepare_send_mail, preview_send_mail, send_mail_url, SendPath,
};
use graphmail::{Error, Mailbox, Message, ValidatedMessage};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const GRAPH: &str = "https://graph.microsoft.com";
const MAX_MESSAGE_BYTES: u64 = 157_286_400;

/// The files attachment paths are mapped to, created once per process.
fn files() -> &'static [PathBuf] {
    static FILES: OnceLock<Vec<PathBuf>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("graphmail-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("folder.txt")).expect("create the fuzz folder");
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.join(name);
            std::fs::write(&p, bytes).expect("write a fuzz attachment");
            p
        };
        let big = dir.join("big.bin");
        // Sparse: 4 MiB on paper, so the draft path is planned, never read.
        std::fs::File::create(&big)
            .and_then(|f| f.set_len(4 << 20))
            .expect("create the large fuzz attachment");
        vec![
            write("report.csv", b"a,b\r\n1,2\r\n"),
            write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            write("empty.txt", b""),
            write("noext", b"\xff\xfe\0binary"),
            write("n\u{e4}me with spaces.pdf", b"%PDF-1.4\n"),
            big,
            dir.join("missing.txt"),
            dir.join("folder.txt"),
        ]
    })
}

/// A harmless stand-in for an attachment path from the input (the same input, the same file).
fn harmless(path: &Path) -> PathBuf {
    let files = files();
    let hash = path
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
        });
    files[(hash % files.len() as u64) as usize].clone()
}

fn check_error(e: &Error) {
    assert!(!e.message().is_empty(), "an error without a message: {e:?}");
    let json = e.to_json();
    assert_eq!(json["error"]["code"], e.code().as_str(), "{json}");
    assert_eq!(json["error"]["message"], e.message(), "{json}");
}

fn recipients(wire: &Value, key: &str) -> Vec<(String, Option<String>)> {
    match &wire[key] {
        Value::Null => Vec::new(),
        Value::Array(items) => items
            .iter()
            .map(|r| {
                let a = &r["emailAddress"];
                (
                    a["address"]
                        .as_str()
                        .expect("address is a string")
                        .to_string(),
                    a["name"].as_str().map(str::to_string),
                )
            })
            .collect(),
        other => panic!("{key} is not an array: {other}"),
    }
}

fn expected(list: &[Mailbox]) -> Vec<(String, Option<String>)> {
    list.iter()
        .map(|m| (m.address.clone(), m.name.clone()))
        .collect()
}

fn check_mapping(v: &ValidatedMessage) {
    for m in [&v.from]
        .into_iter()
        .chain(&v.to)
        .chain(&v.cc)
        .chain(&v.bcc)
        .chain(&v.reply_to)
    {
        let text = m.to_string();
        assert_eq!(
            Mailbox::parse_list(&text).as_deref(),
            Ok(std::slice::from_ref(m)),
            "mailbox {m:?} written as {text:?} does not parse back to itself"
        );
    }

    match prepare_send_mail(v) {
        Ok(prepared) => {
            let body: Value =
                serde_json::from_slice(&prepared.body).expect("the sendMail body is valid JSON");
            let wire = &body["message"];
            assert!(wire.is_object(), "no message object: {body}");
            assert_eq!(recipients(wire, "toRecipients"), expected(&v.to));
            assert_eq!(recipients(wire, "ccRecipients"), expected(&v.cc));
            assert_eq!(recipients(wire, "bccRecipients"), expected(&v.bcc));
            assert_eq!(recipients(wire, "replyTo"), expected(&v.reply_to));
            assert_eq!(
                wire["from"]["emailAddress"]["address"],
                v.from.address.as_str()
            );
            assert_eq!(wire["subject"].as_str(), v.subject.as_deref());
            assert_eq!(wire["body"]["content"].as_str(), v.body.as_deref());
            let headers: Vec<(&str, &str)> = wire["internetMessageHeaders"]
                .as_array()
                .map(|h| {
                    h.iter()
                        .map(|h| (h["name"].as_str().unwrap(), h["value"].as_str().unwrap()))
                        .collect()
                })
                .unwrap_or_default();
            let want: Vec<(&str, &str)> = v
                .headers
                .iter()
                .map(|(n, x)| (n.as_str(), x.as_str()))
                .collect();
            assert_eq!(headers, want);
            let names: Vec<&str> = wire["attachments"]
                .as_array()
                .map(|a| a.iter().map(|a| a["name"].as_str().unwrap()).collect())
                .unwrap_or_default();
            let want: Vec<&str> = v.attachments.iter().map(|a| a.name.as_str()).collect();
            assert_eq!(names, want);
            assert_eq!(prepared.attachments.len(), v.attachments.len());
            match &body["saveToSentItems"] {
                Value::Null => assert!(v.save_to_sent_items),
                Value::Bool(false) => assert!(!v.save_to_sent_items),
                other => panic!("saveToSentItems is {other}"),
            }
        }
        Err(e) => check_error(&e),
    }

    let planned = plan_send(v, MAX_MESSAGE_BYTES);
    match preview_send_mail(v, GRAPH, MAX_MESSAGE_BYTES) {
        Ok(preview) => {
            let text = serde_json::to_string(&preview).expect("the preview serializes");
            let back: Value = serde_json::from_str(&text).expect("the preview is valid JSON");
            assert_eq!(back, preview);
            assert_eq!(preview["method"], "POST");
            let url = preview["url"].as_str().expect("the preview has a URL");
            assert!(
                url.starts_with("https://graph.microsoft.com/v1.0/users/"),
                "{url}"
            );
            match planned {
                Ok(SendPath::SendMail) => {
                    assert_eq!(preview["path"], "sendMail");
                    assert_eq!(url, send_mail_url(GRAPH, &v.from));
                }
                Ok(SendPath::Draft) => assert_eq!(preview["path"], "draft"),
                Err(e) => panic!("preview succeeded where plan_send failed: {e:?}"),
            }
            let attachments = preview["attachments"].as_array().expect("attachments");
            assert_eq!(attachments.len(), v.attachments.len());
        }
        Err(e) => {
            assert!(
                planned.is_err(),
                "preview failed where plan_send did not: {e:?}"
            );
            check_error(&e);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut message = match Message::from_json(text) {
        Ok(m) => m,
        Err(e) => return check_error(&e),
    };
    for path in &mut message.attachments {
        *path = harmless(path);
    }
    for (_, path) in &mut message.inline_attachments {
        *path = harmless(path);
    }
    match message.validate() {
        Ok(v) => check_mapping(&v),
        Err(e) => check_error(&e),
    }
});
