//! The outgoing message of a `sendMail` request (or of a draft being created or sent) and the
//! Exchange rules Graph applies to it beyond the JSON schema (custom header rules, recipients,
//! attachment content).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::attachments::StoredAttachment;
use crate::http::printable;

/// Most custom headers Graph accepts in one message.
pub(crate) const MAX_INTERNET_MESSAGE_HEADERS: usize = 5;
/// Most recipients (to + cc + bcc) Exchange Online accepts in one message.
pub(crate) const MAX_RECIPIENTS: usize = 500;

/// A Graph rule a schema-valid `sendMail` body broke: HTTP status, Graph error code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleViolation {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl RuleViolation {
    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        RuleViolation {
            status: 400,
            code,
            message: message.into(),
        }
    }
}

/// A mail address with an optional display name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Address {
    pub(crate) name: Option<String>,
    pub(crate) address: String,
}

/// `text` or `html`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Text,
    Html,
}

/// `low`, `normal` or `high`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Importance {
    Low,
    Normal,
    High,
}

/// What an attachment holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AttachmentContent {
    /// A `fileAttachment`'s decoded `contentBytes`.
    File(Vec<u8>),
    /// An `itemAttachment`'s `item` (an Outlook item as JSON).
    Item(Value),
    /// A `referenceAttachment` (v1.0 gives it no content or target).
    Reference,
    /// Content already stored on disk (draft attachments, upload sessions); streamed when the
    /// `.eml` is written.
    Stored(Box<StoredAttachment>),
}

/// One attachment of the message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attachment {
    pub(crate) name: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) is_inline: bool,
    pub(crate) content_id: Option<String>,
    pub(crate) content: AttachmentContent,
}

impl Attachment {
    /// Size in bytes as Graph reports it (decoded content; JSON length for item attachments).
    pub(crate) fn size(&self) -> usize {
        match &self.content {
            AttachmentContent::File(bytes) => bytes.len(),
            AttachmentContent::Item(item) => item.to_string().len(),
            AttachmentContent::Reference => 0,
            AttachmentContent::Stored(stored) => usize::try_from(stored.size).unwrap_or(usize::MAX),
        }
    }
}

/// The message of a valid `sendMail` request, in the shape the `.eml` renderer needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OutgoingMail {
    pub(crate) subject: Option<String>,
    pub(crate) body_kind: BodyKind,
    pub(crate) body: String,
    pub(crate) from: Option<Address>,
    pub(crate) to: Vec<Address>,
    pub(crate) cc: Vec<Address>,
    pub(crate) bcc: Vec<Address>,
    pub(crate) reply_to: Vec<Address>,
    pub(crate) importance: Importance,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) delivery_receipt_requested: bool,
    pub(crate) read_receipt_requested: bool,
    pub(crate) attachments: Vec<Attachment>,
}

/// A checked `sendMail` request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SendMailRequest {
    /// The (normalized) message object.
    pub(crate) message: Map<String, Value>,
    /// The message in typed form.
    pub(crate) mail: OutgoingMail,
    /// `saveToSentItems` (default `true`).
    pub(crate) save_to_sent_items: bool,
}

/// Apply Graph's rules to a normalized, schema-valid `sendMail` body, in this order: custom
/// headers, recipients, attachment content.
pub(crate) fn check_send_mail(body: &Value) -> Result<SendMailRequest, RuleViolation> {
    let message = body
        .get("message")
        .or_else(|| body.get("Message"))
        .and_then(Value::as_object)
        .ok_or_else(|| {
            RuleViolation::bad_request("ErrorInvalidRequest", "The message parameter is missing.")
        })?;
    let save_to_sent_items = body
        .get("saveToSentItems")
        .or_else(|| body.get("SaveToSentItems"))
        .and_then(Value::as_bool)
        .unwrap_or(true);

    let mail = check_message(message, true, true)?;
    Ok(SendMailRequest {
        message: message.clone(),
        mail,
        save_to_sent_items,
    })
}

/// Apply Graph's rules to a normalized, schema-valid message object: custom headers (at most
/// five when `header_limit`; MIME mode has no such limit), then recipients (when
/// `with_recipients`; a draft may be created without them), then attachment content. Returns
/// the message in typed form.
pub(crate) fn check_message(
    message: &Map<String, Value>,
    with_recipients: bool,
    header_limit: bool,
) -> Result<OutgoingMail, RuleViolation> {
    let headers = check_headers(message.get("internetMessageHeaders"), header_limit)?;

    let to = addresses(message.get("toRecipients"));
    let cc = addresses(message.get("ccRecipients"));
    let bcc = addresses(message.get("bccRecipients"));
    if with_recipients {
        check_recipients(&to, &cc, &bcc)?;
    }

    let attachments = check_attachments(message.get("attachments"))?;

    let body_obj = message.get("body");
    let body_kind = match body_obj
        .and_then(|b| b.get("contentType"))
        .and_then(Value::as_str)
    {
        Some("html") => BodyKind::Html,
        _ => BodyKind::Text,
    };
    let importance = match message.get("importance").and_then(Value::as_str) {
        Some("low") => Importance::Low,
        Some("high") => Importance::High,
        _ => Importance::Normal,
    };
    Ok(OutgoingMail {
        subject: message
            .get("subject")
            .and_then(Value::as_str)
            .map(str::to_string),
        body_kind,
        body: body_obj
            .and_then(|b| b.get("content"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        from: message.get("from").and_then(address),
        to,
        cc,
        bcc,
        reply_to: addresses(message.get("replyTo")),
        importance,
        headers,
        delivery_receipt_requested: flag(message, "isDeliveryReceiptRequested"),
        read_receipt_requested: flag(message, "isReadReceiptRequested"),
        attachments,
    })
}

/// The recipient rules alone (no recipients, more than 500, unresolvable addresses).
pub(crate) fn check_mail_recipients(mail: &OutgoingMail) -> Result<(), RuleViolation> {
    check_recipients(&mail.to, &mail.cc, &mail.bcc)
}

fn flag(message: &Map<String, Value>, key: &str) -> bool {
    message.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn address(recipient: &Value) -> Option<Address> {
    let email = recipient.get("emailAddress")?;
    Some(Address {
        name: email
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        address: email
            .get("address")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

fn addresses(list: Option<&Value>) -> Vec<Address> {
    list.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|r| address(r).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

fn check_headers(
    list: Option<&Value>,
    limit: bool,
) -> Result<Vec<(String, String)>, RuleViolation> {
    let items = list
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if limit && items.len() > MAX_INTERNET_MESSAGE_HEADERS {
        return Err(RuleViolation::bad_request(
            "InvalidInternetMessageHeaderCollection",
            "Maximum number of headers in one message should be less than or equal to 5.",
        ));
    }
    let mut headers = Vec::with_capacity(items.len());
    for item in items {
        let name = item.get("name").and_then(Value::as_str).unwrap_or_default();
        let value = item
            .get("value")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let prefixed = name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("x-"));
        if !prefixed {
            return Err(RuleViolation::bad_request(
                "InvalidInternetMessageHeader",
                format!(
                    "The internet message header name '{}' should start with 'x-' or 'X-'.",
                    printable(name)
                ),
            ));
        }
        // RFC 5322 field name: printable ASCII except ':'.
        if name.len() < 3 || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
            return Err(RuleViolation::bad_request(
                "InvalidInternetMessageHeader",
                format!(
                    "The internet message header name '{}' is not a valid header name.",
                    printable(name)
                ),
            ));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(RuleViolation::bad_request(
                "InvalidInternetMessageHeader",
                format!(
                    "The value of internet message header '{name}' contains control characters."
                ),
            ));
        }
        headers.push((name.to_string(), value.to_string()));
    }
    Ok(headers)
}

fn check_recipients(to: &[Address], cc: &[Address], bcc: &[Address]) -> Result<(), RuleViolation> {
    let total = to.len() + cc.len() + bcc.len();
    if total == 0 {
        return Err(RuleViolation::bad_request(
            "ErrorInvalidRecipients",
            "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
        ));
    }
    if total > MAX_RECIPIENTS {
        return Err(RuleViolation::bad_request(
            "ErrorInvalidRecipients",
            format!(
                "At least one recipient isn't valid., The message has {total} recipients; \
                 the maximum number of recipients per message is {MAX_RECIPIENTS}."
            ),
        ));
    }
    if let Some(bad) = to
        .iter()
        .chain(cc)
        .chain(bcc)
        .find(|a| !is_resolvable(&a.address))
    {
        let shown = if bad.address.is_empty() {
            bad.name.as_deref().unwrap_or_default()
        } else {
            &bad.address
        };
        return Err(RuleViolation::bad_request(
            "ErrorInvalidRecipients",
            format!(
                "At least one recipient isn't valid., Recipient '{}' isn't resolved. \
                 All recipients must be resolved before a message can be submitted.",
                printable(shown)
            ),
        ));
    }
    Ok(())
}

/// Whether `address` looks deliverable: exactly one `@`, a non-empty local part without
/// spaces or address-list punctuation, and a dotted domain (or `localhost`).
pub(crate) fn is_resolvable(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    if local.is_empty() || domain.contains('@') {
        return false;
    }
    let local_ok = local
        .chars()
        .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[]\\,;:\"".contains(c));
    if !local_ok || local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return false;
    }
    if domain.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// Decode the attachments of a message (or of an add-attachment request as a one-item list):
/// file content must be standard base64.
pub(crate) fn check_attachments(list: Option<&Value>) -> Result<Vec<Attachment>, RuleViolation> {
    let items = list
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut attachments = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let kind = item
            .get("@odata.type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim_start_matches('#');
        let name = item.get("name").and_then(Value::as_str).map(str::to_string);
        let content = match kind {
            "microsoft.graph.fileAttachment" => {
                let encoded = item
                    .get("contentBytes")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        RuleViolation::bad_request(
                            "ErrorInvalidRequest",
                            format!("The attachment at index {index} has no contentBytes."),
                        )
                    })?;
                AttachmentContent::File(decode_base64(encoded).ok_or_else(|| {
                    RuleViolation::bad_request(
                        "ErrorInvalidRequest",
                        format!(
                            "The contentBytes of the attachment at index {index} is not a valid \
                             base64 string."
                        ),
                    )
                })?)
            }
            "microsoft.graph.itemAttachment" => {
                AttachmentContent::Item(item.get("item").cloned().unwrap_or(Value::Null))
            }
            _ => AttachmentContent::Reference,
        };
        attachments.push(Attachment {
            name,
            content_type: item
                .get("contentType")
                .and_then(Value::as_str)
                .map(str::to_string),
            is_inline: item
                .get("isInline")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            content_id: item
                .get("contentId")
                .and_then(Value::as_str)
                .map(str::to_string),
            content,
        });
    }
    Ok(attachments)
}

/// Decode standard (RFC 4648 section 4, padded) base64, ignoring line breaks and spaces.
pub(crate) fn decode_base64(encoded: &str) -> Option<Vec<u8>> {
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD.decode(compact).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn recipient(a: &str) -> Value {
        json!({"emailAddress": {"address": a}})
    }

    fn body_with(message: Value) -> Value {
        json!({ "message": message })
    }

    #[test]
    fn accepts_a_full_message() {
        let req = check_send_mail(&json!({
            "message": {
                "subject": "Hi",
                "body": {"contentType": "html", "content": "<b>x</b>"},
                "from": {"emailAddress": {"address": "alerts@contoso.test", "name": "Alerts"}},
                "toRecipients": [recipient("a@b.test")],
                "ccRecipients": [recipient("c@localhost")],
                "bccRecipients": [recipient("d@e.example.org")],
                "importance": "high",
                "isDeliveryReceiptRequested": true,
                "internetMessageHeaders": [{"name": "X-Job", "value": "42"}],
                "attachments": [{"@odata.type": "#microsoft.graph.fileAttachment",
                    "name": "a.txt", "contentBytes": "SGVsbG8gV29ybGQh"}]
            },
            "saveToSentItems": false
        }))
        .expect("valid");
        assert!(!req.save_to_sent_items);
        assert_eq!(req.mail.body_kind, BodyKind::Html);
        assert_eq!(req.mail.importance, Importance::High);
        assert_eq!(
            req.mail.to.len() + req.mail.cc.len() + req.mail.bcc.len(),
            3
        );
        assert_eq!(
            req.mail.attachments[0].content,
            AttachmentContent::File(b"Hello World!".to_vec())
        );
        assert_eq!(req.mail.attachments[0].size(), 12);
        assert_eq!(
            req.mail.from.as_ref().and_then(|f| f.name.as_deref()),
            Some("Alerts")
        );
        assert!(req.mail.delivery_receipt_requested);
    }

    #[test]
    fn too_many_headers() {
        let headers: Vec<Value> = (0..6)
            .map(|i| json!({"name": format!("x-h{i}"), "value": "v"}))
            .collect();
        let err = check_send_mail(&body_with(json!({
            "toRecipients": [recipient("a@b.test")], "internetMessageHeaders": headers
        })))
        .expect_err("6 headers");
        assert_eq!(err.code, "InvalidInternetMessageHeaderCollection");
        assert_eq!(
            err.message,
            "Maximum number of headers in one message should be less than or equal to 5."
        );
    }

    #[test]
    fn header_rules() {
        for (name, value) in [
            ("Priority", "1"),
            ("x", "v"),
            ("X-Bad Name", "v"),
            ("x-ok", "a\r\nBcc: evil@x.test"),
        ] {
            let err = check_send_mail(&body_with(json!({
                "toRecipients": [recipient("a@b.test")],
                "internetMessageHeaders": [{"name": name, "value": value}]
            })))
            .expect_err(name);
            assert_eq!(err.code, "InvalidInternetMessageHeader", "{name}");
        }
        check_send_mail(&body_with(json!({
            "toRecipients": [recipient("a@b.test")],
            "internetMessageHeaders": [{"name": "X-Custom", "value": "ok"}]
        })))
        .expect("X- prefix in capitals is fine");
    }

    #[test]
    fn recipient_rules() {
        let err = check_send_mail(&body_with(json!({"subject": "x", "toRecipients": []})))
            .expect_err("none");
        assert_eq!(err.code, "ErrorInvalidRecipients");
        assert!(err.message.contains("contains no recipients"));

        let many: Vec<Value> = (0..501)
            .map(|i| recipient(&format!("u{i}@b.test")))
            .collect();
        let err = check_send_mail(&body_with(json!({"toRecipients": many}))).expect_err("501");
        assert_eq!(err.code, "ErrorInvalidRecipients");
        let five_hundred: Vec<Value> = (0..500)
            .map(|i| recipient(&format!("u{i}@b.test")))
            .collect();
        check_send_mail(&body_with(json!({"toRecipients": five_hundred})))
            .expect("500 is the limit");

        let err = check_send_mail(&body_with(json!({
            "toRecipients": [recipient("a@b.test")], "ccRecipients": [recipient("a@b.test; c@d.test")]
        })))
        .expect_err("joined");
        assert_eq!(
            err.message,
            "At least one recipient isn't valid., Recipient 'a@b.test; c@d.test' isn't resolved. \
             All recipients must be resolved before a message can be submitted."
        );
    }

    #[test]
    fn address_shapes() {
        for good in [
            "a@b.test",
            "first.last+tag@sub.example.co.uk",
            "x@localhost",
            "ü@bücher.example",
        ] {
            assert!(is_resolvable(good), "{good}");
        }
        for bad in [
            "",
            "a",
            "a@",
            "@b.test",
            "a@b",
            "a@@b.test",
            "a@b@c.test",
            "a b@c.test",
            "a@b..test",
            "a@-b.test",
            "a@b.test,",
            "<a@b.test>",
        ] {
            assert!(!is_resolvable(bad), "{bad}");
        }
    }

    #[test]
    fn attachment_base64_must_be_standard() {
        let attach = |bytes: &str| {
            body_with(
                json!({"toRecipients": [recipient("a@b.test")], "attachments": [{
                "@odata.type": "#microsoft.graph.fileAttachment", "name": "a", "contentBytes": bytes}]}),
            )
        };
        for bad in ["SGVsbG8", "SGVsbG8_", "*not base64*"] {
            let err = check_send_mail(&attach(bad)).expect_err(bad);
            assert_eq!(err.code, "ErrorInvalidRequest", "{bad}");
        }
        let ok = check_send_mail(&attach("SGVs\r\nbG8=")).expect("line breaks are ignored");
        assert_eq!(
            ok.mail.attachments[0].content,
            AttachmentContent::File(b"Hello".to_vec())
        );
    }
}
