//! Outlook's per app and mailbox limits ([`ThrottlingLimits`]): concurrent requests, requests
//! per window and uploaded bytes per window, answered `429 ApplicationThrottled` with
//! `Retry-After`, switchable at start and at run time.

mod common;

use std::time::Duration;

use common::{draft_message, pattern, simple_mail, Harness, SENDER};
use graphmail_emulator::{FaultScope, RequestFault, ThrottlingLimits};
use reqwest::StatusCode;

const OTHER_APP: &str = "0b7d5c1a-9f2e-4d3c-8b1a-6e5f4d3c2b1a";
const OTHER_SECRET: &str = "other-app-secret";

fn only_requests(limit: u64) -> ThrottlingLimits {
    ThrottlingLimits {
        concurrent_requests: 0,
        requests_per_window: limit,
        upload_bytes_per_window: 0,
        ..ThrottlingLimits::OUTLOOK
    }
}

fn retry_after_seconds(reply: &common::Reply) -> u64 {
    reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("whole seconds")
}

#[tokio::test]
async fn requests_over_the_window_limit_get_429_per_app_and_mailbox() {
    let h = Harness::start_with(|c| {
        c.with_app(OTHER_APP, OTHER_SECRET)
            .with_throttling(only_requests(3))
    });
    let token = h.token().await;
    for _ in 0..3 {
        let ok = h.send(&token, SENDER, &simple_mail("a@example.com")).await;
        assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.json);
    }
    let throttled = h
        .send(&token, "ALERTS@contoso.test", &simple_mail("a@example.com"))
        .await;
    let message = throttled.assert_graph_error(429, "ApplicationThrottled");
    assert_eq!(message, "Application is over its MailboxRequests limit.");
    // The window is 10 minutes: the first request leaves it within 600 s.
    let wait = retry_after_seconds(&throttled);
    assert!((1..=600).contains(&wait), "{wait}");

    // Another mailbox and another app have their own counts.
    let ok = h
        .send(
            &token,
            "reports@contoso.test",
            &simple_mail("a@example.com"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.json);
    let reply = h
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", OTHER_APP),
            ("client_secret", OTHER_SECRET),
            ("scope", common::GRAPH_SCOPE),
        ])
        .await;
    let other = reply.json["access_token"].as_str().expect("token");
    let ok = h.send(other, SENDER, &simple_mail("a@example.com")).await;
    assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.json);

    // Switched off at run time: accepted again.
    h.emu.set_throttling(None);
    let ok = h.send(&token, SENDER, &simple_mail("a@example.com")).await;
    assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.json);

    let stats = h.emu.stats();
    assert_eq!(stats.throttled_requests, 1);
    assert_eq!(stats.accepted_messages, 6);
    assert_eq!(h.emu.messages().len(), 6);
}

#[tokio::test]
async fn outlook_limits_allow_four_concurrent_requests_per_mailbox() {
    // Every sendMail is held long enough for all of them to be in flight together.
    let h = Harness::start_with(|c| {
        c.with_outlook_throttling(true).with_request_fault(
            FaultScope::SendMail,
            RequestFault::Delay {
                every: 1,
                delay: Duration::from_millis(1500),
            },
        )
    });
    assert_eq!(h.emu.config().throttling, Some(ThrottlingLimits::OUTLOOK));
    let token = h.token().await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let client = h.client.clone();
        let url = h.url(&format!("/v1.0/users/{SENDER}/sendMail"));
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&simple_mail(&format!("r{i}@example.com"))).unwrap())
                .send()
                .await
                .expect("answered");
            common::Reply::from(response).await
        }));
    }
    let mut accepted = 0;
    let mut throttled = 0;
    for task in tasks {
        let reply = task.await.expect("task");
        if reply.status == StatusCode::ACCEPTED {
            accepted += 1;
        } else {
            let message = reply.assert_graph_error(429, "ApplicationThrottled");
            assert_eq!(message, "Application is over its MailboxConcurrency limit.");
            assert_eq!(reply.header("retry-after"), Some("1"));
            throttled += 1;
        }
    }
    assert_eq!((accepted, throttled), (4, 2));
    assert_eq!(h.emu.messages().len(), 4);
    // The places were given back: the next request is admitted.
    let ok = h.send(&token, SENDER, &simple_mail("a@example.com")).await;
    assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.json);
    assert_eq!(h.emu.stats().throttled_requests, 2);
}

#[tokio::test]
async fn upload_bytes_count_request_bodies_and_upload_session_chunks() {
    const MIB: usize = 1024 * 1024;
    let limits = ThrottlingLimits {
        concurrent_requests: 0,
        requests_per_window: 0,
        upload_bytes_per_window: 6 * MIB as u64,
        ..ThrottlingLimits::OUTLOOK
    };
    let h = Harness::start_with(|c| c.with_throttling(limits));
    let token = h.token().await;
    let id = h
        .create_draft(&token, &draft_message("ops@example.com"))
        .await;
    let file = pattern(8 * MIB);
    let url = h.upload_session(&token, &id, "big.bin", file.len()).await;
    let first = h.put_chunk(&url, &file, 0, 4 * MIB - 1).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.json);
    // 4 MiB + the draft and session bodies so far + 4 MiB more > 6 MiB.
    let second = h.put_chunk(&url, &file, 4 * MIB, 8 * MIB - 1).await;
    let message = second.assert_graph_error(429, "ApplicationThrottled");
    assert_eq!(message, "Application is over its IncomingBytes limit.");
    let wait = retry_after_seconds(&second);
    assert!((1..=300).contains(&wait), "{wait}");
    // A GET carries no upload bytes and is not refused.
    let get = h.get(&h.draft_path(&id, ""), Some(&token)).await;
    assert_eq!(get.status, StatusCode::OK, "{}", get.json);

    // Nothing of the refused chunk was stored: after switching the limit off the upload
    // resumes at 4 MiB and completes.
    h.emu.set_throttling(None);
    let done = h.put_chunk(&url, &file, 4 * MIB, 8 * MIB - 1).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.json);
    assert_eq!(h.emu.stats().throttled_requests, 1);
}
