//! Outlook's per app and mailbox limits ("Outlook service limits" of Graph's throttling
//! guidance): concurrent requests, requests per window and uploaded bytes per window, each
//! counted per combination of an app ID and a mailbox.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::header::{HeaderValue, RETRY_AFTER};
use hyper::StatusCode;

use crate::http::{Ctx, Reply};

/// Limits applied to each combination of an app (the access token's client ID) and a mailbox
/// (the `{id}` of `/v1.0/users/{id}/...`, or the signed-in user of `/v1.0/me/...`).
/// Exceeding them for one mailbox does not affect the app's access to another.
///
/// [`ThrottlingLimits::OUTLOOK`] holds the values Microsoft documents; tests use smaller ones.
/// A request over a limit is answered `429 Too Many Requests` with Outlook's
/// `ApplicationThrottled` error and a `Retry-After` header (whole seconds: when the window has
/// room again; 1 for the concurrency limit), without being processed. Throttled requests do not
/// count towards the limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlingLimits {
    /// Requests handled at the same time (Outlook: 4). `0` turns this limit off.
    pub concurrent_requests: usize,
    /// Requests per [`request_window`](Self::request_window) (Outlook: 10,000). `0` turns
    /// this limit off.
    pub requests_per_window: u64,
    /// The sliding window of [`requests_per_window`](Self::requests_per_window) (Outlook:
    /// 10 minutes).
    pub request_window: Duration,
    /// Request body bytes of `POST`, `PUT` and `PATCH` requests (upload-session chunks
    /// included) per [`upload_window`](Self::upload_window) (Outlook: 150 MB, taken as
    /// 150 MiB, the largest attachment). `0` turns this limit off.
    pub upload_bytes_per_window: u64,
    /// The sliding window of [`upload_bytes_per_window`](Self::upload_bytes_per_window)
    /// (Outlook: 5 minutes).
    pub upload_window: Duration,
}

impl ThrottlingLimits {
    /// Outlook's documented limits: 4 concurrent requests, 10,000 requests per 10 minutes,
    /// 150 MB of uploads per 5 minutes, per app and mailbox.
    pub const OUTLOOK: ThrottlingLimits = ThrottlingLimits {
        concurrent_requests: 4,
        requests_per_window: 10_000,
        request_window: Duration::from_secs(600),
        upload_bytes_per_window: 150 * 1024 * 1024,
        upload_window: Duration::from_secs(300),
    };
}

impl Default for ThrottlingLimits {
    fn default() -> Self {
        ThrottlingLimits::OUTLOOK
    }
}

/// Which limit a throttled request hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Limit {
    Concurrency,
    Requests,
    UploadBytes,
}

/// A request the limits refused.
#[derive(Debug)]
pub(crate) struct Throttled {
    pub(crate) limit: Limit,
    /// Whole seconds until the request would be admitted (at least 1).
    pub(crate) retry_after_seconds: u64,
}

impl Throttled {
    /// Outlook's error message for the limit.
    pub(crate) fn message(&self) -> &'static str {
        match self.limit {
            Limit::Concurrency => "Application is over its MailboxConcurrency limit.",
            Limit::Requests => "Application is over its MailboxRequests limit.",
            Limit::UploadBytes => "Application is over its IncomingBytes limit.",
        }
    }
}

/// `429 Too Many Requests` with Outlook's `ApplicationThrottled` error and `Retry-After`.
pub(crate) fn reply(ctx: &Ctx, throttled: &Throttled) -> Reply {
    crate::graph::graph_error(
        ctx,
        StatusCode::TOO_MANY_REQUESTS,
        "ApplicationThrottled",
        throttled.message(),
    )
    .with_header(
        RETRY_AFTER,
        HeaderValue::from(throttled.retry_after_seconds),
    )
}

/// The counts of one app + mailbox.
#[derive(Default)]
struct Bucket {
    in_flight: usize,
    requests: VecDeque<Instant>,
    uploads: VecDeque<(Instant, u64)>,
    upload_total: u64,
}

impl Bucket {
    fn forget_before(&mut self, now: Instant, limits: &ThrottlingLimits) {
        while self
            .requests
            .front()
            .is_some_and(|t| now.duration_since(*t) >= limits.request_window)
        {
            self.requests.pop_front();
        }
        while let Some(&(t, bytes)) = self.uploads.front() {
            if now.duration_since(t) < limits.upload_window {
                break;
            }
            self.upload_total -= bytes;
            self.uploads.pop_front();
        }
    }

    fn is_idle(&self) -> bool {
        self.in_flight == 0 && self.requests.is_empty() && self.uploads.is_empty()
    }
}

type Buckets = Arc<Mutex<HashMap<(String, String), Bucket>>>;

/// The throttling state of one emulator; limits can be switched at run time.
#[derive(Default)]
pub(crate) struct Throttle {
    limits: Mutex<Option<ThrottlingLimits>>,
    buckets: Buckets,
}

/// A request admitted under the concurrency limit; its place is given back when dropped.
pub(crate) struct Permit {
    buckets: Buckets,
    key: (String, String),
}

impl std::fmt::Debug for Permit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permit").field("key", &self.key).finish()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bucket) = buckets.get_mut(&self.key) {
            bucket.in_flight = bucket.in_flight.saturating_sub(1);
            if bucket.is_idle() {
                buckets.remove(&self.key);
            }
        }
    }
}

/// Whole seconds (rounded up, at least 1) until `since + window` has passed at `now`.
fn seconds_until(since: Instant, window: Duration, now: Instant) -> u64 {
    let left = (since + window).saturating_duration_since(now);
    let whole = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    whole.max(1)
}

impl Throttle {
    /// Throttling with `limits` (`None`: off).
    pub(crate) fn new(limits: Option<ThrottlingLimits>) -> Throttle {
        Throttle {
            limits: Mutex::new(limits),
            buckets: Arc::default(),
        }
    }

    /// Switch the limits (`None`: off). Counts so far are kept.
    pub(crate) fn set_limits(&self, limits: Option<ThrottlingLimits>) {
        *self.limits.lock().unwrap_or_else(|p| p.into_inner()) = limits;
    }

    /// The limits in force.
    pub(crate) fn limits(&self) -> Option<ThrottlingLimits> {
        *self.limits.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admit one request of app `client_id` for `mailbox` carrying `upload_bytes` body bytes
    /// (0 for `GET`/`DELETE`), or say which limit it is over. `Ok(None)` when throttling is
    /// off. Keep the permit until the request has been answered.
    pub(crate) fn admit(
        &self,
        client_id: &str,
        mailbox: &str,
        upload_bytes: u64,
        now: Instant,
    ) -> Result<Option<Permit>, Throttled> {
        let Some(limits) = self.limits() else {
            return Ok(None);
        };
        let key = (client_id.to_ascii_lowercase(), mailbox.to_ascii_lowercase());
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(key.clone()).or_default();
        bucket.forget_before(now, &limits);
        let refused =
            if limits.concurrent_requests > 0 && bucket.in_flight >= limits.concurrent_requests {
                Some(Throttled {
                    limit: Limit::Concurrency,
                    retry_after_seconds: 1,
                })
            } else if limits.requests_per_window > 0
                && bucket.requests.len() as u64 >= limits.requests_per_window
            {
                let oldest = bucket.requests.front().copied().unwrap_or(now);
                Some(Throttled {
                    limit: Limit::Requests,
                    retry_after_seconds: seconds_until(oldest, limits.request_window, now),
                })
            } else if limits.upload_bytes_per_window > 0
                && upload_bytes > 0
                && bucket.upload_total.saturating_add(upload_bytes) > limits.upload_bytes_per_window
            {
                // When enough of the window's bytes have aged out for this request to fit.
                let mut total = bucket.upload_total;
                let mut until = now;
                for &(t, bytes) in &bucket.uploads {
                    if total.saturating_add(upload_bytes) <= limits.upload_bytes_per_window {
                        break;
                    }
                    total -= bytes;
                    until = t;
                }
                Some(Throttled {
                    limit: Limit::UploadBytes,
                    retry_after_seconds: seconds_until(until, limits.upload_window, now),
                })
            } else {
                None
            };
        if let Some(throttled) = refused {
            if bucket.is_idle() {
                buckets.remove(&key);
            }
            return Err(throttled);
        }
        bucket.in_flight += 1;
        bucket.requests.push_back(now);
        if upload_bytes > 0 {
            bucket.uploads.push_back((now, upload_bytes));
            bucket.upload_total += upload_bytes;
        }
        Ok(Some(Permit {
            buckets: Arc::clone(&self.buckets),
            key,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> ThrottlingLimits {
        ThrottlingLimits {
            concurrent_requests: 2,
            requests_per_window: 3,
            request_window: Duration::from_secs(60),
            upload_bytes_per_window: 100,
            upload_window: Duration::from_secs(30),
        }
    }

    #[test]
    fn off_admits_everything() {
        let throttle = Throttle::new(None);
        let now = Instant::now();
        for _ in 0..10 {
            assert!(throttle.admit("a", "m", 1 << 30, now).unwrap().is_none());
        }
    }

    #[test]
    fn concurrency_is_per_app_and_mailbox() {
        let throttle = Throttle::new(Some(ThrottlingLimits {
            requests_per_window: 0,
            ..small()
        }));
        let now = Instant::now();
        let first = throttle.admit("app", "A@x.test", 0, now).unwrap();
        let second = throttle.admit("APP", "a@x.test", 0, now).unwrap();
        let third = throttle.admit("app", "a@x.test", 0, now).unwrap_err();
        assert_eq!(third.limit, Limit::Concurrency);
        assert_eq!(third.retry_after_seconds, 1);
        assert_eq!(
            third.message(),
            "Application is over its MailboxConcurrency limit."
        );
        // Another mailbox, another app: own counts.
        let _other_mailbox = throttle.admit("app", "b@x.test", 0, now).unwrap();
        let _other_app = throttle.admit("app2", "a@x.test", 0, now).unwrap();
        drop(first);
        let again = throttle.admit("app", "a@x.test", 0, now).unwrap();
        drop((second, again));
    }

    #[test]
    fn request_window_slides() {
        let throttle = Throttle::new(Some(small()));
        let start = Instant::now();
        for i in 0..3 {
            let at = start + Duration::from_secs(i * 10);
            drop(throttle.admit("app", "m", 0, at).unwrap());
        }
        let refused = throttle
            .admit("app", "m", 0, start + Duration::from_secs(25))
            .expect_err("fourth request in the window");
        assert_eq!(refused.limit, Limit::Requests);
        // The first request leaves the window at 60 s: 35 s from 25 s.
        assert_eq!(refused.retry_after_seconds, 35);
        let later = throttle.admit("app", "m", 0, start + Duration::from_secs(60));
        assert!(later.is_ok());
    }

    #[test]
    fn upload_bytes_window() {
        let throttle = Throttle::new(Some(ThrottlingLimits {
            requests_per_window: 0,
            ..small()
        }));
        let start = Instant::now();
        drop(throttle.admit("app", "m", 60, start).unwrap());
        drop(
            throttle
                .admit("app", "m", 30, start + Duration::from_secs(10))
                .unwrap(),
        );
        let refused = throttle
            .admit("app", "m", 20, start + Duration::from_secs(12))
            .expect_err("over 100 bytes");
        assert_eq!(refused.limit, Limit::UploadBytes);
        // 60 + 30 + 20 > 100 until the 60 bytes age out at 30 s: 18 s from 12 s.
        assert_eq!(refused.retry_after_seconds, 18);
        // A request without a body is not an upload.
        drop(
            throttle
                .admit("app", "m", 0, start + Duration::from_secs(12))
                .unwrap(),
        );
        assert!(throttle
            .admit("app", "m", 20, start + Duration::from_secs(30))
            .is_ok());
    }

    #[test]
    fn switching_limits() {
        let throttle = Throttle::new(None);
        assert_eq!(throttle.limits(), None);
        throttle.set_limits(Some(ThrottlingLimits::OUTLOOK));
        assert_eq!(throttle.limits().unwrap().concurrent_requests, 4);
        assert_eq!(ThrottlingLimits::default(), ThrottlingLimits::OUTLOOK);
    }
}
