//! Request counters.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the emulator's counters.
///
/// `/_emulator/*` test routes are never counted. `open_drafts` and `open_upload_sessions` are
/// gauges (current values); everything else only grows.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Every HTTP request except the `/_emulator/*` test routes.
    pub requests: u64,
    /// Every `POST` to a token endpoint (`/{tenant}/oauth2/v2.0/token`) and every managed
    /// identity token request, successful or not.
    pub token_requests: u64,
    /// Every request under `/v1.0/`.
    pub graph_requests: u64,
    /// `sendMail` requests answered `202 Accepted` (messages stored).
    pub accepted_messages: u64,
    /// Counted requests answered with a 4xx or 5xx status (injected faults included; a
    /// request whose connection was closed without an answer is not counted).
    pub rejected_requests: u64,
    /// Counted requests that arrived over HTTP/2.
    pub http2_requests: u64,
    /// TLS connections accepted (completed handshakes): shows whether clients reuse connections.
    pub connections: u64,
    /// `sendMail` and create-message requests in MIME mode (`text/plain`) that were accepted.
    pub mime_messages: u64,
    /// Drafts created (`POST /users/{id}/messages` answered `201`).
    pub drafts_created: u64,
    /// Drafts sent (`POST .../messages/{id}/send` answered `202`; also in `accepted_messages`).
    pub drafts_sent: u64,
    /// Drafts deleted (`DELETE .../messages/{id}` answered `204`).
    pub drafts_deleted: u64,
    /// Drafts neither sent nor deleted right now ("no stray draft" means `0`).
    pub open_drafts: u64,
    /// Attachments added with `POST .../messages/{id}/attachments` (answered `201`).
    pub attachments_added: u64,
    /// Upload sessions created (`createUploadSession` answered `201`).
    pub upload_sessions_created: u64,
    /// Upload sessions whose last chunk arrived (attachment created).
    pub upload_sessions_completed: u64,
    /// Upload sessions cancelled with `DELETE {uploadUrl}` (answered `204`).
    pub upload_sessions_deleted: u64,
    /// Upload sessions neither completed nor deleted right now (sessions of a deleted or sent
    /// draft are dropped with it).
    pub open_upload_sessions: u64,
    /// Requests to upload URLs (`/upload/...`), whatever their outcome.
    pub upload_requests: u64,
    /// Chunks stored by upload sessions.
    pub upload_chunks: u64,
    /// Bytes stored by upload sessions (the sum of the stored chunks' lengths).
    pub uploaded_bytes: u64,
    /// Stored chunks, other than the last one of a file, whose length is not a multiple of
    /// 320 KiB (327,680 bytes), the slice size Microsoft's SDKs use.
    pub unaligned_chunks: u64,
    /// Chunks rejected for being larger than 4 MiB (4,194,304 bytes).
    pub oversized_chunks: u64,
    /// Token requests with `grant_type=client_credentials` (secret or assertion), whatever
    /// their outcome.
    pub client_credentials_requests: u64,
    /// Client assertions checked against registered certificates (any assertion not from the
    /// federation issuer), whatever the outcome.
    pub certificate_assertions: u64,
    /// Federated tokens of the emulator's federation issuer presented as client assertions,
    /// whatever the outcome.
    pub federated_assertions: u64,
    /// `POST /{tenant}/oauth2/v2.0/devicecode` requests (device code sign-ins started).
    pub device_code_requests: u64,
    /// Token requests with the device code grant (polls), whatever their outcome.
    pub device_code_polls: u64,
    /// Token requests with `grant_type=refresh_token`, whatever their outcome.
    pub refresh_token_requests: u64,
    /// Requests to the managed identity endpoints (IMDS, App Service, Azure Arc, including
    /// Arc's challenge), whatever their outcome; also counted in `token_requests`.
    pub managed_identity_requests: u64,
    /// `POST` requests to `sendMail` (`/v1.0/users/{id}/sendMail`, `/v1.0/me/sendMail`) that
    /// arrived, whatever their outcome (answered, failed by an injected fault, or closed).
    pub send_mail_requests: u64,
    /// Injected request faults that fired ([`crate::RequestFault`]): every delayed, throttled,
    /// failed or reset request and every refused connection (a request hit by two faults, such
    /// as a delay and then a throttle, counts twice). Upload faults are not counted.
    pub faults_injected: u64,
    /// Requests answered `429 ApplicationThrottled` by the Outlook limits
    /// ([`crate::ThrottlingLimits`]; injected faults are counted in `faults_injected`).
    pub throttled_requests: u64,
    /// App-only requests refused `403 ErrorAccessDenied` by an application access policy
    /// ([`crate::AccessPolicy`]).
    pub policy_denied_requests: u64,
}

/// Live counters shared by the connection tasks.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) token_requests: AtomicU64,
    pub(crate) graph_requests: AtomicU64,
    pub(crate) accepted_messages: AtomicU64,
    pub(crate) rejected_requests: AtomicU64,
    pub(crate) http2_requests: AtomicU64,
    pub(crate) connections: AtomicU64,
    pub(crate) mime_messages: AtomicU64,
    pub(crate) drafts_created: AtomicU64,
    pub(crate) drafts_sent: AtomicU64,
    pub(crate) drafts_deleted: AtomicU64,
    pub(crate) attachments_added: AtomicU64,
    pub(crate) upload_sessions_created: AtomicU64,
    pub(crate) upload_sessions_completed: AtomicU64,
    pub(crate) upload_sessions_deleted: AtomicU64,
    pub(crate) upload_requests: AtomicU64,
    pub(crate) upload_chunks: AtomicU64,
    pub(crate) uploaded_bytes: AtomicU64,
    pub(crate) unaligned_chunks: AtomicU64,
    pub(crate) oversized_chunks: AtomicU64,
    pub(crate) client_credentials_requests: AtomicU64,
    pub(crate) certificate_assertions: AtomicU64,
    pub(crate) federated_assertions: AtomicU64,
    pub(crate) device_code_requests: AtomicU64,
    pub(crate) device_code_polls: AtomicU64,
    pub(crate) refresh_token_requests: AtomicU64,
    pub(crate) managed_identity_requests: AtomicU64,
    pub(crate) send_mail_requests: AtomicU64,
    pub(crate) faults_injected: AtomicU64,
    pub(crate) throttled_requests: AtomicU64,
    pub(crate) policy_denied_requests: AtomicU64,
}

impl Counters {
    /// Add one to `counter`.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::SeqCst);
    }

    /// Add `n` to `counter`.
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::SeqCst);
    }

    /// The current values.
    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            requests: self.requests.load(Ordering::SeqCst),
            token_requests: self.token_requests.load(Ordering::SeqCst),
            graph_requests: self.graph_requests.load(Ordering::SeqCst),
            accepted_messages: self.accepted_messages.load(Ordering::SeqCst),
            rejected_requests: self.rejected_requests.load(Ordering::SeqCst),
            http2_requests: self.http2_requests.load(Ordering::SeqCst),
            connections: self.connections.load(Ordering::SeqCst),
            mime_messages: self.mime_messages.load(Ordering::SeqCst),
            drafts_created: self.drafts_created.load(Ordering::SeqCst),
            drafts_sent: self.drafts_sent.load(Ordering::SeqCst),
            drafts_deleted: self.drafts_deleted.load(Ordering::SeqCst),
            open_drafts: 0, // a gauge: filled in from the draft store
            attachments_added: self.attachments_added.load(Ordering::SeqCst),
            upload_sessions_created: self.upload_sessions_created.load(Ordering::SeqCst),
            upload_sessions_completed: self.upload_sessions_completed.load(Ordering::SeqCst),
            upload_sessions_deleted: self.upload_sessions_deleted.load(Ordering::SeqCst),
            open_upload_sessions: 0, // a gauge: filled in from the session store
            upload_requests: self.upload_requests.load(Ordering::SeqCst),
            upload_chunks: self.upload_chunks.load(Ordering::SeqCst),
            uploaded_bytes: self.uploaded_bytes.load(Ordering::SeqCst),
            unaligned_chunks: self.unaligned_chunks.load(Ordering::SeqCst),
            oversized_chunks: self.oversized_chunks.load(Ordering::SeqCst),
            client_credentials_requests: self.client_credentials_requests.load(Ordering::SeqCst),
            certificate_assertions: self.certificate_assertions.load(Ordering::SeqCst),
            federated_assertions: self.federated_assertions.load(Ordering::SeqCst),
            device_code_requests: self.device_code_requests.load(Ordering::SeqCst),
            device_code_polls: self.device_code_polls.load(Ordering::SeqCst),
            refresh_token_requests: self.refresh_token_requests.load(Ordering::SeqCst),
            managed_identity_requests: self.managed_identity_requests.load(Ordering::SeqCst),
            send_mail_requests: self.send_mail_requests.load(Ordering::SeqCst),
            faults_injected: self.faults_injected.load(Ordering::SeqCst),
            throttled_requests: self.throttled_requests.load(Ordering::SeqCst),
            policy_denied_requests: self.policy_denied_requests.load(Ordering::SeqCst),
        }
    }
}
