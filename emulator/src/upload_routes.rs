//! Upload URLs: `PUT /upload/{session}?authtoken=...` (one chunk, streamed to the session's
//! partial file and hashed as it arrives) and `DELETE /upload/{session}?authtoken=...`.
//!
//! These are not `/v1.0` routes: like Outlook's upload URLs they are pre-authenticated by
//! their `authtoken` and refuse an `Authorization` header. Bodies are never buffered whole.

use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, AUTHORIZATION, CONTENT_LENGTH, LOCATION};
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncSeekExt as _, AsyncWriteExt as _};

use crate::attachments::{hex, FILE_ATTACHMENT};
use crate::drafts::DraftAttachment;
use crate::faults::UploadFault;
use crate::graph::{error_body, graph_error, item_not_found, not_found, storage_error};
use crate::http::{drain, is, printable, Ctx, Reply};
use crate::server::State;
use crate::stats::Counters;
use crate::upload::{self, Progress, UploadSession, CHUNK_ALIGNMENT, MAX_CHUNK_BYTES};

/// Write buffer between the request body and the partial file.
const WRITE_BUFFER: usize = 256 * 1024;

/// Whether a path (its decoded segments) is an upload URL.
pub(crate) fn is_upload_path(segments: &[String]) -> bool {
    segments.first().is_some_and(|s| is(s, "upload"))
}

/// Handle a request to `/upload/...`. The body is consumed here: streamed into the session
/// for an accepted chunk, read and discarded otherwise.
pub(crate) async fn handle(
    state: &State,
    parts: &Parts,
    body: Incoming,
    segments: &[String],
    ctx: &Ctx,
) -> Reply {
    let [_, session_id] = segments else {
        drain(body).await;
        return not_found(ctx, segments.last().map_or("upload", String::as_str));
    };
    match parts.method {
        Method::PUT => put(state, parts, body, session_id, ctx).await,
        Method::DELETE => {
            drain(body).await;
            delete(state, parts, session_id, ctx).await
        }
        _ => {
            drain(body).await;
            graph_error(
                ctx,
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                &format!(
                    "The HTTP method '{}' is not allowed for this resource.",
                    parts.method
                ),
            )
            .with_header(ALLOW, HeaderValue::from_static("PUT, DELETE"))
        }
    }
}

/// The session named by the URL after the checks every upload request gets: no
/// `Authorization` header, a known and unexpired session, the right `authtoken`.
fn session_for(
    state: &State,
    parts: &Parts,
    session_id: &str,
    ctx: &Ctx,
) -> Result<std::sync::Arc<UploadSession>, Reply> {
    if parts.headers.contains_key(AUTHORIZATION) {
        return Err(graph_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "ErrorInvalidRequest",
            "Do not send an Authorization header to an upload URL: the URL is pre-authenticated \
             by its authtoken.",
        ));
    }
    let session = state
        .uploads
        .get(session_id)
        .ok_or_else(|| item_not_found(ctx))?;
    if ctx.now > session.expires_at {
        // Expired: forget it; its partial file goes once no chunk is in flight.
        if let Some(expired) = state.uploads.remove(&session.id) {
            tokio::spawn(async move { upload::discard(&expired).await });
        }
        return Err(item_not_found(ctx));
    }
    let authtoken = parts.uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "authtoken")
            .map(|(_, v)| v.into_owned())
    });
    if authtoken.as_deref() != Some(session.authtoken.as_str()) {
        return Err(graph_error(
            ctx,
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "The authtoken of the upload URL is missing or invalid.",
        ));
    }
    Ok(session)
}

/// `bytes {start}-{end}/{total}`.
fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let start: u64 = start.trim().parse().ok()?;
    let end: u64 = end.trim().parse().ok()?;
    let total: u64 = total.trim().parse().ok()?;
    (start <= end && end < total).then_some((start, end, total))
}

/// A chunk's headers, checked against the session.
struct Chunk {
    start: u64,
    end: u64,
    length: u64,
}

fn bad_request(ctx: &Ctx, message: &str) -> Reply {
    graph_error(ctx, StatusCode::BAD_REQUEST, "ErrorInvalidRequest", message)
}

/// Check `Content-Range` and `Content-Length`: both present and well-formed, the length
/// matching the range, at most 4 MiB, the total matching the session.
fn chunk_headers(
    state: &State,
    parts: &Parts,
    session: &UploadSession,
    ctx: &Ctx,
) -> Result<Chunk, Reply> {
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let Some(range) = header(hyper::header::CONTENT_RANGE) else {
        return Err(bad_request(
            ctx,
            "The Content-Range header is required: 'bytes {start}-{end}/{total}'.",
        ));
    };
    let Some((start, end, total)) = parse_content_range(range) else {
        return Err(bad_request(
            ctx,
            &format!(
                "The Content-Range header '{}' is not 'bytes {{start}}-{{end}}/{{total}}' with \
                 start <= end < total.",
                printable(range)
            ),
        ));
    };
    let Some(length) = header(CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok()) else {
        return Err(bad_request(
            ctx,
            "The Content-Length header is required: the number of bytes in this chunk.",
        ));
    };
    if length > MAX_CHUNK_BYTES {
        Counters::bump(&state.counters.oversized_chunks);
        return Err(graph_error(
            ctx,
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            &format!(
                "The chunk is {length} bytes; an upload chunk must be at most 4 MiB \
                 ({MAX_CHUNK_BYTES} bytes)."
            ),
        ));
    }
    if length != end - start + 1 {
        return Err(bad_request(
            ctx,
            &format!(
                "The Content-Length {length} does not match the Content-Range \
                 bytes {start}-{end} ({} bytes).",
                end - start + 1
            ),
        ));
    }
    if total != session.size {
        return Err(bad_request(
            ctx,
            &format!(
                "The Content-Range total {total} does not match the attachment size {} of the \
                 upload session.",
                session.size
            ),
        ));
    }
    Ok(Chunk { start, end, length })
}

/// `416 invalidRange`, with the range the session expects next so the client can resume.
fn range_error(ctx: &Ctx, next: u64, start: u64) -> Reply {
    let message = if start < next {
        "The uploaded fragment overlaps with existing data."
    } else {
        "The uploaded fragment is out of order: fragments must be uploaded in order."
    };
    let mut body = error_body(ctx, "invalidRange", message);
    body["nextExpectedRanges"] = json!([format!("{next}-")]);
    Reply::json(StatusCode::RANGE_NOT_SATISFIABLE, &body)
}

/// `PUT {uploadUrl}`: store one chunk.
async fn put(state: &State, parts: &Parts, body: Incoming, session_id: &str, ctx: &Ctx) -> Reply {
    let checked = session_for(state, parts, session_id, ctx)
        .and_then(|session| chunk_headers(state, parts, &session, ctx).map(|c| (session, c)));
    let (session, chunk) = match checked {
        Ok(found) => found,
        Err(reply) => {
            drain(body).await;
            return reply;
        }
    };
    // Chunks count towards the Outlook limits of the app and mailbox of the session.
    let _permit = match state.throttle.admit(
        &session.client_id,
        &session.mailbox,
        chunk.length,
        std::time::Instant::now(),
    ) {
        Ok(permit) => permit,
        Err(throttled) => {
            drain(body).await;
            Counters::bump(&state.counters.throttled_requests);
            return crate::throttling::reply(ctx, &throttled);
        }
    };
    let mut progress = session.progress.lock().await;
    if progress.closed {
        drain(body).await;
        return item_not_found(ctx);
    }
    if chunk.start != progress.next {
        drain(body).await;
        return range_error(ctx, progress.next, chunk.start);
    }
    let fault = state.faults.take(progress.chunks);
    if matches!(
        fault,
        Some(UploadFault::FailChunkOnce { .. } | UploadFault::FailEveryChunk)
    ) {
        drain(body).await;
        return graph_error(
            ctx,
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            &format!(
                "The service is temporarily unavailable (injected fault at chunk {}).",
                progress.chunks
            ),
        );
    }
    let hasher = match receive(&session, &progress, body, &chunk).await {
        Ok(hasher) => hasher,
        Err(ChunkError::Body) => {
            return bad_request(
                ctx,
                "The chunk's body ended before (or ran past) its Content-Length; nothing was \
                 stored.",
            )
        }
        Err(ChunkError::Io(e)) => return storage_error(ctx, "chunk", &e),
    };
    progress.next = chunk.end + 1;
    progress.chunks += 1;
    progress.hasher = hasher;
    let last = progress.next == session.size;
    Counters::bump(&state.counters.upload_chunks);
    Counters::add(&state.counters.uploaded_bytes, chunk.length);
    if !last && chunk.length % CHUNK_ALIGNMENT != 0 {
        Counters::bump(&state.counters.unaligned_chunks);
    }
    let mut reply = if last {
        finish(state, &session, &mut progress, ctx).await
    } else {
        Reply::json(
            StatusCode::OK,
            &json!({
                "@odata.context": format!(
                    "{}/v1.0/$metadata#users('{}')/messages('{}')/attachmentSessions/$entity",
                    ctx.origin, session.mailbox, session.draft_id
                ),
                "ExpirationDateTime": crate::timefmt::rfc3339(session.expires_at),
                "nextExpectedRanges": [progress.next.to_string()],
            }),
        )
    };
    if matches!(fault, Some(UploadFault::LoseResponseOnce { .. })) {
        reply.close_connection = true;
    }
    reply
}

enum ChunkError {
    /// The body broke off or did not match its length.
    Body,
    /// Writing the partial file failed.
    Io(std::io::Error),
}

/// Stream the chunk into the partial file at its offset, hashing it; on failure the file is
/// cut back so the session is as before. Returns the session's hash including the chunk.
async fn receive(
    session: &UploadSession,
    progress: &Progress,
    mut body: Incoming,
    chunk: &Chunk,
) -> Result<Sha256, ChunkError> {
    let mut hasher = progress.hasher.clone();
    let written = async {
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(&session.path)
            .await
            .map_err(ChunkError::Io)?;
        file.seek(std::io::SeekFrom::Start(chunk.start))
            .await
            .map_err(ChunkError::Io)?;
        let mut writer = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        let mut received: u64 = 0;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| ChunkError::Body)?;
            let Ok(data) = frame.into_data() else {
                continue; // trailers
            };
            received += data.len() as u64;
            if received > chunk.length {
                return Err(ChunkError::Body);
            }
            hasher.update(&data);
            writer.write_all(&data).await.map_err(ChunkError::Io)?;
        }
        if received != chunk.length {
            return Err(ChunkError::Body);
        }
        writer.flush().await.map_err(ChunkError::Io)
    }
    .await;
    match written {
        Ok(()) => Ok(hasher),
        Err(e) => {
            if let Ok(file) = tokio::fs::OpenOptions::new()
                .write(true)
                .open(&session.path)
                .await
            {
                let _ = file.set_len(chunk.start).await;
            }
            Err(e)
        }
    }
}

/// The last chunk arrived: close the session and attach the file to its draft.
async fn finish(
    state: &State,
    session: &UploadSession,
    progress: &mut Progress,
    ctx: &Ctx,
) -> Reply {
    progress.closed = true;
    state.uploads.remove(&session.id);
    let sha256 = hex(&std::mem::take(&mut progress.hasher).finalize());
    let attachment_id = crate::random::message_id();
    let adopted = state
        .files
        .adopt(
            &session.draft_id,
            attachment_id.clone(),
            session.meta.clone(),
            &session.path,
            session.size,
            sha256,
        )
        .await;
    let stored = match adopted {
        Ok(stored) => stored,
        Err(e) => {
            let _ = tokio::fs::remove_file(&session.path).await;
            return storage_error(ctx, "attachment", &e);
        }
    };
    let path = stored.path.clone();
    let attachment = DraftAttachment {
        stored,
        odata_type: FILE_ATTACHMENT.to_string(),
        item: None,
        added: crate::timefmt::rfc3339(ctx.now),
    };
    if !state.drafts.add_attachment(&session.draft_id, attachment) {
        let _ = tokio::fs::remove_file(&path).await;
        return item_not_found(ctx);
    }
    Counters::bump(&state.counters.upload_sessions_completed);
    let location = format!(
        "{}/v1.0/users/{}/messages/{}/attachments/{attachment_id}",
        ctx.origin, session.mailbox, session.draft_id
    );
    let mut reply = Reply::empty(StatusCode::CREATED)
        .with_header(CONTENT_LENGTH, HeaderValue::from_static("0"));
    if let Ok(value) = HeaderValue::from_str(&location) {
        reply = reply.with_header(LOCATION, value);
    }
    reply
}

/// `DELETE {uploadUrl}`: cancel the session and delete its bytes.
async fn delete(state: &State, parts: &Parts, session_id: &str, ctx: &Ctx) -> Reply {
    let session = match session_for(state, parts, session_id, ctx) {
        Ok(session) => session,
        Err(reply) => return reply,
    };
    let Some(session) = state.uploads.remove(&session.id) else {
        return item_not_found(ctx);
    };
    upload::discard(&session).await;
    Counters::bump(&state.counters.upload_sessions_deleted);
    Reply::empty(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(parse_content_range("bytes 0-9/10"), Some((0, 9, 10)));
        assert_eq!(
            parse_content_range(" bytes  327680-655359/3500000 "),
            Some((327_680, 655_359, 3_500_000))
        );
        for bad in [
            "bytes 0-10/10",
            "bytes 5-4/10",
            "bytes 0-9/*",
            "bytes */10",
            "0-9/10",
            "bytes=0-9/10",
            "bytes -1-9/10",
            "",
        ] {
            assert_eq!(parse_content_range(bad), None, "{bad}");
        }
    }
}
