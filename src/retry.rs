//! The retry policy, one layer used by every Graph and token request: 429, 503 and 504 are
//! retried after `Retry-After` (seconds, fractional seconds or an HTTP date) or an exponential
//! backoff with full jitter, capped; connection failures are retried only when the request
//! cannot have been sent (the connection was never made), unless the request is safe to repeat.
//! A request that went out and got no answer is never repeated when repeating it could deliver
//! a message twice: the caller gets [`Failure::ambiguous`] and reports the outcome as unknown.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::error::{Error, ErrorCode, Result};
use crate::graph::request::Answer;
use crate::http::{classify, host_of};
use crate::progress::SendControl;

/// Default attempts per request (the first try and three retries).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 4;
/// Default time a request may spend retrying, waits included.
pub const DEFAULT_RETRY_DEADLINE: Duration = Duration::from_secs(120);
/// First backoff step; doubled for each retry.
const BASE_DELAY: Duration = Duration::from_millis(500);
/// Longest backoff without a `Retry-After`.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How often and how long a request is retried (`maxAttempts`, `retryDeadlineSeconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, at least 1 (1 means no retry).
    pub max_attempts: u32,
    /// The longest a request may take with its retries and waits; a wait that would end
    /// after it is not started.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            deadline: DEFAULT_RETRY_DEADLINE,
        }
    }
}

/// Throttling shared by the sends of one mailbox in a bulk send: after a 429, no request for
/// that mailbox starts before the time Graph asked for.
#[derive(Debug, Default)]
pub(crate) struct ThrottleGate {
    not_before: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl ThrottleGate {
    /// Waits until the mailbox may be asked again.
    async fn wait_turn(&self) {
        let at = self.not_before.lock().ok().and_then(|g| *g);
        if let Some(at) = at {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Holds every request of the mailbox back for `wait`.
    fn hold(&self, wait: Duration) {
        let at = tokio::time::Instant::now() + wait;
        if let Ok(mut g) = self.not_before.lock() {
            if g.is_none_or(|current| current < at) {
                *g = Some(at);
            }
        }
    }
}

/// Whether a request may be repeated after it went out without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Repeating does no harm (GET, DELETE, token requests).
    Safe,
    /// Repeating could act twice (sendMail, create draft, send draft): only retried when the
    /// request was surely not processed (a 429/503/504 answer, or no connection at all).
    Unsafe,
}

/// A failed exchange.
#[derive(Debug)]
pub(crate) struct Failure {
    /// What went wrong.
    pub error: Error,
    /// The request may have reached the service (it was sent and no answer came), so its
    /// outcome is unknown.
    pub ambiguous: bool,
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Error {
        f.error
    }
}

/// Statuses that mean "not processed, try again later".
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 503 | 504)
}

/// The wait a `Retry-After` header asks for: whole or fractional seconds, or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = raw.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let when = time::PrimitiveDateTime::parse(raw, &format)
        .ok()?
        .assume_utc();
    let now = time::OffsetDateTime::now_utc();
    Some(if when > now {
        Duration::try_from(when - now)
            .unwrap_or_default()
            .min(Duration::from_secs(86_400))
    } else {
        Duration::ZERO
    })
}

/// Exponential backoff with full jitter for retry number `retry` (1 = first retry), capped.
pub(crate) fn backoff(retry: u32) -> Duration {
    let ceiling = BASE_DELAY
        .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1).min(16)))
        .min(MAX_BACKOFF);
    let mut bytes = [0u8; 4];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    let fraction = f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX);
    // Never less than a tenth of the ceiling, so retries do not hammer the service.
    ceiling.mul_f64(0.1 + 0.9 * fraction)
}

/// Whether a transport error happened before anything was sent (the connection could not be
/// made): such a request can always be tried again. TLS failures are not retried at all.
fn never_sent(e: &reqwest::Error) -> bool {
    e.is_connect() && crate::http::find_rustls_error(e).is_none()
}

/// Sends the request `build` makes, reading the whole answer, and retries it under `policy`:
/// after 429/503/504 (the last such answer is returned when the attempts or the deadline run
/// out), after a connection failure before sending, and — for [`Repeat::Safe`] requests —
/// after any transport failure. A cancel through `control` stops at once.
pub(crate) async fn exchange_with_retry(
    build: &(dyn Fn() -> Result<reqwest::RequestBuilder> + Send + Sync),
    url: &str,
    what: &str,
    control: &SendControl,
    policy: &RetryPolicy,
    repeat: Repeat,
) -> std::result::Result<Answer, Failure> {
    let started = Instant::now();
    let host = host_of(url);
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        let last = attempt >= policy.max_attempts.max(1);
        let not_sent = |error| Failure {
            error,
            ambiguous: false,
        };
        if let Some(gate) = control.gate() {
            control
                .run(async {
                    gate.wait_turn().await;
                    Ok(())
                })
                .await
                .map_err(not_sent)?;
        }
        control.check().map_err(not_sent)?;
        let request = build().map_err(not_sent)?;
        let outcome = control
            .run(async {
                match request.send().await {
                    Err(e) => Ok(Err(e)),
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let headers = response.headers().clone();
                        match response.bytes().await {
                            Ok(body) => Ok(Ok(Answer {
                                status,
                                headers,
                                body,
                            })),
                            Err(e) => Ok(Err(e)),
                        }
                    }
                }
            })
            .await
            .map_err(|stopped| {
                // Cancelled or out of time while the request was (maybe) in flight.
                let message = if stopped.code() == ErrorCode::Cancelled {
                    format!(
                        "The send was cancelled while {} was waiting for its answer.",
                        what.to_lowercase()
                    )
                } else {
                    stopped.message().to_string()
                };
                Failure {
                    error: stopped.with_message(message),
                    ambiguous: repeat == Repeat::Unsafe,
                }
            })?;
        let (wait, status) = match outcome {
            Ok(answer) if is_retryable_status(answer.status) && !last => {
                let wait = retry_after(&answer.headers).unwrap_or_else(|| backoff(attempt));
                if let (429, Some(gate)) = (answer.status, control.gate()) {
                    gate.hold(wait);
                }
                (wait, Some(answer.status))
            }
            Ok(answer) => return Ok(answer),
            Err(e) => {
                let sent = !never_sent(&e);
                let retry = !last
                    && crate::http::find_rustls_error(&e).is_none()
                    && (!sent || repeat == Repeat::Safe);
                if !retry {
                    return Err(Failure {
                        error: classify(e, what, &host),
                        ambiguous: sent && repeat == Repeat::Unsafe,
                    });
                }
                (backoff(attempt), None)
            }
        };
        if started.elapsed() + wait > policy.deadline {
            // No time for another try: one more attempt would end after the deadline.
            let (code, why) = match status {
                Some(429) => (ErrorCode::Throttled, "throttled (HTTP 429)".to_string()),
                Some(s) => (
                    ErrorCode::GraphServiceUnavailable,
                    format!("unavailable (HTTP {s})"),
                ),
                None => (ErrorCode::ConnectionFailed, "unreachable".to_string()),
            };
            let mut error = Error::new(
                code,
                format!(
                    "{what} to {host} was still {why} after {attempt} attempt(s) in {:.0} s; the next try would have started after the retry deadline ({} s, retryDeadlineSeconds). Nothing was sent.",
                    started.elapsed().as_secs_f64(),
                    policy.deadline.as_secs()
                ),
            );
            if let Some(s) = status {
                error = error.with_http_status(s);
            }
            return Err(Failure {
                error,
                ambiguous: false,
            });
        }
        control
            .run(async {
                tokio::time::sleep(wait).await;
                Ok(())
            })
            .await
            .map_err(|error| Failure {
                error,
                ambiguous: false,
            })?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn retry_after_takes_seconds_fractions_and_dates() {
        assert_eq!(retry_after(&headers("7")), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after(&headers("0.25")),
            Some(Duration::from_millis(250))
        );
        assert_eq!(retry_after(&headers("-3")), None);
        assert_eq!(retry_after(&headers("soon")), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
        let in_30 = time::OffsetDateTime::now_utc() + time::Duration::seconds(30);
        let format = time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        let wait = retry_after(&headers(&in_30.format(&format).unwrap())).unwrap();
        assert!(
            wait > Duration::from_secs(27) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:49:37 GMT")),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn backoff_grows_is_jittered_and_capped() {
        for retry in 1..20 {
            let ceiling = BASE_DELAY
                .saturating_mul(2u32.saturating_pow(retry - 1))
                .min(MAX_BACKOFF);
            let d = backoff(retry);
            assert!(d <= ceiling && d >= ceiling.mul_f64(0.1), "{retry}: {d:?}");
        }
        let samples: std::collections::HashSet<_> = (0..20).map(|_| backoff(5)).collect();
        assert!(samples.len() > 1, "jittered");
    }

    #[test]
    fn only_throttling_and_unavailability_are_retried() {
        for s in [429, 503, 504] {
            assert!(is_retryable_status(s));
        }
        for s in [200, 202, 400, 401, 403, 404, 413, 500, 502] {
            assert!(!is_retryable_status(s));
        }
    }
}
