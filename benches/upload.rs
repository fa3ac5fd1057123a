//! Benchmark (not a test): time and peak memory of sending one large attachment through
//! GraphMail — the `graphmail send` CLI, run as its own process — to the local emulator, next to
//! the same upload done by a plain HTTP client (reqwest, this program re-run as a child process:
//! token, draft, upload session, the same 3,276,800-byte chunks read one at a time, send).
//!
//! ```text
//! cargo bench --bench upload              # 10, 50, 100 and 150 MB
//! cargo bench --bench upload -- 10 50     # chosen sizes, in MB (MiB)
//! ```
//! Peak memory is each child's maximum resident set size (getrusage via wait4). After one
//! warm-up round, each size is sent RUNS times by each sender, alternating which goes first;
//! the table shows the median time and the largest peak.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use graphmail_emulator::{
    Emulator, EmulatorConfig, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID,
};

const MIB: u64 = 1024 * 1024;
const CHUNK: u64 = 10 * 320 * 1024;
const MAILBOX: &str = "reports@contoso.test";
const RUNS: usize = 3;

/// Runs a child and returns its wall time, peak RSS (KiB) and exit code.
fn run_measured(cmd: &mut Command) -> (Duration, u64, i32) {
    let started = Instant::now();
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let elapsed = started.elapsed();
    std::mem::forget(child); // already reaped by wait4
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (elapsed, usage.ru_maxrss as u64, code)
}

fn make_file(dir: &Path, mib: u64) -> PathBuf {
    let path = dir.join(format!("attachment-{mib}.bin"));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let block: Vec<u8> = (0..MIB as u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    for _ in 0..mib {
        file.write_all(&block).unwrap();
    }
    file.flush().unwrap();
    path
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--plain-client") {
        plain::run(&args[2..]);
        return;
    }
    let sizes: Vec<u64> = args.iter().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() {
        vec![10, 50, 100, 150]
    } else {
        sizes
    };
    let dir = tempfile::tempdir().unwrap();
    let emulator =
        Emulator::start(EmulatorConfig::new(dir.path().join("emulator")).with_port(0)).unwrap();
    let env = [
        ("AZURE_TENANT_ID", DEFAULT_TENANT_ID.to_string()),
        ("AZURE_CLIENT_ID", DEFAULT_CLIENT_ID.to_string()),
        ("AZURE_CLIENT_SECRET", DEFAULT_CLIENT_SECRET.to_string()),
        ("AZURE_AUTHORITY_HOST", emulator.base_url()),
        ("GRAPHMAIL_GRAPH_ENDPOINT", emulator.base_url()),
        (
            "GRAPHMAIL_CA_FILE",
            emulator.ca_certificate_path().display().to_string(),
        ),
    ];
    println!("Sending one attachment to the local emulator (HTTPS on 127.0.0.1); each sender is its own process.");
    println!("| size | graphmail send: time | peak RSS | plain reqwest client: time | peak RSS | time ratio |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    let graphmail_cmd = |file: &Path| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_graphmail"));
        c.env_clear()
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .args([
                "send",
                "--from",
                MAILBOX,
                "--to",
                "ops@fabrikam.test",
                "--subject",
                "bench",
                "--attach",
            ])
            .arg(file)
            .stdout(std::process::Stdio::null());
        c
    };
    let plain_cmd = |file: &Path| {
        let mut c = Command::new(std::env::current_exe().unwrap());
        c.arg("--plain-client")
            .arg(emulator.base_url())
            .arg(emulator.ca_certificate_path())
            .arg(file);
        c
    };
    // Warm-up: first connections, page cache, the emulator's folders.
    let warm = make_file(dir.path(), 4);
    for mut cmd in [graphmail_cmd(&warm), plain_cmd(&warm)] {
        assert_eq!(run_measured(&mut cmd).2, 0, "warm-up send failed");
    }
    for mib in sizes {
        let file = make_file(dir.path(), mib);
        let before = emulator.messages().len();
        let (mut g_times, mut p_times, mut g_rss, mut p_rss) = (Vec::new(), Vec::new(), 0u64, 0u64);
        for run in 0..RUNS {
            let mut order = [true, false];
            if run % 2 == 1 {
                order.reverse();
            }
            for is_graphmail in order {
                let mut cmd = if is_graphmail {
                    graphmail_cmd(&file)
                } else {
                    plain_cmd(&file)
                };
                let (time, rss, code) = run_measured(&mut cmd);
                assert_eq!(
                    code,
                    0,
                    "{} failed",
                    if is_graphmail {
                        "graphmail send"
                    } else {
                        "plain client"
                    }
                );
                if is_graphmail {
                    g_times.push(time);
                    g_rss = g_rss.max(rss);
                } else {
                    p_times.push(time);
                    p_rss = p_rss.max(rss);
                }
            }
        }
        let stored = emulator.messages();
        assert_eq!(stored.len(), before + 2 * RUNS);
        for m in &stored[before..] {
            assert_eq!(m.attachments[0].size, mib * MIB, "every upload complete");
        }
        let median = |v: &mut Vec<Duration>| {
            v.sort();
            v[v.len() / 2].as_secs_f64()
        };
        let (g, p) = (median(&mut g_times), median(&mut p_times));
        println!(
            "| {mib} MB | {g:.3} s | {:.1} MiB | {p:.3} s | {:.1} MiB | {:.2}x |",
            g_rss as f64 / 1024.0,
            p_rss as f64 / 1024.0,
            g / p
        );
        emulator.clear_messages().expect("clear the emulator store");
        std::fs::remove_file(&file).unwrap();
    }
}

/// The baseline: the same protocol with reqwest and nothing else.
mod plain {
    use super::*;
    use serde_json::{json, Value};
    use tokio::io::AsyncReadExt;

    pub fn run(args: &[String]) {
        let [base, ca, file] = args else {
            panic!("usage: --plain-client BASE_URL CA_FILE FILE")
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(upload(base, Path::new(ca), Path::new(file)));
    }

    fn client(ca: &Path) -> reqwest::Client {
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

    async fn json_of(response: reqwest::Response) -> Value {
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
    }

    async fn post_json(http: &reqwest::Client, url: &str, bearer: &str, body: Value) -> Value {
        let r = http
            .post(url)
            .header("authorization", bearer)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        json_of(r).await
    }

    async fn upload(base: &str, ca: &Path, file: &Path) {
        let http = client(ca);
        let token = http
            .post(format!("{base}/{DEFAULT_TENANT_ID}/oauth2/v2.0/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}&client_secret={DEFAULT_CLIENT_SECRET}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
            ))
            .send()
            .await
            .unwrap();
        let token = json_of(token).await;
        let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
        let messages = format!("{base}/v1.0/users/{MAILBOX}/messages");
        let draft = post_json(
            &http,
            &messages,
            &bearer,
            json!({"subject": "bench", "toRecipients": [{"emailAddress": {"address": "ops@fabrikam.test"}}]}),
        )
        .await;
        let message = format!("{messages}/{}", draft["id"].as_str().unwrap());
        let size = std::fs::metadata(file).unwrap().len();
        let name = file.file_name().unwrap().to_str().unwrap();
        let session = post_json(
            &http,
            &format!("{message}/attachments/createUploadSession"),
            &bearer,
            json!({"AttachmentItem": {"attachmentType": "file", "name": name, "size": size}}),
        )
        .await;
        let url = session["uploadUrl"].as_str().unwrap().to_string();
        let mut f = tokio::fs::File::open(file).await.unwrap();
        let mut offset = 0;
        while offset < size {
            let len = CHUNK.min(size - offset);
            let mut chunk = vec![0u8; len as usize];
            f.read_exact(&mut chunk).await.unwrap();
            let r = http
                .put(&url)
                .header(
                    "content-range",
                    format!("bytes {}-{}/{}", offset, offset + len - 1, size),
                )
                .header("content-length", len)
                .body(chunk)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "chunk at {offset}: {}", r.status());
            offset += len;
        }
        let r = http
            .post(format!("{message}/send"))
            .header("authorization", &bearer)
            .header("content-length", 0)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202);
    }
}
