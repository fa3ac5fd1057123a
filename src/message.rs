//! [`Message`]: a mail shaped like `Send-MailMessage`'s parameters, parsed from the C ABI's
//! message JSON or built in Rust, and [`Message::validate`], which checks everything that can
//! be checked locally before any request is made.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::address::Mailbox;
use crate::config::truncate_for_message;
use crate::content_type;
use crate::error::{Error, ErrorCode, Result};

/// Graph accepts at most this many custom (`x-`) headers per message.
pub const MAX_HEADERS: usize = 5;
/// Exchange Online accepts at most this many recipients (to + cc + bcc) per message.
pub const MAX_RECIPIENTS: usize = 500;
/// An attachment must be smaller than this to go inline in a sendMail request (3 MiB).
pub const MAX_INLINE_ATTACHMENT_BYTES: u64 = 3 * 1024 * 1024;
/// Graph's request size limit (4 MiB); the whole sendMail JSON must stay under it.
pub const MAX_REQUEST_BYTES: u64 = 4 * 1024 * 1024;

/// `Send-MailMessage -Priority`: Normal, Low or High (maps to Graph `importance`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Priority {
    /// Normal importance (the default).
    #[default]
    Normal,
    /// Low importance.
    Low,
    /// High importance.
    High,
}

impl Priority {
    /// Graph's `importance` value.
    pub fn importance(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::Low => "low",
            Priority::High => "high",
        }
    }
}

impl FromStr for Priority {
    type Err = Error;
    /// Case-insensitive `Normal`, `Low`, `High` (also `0`, `1`, `2`, as `MailPriority` numbers them).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "normal" | "0" => Ok(Priority::Normal),
            "low" | "1" => Ok(Priority::Low),
            "high" | "2" => Ok(Priority::High),
            _ => Err(Error::new(
                ErrorCode::InvalidPriority,
                format!(
                    "Priority '{}' is not valid: use Normal, Low or High.",
                    truncate_for_message(s)
                ),
            )
            .with_field("priority")),
        }
    }
}

/// One `Send-MailMessage -DeliveryNotificationOption` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryNotification {
    /// No notification (the default).
    None,
    /// Notify on successful delivery: maps to Graph `isDeliveryReceiptRequested`.
    OnSuccess,
    /// Notify on failure: no Graph equivalent (Exchange sends a non-delivery report anyway).
    OnFailure,
    /// Notify on delay: no Graph equivalent.
    Delay,
    /// Never notify: no Graph equivalent (Exchange still sends non-delivery reports).
    Never,
}

impl FromStr for DeliveryNotification {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(DeliveryNotification::None),
            "onsuccess" => Ok(DeliveryNotification::OnSuccess),
            "onfailure" => Ok(DeliveryNotification::OnFailure),
            "delay" => Ok(DeliveryNotification::Delay),
            "never" => Ok(DeliveryNotification::Never),
            _ => Err(Error::new(
                ErrorCode::InvalidDeliveryNotificationOption,
                format!(
                    "DeliveryNotificationOption '{}' is not valid: use None, OnSuccess, OnFailure, Delay or Never.",
                    truncate_for_message(s)
                ),
            )
            .with_field("deliveryNotificationOption")),
        }
    }
}

/// A mail to send, shaped like `Send-MailMessage`'s parameters. Address fields hold the text the
/// user wrote (`"Name <addr>"`, bare addresses, or comma/semicolon-separated lists); they are
/// parsed by [`Message::validate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The sending mailbox (`-From`); mail is posted to `/users/{from}/sendMail`.
    pub from: String,
    /// `-To` recipients.
    pub to: Vec<String>,
    /// `-Cc` recipients.
    pub cc: Vec<String>,
    /// `-Bcc` recipients.
    pub bcc: Vec<String>,
    /// `-ReplyTo` addresses.
    pub reply_to: Vec<String>,
    /// `-Subject`.
    pub subject: Option<String>,
    /// `-Body`.
    pub body: Option<String>,
    /// `-BodyAsHtml`: the body is HTML rather than plain text.
    pub body_as_html: bool,
    /// `-Priority`.
    pub priority: Priority,
    /// `-DeliveryNotificationOption` flags.
    pub delivery_notification: Vec<DeliveryNotification>,
    /// Custom internet headers (names must start with `x-`; at most 5).
    pub headers: Vec<(String, String)>,
    /// Save a copy in the sender's Sent Items (default `true`).
    pub save_to_sent_items: bool,
    /// `-Attachments`: file paths (relative paths resolve against the process's working directory).
    pub attachments: Vec<PathBuf>,
    /// Inline images: (content id, file path) pairs, referenced from the HTML body as `cid:<id>`.
    pub inline_attachments: Vec<(String, PathBuf)>,
    /// `-SmtpServer` (or `$PSEmailServer`): accepted so existing scripts keep working; not used.
    pub smtp_server: Option<String>,
    /// `-Port`: accepted; not used.
    pub port: Option<u32>,
    /// `-UseSsl`: accepted; not used (Graph is always reached over TLS 1.2+).
    pub use_ssl: Option<bool>,
    /// `-Encoding` (a name such as `us-ascii` or `utf-8`): accepted; text is always sent as UTF-8.
    pub encoding: Option<String>,
}

impl Default for Message {
    fn default() -> Self {
        Message {
            from: String::new(),
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            reply_to: Vec::new(),
            subject: None,
            body: None,
            body_as_html: false,
            priority: Priority::Normal,
            delivery_notification: Vec::new(),
            headers: Vec::new(),
            save_to_sent_items: true,
            attachments: Vec::new(),
            inline_attachments: Vec::new(),
            smtp_server: None,
            port: None,
            use_ssl: None,
            encoding: None,
        }
    }
}

/// The message keys of the C ABI's message JSON.
pub const MESSAGE_KEYS: &[&str] = &[
    "from",
    "to",
    "cc",
    "bcc",
    "replyTo",
    "subject",
    "body",
    "bodyAsHtml",
    "priority",
    "deliveryNotificationOption",
    "headers",
    "saveToSentItems",
    "attachments",
    "inlineAttachments",
    "smtpServer",
    "port",
    "useSsl",
    "encoding",
];

impl Message {
    /// Parses the message JSON of the C ABI. Keys are the camelCase names in [`MESSAGE_KEYS`];
    /// address lists and `attachments` take a string or an array of strings; `headers` is an
    /// object of name/value strings. Unknown keys are rejected.
    pub fn from_json(text: &str) -> Result<Message> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Error::new(
                ErrorCode::InvalidJson,
                format!(
                    "The message is not valid JSON (line {}, column {}): {}.",
                    e.line(),
                    e.column(),
                    json_error_reason(&e)
                ),
            )
        })?;
        let Value::Object(map) = value else {
            return Err(Error::new(
                ErrorCode::InvalidMessage,
                "The message must be a JSON object.",
            ));
        };
        Self::from_map(map)
    }

    /// Parses a JSON array of messages (the C ABI's bulk send). The array itself must parse;
    /// each element is parsed on its own, so one bad message keeps its error in its place.
    pub fn list_from_json(text: &str) -> Result<Vec<Result<Message>>> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Error::new(
                ErrorCode::InvalidJson,
                format!(
                    "The message list is not valid JSON (line {}, column {}): {}.",
                    e.line(),
                    e.column(),
                    json_error_reason(&e)
                ),
            )
        })?;
        let Value::Array(items) = value else {
            return Err(Error::new(
                ErrorCode::InvalidMessage,
                "The message list must be a JSON array of message objects.",
            ));
        };
        Ok(items
            .into_iter()
            .map(|item| match item {
                Value::Object(map) => Self::from_map(map),
                _ => Err(Error::new(
                    ErrorCode::InvalidMessage,
                    "The message must be a JSON object.",
                )),
            })
            .collect())
    }

    fn from_map(mut map: Map<String, Value>) -> Result<Message> {
        if let Some(unknown) = map.keys().find(|k| !MESSAGE_KEYS.contains(&k.as_str())) {
            return Err(Error::new(
                ErrorCode::InvalidMessage,
                format!(
                    "Unknown message key '{}'. Known keys: {}.",
                    truncate_for_message(unknown),
                    MESSAGE_KEYS.join(", ")
                ),
            )
            .with_field(unknown.clone()));
        }
        let mut m = Message {
            from: opt_string(&mut map, "from")?.unwrap_or_default(),
            to: string_list(&mut map, "to")?,
            cc: string_list(&mut map, "cc")?,
            bcc: string_list(&mut map, "bcc")?,
            reply_to: string_list(&mut map, "replyTo")?,
            subject: opt_string(&mut map, "subject")?,
            body: opt_string(&mut map, "body")?,
            body_as_html: opt_bool(&mut map, "bodyAsHtml")?.unwrap_or(false),
            save_to_sent_items: opt_bool(&mut map, "saveToSentItems")?.unwrap_or(true),
            attachments: string_list(&mut map, "attachments")?
                .into_iter()
                .map(PathBuf::from)
                .collect(),
            smtp_server: opt_string(&mut map, "smtpServer")?,
            use_ssl: opt_bool(&mut map, "useSsl")?,
            encoding: opt_string(&mut map, "encoding")?,
            ..Message::default()
        };
        match map.remove("inlineAttachments") {
            None | Some(Value::Null) => {}
            Some(Value::Object(items)) => {
                for (cid, path) in items {
                    match path {
                        Value::String(p) => m.inline_attachments.push((cid, PathBuf::from(p))),
                        _ => {
                            return Err(wrong_type(
                                "inlineAttachments",
                                "an object of content ids to file paths",
                            ))
                        }
                    }
                }
            }
            Some(_) => {
                return Err(wrong_type(
                    "inlineAttachments",
                    "an object of content ids to file paths",
                ))
            }
        }
        match map.remove("port") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) if n.as_u64().is_some_and(|p| p <= i32::MAX as u64) => {
                m.port = n.as_u64().map(|p| p as u32)
            }
            Some(_) => return Err(wrong_type("port", "a whole number from 0 to 2147483647")),
        }
        match map.remove("priority") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => m.priority = s.parse()?,
            Some(Value::Number(n)) => m.priority = n.to_string().parse()?,
            Some(_) => return Err(wrong_type("priority", "a string (Normal, Low or High)")),
        }
        for flag in string_list(&mut map, "deliveryNotificationOption")? {
            for part in flag.split(',') {
                m.delivery_notification.push(part.parse()?);
            }
        }
        match map.remove("headers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(h)) => {
                for (name, value) in h {
                    match value {
                        Value::String(v) => m.headers.push((name, v)),
                        _ => {
                            return Err(Error::new(
                                ErrorCode::InvalidHeader,
                                format!(
                                    "The value of header '{}' must be a string.",
                                    truncate_for_message(&name)
                                ),
                            )
                            .with_field(format!("headers.{name}")))
                        }
                    }
                }
            }
            Some(_) => {
                return Err(wrong_type(
                    "headers",
                    "an object of header names to string values",
                ))
            }
        }
        Ok(m)
    }

    /// Checks everything that can be checked locally, in `Send-MailMessage`'s order (From, then
    /// To, Bcc, Cc, ReplyTo, ...), and reads each attachment's size. Nothing is sent; a message
    /// that fails here would have failed at Graph, or would have sent something wrong.
    pub fn validate(&self) -> Result<ValidatedMessage> {
        if self.from.trim().is_empty() {
            return Err(Error::new(
                ErrorCode::MissingFrom,
                "The message has no 'from': set it to the sending mailbox's address.",
            )
            .with_field("from"));
        }
        let from =
            Mailbox::parse(&self.from).map_err(|e| address_error("from", &self.from, e.0))?;
        let to = parse_addresses("to", &self.to)?;
        let bcc = parse_addresses("bcc", &self.bcc)?;
        let cc = parse_addresses("cc", &self.cc)?;
        let reply_to = parse_addresses("replyTo", &self.reply_to)?;
        let recipients = to.len() + cc.len() + bcc.len();
        if recipients == 0 {
            return Err(Error::new(
                ErrorCode::MissingRecipient,
                "The message has no recipient: set 'to' (or 'cc'/'bcc') to at least one address.",
            )
            .with_field("to"));
        }
        if recipients > MAX_RECIPIENTS {
            return Err(Error::new(
                ErrorCode::TooManyRecipients,
                format!(
                    "The message has {recipients} recipients; Exchange Online accepts at most {MAX_RECIPIENTS} per message. Split it into several messages."
                ),
            )
            .with_field("to"));
        }
        let headers = validate_headers(&self.headers)?;

        let mut warnings = Vec::new();
        let mut delivery_receipt = false;
        for flag in &self.delivery_notification {
            match flag {
                DeliveryNotification::None => {}
                DeliveryNotification::OnSuccess => delivery_receipt = true,
                other => warnings.push(Warning {
                    code: "DeliveryNotificationOptionUnsupported",
                    level: WarningLevel::Warning,
                    message: format!(
                        "DeliveryNotificationOption {other:?} has no Graph equivalent and was ignored (Exchange Online sends non-delivery reports to the sender on its own); OnSuccess maps to a delivery receipt."
                    ),
                }),
            }
        }

        warnings.extend(self.smtp_warnings());

        let mut attachments = Vec::with_capacity(self.attachments.len());
        for (i, path) in self.attachments.iter().enumerate() {
            attachments.push(AttachmentFile::inspect(
                path,
                None,
                format!("attachments[{i}]"),
            )?);
        }
        let mut seen_ids: Vec<String> = Vec::new();
        for (cid, path) in &self.inline_attachments {
            let field = format!("inlineAttachments.{cid}");
            let valid = !cid.is_empty()
                && cid.len() <= 200
                && cid
                    .chars()
                    .all(|c| c.is_ascii_graphic() && !"<>\"\\".contains(c));
            if !valid {
                return Err(Error::new(
                    ErrorCode::InvalidMessage,
                    format!(
                        "Inline attachment id '{}' is not valid: use letters, digits and punctuation without spaces or <>, and reference it as cid:<id> in the HTML body.",
                        truncate_for_message(cid)
                    ),
                )
                .with_field(field));
            }
            if seen_ids.iter().any(|s| s.eq_ignore_ascii_case(cid)) {
                return Err(Error::new(
                    ErrorCode::InvalidMessage,
                    format!("Inline attachment id '{cid}' is used twice."),
                )
                .with_field(field));
            }
            seen_ids.push(cid.clone());
            attachments.push(AttachmentFile::inspect(path, Some(cid.clone()), field)?);
        }
        Ok(ValidatedMessage {
            from,
            to,
            cc,
            bcc,
            reply_to,
            subject: self.subject.clone(),
            body: self.body.clone(),
            body_as_html: self.body_as_html,
            priority: self.priority,
            delivery_receipt,
            headers,
            save_to_sent_items: self.save_to_sent_items,
            attachments,
            warnings,
        })
    }
}

impl Message {
    /// Verbose notes for the `Send-MailMessage` SMTP settings that do not apply to Graph.
    fn smtp_warnings(&self) -> Vec<Warning> {
        let verbose = |code, message: String| Warning {
            code,
            message,
            level: WarningLevel::Verbose,
        };
        let mut out = Vec::new();
        if let Some(server) = self.smtp_server.as_deref().filter(|s| !s.trim().is_empty()) {
            out.push(verbose(
                "SmtpServerIgnored",
                format!(
                    "SmtpServer '{}' is not used: GraphMail sends through Microsoft Graph over HTTPS (TLS 1.2+), not SMTP.",
                    truncate_for_message(server)
                ),
            ));
        }
        if let Some(port) = self.port.filter(|p| *p != 0) {
            out.push(verbose(
                "PortIgnored",
                format!("Port {port} is not used: Microsoft Graph is reached over HTTPS."),
            ));
        }
        if self.use_ssl == Some(true) {
            out.push(verbose(
                "UseSslIgnored",
                "UseSsl is not needed: Microsoft Graph is always reached over TLS 1.2 or newer."
                    .to_string(),
            ));
        }
        if let Some(encoding) = self.encoding.as_deref().filter(|e| !e.trim().is_empty()) {
            out.push(verbose(
                "EncodingIgnored",
                format!(
                    "Encoding '{}' is ignored: GraphMail always sends the subject and body as UTF-8.",
                    truncate_for_message(encoding)
                ),
            ));
        }
        out
    }
}

/// A note about something in the message that GraphMail could not honour exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable warning code, e.g. `DeliveryNotificationOptionUnsupported`.
    pub code: &'static str,
    /// What was not honoured, and why.
    pub message: String,
    /// How loudly to tell the user.
    pub level: WarningLevel,
}

/// How loudly a [`Warning`] should be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningLevel {
    /// The result differs from what was asked (PowerShell: `Write-Warning`).
    Warning,
    /// Informational: a setting that does not apply to Graph (PowerShell: `Write-Verbose`).
    Verbose,
}

impl WarningLevel {
    /// `"warning"` or `"verbose"`, as in result JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningLevel::Warning => "warning",
            WarningLevel::Verbose => "verbose",
        }
    }
}

/// An attachment file that exists, with its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    /// The path as given.
    pub path: PathBuf,
    /// The file name sent to Graph.
    pub name: String,
    /// MIME type from the extension.
    pub content_type: &'static str,
    /// Size in bytes when validated.
    pub size: u64,
    /// For an inline attachment, the content id referenced as `cid:` from the HTML body.
    pub content_id: Option<String>,
    /// The input field it came from (`attachments[0]`, `inlineAttachments.logo`), for errors.
    pub field: String,
}

impl AttachmentFile {
    fn inspect(path: &Path, content_id: Option<String>, field: String) -> Result<AttachmentFile> {
        let shown = path.display().to_string();
        if shown.trim().is_empty() {
            return Err(Error::new(
                ErrorCode::AttachmentNotFound,
                "An attachment path is empty.",
            )
            .with_field(field));
        }
        let meta = std::fs::metadata(path).map_err(|e| {
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                ErrorCode::AttachmentNotFound
            } else {
                ErrorCode::AttachmentUnreadable
            };
            Error::new(
                code,
                format!("Attachment '{shown}' cannot be read: {}.", io_reason(&e)),
            )
            .with_field(field.clone())
            .with_source(e)
        })?;
        if !meta.is_file() {
            return Err(Error::new(
                ErrorCode::AttachmentNotFound,
                format!("Attachment '{shown}' is not a file."),
            )
            .with_field(field));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.clone());
        Ok(AttachmentFile {
            content_type: content_type::for_path(path),
            path: path.to_path_buf(),
            name,
            size: meta.len(),
            content_id,
            field,
        })
    }
}

/// A message that passed [`Message::validate`]: addresses parsed, headers checked, attachment
/// files found. This is what the Graph layer maps to wire JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedMessage {
    /// The sending mailbox.
    pub from: Mailbox,
    /// To recipients.
    pub to: Vec<Mailbox>,
    /// Cc recipients.
    pub cc: Vec<Mailbox>,
    /// Bcc recipients.
    pub bcc: Vec<Mailbox>,
    /// Reply-To addresses.
    pub reply_to: Vec<Mailbox>,
    /// Subject.
    pub subject: Option<String>,
    /// Body text.
    pub body: Option<String>,
    /// Body is HTML.
    pub body_as_html: bool,
    /// Priority (importance).
    pub priority: Priority,
    /// `isDeliveryReceiptRequested` (from `OnSuccess`).
    pub delivery_receipt: bool,
    /// Checked custom headers.
    pub headers: Vec<(String, String)>,
    /// Save to Sent Items.
    pub save_to_sent_items: bool,
    /// Attachment files.
    pub attachments: Vec<AttachmentFile>,
    /// Things that could not be honoured exactly.
    pub warnings: Vec<Warning>,
}

fn parse_addresses(field: &str, items: &[String]) -> Result<Vec<Mailbox>> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let list = Mailbox::parse_list(item)
            .map_err(|e| address_error(&format!("{field}[{i}]"), item, e.0))?;
        out.extend(list);
    }
    Ok(out)
}

fn address_error(field: &str, value: &str, reason: &str) -> Error {
    Error::new(
        ErrorCode::InvalidAddress,
        format!(
            "'{}' in {field} is not a valid e-mail address: {reason}.",
            truncate_for_message(value)
        ),
    )
    .with_field(field)
}

fn validate_headers(headers: &[(String, String)]) -> Result<Vec<(String, String)>> {
    if headers.len() > MAX_HEADERS {
        return Err(Error::new(
            ErrorCode::TooManyHeaders,
            format!(
                "The message has {} custom headers; Graph accepts at most {MAX_HEADERS}.",
                headers.len()
            ),
        )
        .with_field("headers"));
    }
    let mut out = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let field = format!("headers.{name}");
        let shown = truncate_for_message(name);
        if !name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("x-")) || name.len() < 3 {
            return Err(Error::new(
                ErrorCode::InvalidHeader,
                format!("Header '{shown}' is not allowed: Graph only accepts custom headers whose names start with 'x-' (for example X-Ticket-Id)."),
            )
            .with_field(field));
        }
        let token_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if !name.chars().all(token_char) {
            return Err(Error::new(
                ErrorCode::InvalidHeader,
                format!("Header name '{shown}' contains a character that is not allowed in a header name (spaces, ':' ...)."),
            )
            .with_field(field));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(Error::new(
                ErrorCode::InvalidHeader,
                format!(
                    "The value of header '{shown}' contains a line break or control character."
                ),
            )
            .with_field(field));
        }
        out.push((name.clone(), value.clone()));
    }
    Ok(out)
}

fn wrong_type(key: &str, expected: &str) -> Error {
    Error::new(
        ErrorCode::InvalidMessage,
        format!("Message key '{key}' must be {expected}."),
    )
    .with_field(key)
}

fn opt_string(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(wrong_type(key, "a string")),
    }
}

fn opt_bool(map: &mut Map<String, Value>, key: &str) -> Result<Option<bool>> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(_) => Err(wrong_type(key, "true or false")),
    }
}

fn string_list(map: &mut Map<String, Value>, key: &str) -> Result<Vec<String>> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s]),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(wrong_type(key, "a string or an array of strings")),
            })
            .collect(),
        Some(_) => Err(wrong_type(key, "a string or an array of strings")),
    }
}

fn json_error_reason(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "the text ends too early",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "read error",
    }
}

pub(crate) fn io_reason(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        _ => "I/O error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> Message {
        Message {
            from: "alerts@contoso.com".into(),
            to: vec!["ops@contoso.com".into()],
            ..Message::default()
        }
    }

    #[test]
    fn json_maps_every_key() {
        let m = Message::from_json(
            r#"{"from":"Alerts <alerts@contoso.com>","to":["a@x.com","B <b@y.com>"],"cc":"c@z.com",
                "bcc":[],"replyTo":"r@x.com","subject":"S","body":"<b>B</b>","bodyAsHtml":true,
                "priority":"high","deliveryNotificationOption":"OnSuccess, OnFailure",
                "headers":{"X-Job":"42"},"saveToSentItems":false,"attachments":"Cargo.toml"}"#,
        )
        .unwrap();
        assert_eq!(m.to.len(), 2);
        assert_eq!(m.priority, Priority::High);
        assert_eq!(
            m.delivery_notification,
            vec![
                DeliveryNotification::OnSuccess,
                DeliveryNotification::OnFailure
            ]
        );
        assert!(!m.save_to_sent_items);
        let v = m.validate().unwrap();
        assert_eq!(v.from.name.as_deref(), Some("Alerts"));
        assert!(v.delivery_receipt);
        assert_eq!(v.warnings.len(), 1);
        assert_eq!(v.warnings[0].code, "DeliveryNotificationOptionUnsupported");
        assert_eq!(v.attachments[0].name, "Cargo.toml");
    }

    #[test]
    fn bad_inputs_have_specific_codes() {
        type Mutation = Box<dyn Fn(&mut Message)>;
        let cases: Vec<(Mutation, ErrorCode)> = vec![
            (Box::new(|m| m.from.clear()), ErrorCode::MissingFrom),
            (
                Box::new(|m| m.from = "not an address".into()),
                ErrorCode::InvalidAddress,
            ),
            (Box::new(|m| m.to.clear()), ErrorCode::MissingRecipient),
            (
                Box::new(|m| m.to = vec!["x@".into()]),
                ErrorCode::InvalidAddress,
            ),
            (
                Box::new(|m| m.headers = vec![("Subject".into(), "x".into())]),
                ErrorCode::InvalidHeader,
            ),
            (
                Box::new(|m| m.headers = vec![("X-A".into(), "a\r\nBcc: x".into())]),
                ErrorCode::InvalidHeader,
            ),
            (
                Box::new(|m| m.headers = (0..6).map(|i| (format!("X-H{i}"), "v".into())).collect()),
                ErrorCode::TooManyHeaders,
            ),
            (
                Box::new(|m| m.to = (0..501).map(|i| format!("u{i}@contoso.com")).collect()),
                ErrorCode::TooManyRecipients,
            ),
            (
                Box::new(|m| m.attachments = vec!["/no/such/file.pdf".into()]),
                ErrorCode::AttachmentNotFound,
            ),
            (
                Box::new(|m| m.attachments = vec!["src".into()]),
                ErrorCode::AttachmentNotFound,
            ),
        ];
        for (mutate, code) in cases {
            let mut m = minimal();
            mutate(&mut m);
            assert_eq!(m.validate().unwrap_err().code(), code, "{m:?}");
        }
    }

    #[test]
    fn smtp_settings_are_accepted_and_reported_as_verbose() {
        let m = Message::from_json(
            r#"{"from":"a@contoso.com","to":"b@contoso.com","smtpServer":"smtp.office365.com",
                "port":587,"useSsl":true,"encoding":"us-ascii","deliveryNotificationOption":"OnFailure"}"#,
        )
        .unwrap();
        let v = m.validate().unwrap();
        let codes: Vec<_> = v.warnings.iter().map(|w| (w.code, w.level)).collect();
        assert!(codes.contains(&("SmtpServerIgnored", WarningLevel::Verbose)));
        assert!(codes.contains(&("PortIgnored", WarningLevel::Verbose)));
        assert!(codes.contains(&("UseSslIgnored", WarningLevel::Verbose)));
        assert!(codes.contains(&("EncodingIgnored", WarningLevel::Verbose)));
        assert!(codes.contains(&(
            "DeliveryNotificationOptionUnsupported",
            WarningLevel::Warning
        )));
        // Defaults (port 0, no server, UseSsl off) say nothing.
        let quiet = Message::from_json(
            r#"{"from":"a@contoso.com","to":"b@contoso.com","port":0,"useSsl":false}"#,
        )
        .unwrap()
        .validate()
        .unwrap();
        assert!(quiet.warnings.is_empty());
        assert_eq!(
            Message::from_json(r#"{"port":-1}"#).unwrap_err().code(),
            ErrorCode::InvalidMessage
        );
    }

    #[test]
    fn json_type_errors_are_clear() {
        for (json, code) in [
            (r#"[1]"#, ErrorCode::InvalidMessage),
            (r#"{"to": 5}"#, ErrorCode::InvalidMessage),
            (r#"{"too": "a@b.com"}"#, ErrorCode::InvalidMessage),
            (r#"{"priority": "urgent"}"#, ErrorCode::InvalidPriority),
            (
                r#"{"deliveryNotificationOption": "Always"}"#,
                ErrorCode::InvalidDeliveryNotificationOption,
            ),
            (r#"{"headers": {"X-A": 1}}"#, ErrorCode::InvalidHeader),
            (r#"{"from": "#, ErrorCode::InvalidJson),
        ] {
            assert_eq!(Message::from_json(json).unwrap_err().code(), code, "{json}");
        }
    }
}
