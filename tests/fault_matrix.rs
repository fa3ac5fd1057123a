//! The fault matrix: for each fault the emulator can inject, N messages with unique subjects go
//! through the C ABI, one by one (`graph_send_mail`) and in bulk (`graph_send_mail_batch`,
//! spread over the emulator's three mailboxes), and every result is checked against what the
//! emulator stored: a "sent" message is stored exactly once, an `OutcomeUnknown` one at most
//! once (an ambiguous sendMail is never sent again), any other failure not at all and with the
//! code the fault calls for; no subject is stored twice and nothing is stored without a
//! result. The matrix is printed as a table (`cargo test --test fault_matrix -- --nocapture`).
//!
//! The second test runs part of the matrix with recognisable canaries (a client secret, a
//! certificate password, an access token) and checks that none of them shows up in anything
//! GraphMail gives back: result and error JSON, `Debug` and `Display` output, and the CLI's
//! standard output and error with `RUST_LOG=trace`.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::ffi::{c_char, CString};
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use base64::Engine as _;
use graphmail::ffi::graph_status;
use graphmail_emulator::{
    FaultScope, RequestFault, RetryAfter, Stats, DEFAULT_MAILBOXES, DEFAULT_TENANT_ID,
};
use serde_json::{json, Value};
use support::{FfiClient, TestEmulator};

/// Messages per fault and mode.
const N: usize = 24;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `graph_send_mail`, one message after the other.
    OneByOne,
    /// One `graph_send_mail_batch` call with all N messages.
    Bulk,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::OneByOne => "one by one",
            Mode::Bulk => "bulk",
        }
    }
}

/// One row pair of the matrix.
struct Case {
    name: &'static str,
    faults: Vec<(FaultScope, RequestFault)>,
    /// `maxAttempts` for the client.
    max_attempts: u32,
    /// One by one: a new client (so a new connection and a new token) for every message, for
    /// the faults that act on connections and token requests.
    client_per_message: bool,
    /// Bulk: this many token requests by other clients (each on its own connection) first, so
    /// that the batch's client makes the token request, on the connection, that a fault
    /// "every `prime + 1`" hits.
    prime: usize,
    /// The outcome this fault should have.
    expect: fn(Mode, &Tally, &Stats, &mut Checks),
}

/// What happened to the N messages of one run, compared with the emulator's store.
#[derive(Default, Debug)]
struct Tally {
    sent: usize,
    unknown_stored: usize,
    unknown_not_stored: usize,
    /// Other failures by "code/httpStatus".
    failed: BTreeMap<String, usize>,
    /// Subjects stored more than once.
    duplicates: usize,
    /// Reported sent but not stored.
    lost: usize,
    /// Stored although reported failed (not `OutcomeUnknown`), or stored without a result.
    phantom: usize,
}

impl Tally {
    fn unknown(&self) -> usize {
        self.unknown_stored + self.unknown_not_stored
    }

    fn failed_total(&self) -> usize {
        self.failed.values().sum()
    }

    fn failed_text(&self) -> String {
        if self.failed.is_empty() {
            return "0".to_string();
        }
        self.failed
            .iter()
            .map(|(code, n)| {
                let (code, status) = code.split_once('/').unwrap();
                if status == "null" {
                    format!("{n} {code}")
                } else {
                    format!("{n} {code} (HTTP {status})")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Collects every expectation that does not hold, so the whole table is printed before the
/// test fails.
struct Checks<'a> {
    label: String,
    problems: &'a mut Vec<String>,
}

impl Checks<'_> {
    fn eq(&mut self, what: &str, got: u64, want: u64) {
        if got != want {
            self.problems
                .push(format!("{}: {what} is {got}, expected {want}", self.label));
        }
    }

    fn at_least(&mut self, what: &str, got: u64, min: u64) {
        if got < min {
            self.problems.push(format!(
                "{}: {what} is {got}, expected at least {min}",
                self.label
            ));
        }
    }

    fn at_most(&mut self, what: &str, got: u64, max: u64) {
        if got > max {
            self.problems.push(format!(
                "{}: {what} is {got}, expected at most {max}",
                self.label
            ));
        }
    }

    /// Failures other than `OutcomeUnknown` are only `allowed` ("code/httpStatus").
    fn failures_only(&mut self, t: &Tally, allowed: &[&str]) {
        for code in t.failed.keys() {
            if !allowed.contains(&code.as_str()) {
                self.problems.push(format!(
                    "{}: unexpected failure {code} (allowed: {allowed:?})",
                    self.label
                ));
            }
        }
    }

    /// Every message sent, each stored once, no other outcome.
    fn all_sent(&mut self, t: &Tally) {
        self.eq("sent", t.sent as u64, N as u64);
        self.eq("outcomeUnknown", t.unknown() as u64, 0);
        self.failures_only(t, &[]);
    }
}

fn n() -> u64 {
    N as u64
}

fn throttle(every: u32, retry_after: RetryAfter) -> RequestFault {
    RequestFault::Throttle { every, retry_after }
}

fn status_fault(status: u16, every: u32, retry_after: RetryAfter) -> RequestFault {
    RequestFault::Status {
        status,
        every,
        retry_after,
    }
}

/// Retried faults end "sent": every faulted sendMail request was answered and tried again.
fn retried_until_sent(_: Mode, t: &Tally, s: &Stats, c: &mut Checks) {
    c.all_sent(t);
    c.eq(
        "sendMail requests - faults",
        s.send_mail_requests - s.faults_injected,
        n(),
    );
    // Each refused request is tried again and the last request of all succeeded, so with R
    // requests R = 24 + R / 3 and R is not a multiple of 3: R = 35, in either mode.
    c.eq("faults", s.faults_injected, 11);
    c.eq("token requests", s.token_requests, 1);
}

/// The matrix. `maxAttempts` is 20 (the highest allowed) where retries are expected to get
/// through: one by one, an "every 3rd" fault never hits a message's retry, but in bulk the
/// requests of many messages interleave and a retry may land on the next 3rd request; 20
/// attempts make running out (a `Throttled` or `GraphServiceUnavailable` failure, correct but
/// not what the row is about) vanishingly unlikely. Running out is its own rows at the end.
fn cases() -> Vec<Case> {
    let send = FaultScope::SendMail;
    vec![
        Case {
            name: "Throttle every 3 (Retry-After 0.05)",
            faults: vec![(send, throttle(3, RetryAfter::FractionalSeconds(0.05)))],
            max_attempts: 20,
            client_per_message: false,
            prime: 0,
            expect: retried_until_sent,
        },
        Case {
            name: "ConcurrencyLimit 2/mailbox + Delay 100 ms",
            faults: vec![
                (
                    send,
                    RequestFault::Delay {
                        every: 1,
                        delay: Duration::from_millis(100),
                    },
                ),
                (
                    send,
                    RequestFault::ConcurrencyLimit {
                        per_mailbox: 2,
                        retry_after: RetryAfter::FractionalSeconds(0.05),
                    },
                ),
            ],
            max_attempts: 20,
            client_per_message: false,
            prime: 0,
            expect: |mode, t, s, c| {
                c.all_sent(t);
                let throttled = s.send_mail_requests - n();
                // Every request is delayed, and the throttled ones count a second fault.
                c.eq(
                    "faults",
                    s.faults_injected,
                    s.send_mail_requests + throttled,
                );
                if mode == Mode::OneByOne {
                    c.eq("throttled (one request at a time)", throttled, 0);
                } else {
                    // Four in flight per mailbox against a limit of two.
                    c.at_least("throttled", throttled, 1);
                }
                c.eq("token requests", s.token_requests, 1);
            },
        },
        Case {
            name: "Status 500 every 3",
            faults: vec![(send, status_fault(500, 3, RetryAfter::None))],
            max_attempts: 20,
            client_per_message: false,
            prime: 0,
            expect: |_, t, s, c| {
                // 500 is not retried: every 3rd message fails, in both modes.
                c.failures_only(t, &["GraphServiceUnavailable/500"]);
                c.eq("failed", t.failed_total() as u64, n() / 3);
                c.eq("sent", t.sent as u64, n() - n() / 3);
                c.eq("outcomeUnknown", t.unknown() as u64, 0);
                c.eq("sendMail requests", s.send_mail_requests, n());
                c.eq("faults", s.faults_injected, n() / 3);
            },
        },
        Case {
            name: "Status 503 every 3 (no Retry-After)",
            faults: vec![(send, status_fault(503, 3, RetryAfter::None))],
            max_attempts: 20,
            client_per_message: false,
            prime: 0,
            expect: retried_until_sent,
        },
        Case {
            name: "Status 504 every 3 (Retry-After 0)",
            faults: vec![(send, status_fault(504, 3, RetryAfter::Seconds(0)))],
            max_attempts: 20,
            client_per_message: false,
            prime: 0,
            expect: retried_until_sent,
        },
        Case {
            name: "Delay 50 ms every 2",
            faults: vec![(
                send,
                RequestFault::Delay {
                    every: 2,
                    delay: Duration::from_millis(50),
                },
            )],
            max_attempts: 20,
            client_per_message: false,
            prime: 0,
            expect: |_, t, s, c| {
                c.all_sent(t);
                c.eq("sendMail requests", s.send_mail_requests, n());
                c.eq("faults", s.faults_injected, n() / 2);
            },
        },
        Case {
            name: "ResetBeforeProcessing every 4",
            faults: vec![(send, RequestFault::ResetBeforeProcessing { every: 4 })],
            max_attempts: 20,
            client_per_message: false,
            prime: 0,
            expect: |mode, t, s, c| {
                c.failures_only(t, &[]);
                c.eq("sent + outcomeUnknown", (t.sent + t.unknown()) as u64, n());
                // An ambiguous sendMail is never sent again.
                c.at_most("sendMail requests", s.send_mail_requests, n());
                if mode == Mode::OneByOne {
                    c.eq("sendMail requests", s.send_mail_requests, n());
                    c.eq("faults", s.faults_injected, n() / 4);
                    c.eq(
                        "outcomeUnknown, not stored",
                        t.unknown_not_stored as u64,
                        n() / 4,
                    );
                    c.eq("outcomeUnknown, stored", t.unknown_stored as u64, 0);
                } else {
                    // The whole connection is closed: the other requests in flight on it are
                    // ambiguous too (stored or not), the hit ones are never stored.
                    c.at_least("faults", s.faults_injected, 1);
                    c.at_least(
                        "outcomeUnknown, not stored",
                        t.unknown_not_stored as u64,
                        s.faults_injected,
                    );
                }
            },
        },
        Case {
            name: "ResetAfterStore every 4",
            faults: vec![(send, RequestFault::ResetAfterStore { every: 4 })],
            max_attempts: 20,
            client_per_message: false,
            prime: 0,
            expect: |mode, t, s, c| {
                c.failures_only(t, &[]);
                c.eq("sent + outcomeUnknown", (t.sent + t.unknown()) as u64, n());
                c.at_most("sendMail requests", s.send_mail_requests, n());
                if mode == Mode::OneByOne {
                    c.eq("sendMail requests", s.send_mail_requests, n());
                    c.eq("faults", s.faults_injected, n() / 4);
                    c.eq("outcomeUnknown, stored", t.unknown_stored as u64, n() / 4);
                    c.eq("outcomeUnknown, not stored", t.unknown_not_stored as u64, 0);
                } else {
                    // At least the request that closed the connection was stored.
                    c.at_least("faults", s.faults_injected, 1);
                    c.at_least("outcomeUnknown, stored", t.unknown_stored as u64, 1);
                }
            },
        },
        Case {
            name: "ExpiredToken every 3",
            faults: vec![(send, RequestFault::ExpiredToken { every: 3 })],
            max_attempts: 20,
            client_per_message: false,
            prime: 0,
            expect: |mode, t, s, c| {
                c.failures_only(t, &["InvalidAuthenticationToken/401"]);
                c.eq("outcomeUnknown", t.unknown() as u64, 0);
                let failed = t.failed_total() as u64;
                // One new token and one more try per 401: a message fails only when its
                // retry is refused too (two faults, two requests).
                c.eq(
                    "sendMail requests",
                    s.send_mail_requests,
                    n() + s.faults_injected - failed,
                );
                if mode == Mode::OneByOne {
                    c.all_sent(t);
                    // Messages 3, 5, 7, ..., 23 met a 401 (the 3rd, 6th, ... request).
                    c.eq("faults", s.faults_injected, 11);
                    c.eq("token requests", s.token_requests, 12);
                } else {
                    c.eq("sent + failed", t.sent as u64 + failed, n());
                    c.at_most("failed", failed, s.faults_injected / 2);
                    c.at_least("token requests", s.token_requests, 2);
                }
            },
        },
        Case {
            name: "RefuseConnections every 3",
            faults: vec![(
                FaultScope::Graph,
                RequestFault::RefuseConnections { every: 3 },
            )],
            max_attempts: 20,
            client_per_message: true,
            prime: 2,
            expect: |mode, t, s, c| {
                c.all_sent(t);
                c.eq("sendMail requests", s.send_mail_requests, n());
                // Each refused connection is tried again and the last one of all was accepted:
                // C = 24 + C / 3 with C not a multiple of 3, so C = 35 connection attempts.
                if mode == Mode::OneByOne {
                    // 24 clients, 24 connections, 24 tokens; connections 3, 6, ... refused.
                    c.eq("faults", s.faults_injected, 11);
                    c.eq("token requests", s.token_requests, n());
                    c.eq("TLS connections", s.connections, n());
                } else {
                    // Two priming clients, then the batch's client: its first connection is
                    // refused, its second carries the token request and the whole batch.
                    c.eq("faults", s.faults_injected, 1);
                    c.eq("token requests (2 priming + 1)", s.token_requests, 3);
                    c.eq("TLS connections (2 priming + 1)", s.connections, 3);
                }
            },
        },
        Case {
            name: "Throttle token requests every 2",
            faults: vec![(
                FaultScope::Token,
                throttle(2, RetryAfter::FractionalSeconds(0.05)),
            )],
            max_attempts: 20,
            client_per_message: true,
            prime: 1,
            expect: |mode, t, s, c| {
                c.all_sent(t);
                c.eq("sendMail requests", s.send_mail_requests, n());
                if mode == Mode::OneByOne {
                    // Client 1 gets the 1st token; every later client is throttled once.
                    c.eq("faults", s.faults_injected, n() - 1);
                    c.eq("token requests", s.token_requests, 2 * n() - 1);
                } else {
                    c.eq("faults", s.faults_injected, 1);
                    c.eq("token requests (1 priming + 2)", s.token_requests, 3);
                }
            },
        },
        Case {
            name: "Status 503 always, maxAttempts 4",
            faults: vec![(send, status_fault(503, 1, RetryAfter::Seconds(0)))],
            max_attempts: 4,
            client_per_message: false,
            prime: 0,
            expect: |_, t, s, c| {
                c.failures_only(t, &["GraphServiceUnavailable/503"]);
                c.eq("failed", t.failed_total() as u64, n());
                c.eq("sendMail requests", s.send_mail_requests, 4 * n());
            },
        },
        Case {
            name: "Throttle always, maxAttempts 3",
            faults: vec![(send, throttle(1, RetryAfter::FractionalSeconds(0.01)))],
            max_attempts: 3,
            client_per_message: false,
            prime: 0,
            expect: |_, t, s, c| {
                c.failures_only(t, &["Throttled/429"]);
                c.eq("failed", t.failed_total() as u64, n());
                c.eq("sendMail requests", s.send_mail_requests, 3 * n());
            },
        },
    ]
}

fn message(case: usize, mode: Mode, n: usize) -> Value {
    let from = DEFAULT_MAILBOXES[n % DEFAULT_MAILBOXES.len()];
    json!({
        "from": from,
        "to": "ops@fabrikam.test",
        "subject": format!("fault matrix {case:02} {} {n:02}", mode.name()),
        "body": "A small message.",
    })
}

fn start(faults: &[(FaultScope, RequestFault)]) -> TestEmulator {
    TestEmulator::start_with(|mut c| {
        for (scope, fault) in faults {
            c = c.with_request_fault(*scope, *fault);
        }
        c
    })
}

/// The FFI status an error of this `kind` comes with.
fn status_of_kind(kind: &str) -> graph_status {
    match kind {
        "invalidInput" => graph_status::InvalidArgument,
        "auth" => graph_status::Auth,
        "graph" => graph_status::Graph,
        "network" => graph_status::Network,
        "tls" => graph_status::Tls,
        "io" => graph_status::Io,
        "timeout" => graph_status::Timeout,
        "cancelled" => graph_status::Cancelled,
        _ => graph_status::Internal,
    }
}

/// Sends the run's messages and returns one result per message, in order.
fn send_all(
    t: &TestEmulator,
    case: &Case,
    index: usize,
    mode: Mode,
    problems: &mut Vec<String>,
) -> Vec<Value> {
    let mut config = t.config();
    config["maxAttempts"] = json!(case.max_attempts);
    let messages: Vec<Value> = (0..N).map(|n| message(index, mode, n)).collect();
    let label = format!("{} / {}", case.name, mode.name());
    match mode {
        Mode::OneByOne => {
            let shared = (!case.client_per_message).then(|| FfiClient::new(&config));
            let mut results = Vec::new();
            for m in &messages {
                let own;
                let client = match &shared {
                    Some(c) => c,
                    None => {
                        own = FfiClient::new(&config);
                        &own
                    }
                };
                let (status, result) = client.send(m);
                let want = if result["status"] == "sent" {
                    graph_status::Ok
                } else {
                    status_of_kind(result["error"]["kind"].as_str().unwrap_or_default())
                };
                if status != want {
                    problems.push(format!("{label}: status {status:?} for {result}"));
                }
                results.push(result);
            }
            results
        }
        Mode::Bulk => {
            for _ in 0..case.prime {
                let (status, token) = FfiClient::new(&config).token();
                assert_eq!(status, graph_status::Ok, "priming token: {token}");
            }
            let (status, results) = FfiClient::new(&config).send_batch(&messages);
            let results = results.as_array().cloned().unwrap_or_default();
            if results.len() != N {
                problems.push(format!(
                    "{label}: {} results for {N} messages",
                    results.len()
                ));
            }
            let first_failure = results.iter().find(|r| r["status"] != "sent");
            let want = first_failure.map_or(graph_status::Ok, |r| {
                status_of_kind(r["error"]["kind"].as_str().unwrap_or_default())
            });
            if status != want {
                problems.push(format!(
                    "{label}: batch status {status:?}, expected {want:?}"
                ));
            }
            results
        }
    }
}

/// Compares the results with the emulator's store.
fn tally(
    label: &str,
    messages: &[String],
    results: &[Value],
    t: &TestEmulator,
    problems: &mut Vec<String>,
) -> Tally {
    let mut stored: HashMap<String, usize> = HashMap::new();
    for m in t.emulator.messages() {
        let subject = m.request["message"]["subject"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        *stored.entry(subject).or_default() += 1;
    }
    let mut tally = Tally::default();
    for (subject, result) in messages.iter().zip(results) {
        let times = stored.get(subject).copied().unwrap_or(0);
        if times > 1 {
            tally.duplicates += 1;
            problems.push(format!("{label}: '{subject}' stored {times} times"));
        }
        if result["status"] == "sent" {
            if result["subject"] != subject.as_str() {
                problems.push(format!(
                    "{label}: result out of order for '{subject}': {result}"
                ));
            }
            tally.sent += 1;
            if times == 0 {
                tally.lost += 1;
                problems.push(format!("{label}: '{subject}' reported sent, not stored"));
            }
            continue;
        }
        let code = result["error"]["code"]
            .as_str()
            .unwrap_or("(no error code)");
        if code == "OutcomeUnknown" {
            if result["error"]["step"] != "sendMail" {
                problems.push(format!(
                    "{label}: OutcomeUnknown without its step: {result}"
                ));
            }
            if times == 0 {
                tally.unknown_not_stored += 1;
            } else {
                tally.unknown_stored += 1;
            }
        } else {
            *tally
                .failed
                .entry(format!("{code}/{}", result["error"]["httpStatus"]))
                .or_default() += 1;
            if times > 0 {
                tally.phantom += 1;
                problems.push(format!(
                    "{label}: '{subject}' reported failed ({code}) but stored"
                ));
            }
        }
    }
    for subject in stored.keys() {
        if !messages.contains(subject) {
            tally.phantom += 1;
            problems.push(format!("{label}: '{subject}' stored without a result"));
        }
    }
    tally
}

#[test]
fn every_fault_ends_in_a_known_outcome_and_never_a_duplicate() {
    let mut problems = Vec::new();
    let mut table = String::from(
        "| fault | mode | sent | outcomeUnknown (stored/not) | failed (code) | duplicates | lost | requests: sendMail / token / faults |\n\
         | --- | --- | ---: | ---: | --- | ---: | ---: | ---: |\n",
    );
    for (index, case) in cases().iter().enumerate() {
        for mode in [Mode::OneByOne, Mode::Bulk] {
            let label = format!("{} / {}", case.name, mode.name());
            let t = start(&case.faults);
            let results = send_all(&t, case, index, mode, &mut problems);
            let subjects: Vec<String> = (0..N)
                .map(|n| {
                    message(index, mode, n)["subject"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect();
            let tally = tally(&label, &subjects, &results, &t, &mut problems);
            let stats = t.emulator.stats();
            let mut checks = Checks {
                label: label.clone(),
                problems: &mut problems,
            };
            (case.expect)(mode, &tally, &stats, &mut checks);
            let _ = writeln!(
                table,
                "| {} | {} | {} | {} ({}/{}) | {} | {} | {} | {} / {} / {} |",
                case.name,
                mode.name(),
                tally.sent,
                tally.unknown(),
                tally.unknown_stored,
                tally.unknown_not_stored,
                tally.failed_text(),
                tally.duplicates,
                tally.lost + tally.phantom,
                stats.send_mail_requests,
                stats.token_requests,
                stats.faults_injected,
            );
        }
    }
    println!("\n{N} messages per row, through the C ABI, against the emulator's store:\n\n{table}");
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}\n\n{table}",
        problems.len(),
        problems.join("\n")
    );
}

// ------------------------------------------------------------------------------------------
// Secret hygiene

const SECRET_APP: &str = "5ec7e700-0000-4000-8000-00000000c0de";
const CERT_APP: &str = "ce77e700-0000-4000-8000-00000000c0de";
/// The client secret: `+`, `/` and `=` make its URL-encoded and base64 forms differ from it.
const CANARY_SECRET: &str = "CANARY-SECRET-7f3a9c1e+b/42=Zx";
/// A wrong secret for the same app (sent to the token endpoint, refused).
const CANARY_WRONG_SECRET: &str = "CANARY-WRONG-SECRET-91d0b7+e/5=";
/// The password of the certificate's PFX file.
const CANARY_PFX_PASSWORD: &str = "CANARY-PFX-PASS-5d2e8b+/=q";
/// A wrong password for that PFX file.
const CANARY_WRONG_PFX_PASSWORD: &str = "CANARY-WRONG-PFX-0a6c3f";

/// The forms a secret could leak in: as is, URL-encoded (form and path), and inside base64
/// (any alignment, standard and URL-safe alphabet: the middle of its encoding does not depend
/// on what surrounds it).
fn leak_forms(secret: &str) -> Vec<String> {
    let mut forms = vec![
        secret.to_string(),
        form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
    ];
    for k in 0..3 {
        let mut bytes = vec![0u8; k];
        bytes.extend_from_slice(secret.as_bytes());
        for engine in [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE,
        ] {
            let encoded = engine.encode(&bytes);
            let start = if k == 0 { 0 } else { 4 };
            forms.push(encoded[start..encoded.len() - 4].to_string());
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

/// What GraphMail gave back: (where it came from, the text, whether it may hold the access
/// token by design — a token result).
#[derive(Default)]
struct Outputs(Vec<(String, String, bool)>);

impl Outputs {
    fn add(&mut self, source: impl Into<String>, text: impl Into<String>) {
        self.0.push((source.into(), text.into(), false));
    }

    /// Output that holds an access token by design (`graph_acquire_token`, `graphmail token`'s
    /// standard output): checked for every canary but the token.
    fn add_token_result(&mut self, source: impl Into<String>, text: impl Into<String>) {
        self.0.push((source.into(), text.into(), true));
    }

    fn add_process(&mut self, source: &str, out: &Output) {
        self.add(
            format!("{source}: stdout"),
            String::from_utf8_lossy(&out.stdout),
        );
        self.add(
            format!("{source}: stderr"),
            String::from_utf8_lossy(&out.stderr),
        );
    }
}

/// `graph_send_mail`, returning the result JSON exactly as the library wrote it.
fn send_text(client: &FfiClient, message: &Value) -> (graph_status, String) {
    let m = CString::new(message.to_string()).unwrap();
    let mut out: *mut c_char = std::ptr::null_mut();
    let status = unsafe { graphmail::ffi::graph_send_mail(client.0, m.as_ptr(), &mut out) };
    (status, support::take(out).expect("result JSON"))
}

/// `graph_send_mail_batch`, returning the results JSON exactly as the library wrote it.
fn send_batch_text(client: &FfiClient, messages: &[Value]) -> (graph_status, String) {
    let m = CString::new(Value::Array(messages.to_vec()).to_string()).unwrap();
    let mut out: *mut c_char = std::ptr::null_mut();
    let status = unsafe { graphmail::ffi::graph_send_mail_batch(client.0, m.as_ptr(), &mut out) };
    (status, support::take(out).expect("results JSON"))
}

/// `graph_acquire_token`, as written.
fn token_text(client: &FfiClient) -> (graph_status, String) {
    let mut out: *mut c_char = std::ptr::null_mut();
    let status = unsafe { graphmail::ffi::graph_acquire_token(client.0, &mut out) };
    (status, support::take(out).expect("token JSON"))
}

/// `graph_client_new`: the client, or the error JSON as written.
fn client_text(config: &Value) -> Result<FfiClient, String> {
    let c = CString::new(config.to_string()).unwrap();
    let mut client = std::ptr::null_mut();
    let mut err: *mut c_char = std::ptr::null_mut();
    let status = unsafe { graphmail::ffi::graph_client_new(c.as_ptr(), &mut client, &mut err) };
    if status == graph_status::Ok {
        Ok(FfiClient(client))
    } else {
        Err(support::take(err).expect("error JSON"))
    }
}

/// A certificate and its PFX file protected by `password`.
fn certificate_with_password(dir: &Path, password: &str) -> (Vec<u8>, std::path::PathBuf) {
    let (_, cert) = support::self_signed(dir, "canary-key.pem", "canary.pem", "graphmail-canary");
    let pfx = support::pfx(
        dir,
        "canary.pem",
        "canary-key.pem",
        "canary.pfx",
        password,
        &[],
    );
    (std::fs::read(cert).unwrap(), pfx)
}

/// The fault sets the hygiene run goes through (a part of the matrix, plus token faults).
fn hygiene_faults() -> Vec<(&'static str, Vec<(FaultScope, RequestFault)>)> {
    let send = FaultScope::SendMail;
    vec![
        ("none", vec![]),
        (
            "throttle",
            vec![(send, throttle(3, RetryAfter::FractionalSeconds(0.01)))],
        ),
        ("500", vec![(send, status_fault(500, 2, RetryAfter::None))]),
        (
            "reset after store",
            vec![(send, RequestFault::ResetAfterStore { every: 3 })],
        ),
        (
            "reset before processing",
            vec![(send, RequestFault::ResetBeforeProcessing { every: 3 })],
        ),
        (
            "expired token",
            vec![(send, RequestFault::ExpiredToken { every: 2 })],
        ),
        (
            "token 500",
            vec![(FaultScope::Token, status_fault(500, 1, RetryAfter::None))],
        ),
        (
            "token throttle",
            vec![(
                FaultScope::Token,
                throttle(2, RetryAfter::FractionalSeconds(0.01)),
            )],
        ),
    ]
}

/// The faults the CLI runs meet: each fires on every request, so each `graphmail send` meets
/// it (one process, one request).
fn cli_faults() -> Vec<(&'static str, Vec<(FaultScope, RequestFault)>)> {
    let send = FaultScope::SendMail;
    vec![
        ("none", vec![]),
        (
            "throttle",
            vec![(send, throttle(2, RetryAfter::FractionalSeconds(0.01)))],
        ),
        ("500", vec![(send, status_fault(500, 1, RetryAfter::None))]),
        (
            "reset after store",
            vec![(send, RequestFault::ResetAfterStore { every: 1 })],
        ),
        (
            "reset before processing",
            vec![(send, RequestFault::ResetBeforeProcessing { every: 1 })],
        ),
        (
            "expired token",
            vec![(send, RequestFault::ExpiredToken { every: 1 })],
        ),
        (
            "token throttle",
            vec![(
                FaultScope::Token,
                throttle(2, RetryAfter::FractionalSeconds(0.01)),
            )],
        ),
    ]
}

#[test]
fn no_secret_shows_in_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_pem, pfx) = certificate_with_password(dir.path(), CANARY_PFX_PASSWORD);
    let t = TestEmulator::start_with(|c| {
        c.with_app(SECRET_APP, CANARY_SECRET)
            .with_app_certificate(CERT_APP, &cert_pem)
    });
    let base = t.emulator.base_url();
    let ca = t.emulator.ca_certificate_path().display().to_string();
    let connection = json!({
        "tenantId": DEFAULT_TENANT_ID,
        "authorityHost": base,
        "graphEndpoint": base,
        "caCertificatePath": ca,
        "timeoutSeconds": 10,
        "maxAttempts": 3,
    });
    let with = |extra: Value| {
        let mut c = connection.clone();
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let secret_config = with(json!({"clientId": SECRET_APP, "clientSecret": CANARY_SECRET}));
    let cert_config = with(json!({
        "clientId": CERT_APP,
        "certificatePath": pfx,
        "certificatePassword": CANARY_PFX_PASSWORD,
    }));
    let mut out = Outputs::default();

    // The access token canary: a real token of the secret app, used as an `accessToken`.
    let (status, token_json) = token_text(&FfiClient::new(&secret_config));
    assert_eq!(status, graph_status::Ok, "{token_json}");
    let canary_token = serde_json::from_str::<Value>(&token_json).unwrap()["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    out.add_token_result("graph_acquire_token (secret)", &token_json);
    let token_config = with(json!({"accessToken": canary_token}));

    let mut subject = 0;
    let mut next_message = |from: &str| {
        subject += 1;
        json!({"from": from, "to": "ops@fabrikam.test", "subject": format!("hygiene {subject:03}")})
    };
    let credentials = [
        ("secret", &secret_config),
        ("certificate", &cert_config),
        ("access token", &token_config),
    ];
    let mut sent = 0;
    let mut failed_codes = std::collections::BTreeSet::new();
    for (fault_name, faults) in hygiene_faults() {
        t.emulator.set_request_faults(faults);
        for (credential, config) in credentials {
            let source = format!("{credential} client, {fault_name}");
            // A new client each time, so token requests meet the token faults.
            let client = FfiClient::new(config);
            for from in DEFAULT_MAILBOXES {
                let (status, text) = send_text(&client, &next_message(from));
                if status == graph_status::Ok {
                    sent += 1;
                } else {
                    let v: Value = serde_json::from_str(&text).unwrap();
                    failed_codes.insert(v["error"]["code"].as_str().unwrap().to_string());
                }
                out.add(format!("{source}: graph_send_mail"), text);
            }
            let batch: Vec<Value> = (0..6)
                .map(|n| next_message(DEFAULT_MAILBOXES[n % 3]))
                .collect();
            let (_, text) = send_batch_text(&client, &batch);
            out.add(format!("{source}: graph_send_mail_batch"), text);
            let (_, text) = token_text(&FfiClient::new(config));
            out.add_token_result(format!("{source}: graph_acquire_token"), text);
        }
    }
    t.emulator.clear_request_faults();
    // The canaries were really used, and the faults really failed some sends.
    assert!(sent >= 20, "{sent} sent");
    let apps: std::collections::HashSet<String> = t
        .emulator
        .messages()
        .iter()
        .map(|m| m.client_id.to_lowercase())
        .collect();
    assert!(
        apps.contains(SECRET_APP) && apps.contains(CERT_APP),
        "{apps:?}"
    );
    for code in [
        "GraphServiceUnavailable",
        "OutcomeUnknown",
        // A token endpoint answering 5xx: a temporary failure, not a credential problem.
        "IdentityPlatformUnavailable",
    ] {
        assert!(
            failed_codes.contains(code),
            "{code} not seen: {failed_codes:?}"
        );
    }

    // Wrong secret, wrong PFX password, an always-expired access token.
    let wrong_secret = with(json!({"clientId": SECRET_APP, "clientSecret": CANARY_WRONG_SECRET}));
    let (status, text) = send_text(
        &FfiClient::new(&wrong_secret),
        &next_message("alerts@contoso.test"),
    );
    assert_eq!(status, graph_status::Auth, "{text}");
    assert!(text.contains("InvalidClientSecret"), "{text}");
    out.add("wrong secret: graph_send_mail", text);
    let mut wrong_password = cert_config.clone();
    wrong_password["certificatePassword"] = json!(CANARY_WRONG_PFX_PASSWORD);
    let text = match client_text(&wrong_password) {
        Ok(client) => send_text(&client, &next_message("alerts@contoso.test")).1,
        Err(text) => text,
    };
    assert!(text.contains("\"error\""), "{text}");
    out.add("wrong PFX password", text);
    t.emulator.set_request_faults(vec![(
        FaultScope::SendMail,
        RequestFault::ExpiredToken { every: 1 },
    )]);
    let (status, text) = send_text(
        &FfiClient::new(&token_config),
        &next_message("alerts@contoso.test"),
    );
    assert_eq!(status, graph_status::Auth, "{text}");
    out.add("access token refused: graph_send_mail", text);
    t.emulator.clear_request_faults();
    // Configuration mistakes next to a secret: the error names the key, never the value.
    for (name, bad) in [
        (
            "typo",
            with(json!({"clientId": SECRET_APP, "clientSecrett": CANARY_SECRET})),
        ),
        (
            "two credentials",
            with(
                json!({"clientId": SECRET_APP, "clientSecret": CANARY_SECRET,
                        "certificatePath": pfx, "certificatePassword": CANARY_PFX_PASSWORD}),
            ),
        ),
        (
            "secret of the wrong type",
            with(json!({"clientId": SECRET_APP, "clientSecret": [CANARY_SECRET]})),
        ),
        (
            "password of the wrong type",
            with(json!({"clientId": CERT_APP, "certificatePath": pfx,
                        "certificatePassword": {"p": CANARY_PFX_PASSWORD}})),
        ),
        (
            "token of the wrong type",
            with(json!({"accessToken": [canary_token]})),
        ),
    ] {
        let text = client_text(&bad)
            .err()
            .unwrap_or_else(|| panic!("{name}: accepted"));
        out.add(format!("graph_client_new, {name}"), text);
    }

    // The Rust API: Debug of configurations, clients, tokens; errors' Display and Debug.
    for (credential, config) in [
        ("secret", &secret_config),
        ("certificate", &cert_config),
        ("access token", &token_config),
        ("wrong secret", &wrong_secret),
    ] {
        let parsed = graphmail::ClientConfig::from_json(&config.to_string()).unwrap();
        out.add(
            format!("{credential}: ClientConfig Debug"),
            format!("{parsed:?}"),
        );
        out.add(
            format!("{credential}: ClientConfig Debug (pretty)"),
            format!("{parsed:#?}"),
        );
        let client = graphmail::Client::new(parsed).unwrap();
        out.add(
            format!("{credential}: Client Debug"),
            format!("{client:?} {client:#?}"),
        );
        match client.acquire_token_blocking() {
            Ok(token) => out.add(
                format!("{credential}: AccessToken Debug"),
                format!("{token:?}"),
            ),
            Err(e) => out.add(
                format!("{credential}: token Error"),
                format!("{e} {e:?} {e:#?}"),
            ),
        }
        for faults in [
            vec![(FaultScope::SendMail, status_fault(500, 1, RetryAfter::None))],
            vec![(
                FaultScope::SendMail,
                RequestFault::ResetAfterStore { every: 1 },
            )],
            vec![(
                FaultScope::SendMail,
                RequestFault::ExpiredToken { every: 1 },
            )],
        ] {
            t.emulator.set_request_faults(faults);
            let message =
                graphmail::Message::from_json(&next_message("reports@contoso.test").to_string())
                    .unwrap();
            let e = client.send_mail_blocking(&message).unwrap_err();
            out.add(
                format!("{credential}: send Error"),
                format!("{e} {e:?} {e:#?} {}", e.to_json()),
            );
        }
        t.emulator.clear_request_faults();
    }
    for bad in [
        json!({"tenantId": "t", "clientId": "c", "clientSecrett": CANARY_SECRET}),
        json!({"tenantId": "t", "clientId": "c", "clientSecret": CANARY_SECRET,
               "accessToken": canary_token}),
    ] {
        let e = graphmail::ClientConfig::from_json(&bad.to_string()).unwrap_err();
        out.add("ClientConfig error", format!("{e} {e:?} {e:#?}"));
    }

    // The CLI at the most verbose logging, with the secrets in the environment.
    let cli = |args: &[&str], env: &[(&str, &str)]| -> Output {
        Command::new(env!("CARGO_BIN_EXE_graphmail"))
            .env_clear()
            .env("RUST_LOG", "trace")
            .env("RUST_BACKTRACE", "1")
            .envs(env.iter().copied())
            .args(args)
            .output()
            .unwrap()
    };
    let endpoints = [
        "--tenant-id",
        DEFAULT_TENANT_ID,
        "--authority-host",
        &base,
        "--graph-endpoint",
        &base,
        "--ca-file",
        &ca,
    ];
    let pfx_path = pfx.to_str().unwrap();
    // (name, flags, environment)
    type CliCredential<'a> = (&'a str, Vec<&'a str>, Vec<(&'a str, &'a str)>);
    let credential_flags: [CliCredential; 4] = [
        (
            "secret",
            vec![
                "--client-id",
                SECRET_APP,
                "--client-secret-env",
                "APP_SECRET",
            ],
            vec![("APP_SECRET", CANARY_SECRET)],
        ),
        (
            "wrong secret",
            vec![
                "--client-id",
                SECRET_APP,
                "--client-secret-env",
                "APP_SECRET",
            ],
            vec![("APP_SECRET", CANARY_WRONG_SECRET)],
        ),
        (
            "certificate",
            vec![
                "--client-id",
                CERT_APP,
                "--certificate",
                pfx_path,
                "--certificate-password-env",
                "PFX_PASSWORD",
            ],
            vec![("PFX_PASSWORD", CANARY_PFX_PASSWORD)],
        ),
        (
            "access token",
            vec!["--access-token-env", "APP_TOKEN"],
            vec![("APP_TOKEN", canary_token.as_str())],
        ),
    ];
    let batch_file = t.file(
        "batch.jsonl",
        (0..4)
            .map(|n| {
                json!({"from": DEFAULT_MAILBOXES[n % 3], "to": "ops@fabrikam.test",
                       "subject": format!("cli batch {n}")})
                .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    );
    let batch_path = batch_file.to_str().unwrap();
    let mut exit_codes = std::collections::BTreeSet::new();
    for (fault_name, faults) in cli_faults() {
        t.emulator.set_request_faults(faults);
        for (credential, flags, env) in &credential_flags {
            let source = format!("CLI {credential}, {fault_name}");
            let send = [
                &["send", "--json"][..],
                &endpoints,
                flags,
                &[
                    "--from",
                    "alerts@contoso.test",
                    "--to",
                    "ops@fabrikam.test",
                    "--subject",
                    "cli",
                ],
            ]
            .concat();
            let o = cli(&send, env);
            exit_codes.insert(o.status.code());
            out.add_process(&format!("{source}: send"), &o);
            let o = cli(
                &[&["send-batch", batch_path][..], &endpoints, flags].concat(),
                env,
            );
            out.add_process(&format!("{source}: send-batch"), &o);
            let o = cli(&[&["token"][..], &endpoints, flags].concat(), env);
            out.add_token_result(
                format!("{source}: token: stdout"),
                String::from_utf8_lossy(&o.stdout),
            );
            out.add(
                format!("{source}: token: stderr"),
                String::from_utf8_lossy(&o.stderr),
            );
            if *credential == "access token" {
                // The check can see a leak: `token` prints the token it was given.
                assert!(
                    String::from_utf8_lossy(&o.stdout).contains(&canary_token),
                    "graphmail token with --access-token-env prints that token"
                );
            }
        }
    }
    t.emulator.clear_request_faults();
    // The same through AZURE_* variables only, and a configuration file.
    let env_only = [
        ("AZURE_TENANT_ID", DEFAULT_TENANT_ID),
        ("AZURE_CLIENT_ID", SECRET_APP),
        ("AZURE_CLIENT_SECRET", CANARY_SECRET),
        ("AZURE_AUTHORITY_HOST", base.as_str()),
        ("GRAPHMAIL_GRAPH_ENDPOINT", base.as_str()),
        ("GRAPHMAIL_CA_FILE", ca.as_str()),
    ];
    let o = cli(
        &[
            "send",
            "--from",
            "alerts@contoso.test",
            "--to",
            "ops@fabrikam.test",
            "--subject",
            "env",
        ],
        &env_only,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out.add_process("CLI environment: send", &o);
    let config_file = t.file("config.json", cert_config.to_string().as_bytes());
    let o = cli(
        &[
            "send",
            "--config",
            config_file.to_str().unwrap(),
            "--from",
            "alerts@contoso.test",
            "--to",
            "nobody",
            "--subject",
            "bad address",
        ],
        &[],
    );
    out.add_process("CLI config file: bad input", &o);
    // Success, temporary failure (500), outcome unknown and auth failures all happened.
    for code in [0, 75, 76, 77] {
        assert!(
            exit_codes.contains(&Some(code)),
            "exit {code}: {exit_codes:?}"
        );
    }

    // Not one canary anywhere.
    let canaries = Canaries::new(&canary_token);
    // First, that the check sees the leaks it looks for.
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{SECRET_APP}:{CANARY_SECRET}"));
    let form: String = form_urlencoded::byte_serialize(CANARY_SECRET.as_bytes()).collect();
    for (text, holds_token, found) in [
        (
            format!("Authorization: Basic {basic}"),
            false,
            "client secret",
        ),
        (
            format!("grant_type=client_credentials&client_secret={form}&scope=x"),
            false,
            "client secret",
        ),
        (
            format!("password: {CANARY_PFX_PASSWORD:?}"),
            true,
            "PFX password",
        ),
        (
            format!("Bearer {}...", &canary_token[..20]),
            false,
            "part of the access token",
        ),
        (
            format!("{{\"accessToken\":\"{canary_token}\"}}"),
            false,
            "access token",
        ),
    ] {
        let seen = canaries.leaks(&text, holds_token);
        assert!(
            seen.iter().any(|l| l.starts_with(found)),
            "{found} not seen in {text}: {seen:?}"
        );
    }
    assert!(canaries
        .leaks(&format!("token {canary_token}"), true)
        .is_empty());
    assert!(out.0.len() > 200, "{} outputs checked", out.0.len());
    let leaks: Vec<String> = out
        .0
        .iter()
        .flat_map(|(source, text, holds_token)| {
            canaries
                .leaks(text, *holds_token)
                .into_iter()
                .map(move |leak| format!("{leak} in {source}"))
        })
        .collect();
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
}

/// The canaries and the forms they could leak in.
struct Canaries {
    /// (name, forms) of the secrets and passwords.
    secrets: Vec<(&'static str, Vec<String>)>,
    token: String,
    /// Every 16 characters in a row of the token.
    token_parts: Vec<String>,
}

impl Canaries {
    fn new(token: &str) -> Canaries {
        // The emulator's tokens are opaque (43 random base64url characters): any 16 characters
        // in a row would be a partial leak (a truncated token in a message, say).
        assert!(token.len() >= 32, "{token}");
        Canaries {
            secrets: [
                ("client secret", CANARY_SECRET),
                ("wrong client secret", CANARY_WRONG_SECRET),
                ("PFX password", CANARY_PFX_PASSWORD),
                ("wrong PFX password", CANARY_WRONG_PFX_PASSWORD),
            ]
            .into_iter()
            .map(|(name, secret)| (name, leak_forms(secret)))
            .collect(),
            token: token.to_string(),
            token_parts: (0..=token.len() - 16)
                .map(|i| token[i..i + 16].to_string())
                .collect(),
        }
    }

    /// The canaries `text` shows; the access token is allowed where `holds_token`.
    fn leaks(&self, text: &str, holds_token: bool) -> Vec<String> {
        let mut leaks = Vec::new();
        for (name, forms) in &self.secrets {
            for form in forms {
                if text.contains(form.as_str()) {
                    leaks.push(format!("{name} ({form})"));
                }
            }
        }
        if !holds_token {
            if text.contains(&self.token) {
                leaks.push("access token".to_string());
            } else if self.token_parts.iter().any(|p| text.contains(p.as_str())) {
                leaks.push("part of the access token".to_string());
            }
        }
        leaks
    }
}
