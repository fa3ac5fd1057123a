//! Upload sessions: creation, chunked PUTs streamed to disk and hashed, the final `Location`,
//! cancel, every rejection, faults and the counters.

mod common;

use common::{draft_message, pattern, sha256_hex, Harness, SENDER};
use graphmail_emulator::{Stats, UploadFault};
use reqwest::{Method, StatusCode};
use serde_json::json;

const KIB_320: usize = 320 * 1024;

#[tokio::test]
async fn twenty_megabytes_in_aligned_chunks_arrive_byte_identical() {
    let h = Harness::start();
    let token = h.token().await;
    let id = h
        .create_draft(&token, &draft_message("ops@example.com"))
        .await;
    let file = pattern(20_000_000);
    let url = h.upload_session(&token, &id, "big.bin", file.len()).await;
    let started = std::time::Instant::now();
    let done = h.upload_all(&url, &file, 10 * KIB_320).await;
    assert!(done.body.is_empty());
    assert_eq!(done.header("content-length"), Some("0"));
    let location = done.header("location").expect("Location").to_string();
    assert!(location.starts_with(&format!(
        "{}/v1.0/users/{SENDER}/messages/{id}/attachments/",
        h.emu.base_url()
    )));
    assert!(std::fs::read_dir(h.emu.uploads_dir())
        .expect("uploads")
        .next()
        .is_none());

    let attachment = h.call(Method::GET, &location, Some(&token), None).await;
    assert_eq!(attachment.status, StatusCode::OK, "{}", attachment.json);
    assert_eq!(attachment.json["size"], 20_000_000);
    assert_eq!(attachment.json["name"], "big.bin");
    assert_eq!(attachment.json["isInline"], false);

    let sent = h
        .call(
            Method::POST,
            &h.draft_path(&id, "/send"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.json);
    let stored = &h.emu.messages()[0];
    let a = &stored.attachments[0];
    assert!(a.uploaded);
    assert_eq!(a.size, 20_000_000);
    assert_eq!(a.sha256, sha256_hex(&file));
    assert_eq!(
        sha256_hex(&std::fs::read(&a.path).expect("stored bytes")),
        a.sha256
    );
    // The .eml carries the attachment (streamed from the stored file).
    let eml = std::fs::read(&stored.eml_path).expect("eml");
    let parsed = mail_parser::MessageParser::new()
        .parse(&eml)
        .expect("eml parses");
    let part = parsed.attachment(0).expect("attachment part");
    assert_eq!(sha256_hex(part.contents()), a.sha256);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    assert_eq!(
        h.emu.stats(),
        Stats {
            requests: 1 + 1 + 1 + 7 + 1 + 1,
            token_requests: 1,

            client_credentials_requests: 1,
            graph_requests: 4,
            accepted_messages: 1,
            http2_requests: 12,
            connections: 1,
            drafts_created: 1,
            drafts_sent: 1,
            upload_sessions_created: 1,
            upload_sessions_completed: 1,
            upload_requests: 7,
            upload_chunks: 7,
            uploaded_bytes: 20_000_000,
            ..Stats::default()
        }
    );
}

#[tokio::test]
async fn create_upload_session_answers_graph_shape_and_rejects_sizes() {
    let h = Harness::start();
    let token = h.token().await;
    let id = h
        .create_draft(&token, &draft_message("ops@example.com"))
        .await;
    let path = h.draft_path(&id, "/attachments/createUploadSession");

    // camelCase parameter, inline image, enum casing as the docs write it.
    let reply = h
        .post_json(
            &path,
            &token,
            &json!({"attachmentItem": {"attachmentType": "File", "name": "logo.png",
                "size": 3_145_728, "contentType": "image/png", "isInline": true, "contentId": "logo"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    let origin = h.emu.base_url();
    assert_eq!(
        reply.json["@odata.context"],
        format!("{origin}/v1.0/$metadata#microsoft.graph.uploadSession")
    );
    assert_eq!(reply.json["nextExpectedRanges"], json!(["0-"]));
    let url = reply.json["uploadUrl"].as_str().expect("uploadUrl");
    assert!(url.starts_with(&format!("{origin}/upload/")), "{url}");
    assert!(url.contains("?authtoken="), "{url}");
    let expires = reply.json["expirationDateTime"]
        .as_str()
        .expect("expiration");
    assert!(expires.ends_with('Z') && expires.len() == 20, "{expires}");

    for (size, code) in [
        (
            3_145_727_u64,
            "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
        ),
        (0, "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize"),
        (157_286_401, "ErrorAttachmentSizeLimitExceeded"),
    ] {
        let reply = h
            .post_json(
                &path,
                &token,
                &json!({"AttachmentItem": {"attachmentType": "file", "name": "a", "size": size}}),
            )
            .await;
        reply.assert_graph_error(400, code);
    }
    let max = h
        .post_json(
            &path,
            &token,
            &json!({"AttachmentItem": {"attachmentType": "file", "name": "a", "size": 157_286_400}}),
        )
        .await;
    assert_eq!(max.status, StatusCode::CREATED, "150 MiB is the limit");

    for bad in [
        json!({"AttachmentItem": {"attachmentType": "file", "name": "a"}}),
        json!({"AttachmentItem": {"attachmentType": "item", "name": "a", "size": 4_000_000}}),
        json!({"AttachmentItem": {"attachmentType": "file", "size": 4_000_000}}),
        json!({"AttachmentItem": {"attachmentType": "file", "name": "a", "size": 4_000_000, "bogus": 1}}),
        json!({"AttachmentItem": {"attachmentType": "file", "name": "a", "size": 4_000_000},
            "attachmentItem": {"attachmentType": "file", "name": "a", "size": 4_000_000}}),
        json!({"item": {}}),
    ] {
        let message = h
            .post_json(&path, &token, &bad)
            .await
            .assert_graph_error(400, "RequestBodyRead");
        assert!(message.starts_with("Invalid "), "{message}");
    }
    h.post_json(
        &h.draft_path("AAMkAunknown", "/attachments/createUploadSession"),
        &token,
        &json!({"AttachmentItem": {"attachmentType": "file", "name": "a", "size": 4_000_000}}),
    )
    .await
    .assert_graph_error(404, "ErrorItemNotFound");
    let stats = h.emu.stats();
    assert_eq!(stats.upload_sessions_created, 2);
    assert_eq!(stats.open_upload_sessions, 2);

    // Deleting the draft drops its sessions and their files.
    let deleted = h
        .call(Method::DELETE, &h.draft_path(&id, ""), Some(&token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(h.emu.stats().open_upload_sessions, 0);
    h.put_chunk(url, &pattern(3_145_728), 0, 9)
        .await
        .assert_graph_error(404, "ErrorItemNotFound");
}

#[tokio::test]
async fn every_chunk_rejection() {
    let h = Harness::start();
    let token = h.token().await;
    let id = h
        .create_draft(&token, &draft_message("ops@example.com"))
        .await;
    let file = pattern(3_500_000);
    let url = h.upload_session(&token, &id, "f.bin", file.len()).await;
    let (base, query) = url.split_once('?').expect("query");

    // Authorization header on the upload URL.
    let reply = common::Reply::from(
        h.client
            .put(&url)
            .bearer_auth(&token)
            .header("content-range", format!("bytes 0-9/{}", file.len()))
            .body(file[..10].to_vec())
            .send()
            .await
            .expect("put"),
    )
    .await;
    let message = reply.assert_graph_error(400, "ErrorInvalidRequest");
    assert!(message.contains("Authorization"), "{message}");

    // Missing or wrong authtoken; unknown session.
    for bad_url in [base.to_string(), format!("{base}?authtoken=wrong")] {
        h.put_chunk(&bad_url, &file, 0, 9)
            .await
            .assert_graph_error(401, "InvalidAuthenticationToken");
    }
    h.put_chunk(
        &format!("{}/upload/nope?{query}", h.emu.base_url()),
        &file,
        0,
        9,
    )
    .await
    .assert_graph_error(404, "ErrorItemNotFound");

    // Content-Range missing, malformed, inconsistent with Content-Length or the session size.
    let put = |range: Option<String>, body: Vec<u8>| {
        let mut req = h.client.put(&url).body(body);
        if let Some(range) = range {
            req = req.header("content-range", range);
        }
        async move { common::Reply::from(req.send().await.expect("put")).await }
    };
    let message = put(None, file[..10].to_vec())
        .await
        .assert_graph_error(400, "ErrorInvalidRequest");
    assert!(message.contains("Content-Range"), "{message}");
    for range in [
        "bytes 0-9/*",
        "bytes=0-9/3500000",
        "bytes 9-0/3500000",
        "items 0-9/3500000",
    ] {
        put(Some(range.to_string()), file[..10].to_vec())
            .await
            .assert_graph_error(400, "ErrorInvalidRequest");
    }
    let message = put(Some("bytes 0-19/3500000".into()), file[..10].to_vec())
        .await
        .assert_graph_error(400, "ErrorInvalidRequest");
    assert!(message.contains("Content-Length 10"), "{message}");
    let message = put(Some("bytes 0-9/3500001".into()), file[..10].to_vec())
        .await
        .assert_graph_error(400, "ErrorInvalidRequest");
    assert!(message.contains("3500001"), "{message}");

    // Content-Length missing (chunked transfer encoding).
    let path = &url[h.emu.base_url().len()..];
    let (status, text) = h
        .raw_http1(
            format!(
                "PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Range: bytes 0-9/3500000\r\n\
                 Transfer-Encoding: chunked\r\nConnection: close\r\n\r\na\r\n0123456789\r\n0\r\n\r\n"
            )
            .as_bytes(),
        )
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("Content-Length header is required"), "{text}");

    // A chunk over 4 MiB.
    let big = pattern(4 * 1024 * 1024 + 1);
    let url_big = h.upload_session(&token, &id, "g.bin", 5_000_000).await;
    let reply = common::Reply::from(
        h.client
            .put(&url_big)
            .header("content-range", "bytes 0-4194304/5000000")
            .body(big)
            .send()
            .await
            .expect("put"),
    )
    .await;
    reply.assert_graph_error(413, "RequestEntityTooLarge");

    // Out of order, then overlapping: 416 with where to resume.
    let reply = h.put_chunk(&url, &file, KIB_320, 2 * KIB_320 - 1).await;
    reply.assert_graph_error(416, "invalidRange");
    assert_eq!(reply.json["nextExpectedRanges"], json!(["0-"]));
    assert_eq!(
        h.put_chunk(&url, &file, 0, KIB_320 - 1).await.status,
        StatusCode::OK
    );
    let reply = h.put_chunk(&url, &file, 0, KIB_320 - 1).await;
    let message = reply.assert_graph_error(416, "invalidRange");
    assert!(message.contains("overlaps"), "{message}");
    assert_eq!(
        reply.json["nextExpectedRanges"],
        json!([format!("{KIB_320}-")])
    );

    // Other methods.
    h.call(Method::GET, &url, None, None)
        .await
        .assert_graph_error(405, "MethodNotAllowed");
    h.call(
        Method::PUT,
        &format!("{}/upload/a/b", h.emu.base_url()),
        None,
        None,
    )
    .await
    .assert_graph_error(404, "ResourceNotFound");

    let stats = h.emu.stats();
    assert_eq!(stats.upload_chunks, 1);
    assert_eq!(stats.uploaded_bytes, KIB_320 as u64);
    assert_eq!(stats.oversized_chunks, 1);
    assert_eq!(stats.upload_requests, 18);
    assert_eq!(stats.rejected_requests, 17);
    assert_eq!(stats.open_upload_sessions, 2);
}

#[tokio::test]
async fn unaligned_chunks_are_counted_and_delete_cancels() {
    let h = Harness::start();
    let token = h.token().await;
    let id = h
        .create_draft(&token, &draft_message("ops@example.com"))
        .await;
    let file = pattern(3_500_000);
    let url = h.upload_session(&token, &id, "f.bin", file.len()).await;
    h.upload_all(&url, &file, 1_000_000).await;
    assert_eq!(
        h.emu.stats().unaligned_chunks,
        3,
        "the short last chunk is not counted"
    );

    let url = h.upload_session(&token, &id, "g.bin", file.len()).await;
    assert_eq!(
        h.put_chunk(&url, &file, 0, KIB_320 - 1).await.status,
        StatusCode::OK
    );
    let part_files = || {
        std::fs::read_dir(h.emu.uploads_dir())
            .expect("uploads")
            .count()
    };
    assert_eq!(part_files(), 1);
    h.call(Method::DELETE, &url, Some(&token), None)
        .await
        .assert_graph_error(400, "ErrorInvalidRequest");
    let (base, _) = url.split_once('?').expect("query");
    h.call(Method::DELETE, base, None, None)
        .await
        .assert_graph_error(401, "InvalidAuthenticationToken");
    let deleted = h.call(Method::DELETE, &url, None, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(part_files(), 0);
    h.call(Method::DELETE, &url, None, None)
        .await
        .assert_graph_error(404, "ErrorItemNotFound");
    h.put_chunk(&url, &file, KIB_320, 2 * KIB_320 - 1)
        .await
        .assert_graph_error(404, "ErrorItemNotFound");

    let listed = h
        .call(
            Method::GET,
            &h.draft_path(&id, "/attachments"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(listed.json["value"].as_array().map(Vec::len), Some(1));
    let stats = h.emu.stats();
    assert_eq!(stats.upload_sessions_created, 2);
    assert_eq!(stats.upload_sessions_completed, 1);
    assert_eq!(stats.upload_sessions_deleted, 1);
    assert_eq!(stats.open_upload_sessions, 0);
    assert_eq!(stats.uploaded_bytes, 3_500_000 + KIB_320 as u64);
}

#[tokio::test]
async fn a_failed_chunk_is_retried_and_a_lost_response_resumes_from_416() {
    let h = Harness::start_with(|c| {
        c.with_upload_fault(UploadFault::FailChunkOnce { index: 1 })
            .with_upload_fault(UploadFault::LoseResponseOnce { index: 2 })
    });
    let token = h.token().await;
    let id = h
        .create_draft(&token, &draft_message("ops@example.com"))
        .await;
    let size = 3 * KIB_320;
    let file = pattern(4 * size + 1000);
    let url = h.upload_session(&token, &id, "f.bin", file.len()).await;
    let chunk = |i: usize| (i * size, ((i + 1) * size).min(file.len()) - 1);

    let (s, e) = chunk(0);
    assert_eq!(h.put_chunk(&url, &file, s, e).await.status, StatusCode::OK);
    let (s, e) = chunk(1);
    h.put_chunk(&url, &file, s, e)
        .await
        .assert_graph_error(503, "ServiceUnavailable");
    assert_eq!(
        h.emu.stats().uploaded_bytes,
        size as u64,
        "the failed chunk is not stored"
    );
    assert_eq!(h.put_chunk(&url, &file, s, e).await.status, StatusCode::OK);

    let (s, e) = chunk(2);
    assert!(
        h.put_chunk_raw(&url, &file, s, e).await.is_err(),
        "the connection closes without an answer"
    );
    let retry = h.put_chunk(&url, &file, s, e).await;
    retry.assert_graph_error(416, "invalidRange");
    let next = retry.json["nextExpectedRanges"][0]
        .as_str()
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok())
        .expect("nextExpectedRanges");
    assert_eq!(
        next,
        3 * size,
        "the chunk was stored before the connection closed"
    );

    let (s, e) = chunk(3);
    assert_eq!(s, next);
    assert_eq!(h.put_chunk(&url, &file, s, e).await.status, StatusCode::OK);
    let (s, e) = chunk(4);
    assert_eq!(
        h.put_chunk(&url, &file, s, e).await.status,
        StatusCode::CREATED
    );

    let draft = h.emu.stats();
    assert_eq!(draft.upload_chunks, 5);
    assert_eq!(draft.uploaded_bytes, file.len() as u64);
    assert_eq!(
        draft.connections, 2,
        "the client reconnected after the lost response"
    );
    let sent = h
        .call(
            Method::POST,
            &h.draft_path(&id, "/send"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED);
    assert_eq!(h.emu.messages()[0].attachments[0].sha256, sha256_hex(&file));

    // Each fault fired once: a second upload runs clean.
    let id = h
        .create_draft(&token, &draft_message("ops@example.com"))
        .await;
    let url = h.upload_session(&token, &id, "f.bin", file.len()).await;
    h.upload_all(&url, &file, size).await;
}

#[tokio::test]
async fn fail_every_chunk_never_stores_and_the_draft_can_be_deleted() {
    let h = Harness::start_with(|c| c.with_upload_fault(UploadFault::FailEveryChunk));
    let token = h.token().await;
    let id = h
        .create_draft(&token, &draft_message("ops@example.com"))
        .await;
    let file = pattern(3_200_000);
    let url = h.upload_session(&token, &id, "f.bin", file.len()).await;
    for _ in 0..3 {
        h.put_chunk(&url, &file, 0, KIB_320 - 1)
            .await
            .assert_graph_error(503, "ServiceUnavailable");
    }
    let deleted = h
        .call(Method::DELETE, &h.draft_path(&id, ""), Some(&token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let stats = h.emu.stats();
    assert_eq!((stats.upload_chunks, stats.uploaded_bytes), (0, 0));
    assert_eq!((stats.open_drafts, stats.open_upload_sessions), (0, 0));
    assert_eq!(stats.drafts_deleted, 1);
    assert!(std::fs::read_dir(h.emu.uploads_dir())
        .expect("uploads")
        .next()
        .is_none());
}

#[tokio::test]
async fn the_last_chunk_over_http1_gets_one_content_length_and_a_location() {
    let h = Harness::start();
    let token = h.token().await;
    let id = h
        .create_draft(&token, &draft_message("ops@example.com"))
        .await;
    let file = pattern(3 * 1024 * 1024);
    let url = h.upload_session(&token, &id, "f.bin", file.len()).await;
    let last = file.len() - 10;
    assert_eq!(
        h.put_chunk(&url, &file, 0, last - 1).await.status,
        StatusCode::OK
    );
    let path = &url[h.emu.base_url().len()..];
    let mut request = format!(
        "PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/octet-stream\r\n\
         Content-Range: bytes {last}-{}/{}\r\nContent-Length: 10\r\nConnection: close\r\n\r\n",
        file.len() - 1,
        file.len(),
        port = h.emu.port(),
    )
    .into_bytes();
    request.extend_from_slice(&file[last..]);
    let (status, text) = h.raw_http1(&request).await;
    assert_eq!(status, 201, "{text}");
    let head = text.to_ascii_lowercase();
    assert_eq!(head.matches("content-length:").count(), 1, "{text}");
    assert!(head.contains("content-length: 0\r\n"), "{text}");
    assert!(
        head.contains(&format!("location: {}/v1.0/users/", h.emu.base_url())),
        "{text}"
    );
    assert!(text.ends_with("\r\n\r\n"), "empty body: {text}");
}
