//! Sending a prepared RFC 5322 message (an `.eml` file, or what a program pipes to
//! `graphmail sendmail`). A message whose base64 fits Graph's 4 MB request limit is posted as
//! is with sendMail's MIME mode (`Content-Type: text/plain`, base64 body); a larger one is parsed
//! and sent through the draft path, keeping its body, `x-` headers and attachments.

use std::borrow::Cow;

use base64::Engine;
use mail_parser::{Address, MessageParser, MimeHeaders};

use crate::address::Mailbox;
use crate::config::truncate_for_message;
use crate::error::{Error, ErrorCode, Result};
use crate::message::{Message, Warning, WarningLevel, MAX_HEADERS, MAX_REQUEST_BYTES};

/// How to treat a raw message, as sendmail's flags say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MimeOptions {
    /// `-f`: the mailbox to send as (default: the `From` header's address). Added as `From`
    /// when the message has none.
    pub sender: Option<String>,
    /// `-F`: the display name for an added `From` header.
    pub sender_name: Option<String>,
    /// Recipients given as arguments.
    pub recipients: Vec<String>,
    /// `-t`: take recipients from the `To`, `Cc` and `Bcc` headers (arguments are added to
    /// them). Without it and with arguments, the arguments replace those headers.
    pub recipients_from_headers: bool,
}

/// A raw message ready to send, after the sendmail options were applied.
#[derive(Debug, Clone)]
pub struct PreparedMime {
    /// The mailbox that sends (the path in `/users/{mailbox}/sendMail`).
    pub mailbox: Mailbox,
    /// The message bytes, with header changes applied.
    pub raw: Vec<u8>,
    /// Recipient addresses (for the report).
    pub recipients: Vec<String>,
    /// Subject (for the report).
    pub subject: Option<String>,
}

impl PreparedMime {
    /// Whether the base64 of the message fits one sendMail request.
    pub fn fits_one_request(&self) -> bool {
        let b64 = (self.raw.len() as u64).div_ceil(3) * 4;
        // Line breaks every 76 characters add 2 bytes per line.
        b64 + b64 / 76 * 2 < MAX_REQUEST_BYTES
    }

    /// The request body for sendMail's MIME mode: base64 wrapped at 76 characters.
    pub fn base64_body(&self) -> Vec<u8> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(&self.raw);
        let mut out = Vec::with_capacity(encoded.len() + encoded.len() / 76 * 2 + 2);
        for line in encoded.as_bytes().chunks(76) {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
        out
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidMessage, message).with_field("mime")
}

/// Splits raw bytes at the blank line between headers and body.
fn split_head(raw: &[u8]) -> (&[u8], &[u8]) {
    for (i, w) in raw.windows(4).enumerate() {
        if w == b"\r\n\r\n" {
            return (&raw[..i + 2], &raw[i + 2..]);
        }
    }
    for (i, w) in raw.windows(2).enumerate() {
        if w == b"\n\n" {
            return (&raw[..i + 1], &raw[i + 1..]);
        }
    }
    (raw, b"")
}

/// The header block as logical fields (continuation lines folded into their field).
fn header_fields(head: &[u8]) -> Vec<Vec<u8>> {
    let mut fields: Vec<Vec<u8>> = Vec::new();
    for line in head.split_inclusive(|b| *b == b'\n') {
        if (line.starts_with(b" ") || line.starts_with(b"\t")) && !fields.is_empty() {
            if let Some(last) = fields.last_mut() {
                last.extend_from_slice(line);
            }
        } else if !line.iter().all(|b| b.is_ascii_whitespace()) {
            fields.push(line.to_vec());
        }
    }
    fields
}

fn field_name(field: &[u8]) -> String {
    let end = field.iter().position(|b| *b == b':').unwrap_or(0);
    String::from_utf8_lossy(&field[..end])
        .trim()
        .to_ascii_lowercase()
}

fn addresses(a: Option<&Address<'_>>) -> Vec<Mailbox> {
    let Some(a) = a else { return Vec::new() };
    a.iter()
        .filter_map(|addr| {
            Some(Mailbox {
                address: addr.address()?.to_string(),
                // Control characters (a NUL, a stray line break) cannot go into Graph's JSON
                // names; they are dropped.
                name: addr
                    .name()
                    .map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>())
                    .filter(|n| !n.trim().is_empty()),
            })
        })
        .collect()
}

fn header_line(name: &str, list: &[Mailbox]) -> Vec<u8> {
    let joined: Vec<String> = list.iter().map(|m| m.address.clone()).collect();
    format!("{name}: {}\r\n", joined.join(", ")).into_bytes()
}

/// Applies the sendmail options to `raw` and checks that the message has a sender and
/// recipients. Nothing is sent.
pub fn prepare_mime(raw: Vec<u8>, options: &MimeOptions) -> Result<PreparedMime> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(invalid("The message is empty."));
    }
    let parsed = MessageParser::default().parse(&raw).ok_or_else(|| {
        invalid("The message is not an RFC 5322 message (no header could be read).")
    })?;
    let header_from = addresses(parsed.from());
    let sender = match &options.sender {
        Some(s) => Mailbox::parse(s).map_err(|e| {
            Error::new(
                ErrorCode::InvalidAddress,
                format!(
                    "Sender '{}' is not a valid e-mail address: {}.",
                    truncate_for_message(s),
                    e.0
                ),
            )
            .with_field("from")
        })?,
        None => header_from.first().cloned().ok_or_else(|| {
            Error::new(
                ErrorCode::MissingFrom,
                "The message has no From header and no sender was given (-f).",
            )
            .with_field("from")
        })?,
    };
    let mut args = Vec::new();
    for r in &options.recipients {
        args.extend(Mailbox::parse_list(r).map_err(|e| {
            Error::new(
                ErrorCode::InvalidAddress,
                format!(
                    "Recipient '{}' is not a valid e-mail address: {}.",
                    truncate_for_message(r),
                    e.0
                ),
            )
            .with_field("to")
        })?);
    }
    let in_headers: Vec<Mailbox> = [parsed.to(), parsed.cc(), parsed.bcc()]
        .into_iter()
        .flat_map(addresses)
        .collect();
    let subject = parsed.subject().map(str::to_string);
    let (head, body) = split_head(&raw);
    let mut fields = header_fields(head);
    let replace_recipients = !options.recipients_from_headers && !args.is_empty();
    if replace_recipients {
        fields.retain(|f| !matches!(field_name(f).as_str(), "to" | "cc" | "bcc"));
        fields.push(header_line("To", &args));
    } else if options.recipients_from_headers && !args.is_empty() {
        fields.push(header_line("Bcc", &args));
    }
    if header_from.is_empty() {
        let from = match &options.sender_name {
            Some(n) => format!("From: \"{}\" <{}>\r\n", n.replace('"', ""), sender.address),
            None => format!("From: {}\r\n", sender.address),
        };
        fields.insert(0, from.into_bytes());
    }
    // Addresses from the headers are checked as strictly as the JSON path checks them, so a
    // malformed header is refused here with a clear error rather than by Graph.
    let header_check = |m: &Mailbox, field: &'static str| {
        Mailbox::parse(&m.address).map(|_| ()).map_err(|e| {
            Error::new(
                ErrorCode::InvalidAddress,
                format!(
                    "The {} header has an address GraphMail cannot send with ('{}'): {}.",
                    if field == "from" { "From" } else { "To/Cc/Bcc" },
                    truncate_for_message(&m.address),
                    e.0
                ),
            )
            .with_field(field)
        })
    };
    header_check(&sender, "from")?;
    if !replace_recipients {
        for m in &in_headers {
            header_check(m, "to")?;
        }
    }
    let recipients: Vec<String> = if replace_recipients {
        args.iter().map(|m| m.address.clone()).collect()
    } else {
        in_headers
            .iter()
            .chain(args.iter())
            .map(|m| m.address.clone())
            .collect()
    };
    if recipients.is_empty() {
        return Err(Error::new(
            ErrorCode::MissingRecipient,
            "The message has no recipient: give recipients as arguments, or use -t with To/Cc/Bcc headers.",
        )
        .with_field("to"));
    }
    let mut out = Vec::with_capacity(raw.len() + 128);
    for f in &fields {
        out.extend_from_slice(f);
    }
    out.extend_from_slice(if head.ends_with(b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    });
    out.extend_from_slice(
        body.strip_prefix(b"\r\n")
            .or_else(|| body.strip_prefix(b"\n"))
            .unwrap_or(body),
    );
    Ok(PreparedMime {
        mailbox: sender,
        raw: out,
        recipients,
        subject,
    })
}

/// A large MIME message as a [`Message`] whose attachments are written to `dir` (kept by the
/// caller until the send ends), plus warnings about what could not be carried over.
pub fn mime_to_message(
    prepared: &PreparedMime,
    dir: &std::path::Path,
) -> Result<(Message, Vec<Warning>)> {
    let parsed = MessageParser::default()
        .parse(&prepared.raw)
        .ok_or_else(|| invalid("The message could not be parsed."))?;
    // Every address is checked again: the message sent is built from this parse.
    let list = |a: Option<&Address<'_>>| -> Result<Vec<String>> {
        addresses(a)
            .iter()
            .map(|m| {
                Mailbox::parse(&m.address)
                    .map(|_| m.to_string())
                    .map_err(|e| {
                        Error::new(
                            ErrorCode::InvalidAddress,
                            format!(
                                "The message has an address GraphMail cannot send with ('{}'): {}.",
                                truncate_for_message(&m.address),
                                e.0
                            ),
                        )
                        .with_field("to")
                    })
            })
            .collect()
    };
    let mut warnings = Vec::new();
    let mut dropped_reply_to = Vec::new();
    let mut message = Message {
        from: prepared.mailbox.to_string(),
        to: list(parsed.to())?,
        cc: list(parsed.cc())?,
        bcc: list(parsed.bcc())?,
        // A malformed Reply-To is dropped (with a warning) rather than stopping the send.
        reply_to: addresses(parsed.reply_to())
            .iter()
            .filter(|m| {
                let ok = Mailbox::parse(&m.address).is_ok();
                if !ok {
                    dropped_reply_to.push(m.address.clone());
                }
                ok
            })
            .map(|m| m.to_string())
            .collect(),
        subject: parsed.subject().map(str::to_string),
        ..Message::default()
    };
    if let Some(html) = parsed.body_html(0).filter(|_| parsed.html_body_count() > 0) {
        message.body = Some(html.into_owned());
        message.body_as_html = true;
    } else if let Some(text) = parsed.body_text(0) {
        message.body = Some(text.into_owned());
    }
    for (name, value) in parsed.headers_raw() {
        if name.len() > 2 && name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("x-")) {
            if message.headers.len() < MAX_HEADERS {
                message
                    .headers
                    .push((name.to_string(), value.trim().replace(['\r', '\n'], "")));
            } else {
                warnings.push(Warning {
                    code: "MimeHeaderDropped",
                    level: WarningLevel::Warning,
                    message: format!("Header '{name}' was dropped: Graph keeps at most {MAX_HEADERS} custom headers on a message sent through a draft."),
                });
            }
        }
    }
    for address in dropped_reply_to {
        warnings.push(Warning {
            code: "MimeReplyToDropped",
            level: WarningLevel::Warning,
            message: format!(
                "Reply-To address '{}' was dropped: it is not a valid e-mail address.",
                truncate_for_message(&address)
            ),
        });
    }
    for (i, part) in parsed.attachments().enumerate() {
        let name: Cow<'_, str> = part
            .attachment_name()
            .map(|n| Cow::Owned(sanitize_file_name(n)))
            .unwrap_or_else(|| Cow::Owned(format!("attachment-{}", i + 1)));
        let sub = dir.join(format!("{i}"));
        std::fs::create_dir_all(&sub)
            .and_then(|_| std::fs::write(sub.join(name.as_ref()), part.contents()))
            .map_err(|e| {
                Error::new(
                    ErrorCode::FileUnreadable,
                    format!("Could not stage attachment '{name}': {e}."),
                )
            })?;
        let path = sub.join(name.as_ref());
        let inline = part
            .content_disposition()
            .is_some_and(|d| d.ctype().eq_ignore_ascii_case("inline"));
        match part.content_id().filter(|_| inline) {
            Some(cid) => message
                .inline_attachments
                .push((cid.trim_matches(['<', '>']).to_string(), path)),
            None => message.attachments.push(path),
        }
    }
    Ok((message, warnings))
}

fn sanitize_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "attachment".to_string()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIMPLE: &[u8] = b"From: Cron Daemon <root@contoso.com>\r\nTo: ops@contoso.com\r\nSubject: Cron <root@host> backup\r\n\r\nbackup ok\r\n";

    #[test]
    fn headers_give_sender_and_recipients() {
        let p = prepare_mime(SIMPLE.to_vec(), &MimeOptions::default()).unwrap();
        assert_eq!(p.mailbox.address, "root@contoso.com");
        assert_eq!(p.recipients, vec!["ops@contoso.com"]);
        assert_eq!(p.raw, SIMPLE);
        assert!(p.fits_one_request());
    }

    #[test]
    fn arguments_replace_recipient_headers_unless_t() {
        let opts = MimeOptions {
            recipients: vec!["admin@contoso.com".into()],
            ..Default::default()
        };
        let p = prepare_mime(SIMPLE.to_vec(), &opts).unwrap();
        let text = String::from_utf8(p.raw).unwrap();
        assert!(text.contains("To: admin@contoso.com\r\n"), "{text}");
        assert!(!text.contains("ops@contoso.com"), "{text}");
        assert!(text.ends_with("\r\n\r\nbackup ok\r\n"), "{text:?}");
        let opts = MimeOptions {
            recipients_from_headers: true,
            recipients: vec!["admin@contoso.com".into()],
            ..Default::default()
        };
        let p = prepare_mime(SIMPLE.to_vec(), &opts).unwrap();
        assert_eq!(p.recipients, vec!["ops@contoso.com", "admin@contoso.com"]);
    }

    #[test]
    fn sender_option_adds_a_from_header_when_missing() {
        let raw = b"Subject: no from\n\nbody\n".to_vec();
        let opts = MimeOptions {
            sender: Some("alerts@contoso.com".into()),
            sender_name: Some("Alerts".into()),
            recipients: vec!["ops@contoso.com".into()],
            ..Default::default()
        };
        let p = prepare_mime(raw, &opts).unwrap();
        let text = String::from_utf8(p.raw).unwrap();
        assert!(
            text.starts_with("From: \"Alerts\" <alerts@contoso.com>\r\n"),
            "{text}"
        );
        assert!(text.ends_with("\n\nbody\n"), "{text:?}");
        let e = prepare_mime(b"Subject: x\n\nbody".to_vec(), &MimeOptions::default()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MissingFrom);
        let e = prepare_mime(
            b"From: a@contoso.com\n\nbody".to_vec(),
            &MimeOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::MissingRecipient);
        assert_eq!(
            prepare_mime(b"  \n".to_vec(), &MimeOptions::default())
                .unwrap_err()
                .code(),
            ErrorCode::InvalidMessage
        );
    }

    #[test]
    fn a_parsed_message_keeps_quoted_names_and_survives_non_ascii_header_names() {
        let raw = "From: alerts@contoso.com\r\nTo: \"Doe, Jane\" <jane@contoso.com>, \"Jane \\\"JD\\\" Doe\" <jd@contoso.com>\r\nCc: Ja\u{0}ne <cc@contoso.com>\r\nReply-To: \"x\" <not an address>, ok@contoso.com\r\n\u{20ac}x: 1\r\nX-Job: nightly\r\nSubject: report\r\n\r\nbody\r\n";
        let p = prepare_mime(raw.as_bytes().to_vec(), &MimeOptions::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (message, warnings) = mime_to_message(&p, dir.path()).unwrap();
        let v = message.validate().expect("the recipients parse back");
        let names: Vec<_> =
            v.to.iter()
                .map(|m| m.name.clone().unwrap_or_default())
                .collect();
        assert_eq!(names, vec!["Doe, Jane", "Jane \"JD\" Doe"]);
        assert_eq!(
            v.cc[0].name.as_deref(),
            Some("Jane"),
            "control characters dropped"
        );
        assert_eq!(message.reply_to, vec!["ok@contoso.com".to_string()]);
        assert!(
            warnings.iter().any(|w| w.code == "MimeReplyToDropped"),
            "{warnings:?}"
        );
        assert_eq!(
            message.headers,
            vec![("X-Job".to_string(), "nightly".to_string())]
        );
    }

    #[test]
    fn malformed_header_addresses_are_refused_before_anything_is_sent() {
        for raw in [
            "From: \" Reports\" <reports@ne Doe\" <jt@contoso.com>\nTo: ops@contoso.com\n\nbody\n",
            "From: a@contoso.com\nTo: \"x\" <ops@con toso.com>\n\nbody\n",
        ] {
            let e = prepare_mime(raw.as_bytes().to_vec(), &MimeOptions::default()).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidAddress, "{raw}: {e}");
        }
        // Recipients given as arguments replace the header ones, which are then not checked.
        let opts = MimeOptions {
            recipients: vec!["ops@contoso.com".into()],
            ..Default::default()
        };
        let raw = b"From: a@contoso.com\nTo: bad address\n\nbody\n".to_vec();
        assert!(prepare_mime(raw, &opts).is_ok());
    }

    #[test]
    fn file_names_cannot_escape_the_staging_folder() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(sanitize_file_name("..."), "attachment");
        assert_eq!(sanitize_file_name("report.pdf"), "report.pdf");
    }
}
