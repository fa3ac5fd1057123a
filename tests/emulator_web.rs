//! The emulator as a product: its web inbox driven in headless Chromium (Debian's
//! `chromium`, through playwright-core from `tests/browser/`), with mail sent through the C ABI;
//! and an application access policy refusing a send through the library.
//!
//! `bash tests/run.sh` installs Chromium and runs `npm ci` in `tests/browser/`; without them
//! the browser test fails and says so (it never skips).

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use graphmail::ffi::graph_status;
use graphmail_emulator::{AccessPolicy, DEFAULT_CLIENT_ID};
use serde_json::json;
use sha2::Digest as _;
use support::{assert_error, FfiClient, TestEmulator};

/// A 1x1 PNG.
const PIXEL_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Node, Chromium and playwright-core, or a panic saying how to get them.
fn browser_tools() -> (PathBuf, PathBuf) {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        chromium.exists(),
        "Chromium not found at {} (set CHROMIUM, or install Debian's `chromium` package: \
         `bash tests/run.sh` does it)",
        chromium.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "node not found: install Node.js (and npm) first"
    );
    let playwright = browser_dir().join("node_modules/playwright-core/package.json");
    assert!(
        playwright.exists(),
        "playwright-core is not installed: run `npm ci` in {} (`bash tests/run.sh` does it)",
        browser_dir().display()
    );
    (PathBuf::from("node"), chromium)
}

fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_inbox_in_headless_chromium_lists_opens_renders_safely_downloads_and_clears() {
    let (node, chromium) = browser_tools();
    let t = TestEmulator::start();
    let client = FfiClient::new(&t.config());

    let logo = t.file(
        "logo.png",
        &base64::engine::general_purpose::STANDARD
            .decode(PIXEL_PNG)
            .unwrap(),
    );
    let report_bytes: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let report = t.file("quarterly-report.bin", &report_bytes);
    let html_subject = "Quarterly numbers with sandboxed content";
    // The script and the onerror handler would mark the document and delete every stored
    // message if they ran; the remote image would leave the emulator if it loaded.
    let html = r#"<html><body>
<h1 style="color:#0f6cbd">Quarterly numbers</h1>
<p>Revenue grew in every region.</p>
<p><img alt="inline logo" src="cid:logo" width="48" height="48"></p>
<img id="onerror-marker" alt="" src="cid:missing" onerror="this.setAttribute('data-ran','yes')">
<img alt="remote" src="https://example.invalid/track.png">
<script>
document.body.setAttribute('data-script-ran', 'yes');
fetch('/_emulator/inbox/messages', {method: 'DELETE'});
</script>
</body></html>"#;
    let (status, sent) = client.send(&json!({
        "from": "Alerts Team <alerts@contoso.test>",
        "to": ["Ops <ops@fabrikam.test>"],
        "subject": html_subject,
        "body": html,
        "bodyAsHtml": true,
        "headers": {"X-Job-Id": "nightly-42"},
        "attachments": [report],
        "inlineAttachments": {"logo": logo},
    }));
    assert_eq!(status, graph_status::Ok, "{sent}");
    let text_subject = "Backup finished";
    let (status, sent) = client.send(&json!({
        "from": "reports@contoso.test",
        "to": "dev@fabrikam.test",
        "subject": text_subject,
        "body": "All 12 volumes were copied.",
    }));
    assert_eq!(status, graph_status::Ok, "{sent}");

    let screenshot = std::env::var_os("GRAPHMAIL_INBOX_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| t.dir.path().join("inbox.png"));
    let live_subject = "Disk space warning on db-01";
    let mut child = Command::new(node)
        .arg(browser_dir().join("inbox.test.mjs"))
        .current_dir(browser_dir())
        .env("CHROMIUM", &chromium)
        .env("INBOX_URL", format!("{}/inbox", t.emulator.base_url()))
        .env("HTML_SUBJECT", html_subject)
        .env("TEXT_SUBJECT", text_subject)
        .env("LIVE_SUBJECT", live_subject)
        .env("FROM_ADDRESS", "alerts@contoso.test")
        .env("TO_ADDRESS", "ops@fabrikam.test")
        .env("XHEADER_NAME", "X-Job-Id")
        .env("XHEADER_VALUE", "nightly-42")
        .env("TEXT_SNIPPET", "Revenue grew in every region.")
        .env("ATTACHMENT_NAME", "quarterly-report.bin")
        .env("ATTACHMENT_SHA256", sha256_hex(&report_bytes))
        .env("INLINE_CID", "logo")
        .env("SCREENSHOT", &screenshot)
        .env(
            "MESSAGE_SCREENSHOT",
            std::env::var_os("GRAPHMAIL_MESSAGE_SCREENSHOT").unwrap_or_default(),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut transcript = Vec::new();
    for line in stdout.lines() {
        let line = line.expect("node output");
        if line == "READY_FOR_LIVE" {
            // The page is open: this message must appear without a reload.
            let (status, sent) = client.send(&json!({
                "from": "alerts@contoso.test",
                "to": "oncall@fabrikam.test",
                "subject": live_subject,
                "body": "/var is 91% full.",
            }));
            assert_eq!(status, graph_status::Ok, "{sent}");
            writeln!(stdin, "SENT").expect("tell node");
        }
        transcript.push(line);
    }
    let output = child.wait_with_output().expect("node exits");
    let transcript = transcript.join("\n");
    assert!(
        output.status.success(),
        "the browser test failed:\n{transcript}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "ok - newest first",
        "ok - the new message appears at the top without a reload",
        "ok - the inline image rendered",
        "ok - the <script> in the HTML body did not run",
        "ok - the downloaded attachment is byte-identical",
        "ok - no request left the emulator (remote image blocked)",
        "ok - clearing empties the inbox",
    ] {
        assert!(
            transcript.contains(expected),
            "missing '{expected}':\n{transcript}"
        );
    }
    assert!(transcript.contains("RESULT {"), "{transcript}");
    // The page's Clear button emptied the store; the screenshot is a PNG.
    assert!(t.emulator.messages().is_empty());
    let png = std::fs::read(&screenshot).expect("screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn an_access_policy_refusal_reaches_the_caller_naming_app_mailbox_and_fix() {
    let t = TestEmulator::start_with(|c| {
        c.with_group("app-senders@contoso.test", ["alerts@contoso.test"])
            .with_access_policy(
                DEFAULT_CLIENT_ID,
                AccessPolicy::allow(["app-senders@contoso.test"]),
            )
    });
    let client = FfiClient::new(&t.config());
    let ok = client.send(&json!({
        "from": "alerts@contoso.test", "to": "ops@fabrikam.test", "subject": "allowed", "body": "x",
    }));
    assert_eq!(ok.0, graph_status::Ok, "{}", ok.1);
    let refused = client.send(&json!({
        "from": "reports@contoso.test", "to": "ops@fabrikam.test", "subject": "refused", "body": "x",
    }));
    assert_error(&refused, graph_status::Graph, "AccessDenied");
    let e = &refused.1["error"];
    assert_eq!(e["httpStatus"], 403);
    assert_eq!(e["graphCode"], "ErrorAccessDenied");
    let message = e["message"].as_str().expect("message");
    for needle in [
        DEFAULT_CLIENT_ID,
        "reports@contoso.test",
        "application access policy",
        "RBAC",
        "[RAOP]",
    ] {
        assert!(
            message.contains(needle),
            "'{needle}' missing from: {message}"
        );
    }
    assert_eq!(t.emulator.messages().len(), 1);
    assert_eq!(t.emulator.stats().policy_denied_requests, 1);
}

#[test]
fn graphmail_emulator_reads_the_example_config_and_flags_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("emulator/examples/emulator.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_graphmail"))
        .arg("emulator")
        .arg("--config")
        .arg(&example)
        .args(["--port", "0", "--no-throttling", "--data-dir"])
        .arg(dir.path())
        .args([
            "--deny",
            "5a1f0c2e-8d3b-4e6a-9c7f-0b1d2e3f4a5b=noreply@contoso.test",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start graphmail emulator");
    let mut printed = Vec::new();
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let line = line.expect("line");
        let done = line.contains("Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let printed = printed.join("\n");
    // --port 0 beats the file's 8443, --data-dir its dataDir, --no-throttling its "throttling".
    assert!(
        printed.contains("listening on https://127.0.0.1:") && !printed.contains(":8443"),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("Data folder:    {}", dir.path().display())),
        "{printed}"
    );
    assert!(!printed.contains("Throttling:"), "{printed}");
    // The file's two policies and the flag's one.
    assert!(printed.contains("Access policies: 3"), "{printed}");
    assert!(
        printed.contains("export AZURE_TENANT_ID=contoso.onmicrosoft.com"),
        "{printed}"
    );
    assert!(printed.contains("/inbox"), "{printed}");
}
