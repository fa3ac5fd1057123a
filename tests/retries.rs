//! The retry policy through the C ABI, against the emulator's injected faults: 429/503/504 are
//! retried (Retry-After honoured) within `maxAttempts` and `retryDeadlineSeconds`; a sendMail
//! that went out without an answer is never repeated (`OutcomeUnknown`); a draft is sent again
//! only after checking it is still a draft; a 401 gets one new token; connection failures
//! before sending are retried; the whole send can be limited by `sendTimeoutSeconds`.

mod support;

use std::time::Duration;

use graphmail::ffi::graph_status;
use graphmail_emulator::{FaultScope, RequestFault, RetryAfter};
use serde_json::{json, Value};
use support::{assert_error, write_random_file, FfiClient, TestEmulator};

fn message(n: usize) -> Value {
    json!({"from": "alerts@contoso.test", "to": "ops@fabrikam.test", "subject": format!("retry test {n}")})
}

fn with_faults(faults: Vec<(FaultScope, RequestFault)>) -> TestEmulator {
    TestEmulator::start_with(|mut c| {
        for (scope, fault) in faults {
            c = c.with_request_fault(scope, fault);
        }
        c
    })
}

fn subjects(t: &TestEmulator) -> Vec<String> {
    support::stored_subjects(&t.emulator)
}

#[test]
fn throttling_and_unavailability_are_retried_until_delivered_once() {
    for fault in [
        RequestFault::Throttle {
            every: 2,
            retry_after: RetryAfter::FractionalSeconds(0.05),
        },
        RequestFault::Throttle {
            every: 2,
            retry_after: RetryAfter::HttpDate(Duration::from_secs(1)),
        },
        RequestFault::Status {
            status: 503,
            every: 2,
            retry_after: RetryAfter::None,
        },
        RequestFault::Status {
            status: 504,
            every: 2,
            retry_after: RetryAfter::Seconds(0),
        },
    ] {
        let t = with_faults(vec![(FaultScope::SendMail, fault)]);
        let client = FfiClient::new(&t.config());
        for n in 0..4 {
            let (status, r) = client.send(&message(n));
            assert_eq!(status, graph_status::Ok, "{fault:?}: {r}");
        }
        let s = t.emulator.stats();
        // Every second sendMail request (the 2nd, 4th, 6th) was refused and tried again:
        // 4 delivered with 7 requests.
        assert_eq!(s.send_mail_requests, 7, "{fault:?}: {s:?}");
        assert_eq!(s.faults_injected, 3, "{fault:?}");
        assert_eq!(
            subjects(&t),
            (0..4)
                .map(|n| format!("retry test {n}"))
                .collect::<Vec<_>>(),
            "each exactly once"
        );
    }
}

#[test]
fn retries_stop_at_max_attempts_and_at_the_deadline() {
    let t = with_faults(vec![(
        FaultScope::SendMail,
        RequestFault::Status {
            status: 503,
            every: 1,
            retry_after: RetryAfter::Seconds(0),
        },
    )]);
    let mut cfg = t.config();
    cfg["maxAttempts"] = json!(3);
    let r = FfiClient::new(&cfg).send(&message(0));
    assert_error(&r, graph_status::Graph, "GraphServiceUnavailable");
    assert_eq!(r.1["error"]["httpStatus"], 503);
    assert_eq!(t.emulator.stats().send_mail_requests, 3);

    // maxAttempts 1: no retry at all.
    cfg["maxAttempts"] = json!(1);
    let _ = FfiClient::new(&cfg).send(&message(1));
    assert_eq!(t.emulator.stats().send_mail_requests, 4);

    // A Retry-After beyond the deadline is not waited for.
    let t = with_faults(vec![(
        FaultScope::SendMail,
        RequestFault::Throttle {
            every: 1,
            retry_after: RetryAfter::Seconds(600),
        },
    )]);
    let mut cfg = t.config();
    cfg["retryDeadlineSeconds"] = json!(2);
    let r = FfiClient::new(&cfg).send(&message(0));
    assert_error(&r, graph_status::Graph, "Throttled");
    assert_eq!(r.1["error"]["httpStatus"], 429);
    let m = r.1["error"]["message"].as_str().unwrap();
    assert!(m.contains("retryDeadlineSeconds"), "{m}");
    assert_eq!(t.emulator.stats().send_mail_requests, 1);
    assert!(t.emulator.messages().is_empty());

    // Bad values are refused up front.
    for (key, value) in [
        ("maxAttempts", json!(0)),
        ("maxAttempts", json!(21)),
        ("maxAttempts", json!("3")),
        ("retryDeadlineSeconds", json!(0)),
        ("sendTimeoutSeconds", json!(-1)),
    ] {
        let mut bad = t.config();
        bad[key] = value;
        let err = FfiClient::new_raw(Some(bad.to_string().as_bytes()))
            .err()
            .unwrap();
        assert_error(&err, graph_status::InvalidArgument, "InvalidConfig");
        assert_eq!(err.1["error"]["field"], key);
    }
}

#[test]
fn a_send_mail_without_an_answer_is_never_repeated() {
    // The message was stored, then the connection dropped: the ambiguous case.
    let t = with_faults(vec![(
        FaultScope::SendMail,
        RequestFault::ResetAfterStore { every: 1 },
    )]);
    let r = FfiClient::new(&t.config()).send(&message(0));
    assert_error(&r, graph_status::Network, "OutcomeUnknown");
    let m = r.1["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("Sent Items") && m.contains("client-request-id"),
        "{m}"
    );
    assert_eq!(r.1["error"]["step"], "sendMail");
    assert_eq!(t.emulator.stats().send_mail_requests, 1, "not sent again");
    assert_eq!(t.emulator.messages().len(), 1, "delivered once");

    // Reset before processing: the same answer (the client cannot tell), nothing stored.
    let t = with_faults(vec![(
        FaultScope::SendMail,
        RequestFault::ResetBeforeProcessing { every: 1 },
    )]);
    let r = FfiClient::new(&t.config()).send(&message(0));
    assert_error(&r, graph_status::Network, "OutcomeUnknown");
    assert_eq!(t.emulator.stats().send_mail_requests, 1);
    assert!(t.emulator.messages().is_empty());

    // A per-request timeout after the request went out is ambiguous too.
    let t = with_faults(vec![(
        FaultScope::SendMail,
        RequestFault::Delay {
            every: 1,
            delay: Duration::from_secs(5),
        },
    )]);
    let mut cfg = t.config();
    cfg["timeoutSeconds"] = json!(0.5);
    let r = FfiClient::new(&cfg).send(&message(0));
    assert_error(&r, graph_status::Network, "OutcomeUnknown");
    assert!(r.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("timed out"));
    assert_eq!(t.emulator.stats().send_mail_requests, 1);
}

#[test]
fn refused_connections_before_sending_are_retried() {
    // Every second new connection is refused before TLS: each client below opens one.
    let t = with_faults(vec![(
        FaultScope::Graph,
        RequestFault::RefuseConnections { every: 2 },
    )]);
    for n in 0..3 {
        let (status, r) = FfiClient::new(&t.config()).send(&message(n));
        assert_eq!(status, graph_status::Ok, "{r}");
    }
    assert_eq!(t.emulator.messages().len(), 3);
    assert!(t.emulator.stats().faults_injected >= 1);
}

#[test]
fn a_rejected_token_is_replaced_once() {
    // Every second Graph request says the token expired: a new token, then success.
    let t = with_faults(vec![(
        FaultScope::SendMail,
        RequestFault::ExpiredToken { every: 2 },
    )]);
    let client = FfiClient::new(&t.config());
    for n in 0..2 {
        let (status, r) = client.send(&message(n));
        assert_eq!(status, graph_status::Ok, "{r}");
    }
    let s = t.emulator.stats();
    assert_eq!((s.token_requests, s.send_mail_requests), (2, 3), "{s:?}");
    assert_eq!(t.emulator.messages().len(), 2);

    // Always refused: one new token, then the error.
    let t = with_faults(vec![(
        FaultScope::SendMail,
        RequestFault::ExpiredToken { every: 1 },
    )]);
    let r = FfiClient::new(&t.config()).send(&message(0));
    assert_error(&r, graph_status::Auth, "InvalidAuthenticationToken");
    let s = t.emulator.stats();
    assert_eq!((s.token_requests, s.send_mail_requests), (2, 2), "{s:?}");
}

#[test]
fn token_requests_are_retried_too() {
    let t = with_faults(vec![(
        FaultScope::Token,
        RequestFault::Status {
            status: 503,
            every: 2,
            retry_after: RetryAfter::FractionalSeconds(0.01),
        },
    )]);
    // Two clients, two tokens: the second token request is refused once.
    for n in 0..2 {
        let (status, r) = FfiClient::new(&t.config()).send(&message(n));
        assert_eq!(status, graph_status::Ok, "{r}");
    }
    assert_eq!(t.emulator.stats().token_requests, 3);
}

#[test]
fn a_draft_is_sent_again_only_after_checking_it_is_still_a_draft() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.bin");
    write_random_file(&big, 3 * 1024 * 1024 + 5, 7);
    let big_message = |subject: &str| {
        json!({"from": "alerts@contoso.test", "to": "ops@fabrikam.test", "subject": subject,
               "attachments": [big.to_str().unwrap()]})
    };
    // The draft was sent but the answer lost: confirmed, not sent again.
    let t = with_faults(vec![(
        FaultScope::DraftSend,
        RequestFault::ResetAfterStore { every: 1 },
    )]);
    let (status, r) = FfiClient::new(&t.config()).send(&big_message("sent, answer lost"));
    assert_eq!(status, graph_status::Ok, "{r}");
    assert!(
        r.to_string().contains("SendConfirmedAfterLostAnswer"),
        "{r}"
    );
    assert_eq!(t.emulator.messages().len(), 1);
    assert_eq!(t.emulator.stats().open_drafts, 0);

    // The send request was lost before processing: still a draft, so sent again, once.
    let t = with_faults(vec![(
        FaultScope::DraftSend,
        RequestFault::ResetBeforeProcessing { every: 1 },
    )]);
    let mut cfg = t.config();
    cfg["maxAttempts"] = json!(2);
    let (status, r) = FfiClient::new(&cfg).send(&big_message("resent"));
    // The fault fires on every send-draft request, so the second one is lost too and the
    // draft is still a draft: it is deleted and the error says so.
    assert_eq!(status, graph_status::Network, "{r}");
    assert_eq!(r["error"]["step"], "sendDraft");
    assert_eq!(r["error"]["draftDeleted"], true);
    assert!(t.emulator.messages().is_empty());
    assert_eq!(t.emulator.stats().open_drafts, 0);

    let t = with_faults(vec![(
        FaultScope::DraftSend,
        RequestFault::ResetBeforeProcessing { every: 2 },
    )]);
    let client = FfiClient::new(&t.config());
    let (status, r) = client.send(&big_message("first"));
    assert_eq!(status, graph_status::Ok, "{r}");
    // The second send-draft request is lost unprocessed; the draft is checked, then sent again.
    let (status, r) = client.send(&big_message("second"));
    assert_eq!(status, graph_status::Ok, "{r}");
    assert_eq!(
        subjects(&t),
        vec!["first".to_string(), "second".to_string()]
    );
    assert_eq!(t.emulator.stats().open_drafts, 0);
}

#[test]
fn the_whole_send_can_be_limited() {
    // The token request hangs; the send stops at sendTimeoutSeconds, nothing was sent.
    let t = with_faults(vec![(
        FaultScope::Token,
        RequestFault::Delay {
            every: 1,
            delay: Duration::from_secs(5),
        },
    )]);
    let mut cfg = t.config();
    cfg["sendTimeoutSeconds"] = json!(0.5);
    let r = FfiClient::new(&cfg).send(&message(0));
    assert_error(&r, graph_status::Timeout, "Timeout");
    assert!(r.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("sendTimeoutSeconds"));
    assert_eq!(t.emulator.stats().send_mail_requests, 0);
}

#[test]
fn an_unavailable_identity_platform_is_a_temporary_failure_not_a_bad_credential() {
    for (fault, status, code) in [
        (
            RequestFault::Throttle {
                every: 1,
                retry_after: RetryAfter::FractionalSeconds(0.01),
            },
            graph_status::Graph,
            "Throttled",
        ),
        (
            RequestFault::Status {
                status: 503,
                every: 1,
                retry_after: RetryAfter::Seconds(0),
            },
            graph_status::Network,
            "IdentityPlatformUnavailable",
        ),
        (
            RequestFault::Status {
                status: 500,
                every: 1,
                retry_after: RetryAfter::None,
            },
            graph_status::Network,
            "IdentityPlatformUnavailable",
        ),
    ] {
        let t = with_faults(vec![(FaultScope::Token, fault)]);
        let r = FfiClient::new(&t.config()).send(&message(0));
        assert_error(&r, status, code);
        assert!(r.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("temporary"));
        assert_eq!(t.emulator.stats().send_mail_requests, 0);
    }
}
