//! One Graph (or upload URL) HTTP exchange: send, read the whole answer, map transport errors.

use bytes::Bytes;
use reqwest::header::HeaderMap;

use crate::error::Result;
use crate::http::{classify, host_of};
use crate::progress::SendControl;

/// A complete HTTP answer.
pub(crate) struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Response body.
    pub body: Bytes,
}

/// Sends `request` (described by `what` for messages) and reads the whole answer; a cancel
/// requested through `control` abandons it.
pub(crate) async fn exchange(
    request: reqwest::RequestBuilder,
    url: &str,
    what: &str,
    control: &SendControl,
) -> Result<Answer> {
    let host = host_of(url);
    control
        .run(async {
            let response = request.send().await.map_err(|e| classify(e, what, &host))?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.bytes().await.map_err(|e| {
                classify(
                    e,
                    &format!("Reading the answer to {}", what.to_lowercase()),
                    &host,
                )
            })?;
            Ok(Answer {
                status,
                headers,
                body,
            })
        })
        .await
}
