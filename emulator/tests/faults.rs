//! Request faults ([`RequestFault`]): throttling (every Nth and per-mailbox concurrency), error
//! statuses, delays, connections closed before or after processing, expired tokens and
//! refused connections, configured at start or at run time.

mod common;

use std::time::{Duration, Instant};

use common::{
    assert_aad_error, client_for, client_with, draft_message, simple_mail, Harness, Reply, SENDER,
};
use graphmail_emulator::{Emulator, EmulatorConfig, FaultScope, RequestFault, RetryAfter};
use reqwest::StatusCode;
use serde_json::{json, Value};

const OTHER_SENDER: &str = "reports@contoso.test";

/// A sendMail body with a distinctive subject.
fn mail(subject: &str) -> Value {
    json!({
        "message": {
            "subject": subject,
            "body": {"contentType": "text", "content": "Hello"},
            "toRecipients": [{"emailAddress": {"address": "ops@example.com"}}]
        }
    })
}

/// POST sendMail with `client`; the transport error, if any, instead of a panic.
async fn try_send(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
) -> reqwest::Result<Reply> {
    let mut req = client
        .post(url)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).expect("json"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let response = req.send().await?;
    Ok(Reply::from(response).await)
}

fn send_url(h: &Harness, user: &str) -> String {
    h.url(&format!("/v1.0/users/{user}/sendMail"))
}

/// Subjects of the stored messages, oldest first.
fn stored_subjects(emu: &Emulator) -> Vec<String> {
    emu.messages()
        .iter()
        .map(|m| {
            m.request["message"]["subject"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn throttle_answers_exactly_every_nth_send_mail_with_429_and_retry_after() {
    let h = Harness::start_with(|c| {
        c.with_request_fault(
            FaultScope::SendMail,
            RequestFault::Throttle {
                every: 3,
                retry_after: RetryAfter::Seconds(7),
            },
        )
    });
    let token = h.token().await;
    let mut statuses = Vec::new();
    for i in 1..=7 {
        let reply = h.send(&token, SENDER, &mail(&format!("m{i}"))).await;
        if i % 3 == 0 {
            let message = reply.assert_graph_error(429, "TooManyRequests");
            assert!(!message.is_empty());
            assert_eq!(reply.header("retry-after"), Some("7"));
        } else {
            assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.json);
            assert_eq!(reply.header("retry-after"), None);
        }
        statuses.push(reply.status.as_u16());
        // Other Graph requests are outside the SendMail scope: neither faulted nor counted.
        let list = h
            .get(
                &format!("/v1.0/users/{SENDER}/mailFolders/sentItems/messages"),
                Some(&token),
            )
            .await;
        assert_eq!(list.status, StatusCode::OK);
    }
    assert_eq!(statuses, [202, 202, 429, 202, 202, 429, 202]);
    assert_eq!(stored_subjects(&h.emu), ["m1", "m2", "m4", "m5", "m7"]);
    let stats = h.emu.stats();
    assert_eq!(stats.send_mail_requests, 7);
    assert_eq!(stats.accepted_messages, 5);
    assert_eq!(stats.faults_injected, 2);
    assert_eq!(stats.rejected_requests, 2);
    assert_eq!(stats.graph_requests, 14);
}

#[tokio::test]
async fn retry_after_comes_as_seconds_fractional_seconds_or_an_http_date() {
    let h = Harness::start();
    let token = h.token().await;
    let throttle = |retry_after| {
        vec![(
            FaultScope::SendMail,
            RequestFault::Throttle {
                every: 1,
                retry_after,
            },
        )]
    };

    for (retry_after, expected) in [
        (RetryAfter::Seconds(0), Some("0")),
        (RetryAfter::Seconds(120), Some("120")),
        (RetryAfter::FractionalSeconds(0.5), Some("0.5")),
        (RetryAfter::FractionalSeconds(1.25), Some("1.25")),
        (RetryAfter::None, None),
    ] {
        h.emu.set_request_faults(throttle(retry_after));
        let reply = h
            .send(&token, SENDER, &simple_mail("ops@example.com"))
            .await;
        reply.assert_graph_error(429, "TooManyRequests");
        assert_eq!(reply.header("retry-after"), expected, "{retry_after:?}");
    }

    h.emu
        .set_request_faults(throttle(RetryAfter::HttpDate(Duration::from_secs(90))));
    let before = time::OffsetDateTime::now_utc();
    let reply = h
        .send(&token, SENDER, &simple_mail("ops@example.com"))
        .await;
    reply.assert_graph_error(429, "TooManyRequests");
    let value = reply.header("retry-after").expect("Retry-After");
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
    assert_eq!(value.len(), 29, "{value}");
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, &format)
        .unwrap_or_else(|e| panic!("{value}: {e}"))
        .assume_utc();
    let ahead = at - before;
    assert!(
        ahead > time::Duration::seconds(80) && ahead <= time::Duration::seconds(92),
        "{value} is {ahead} after the request"
    );
    assert!(
        h.emu.messages().is_empty(),
        "throttled requests store nothing"
    );
    assert_eq!(h.emu.stats().faults_injected, 6);
}

#[tokio::test]
async fn concurrency_limit_throttles_only_the_excess_requests_of_one_mailbox() {
    let h = Harness::start_with(|c| {
        c.with_request_fault(
            FaultScope::SendMail,
            RequestFault::ConcurrencyLimit {
                per_mailbox: 2,
                retry_after: RetryAfter::Seconds(1),
            },
        )
        .with_request_fault(
            FaultScope::SendMail,
            RequestFault::Delay {
                every: 1,
                delay: Duration::from_millis(1500),
            },
        )
    });
    let token = h.token().await; // opens the (HTTP/2) connection the requests share

    // Five at once for one mailbox (spelled in different cases), one for another mailbox.
    let mut tasks = Vec::new();
    for (i, user) in [
        SENDER,
        "ALERTS@contoso.test",
        SENDER,
        "Alerts@Contoso.Test",
        SENDER,
        OTHER_SENDER,
    ]
    .into_iter()
    .enumerate()
    {
        let client = h.client.clone();
        let url = send_url(&h, user);
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let reply = try_send(&client, &url, Some(&token), &mail(&format!("c{i}")))
                .await
                .expect("answered");
            (user, reply, started.elapsed())
        }));
    }
    let mut accepted = Vec::new();
    let mut throttled = 0;
    for task in tasks {
        let (user, reply, elapsed) = task.await.expect("task");
        if reply.status == StatusCode::ACCEPTED {
            assert!(elapsed >= Duration::from_millis(1500), "{elapsed:?}");
            accepted.push(user.to_ascii_lowercase());
        } else {
            assert_ne!(user, OTHER_SENDER, "the other mailbox is not limited");
            let message = reply.assert_graph_error(429, "ApplicationThrottled");
            assert_eq!(message, "Application is over its MailboxConcurrency limit.");
            assert_eq!(reply.header("retry-after"), Some("1"));
            assert!(
                elapsed < Duration::from_millis(1500),
                "throttled at once: {elapsed:?}"
            );
            throttled += 1;
        }
    }
    accepted.sort();
    assert_eq!(accepted, [SENDER, SENDER, OTHER_SENDER]);
    assert_eq!(throttled, 3);
    assert_eq!(h.emu.messages().len(), 3);

    // The places are given back: one at a time, every request gets through.
    for i in 0..3 {
        let reply = h.send(&token, SENDER, &mail(&format!("s{i}"))).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.json);
    }
    let stats = h.emu.stats();
    assert_eq!(stats.accepted_messages, 6);
    // 3 throttles + 6 delays.
    assert_eq!(stats.faults_injected, 9);
    assert_eq!(stats.send_mail_requests, 9);
}

#[tokio::test]
async fn status_faults_answer_graph_errors_without_processing() {
    let h = Harness::start();
    let token = h.token().await;
    for (status, code) in [
        (500, "generalException"),
        (503, "serviceNotAvailable"),
        (504, "UnknownError"),
    ] {
        h.emu.set_request_faults(vec![(
            FaultScope::SendMail,
            RequestFault::Status {
                status,
                every: 2,
                retry_after: RetryAfter::None,
            },
        )]);
        let first = h.send(&token, SENDER, &mail(&format!("ok {status}"))).await;
        assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.json);
        let second = h.send(&token, SENDER, &mail(&format!("no {status}"))).await;
        second.assert_graph_error(status, code);
        assert_eq!(second.header("retry-after"), None);
        let third = h
            .send(&token, SENDER, &mail(&format!("ok2 {status}")))
            .await;
        assert_eq!(third.status, StatusCode::ACCEPTED, "{}", third.json);
    }
    // A 503 may carry Retry-After.
    h.emu.set_request_faults(vec![(
        FaultScope::SendMail,
        RequestFault::Status {
            status: 503,
            every: 1,
            retry_after: RetryAfter::Seconds(3),
        },
    )]);
    let reply = h.send(&token, SENDER, &mail("no retry")).await;
    reply.assert_graph_error(503, "serviceNotAvailable");
    assert_eq!(reply.header("retry-after"), Some("3"));

    assert_eq!(
        stored_subjects(&h.emu),
        ["ok 500", "ok2 500", "ok 503", "ok2 503", "ok 504", "ok2 504"]
    );
    let stats = h.emu.stats();
    assert_eq!(stats.faults_injected, 4);
    assert_eq!(stats.rejected_requests, 4);
}

#[tokio::test]
async fn delay_holds_every_nth_request_then_processes_it() {
    let delay = Duration::from_millis(1000);
    let h = Harness::start_with(|c| {
        c.with_request_fault(
            FaultScope::SendMail,
            RequestFault::Delay { every: 2, delay },
        )
    });
    let token = h.token().await;
    let mut elapsed = Vec::new();
    for i in 1..=3 {
        let started = Instant::now();
        let reply = h.send(&token, SENDER, &mail(&format!("d{i}"))).await;
        elapsed.push(started.elapsed());
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.json);
    }
    assert!(elapsed[0] < delay, "{elapsed:?}");
    assert!(elapsed[1] >= delay, "{elapsed:?}");
    assert!(elapsed[2] < delay, "{elapsed:?}");
    assert_eq!(stored_subjects(&h.emu), ["d1", "d2", "d3"]);
    assert_eq!(h.emu.stats().faults_injected, 1);
}

#[tokio::test]
async fn reset_before_processing_closes_the_connection_and_stores_nothing() {
    let h = Harness::start_with(|c| {
        c.with_request_fault(
            FaultScope::SendMail,
            RequestFault::ResetBeforeProcessing { every: 2 },
        )
    });
    let token = h.token().await;
    let url = send_url(&h, SENDER);
    let first = try_send(&h.client, &url, Some(&token), &mail("r1"))
        .await
        .expect("first answered");
    assert_eq!(first.status, StatusCode::ACCEPTED);
    let second = try_send(&h.client, &url, Some(&token), &mail("r2")).await;
    let error = second
        .err()
        .expect("the connection closes without an answer");
    assert!(error.status().is_none(), "{error}");
    assert_eq!(
        stored_subjects(&h.emu),
        ["r1"],
        "the reset request is not processed"
    );
    let third = try_send(&h.client, &url, Some(&token), &mail("r3"))
        .await
        .expect("a new connection works");
    assert_eq!(third.status, StatusCode::ACCEPTED);
    assert_eq!(stored_subjects(&h.emu), ["r1", "r3"]);
    let stats = h.emu.stats();
    assert_eq!(stats.send_mail_requests, 3);
    assert_eq!(stats.accepted_messages, 2);
    assert_eq!(stats.faults_injected, 1);
    assert_eq!(stats.rejected_requests, 0);
    assert_eq!(
        stats.connections, 2,
        "the reset closed the first connection"
    );
}

#[tokio::test]
async fn reset_after_store_keeps_the_message_but_loses_the_answer() {
    let h = Harness::start_with(|c| {
        c.with_request_fault(
            FaultScope::SendMail,
            RequestFault::ResetAfterStore { every: 1 },
        )
    });
    let token = h.token().await;
    let url = send_url(&h, SENDER);
    let outcome = try_send(&h.client, &url, Some(&token), &mail("ambiguous")).await;
    assert!(outcome.is_err(), "no answer");
    let messages = h.emu.messages();
    assert_eq!(messages.len(), 1, "the message was stored before the reset");
    assert_eq!(messages[0].request["message"]["subject"], "ambiguous");
    assert_eq!(messages[0].mailbox, SENDER);
    assert!(messages[0].eml_path.exists());
    let stats = h.emu.stats();
    assert_eq!(stats.accepted_messages, 1);
    assert_eq!(stats.faults_injected, 1);

    h.emu.clear_request_faults();
    let retry = try_send(&h.client, &url, Some(&token), &mail("ambiguous"))
        .await
        .expect("answered once the fault is cleared");
    assert_eq!(retry.status, StatusCode::ACCEPTED);
    assert_eq!(h.emu.messages().len(), 2, "a blind retry sends twice");
}

#[tokio::test]
async fn reset_after_store_on_a_draft_send_sends_the_draft() {
    let h = Harness::start_with(|c| {
        c.with_request_fault(
            FaultScope::DraftSend,
            RequestFault::ResetAfterStore { every: 1 },
        )
    });
    let token = h.token().await;
    // Creating the draft is not a draft send: unaffected.
    let id = h
        .create_draft(&token, &draft_message("ops@example.com"))
        .await;
    let outcome = h
        .client
        .post(h.url(&h.draft_path(&id, "/send")))
        .bearer_auth(&token)
        .send()
        .await;
    assert!(outcome.is_err(), "no answer");
    let messages = h.emu.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].id, id);
    assert!(messages[0].via_draft);
    let stats = h.emu.stats();
    assert_eq!(stats.drafts_sent, 1);
    assert_eq!(stats.open_drafts, 0);
    assert_eq!(stats.faults_injected, 1);
    assert_eq!(stats.send_mail_requests, 0);

    // The client's retry of the send finds no draft any more.
    h.emu.clear_request_faults();
    let retry = h
        .call(
            reqwest::Method::POST,
            &h.draft_path(&id, "/send"),
            Some(&token),
            None,
        )
        .await;
    retry.assert_graph_error(404, "ErrorItemNotFound");
}

#[tokio::test]
async fn expired_token_fault_answers_401_invalid_authentication_token() {
    let h = Harness::start_with(|c| {
        c.with_request_fault(FaultScope::Graph, RequestFault::ExpiredToken { every: 2 })
    });
    let token = h.token().await;
    let list_path = format!("/v1.0/users/{SENDER}/mailFolders/sentItems/messages");
    let first = h.get(&list_path, Some(&token)).await;
    assert_eq!(first.status, StatusCode::OK);

    let second = h.send(&token, SENDER, &mail("expired")).await;
    let message = second.assert_graph_error(401, "InvalidAuthenticationToken");
    assert_eq!(message, "Lifetime validation failed, the token is expired.");
    let challenge = second.header("www-authenticate").expect("WWW-Authenticate");
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(h.emu.messages().is_empty(), "not processed");

    // The token itself is still valid.
    let third = h.send(&token, SENDER, &mail("fine")).await;
    assert_eq!(third.status, StatusCode::ACCEPTED, "{}", third.json);
    let fourth = h.get(&list_path, Some(&token)).await;
    fourth.assert_graph_error(401, "InvalidAuthenticationToken");
    assert_eq!(stored_subjects(&h.emu), ["fine"]);
    let stats = h.emu.stats();
    assert_eq!(stats.faults_injected, 2);
    assert_eq!(stats.graph_requests, 4);
    assert_eq!(stats.token_requests, 1);
}

#[tokio::test]
async fn faults_apply_before_authentication() {
    let h = Harness::start_with(|c| {
        c.with_request_fault(
            FaultScope::SendMail,
            RequestFault::Throttle {
                every: 1,
                retry_after: RetryAfter::Seconds(1),
            },
        )
    });
    let no_token = try_send(&h.client, &send_url(&h, SENDER), None, &mail("x"))
        .await
        .expect("answered");
    no_token.assert_graph_error(429, "TooManyRequests");
    let bad_token = try_send(&h.client, &send_url(&h, SENDER), Some("bogus"), &mail("x"))
        .await
        .expect("answered");
    bad_token.assert_graph_error(429, "TooManyRequests");

    // Without the fault the same requests fail authentication.
    h.emu.clear_request_faults();
    let no_token = try_send(&h.client, &send_url(&h, SENDER), None, &mail("x"))
        .await
        .expect("answered");
    no_token.assert_graph_error(401, "InvalidAuthenticationToken");
}

#[tokio::test]
async fn refused_connections_fail_before_the_tls_handshake() {
    let h = Harness::start_with(|c| {
        c.with_request_fault(
            FaultScope::Graph,
            RequestFault::RefuseConnections { every: 2 },
        )
    });
    h.token().await; // connection 1
    let ca = std::fs::read(h.emu.ca_certificate_path()).expect("ca");
    let list = h.url(&format!(
        "/v1.0/users/{SENDER}/mailFolders/sentItems/messages"
    ));
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        // A new client opens a new connection: 2, 3, 4.
        let client = client_for(&ca);
        outcomes.push(match client.get(&list).send().await {
            Ok(response) => Some(response.status().as_u16()),
            Err(e) => {
                assert!(e.status().is_none(), "{e}");
                None
            }
        });
    }
    // The third connection is answered (401: no token).
    assert_eq!(outcomes, [None, Some(401), None]);
    let stats = h.emu.stats();
    assert_eq!(
        stats.connections, 2,
        "refused connections never finish a handshake"
    );
    assert_eq!(stats.faults_injected, 2);
    assert_eq!(stats.requests, 2);
}

#[tokio::test]
async fn request_faults_can_be_set_and_cleared_at_run_time() {
    let h = Harness::start();
    let token = h.token().await;
    let ok = h.send(&token, SENDER, &mail("a")).await;
    assert_eq!(ok.status, StatusCode::ACCEPTED);

    h.emu.set_request_faults(vec![(
        FaultScope::SendMail,
        RequestFault::Status {
            status: 503,
            every: 1,
            retry_after: RetryAfter::None,
        },
    )]);
    h.send(&token, SENDER, &mail("b"))
        .await
        .assert_graph_error(503, "serviceNotAvailable");

    // Replacing the faults drops the 503 and starts the count anew.
    let throttle_every_2 = vec![(
        FaultScope::SendMail,
        RequestFault::Throttle {
            every: 2,
            retry_after: RetryAfter::Seconds(1),
        },
    )];
    h.emu.set_request_faults(throttle_every_2.clone());
    assert_eq!(h.send(&token, SENDER, &mail("c")).await.status, 202);
    h.emu.set_request_faults(throttle_every_2);
    assert_eq!(
        h.send(&token, SENDER, &mail("d")).await.status,
        202,
        "the count restarted"
    );
    h.send(&token, SENDER, &mail("e"))
        .await
        .assert_graph_error(429, "TooManyRequests");

    h.emu.clear_request_faults();
    for subject in ["f", "g", "h"] {
        assert_eq!(h.send(&token, SENDER, &mail(subject)).await.status, 202);
    }
    assert_eq!(stored_subjects(&h.emu), ["a", "c", "d", "f", "g", "h"]);
    let stats = h.emu.stats();
    assert_eq!(stats.faults_injected, 2);
    assert_eq!(stats.send_mail_requests, 8);
    assert!(h.emu.config().request_faults.is_empty());
}

#[tokio::test]
async fn faults_are_checked_in_order_and_count_their_own_matches() {
    // Graph: throttle every 2nd Graph request; SendMail: fail every 2nd sendMail that the
    // throttle let through.
    let h = Harness::start_with(|c| {
        c.with_request_fault(
            FaultScope::Graph,
            RequestFault::Throttle {
                every: 2,
                retry_after: RetryAfter::Seconds(1),
            },
        )
        .with_request_fault(
            FaultScope::SendMail,
            RequestFault::Status {
                status: 500,
                every: 2,
                retry_after: RetryAfter::None,
            },
        )
    });
    let token = h.token().await; // a token request: no Graph scope
    let mut statuses = Vec::new();
    for i in 1..=5 {
        statuses.push(h.send(&token, SENDER, &mail(&format!("o{i}"))).await.status);
    }
    assert_eq!(statuses, [202, 429, 500, 429, 202]);
    assert_eq!(stored_subjects(&h.emu), ["o1", "o5"]);
    assert_eq!(h.emu.stats().faults_injected, 3);
}

#[tokio::test]
async fn token_endpoint_faults_use_the_identity_platform_error_shape() {
    let h = Harness::start_with(|c| {
        c.with_request_fault(
            FaultScope::Token,
            RequestFault::Throttle {
                every: 2,
                retry_after: RetryAfter::Seconds(5),
            },
        )
    });
    let token = h.token().await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", graphmail_emulator::DEFAULT_CLIENT_ID),
        ("client_secret", graphmail_emulator::DEFAULT_CLIENT_SECRET),
        ("scope", common::GRAPH_SCOPE),
    ];
    let throttled = h.token_request(&form).await;
    assert_aad_error(&throttled, 429, "temporarily_unavailable", 90055);
    assert_eq!(throttled.header("retry-after"), Some("5"));
    // Graph requests are not in the Token scope.
    for _ in 0..2 {
        let reply = h
            .send(&token, SENDER, &simple_mail("ops@example.com"))
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED);
    }

    h.emu.set_request_faults(vec![(
        FaultScope::Token,
        RequestFault::Status {
            status: 503,
            every: 1,
            retry_after: RetryAfter::None,
        },
    )]);
    let unavailable = h.token_request(&form).await;
    assert_aad_error(&unavailable, 503, "temporarily_unavailable", 90033);
    h.emu.set_request_faults(vec![(
        FaultScope::Token,
        RequestFault::Status {
            status: 500,
            every: 1,
            retry_after: RetryAfter::None,
        },
    )]);
    assert_aad_error(&h.token_request(&form).await, 500, "server_error", 50000);

    // A token issued and then lost: the client gets no answer but the token exists.
    h.emu.set_request_faults(vec![(
        FaultScope::Token,
        RequestFault::ResetAfterStore { every: 1 },
    )]);
    let lost = h
        .client
        .post(h.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish(),
        )
        .send()
        .await;
    assert!(lost.is_err());
    h.emu.clear_request_faults();
    let reply = h.token_request(&form).await;
    assert_eq!(reply.status, StatusCode::OK);

    let stats = h.emu.stats();
    assert_eq!(stats.token_requests, 6);
    assert_eq!(
        stats.client_credentials_requests, 3,
        "faulted ones are not parsed"
    );
    assert_eq!(stats.faults_injected, 4);
}

#[tokio::test]
async fn a_faulted_request_is_answered_only_after_its_whole_body_is_read() {
    // HTTP/1.1, where answering early and closing would break the client's upload.
    let h = Harness::start_with(|c| {
        c.with_request_fault(
            FaultScope::SendMail,
            RequestFault::Throttle {
                every: 1,
                retry_after: RetryAfter::Seconds(1),
            },
        )
    });
    let ca = std::fs::read(h.emu.ca_certificate_path()).expect("ca");
    let client = client_with(&ca, &[b"http/1.1"], rustls::DEFAULT_VERSIONS);
    let token = h.token().await;
    let big = json!({
        "message": {
            "subject": "big",
            "body": {"contentType": "text", "content": "x".repeat(3_000_000)},
            "toRecipients": [{"emailAddress": {"address": "ops@example.com"}}]
        }
    });
    for _ in 0..2 {
        let reply = try_send(&client, &send_url(&h, SENDER), Some(&token), &big)
            .await
            .expect("answered");
        assert_eq!(reply.version, reqwest::Version::HTTP_11);
        reply.assert_graph_error(429, "TooManyRequests");
    }
    let stats = h.emu.stats();
    assert_eq!(stats.connections, 2, "the HTTP/1.1 connection was kept");
}

#[test]
fn faults_a_scope_does_not_allow_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = [
        (FaultScope::Token, RequestFault::ExpiredToken { every: 1 }),
        (
            FaultScope::Token,
            RequestFault::ConcurrencyLimit {
                per_mailbox: 1,
                retry_after: RetryAfter::None,
            },
        ),
        (
            FaultScope::SendMail,
            RequestFault::ResetAfterStore { every: 0 },
        ),
        (
            FaultScope::SendMail,
            RequestFault::Status {
                status: 200,
                every: 1,
                retry_after: RetryAfter::None,
            },
        ),
        (
            FaultScope::Graph,
            RequestFault::Throttle {
                every: 1,
                retry_after: RetryAfter::FractionalSeconds(-1.0),
            },
        ),
    ];
    for (scope, fault) in bad {
        let config = EmulatorConfig::new(dir.path()).with_request_fault(scope, fault);
        match Emulator::start(config) {
            Err(graphmail_emulator::EmulatorError::Config(message)) => {
                assert!(!message.is_empty())
            }
            other => panic!("{scope:?} {fault:?} was accepted: {other:?}"),
        }
    }
    let emu = Emulator::start(EmulatorConfig::new(dir.path())).expect("start");
    for (scope, fault) in bad {
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            emu.set_request_faults(vec![(scope, fault)])
        }));
        assert!(panicked.is_err(), "{scope:?} {fault:?}");
    }
}
