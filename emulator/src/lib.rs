//! A local emulator of the parts of Microsoft Graph and the Microsoft identity platform that
//! GraphMail uses, for tests and demos without a Microsoft 365 tenant.
//!
//! It serves HTTPS (TLS 1.2/1.3, HTTP/2 and HTTP/1.1) with a certificate from its own local
//! CA, and emulates:
//!
//! - the v2.0 token endpoint `POST /{tenant}/oauth2/v2.0/token`: client credentials with a
//!   client secret (body or HTTP Basic header), a certificate-signed client assertion
//!   (PS256/`x5t#S256` or RS256/`x5t`, checked with the registered certificate's key) or a
//!   federated token of the emulator's own workload identity issuer ([`jwt`],
//!   [`Emulator::issue_federated_token`]); the device code grant
//!   (`POST /{tenant}/oauth2/v2.0/devicecode`, [`DeviceCodeBehaviour`]) and rotating refresh
//!   tokens for delegated sending as a user (`/v1.0/me/...`); all with the identity
//!   platform's error responses (AADSTS codes), plus the OpenID discovery document MSAL
//!   clients fetch;
//! - managed identity endpoints, off unless a [`ManagedIdentity`] is configured: Azure VM
//!   IMDS, App Service / Functions and Azure Arc (with its key file challenge);
//! - `POST /v1.0/users/{id}/sendMail` in JSON mode, validated against the official Graph JSON
//!   schema and Graph's mail rules, and in MIME mode (`text/plain` base64 of an RFC 5322
//!   message), answering with Graph's error envelope; accepted messages are stored as `.json`
//!   (request) and `.eml` (RFC 5322 rendering, or the original MIME) files, their attachment
//!   bytes under `attachments/` with a SHA-256 each ([`StoredAttachment`]);
//! - the large-attachment path: drafts (`POST /v1.0/users/{id}/messages`, JSON or MIME;
//!   `GET|DELETE .../messages/{msgId}`; `POST .../messages/{msgId}/send`), attachments under
//!   3 MB (`POST .../attachments`), upload sessions (`POST .../attachments/createUploadSession`)
//!   whose pre-authenticated upload URLs (`PUT|DELETE /upload/{session}?authtoken=...`) stream
//!   chunks to disk with Graph's range rules, with application permissions per app
//!   (`Mail.Send`, `Mail.ReadWrite`) and injectable upload faults ([`UploadFault`]);
//! - `GET /v1.0/users/{id}/mailFolders/sentItems/messages`;
//! - test routes `GET /_emulator/stats`, `GET|DELETE /_emulator/messages`;
//! - injectable request faults for testing retry policies ([`RequestFault`], see below).
//!
//! # Fault injection
//!
//! [`EmulatorConfig::with_request_fault`] (at start) and [`Emulator::set_request_faults`] /
//! [`Emulator::clear_request_faults`] (at run time) add faults to the requests a
//! [`FaultScope`] names: `sendMail` posts, all Graph requests, draft sends or token requests.
//!
//! | Fault | What the client sees |
//! |---|---|
//! | [`RequestFault::Throttle`] | every Nth request: `429 TooManyRequests` with a [`RetryAfter`] (seconds, fractional seconds, HTTP date, or none) |
//! | [`RequestFault::ConcurrencyLimit`] | `429 ApplicationThrottled` for a mailbox's requests beyond N at a time (combine with a delay) |
//! | [`RequestFault::Status`] | every Nth request: 500 `generalException`, 503 `serviceNotAvailable`, 504 `UnknownError`, ... |
//! | [`RequestFault::Delay`] | every Nth request is held, then processed |
//! | [`RequestFault::ResetBeforeProcessing`] | every Nth request: connection closed, nothing done |
//! | [`RequestFault::ResetAfterStore`] | every Nth request is processed (the message stored or sent), then the connection is closed: the ambiguous case |
//! | [`RequestFault::ExpiredToken`] | every Nth request: `401 InvalidAuthenticationToken` "the token is expired" |
//! | [`RequestFault::RefuseConnections`] | every Nth TCP connection is reset before the TLS handshake |
//!
//! Faults are checked in the order configured, each counting its own matching requests,
//! after the request body has been read and before the request is authenticated (only
//! `ResetAfterStore` lets the normal processing, authentication included, run). Faulted
//! requests are answered in Graph's error shape, or the identity platform's for the token
//! endpoint. [`Stats::faults_injected`] counts the faults that fired and
//! [`Stats::send_mail_requests`] every `sendMail` post; [`Emulator::messages`] shows what was
//! stored, including by a `ResetAfterStore` request. Upload-session chunks have their own
//! faults ([`UploadFault`]).
//!
//! ```no_run
//! use graphmail_emulator::{Emulator, EmulatorConfig, FaultScope, RequestFault, RetryAfter};
//!
//! let emulator = Emulator::start(EmulatorConfig::new("./emulator-data").with_request_fault(
//!     FaultScope::SendMail,
//!     RequestFault::Throttle { every: 2, retry_after: RetryAfter::Seconds(1) },
//! ))?;
//! // ... every second sendMail is answered 429 ...
//! emulator.set_request_faults(vec![(
//!     FaultScope::SendMail,
//!     RequestFault::ResetAfterStore { every: 1 },
//! )]);
//! // ... every sendMail is stored but its answer lost ...
//! emulator.clear_request_faults();
//! # Ok::<(), graphmail_emulator::EmulatorError>(())
//! ```
//!
//! # Example
//!
//! ```no_run
//! use graphmail_emulator::{Emulator, EmulatorConfig};
//!
//! let emulator = Emulator::start(EmulatorConfig::new("./emulator-data"))?;
//! for line in emulator.env_lines() {
//!     println!("{line}");
//! }
//! // ... point a client at emulator.base_url(), trusting emulator.ca_certificate_path() ...
//! println!("{:?}", emulator.stats());
//! emulator.shutdown();
//! # Ok::<(), graphmail_emulator::EmulatorError>(())
//! ```

#![warn(missing_docs)]

mod aad_error;
mod assertions;
mod attachment_routes;
mod attachments;
mod certificates;
mod client_auth;
mod config;
mod config_file;
mod delegated_grants;
mod device_code_routes;
mod device_codes;
mod draft_routes;
mod drafts;
mod eml;
mod emulator;
mod error;
mod faults;
mod federation;
mod graph;
mod http;
mod inbox;
pub mod jwt;
mod managed_identity;
mod managed_identity_routes;
mod message;
mod mime;
mod policies;
mod random;
mod refresh_tokens;
mod schema;
mod scopes;
mod server;
mod stats;
mod store;
pub mod test_certificates;
mod throttling;
mod timefmt;
pub mod tls;
mod token;
mod upload;
mod upload_routes;

pub use attachments::{StoredAttachment, ATTACHMENTS_DIR};
pub use config::{
    AppRegistration, EmulatorConfig, BODY_DISCARD_LIMIT_BYTES, DEFAULT_APP_PERMISSIONS,
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_DELEGATED_PERMISSIONS,
    DEFAULT_DEVICE_CODE_INTERVAL, DEFAULT_DEVICE_CODE_LIFETIME, DEFAULT_MAILBOXES,
    DEFAULT_MAX_REQUEST_BYTES, DEFAULT_REFRESH_TOKEN_LIFETIME, DEFAULT_TENANT_ID,
    DEFAULT_TOKEN_LIFETIME, PERMISSION_MAIL_READ, PERMISSION_MAIL_READ_WRITE, PERMISSION_MAIL_SEND,
};
pub use device_codes::DeviceCodeBehaviour;
pub use emulator::Emulator;
pub use error::EmulatorError;
pub use faults::{FaultScope, RequestFault, RetryAfter, UploadFault};
pub use managed_identity::{
    ManagedIdentity, DEFAULT_MANAGED_IDENTITY_CLIENT_ID, DEFAULT_MANAGED_IDENTITY_OBJECT_ID,
    DEFAULT_MANAGED_IDENTITY_RESOURCE_ID,
};
pub use managed_identity_routes::ARC_TOKENS_DIR;
pub use policies::{AccessPolicy, AccessRight, MailGroup};
pub use schema::{GRAPH_SCHEMA_ID, GRAPH_SCHEMA_JSON};
pub use stats::Stats;
pub use store::{StoredMessage, MESSAGES_DIR};
pub use throttling::ThrottlingLimits;
pub use upload::UPLOADS_DIR;

/// Upload-session and attachment limits the emulator enforces (Graph's documented values).
pub mod limits {
    pub use crate::attachment_routes::MAX_POSTED_ATTACHMENT_BYTES;
    pub use crate::mime::MAX_MIME_BYTES;
    pub use crate::upload::{
        CHUNK_ALIGNMENT, MAX_CHUNK_BYTES, MAX_SESSION_BYTES, MIN_SESSION_BYTES,
    };
}
pub use token::GRAPH_RESOURCES;
