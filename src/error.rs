//! The one error type of the library: [`Error`], with a coarse [`ErrorKind`] and a stable,
//! fine-grained [`ErrorCode`].
//!
//! * [`ErrorKind`] tells a program *what sort* of failure happened (bad input, authentication,
//!   Graph refused, network, TLS, I/O, timeout, internal); the C ABI maps it to `graph_status`.
//! * [`ErrorCode`] is a stable string (`"MailboxNotFound"`, `"TlsVersionUnsupported"`, ...) that
//!   appears as `code` in error JSON and as the ErrorId in PowerShell. Codes are never renamed.
//! * The message says what went wrong *and what to do about it*. It never contains a secret.

use std::fmt;

use serde_json::{json, Value};

/// What sort of failure an [`Error`] is. Coarse and stable; see [`ErrorCode`] for detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The caller's input (configuration, message, arguments) is invalid. Nothing was sent.
    InvalidInput,
    /// The identity platform refused to issue a token, or Graph refused the token.
    Auth,
    /// Microsoft Graph answered with an HTTP error.
    Graph,
    /// The connection could not be made or broke (DNS, refused, reset, proxy).
    Network,
    /// TLS failed: the server needs a protocol older than TLS 1.2, or its certificate is not trusted.
    Tls,
    /// A local file could not be read.
    Io,
    /// A connect or request timeout elapsed.
    Timeout,
    /// A bug in GraphMail (including a caught panic).
    Internal,
    /// The caller cancelled the operation.
    Cancelled,
}

impl ErrorKind {
    /// Stable lower-case name used in error JSON (`kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalidInput",
            ErrorKind::Auth => "auth",
            ErrorKind::Graph => "graph",
            ErrorKind::Network => "network",
            ErrorKind::Tls => "tls",
            ErrorKind::Io => "io",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Internal => "internal",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident => $kind:ident ),* $(,)?) => {
        /// Stable error codes. The string form ([`ErrorCode::as_str`]) is a public contract:
        /// `code` in error JSON, the ErrorId in PowerShell. Codes are added, never renamed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
        }

        impl ErrorCode {
            /// Every code, in declaration order (for documentation and tests).
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$name, )* ];

            /// The stable string form, e.g. `"MailboxNotFound"`.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$name => stringify!($name), )* }
            }

            /// The coarse kind this code belongs to.
            pub fn kind(self) -> ErrorKind {
                match self { $( ErrorCode::$name => ErrorKind::$kind, )* }
            }
        }
    };
}

error_codes! {
    /// A required pointer argument was NULL (C ABI).
    NullArgument => InvalidInput,
    /// A string argument was not valid UTF-8 (C ABI).
    InvalidUtf8 => InvalidInput,
    /// A JSON argument could not be parsed.
    InvalidJson => InvalidInput,
    /// The client configuration is invalid (bad URL, bad value, unknown key).
    InvalidConfig => InvalidInput,
    /// `cloud` is not one of Global, USGov, USGovDoD, China.
    UnknownCloud => InvalidInput,
    /// A required setting (tenant id, client id, client secret) is missing or empty.
    MissingSetting => InvalidInput,
    /// The message JSON has an unknown key or a value of the wrong type.
    InvalidMessage => InvalidInput,
    /// The message has no `from`.
    MissingFrom => InvalidInput,
    /// The message has no recipient in `to`, `cc` or `bcc`.
    MissingRecipient => InvalidInput,
    /// An address could not be parsed.
    InvalidAddress => InvalidInput,
    /// A custom header has an invalid name or value (names must start with `x-`).
    InvalidHeader => InvalidInput,
    /// More than 5 custom headers (Graph's limit).
    TooManyHeaders => InvalidInput,
    /// More than 500 recipients (Exchange Online's limit).
    TooManyRecipients => InvalidInput,
    /// `priority` is not Normal, Low or High.
    InvalidPriority => InvalidInput,
    /// `deliveryNotificationOption` has an unknown value.
    InvalidDeliveryNotificationOption => InvalidInput,
    /// An attachment is too large to send inline in one sendMail request.
    AttachmentTooLarge => InvalidInput,
    /// The whole sendMail request would exceed Graph's 4 MB request limit.
    MessageTooLarge => InvalidInput,
    /// An attachment path does not exist or is not a file.
    AttachmentNotFound => Io,
    /// An attachment exists but could not be read.
    AttachmentUnreadable => Io,
    /// Another local file (CA certificate, body file, configuration file) could not be read.
    FileUnreadable => Io,
    /// The client secret was rejected (AADSTS7000215).
    InvalidClientSecret => Auth,
    /// The client secret has expired (AADSTS7000222).
    ExpiredClientSecret => Auth,
    /// The application (client) id is not registered in the tenant (AADSTS700016).
    ApplicationNotFound => Auth,
    /// The client assertion (certificate or federated token) was rejected (AADSTS700027 and kin).
    ClientAssertionRejected => Auth,
    /// The caller's signing callback (`graph_client_new_with_signer`) failed, or returned a
    /// signature that does not verify with `signingCertificate`'s public key.
    SignerFailed => Auth,
    /// The tenant does not exist in this cloud (AADSTS90002).
    TenantNotFound => Auth,
    /// The token scope was rejected (AADSTS70011).
    InvalidScope => Auth,
    /// The identity platform refused to issue a token for another reason.
    AuthenticationFailed => Auth,
    /// No managed identity token could be obtained (no identity, or not on Azure).
    ManagedIdentityUnavailable => Auth,
    /// The configuration gave no credential and none in the chain worked: the environment had
    /// none, and no managed identity answered. The message lists what each source said.
    CredentialUnavailable => Auth,
    /// The device code expired before the user signed in.
    DeviceCodeExpired => Auth,
    /// The user declined the device code sign-in.
    DeviceCodeDeclined => Auth,
    /// Graph rejected the access token (401 InvalidAuthenticationToken).
    InvalidAuthenticationToken => Auth,
    /// The sender mailbox does not exist or has no Exchange Online mailbox (404 ErrorInvalidUser).
    MailboxNotFound => Graph,
    /// Graph denied access to the mailbox (403 ErrorAccessDenied: missing Mail.Send or an access policy).
    AccessDenied => Graph,
    /// The application may not send as the given From address (403 ErrorSendAsDenied).
    SendAsDenied => Graph,
    /// Graph rejected one or more recipients (400 ErrorInvalidRecipients).
    InvalidRecipients => Graph,
    /// Graph rejected the request as too large (413).
    RequestTooLarge => Graph,
    /// Graph throttled the request (429).
    Throttled => Graph,
    /// Graph is unavailable (5xx).
    GraphServiceUnavailable => Graph,
    /// Graph rejected the request for another reason (other 4xx).
    GraphRequestRejected => Graph,
    /// Graph answered a success status other than 202 Accepted: the outcome is uncertain.
    UnexpectedResponse => Graph,
    /// The request went out but no answer came (connection lost, timeout, cancel while in
    /// flight): Graph may or may not have accepted the message. It is not sent again
    /// automatically; check the sender's Sent Items before sending again.
    OutcomeUnknown => Network,
    /// An attachment upload session failed after its retries were used up.
    UploadFailed => Graph,
    /// The identity platform's token endpoint answered 5xx (after retries): a temporary outage,
    /// not a credential problem.
    IdentityPlatformUnavailable => Network,
    /// The connection failed (DNS, refused, reset, proxy).
    ConnectionFailed => Network,
    /// The connect or request timeout elapsed.
    Timeout => Timeout,
    /// The server only speaks TLS 1.0/1.1 (GraphMail requires TLS 1.2 or newer).
    TlsVersionUnsupported => Tls,
    /// The server's certificate is not trusted (unknown CA, wrong name, expired).
    TlsCertificateInvalid => Tls,
    /// The TLS handshake failed for another reason.
    TlsHandshakeFailed => Tls,
    /// The send was cancelled by the caller; nothing was sent and the draft was deleted.
    Cancelled => Cancelled,
    /// A panic was caught at the C ABI boundary (a GraphMail bug).
    Panic => Internal,
    /// An unexpected internal error (a GraphMail bug).
    Internal => Internal,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error type of every fallible GraphMail operation.
///
/// `Display` is the user-facing message (what failed and how to fix it). Accessors give the
/// stable [`ErrorCode`], the [`ErrorKind`], and for Graph and token errors the HTTP status,
/// Graph's own error code and the request id to quote to Microsoft support. (Boxed, so a
/// `Result` stays one pointer wide.)
pub struct Error(Box<ErrorInner>);

struct ErrorInner {
    code: ErrorCode,
    message: String,
    http_status: Option<u16>,
    graph_code: Option<String>,
    request_id: Option<String>,
    field: Option<String>,
    step: Option<&'static str>,
    draft_deleted: Option<bool>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.0;
        f.debug_struct("Error")
            .field("code", &e.code)
            .field("message", &e.message)
            .field("http_status", &e.http_status)
            .field("graph_code", &e.graph_code)
            .field("request_id", &e.request_id)
            .field("field", &e.field)
            .field("step", &e.step)
            .field("draft_deleted", &e.draft_deleted)
            .finish()
    }
}

/// Shorthand for `Result<T, graphmail::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Creates an error with a code and a user-facing message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error(Box::new(ErrorInner {
            code,
            message: message.into(),
            http_status: None,
            graph_code: None,
            request_id: None,
            field: None,
            step: None,
            draft_deleted: None,
            source: None,
        }))
    }

    /// Replaces the user-facing message (e.g. to add what happened around the failure),
    /// keeping the code and every other field.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.0.message = message.into();
        self
    }

    /// Records the HTTP status the server answered with.
    pub fn with_http_status(mut self, status: u16) -> Self {
        self.0.http_status = Some(status);
        self
    }

    /// Records the server's own error code (Graph `error.code`, or the token endpoint's `error`).
    pub fn with_graph_code(mut self, code: impl Into<String>) -> Self {
        self.0.graph_code = Some(code.into());
        self
    }

    /// Records the server's request id (Graph `request-id`, or the token endpoint's trace id).
    pub fn with_request_id(mut self, id: Option<String>) -> Self {
        self.0.request_id = id;
        self
    }

    /// Names the input field that is wrong (e.g. `to[1]`, `headers.X-Foo`, `clientSecret`).
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.0.field = Some(field.into());
        self
    }

    /// Attaches the underlying cause (kept for `source()`, never shown in the message).
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    /// Names the step of a multi-request send that failed (`createDraft`, `addAttachment`,
    /// `createUploadSession`, `uploadAttachment`, `sendDraft`).
    pub fn with_step(mut self, step: &'static str) -> Self {
        self.0.step = Some(step);
        self
    }

    /// Records whether the draft created for this send was deleted after the failure.
    pub fn with_draft_deleted(mut self, deleted: bool) -> Self {
        self.0.draft_deleted = Some(deleted);
        self
    }

    /// The step of a multi-request send that failed, if any.
    pub fn step(&self) -> Option<&'static str> {
        self.0.step
    }

    /// For a failure on the draft path: whether the draft was deleted (`Some(true)`: nothing is
    /// left behind) or could not be (`Some(false)`: the message says which draft remains).
    pub fn draft_deleted(&self) -> Option<bool> {
        self.0.draft_deleted
    }

    /// A copy with every public field (the underlying `source` is not kept).
    pub fn duplicate(&self) -> Error {
        let e = &self.0;
        Error(Box::new(ErrorInner {
            code: e.code,
            message: e.message.clone(),
            http_status: e.http_status,
            graph_code: e.graph_code.clone(),
            request_id: e.request_id.clone(),
            field: e.field.clone(),
            step: e.step,
            draft_deleted: e.draft_deleted,
            source: None,
        }))
    }

    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    /// The coarse kind.
    pub fn kind(&self) -> ErrorKind {
        self.0.code.kind()
    }

    /// The user-facing message.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The HTTP status, for errors that came from Graph or the token endpoint.
    pub fn http_status(&self) -> Option<u16> {
        self.0.http_status
    }

    /// Graph's (or the token endpoint's) own error code, e.g. `ErrorInvalidUser`, `invalid_client`.
    pub fn graph_code(&self) -> Option<&str> {
        self.0.graph_code.as_deref()
    }

    /// The request id to quote to Microsoft support.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// The input field at fault, for invalid-input errors.
    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }

    /// The error as the JSON object every face of GraphMail returns:
    /// `{"error": {"code", "kind", "message", "httpStatus", "graphCode", "requestId", "field",
    /// "step", "draftDeleted"}}`.
    /// Keys with no value are `null`, so the shape is always the same.
    pub fn to_json(&self) -> Value {
        json!({
            "error": {
                "code": self.0.code.as_str(),
                "kind": self.kind().as_str(),
                "message": self.0.message,
                "httpStatus": self.0.http_status,
                "graphCode": self.0.graph_code,
                "requestId": self.0.request_id,
                "field": self.0.field,
                "step": self.0.step,
                "draftDeleted": self.0.draft_deleted,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_stable_strings() {
        let names: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        assert_eq!(ErrorCode::MailboxNotFound.as_str(), "MailboxNotFound");
        assert_eq!(ErrorCode::TlsVersionUnsupported.kind(), ErrorKind::Tls);
        assert_eq!(ErrorCode::AttachmentNotFound.kind(), ErrorKind::Io);
    }

    #[test]
    fn json_shape_is_fixed() {
        let e = Error::new(ErrorCode::MailboxNotFound, "no such mailbox")
            .with_http_status(404)
            .with_graph_code("ErrorInvalidUser")
            .with_request_id(Some("rid-1".into()));
        let v = e.to_json();
        assert_eq!(v["error"]["code"], "MailboxNotFound");
        assert_eq!(v["error"]["kind"], "graph");
        assert_eq!(v["error"]["httpStatus"], 404);
        assert_eq!(v["error"]["graphCode"], "ErrorInvalidUser");
        assert_eq!(v["error"]["requestId"], "rid-1");
        assert!(v["error"]["field"].is_null());
        assert_eq!(e.to_string(), "no such mailbox");
    }
}
