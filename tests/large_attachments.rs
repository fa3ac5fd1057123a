//! Attachments of 3 MB and more go through a draft and upload sessions: they arrive
//! byte-identical, chunks are aligned, failed chunks resume, and no failure or cancel leaves a
//! draft behind.

mod support;

use std::path::PathBuf;
use std::sync::Arc;

use graphmail::ffi::graph_status;
use graphmail::{Client, ClientConfig, ErrorCode, Message, SendControl};
use graphmail_emulator::UploadFault;
use serde_json::json;
use support::{assert_error, FfiClient, TestEmulator};

const MIB: u64 = 1024 * 1024;

/// A pseudo-random file in the test folder: its path and SHA-256 (hex).
fn make_file(t: &TestEmulator, name: &str, len: u64, seed: u64) -> (PathBuf, String) {
    let path = t.dir.path().join(name);
    let hash = support::write_random_file(&path, len, seed);
    (path, hash)
}

fn assert_nothing_left(t: &TestEmulator) {
    let s = t.emulator.stats();
    assert_eq!(s.open_drafts, 0, "no stray draft: {s:?}");
    assert_eq!(s.open_upload_sessions, 0, "no open upload session: {s:?}");
}

#[test]
fn large_and_small_attachments_arrive_byte_identical() {
    let t = TestEmulator::start();
    let (three, three_hash) = make_file(&t, "three.bin", 3 * MIB, 1);
    let (ten, ten_hash) = make_file(&t, "ten.pdf", 10 * MIB + 12345, 2);
    let (small, small_hash) = make_file(&t, "small.csv", 1000, 3);
    let (logo, logo_hash) = make_file(&t, "logo.png", 4 * MIB, 4);
    let client = FfiClient::new(&t.config());
    let (status, report) = client.send(&json!({
        "from": "reports@contoso.test", "to": "ops@fabrikam.test", "subject": "big",
        "body": "<p>Logo: <img src=\"cid:logo\"></p>", "bodyAsHtml": true,
        "headers": {"X-Report": "nightly"},
        "attachments": [three, ten, small],
        "inlineAttachments": {"logo": logo},
    }));
    assert_eq!(status, graph_status::Ok, "{report}");
    assert_eq!(report["path"], "draft");
    assert_eq!(report["attachments"].as_array().unwrap().len(), 4);
    let stored = t.emulator.messages();
    assert_eq!(stored.len(), 1);
    let m = &stored[0];
    assert_eq!(
        m.request["internetMessageHeaders"][0]["name"]
            .as_str()
            .or(m.request["message"]["internetMessageHeaders"][0]["name"].as_str()),
        Some("X-Report")
    );
    let by_name = |n: &str| {
        m.attachments
            .iter()
            .find(|a| a.name == n)
            .unwrap_or_else(|| panic!("{n} missing"))
    };
    assert_eq!(by_name("three.bin").sha256, three_hash);
    assert_eq!(by_name("ten.pdf").sha256, ten_hash);
    assert_eq!(by_name("ten.pdf").size, 10 * MIB + 12345);
    assert_eq!(by_name("small.csv").sha256, small_hash);
    let logo_stored = by_name("logo.png");
    assert_eq!(logo_stored.sha256, logo_hash);
    assert!(logo_stored.is_inline);
    assert_eq!(logo_stored.content_id.as_deref(), Some("logo"));
    let s = t.emulator.stats();
    assert_eq!(
        s.unaligned_chunks, 0,
        "every chunk but the last is a multiple of 320 KiB: {s:?}"
    );
    assert_eq!(s.upload_sessions_created, 3, "{s:?}");
    assert_nothing_left(&t);
}

#[test]
fn inline_images_work_on_the_direct_path_too() {
    let t = TestEmulator::start();
    let (logo, logo_hash) = make_file(&t, "logo.png", 2000, 9);
    let (status, report) = FfiClient::new(&t.config()).send(&json!({
        "from": "reports@contoso.test", "to": "ops@fabrikam.test",
        "body": "<img src=\"cid:logo\">", "bodyAsHtml": true, "inlineAttachments": {"logo": logo},
    }));
    assert_eq!(status, graph_status::Ok, "{report}");
    assert_eq!(report["path"], "sendMail");
    let m = &t.emulator.messages()[0];
    let att = &m.request["message"]["attachments"][0];
    assert_eq!(att["isInline"], true);
    assert_eq!(att["contentId"], "logo");
    assert_eq!(m.attachments[0].sha256, logo_hash);
    support::assert_valid_send_mail(&m.request);
}

#[test]
fn a_failed_chunk_is_resumed() {
    for fault in [
        UploadFault::FailChunkOnce { index: 1 },
        UploadFault::LoseResponseOnce { index: 2 },
    ] {
        let t = TestEmulator::start_with(|c| c.with_upload_fault(fault));
        let (big, hash) = make_file(&t, "big.bin", 12 * MIB, 5);
        let (status, report) = FfiClient::new(&t.config()).send(&json!({
            "from": "reports@contoso.test", "to": "ops@fabrikam.test", "attachments": [big],
        }));
        assert_eq!(status, graph_status::Ok, "{fault:?}: {report}");
        assert_eq!(
            t.emulator.messages()[0].attachments[0].sha256,
            hash,
            "{fault:?}"
        );
        assert_nothing_left(&t);
    }
}

#[test]
fn without_mail_readwrite_the_error_says_so_and_nothing_is_left() {
    let t = TestEmulator::start_with(|c| {
        c.with_app_permissions(graphmail_emulator::DEFAULT_CLIENT_ID, &["Mail.Send"])
    });
    let (big, _) = make_file(&t, "big.bin", 3 * MIB, 6);
    let r = FfiClient::new(&t.config()).send(&json!({
        "from": "reports@contoso.test", "to": "ops@fabrikam.test", "attachments": [big],
    }));
    assert_error(&r, graph_status::Graph, "AccessDenied");
    let e = &r.1["error"];
    assert_eq!(e["step"], "createDraft");
    assert!(
        e["message"].as_str().unwrap().contains("Mail.ReadWrite"),
        "{e}"
    );
    assert!(t.emulator.messages().is_empty());
    assert_nothing_left(&t);
}

#[test]
fn a_failure_after_the_draft_exists_deletes_the_draft() {
    // Every chunk fails: the upload gives up, the session and the draft are deleted.
    let t = TestEmulator::start_with(|c| c.with_upload_fault(UploadFault::FailEveryChunk));
    let (big, _) = make_file(&t, "big.bin", 4 * MIB, 7);
    let r = FfiClient::new(&t.config()).send(&json!({
        "from": "reports@contoso.test", "to": "ops@fabrikam.test", "attachments": [big],
    }));
    assert_eq!(r.0, graph_status::Graph, "{}", r.1);
    assert_eq!(r.1["error"]["step"], "uploadAttachment");
    assert_eq!(r.1["error"]["draftDeleted"], true);
    assert!(t.emulator.messages().is_empty());
    assert_eq!(t.emulator.stats().drafts_deleted, 1);
    assert_nothing_left(&t);
}

#[test]
fn limits_are_refused_before_any_request() {
    let t = TestEmulator::start();
    let huge = t.dir.path().join("huge.iso");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(150 * MIB + 1)
        .unwrap();
    let client = FfiClient::new(&t.config());
    let r = client.send(
        &json!({"from": "reports@contoso.test", "to": "o@fabrikam.test", "attachments": [huge]}),
    );
    assert_error(&r, graph_status::InvalidArgument, "AttachmentTooLarge");
    let mut config = t.config();
    config["maxMessageBytes"] = json!(5 * MIB);
    let (a, _) = make_file(&t, "a.bin", 3 * MIB, 1);
    let (b, _) = make_file(&t, "b.bin", 3 * MIB, 2);
    let r = FfiClient::new(&config).send(
        &json!({"from": "reports@contoso.test", "to": "o@fabrikam.test", "attachments": [a, b]}),
    );
    assert_error(&r, graph_status::InvalidArgument, "MessageTooLarge");
    assert_eq!(t.emulator.stats().requests, 0);
}

#[test]
fn a_cancel_leaves_no_draft() {
    let t = TestEmulator::start();
    let (big, _) = make_file(&t, "big.bin", 40 * MIB, 8);
    let config = ClientConfig::from_json(&t.config().to_string()).unwrap();
    let client = Client::new(config).unwrap();
    let message = Message {
        from: "reports@contoso.test".into(),
        to: vec!["ops@fabrikam.test".into()],
        attachments: vec![big],
        ..Message::default()
    };
    let control = Arc::new(SendControl::new());
    let validated = message.validate().unwrap();
    let (c2, client2) = (Arc::clone(&control), client.clone());
    let sender = std::thread::spawn(move || {
        graphmail::runtime::block_on(
            async move { client2.send_validated_with(validated, &c2).await },
        )
    });
    while control.progress().bytes_sent == 0 {
        assert!(
            !sender.is_finished(),
            "the send ended before any chunk was acknowledged"
        );
        std::thread::yield_now();
    }
    control.cancel();
    let err = sender.join().unwrap().unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cancelled, "{err}");
    assert_eq!(err.draft_deleted(), Some(true));
    assert!(t.emulator.messages().is_empty());
    assert_nothing_left(&t);
}

#[test]
fn a_background_send_can_be_followed_through_the_c_abi() {
    let t = TestEmulator::start();
    let (big, hash) = make_file(&t, "big.bin", 20 * MIB, 10);
    let client = FfiClient::new(&t.config());
    // Bad input fails at start; nothing runs.
    let err = client
        .start(&json!({"to": "ops@fabrikam.test"}))
        .err()
        .unwrap();
    assert_error(&err, graph_status::InvalidArgument, "MissingFrom");

    let op = client
        .start(&json!({"from": "reports@contoso.test", "to": "ops@fabrikam.test", "attachments": [big]}))
        .unwrap();
    let mut last_sent = 0u64;
    loop {
        let p = op.progress();
        assert_eq!(p["bytesTotal"], 20 * MIB, "{p}");
        let sent = p["bytesSent"].as_u64().unwrap();
        assert!(
            sent >= last_sent && sent <= 20 * MIB,
            "progress only grows: {p}"
        );
        last_sent = sent;
        if p["done"] == true {
            break;
        }
        let (status, r) = op.wait(20);
        if status != graph_status::Pending {
            assert_eq!(status, graph_status::Ok, "{r}");
        }
    }
    let (status, report) = op.wait(0);
    assert_eq!(status, graph_status::Ok, "{report}");
    assert_eq!(report["path"], "draft");
    assert_eq!(op.progress()["bytesSent"], 20 * MIB);
    assert_eq!(op.wait(0).1, report, "the result can be read again");
    assert_eq!(t.emulator.messages()[0].attachments[0].sha256, hash);
}

#[test]
fn a_background_send_can_be_cancelled_through_the_c_abi() {
    let t = TestEmulator::start();
    let (big, _) = make_file(&t, "big.bin", 30 * MIB, 11);
    let client = FfiClient::new(&t.config());
    let op = client
        .start(&json!({"from": "reports@contoso.test", "to": "ops@fabrikam.test", "attachments": [big]}))
        .unwrap();
    op.cancel();
    let (status, r) = op.wait(60_000);
    assert_error(&(status, r.clone()), graph_status::Cancelled, "Cancelled");
    assert_eq!(op.progress()["cancelRequested"], true);
    assert!(t.emulator.messages().is_empty());
    assert_nothing_left(&t);
}

#[test]
fn a_150_mb_attachment_arrives_byte_identical() {
    let t = TestEmulator::start();
    let (max, hash) = make_file(&t, "max.bin", 150 * MIB, 12);
    let (status, report) = FfiClient::new(&t.config()).send(&json!({
        "from": "reports@contoso.test", "to": "ops@fabrikam.test", "attachments": [max],
    }));
    assert_eq!(status, graph_status::Ok, "{report}");
    let m = &t.emulator.messages()[0];
    assert_eq!(m.attachments[0].size, 150 * MIB);
    assert_eq!(m.attachments[0].sha256, hash);
    let s = t.emulator.stats();
    assert_eq!(s.unaligned_chunks, 0, "{s:?}");
    assert_eq!(
        s.uploaded_bytes,
        150 * MIB,
        "each byte uploaded once: {s:?}"
    );
    assert_nothing_left(&t);
}
