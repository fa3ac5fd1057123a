//! Benchmark (not a test): 1,000 small messages to the local emulator (HTTPS on 127.0.0.1),
//! in one run:
//!
//! - **baseline**: a plain reqwest client (HTTP/2 over TLS, one connection) that gets one token
//!   from the emulator's token endpoint and POSTs the same 1,000 sendMail requests one after
//!   the other — the exact URLs and JSON bodies GraphMail sends, taken from
//!   `graph_send_mail_preview`;
//! - **GraphMail, one by one**: `graph_client_new`, then `graph_send_mail` 1,000 times through
//!   the C ABI;
//! - **GraphMail, bulk**: one `graph_send_mail_batch` call with the 1,000 messages (spread over
//!   the emulator's three mailboxes, as all of them are), on the same client.
//!
//! ```text
//! cargo bench --bench bulk            # 1,000 messages
//! cargo bench --bench bulk -- 200     # another count
//! ```
//!
//! After a warm-up round, each measurement is made RUNS times (alternating whether the
//! baseline or GraphMail goes first) and the median is reported. Each timed phase starts with
//! a new client that has no token and no connection: the token request and the TLS handshake
//! are part of the time, for both. The emulator's counters give the token requests and TLS
//! connections each phase made, and its store is checked after each phase (every message
//! stored once) and then cleared. The emulator keeps its store on tmpfs (`/dev/shm`) where
//! there is one, so that disk file-system costs do not drown the clients' differences.

use std::ffi::{c_char, CStr, CString};
use std::path::Path;
use std::time::{Duration, Instant};

use graphmail::ffi::{
    graph_client, graph_client_free, graph_client_new, graph_send_mail, graph_send_mail_batch,
    graph_send_mail_preview, graph_status, graph_string_free,
};
use graphmail_emulator::{
    Emulator, EmulatorConfig, Stats, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_MAILBOXES,
    DEFAULT_TENANT_ID,
};
use serde_json::{json, Value};

const DEFAULT_COUNT: usize = 1000;
const WARM_UP: usize = 50;
const RUNS: usize = 7;

/// A GraphMail client made through the C ABI.
struct Client(*mut graph_client);

impl Client {
    fn new(config: &Value) -> Client {
        let config = CString::new(config.to_string()).unwrap();
        let mut client = std::ptr::null_mut();
        let mut error: *mut c_char = std::ptr::null_mut();
        // SAFETY: valid C strings and out-pointers; the error string is freed by `take`.
        let status = unsafe { graph_client_new(config.as_ptr(), &mut client, &mut error) };
        let error = take(error);
        assert_eq!(status, graph_status::Ok, "graph_client_new: {error:?}");
        Client(client)
    }

    /// `graph_send_mail` for each message, one after the other.
    fn send_each(&self, messages: &[CString]) {
        for m in messages {
            let mut out: *mut c_char = std::ptr::null_mut();
            // SAFETY: a live client, a valid C string, an out-pointer.
            let status = unsafe { graph_send_mail(self.0, m.as_ptr(), &mut out) };
            let result = take(out).unwrap_or_default();
            assert_eq!(status, graph_status::Ok, "graph_send_mail: {result}");
        }
    }

    /// One `graph_send_mail_batch` call; returns the results JSON.
    fn send_batch(&self, messages: &CStr) -> String {
        let mut out: *mut c_char = std::ptr::null_mut();
        // SAFETY: as above.
        let status = unsafe { graph_send_mail_batch(self.0, messages.as_ptr(), &mut out) };
        let results = take(out).unwrap_or_default();
        assert_eq!(
            status,
            graph_status::Ok,
            "graph_send_mail_batch: {}",
            &results[..results.len().min(2000)]
        );
        results
    }

    /// `graph_send_mail_preview`: the request GraphMail would make.
    fn preview(&self, message: &Value) -> Value {
        let m = CString::new(message.to_string()).unwrap();
        let mut out: *mut c_char = std::ptr::null_mut();
        // SAFETY: as above.
        let status = unsafe { graph_send_mail_preview(self.0, m.as_ptr(), &mut out) };
        let preview = take(out).unwrap();
        assert_eq!(status, graph_status::Ok, "{preview}");
        serde_json::from_str(&preview).unwrap()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: made by graph_client_new, freed once, no other user.
        unsafe { graph_client_free(self.0) };
    }
}

/// Reads and frees a library string.
fn take(ptr: *mut c_char) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated string from the library, freed exactly once.
    let s = unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned();
    unsafe { graph_string_free(ptr) };
    Some(s)
}

/// What one timed phase did, from the emulator's counters.
#[derive(Debug, Clone, Copy)]
struct Phase {
    time: Duration,
    /// CPU time of the whole process (sender and emulator) during the phase.
    cpu: Duration,
    token_requests: u64,
    connections: u64,
}

/// User + system CPU time of this process so far.
fn process_cpu() -> Duration {
    // SAFETY: an all-zero rusage is valid; getrusage fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Where a phase started: wall clock, CPU time, the emulator's counters.
struct Mark {
    at: Instant,
    cpu: Duration,
    stats: Stats,
}

fn mark(emulator: &Emulator) -> Mark {
    Mark {
        stats: emulator.stats(),
        cpu: process_cpu(),
        at: Instant::now(),
    }
}

fn since(start: &Mark, emulator: &Emulator) -> Phase {
    let time = start.at.elapsed();
    let cpu = process_cpu() - start.cpu;
    let after = emulator.stats();
    Phase {
        time,
        cpu,
        token_requests: after.token_requests - start.stats.token_requests,
        connections: after.connections - start.stats.connections,
    }
}

/// Checks that the emulator stored exactly `subjects` (each once), then clears its store.
fn check_and_clear(emulator: &Emulator, subjects: &[String], what: &str) {
    let mut stored: Vec<String> = emulator
        .messages()
        .iter()
        .map(|m| {
            m.request["message"]["subject"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    stored.sort();
    let mut expected = subjects.to_vec();
    expected.sort();
    assert!(
        stored == expected,
        "{what}: {} stored for {} sent",
        stored.len(),
        subjects.len()
    );
    emulator.clear_messages().expect("clear the emulator store");
}

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(DEFAULT_COUNT);
    // The emulator writes every message to disk (.json and .eml); on a disk file system the
    // file creation and deletion alone cost more than either client's work and vary from run
    // to run, so its store goes to tmpfs (/dev/shm) when there is one: the comparison is then
    // about the clients.
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let emulator =
        Emulator::start(EmulatorConfig::new(dir.path().join("emulator")).with_port(0)).unwrap();
    let base = emulator.base_url();
    let ca = emulator.ca_certificate_path().to_path_buf();
    let config = json!({
        "tenantId": DEFAULT_TENANT_ID,
        "clientId": DEFAULT_CLIENT_ID,
        "clientSecret": DEFAULT_CLIENT_SECRET,
        "authorityHost": base,
        "graphEndpoint": base,
        "caCertificatePath": ca,
    });
    let message = |n: usize, tag: &str| {
        json!({
            "from": DEFAULT_MAILBOXES[n % DEFAULT_MAILBOXES.len()],
            "to": "ops@fabrikam.test",
            "subject": format!("bench {tag} {n:04}"),
            "body": "A small message from the bulk benchmark.",
        })
    };
    // One set of messages per kind of run, so the store check can tell them apart.
    let set = |tag: &str, count: usize| {
        let values: Vec<Value> = (0..count).map(|n| message(n, tag)).collect();
        let subjects: Vec<String> = values
            .iter()
            .map(|m| m["subject"].as_str().unwrap().to_string())
            .collect();
        (values, subjects)
    };
    let preview_client = Client::new(&config);
    let requests = |values: &[Value]| -> Vec<(String, String)> {
        values
            .iter()
            .map(|m| {
                let p = preview_client.preview(m);
                (
                    p["url"].as_str().unwrap().to_string(),
                    p["body"].to_string(),
                )
            })
            .collect()
    };
    let c_strings = |values: &[Value]| -> Vec<CString> {
        values
            .iter()
            .map(|m| CString::new(m.to_string()).unwrap())
            .collect()
    };
    let batch_string =
        |values: &[Value]| CString::new(Value::Array(values.to_vec()).to_string()).unwrap();

    let (base_values, base_subjects) = set("baseline", count);
    let base_requests = requests(&base_values);
    let (seq_values, seq_subjects) = set("one-by-one", count);
    let seq_messages = c_strings(&seq_values);
    let (bulk_values, bulk_subjects) = set("bulk", count);
    let bulk_messages = batch_string(&bulk_values);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let baseline = |requests: &[(String, String)], subjects: &[String]| {
        let http = plain::client(&ca);
        let start = mark(&emulator);
        rt.block_on(plain::send_all(&http, &base, requests));
        let phase = since(&start, &emulator);
        check_and_clear(&emulator, subjects, "baseline");
        phase
    };
    // GraphMail: one client for the one-by-one phase and the bulk phase that follows it.
    let graphmail =
        |seq: &[CString], seq_subjects: &[String], bulk: &CStr, bulk_subjects: &[String]| {
            let client = Client::new(&config);
            let start = mark(&emulator);
            client.send_each(seq);
            let one_by_one = since(&start, &emulator);
            check_and_clear(&emulator, seq_subjects, "GraphMail one by one");
            let start = mark(&emulator);
            let results = client.send_batch(bulk);
            let bulk_phase = since(&start, &emulator);
            let results: Vec<Value> = serde_json::from_str(&results).unwrap();
            assert!(results.iter().all(|r| r["status"] == "sent"));
            check_and_clear(&emulator, bulk_subjects, "GraphMail bulk");
            (one_by_one, bulk_phase)
        };

    // Warm-up: the emulator's folders, the page cache, the allocators, the library's runtime.
    {
        let (values, subjects) = set("warm-up baseline", WARM_UP);
        baseline(&requests(&values), &subjects);
        let (values, seq_warm) = set("warm-up one-by-one", WARM_UP);
        let (bulk_values, bulk_warm) = set("warm-up bulk", WARM_UP);
        graphmail(
            &c_strings(&values),
            &seq_warm,
            &batch_string(&bulk_values),
            &bulk_warm,
        );
    }

    let (mut base_runs, mut seq_runs, mut bulk_runs) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..RUNS {
        let baseline_first = run % 2 == 0;
        if baseline_first {
            base_runs.push(baseline(&base_requests, &base_subjects));
        }
        let (seq, bulk) = graphmail(&seq_messages, &seq_subjects, &bulk_messages, &bulk_subjects);
        seq_runs.push(seq);
        bulk_runs.push(bulk);
        if !baseline_first {
            base_runs.push(baseline(&base_requests, &base_subjects));
        }
        eprintln!(
            "run {}: baseline {:.3} s, one by one {:.3} s, bulk {:.3} s",
            run + 1,
            base_runs[run].time.as_secs_f64(),
            seq.time.as_secs_f64(),
            bulk.time.as_secs_f64()
        );
    }

    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let times = |runs: &[Phase]| median(runs.iter().map(|p| p.time.as_secs_f64()).collect());
    let cpu = |runs: &[Phase]| median(runs.iter().map(|p| p.cpu.as_secs_f64()).collect());
    let (b, s, k) = (times(&base_runs), times(&seq_runs), times(&bulk_runs));
    // Each run's GraphMail phase next to the same run's baseline: steadier than the ratio of
    // the medians when the machine's load drifts.
    let paired = |runs: &[Phase]| {
        median(
            runs.iter()
                .zip(&base_runs)
                .map(|(g, p)| g.time.as_secs_f64() / p.time.as_secs_f64())
                .collect(),
        )
    };
    let per_second = |t: f64| count as f64 / t;
    let counts = |runs: &[Phase], f: fn(&Phase) -> u64| {
        let mut v: Vec<u64> = runs.iter().map(f).collect();
        v.sort();
        v.dedup();
        v.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let gm_tokens: Vec<u64> = seq_runs
        .iter()
        .zip(&bulk_runs)
        .map(|(s, b)| s.token_requests + b.token_requests)
        .collect();
    println!();
    println!(
        "{count} small messages to the local emulator (HTTPS on 127.0.0.1, store in {}), median of {RUNS} runs:",
        dir.path().parent().unwrap_or(dir.path()).display()
    );
    println!();
    println!(
        "| sender | time | messages/s | time vs baseline (same run) | process CPU | token requests | TLS connections |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let row = |name: &str, t: f64, runs: &[Phase], ratio: String| {
        println!(
            "| {name} | {t:.3} s | {:.0} | {ratio} | {:.3} s | {} | {} |",
            per_second(t),
            cpu(runs),
            counts(runs, |p| p.token_requests),
            counts(runs, |p| p.connections),
        );
    };
    row(
        "plain reqwest client, one by one (baseline)",
        b,
        &base_runs,
        "1.00x".into(),
    );
    row(
        "GraphMail C ABI, `graph_send_mail` one by one",
        s,
        &seq_runs,
        format!("{:.2}x ({:.2}x)", s / b, paired(&seq_runs)),
    );
    row(
        "GraphMail C ABI, `graph_send_mail_batch`, same client",
        k,
        &bulk_runs,
        format!("{:.2}x ({:.2}x)", k / b, paired(&bulk_runs)),
    );
    println!();
    println!(
        "Token requests per GraphMail client (one by one, then bulk): {gm_tokens:?} (goal: exactly 1)."
    );
    println!(
        "One by one vs baseline: {:.2}x the time (median of the per-run ratios {:.2}x; goal: within 1.3x).",
        s / b,
        paired(&seq_runs)
    );
    println!(
        "Command: cargo bench --bench bulk{}",
        if count == DEFAULT_COUNT {
            String::new()
        } else {
            format!(" -- {count}")
        }
    );
    assert!(
        gm_tokens.iter().all(|&t| t == 1),
        "each GraphMail client made exactly one token request: {gm_tokens:?}"
    );
}

/// The baseline: sendMail with reqwest and nothing else.
mod plain {
    use super::*;

    pub fn client(ca: &Path) -> reqwest::Client {
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(ca).unwrap();
        use rustls::pki_types::pem::PemObject;
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
            roots.add(cert.unwrap()).unwrap();
        }
        let mut tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .no_proxy()
            .build()
            .unwrap()
    }

    /// One token, then every request in turn, each answered 202.
    pub async fn send_all(http: &reqwest::Client, base: &str, requests: &[(String, String)]) {
        let token = http
            .post(format!("{base}/{DEFAULT_TENANT_ID}/oauth2/v2.0/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}&client_secret={DEFAULT_CLIENT_SECRET}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
            ))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let token: Value = serde_json::from_slice(&token).unwrap();
        let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
        for (url, body) in requests {
            let response = http
                .post(url)
                .header("authorization", &bearer)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let _ = response.bytes().await.unwrap();
            assert_eq!(status, 202, "{url}");
        }
    }
}
