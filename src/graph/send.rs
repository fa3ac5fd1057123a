//! Sending a validated message with `POST /users/{from}/sendMail` (JSON mode), and the
//! [`SendReport`] that says exactly what was sent.

use std::io::Read;
use std::path::Path;

use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use crate::address::Mailbox;
use crate::error::{Error, ErrorCode, Result};
use crate::graph::wire::{
    EmailAddress, FileAttachment, InternetMessageHeader, ItemBody, Recipient, SendMailRequest,
    WireMessage, FILE_ATTACHMENT_TYPE,
};
use crate::message::{
    io_reason, AttachmentFile, ValidatedMessage, Warning, MAX_INLINE_ATTACHMENT_BYTES,
    MAX_REQUEST_BYTES,
};

/// Characters kept as-is in a path segment (the rest is percent-encoded).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'@')
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b'+');

/// Percent-encodes a mailbox for use in `/users/{id}/...`.
pub(crate) fn path_segment(s: &str) -> String {
    utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

/// Graph's limit for one attachment (through an upload session): 150 MB.
pub const MAX_ATTACHMENT_BYTES: u64 = 150 * 1024 * 1024;

/// How a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendPath {
    /// One `sendMail` request with inline attachments.
    SendMail,
    /// A draft, attachments (large ones through upload sessions), then `send`.
    Draft,
}

impl SendPath {
    /// `"sendMail"` or `"draft"`, as in result JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SendPath::SendMail => "sendMail",
            SendPath::Draft => "draft",
        }
    }
}

/// Chooses the path, and refuses before any request what no path can send: an attachment over
/// 150 MB, or attachments totalling more than `max_message_bytes`.
pub fn plan_send(msg: &ValidatedMessage, max_message_bytes: u64) -> Result<SendPath> {
    let mut total: u64 = 0;
    for a in &msg.attachments {
        if a.size > MAX_ATTACHMENT_BYTES {
            return Err(Error::new(
                ErrorCode::AttachmentTooLarge,
                format!(
                    "Attachment '{}' is {} bytes; Graph accepts attachments of at most 150 MB (157,286,400 bytes). Send the file as a link instead.",
                    a.name, a.size
                ),
            )
            .with_field(a.field.clone()));
        }
        total += a.size;
    }
    if total > max_message_bytes {
        return Err(Error::new(
            ErrorCode::MessageTooLarge,
            format!(
                "The attachments total {total} bytes, over the maximum message size of {max_message_bytes} bytes (maxMessageBytes). Exchange Online refuses messages over the mailbox's maximum send size (35 MB by default, at most 150 MB)."
            ),
        )
        .with_field("attachments"));
    }
    Ok(if check_inline_limits(msg).is_ok() {
        SendPath::SendMail
    } else {
        SendPath::Draft
    })
}

/// The draft body: every message field and header, no attachments.
pub(crate) fn draft_message(msg: &ValidatedMessage) -> WireMessage {
    send_mail_request(msg, Vec::new()).message
}

/// Checks, before anything is read or sent, that the message fits Graph's single-request
/// limits: every attachment under 3 MiB and the base64 total under 4 MiB.
pub fn check_inline_limits(msg: &ValidatedMessage) -> Result<()> {
    let mut total: u64 = 0;
    for a in &msg.attachments {
        if a.size >= MAX_INLINE_ATTACHMENT_BYTES {
            return Err(Error::new(
                ErrorCode::AttachmentTooLarge,
                format!(
                    "Attachment '{}' is {} bytes; Graph accepts attachments under 3 MB (3,145,728 bytes) in one sendMail request. Larger files need Graph's upload-session path, which this version of GraphMail does not implement yet: send the file as a link, or split it.",
                    a.name, a.size
                ),
            )
            .with_field(a.field.clone()));
        }
        total += base64_len(a.size);
    }
    if total >= MAX_REQUEST_BYTES {
        return Err(too_large(total));
    }
    Ok(())
}

fn too_large(bytes: u64) -> Error {
    Error::new(
        ErrorCode::MessageTooLarge,
        format!(
            "The sendMail request would be about {bytes} bytes; Graph accepts at most 4 MB (4,194,304 bytes) per request, and attachments grow by a third when base64-encoded. Send fewer or smaller attachments."
        ),
    )
    .with_field("attachments")
}

fn base64_len(n: u64) -> u64 {
    n.div_ceil(3) * 4
}

fn recipient(m: &Mailbox) -> Recipient {
    Recipient {
        email_address: EmailAddress {
            address: m.address.clone(),
            name: m.name.clone(),
        },
    }
}

/// Reads a file as standard base64, a chunk at a time (the raw file is never held whole).
fn read_base64(path: &Path) -> std::io::Result<(String, u64)> {
    const CHUNK: usize = 48 * 1024; // a multiple of 3, so chunks encode without padding
    let mut file = std::fs::File::open(path)?;
    let mut out = String::new();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let mut filled = 0;
        while filled < CHUNK {
            let n = file.read(&mut buf[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        total += filled as u64;
        base64::engine::general_purpose::STANDARD.encode_string(&buf[..filled], &mut out);
        if filled < CHUNK {
            break;
        }
    }
    Ok((out, total))
}

pub(crate) fn read_attachment(a: &AttachmentFile) -> Result<(FileAttachment, u64)> {
    let (content_bytes, size) = read_base64(&a.path).map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            ErrorCode::AttachmentNotFound
        } else {
            ErrorCode::AttachmentUnreadable
        };
        Error::new(
            code,
            format!(
                "Attachment '{}' cannot be read: {}.",
                a.path.display(),
                io_reason(&e)
            ),
        )
        .with_field(a.field.clone())
        .with_source(e)
    })?;
    if size >= MAX_INLINE_ATTACHMENT_BYTES {
        return Err(Error::new(
            ErrorCode::AttachmentTooLarge,
            format!("Attachment '{}' grew to {size} bytes while being read; Graph accepts attachments under 3 MB in one request.", a.name),
        )
        .with_field(a.field.clone()));
    }
    Ok((
        FileAttachment {
            odata_type: FILE_ATTACHMENT_TYPE,
            name: a.name.clone(),
            content_type: a.content_type,
            content_bytes,
            is_inline: a.content_id.is_some(),
            content_id: a.content_id.clone(),
        },
        size,
    ))
}

/// A sendMail request body, ready to post, and what it holds.
#[derive(Debug)]
pub struct PreparedSendMail {
    /// The JSON body.
    pub body: Vec<u8>,
    /// Attachments as sent: name, size, content type.
    pub attachments: Vec<SentAttachment>,
}

/// One attachment as it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentAttachment {
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type.
    pub content_type: &'static str,
}

/// Builds the sendMail JSON body for a validated message, reading attachment files.
/// The body validates against the official schema's `microsoft.graph.user.sendMail.requestBody`.
pub fn prepare_send_mail(msg: &ValidatedMessage) -> Result<PreparedSendMail> {
    check_inline_limits(msg)?;
    let mut attachments = Vec::with_capacity(msg.attachments.len());
    let mut sent = Vec::with_capacity(msg.attachments.len());
    for a in &msg.attachments {
        let (wire, size) = read_attachment(a)?;
        sent.push(SentAttachment {
            name: a.name.clone(),
            size,
            content_type: a.content_type,
        });
        attachments.push(wire);
    }
    let request = send_mail_request(msg, attachments);
    let body = serde_json::to_vec(&request).map_err(|e| {
        Error::new(
            ErrorCode::Internal,
            "Could not serialize the sendMail request.",
        )
        .with_source(e)
    })?;
    if body.len() as u64 >= MAX_REQUEST_BYTES {
        return Err(too_large(body.len() as u64));
    }
    Ok(PreparedSendMail {
        body,
        attachments: sent,
    })
}

/// The sendMail request body for a validated message with the given attachment objects.
fn send_mail_request(msg: &ValidatedMessage, attachments: Vec<FileAttachment>) -> SendMailRequest {
    SendMailRequest {
        message: WireMessage {
            subject: msg.subject.clone(),
            body: msg.body.as_ref().map(|content| ItemBody {
                content_type: if msg.body_as_html { "html" } else { "text" },
                content: content.clone(),
            }),
            from: Some(recipient(&msg.from)),
            to_recipients: msg.to.iter().map(recipient).collect(),
            cc_recipients: msg.cc.iter().map(recipient).collect(),
            bcc_recipients: msg.bcc.iter().map(recipient).collect(),
            reply_to: msg.reply_to.iter().map(recipient).collect(),
            importance: Some(msg.priority.importance()),
            is_delivery_receipt_requested: msg.delivery_receipt.then_some(true),
            internet_message_headers: msg
                .headers
                .iter()
                .map(|(name, value)| InternetMessageHeader {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            attachments,
        },
        save_to_sent_items: (!msg.save_to_sent_items).then_some(false),
    }
}

/// The sendMail URL for a sender: `{graph}/v1.0/users/{from}/sendMail`.
pub fn send_mail_url(graph_endpoint: &str, from: &Mailbox) -> String {
    format!(
        "{graph_endpoint}/v1.0/users/{}/sendMail",
        path_segment(&from.address)
    )
}

/// What `sendMail` would be sent for `msg` — method, URL, JSON body and warnings — without
/// reading attachment contents or sending anything (`-WhatIf`). Each attachment's
/// `contentBytes` is a placeholder naming its size. The size limits are checked as for a send.
pub fn preview_send_mail(
    msg: &ValidatedMessage,
    graph_endpoint: &str,
    max_message_bytes: u64,
) -> Result<Value> {
    if plan_send(msg, max_message_bytes)? == SendPath::Draft {
        return Ok(preview_draft(msg, graph_endpoint));
    }
    let attachments = msg
        .attachments
        .iter()
        .map(|a| FileAttachment {
            odata_type: FILE_ATTACHMENT_TYPE,
            name: a.name.clone(),
            content_type: a.content_type,
            content_bytes: format!("<base64 of {} bytes, read when sent>", a.size),
            is_inline: a.content_id.is_some(),
            content_id: a.content_id.clone(),
        })
        .collect();
    let body = serde_json::to_value(send_mail_request(msg, attachments)).map_err(|e| {
        Error::new(
            ErrorCode::Internal,
            "Could not serialize the sendMail request.",
        )
        .with_source(e)
    })?;
    Ok(json!({
        "path": "sendMail",
        "method": "POST",
        "url": send_mail_url(graph_endpoint, &msg.from),
        "body": body,
        "attachments": msg.attachments.iter().map(|a| json!({
            "name": a.name, "size": a.size, "contentType": a.content_type,
            "path": a.path.display().to_string(),
        })).collect::<Vec<_>>(),
        "warnings": warnings_json(&msg.warnings),
    }))
}

/// The preview of the draft path: the draft request, then one step per attachment.
fn preview_draft(msg: &ValidatedMessage, graph_endpoint: &str) -> Value {
    let messages = format!(
        "{graph_endpoint}/v1.0/users/{}/messages",
        path_segment(&msg.from.address)
    );
    let mut warnings = msg.warnings.clone();
    warnings.extend(draft_warnings(msg));
    json!({
        "path": "draft",
        "method": "POST",
        "url": messages,
        "body": serde_json::to_value(draft_message(msg)).unwrap_or(Value::Null),
        "attachments": msg.attachments.iter().map(|a| json!({
            "name": a.name, "size": a.size, "contentType": a.content_type,
            "path": a.path.display().to_string(),
            "isInline": a.content_id.is_some(),
            "upload": if a.size < MAX_INLINE_ATTACHMENT_BYTES { "POST {draft}/attachments" } else { "createUploadSession + PUT chunks" },
        })).collect::<Vec<_>>(),
        "then": format!("POST {messages}/{{draft id}}/send"),
        "warnings": warnings_json(&warnings),
    })
}

/// Warnings that apply only to the draft path.
pub(crate) fn draft_warnings(msg: &ValidatedMessage) -> Vec<Warning> {
    let mut out = Vec::new();
    if !msg.save_to_sent_items {
        out.push(Warning {
            code: "SaveToSentItemsIgnored",
            level: crate::message::WarningLevel::Warning,
            message: "saveToSentItems=false cannot be honoured: messages with attachments of 3 MB or more are sent through a draft, and Graph always keeps a copy of a sent draft in Sent Items.".to_string(),
        });
    }
    out
}

/// Warnings as JSON: `[{"code", "message", "level"}]`.
pub(crate) fn warnings_json(warnings: &[Warning]) -> Value {
    warnings
        .iter()
        .map(|w| json!({"code": w.code, "message": w.message, "level": w.level.as_str()}))
        .collect()
}

/// What a successful send did. [`SendReport::to_json`] is the C ABI's success result.
#[derive(Debug, Clone, PartialEq)]
pub struct SendReport {
    /// `"sendMail"` (one request) or `"draft"` (draft + attachments/upload sessions + send).
    pub path: &'static str,
    /// HTTP status Graph answered (202).
    pub http_status: u16,
    /// Graph's `request-id` response header.
    pub request_id: Option<String>,
    /// The `client-request-id` GraphMail sent.
    pub client_request_id: String,
    /// Sending mailbox.
    pub from: String,
    /// To addresses.
    pub to: Vec<String>,
    /// Cc addresses.
    pub cc: Vec<String>,
    /// Bcc addresses.
    pub bcc: Vec<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Attachments sent.
    pub attachments: Vec<SentAttachment>,
    /// Whether a copy was requested in Sent Items.
    pub save_to_sent_items: bool,
    /// Size of the request body in bytes.
    pub request_bytes: usize,
    /// Things that could not be honoured exactly.
    pub warnings: Vec<Warning>,
}

impl SendReport {
    /// The report as JSON (`status` is `"sent"`: Graph accepted the message with 202 Accepted).
    pub fn to_json(&self) -> Value {
        json!({
            "status": "sent",
            "path": self.path,
            "httpStatus": self.http_status,
            "requestId": self.request_id,
            "clientRequestId": self.client_request_id,
            "from": self.from,
            "to": self.to,
            "cc": self.cc,
            "bcc": self.bcc,
            "subject": self.subject,
            "attachments": self.attachments.iter().map(|a| json!({
                "name": a.name, "size": a.size, "contentType": a.content_type
            })).collect::<Vec<_>>(),
            "saveToSentItems": self.save_to_sent_items,
            "requestBytes": self.request_bytes,
            "warnings": warnings_json(&self.warnings),
        })
    }
}

/// Addresses of a list, for reports.
pub(crate) fn addresses(list: &[Mailbox]) -> Vec<String> {
    list.iter().map(|m| m.address.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    #[test]
    fn base64_streaming_matches_one_shot() {
        let dir = tempfile::tempdir().unwrap();
        for len in [
            0usize,
            1,
            2,
            3,
            48 * 1024 - 1,
            48 * 1024,
            48 * 1024 + 1,
            200_001,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let p = dir.path().join(format!("f{len}"));
            std::fs::write(&p, &data).unwrap();
            let (b64, n) = read_base64(&p).unwrap();
            assert_eq!(n as usize, len);
            assert_eq!(b64, base64::engine::general_purpose::STANDARD.encode(&data));
        }
    }

    #[test]
    fn limits_are_checked_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.bin");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_INLINE_ATTACHMENT_BYTES).unwrap();
        let m = Message {
            from: "a@contoso.com".into(),
            to: vec!["b@contoso.com".into()],
            attachments: vec![big],
            ..Message::default()
        };
        let v = m.validate().unwrap();
        assert_eq!(
            prepare_send_mail(&v).unwrap_err().code(),
            ErrorCode::AttachmentTooLarge
        );

        let mut parts = Vec::new();
        for i in 0..2 {
            let p = dir.path().join(format!("part{i}.bin"));
            std::fs::File::create(&p)
                .unwrap()
                .set_len(1_700_000)
                .unwrap();
            parts.push(p);
        }
        let m = Message {
            attachments: parts,
            ..m
        };
        let v = m.validate().unwrap();
        assert_eq!(
            prepare_send_mail(&v).unwrap_err().code(),
            ErrorCode::MessageTooLarge
        );
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("a.b+c@contoso.com"), "a.b+c@contoso.com");
        assert_eq!(
            path_segment("o'brien/x@contoso.com"),
            "o%27brien%2Fx@contoso.com"
        );
    }
}
