//! RFC 5322 / MIME rendering of an accepted message (`.eml` files).
//!
//! The rendering is always `multipart/mixed`: one UTF-8 `text/plain` or `text/html` body part,
//! then one part per attachment, all base64 (lines of 76 characters) with CRLF line endings.
//! Non-ASCII subjects, display names and custom header values are RFC 2047 encoded-words;
//! non-ASCII or long file names use RFC 2231 parameters. Bcc recipients are not written.
//!
//! [`write`] streams: attachments stored on disk are read and encoded a slice at a time, so a
//! 150 MB attachment never sits in memory.

use std::io::{self, Read, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use time::OffsetDateTime;

use crate::message::{Address, AttachmentContent, BodyKind, Importance, OutgoingMail};

/// Preferred longest header line (RFC 5322 section 2.1.1).
const LINE_LIMIT: usize = 78;
/// Longest base64 line in a body part (RFC 2045 section 6.8).
const BASE64_LINE: usize = 76;
/// Input bytes per base64 line.
const BASE64_LINE_BYTES: usize = BASE64_LINE / 4 * 3;
/// Input bytes read and encoded at a time when streaming an attachment (whole lines).
const STREAM_SLICE: usize = BASE64_LINE_BYTES * 1024;
/// Input bytes per RFC 2047 encoded-word: 45 bytes -> 60 base64 chars -> 72-char word.
const WORD_BYTES: usize = 45;
/// Longest RFC 2231 parameter value segment before continuations are used.
const PARAM_SEGMENT: usize = 60;

/// Envelope facts not in the message itself.
pub(crate) struct Envelope<'a> {
    /// The sending mailbox (the `/users/{id}` of the request).
    pub(crate) mailbox: &'a str,
    /// When the message was accepted.
    pub(crate) date: OffsetDateTime,
    /// `Message-ID` without angle brackets.
    pub(crate) message_id: &'a str,
    /// The MIME boundary (must not occur in base64 text; see [`boundary_for`]).
    pub(crate) boundary: &'a str,
}

/// A MIME boundary derived from a unique ID. It contains `=_`, which never occurs at the start
/// of a base64 line, so it cannot collide with the content.
pub(crate) fn boundary_for(unique: &str) -> String {
    format!("=_GraphMail_{unique}")
}

/// Render `mail` as an RFC 5322 message with CRLF line endings, in memory (small messages and
/// tests; see [`write`]).
#[cfg(test)]
pub(crate) fn render(mail: &OutgoingMail, env: &Envelope<'_>) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail except for an unreadable stored attachment.
    let _ = write(mail, env, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Write `mail` as an RFC 5322 message with CRLF line endings to `sink`, streaming attachment
/// content (stored attachments are read from their files a slice at a time).
pub(crate) fn write<W: Write>(
    mail: &OutgoingMail,
    env: &Envelope<'_>,
    sink: &mut W,
) -> io::Result<()> {
    let mut out = String::new();
    header(&mut out, "Date", &crate::timefmt::rfc2822(env.date));
    let mailbox = Address {
        name: None,
        address: env.mailbox.to_string(),
    };
    let from = mail
        .from
        .as_ref()
        .filter(|f| !f.address.is_empty())
        .unwrap_or(&mailbox);
    address_header(&mut out, "From", std::slice::from_ref(from));
    if !from.address.eq_ignore_ascii_case(env.mailbox) {
        address_header(&mut out, "Sender", std::slice::from_ref(&mailbox));
    }
    address_header(&mut out, "To", &mail.to);
    address_header(&mut out, "Cc", &mail.cc);
    address_header(&mut out, "Reply-To", &mail.reply_to);
    if let Some(subject) = &mail.subject {
        unstructured_header(&mut out, "Subject", subject);
    }
    header(
        &mut out,
        "Message-ID",
        &format!("<{}>", clean(env.message_id)),
    );
    header(&mut out, "MIME-Version", "1.0");
    match mail.importance {
        Importance::High => {
            header(&mut out, "Importance", "High");
            header(&mut out, "X-Priority", "1 (Highest)");
        }
        Importance::Low => {
            header(&mut out, "Importance", "Low");
            header(&mut out, "X-Priority", "5 (Lowest)");
        }
        Importance::Normal => {}
    }
    if mail.read_receipt_requested {
        address_header(
            &mut out,
            "Disposition-Notification-To",
            std::slice::from_ref(from),
        );
    }
    if mail.delivery_receipt_requested {
        header(&mut out, "X-GraphMail-Delivery-Receipt-Requested", "true");
    }
    for (name, value) in &mail.headers {
        unstructured_header(&mut out, name, value);
    }
    header(
        &mut out,
        "Content-Type",
        &format!("multipart/mixed; boundary=\"{}\"", env.boundary),
    );
    out.push_str("\r\n");
    out.push_str("This is a multi-part message in MIME format.\r\n");

    // Body part.
    let subtype = match mail.body_kind {
        BodyKind::Text => "plain",
        BodyKind::Html => "html",
    };
    part_start(&mut out, env.boundary);
    header(
        &mut out,
        "Content-Type",
        &format!("text/{subtype}; charset=utf-8"),
    );
    header(&mut out, "Content-Transfer-Encoding", "base64");
    out.push_str("\r\n");
    base64_lines(&mut out, mail.body.as_bytes());

    for attachment in &mail.attachments {
        let (source, default_type, name): (Box<dyn Read>, _, _) = match &attachment.content {
            AttachmentContent::File(bytes) => (
                Box::new(bytes.as_slice()),
                "application/octet-stream",
                attachment.name.clone(),
            ),
            AttachmentContent::Stored(stored) => (
                Box::new(std::fs::File::open(&stored.path)?),
                "application/octet-stream",
                attachment.name.clone(),
            ),
            AttachmentContent::Item(item) => {
                let name = attachment.name.as_deref().unwrap_or("item");
                let name = if name.to_ascii_lowercase().ends_with(".json") {
                    name.to_string()
                } else {
                    format!("{name}.json")
                };
                (
                    Box::new(io::Cursor::new(item.to_string().into_bytes())),
                    "application/json",
                    Some(name),
                )
            }
            // v1.0 reference attachments carry no content or link target.
            AttachmentContent::Reference => continue,
        };
        let content_type = match &attachment.content {
            AttachmentContent::File(_) | AttachmentContent::Stored(_) => attachment
                .content_type
                .as_deref()
                .filter(|t| is_safe_media_type(t))
                .unwrap_or(default_type),
            _ => default_type,
        };
        part_start(&mut out, env.boundary);
        let mut type_params = vec![content_type.to_string()];
        let mut disposition = vec![if attachment.is_inline {
            "inline"
        } else {
            "attachment"
        }
        .to_string()];
        if let Some(name) = name.as_deref().filter(|n| !n.is_empty()) {
            type_params.extend(parameter("name", name));
            disposition.extend(parameter("filename", name));
        }
        header_segments(&mut out, "Content-Type", &type_params);
        header(&mut out, "Content-Transfer-Encoding", "base64");
        header_segments(&mut out, "Content-Disposition", &disposition);
        if let Some(cid) = attachment.content_id.as_deref() {
            let cid: String = clean(cid)
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '<' && *c != '>')
                .collect();
            if !cid.is_empty() {
                header(&mut out, "Content-ID", &format!("<{cid}>"));
            }
        }
        out.push_str("\r\n");
        sink.write_all(out.as_bytes())?;
        out.clear();
        base64_stream(source, sink)?;
    }
    out.push_str("--");
    out.push_str(env.boundary);
    out.push_str("--\r\n");
    sink.write_all(out.as_bytes())
}

fn part_start(out: &mut String, boundary: &str) {
    out.push_str("\r\n--");
    out.push_str(boundary);
    out.push_str("\r\n");
}

/// A header whose value is known to be safe ASCII.
fn header(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str(": ");
    out.push_str(&clean(value));
    out.push_str("\r\n");
}

/// A header made of `;`-separated segments, folded between segments when a line gets long.
fn header_segments(out: &mut String, name: &str, segments: &[String]) {
    let mut line_len = name.len() + 2;
    out.push_str(name);
    out.push_str(": ");
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push(';');
            line_len += 1;
            if line_len + 1 + segment.len() > LINE_LIMIT {
                out.push_str("\r\n ");
                line_len = 1;
            } else {
                out.push(' ');
                line_len += 1;
            }
        }
        out.push_str(segment);
        line_len += segment.len();
    }
    out.push_str("\r\n");
}

/// An unstructured header (Subject, custom headers): plain ASCII folded at spaces, anything
/// else as RFC 2047 encoded-words.
fn unstructured_header(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push(':');
    if needs_encoding(value) {
        out.push(' ');
        out.push_str(&encoded_words(value).join("\r\n "));
    } else {
        let mut line_len = name.len() + 1;
        for (i, word) in value.split(' ').enumerate() {
            if i > 0 && !word.is_empty() && line_len + 1 + word.len() > LINE_LIMIT {
                out.push_str("\r\n");
                line_len = 0;
            }
            out.push(' ');
            out.push_str(word);
            line_len += 1 + word.len();
        }
    }
    out.push_str("\r\n");
}

/// `Name: a, b, ...` folded after a comma when a line gets long; nothing for an empty list.
fn address_header(out: &mut String, name: &str, addresses: &[Address]) {
    let items: Vec<String> = addresses.iter().map(format_address).collect();
    if items.is_empty() {
        return;
    }
    header_list(out, name, &items);
}

fn header_list(out: &mut String, name: &str, items: &[String]) {
    out.push_str(name);
    out.push(':');
    let mut line_len = name.len() + 1;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
            line_len += 1;
        }
        // An item may itself span lines (encoded-words); measure its first line.
        let first_len = item.split("\r\n").next().map_or(0, str::len);
        if i > 0 && line_len + 1 + first_len > LINE_LIMIT {
            out.push_str("\r\n");
            line_len = 0;
        }
        out.push(' ');
        out.push_str(item);
        line_len = match item.rsplit_once("\r\n") {
            Some((_, last)) => last.len(),
            None => line_len + 1 + item.len(),
        };
    }
    out.push_str("\r\n");
}

/// `addr`, `"Name" <addr>` or `=?UTF-8?B?...?= <addr>`.
fn format_address(a: &Address) -> String {
    let address = clean(&a.address);
    match a.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        None => address,
        Some(name) if needs_encoding(name) => {
            format!("{} <{address}>", encoded_words(name).join("\r\n "))
        }
        Some(name) => {
            let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\" <{address}>")
        }
    }
}

/// Whether text cannot go into a header as-is: non-ASCII, control characters, text that could
/// be mistaken for an encoded-word, or a word too long to fold.
fn needs_encoding(s: &str) -> bool {
    s.chars().any(|c| !c.is_ascii() || c.is_ascii_control())
        || s.contains("=?")
        || s.split(' ').any(|w| w.len() > LINE_LIMIT - 20)
}

/// RFC 2047 `B` encoded-words of at most 45 input bytes each, split at character boundaries.
fn encoded_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in s.chars() {
        if chunk.len() + c.len_utf8() > WORD_BYTES {
            words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
    }
    words
}

/// A MIME parameter: `name="value"` for short printable ASCII, else RFC 2231 extended
/// notation (`name*=utf-8''%..`), split into `name*0*=`, `name*1*=`... continuations when long.
fn parameter(name: &str, value: &str) -> Vec<String> {
    let simple = value.len() <= PARAM_SEGMENT && value.bytes().all(|b| (0x20..0x7f).contains(&b));
    if simple {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        return vec![format!("{name}=\"{escaped}\"")];
    }
    // Percent-encode, keeping each %XX triplet whole.
    let mut pieces: Vec<String> = Vec::new();
    for b in value.bytes() {
        let is_attr_char = b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b);
        pieces.push(if is_attr_char {
            (b as char).to_string()
        } else {
            format!("%{b:02X}")
        });
    }
    let encoded: String = pieces.concat();
    if encoded.len() + 7 <= PARAM_SEGMENT {
        return vec![format!("{name}*=utf-8''{encoded}")];
    }
    let mut segments = Vec::new();
    let mut current = String::from("utf-8''");
    for piece in pieces {
        if current.len() + piece.len() > PARAM_SEGMENT {
            segments.push(std::mem::take(&mut current));
        }
        current.push_str(&piece);
    }
    segments.push(current);
    segments
        .into_iter()
        .enumerate()
        .map(|(i, s)| format!("{name}*{i}*={s}"))
        .collect()
}

/// Whether a Graph `contentType` is a plain `type/subtype[; params]` in printable ASCII.
fn is_safe_media_type(t: &str) -> bool {
    let essence = t.split(';').next().unwrap_or_default().trim();
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    let well_formed = essence
        .split_once('/')
        .is_some_and(|(a, b)| token(a) && token(b));
    well_formed && t.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Drop CR, LF and other control characters so a value can never start a new header line.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// Copy `source` to `sink` as base64 in lines of 76 characters, a slice at a time.
fn base64_stream<W: Write>(mut source: impl Read, sink: &mut W) -> io::Result<()> {
    let mut slice = vec![0u8; STREAM_SLICE];
    let mut text = String::with_capacity(STREAM_SLICE / 3 * 4 + STREAM_SLICE / 28);
    loop {
        // Fill the slice completely (or to the end of the input) so only the last line is short.
        let mut filled = 0;
        while filled < slice.len() {
            match source.read(&mut slice[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if filled == 0 {
            return Ok(());
        }
        text.clear();
        base64_lines(&mut text, &slice[..filled]);
        sink.write_all(text.as_bytes())?;
        if filled < slice.len() {
            return Ok(());
        }
    }
}

/// Append `bytes` as base64 in lines of 76 characters.
fn base64_lines(out: &mut String, bytes: &[u8]) {
    let encoded = STANDARD.encode(bytes);
    for line in encoded.as_bytes().chunks(BASE64_LINE) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Attachment;
    use time::macros::datetime;

    fn addr(name: Option<&str>, address: &str) -> Address {
        Address {
            name: name.map(str::to_string),
            address: address.to_string(),
        }
    }

    fn sample() -> OutgoingMail {
        OutgoingMail {
            subject: Some("Grüße vom Server — Bericht".to_string()),
            body_kind: BodyKind::Html,
            body: "<p>Hallo ✓</p>".repeat(20),
            from: Some(addr(Some("Alerts \"Bot\""), "alerts@contoso.test")),
            to: vec![
                addr(Some("Jürgen Müller"), "j@example.com"),
                addr(None, "a@b.test"),
            ],
            cc: vec![addr(None, "c@localhost")],
            bcc: vec![addr(None, "secret-bcc@example.com")],
            reply_to: vec![addr(Some("Help"), "help@contoso.test")],
            importance: Importance::High,
            headers: vec![
                ("X-Job-Id".to_string(), "42".to_string()),
                ("x-Note".to_string(), "naïve".to_string()),
            ],
            delivery_receipt_requested: true,
            read_receipt_requested: false,
            attachments: vec![
                Attachment {
                    name: Some("report.csv".to_string()),
                    content_type: Some("text/csv".to_string()),
                    is_inline: false,
                    content_id: None,
                    content: AttachmentContent::File(vec![7u8; 200]),
                },
                Attachment {
                    name: Some(
                        "Übersicht und ein sehr langer Dateiname für den Test.png".to_string(),
                    ),
                    content_type: Some("image/png\r\nX-Injected: 1".to_string()),
                    is_inline: true,
                    content_id: Some("<logo@x>".to_string()),
                    content: AttachmentContent::File(b"PNG".to_vec()),
                },
            ],
        }
    }

    fn render_sample(mail: &OutgoingMail) -> String {
        let env = Envelope {
            mailbox: "alerts@contoso.test",
            date: datetime!(2026-11-22 04:10:00 UTC),
            message_id: "abc@contoso.test",
            boundary: &boundary_for("b1"),
        };
        render(mail, &env)
    }

    /// Decode the header section: unfold, then decode encoded-words.
    fn header_value(eml: &str, name: &str) -> Option<String> {
        let head = eml.split("\r\n\r\n").next()?;
        let unfolded = head.replace("\r\n ", " ");
        let line = unfolded.split("\r\n").find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })?;
        let value = line[name.len() + 1..].trim();
        Some(decode_words(value))
    }

    fn decode_words(value: &str) -> String {
        let mut out = String::new();
        let mut bytes = Vec::new();
        for token in value.split(' ') {
            if let Some(b64) = token
                .strip_prefix("=?UTF-8?B?")
                .and_then(|t| t.strip_suffix("?="))
            {
                bytes.extend(STANDARD.decode(b64).expect("word"));
            } else {
                if !bytes.is_empty() {
                    out.push_str(&String::from_utf8(std::mem::take(&mut bytes)).expect("utf8"));
                }
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(token);
            }
        }
        if !bytes.is_empty() {
            out.push_str(&String::from_utf8(bytes).expect("utf8"));
        }
        out
    }

    #[test]
    fn stored_attachments_stream_like_in_memory_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Longer than one streaming slice and not a multiple of a base64 line.
        let bytes: Vec<u8> = (0..STREAM_SLICE * 2 + 100)
            .map(|i| (i % 251) as u8)
            .collect();
        let path = dir.path().join("att");
        std::fs::write(&path, &bytes).expect("write");
        let mut in_memory = sample();
        in_memory.attachments[0].content = AttachmentContent::File(bytes.clone());
        let mut stored = sample();
        stored.attachments[0].content =
            AttachmentContent::Stored(Box::new(crate::attachments::StoredAttachment {
                id: "a".into(),
                name: "report.csv".into(),
                content_type: None,
                size: bytes.len() as u64,
                sha256: String::new(),
                is_inline: false,
                content_id: None,
                uploaded: true,
                path,
            }));
        let rendered = render_sample(&stored);
        assert_eq!(rendered, render_sample(&in_memory));
        for line in rendered.split("\r\n") {
            assert!(line.len() <= LINE_LIMIT);
        }
        stored.attachments[0].content =
            AttachmentContent::Stored(Box::new(crate::attachments::StoredAttachment {
                path: dir.path().join("missing"),
                id: String::new(),
                name: String::new(),
                content_type: None,
                size: 0,
                sha256: String::new(),
                is_inline: false,
                content_id: None,
                uploaded: false,
            }));
        let env = Envelope {
            mailbox: "alerts@contoso.test",
            date: datetime!(2026-11-22 04:10:00 UTC),
            message_id: "abc@contoso.test",
            boundary: &boundary_for("b1"),
        };
        assert!(write(&stored, &env, &mut Vec::new()).is_err());
    }

    #[test]
    fn crlf_only_and_short_lines() {
        let eml = render_sample(&sample());
        assert!(!eml.replace("\r\n", "").contains('\n'), "bare LF");
        assert!(!eml.replace("\r\n", "").contains('\r'), "bare CR");
        for line in eml.split("\r\n") {
            assert!(line.len() <= LINE_LIMIT, "long line: {line}");
        }
        assert!(eml.is_ascii());
    }

    #[test]
    fn headers() {
        let eml = render_sample(&sample());
        assert_eq!(
            header_value(&eml, "Subject").as_deref(),
            Some("Grüße vom Server — Bericht")
        );
        assert_eq!(
            header_value(&eml, "From").as_deref(),
            Some("\"Alerts \\\"Bot\\\"\" <alerts@contoso.test>")
        );
        assert!(header_value(&eml, "Sender").is_none());
        assert_eq!(
            header_value(&eml, "To").as_deref(),
            Some("Jürgen Müller <j@example.com>, a@b.test")
        );
        assert_eq!(header_value(&eml, "Cc").as_deref(), Some("c@localhost"));
        assert_eq!(
            header_value(&eml, "Reply-To").as_deref(),
            Some("\"Help\" <help@contoso.test>")
        );
        assert!(header_value(&eml, "Bcc").is_none());
        assert!(!eml.contains("secret-bcc"));
        assert_eq!(
            header_value(&eml, "Date").as_deref(),
            Some("Sun, 22 Nov 2026 04:10:00 +0000")
        );
        assert_eq!(
            header_value(&eml, "Message-ID").as_deref(),
            Some("<abc@contoso.test>")
        );
        assert_eq!(header_value(&eml, "MIME-Version").as_deref(), Some("1.0"));
        assert_eq!(header_value(&eml, "Importance").as_deref(), Some("High"));
        assert_eq!(
            header_value(&eml, "X-Priority").as_deref(),
            Some("1 (Highest)")
        );
        assert_eq!(
            header_value(&eml, "X-GraphMail-Delivery-Receipt-Requested").as_deref(),
            Some("true")
        );
        assert_eq!(header_value(&eml, "X-Job-Id").as_deref(), Some("42"));
        assert_eq!(header_value(&eml, "x-Note").as_deref(), Some("naïve"));
        assert_eq!(
            header_value(&eml, "Content-Type").as_deref(),
            Some("multipart/mixed; boundary=\"=_GraphMail_b1\"")
        );
    }

    #[test]
    fn parts() {
        let mail = sample();
        let eml = render_sample(&mail);
        let parts: Vec<&str> = eml.split("\r\n--=_GraphMail_b1").collect();
        // preamble, body, 2 attachments, closing "--"
        assert_eq!(parts.len(), 4 + 1);
        assert!(parts[4].starts_with("--\r\n"));

        let body = parts[1];
        assert!(body.contains("Content-Type: text/html; charset=utf-8\r\n"));
        assert!(body.contains("Content-Transfer-Encoding: base64\r\n"));
        let encoded: String = body
            .split("\r\n\r\n")
            .nth(1)
            .expect("body")
            .split("\r\n")
            .collect();
        assert_eq!(STANDARD.decode(encoded).expect("b64"), mail.body.as_bytes());
        for line in body.split("\r\n\r\n").nth(1).expect("body").split("\r\n") {
            assert!(line.len() <= 76);
        }

        let csv = parts[2];
        assert!(csv.contains("Content-Type: text/csv; name=\"report.csv\"\r\n"));
        assert!(csv.contains("Content-Disposition: attachment; filename=\"report.csv\"\r\n"));
        let encoded: String = csv
            .split("\r\n\r\n")
            .nth(1)
            .expect("csv")
            .split("\r\n")
            .collect();
        assert_eq!(STANDARD.decode(encoded).expect("b64"), vec![7u8; 200]);

        let png = parts[3];
        // An unsafe content type falls back to octet-stream; nothing is injected.
        assert!(png.contains("Content-Type: application/octet-stream;"));
        assert!(!eml.contains("X-Injected"));
        assert!(png.contains("Content-Disposition: inline;"));
        assert!(png.contains("Content-ID: <logo@x>\r\n"));
        // RFC 2231 continuation of the non-ASCII file name, reassembled.
        let unfolded = png.replace("\r\n ", " ");
        let disposition = unfolded
            .split("\r\n")
            .find(|l| l.starts_with("Content-Disposition:"))
            .expect("disposition");
        let mut value = String::new();
        for (i, seg) in disposition.split("; ").skip(1).enumerate() {
            let prefix = format!("filename*{i}*=");
            value.push_str(
                seg.strip_prefix(&prefix)
                    .expect("continuation")
                    .trim_end_matches(';'),
            );
        }
        let value = value.strip_prefix("utf-8''").expect("charset");
        let mut bytes = Vec::new();
        let raw = value.as_bytes();
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'%' {
                let hex = std::str::from_utf8(&raw[i + 1..i + 3]).expect("hex");
                bytes.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 3;
            } else {
                bytes.push(raw[i]);
                i += 1;
            }
        }
        assert_eq!(
            String::from_utf8(bytes).expect("utf8"),
            "Übersicht und ein sehr langer Dateiname für den Test.png"
        );
    }

    #[test]
    fn defaults_and_sender() {
        let mail = OutgoingMail {
            subject: None,
            body_kind: BodyKind::Text,
            body: String::new(),
            from: Some(addr(None, "other@contoso.test")),
            to: vec![addr(None, "a@b.test")],
            cc: vec![],
            bcc: vec![],
            reply_to: vec![],
            importance: Importance::Low,
            headers: vec![],
            delivery_receipt_requested: false,
            read_receipt_requested: true,
            attachments: vec![],
        };
        let eml = render_sample(&mail);
        assert_eq!(
            header_value(&eml, "From").as_deref(),
            Some("other@contoso.test")
        );
        assert_eq!(
            header_value(&eml, "Sender").as_deref(),
            Some("alerts@contoso.test")
        );
        assert_eq!(header_value(&eml, "Importance").as_deref(), Some("Low"));
        assert_eq!(
            header_value(&eml, "X-Priority").as_deref(),
            Some("5 (Lowest)")
        );
        assert_eq!(
            header_value(&eml, "Disposition-Notification-To").as_deref(),
            Some("other@contoso.test")
        );
        assert!(header_value(&eml, "Subject").is_none());
        assert!(header_value(&eml, "Cc").is_none());
        assert!(header_value(&eml, "X-GraphMail-Delivery-Receipt-Requested").is_none());
        assert!(eml.contains("Content-Type: text/plain; charset=utf-8\r\n"));
    }

    #[test]
    fn long_ascii_subject_folds_and_unfolds() {
        let subject = "word ".repeat(40).trim_end().to_string();
        let mut mail = sample();
        mail.subject = Some(subject.clone());
        let eml = render_sample(&mail);
        assert_eq!(header_value(&eml, "Subject"), Some(subject));
    }

    #[test]
    fn item_attachments_are_json_parts_and_reference_attachments_are_skipped() {
        let mut mail = sample();
        mail.attachments = vec![
            Attachment {
                name: Some("Meeting".to_string()),
                content_type: None,
                is_inline: false,
                content_id: None,
                content: AttachmentContent::Item(serde_json::json!({"subject": "Sync"})),
            },
            Attachment {
                name: Some("link".to_string()),
                content_type: None,
                is_inline: false,
                content_id: None,
                content: AttachmentContent::Reference,
            },
        ];
        let eml = render_sample(&mail);
        assert_eq!(
            eml.matches("\r\n--=_GraphMail_b1\r\n").count(),
            2,
            "body + item"
        );
        assert!(eml.contains("Content-Type: application/json; name=\"Meeting.json\"\r\n"));
        assert!(!eml.contains("link"));
    }

    #[test]
    fn encoded_words_split_on_char_boundaries() {
        let words = encoded_words(&"€".repeat(40));
        assert!(words.len() > 1);
        let mut bytes = Vec::new();
        for w in &words {
            assert!(w.len() <= 75);
            let b64 = w
                .strip_prefix("=?UTF-8?B?")
                .and_then(|t| t.strip_suffix("?="))
                .expect("word");
            let chunk = STANDARD.decode(b64).expect("b64");
            assert!(
                String::from_utf8(chunk.clone()).is_ok(),
                "each word is whole characters"
            );
            bytes.extend(chunk);
        }
        assert_eq!(String::from_utf8(bytes).expect("utf8"), "€".repeat(40));
    }
}
