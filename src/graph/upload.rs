//! Large attachments through an upload session: `createUploadSession`, then the file streamed
//! from disk in chunks (each a multiple of 320 KiB and at most 4 MiB, only one chunk in memory
//! at a time), resumed from the server's `nextExpectedRanges` after a failed chunk, and the
//! session deleted if the upload cannot finish.

use std::io::SeekFrom;
use std::time::Duration;

use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::error::{Error, ErrorCode, Result};
use crate::graph::draft::DraftContext;
use crate::graph::request::exchange;
use crate::graph::request_id_header;
use crate::graph::wire::{AttachmentItem, CreateUploadSessionRequest, UploadSession};
use crate::message::AttachmentFile;
use crate::retry::Repeat;

/// Chunks are multiples of this (what Graph's own SDKs use for every session type).
pub const CHUNK_ALIGNMENT: u64 = 320 * 1024;
/// Bytes per chunk: 10 × 320 KiB = 3,276,800, under the 4 MiB per-request guidance.
pub const CHUNK_BYTES: u64 = 10 * CHUNK_ALIGNMENT;
const _: () = assert!(CHUNK_BYTES % CHUNK_ALIGNMENT == 0 && CHUNK_BYTES <= 4 * 1024 * 1024);

/// How many failed chunk requests an upload survives before giving up.
pub const MAX_CHUNK_FAILURES: u32 = 5;

/// The start offset in a `nextExpectedRanges` entry (`"N"`, `"N-"` or `"N-M"`).
pub fn parse_next_expected(ranges: &[String]) -> Option<u64> {
    ranges
        .iter()
        .filter_map(|r| r.split('-').next()?.trim().parse::<u64>().ok())
        .min()
}

fn upload_error(a: &AttachmentFile, why: String) -> Error {
    Error::new(
        ErrorCode::UploadFailed,
        format!("Uploading attachment '{}' failed: {why}", a.name),
    )
    .with_step("uploadAttachment")
    .with_field(a.field.clone())
}

/// Uploads one attachment to the draft at `ctx.message_url()`.
pub(crate) async fn upload_attachment(ctx: &DraftContext<'_>, a: &AttachmentFile) -> Result<()> {
    let create_url = format!("{}/attachments/createUploadSession", ctx.message_url());
    let body = serde_json::to_vec(&CreateUploadSessionRequest {
        attachment_item: AttachmentItem {
            attachment_type: "file",
            name: a.name.clone(),
            size: a.size,
            content_type: a.content_type,
            is_inline: a.content_id.is_some(),
            content_id: a.content_id.clone(),
        },
    })
    .map_err(|e| {
        Error::new(
            ErrorCode::Internal,
            "Could not serialize createUploadSession.",
        )
        .with_source(e)
    })?;
    // A second session after a lost answer is harmless (unused sessions expire).
    let answer = ctx
        .post_json(
            &create_url,
            body,
            "The createUploadSession request",
            Repeat::Safe,
        )
        .await
        .map_err(|f| f.error.with_step("createUploadSession"))?;
    if answer.status != 201 && answer.status != 200 {
        return Err(ctx
            .graph_error(answer.status, &answer.headers, &answer.body)
            .with_step("createUploadSession"));
    }
    let session: UploadSession = serde_json::from_slice(&answer.body).map_err(|_| {
        Error::new(
            ErrorCode::GraphRequestRejected,
            "Graph answered createUploadSession without an upload session.",
        )
        .with_step("createUploadSession")
        .with_request_id(request_id_header(&answer.headers))
    })?;
    let Some(upload_url) = session.upload_url else {
        return Err(Error::new(
            ErrorCode::GraphRequestRejected,
            "Graph's upload session has no uploadUrl.",
        )
        .with_step("createUploadSession"));
    };
    match put_chunks(ctx, a, &upload_url).await {
        Ok(()) => Ok(()),
        Err(e) => {
            // Best effort: a session left behind would expire on its own, but say nothing stays.
            let _ = ctx.http.delete(&upload_url).send().await;
            Err(e)
        }
    }
}

async fn put_chunks(ctx: &DraftContext<'_>, a: &AttachmentFile, upload_url: &str) -> Result<()> {
    let mut file = tokio::fs::File::open(&a.path).await.map_err(|e| {
        Error::new(
            ErrorCode::AttachmentUnreadable,
            format!("Attachment '{}' cannot be read: {e}.", a.path.display()),
        )
        .with_field(a.field.clone())
        .with_step("uploadAttachment")
    })?;
    let total = a.size;
    let mut offset: u64 = 0;
    let mut failures: u32 = 0;
    let mut counted: u64 = 0; // bytes already reported to the progress
    while offset < total {
        ctx.control.check()?;
        let len = CHUNK_BYTES.min(total - offset);
        let mut chunk = vec![0u8; len as usize];
        file.seek(SeekFrom::Start(offset))
            .await
            .map_err(|e| upload_error(a, format!("seeking the file failed ({e}).")))?;
        file.read_exact(&mut chunk).await.map_err(|e| {
            upload_error(
                a,
                format!("the file changed while it was being sent ({e})."),
            )
        })?;
        let request = ctx
            .http
            .put(upload_url)
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, len)
            .header(
                CONTENT_RANGE,
                format!("bytes {}-{}/{}", offset, offset + len - 1, total),
            )
            .body(chunk);
        let result = exchange(
            request,
            upload_url,
            "An attachment chunk upload",
            ctx.control,
        )
        .await;
        let answer = match result {
            Ok(answer) => answer,
            Err(e) if e.code() == ErrorCode::Cancelled => {
                return Err(e.with_step("uploadAttachment"))
            }
            Err(e) => {
                failures += 1;
                if failures > MAX_CHUNK_FAILURES {
                    return Err(upload_error(
                        a,
                        format!("the connection kept failing ({e})."),
                    ));
                }
                backoff(failures, None).await;
                continue;
            }
        };
        let next = serde_json::from_slice::<UploadSession>(&answer.body)
            .ok()
            .and_then(|s| parse_next_expected(&s.next_expected_ranges));
        match answer.status {
            201 => offset = total,
            200 | 202 => {
                offset = next.unwrap_or(offset + len);
            }
            416 => {
                // The server already has part of what we sent (our last answer was lost) or
                // expects another range: continue where it says.
                failures += 1;
                let Some(n) = next else {
                    return Err(ctx
                        .graph_error(answer.status, &answer.headers, &answer.body)
                        .with_step("uploadAttachment"));
                };
                if failures > MAX_CHUNK_FAILURES {
                    return Err(upload_error(
                        a,
                        "the server kept rejecting the byte ranges.".into(),
                    ));
                }
                offset = n;
            }
            408 | 429 | 500..=599 => {
                failures += 1;
                if failures > MAX_CHUNK_FAILURES {
                    return Err(ctx
                        .graph_error(answer.status, &answer.headers, &answer.body)
                        .with_step("uploadAttachment"));
                }
                backoff(failures, retry_after(&answer.headers)).await;
                continue;
            }
            _ => {
                return Err(ctx
                    .graph_error(answer.status, &answer.headers, &answer.body)
                    .with_step("uploadAttachment"));
            }
        }
        if offset > total {
            return Err(upload_error(
                a,
                format!("the server expects byte {offset} of a {total}-byte file."),
            ));
        }
        if offset > counted {
            ctx.control.add_sent(offset - counted);
            counted = offset;
        }
    }
    Ok(())
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let secs: f64 = headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(30.0)))
}

async fn backoff(failures: u32, hint: Option<Duration>) {
    let wait = hint.unwrap_or_else(|| Duration::from_millis(100 * 2u64.pow(failures.min(6))));
    tokio::time::sleep(wait).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_expected_ranges_forms() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(parse_next_expected(&v(&["0-"])), Some(0));
        assert_eq!(parse_next_expected(&v(&["2097152"])), Some(2_097_152));
        assert_eq!(parse_next_expected(&v(&["300-399", "100-199"])), Some(100));
        assert_eq!(parse_next_expected(&v(&[])), None);
        assert_eq!(parse_next_expected(&v(&["x-"])), None);
    }
}
