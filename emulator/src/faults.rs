//! Faults the emulator injects, so tests can check a client's retry and resume logic without
//! a flaky network: upload-session chunk faults ([`UploadFault`]) and general request faults
//! ([`RequestFault`]: throttling, server errors, delays, lost connections, expired tokens).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use hyper::{Method, StatusCode};
use time::OffsetDateTime;

use crate::http::{is, Ctx, Reply};

/// A fault injected into upload-session chunk uploads (`PUT {uploadUrl}`).
///
/// `index` is the 0-based position of the chunk within its upload session: the number of
/// chunks the session had already stored when the `PUT` arrived. So a retried chunk keeps its
/// index. A fault applies only to a `PUT` that passes every other check (token, headers,
/// range). The `...Once` faults fire once per emulator: the first session reaching that chunk
/// gets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadFault {
    /// Answer the chunk `503 ServiceUnavailable` once, without storing it (the client retries
    /// the same range).
    FailChunkOnce {
        /// The chunk's 0-based index within its session.
        index: usize,
    },
    /// Store the chunk, then close the connection without sending a response, once (other
    /// requests in flight on that connection fail too, as with a real network fault). The
    /// client's retry of the same range gets `416` with `nextExpectedRanges`, from which it
    /// must resume.
    LoseResponseOnce {
        /// The chunk's 0-based index within its session.
        index: usize,
    },
    /// Answer every chunk of every session `503 ServiceUnavailable` without storing it, for
    /// as long as the emulator runs (a client must give up and clean up).
    FailEveryChunk,
}

impl UploadFault {
    /// Whether the fault applies to chunk `chunk`.
    fn applies_to(&self, chunk: usize) -> bool {
        match self {
            UploadFault::FailChunkOnce { index } | UploadFault::LoseResponseOnce { index } => {
                *index == chunk
            }
            UploadFault::FailEveryChunk => true,
        }
    }
}

/// The faults of one emulator that have not fired yet.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    armed: Mutex<Vec<UploadFault>>,
}

impl Faults {
    /// Arm the configured faults.
    pub(crate) fn new(faults: &[UploadFault]) -> Self {
        Faults {
            armed: Mutex::new(faults.to_vec()),
        }
    }

    /// The first armed fault for chunk `index`, if any; a `...Once` fault is disarmed.
    pub(crate) fn take(&self, index: usize) -> Option<UploadFault> {
        let mut armed = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        let position = armed.iter().position(|f| f.applies_to(index))?;
        match armed[position] {
            UploadFault::FailEveryChunk => Some(UploadFault::FailEveryChunk),
            _ => Some(armed.remove(position)),
        }
    }
}

/// Which requests a [`RequestFault`] applies to.
///
/// A request is matched by its method and path (segments compared case-insensitively, as
/// Graph does) as soon as its body has been read, before its bearer token or form is checked.
/// [`RequestFault::RefuseConnections`] acts on connections, not requests, and ignores its
/// scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultScope {
    /// `POST /v1.0/users/{id}/sendMail` and `POST /v1.0/me/sendMail`.
    SendMail,
    /// Every request under `/v1.0/` (any method, so `sendMail`, drafts, attachments,
    /// `createUploadSession`, draft sends and folder listings). Upload-session chunk requests
    /// (`PUT|DELETE` on the pre-authenticated `/upload/...` URLs) are never matched: use
    /// [`UploadFault`] for them.
    Graph,
    /// Sending a draft: `POST /v1.0/users/{id}/messages/{messageId}/send` (or `/me/...`, or the
    /// `microsoft.graph.send` spelling).
    DraftSend,
    /// `POST /{tenant}/oauth2/v2.0/token` (every grant type; the managed identity endpoints are
    /// not matched). Only [`RequestFault::Throttle`], [`RequestFault::Status`],
    /// [`RequestFault::Delay`], [`RequestFault::ResetBeforeProcessing`],
    /// [`RequestFault::ResetAfterStore`] (the token is issued, the answer is lost) and
    /// [`RequestFault::RefuseConnections`] are allowed here; the error replies have the
    /// identity platform's shape (`error`, `error_description` with an AADSTS code, ...).
    Token,
}

/// The `Retry-After` header of a throttling (or, optionally, server error) reply.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RetryAfter {
    /// Whole seconds: `Retry-After: 7`, as Graph sends it.
    Seconds(u64),
    /// Fractional seconds, e.g. `Retry-After: 0.5` (not valid per RFC 9110, but seen in the
    /// wild; a robust client copes). Must be finite and not negative.
    FractionalSeconds(f64),
    /// An HTTP date (RFC 9110 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`) this long
    /// after the reply is made, rounded up to the next whole second. At most 100 years.
    HttpDate(Duration),
    /// No `Retry-After` header.
    None,
}

/// The longest [`RetryAfter::HttpDate`] offset accepted.
const MAX_HTTP_DATE_OFFSET: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

impl RetryAfter {
    /// The header value for a reply made at `now`, or `None` for no header.
    pub(crate) fn header_value(&self, now: OffsetDateTime) -> Option<String> {
        match *self {
            RetryAfter::Seconds(seconds) => Some(seconds.to_string()),
            RetryAfter::FractionalSeconds(seconds) => Some(format!("{seconds}")),
            RetryAfter::HttpDate(offset) => {
                let nanos = now.unix_timestamp_nanos() + offset.as_nanos() as i128;
                let seconds = nanos.div_euclid(1_000_000_000)
                    + i128::from(nanos.rem_euclid(1_000_000_000) != 0);
                let at = i64::try_from(seconds)
                    .ok()
                    .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
                    .unwrap_or(now);
                Some(crate::timefmt::imf_fixdate(at))
            }
            RetryAfter::None => None,
        }
    }

    fn check(&self) -> Result<(), String> {
        match *self {
            RetryAfter::FractionalSeconds(s) if !s.is_finite() || s < 0.0 => Err(format!(
                "Retry-After {s} is not a finite, non-negative number of seconds"
            )),
            RetryAfter::HttpDate(offset) if offset > MAX_HTTP_DATE_OFFSET => {
                Err("a Retry-After HTTP date more than 100 years ahead".into())
            }
            _ => Ok(()),
        }
    }
}

/// A fault injected into requests (not upload-session chunks: see [`UploadFault`]), for
/// testing a client's retry policy. Configure it with a [`FaultScope`] through
/// [`EmulatorConfig::with_request_fault`](crate::EmulatorConfig::with_request_fault) or, at
/// run time, [`Emulator::set_request_faults`](crate::Emulator::set_request_faults).
///
/// "Every `every`th" means the `every`th, `2 * every`th, ... request that matches the fault's
/// scope, counted per configured fault (`every: 1` is every matching request; `0` is
/// rejected). Faults are checked in the order they were configured, after the request body
/// has been read in full and before the request is authenticated or processed:
///
/// - a [`Delay`](Self::Delay) that fires adds its delay and the next faults are checked too;
/// - the first other fault that fires decides what happens and the faults after it do not
///   see (or count) the request;
/// - the delays add up and are waited out before whatever happens next (a delayed request
///   can still be throttled, after the delay).
///
/// So a throttled, failed or reset request is never authenticated: even a request without a
/// token gets the fault. Only [`ResetAfterStore`](Self::ResetAfterStore) runs the request's
/// normal processing (authentication included). Every fault that fires adds one to
/// [`Stats::faults_injected`](crate::Stats::faults_injected).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RequestFault {
    /// Answer every `every`th matching request `429 Too Many Requests` with Graph's error
    /// `{"error":{"code":"TooManyRequests","message":...,"innerError":{...}}}` (the identity
    /// platform's `temporarily_unavailable` AADSTS90055 error for [`FaultScope::Token`]) and
    /// `retry_after`, without processing it.
    Throttle {
        /// Fire on every `every`th matching request.
        every: u32,
        /// The `Retry-After` header.
        retry_after: RetryAfter,
    },
    /// Allow at most `per_mailbox` matching requests per mailbox at a time: a request for
    /// mailbox M (the `{M}` of `/v1.0/users/{M}/...`, compared case-insensitively; `/v1.0/me`
    /// counts as the signed-in user of a valid delegated token and is not limited otherwise)
    /// that arrives while `per_mailbox` matching requests for M are being handled is answered
    /// `429` with Outlook's `{"error":{"code":"ApplicationThrottled","message":"Application is
    /// over its MailboxConcurrency limit.",...}}` and `retry_after`, without processing it. A
    /// request is "being handled" from its check to its answer, including any
    /// [`Delay`](Self::Delay): combine the two to make requests overlap. Each configured limit
    /// keeps its own count; requests it throttles are not counted. Not allowed with
    /// [`FaultScope::Token`].
    ConcurrencyLimit {
        /// Matching requests allowed in flight per mailbox.
        per_mailbox: usize,
        /// The `Retry-After` header.
        retry_after: RetryAfter,
    },
    /// Answer every `every`th matching request with `status` (400 to 599) and a Graph error
    /// whose code matches it, without processing it: 500 `generalException`, 502
    /// `BadGateway`, 503 `serviceNotAvailable`, 504 `UnknownError` (a gateway timeout),
    /// 429 `TooManyRequests`; other statuses use their reason phrase in CamelCase. For
    /// [`FaultScope::Token`], the identity platform's error: `server_error` AADSTS50000 for
    /// 500 and other 5xx, `temporarily_unavailable` AADSTS90033 for 503 and 504,
    /// `invalid_request` AADSTS90100 for 4xx.
    Status {
        /// The HTTP status (400 to 599).
        status: u16,
        /// Fire on every `every`th matching request.
        every: u32,
        /// The `Retry-After` header ([`RetryAfter::None`] for none, as Graph usually sends
        /// `503` without one).
        retry_after: RetryAfter,
    },
    /// Hold every `every`th matching request for `delay`, then go on (to the next faults and
    /// then normal processing).
    Delay {
        /// Fire on every `every`th matching request.
        every: u32,
        /// How long to hold the request.
        delay: Duration,
    },
    /// Close the connection without answering every `every`th matching request, which is
    /// not processed (nothing is stored). As with [`UploadFault::LoseResponseOnce`], the whole
    /// connection is closed, so other requests in flight on it (HTTP/2) fail too.
    ResetBeforeProcessing {
        /// Fire on every `every`th matching request.
        every: u32,
    },
    /// Process every `every`th matching request normally (for `sendMail` the message is
    /// stored, for a draft send the draft is sent, for a token request a token is issued),
    /// then close the connection without answering: the ambiguous case where the client
    /// cannot know whether its request took effect. The whole connection is closed.
    ResetAfterStore {
        /// Fire on every `every`th matching request.
        every: u32,
    },
    /// Answer every `every`th matching request `401` with
    /// `{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed,
    /// the token is expired.",...}}` and `WWW-Authenticate: Bearer ... error="invalid_token"`,
    /// as if its bearer token had expired, without processing it. The token itself stays
    /// valid (a retry with the same token is not refused for it); whether a client fetched a
    /// new token shows in [`Stats::token_requests`](crate::Stats::token_requests). Not
    /// allowed with [`FaultScope::Token`].
    ExpiredToken {
        /// Fire on every `every`th matching request.
        every: u32,
    },
    /// Close every `every`th accepted TCP connection at once (with a reset), before the TLS
    /// handshake: the client never gets to send its request. The scope is ignored; refused
    /// connections are not counted in [`Stats::connections`](crate::Stats::connections).
    RefuseConnections {
        /// Fire on every `every`th accepted connection.
        every: u32,
    },
}

impl RequestFault {
    /// The "every Nth" period, for the faults that have one.
    fn every(&self) -> Option<u32> {
        match *self {
            RequestFault::Throttle { every, .. }
            | RequestFault::Status { every, .. }
            | RequestFault::Delay { every, .. }
            | RequestFault::ResetBeforeProcessing { every }
            | RequestFault::ResetAfterStore { every }
            | RequestFault::ExpiredToken { every }
            | RequestFault::RefuseConnections { every } => Some(every),
            RequestFault::ConcurrencyLimit { .. } => None,
        }
    }

    /// Whether the fault can be used with `scope`, and its values make sense.
    pub(crate) fn check(&self, scope: FaultScope) -> Result<(), String> {
        if self.every() == Some(0) {
            return Err(format!("{self:?}: `every` must be at least 1"));
        }
        match self {
            RequestFault::Throttle { retry_after, .. }
            | RequestFault::ConcurrencyLimit { retry_after, .. } => retry_after.check()?,
            RequestFault::Status {
                status,
                retry_after,
                ..
            } => {
                if !(400..=599).contains(status) {
                    return Err(format!(
                        "{self:?}: the status must be an error status (400 to 599)"
                    ));
                }
                retry_after.check()?;
            }
            _ => {}
        }
        let graph_only = matches!(
            self,
            RequestFault::ConcurrencyLimit { .. } | RequestFault::ExpiredToken { .. }
        );
        if graph_only && scope == FaultScope::Token {
            return Err(format!(
                "{self:?} applies to Graph requests only, not to FaultScope::Token"
            ));
        }
        Ok(())
    }
}

/// Check a list of request faults; the error names the first bad one.
pub(crate) fn check_request_faults(faults: &[(FaultScope, RequestFault)]) -> Result<(), String> {
    faults
        .iter()
        .try_for_each(|(scope, fault)| fault.check(*scope))
}

/// What a request is, as far as the request faults care.
#[derive(Debug, Default)]
pub(crate) struct FaultTarget {
    /// A request under `/v1.0/`.
    pub(crate) graph: bool,
    /// `POST .../sendMail`.
    pub(crate) send_mail: bool,
    /// `POST .../messages/{id}/send`.
    pub(crate) draft_send: bool,
    /// `POST /{tenant}/oauth2/v2.0/token`.
    pub(crate) token: bool,
    /// The mailbox a Graph request is about, lower-cased.
    pub(crate) mailbox: Option<String>,
}

impl FaultTarget {
    /// Classify a request by method and decoded path segments. `me` resolves `/v1.0/me` to the
    /// signed-in user (called only for such paths).
    pub(crate) fn classify(
        method: &Method,
        segments: &[String],
        me: impl FnOnce() -> Option<String>,
    ) -> FaultTarget {
        let s: Vec<&str> = segments.iter().map(String::as_str).collect();
        let post = *method == Method::POST;
        match s.as_slice() {
            [version, rest @ ..] if is(version, "v1.0") => {
                let (mailbox, tail) = match rest {
                    [users, user, tail @ ..] if is(users, "users") => {
                        (Some(user.to_ascii_lowercase()), tail)
                    }
                    [me_segment, tail @ ..] if is(me_segment, "me") => {
                        (me().map(|upn| upn.to_ascii_lowercase()), tail)
                    }
                    _ => (None, &[][..]),
                };
                let send_mail = post && matches!(tail, [action] if is(action, "sendMail"));
                let draft_send = post
                    && matches!(tail, [messages, _id, send]
                        if is(messages, "messages")
                            && (is(send, "send") || is(send, "microsoft.graph.send")));
                FaultTarget {
                    graph: true,
                    send_mail,
                    draft_send,
                    token: false,
                    mailbox,
                }
            }
            [_tenant, oauth2, v2, token]
                if is(oauth2, "oauth2") && is(v2, "v2.0") && is(token, "token") =>
            {
                FaultTarget {
                    token: post,
                    ..FaultTarget::default()
                }
            }
            _ => FaultTarget::default(),
        }
    }

    /// Whether the request is in `scope`.
    fn matches(&self, scope: FaultScope) -> bool {
        match scope {
            FaultScope::SendMail => self.send_mail,
            FaultScope::Graph => self.graph,
            FaultScope::DraftSend => self.draft_send,
            FaultScope::Token => self.token,
        }
    }

    /// Whether no scope can match the request.
    pub(crate) fn is_unmatched(&self) -> bool {
        !self.graph && !self.token
    }
}

/// What the request faults decided for one request.
pub(crate) enum FaultAction {
    /// Process the request normally.
    Process,
    /// Process the request, then close the connection without answering.
    ProcessThenClose,
    /// Close the connection without processing or answering.
    Close,
    /// `429 TooManyRequests`.
    Throttle(RetryAfter),
    /// `429 ApplicationThrottled` (mailbox concurrency).
    ConcurrencyThrottle(RetryAfter),
    /// An error status.
    Status(u16, RetryAfter),
    /// `401 InvalidAuthenticationToken` (token expired).
    ExpiredToken,
}

/// The outcome of checking the request faults for one request. Keep it until the request has
/// been answered: it holds the request's [`RequestFault::ConcurrencyLimit`] places.
pub(crate) struct Decision {
    /// How long to hold the request first.
    pub(crate) delay: Duration,
    /// What to do then.
    pub(crate) action: FaultAction,
    /// How many faults fired.
    pub(crate) fired: u64,
    _places: Vec<InFlight>,
}

impl Decision {
    /// Nothing fired: process normally.
    pub(crate) fn none() -> Decision {
        Decision {
            delay: Duration::ZERO,
            action: FaultAction::Process,
            fired: 0,
            _places: Vec::new(),
        }
    }
}

/// Matching requests in flight per mailbox, for one concurrency limit.
type InFlightCounts = Arc<Mutex<HashMap<String, usize>>>;

/// One place taken under a concurrency limit; given back when dropped.
struct InFlight {
    counts: InFlightCounts,
    mailbox: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.mailbox) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.mailbox);
            }
        }
    }
}

/// One configured request fault and its counters.
struct ArmedRequestFault {
    scope: FaultScope,
    fault: RequestFault,
    /// Matching requests (or accepted connections) seen so far.
    seen: u64,
    /// For a concurrency limit: requests in flight per mailbox.
    in_flight: InFlightCounts,
}

/// The request faults of one emulator, replaceable at run time.
#[derive(Default)]
pub(crate) struct RequestFaults {
    armed: Mutex<Vec<ArmedRequestFault>>,
}

impl RequestFaults {
    /// Arm `faults` (checked by the caller).
    pub(crate) fn new(faults: &[(FaultScope, RequestFault)]) -> Self {
        let armed = RequestFaults::default();
        armed.replace(faults);
        armed
    }

    /// Replace the faults, with fresh counters.
    pub(crate) fn replace(&self, faults: &[(FaultScope, RequestFault)]) {
        let fresh = faults
            .iter()
            .map(|&(scope, fault)| ArmedRequestFault {
                scope,
                fault,
                seen: 0,
                in_flight: Arc::default(),
            })
            .collect();
        *self.armed.lock().unwrap_or_else(|p| p.into_inner()) = fresh;
    }

    /// Count an accepted TCP connection; returns how many [`RequestFault::RefuseConnections`]
    /// faults fired for it (`0`: serve it).
    pub(crate) fn refuse_connection(&self) -> u64 {
        let mut armed = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        let mut fired = 0;
        for entry in armed.iter_mut() {
            if let RequestFault::RefuseConnections { every } = entry.fault {
                entry.seen += 1;
                if entry.seen % u64::from(every.max(1)) == 0 {
                    fired += 1;
                }
            }
        }
        fired
    }

    /// Check the faults, in order, for a request (see [`RequestFault`] for the rules).
    pub(crate) fn decide(&self, target: &FaultTarget) -> Decision {
        let mut decision = Decision::none();
        let mut armed = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        for entry in armed.iter_mut() {
            if matches!(entry.fault, RequestFault::RefuseConnections { .. })
                || !target.matches(entry.scope)
            {
                continue;
            }
            if let RequestFault::ConcurrencyLimit {
                per_mailbox,
                retry_after,
            } = entry.fault
            {
                let Some(mailbox) = &target.mailbox else {
                    continue;
                };
                let mut counts = entry.in_flight.lock().unwrap_or_else(|p| p.into_inner());
                let count = counts.entry(mailbox.clone()).or_insert(0);
                if *count >= per_mailbox {
                    if *count == 0 {
                        counts.remove(mailbox);
                    }
                    decision.fired += 1;
                    decision.action = FaultAction::ConcurrencyThrottle(retry_after);
                    break;
                }
                *count += 1;
                decision._places.push(InFlight {
                    counts: Arc::clone(&entry.in_flight),
                    mailbox: mailbox.clone(),
                });
                continue;
            }
            entry.seen += 1;
            let every = u64::from(entry.fault.every().unwrap_or(1).max(1));
            if entry.seen % every != 0 {
                continue;
            }
            decision.fired += 1;
            decision.action = match entry.fault {
                RequestFault::Delay { delay, .. } => {
                    decision.delay = decision.delay.saturating_add(delay);
                    continue;
                }
                RequestFault::Throttle { retry_after, .. } => FaultAction::Throttle(retry_after),
                RequestFault::Status {
                    status,
                    retry_after,
                    ..
                } => FaultAction::Status(status, retry_after),
                RequestFault::ResetBeforeProcessing { .. } => FaultAction::Close,
                RequestFault::ResetAfterStore { .. } => FaultAction::ProcessThenClose,
                RequestFault::ExpiredToken { .. } => FaultAction::ExpiredToken,
                RequestFault::ConcurrencyLimit { .. } | RequestFault::RefuseConnections { .. } => {
                    continue; // handled above
                }
            };
            break;
        }
        decision
    }
}

/// The reply of a fault that answers instead of processing (`None` for the other actions).
/// Token endpoint requests get the identity platform's error shape, Graph requests Graph's.
pub(crate) fn fault_reply(action: &FaultAction, target: &FaultTarget, ctx: &Ctx) -> Option<Reply> {
    let (status, retry_after) = match *action {
        FaultAction::Throttle(retry_after) | FaultAction::ConcurrencyThrottle(retry_after) => {
            (StatusCode::TOO_MANY_REQUESTS, retry_after)
        }
        FaultAction::Status(status, retry_after) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            retry_after,
        ),
        FaultAction::ExpiredToken => (StatusCode::UNAUTHORIZED, RetryAfter::None),
        FaultAction::Process | FaultAction::ProcessThenClose | FaultAction::Close => return None,
    };
    let mut reply = if target.token {
        let (error, code, text) = aad_fault_error(status);
        crate::aad_error::aad_error(ctx, status, error, code, text)
    } else {
        let (code, message) = match action {
            FaultAction::ConcurrencyThrottle(_) => (
                "ApplicationThrottled".to_string(),
                "Application is over its MailboxConcurrency limit.".to_string(),
            ),
            FaultAction::ExpiredToken => (
                "InvalidAuthenticationToken".to_string(),
                "Lifetime validation failed, the token is expired.".to_string(),
            ),
            _ => graph_fault_error(status),
        };
        crate::graph::graph_error(ctx, status, &code, &message)
    };
    if matches!(action, FaultAction::ExpiredToken) {
        reply = reply.with_header(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Bearer realm=\"\", error=\"invalid_token\", \
                 error_description=\"The access token is expired\"",
            ),
        );
    }
    // An HTTP date counts from now, not from the request's arrival (it may have been delayed).
    if let Some(value) = retry_after
        .header_value(OffsetDateTime::now_utc())
        .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        reply = reply.with_header(RETRY_AFTER, value);
    }
    Some(reply)
}

/// Graph's error code and message for an injected error status.
fn graph_fault_error(status: StatusCode) -> (String, String) {
    let (code, message) = match status.as_u16() {
        429 => (
            "TooManyRequests",
            "Too many requests. Retry after the time in the Retry-After header.",
        ),
        500 => ("generalException", "An unspecified error has occurred."),
        502 => ("BadGateway", "The gateway received an invalid response."),
        503 => (
            "serviceNotAvailable",
            "The service is temporarily unavailable. Try the request again after a delay.",
        ),
        504 => (
            "UnknownError",
            "The gateway did not get a response from the service in time (gateway timeout).",
        ),
        _ => {
            let reason = status.canonical_reason().unwrap_or("Error");
            let code: String = reason
                .split(|c: char| !c.is_ascii_alphanumeric())
                .map(|word| {
                    let mut chars = word.chars();
                    chars.next().map_or_else(String::new, |first| {
                        first.to_ascii_uppercase().to_string() + chars.as_str()
                    })
                })
                .collect();
            return (code, format!("Injected fault: {reason}."));
        }
    };
    (code.to_string(), message.to_string())
}

/// The identity platform's OAuth error, AADSTS code and text for an injected error status.
fn aad_fault_error(status: StatusCode) -> (&'static str, u32, &'static str) {
    match status.as_u16() {
        429 => (
            "temporarily_unavailable",
            90055,
            "There are too many incoming requests. Try again later.",
        ),
        503 | 504 => (
            "temporarily_unavailable",
            90033,
            "A transient error has occurred. Please try again.",
        ),
        400..=499 => (
            "invalid_request",
            90100,
            "The request could not be processed (injected fault).",
        ),
        _ => (
            "server_error",
            50000,
            "There was an error issuing a token or an issue with our sign-in service.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(path: &str) -> Vec<String> {
        crate::http::path_segments(path)
    }

    fn target(method: Method, path: &str) -> FaultTarget {
        FaultTarget::classify(&method, &segments(path), || Some("Me@Contoso.Test".into()))
    }

    #[test]
    fn requests_are_classified_by_method_and_path() {
        let send = target(Method::POST, "/v1.0/users/Alerts%40Contoso.test/SENDMAIL");
        assert!(send.graph && send.send_mail && !send.draft_send && !send.token);
        assert_eq!(send.mailbox.as_deref(), Some("alerts@contoso.test"));
        let me = target(Method::POST, "/v1.0/me/sendMail");
        assert!(me.send_mail);
        assert_eq!(me.mailbox.as_deref(), Some("me@contoso.test"));
        let get = target(Method::GET, "/v1.0/users/a@b.test/sendMail");
        assert!(get.graph && !get.send_mail);
        let draft = target(Method::POST, "/v1.0/users/a@b.test/messages/AAM1/send");
        assert!(draft.graph && draft.draft_send && !draft.send_mail);
        let draft = target(Method::POST, "/v1.0/me/messages/AAM1/microsoft.graph.send");
        assert!(draft.draft_send);
        let create = target(Method::POST, "/v1.0/users/a@b.test/messages");
        assert!(create.graph && !create.draft_send);
        let token = target(Method::POST, "/tenant/oauth2/v2.0/token");
        assert!(token.token && !token.graph && token.mailbox.is_none());
        assert!(target(Method::GET, "/tenant/oauth2/v2.0/token").is_unmatched());
        assert!(target(Method::PUT, "/upload/abc").is_unmatched());
        assert!(target(Method::GET, "/_emulator/stats").is_unmatched());
        let anonymous_me =
            FaultTarget::classify(&Method::POST, &segments("/v1.0/me/sendMail"), || None);
        assert!(anonymous_me.send_mail && anonymous_me.mailbox.is_none());
    }

    fn action(decision: &Decision) -> &'static str {
        match decision.action {
            FaultAction::Process => "process",
            FaultAction::ProcessThenClose => "process+close",
            FaultAction::Close => "close",
            FaultAction::Throttle(_) => "429",
            FaultAction::ConcurrencyThrottle(_) => "429 concurrency",
            FaultAction::Status(..) => "status",
            FaultAction::ExpiredToken => "401",
        }
    }

    #[test]
    fn faults_fire_on_every_nth_match_in_order() {
        let faults = RequestFaults::new(&[
            (
                FaultScope::SendMail,
                RequestFault::Delay {
                    every: 1,
                    delay: Duration::from_millis(5),
                },
            ),
            (
                FaultScope::SendMail,
                RequestFault::Throttle {
                    every: 2,
                    retry_after: RetryAfter::None,
                },
            ),
            (
                FaultScope::Graph,
                RequestFault::ResetAfterStore { every: 2 },
            ),
        ]);
        let send = target(Method::POST, "/v1.0/users/a@b.test/sendMail");
        let list = target(Method::GET, "/v1.0/users/a@b.test/mailFolders/x/messages");
        let outcomes: Vec<_> = (0..4)
            .map(|_| {
                let d = faults.decide(&send);
                (action(&d), d.delay.as_millis(), d.fired)
            })
            .collect();
        // The throttle takes every 2nd sendMail before the reset sees it: the reset counts
        // sendMail 1 and 3 only, and fires on the 3rd.
        assert_eq!(
            outcomes,
            [
                ("process", 5, 1),
                ("429", 5, 2),
                ("process+close", 5, 2),
                ("429", 5, 2)
            ]
        );
        assert_eq!(action(&faults.decide(&list)), "process");
        assert_eq!(action(&faults.decide(&list)), "process+close");
        assert_eq!(action(&faults.decide(&send)), "process");
        // Connections are not requests.
        assert_eq!(faults.refuse_connection(), 0);
        faults.replace(&[]);
        assert_eq!(faults.decide(&send).fired, 0);
    }

    #[test]
    fn concurrency_places_are_given_back() {
        let faults = RequestFaults::new(&[(
            FaultScope::Graph,
            RequestFault::ConcurrencyLimit {
                per_mailbox: 2,
                retry_after: RetryAfter::Seconds(1),
            },
        )]);
        let a = target(Method::POST, "/v1.0/users/a@b.test/sendMail");
        let a_upper = target(Method::GET, "/v1.0/users/A@B.TEST/messages/x");
        let b = target(Method::POST, "/v1.0/users/b@b.test/sendMail");
        let first = faults.decide(&a);
        let second = faults.decide(&a_upper);
        assert_eq!(action(&first), "process");
        assert_eq!(action(&second), "process");
        let third = faults.decide(&a);
        assert_eq!((action(&third), third.fired), ("429 concurrency", 1));
        assert_eq!(action(&faults.decide(&b)), "process");
        drop(third);
        assert_eq!(action(&faults.decide(&a)), "429 concurrency");
        drop(first);
        let again = faults.decide(&a);
        assert_eq!(action(&again), "process");
        assert_eq!(action(&faults.decide(&a)), "429 concurrency");
        // A request without a known mailbox is not limited.
        let anonymous =
            FaultTarget::classify(&Method::POST, &segments("/v1.0/me/sendMail"), || None);
        assert_eq!(action(&faults.decide(&anonymous)), "process");
        drop((second, again));
        assert!(faults.armed.lock().unwrap()[0]
            .in_flight
            .lock()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn connections_are_refused_every_nth_time() {
        let faults = RequestFaults::new(&[
            (
                FaultScope::Graph,
                RequestFault::RefuseConnections { every: 2 },
            ),
            (
                FaultScope::Token,
                RequestFault::RefuseConnections { every: 3 },
            ),
        ]);
        let fired: Vec<u64> = (0..6).map(|_| faults.refuse_connection()).collect();
        assert_eq!(fired, [0, 1, 1, 1, 0, 2]);
        // Requests do not count as connections.
        let send = target(Method::POST, "/v1.0/users/a@b.test/sendMail");
        assert_eq!(faults.decide(&send).fired, 0);
    }

    #[test]
    fn retry_after_values() {
        let now = time::macros::datetime!(2026-11-22 04:10:00.25 UTC);
        assert_eq!(
            RetryAfter::Seconds(7).header_value(now).as_deref(),
            Some("7")
        );
        assert_eq!(
            RetryAfter::FractionalSeconds(0.5)
                .header_value(now)
                .as_deref(),
            Some("0.5")
        );
        assert_eq!(
            RetryAfter::FractionalSeconds(2.0)
                .header_value(now)
                .as_deref(),
            Some("2")
        );
        // Rounded up to the next whole second.
        assert_eq!(
            RetryAfter::HttpDate(Duration::from_secs(60))
                .header_value(now)
                .as_deref(),
            Some("Sun, 22 Nov 2026 04:11:01 GMT")
        );
        let whole = time::macros::datetime!(2026-11-22 04:10:00 UTC);
        assert_eq!(
            RetryAfter::HttpDate(Duration::from_millis(1500))
                .header_value(whole)
                .as_deref(),
            Some("Sun, 22 Nov 2026 04:10:02 GMT")
        );
        assert_eq!(RetryAfter::None.header_value(now), None);
    }

    #[test]
    fn fault_checks() {
        let ok = RequestFault::Throttle {
            every: 1,
            retry_after: RetryAfter::HttpDate(Duration::from_secs(3600)),
        };
        assert!(ok.check(FaultScope::Token).is_ok());
        assert!(RequestFault::ExpiredToken { every: 1 }
            .check(FaultScope::Token)
            .is_err());
        assert!(RequestFault::ExpiredToken { every: 1 }
            .check(FaultScope::DraftSend)
            .is_ok());
        assert!(RequestFault::Delay {
            every: 0,
            delay: Duration::ZERO
        }
        .check(FaultScope::Graph)
        .is_err());
        for (status, fine) in [(399, false), (400, true), (504, true), (600, false)] {
            let fault = RequestFault::Status {
                status,
                every: 1,
                retry_after: RetryAfter::None,
            };
            assert_eq!(fault.check(FaultScope::SendMail).is_ok(), fine, "{status}");
        }
        for bad in [f64::NAN, f64::INFINITY, -0.5] {
            let fault = RequestFault::Throttle {
                every: 1,
                retry_after: RetryAfter::FractionalSeconds(bad),
            };
            assert!(fault.check(FaultScope::Graph).is_err(), "{bad}");
        }
        let far = RequestFault::Throttle {
            every: 1,
            retry_after: RetryAfter::HttpDate(Duration::from_secs(u64::MAX)),
        };
        assert!(far.check(FaultScope::Graph).is_err());
        assert_eq!(graph_fault_error(StatusCode::BAD_GATEWAY).0, "BadGateway");
        assert_eq!(
            graph_fault_error(StatusCode::NOT_IMPLEMENTED).0,
            "NotImplemented"
        );
        assert_eq!(
            graph_fault_error(StatusCode::HTTP_VERSION_NOT_SUPPORTED).0,
            "HTTPVersionNotSupported"
        );
    }

    #[test]
    fn faults_fire_once_in_order() {
        let faults = Faults::new(&[
            UploadFault::FailChunkOnce { index: 1 },
            UploadFault::LoseResponseOnce { index: 1 },
        ]);
        assert_eq!(faults.take(0), None);
        assert_eq!(
            faults.take(1),
            Some(UploadFault::FailChunkOnce { index: 1 })
        );
        assert_eq!(
            faults.take(1),
            Some(UploadFault::LoseResponseOnce { index: 1 })
        );
        assert_eq!(faults.take(1), None);
        let every = Faults::new(&[UploadFault::FailEveryChunk]);
        for i in [0, 0, 5] {
            assert_eq!(every.take(i), Some(UploadFault::FailEveryChunk));
        }
    }
}
