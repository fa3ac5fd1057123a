//! MIME mode: `sendMail` and create-message bodies sent as `Content-Type: text/plain`, the
//! base64 of an RFC 5322 message. The message is parsed (with `mail-parser`) into the same
//! Graph message shape JSON bodies have, so storage, `.eml` files and listings work the same.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use mail_parser::{MessageParser, MimeHeaders as _, PartType};
use serde_json::{json, Map, Value};

use crate::attachments::FILE_ATTACHMENT;
use crate::message::{Address, Attachment, AttachmentContent, BodyKind, Importance, OutgoingMail};

/// Largest decoded MIME message accepted ("payloads are currently limited to 4 MB").
pub const MAX_MIME_BYTES: usize = 4 * 1024 * 1024;

/// Why a MIME body was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MimeError {
    /// Not standard base64 (whitespace and line breaks aside), or empty.
    InvalidBase64,
    /// The decoded message is larger than [`MAX_MIME_BYTES`].
    TooLarge,
    /// The decoded bytes are not an RFC 5322 message (no header section).
    NotAMessage,
}

/// A parsed MIME message.
#[derive(Debug)]
pub(crate) struct MimeMessage {
    /// The decoded RFC 5322 bytes, stored as the `.eml`.
    pub(crate) eml: Vec<u8>,
    /// The message in Graph's JSON shape; attachments are listed with `size` but without
    /// `contentBytes`.
    pub(crate) message: Map<String, Value>,
    /// The message in typed form, attachment bytes in memory (at most 4 MB in all).
    pub(crate) mail: OutgoingMail,
}

/// Decode a MIME mode body: standard base64, whitespace and line breaks ignored.
pub(crate) fn decode(body: &[u8]) -> Result<Vec<u8>, MimeError> {
    let compact: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if compact.is_empty() {
        return Err(MimeError::InvalidBase64);
    }
    let eml = STANDARD
        .decode(compact)
        .map_err(|_| MimeError::InvalidBase64)?;
    if eml.len() > MAX_MIME_BYTES {
        return Err(MimeError::TooLarge);
    }
    Ok(eml)
}

/// Parse an RFC 5322 message into the Graph message shape.
pub(crate) fn parse(eml: Vec<u8>) -> Result<MimeMessage, MimeError> {
    let (message, mail) = {
        // A parser with no per-header configuration ignores `default_header_text`, so name
        // the standard headers; everything else (x- headers) is decoded text.
        let parsed = MessageParser::new()
            .with_minimal_headers()
            .with_address_headers()
            .with_message_ids()
            .header_text(mail_parser::HeaderName::Subject)
            .default_header_text()
            .parse(&eml)
            .ok_or(MimeError::NotAMessage)?;
        if !has_header_field(&parsed, &eml) {
            return Err(MimeError::NotAMessage);
        }
        convert(&parsed)
    };
    Ok(MimeMessage { eml, message, mail })
}

/// Whether the header section has at least one real field (`name: value`): the parser also
/// takes a line of arbitrary text for a header.
fn has_header_field(parsed: &mail_parser::Message<'_>, eml: &[u8]) -> bool {
    parsed.headers().iter().any(|h| {
        let name = h.name.as_str();
        let colon = (h.offset_start as usize)
            .checked_sub(1)
            .and_then(|i| eml.get(i))
            == Some(&b':');
        colon && !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
    })
}

fn convert(parsed: &mail_parser::Message<'_>) -> (Map<String, Value>, OutgoingMail) {
    let mut message = Map::new();
    let subject = parsed.subject().map(str::to_string);
    if let Some(subject) = &subject {
        message.insert("subject".into(), json!(subject));
    }

    let html = parsed.html_part(0).and_then(|p| match &p.body {
        PartType::Html(html) => Some(html.to_string()),
        _ => None,
    });
    let (body_kind, body) = match html {
        Some(html) => (BodyKind::Html, html),
        None => (
            BodyKind::Text,
            parsed
                .text_part(0)
                .and_then(|p| match &p.body {
                    PartType::Text(text) => Some(text.to_string()),
                    _ => None,
                })
                .unwrap_or_default(),
        ),
    };
    let kind = if body_kind == BodyKind::Html {
        "html"
    } else {
        "text"
    };
    message.insert("body".into(), json!({"contentType": kind, "content": body}));

    let from = addresses(parsed.from()).into_iter().next();
    if let Some(from) = &from {
        message.insert("from".into(), recipient(from));
    }
    let to = addresses(parsed.to());
    let cc = addresses(parsed.cc());
    let bcc = addresses(parsed.bcc());
    let reply_to = addresses(parsed.reply_to());
    for (key, list) in [
        ("toRecipients", &to),
        ("ccRecipients", &cc),
        ("bccRecipients", &bcc),
        ("replyTo", &reply_to),
    ] {
        message.insert(
            key.into(),
            Value::Array(list.iter().map(recipient).collect()),
        );
    }

    let mut headers = Vec::new();
    let mut importance = Importance::Normal;
    for header in parsed.headers() {
        let name = header.name.as_str();
        let value = header.value.as_text().unwrap_or_default().trim();
        if name.eq_ignore_ascii_case("importance") {
            importance = match value.to_ascii_lowercase().as_str() {
                "high" => Importance::High,
                "low" => Importance::Low,
                _ => importance,
            };
        } else if name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("x-")) {
            headers.push((name.to_string(), value.to_string()));
        }
    }
    if importance != Importance::Normal {
        let value = if importance == Importance::High {
            "high"
        } else {
            "low"
        };
        message.insert("importance".into(), json!(value));
    }
    if !headers.is_empty() {
        let list: Vec<Value> = headers
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect();
        message.insert("internetMessageHeaders".into(), Value::Array(list));
    }

    let mut attachments = Vec::new();
    let mut listed = Vec::new();
    for part in parsed.attachments() {
        if matches!(part.body, PartType::Multipart(_)) {
            continue;
        }
        let bytes = part.contents().to_vec();
        let content_type = part.content_type().map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{sub}", ct.ctype()),
            None => ct.ctype().to_string(),
        });
        let content_id = part.content_id().map(str::to_string);
        let is_inline = part
            .content_disposition()
            .map_or(content_id.is_some(), |d| d.is_inline());
        let name = part
            .attachment_name()
            .map(str::to_string)
            .or_else(|| part.message().map(|_| "message.eml".to_string()));
        listed.push(json!({
            "@odata.type": FILE_ATTACHMENT,
            "name": name,
            "contentType": content_type,
            "size": bytes.len(),
            "isInline": is_inline,
            "contentId": content_id,
        }));
        attachments.push(Attachment {
            name,
            content_type,
            is_inline,
            content_id,
            content: AttachmentContent::File(bytes),
        });
    }
    if !listed.is_empty() {
        message.insert("attachments".into(), Value::Array(listed));
    }

    let mail = OutgoingMail {
        subject,
        body_kind,
        body: message["body"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        from,
        to,
        cc,
        bcc,
        reply_to,
        importance,
        headers,
        delivery_receipt_requested: false,
        read_receipt_requested: parsed.header("Disposition-Notification-To").is_some(),
        attachments,
    };
    (message, mail)
}

/// The mailboxes of an address header (groups flattened).
fn addresses(header: Option<&mail_parser::Address<'_>>) -> Vec<Address> {
    header
        .map(|list| {
            list.iter()
                .map(|a| Address {
                    name: a
                        .name()
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(str::to_string),
                    address: a.address().unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn recipient(a: &Address) -> Value {
    match &a.name {
        Some(name) => json!({"emailAddress": {"address": a.address, "name": name}}),
        None => json!({"emailAddress": {"address": a.address}}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "From: \"Alerts\" <alerts@contoso.test>\r\n\
        To: Ops <ops@example.com>, b@example.com\r\n\
        Cc: c@example.com\r\n\
        Bcc: hidden@example.com\r\n\
        Reply-To: help@contoso.test\r\n\
        Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n\
        Importance: High\r\n\
        X-Job-Id: 42\r\n\
        X-Note: =?UTF-8?B?bmHDr3Zl?=\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: multipart/related; boundary=\"b1\"\r\n\
        \r\n\
        --b1\r\n\
        Content-Type: text/html; charset=utf-8\r\n\
        \r\n\
        <p>Hi <img src=\"cid:logo\"></p>\r\n\
        --b1\r\n\
        Content-Type: image/png; name=\"logo.png\"\r\n\
        Content-Disposition: inline; filename=\"logo.png\"\r\n\
        Content-ID: <logo>\r\n\
        Content-Transfer-Encoding: base64\r\n\
        \r\n\
        iVBORw0K\r\n\
        --b1\r\n\
        Content-Type: text/csv; name=\"r.csv\"\r\n\
        Content-Disposition: attachment; filename=\"r.csv\"\r\n\
        \r\n\
        a,b\r\n\
        --b1--\r\n";

    #[test]
    fn decoding() {
        let encoded = STANDARD.encode(SAMPLE);
        let wrapped: String = encoded
            .as_bytes()
            .chunks(76)
            .map(|l| format!("{}\r\n", String::from_utf8_lossy(l)))
            .collect();
        assert_eq!(
            decode(wrapped.as_bytes()).expect("decode"),
            SAMPLE.as_bytes()
        );
        assert_eq!(decode(b"not base64!"), Err(MimeError::InvalidBase64));
        assert_eq!(decode(b"  \r\n"), Err(MimeError::InvalidBase64));
        let big = STANDARD.encode(vec![b'a'; MAX_MIME_BYTES + 1]);
        assert_eq!(decode(big.as_bytes()), Err(MimeError::TooLarge));
    }

    #[test]
    fn graph_shape() {
        let parsed = parse(SAMPLE.as_bytes().to_vec()).expect("parse");
        let m = &parsed.message;
        assert_eq!(m["subject"], "Grüße");
        assert_eq!(m["body"]["contentType"], "html");
        assert!(m["body"]["content"]
            .as_str()
            .is_some_and(|b| b.contains("cid:logo")));
        assert_eq!(m["from"]["emailAddress"]["address"], "alerts@contoso.test");
        assert_eq!(m["toRecipients"][0]["emailAddress"]["name"], "Ops");
        assert_eq!(
            m["toRecipients"][1]["emailAddress"]["address"],
            "b@example.com"
        );
        assert_eq!(
            m["bccRecipients"][0]["emailAddress"]["address"],
            "hidden@example.com"
        );
        assert_eq!(
            m["replyTo"][0]["emailAddress"]["address"],
            "help@contoso.test"
        );
        assert_eq!(m["importance"], "high");
        assert_eq!(
            m["internetMessageHeaders"],
            json!([{"name": "X-Job-Id", "value": "42"}, {"name": "X-Note", "value": "naïve"}])
        );
        let attachments = m["attachments"].as_array().expect("attachments");
        assert_eq!(attachments.len(), 2);
        assert_eq!(attachments[0]["name"], "logo.png");
        assert_eq!(attachments[0]["contentType"], "image/png");
        assert_eq!(attachments[0]["isInline"], true);
        assert_eq!(attachments[0]["contentId"], "logo");
        assert_eq!(attachments[1]["isInline"], false);
        assert_eq!(attachments[1]["size"], 3);
        assert_eq!(
            parsed.mail.attachments[1].content,
            AttachmentContent::File(b"a,b".to_vec())
        );
        assert_eq!(parsed.mail.to.len(), 2);
        assert_eq!(parsed.eml, SAMPLE.as_bytes());
    }

    #[test]
    fn plain_text_and_garbage() {
        let parsed = parse(b"Subject: x\r\nTo: a@b.test\r\n\r\nHello\r\n".to_vec()).expect("parse");
        assert_eq!(parsed.message["body"]["contentType"], "text");
        assert_eq!(parsed.mail.body.trim_end(), "Hello");
        assert!(parsed.message.get("attachments").is_none());
        assert_eq!(parse(b"MIME".to_vec()).err(), Some(MimeError::NotAMessage));
        assert_eq!(
            parse(vec![0xff, 0xfe, 0x00]).err(),
            Some(MimeError::NotAMessage)
        );
        assert_eq!(parse(Vec::new()).err(), Some(MimeError::NotAMessage));
    }
}
