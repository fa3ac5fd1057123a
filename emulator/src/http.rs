//! HTTP plumbing shared by the routes: the parsed request, replies, body reading with a cap,
//! and path decoding.

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use serde_json::Value;
use time::OffsetDateTime;

use crate::config::BODY_DISCARD_LIMIT_BYTES;

/// What reading a request body produced.
#[derive(Debug)]
pub(crate) enum RequestBody {
    /// The whole body (at most `max_request_bytes`).
    Complete(Bytes),
    /// The body was larger than `max_request_bytes`; `received` bytes were read and discarded
    /// (reading stops at [`BODY_DISCARD_LIMIT_BYTES`]).
    TooLarge { received: u64 },
    /// The client broke off while sending the body.
    Failed,
}

impl RequestBody {
    /// The body bytes, or an empty slice when it was not buffered.
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            RequestBody::Complete(b) => b,
            _ => &[],
        }
    }
}

/// Read the whole body, buffering at most `max` bytes. Larger bodies are read to the end (up
/// to [`BODY_DISCARD_LIMIT_BYTES`]) and discarded, so the client always gets to send its
/// request before it sees the answer.
pub(crate) async fn read_body(
    mut body: Incoming,
    declared: Option<u64>,
    max: usize,
) -> RequestBody {
    if declared.is_some_and(|len| len > BODY_DISCARD_LIMIT_BYTES) {
        return RequestBody::TooLarge { received: 0 };
    }
    let mut buf = BytesMut::new();
    let mut received: u64 = 0;
    let mut too_large = false;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return RequestBody::Failed;
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        received = received.saturating_add(data.len() as u64);
        if too_large {
            if received > BODY_DISCARD_LIMIT_BYTES {
                break;
            }
        } else if received > max as u64 {
            too_large = true;
            buf = BytesMut::new();
        } else {
            buf.extend_from_slice(&data);
        }
    }
    if too_large {
        RequestBody::TooLarge { received }
    } else {
        RequestBody::Complete(buf.freeze())
    }
}

/// Read and discard a body (at most [`BODY_DISCARD_LIMIT_BYTES`]) so the client gets to send
/// its request before it sees the answer; returns the bytes read.
pub(crate) async fn drain(mut body: Incoming) -> u64 {
    let mut received: u64 = 0;
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            received = received.saturating_add(data.len() as u64);
            if received > BODY_DISCARD_LIMIT_BYTES {
                break;
            }
        }
    }
    received
}

/// A request with its body read and its path split into decoded segments.
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    /// Percent-decoded, non-empty path segments.
    pub(crate) segments: Vec<String>,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: RequestBody,
}

impl ApiRequest {
    /// A header as text, if present and visible ASCII.
    pub(crate) fn header(&self, name: impl hyper::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A query parameter (first occurrence), form-decoded.
    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// A form-encoded request body (`application/x-www-form-urlencoded`), first occurrence of each
/// name kept.
pub(crate) struct FormParams {
    params: std::collections::HashMap<String, String>,
}

impl FormParams {
    /// Parse `body`.
    pub(crate) fn parse(body: &[u8]) -> FormParams {
        let mut params = std::collections::HashMap::new();
        for (k, v) in form_urlencoded::parse(body) {
            params
                .entry(k.into_owned())
                .or_insert_with(|| v.into_owned());
        }
        FormParams { params }
    }

    /// A parameter, if present and not empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Per-request facts every reply needs.
pub(crate) struct Ctx {
    /// The `request-id` of this response (a new UUID).
    pub(crate) request_id: String,
    /// The caller's `client-request-id`, or a new UUID.
    pub(crate) client_request_id: String,
    /// `https://<authority the client used>`, or the emulator's base URL.
    pub(crate) origin: String,
    /// When the request arrived.
    pub(crate) now: OffsetDateTime,
}

/// A response before the common headers are added.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
    /// Close the connection instead of answering (fault injection).
    pub(crate) close_connection: bool,
}

impl Reply {
    /// A reply without a body.
    pub(crate) fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
            close_connection: false,
        }
    }

    /// A JSON reply (`Content-Type: application/json`).
    pub(crate) fn json(status: StatusCode, value: &Value) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_default();
        Reply {
            status,
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body: Bytes::from(body),
            close_connection: false,
        }
    }

    /// A reply with a body of the given content type.
    pub(crate) fn text(status: StatusCode, content_type: &'static str, body: String) -> Self {
        Reply {
            status,
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static(content_type))],
            body: Bytes::from(body),
            close_connection: false,
        }
    }

    /// Add a header.
    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// Decode `%XX` escapes (and `+` as space when `plus_as_space`); invalid UTF-8 is replaced.
/// A `%` not followed by two hex digits is kept as is.
pub(crate) fn percent_decode(s: &str, plus_as_space: bool) -> String {
    let raw = s.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'%' => {
                let hex = raw
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded, non-empty segments of a URL path.
pub(crate) fn path_segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode(s, false))
        .collect()
}

/// Whether a path segment equals a fixed route word (case-insensitive, as Graph is).
pub(crate) fn is(segment: &str, word: &str) -> bool {
    segment.eq_ignore_ascii_case(word)
}

/// Whether a `Content-Type` header names `expected` (parameters and case ignored).
pub(crate) fn media_type_is(content_type: Option<&str>, expected: &str) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(expected))
}

/// `s` shortened to 256 characters without control characters, for error messages.
pub(crate) fn printable(s: &str) -> String {
    s.chars()
        .take(256)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(
            percent_decode("alerts%40contoso.test", false),
            "alerts@contoso.test"
        );
        assert_eq!(percent_decode("a+b%2Bc", true), "a b+c");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("100%", false), "100%");
        assert_eq!(percent_decode("%zz%4", false), "%zz%4");
        assert_eq!(percent_decode("%C3%BC", false), "ü");
        assert_eq!(percent_decode("%FF", false), "\u{FFFD}");
        assert_eq!(
            path_segments("/v1.0/users/a%40b.test//sendMail/"),
            vec!["v1.0", "users", "a@b.test", "sendMail"]
        );
    }

    #[test]
    fn form_params() {
        let form = FormParams::parse(b"a=1&a=2&b=&c=x+y%21");
        assert_eq!(form.get("a"), Some("1"));
        assert_eq!(form.get("b"), None);
        assert_eq!(form.get("c"), Some("x y!"));
        assert_eq!(form.get("d"), None);
    }

    #[test]
    fn media_types() {
        assert!(media_type_is(Some("application/json"), "application/json"));
        assert!(media_type_is(
            Some("Application/JSON; charset=utf-8"),
            "application/json"
        ));
        assert!(!media_type_is(Some("text/plain"), "application/json"));
        assert!(!media_type_is(None, "application/json"));
    }
}
