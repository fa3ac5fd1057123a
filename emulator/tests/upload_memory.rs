//! A 150 MiB attachment through an upload session, then sent: the emulator streams it (to
//! disk, through SHA-256, into the `.eml`) without holding it in memory. Alone in its own test
//! binary so the process's peak memory reflects this one upload.

mod common;

use common::{draft_message, Harness};
use graphmail_emulator::limits::MAX_SESSION_BYTES;
use reqwest::{Method, StatusCode};
use sha2::Digest as _;

/// Peak resident memory of this process (Linux `VmHWM`), in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[tokio::test]
async fn a_150_mib_upload_and_send_stay_in_small_memory() {
    let h = Harness::start();
    let token = h.token().await;
    let id = h
        .create_draft(&token, &draft_message("ops@example.com"))
        .await;
    let size = MAX_SESSION_BYTES as usize;
    let url = h.upload_session(&token, &id, "huge.bin", size).await;
    // One chunk-sized buffer reused for every chunk: the test itself stays small too.
    let chunk = 12 * 320 * 1024;
    let block = common::pattern(chunk);
    let before = peak_rss();
    let mut hasher = sha2::Sha256::new();
    let mut start = 0;
    while start < size {
        let len = chunk.min(size - start);
        let end = start + len - 1;
        hasher.update(&block[..len]);
        let reply = common::Reply::from(
            h.client
                .put(&url)
                .header("content-range", format!("bytes {start}-{end}/{size}"))
                .body(block[..len].to_vec())
                .send()
                .await
                .expect("PUT"),
        )
        .await;
        let expected = if end + 1 == size {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        assert_eq!(reply.status, expected, "{}", reply.json);
        start = end + 1;
    }
    let sent = h
        .call(
            Method::POST,
            &h.draft_path(&id, "/send"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.json);
    let after = peak_rss();

    let stored = &h.emu.messages()[0];
    let expected: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(stored.attachments[0].sha256, expected);
    assert_eq!(stored.attachments[0].size, size as u64);
    let eml_len = std::fs::metadata(&stored.eml_path).expect("eml").len();
    assert!(
        eml_len > (size as u64) / 3 * 4,
        "the .eml carries the base64 attachment"
    );
    if let (Some(before), Some(after)) = (before, after) {
        let growth = after.saturating_sub(before);
        eprintln!("peak memory grew by {} KiB", growth / 1024);
        assert!(
            growth < 40 * 1024 * 1024,
            "peak memory grew by {growth} bytes for a {size}-byte upload"
        );
    }
}
