//! Microsoft Graph JSON types (serde) for what GraphMail sends and parses. Field names follow
//! the official schema (`schema/graph-v1.0-mail-subset.json`); tests validate against it.

use serde::{Deserialize, Serialize};

/// Body of `POST /users/{id}/sendMail` in JSON mode.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMailRequest {
    /// The message.
    pub message: WireMessage,
    /// Only written when `false` (Graph's default is `true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub save_to_sent_items: Option<bool>,
}

/// `microsoft.graph.message`, the members GraphMail sets.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireMessage {
    /// Subject line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Body (text or HTML).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<ItemBody>,
    /// The sending mailbox (with its display name, when one was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Recipient>,
    /// To recipients.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to_recipients: Vec<Recipient>,
    /// Cc recipients.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cc_recipients: Vec<Recipient>,
    /// Bcc recipients.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bcc_recipients: Vec<Recipient>,
    /// Reply-To addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reply_to: Vec<Recipient>,
    /// `low`, `normal` or `high`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub importance: Option<&'static str>,
    /// Delivery receipt requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_delivery_receipt_requested: Option<bool>,
    /// Custom `x-` headers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub internet_message_headers: Vec<InternetMessageHeader>,
    /// File attachments sent inline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<FileAttachment>,
}

/// `microsoft.graph.recipient`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    /// The address and name.
    pub email_address: EmailAddress,
}

/// `microsoft.graph.emailAddress`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EmailAddress {
    /// The address.
    pub address: String,
    /// The display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `microsoft.graph.itemBody`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemBody {
    /// `text` or `html`.
    pub content_type: &'static str,
    /// The content.
    pub content: String,
}

/// `microsoft.graph.internetMessageHeader`.
#[derive(Debug, Serialize)]
pub struct InternetMessageHeader {
    /// Header name (starts with `x-`).
    pub name: String,
    /// Header value.
    pub value: String,
}

/// `microsoft.graph.fileAttachment`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileAttachment {
    /// Always `#microsoft.graph.fileAttachment`.
    #[serde(rename = "@odata.type")]
    pub odata_type: &'static str,
    /// File name.
    pub name: String,
    /// MIME type.
    pub content_type: &'static str,
    /// Standard base64 of the file.
    pub content_bytes: String,
    /// An inline attachment (an image referenced as `cid:` from the HTML body).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_inline: bool,
    /// The content id that `cid:` references point to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
}

/// Body of `createUploadSession`.
#[derive(Debug, Serialize)]
pub struct CreateUploadSessionRequest {
    /// The attachment to upload.
    #[serde(rename = "AttachmentItem")]
    pub attachment_item: AttachmentItem,
}

/// `microsoft.graph.attachmentItem`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentItem {
    /// Always `file`.
    pub attachment_type: &'static str,
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type.
    pub content_type: &'static str,
    /// Inline attachment.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_inline: bool,
    /// Content id for `cid:` references.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
}

/// `microsoft.graph.uploadSession` as created, and the progress answers to chunk uploads
/// (Outlook writes `ExpirationDateTime` in PascalCase there; only `nextExpectedRanges` is read).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadSession {
    /// The pre-authenticated URL to `PUT` chunks to (only in the create answer).
    #[serde(default)]
    pub upload_url: Option<String>,
    /// Byte ranges the server still expects: `"N"`, `"N-"` or `"N-M"`.
    #[serde(default)]
    pub next_expected_ranges: Vec<String>,
}

/// The part of a created message (draft) GraphMail reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedMessage {
    /// The message id.
    pub id: String,
    /// Whether the message is still a draft.
    #[serde(default)]
    pub is_draft: Option<bool>,
}

/// The `@odata.type` of a file attachment.
pub const FILE_ATTACHMENT_TYPE: &str = "#microsoft.graph.fileAttachment";

/// Graph's error envelope: `{"error": {"code", "message", "innerError": {"request-id", ...}}}`.
#[derive(Debug, Deserialize)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: MainError,
}

/// `ODataErrors.MainError`.
#[derive(Debug, Deserialize)]
pub struct MainError {
    /// Graph's error code, e.g. `ErrorInvalidUser`.
    #[serde(default)]
    pub code: String,
    /// Graph's message (not for branching).
    #[serde(default)]
    pub message: String,
    /// Request ids and date.
    #[serde(default, rename = "innerError", alias = "innererror")]
    pub inner_error: Option<InnerError>,
}

/// `ODataErrors.InnerError`.
#[derive(Debug, Deserialize)]
pub struct InnerError {
    /// The request id to quote to Microsoft support.
    #[serde(default, rename = "request-id")]
    pub request_id: Option<String>,
    /// The client's request id, echoed.
    #[serde(default, rename = "client-request-id")]
    pub client_request_id: Option<String>,
}

/// A successful token endpoint response.
#[derive(Deserialize)]
pub struct TokenResponse {
    /// `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Lifetime in seconds (a number on the v2 endpoint; a string on some managed identity endpoints).
    pub expires_in: serde_json::Value,
    /// The access token.
    pub access_token: String,
    /// A refresh token (delegated flows with `offline_access`).
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// A token endpoint error response.
#[derive(Debug, Default, Deserialize)]
pub struct TokenErrorResponse {
    /// OAuth error, e.g. `invalid_client`.
    #[serde(default)]
    pub error: String,
    /// `AADSTSnnnn: text\r\nTrace ID: ...`.
    #[serde(default)]
    pub error_description: String,
    /// AADSTS numbers.
    #[serde(default)]
    pub error_codes: Vec<u64>,
    /// Trace id.
    #[serde(default)]
    pub trace_id: Option<String>,
    /// Correlation id.
    #[serde(default)]
    pub correlation_id: Option<String>,
}
