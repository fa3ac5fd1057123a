//! Bulk sending through the C ABI (`graph_send_mail_batch`) and the CLI (`graphmail
//! send-batch`): results in input order, one per message; concurrency across mailboxes with at
//! most 4 requests in flight per mailbox; throttling handled per mailbox; no duplicates.

mod support;

use std::time::Duration;

use graphmail::ffi::graph_status;
use graphmail_emulator::{FaultScope, RequestFault, RetryAfter, DEFAULT_MAILBOXES};
use serde_json::{json, Value};
use support::{assert_error, stored_subjects, FfiClient, TestEmulator};

fn message(from: &str, subject: &str) -> Value {
    json!({"from": from, "to": "ops@fabrikam.test", "subject": subject, "body": "bulk"})
}

#[test]
fn results_come_back_in_input_order_one_per_message() {
    let t = TestEmulator::start();
    let mut messages = Vec::new();
    let mut expected = Vec::new();
    for n in 0..30 {
        let from = DEFAULT_MAILBOXES[n % 3];
        let subject = format!("bulk {n:02}");
        messages.push(message(from, &subject));
        expected.push(subject);
    }
    // Bad input in places 5 and 17, an unknown mailbox in place 23: only they fail.
    messages[5] = json!({"from": "alerts@contoso.test", "to": "not an address", "subject": "bad"});
    messages[17] =
        json!({"from": "alerts@contoso.test", "to": "ops@fabrikam.test", "sujet": "typo"});
    messages[23] = message("ghost@contoso.test", "nobody");
    let (status, results) = FfiClient::new(&t.config()).send_batch(&messages);
    // The status is the first failure's (place 5: invalid input).
    assert_eq!(status, graph_status::InvalidArgument, "{results}");
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 30);
    for (n, r) in results.iter().enumerate() {
        match n {
            5 => assert_eq!(r["error"]["code"], "InvalidAddress", "{r}"),
            17 => assert_eq!(r["error"]["code"], "InvalidMessage", "{r}"),
            23 => assert_eq!(r["error"]["code"], "MailboxNotFound", "{r}"),
            _ => {
                assert_eq!(r["status"], "sent", "{n}: {r}");
                assert_eq!(r["subject"], expected[n], "in input order");
            }
        }
    }
    let mut delivered: Vec<String> = expected
        .iter()
        .enumerate()
        .filter(|(n, _)| ![5, 17, 23].contains(n))
        .map(|(_, s)| s.clone())
        .collect();
    delivered.sort();
    assert_eq!(stored_subjects(&t.emulator), delivered, "each exactly once");
    assert_eq!(
        t.emulator.stats().token_requests,
        1,
        "one token for the batch"
    );

    // All sent: OK. Empty: OK with [].
    let client = FfiClient::new(&t.config());
    let (status, r) = client.send_batch(&[message("reports@contoso.test", "one more")]);
    assert_eq!(status, graph_status::Ok, "{r}");
    assert_eq!(client.send_batch(&[]), (graph_status::Ok, json!([])));

    // Not an array, not JSON, NULL: nothing sent, one error.
    let before = t.emulator.stats().send_mail_requests;
    let r = client.send_batch_raw(Some(
        message("alerts@contoso.test", "x").to_string().as_bytes(),
    ));
    assert_error(&r, graph_status::InvalidArgument, "InvalidMessage");
    let r = client.send_batch_raw(Some(b"[{"));
    assert_error(&r, graph_status::InvalidArgument, "InvalidJson");
    let r = client.send_batch_raw(None);
    assert_error(&r, graph_status::InvalidArgument, "NullArgument");
    assert_eq!(t.emulator.stats().send_mail_requests, before);
}

/// Every sendMail is held for a while, so concurrent ones overlap; a limit of `limit`
/// concurrent requests per mailbox throttles the excess with ApplicationThrottled.
fn slow_with_limit(limit: usize) -> TestEmulator {
    TestEmulator::start_with(|c| {
        c.with_request_fault(
            FaultScope::SendMail,
            RequestFault::Delay {
                every: 1,
                delay: Duration::from_millis(150),
            },
        )
        .with_request_fault(
            FaultScope::SendMail,
            RequestFault::ConcurrencyLimit {
                per_mailbox: limit,
                retry_after: RetryAfter::FractionalSeconds(0.05),
            },
        )
    })
}

fn batch(mailboxes: &[&str], per_mailbox: usize) -> Vec<Value> {
    let mut v = Vec::new();
    for n in 0..per_mailbox {
        for m in mailboxes {
            v.push(message(m, &format!("{m} {n:02}")));
        }
    }
    v
}

#[test]
fn at_most_four_requests_per_mailbox_are_in_flight() {
    // With the emulator allowing 4 per mailbox, nothing is ever throttled: GraphMail never
    // had a fifth request in flight for a mailbox.
    let t = slow_with_limit(4);
    let messages = batch(&DEFAULT_MAILBOXES[..2], 12);
    let (status, r) = FfiClient::new(&t.config()).send_batch(&messages);
    assert_eq!(status, graph_status::Ok, "{r}");
    let s = t.emulator.stats();
    assert_eq!(s.send_mail_requests, 24, "{s:?}");
    assert_eq!(
        s.faults_injected, 24,
        "only the delays fired, no throttling: {s:?}"
    );

    // With a limit of 3, the fourth concurrent request is throttled: GraphMail does run 4 at
    // once per mailbox. It waits as told, retries, and still delivers each message once.
    let t = slow_with_limit(3);
    let messages = batch(&DEFAULT_MAILBOXES[..2], 12);
    let (status, r) = FfiClient::new(&t.config()).send_batch(&messages);
    assert_eq!(status, graph_status::Ok, "{r}");
    let s = t.emulator.stats();
    assert!(
        s.send_mail_requests > 24,
        "some were throttled and retried: {s:?}"
    );
    let mut expected: Vec<String> = messages
        .iter()
        .map(|m| m["subject"].as_str().unwrap().to_string())
        .collect();
    expected.sort();
    assert_eq!(stored_subjects(&t.emulator), expected, "each exactly once");
}

#[test]
fn send_batch_reads_json_lines_and_prints_results_in_order() {
    let t = TestEmulator::start();
    let lines = [
        message("alerts@contoso.test", "line one").to_string(),
        String::new(),
        message("reports@contoso.test", "line three").to_string(),
        "{not json".to_string(),
        message("noreply@contoso.test", "line five").to_string(),
    ];
    let file = t.file("messages.jsonl", lines.join("\n").as_bytes());
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_graphmail"));
    cmd.env_clear().envs(t.env());
    let out = cmd.arg("send-batch").arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The first failure (bad JSON, line 4) decides the exit code: 65, bad data.
    assert_eq!(out.status.code(), Some(65), "{stderr}");
    let results: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        results
            .iter()
            .map(|r| r["line"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![1, 3, 4, 5]
    );
    assert_eq!(results[0]["subject"], "line one");
    assert_eq!(results[1]["subject"], "line three");
    assert_eq!(results[2]["error"]["code"], "InvalidJson");
    assert_eq!(results[3]["subject"], "line five");
    assert!(stderr.contains("sent 3 of 4"), "{stderr}");
    assert_eq!(
        stored_subjects(&t.emulator),
        vec!["line five", "line one", "line three"]
    );
    // From standard input, all good: exit 0.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_graphmail"))
        .env_clear()
        .envs(t.env())
        .args(["send-batch", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{}\n", message("alerts@contoso.test", "stdin")).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(t.emulator.messages().len(), 4);
}
