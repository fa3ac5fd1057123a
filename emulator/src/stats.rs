//! Request counters.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the emulator's counters.
///
/// `/_emulator/*` test routes are never counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Every HTTP request except the `/_emulator/*` test routes.
    pub requests: u64,
    /// Every `POST` to a token endpoint (`/{tenant}/oauth2/v2.0/token`), successful or not.
    pub token_requests: u64,
    /// Every request under `/v1.0/`.
    pub graph_requests: u64,
    /// `sendMail` requests answered `202 Accepted` (messages stored).
    pub accepted_messages: u64,
    /// Counted requests answered with a 4xx or 5xx status.
    pub rejected_requests: u64,
    /// Counted requests that arrived over HTTP/2.
    pub http2_requests: u64,
    /// TLS connections accepted (completed handshakes): shows whether clients reuse connections.
    pub connections: u64,
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
}

impl Counters {
    /// Add one to `counter`.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::SeqCst);
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
        }
    }
}
