//! The `graphmail` CLI: send, token, emulator and demo, with sysexits exit codes.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::TestEmulator;

/// A minimal valid `send` command line.
const SEND_TO_A: [&str; 5] = [
    "send",
    "--from",
    "alerts@contoso.test",
    "--to",
    "a@fabrikam.test",
];

/// The CLI with a clean environment (no AZURE_*/GRAPHMAIL_*/proxy variables from the machine).
fn graphmail() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_graphmail"));
    c.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        c.env("PATH", path);
    }
    c
}

fn with_emulator(t: &TestEmulator) -> Command {
    let mut c = graphmail();
    c.envs(t.env());
    c
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn send_delivers_with_every_flag() {
    let t = TestEmulator::start();
    let att = t.file("notes.txt", b"hello");
    let body = t.file("body.html", "<p>Body from file ✓</p>".as_bytes());
    let out = with_emulator(&t)
        .args([
            "send",
            "--from",
            "Reports <reports@contoso.test>",
            "--to",
            "a@fabrikam.test,b@fabrikam.test",
        ])
        .args([
            "--cc",
            "c@fabrikam.test",
            "--bcc",
            "d@fabrikam.test",
            "--reply-to",
            "r@contoso.test",
        ])
        .args([
            "--subject",
            "CLI test",
            "--html",
            "--priority",
            "Low",
            "--header",
            "X-Run: 7",
        ])
        .args([
            "--no-save-to-sent-items",
            "--delivery-notification-option",
            "OnSuccess",
            "--json",
        ])
        .arg("--body-file")
        .arg(&body)
        .arg("--attach")
        .arg(&att)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["status"], "sent");
    let m = &t.emulator.messages()[0];
    let msg = &m.request["message"];
    assert_eq!(msg["toRecipients"].as_array().unwrap().len(), 2);
    assert_eq!(msg["body"]["contentType"], "html");
    assert_eq!(msg["body"]["content"], "<p>Body from file ✓</p>");
    assert_eq!(msg["importance"], "low");
    assert_eq!(msg["internetMessageHeaders"][0]["name"], "X-Run");
    assert_eq!(msg["internetMessageHeaders"][0]["value"], "7");
    assert_eq!(msg["isDeliveryReceiptRequested"], true);
    assert_eq!(msg["attachments"][0]["name"], "notes.txt");
    assert_eq!(m.request["saveToSentItems"], false);
    support::assert_valid_send_mail(&m.request);
}

#[test]
fn exit_codes_follow_sysexits() {
    let t = TestEmulator::start();
    let run = |args: &[&str]| {
        let out = with_emulator(&t).args(args).output().unwrap();
        let (_, stderr) = text(&out);
        (out.status.code().unwrap(), stderr)
    };
    // 64: usage (no --from).
    assert_eq!(run(&["send", "--to", "a@fabrikam.test"]).0, 64);
    assert_eq!(run(&["frobnicate"]).0, 64);
    // 65: bad data.
    let (code, err) = run(&[
        "send",
        "--from",
        "alerts@contoso.test",
        "--to",
        "not-an-address",
    ]);
    assert_eq!(code, 65);
    assert!(err.contains("InvalidAddress"), "{err}");
    assert_eq!(
        run(&[
            "send",
            "--from",
            "alerts@contoso.test",
            "--to",
            "a@fabrikam.test",
            "--header",
            "Subject: x"
        ])
        .0,
        65
    );
    // 66: missing input.
    let (code, err) = run(&[
        "send",
        "--from",
        "alerts@contoso.test",
        "--to",
        "a@fabrikam.test",
        "--attach",
        "/nope/missing.pdf",
    ]);
    assert_eq!(code, 66);
    assert!(err.contains("/nope/missing.pdf"), "{err}");
    assert_eq!(
        t.emulator.stats().requests,
        0,
        "bad input never reaches the emulator"
    );
    // 67: unknown sender mailbox.
    let (code, err) = run(&[
        "send",
        "--from",
        "ghost@contoso.test",
        "--to",
        "a@fabrikam.test",
    ]);
    assert_eq!(code, 67);
    assert!(err.contains("request-id"), "{err}");
    // 78: no configuration at all: the default chain finds no credential in the environment
    // and no managed identity (IMDS pointed at a closed local port, not 169.254.169.254).
    let out = graphmail()
        .env(
            "AZURE_POD_IDENTITY_AUTHORITY_HOST",
            format!("https://127.0.0.1:{}", support::free_port()),
        )
        .args(SEND_TO_A)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let stderr = text(&out).1;
    assert!(stderr.contains("CredentialUnavailable"), "{stderr}");
    assert!(stderr.contains("AZURE_CLIENT_SECRET"), "{stderr}");
    assert!(stderr.contains("instance metadata service"), "{stderr}");
    // 77: wrong secret; the secret is not printed.
    let out = with_emulator(&t)
        .env("AZURE_CLIENT_SECRET", "not-the-right-one-123")
        .args(SEND_TO_A)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(77));
    assert!(stderr.contains("InvalidClientSecret"));
    assert!(!stdout.contains("not-the-right-one-123") && !stderr.contains("not-the-right-one-123"));
    // 69: nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = with_emulator(&t)
        .env(
            "GRAPHMAIL_GRAPH_ENDPOINT",
            format!("https://127.0.0.1:{port}"),
        )
        .env("AZURE_AUTHORITY_HOST", format!("https://127.0.0.1:{port}"))
        .args(SEND_TO_A)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69));
}

#[test]
fn token_prints_token_json_and_config_files_work() {
    let t = TestEmulator::start();
    let config = t.file("graphmail.json", t.config().to_string().as_bytes());
    let out = graphmail()
        .arg("token")
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let tok: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(tok["tokenType"], "Bearer");
    assert!(tok["accessToken"].as_str().unwrap().len() > 20);
    assert_eq!(t.emulator.stats().token_requests, 1);
}

#[test]
fn demo_sends_through_the_c_abi_and_says_it_used_the_emulator() {
    let dir = tempfile::tempdir().unwrap();
    let out = graphmail()
        // Real-tenant settings in the environment must not be picked up by the demo.
        .env("AZURE_TENANT_ID", "real-tenant.example")
        .env("AZURE_CLIENT_SECRET", "real-secret")
        .args(["demo", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("LOCAL Graph emulator"), "{stdout}");
    assert!(stdout.contains("graph_send_mail"), "{stdout}");
    let eml_line = stdout
        .lines()
        .find(|l| l.contains("Rendered message:"))
        .unwrap();
    let eml = eml_line.split("Rendered message:").nth(1).unwrap().trim();
    let eml = std::fs::read_to_string(eml).unwrap();
    assert!(
        eml.contains("demo-report.csv"),
        "attachment in the stored message"
    );
    assert!(eml.contains("Nightly jobs"));
}

#[test]
fn emulator_command_serves_until_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = graphmail()
        .args(["emulator", "--port", "0", "--data-dir"])
        .arg(dir.path())
        .args(["--mailbox", "robot@contoso.test"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("https://127.0.0.1:"), "{first}");
    let mut env = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.trim().strip_prefix("export ") {
            let (k, v) = rest.split_once('=').unwrap();
            env.push((
                k.to_string(),
                v.split_whitespace().next().unwrap_or("").to_string(),
            ));
        }
        if line.contains("Ctrl-C") {
            break;
        }
    }
    assert!(env.iter().any(|(k, _)| k == "GRAPHMAIL_CA_FILE"), "{env:?}");
    let out = graphmail()
        .envs(env)
        .args([
            "send",
            "--from",
            "robot@contoso.test",
            "--to",
            "a@fabrikam.test",
            "--subject",
            "via CLI emulator",
        ])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let stored = std::fs::read_dir(dir.path().join("messages"))
        .unwrap()
        .count();
    assert_eq!(stored, 2, "one .json and one .eml");
}

#[test]
fn send_uploads_large_attachments_and_inline_images_without_a_bar_when_piped() {
    let t = TestEmulator::start();
    let big: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let big_path = t.file("big.bin", &big);
    let logo = t.file("logo.png", b"\x89PNG fake image");
    let out = with_emulator(&t)
        .args([
            "send",
            "--from",
            "reports@contoso.test",
            "--to",
            "a@fabrikam.test",
            "--html",
        ])
        .args(["--body", "<img src=\"cid:logo\">", "--json", "--inline"])
        .arg(format!("logo={}", logo.display()))
        .arg("--attach")
        .arg(&big_path)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        !stderr.contains("MiB"),
        "no progress bar when stderr is not a terminal: {stderr}"
    );
    let report: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["path"], "draft");
    let m = &t.emulator.messages()[0];
    let stored_big = m.attachments.iter().find(|a| a.name == "big.bin").unwrap();
    assert_eq!(std::fs::read(&stored_big.path).unwrap(), big);
    let stored_logo = m.attachments.iter().find(|a| a.name == "logo.png").unwrap();
    assert_eq!(stored_logo.content_id.as_deref(), Some("logo"));
    assert_eq!(t.emulator.stats().open_drafts, 0);
    // A malformed --inline is a usage-level data error.
    let out = with_emulator(&t)
        .args(SEND_TO_A)
        .args(["--inline", "no-equals-sign"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
}

#[test]
fn send_delivers_3_10_and_150_mb_attachments_byte_identical() {
    use sha2::{Digest, Sha256};
    let t = TestEmulator::start();
    let mut paths = Vec::new();
    let mut hashes = Vec::new();
    for (name, mib) in [("three.bin", 3u32), ("ten.bin", 10), ("max.bin", 150)] {
        let path = t.dir.path().join(name);
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut hasher = Sha256::new();
        let block: Vec<u8> = (0..1024 * 1024u32)
            .map(|i| (i.wrapping_mul(mib + 7) >> 3) as u8)
            .collect();
        for _ in 0..mib {
            std::io::Write::write_all(&mut file, &block).unwrap();
            hasher.update(&block);
        }
        drop(file);
        paths.push(path);
        hashes.push(
            hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        );
    }
    // 3 MB and 10 MB in one message, 150 MB (the most one message may total) in another.
    for group in [&paths[..2], &paths[2..]] {
        let mut cmd = with_emulator(&t);
        cmd.args([
            "send",
            "--from",
            "reports@contoso.test",
            "--to",
            "a@fabrikam.test",
            "--json",
        ]);
        for p in group {
            cmd.arg("--attach").arg(p);
        }
        let out = cmd.output().unwrap();
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    }
    let messages = t.emulator.messages();
    let all: Vec<_> = messages.iter().flat_map(|m| m.attachments.iter()).collect();
    for (name, hash) in ["three.bin", "ten.bin", "max.bin"].iter().zip(&hashes) {
        let a = all.iter().find(|a| a.name == *name).unwrap();
        assert_eq!(&a.sha256, hash, "{name}");
    }
    assert_eq!(t.emulator.stats().open_drafts, 0);
}

#[test]
fn token_and_send_take_every_credential_as_flags() {
    use graphmail_emulator::{ManagedIdentity, DEFAULT_CLIENT_ID, DEFAULT_TENANT_ID};
    let dir = tempfile::tempdir().unwrap();
    let (cert, both, _) = support::make_certificate(dir.path(), "cli");
    let user = ManagedIdentity::user_assigned(
        "6e7f8091-2a3b-4c5d-8e9f-1a2b3c4d5e6f",
        "obj-6",
        "/subscriptions/x/uami-6",
    );
    let t = TestEmulator::start_with(|c| {
        c.with_app_certificate(DEFAULT_CLIENT_ID, std::fs::read(&cert).unwrap())
            .with_managed_identity(ManagedIdentity::system_assigned())
            .with_managed_identity(user.clone())
    });
    let base = t.emulator.base_url();
    let ca = t.emulator.ca_certificate_path().display().to_string();
    let connection = [
        "--authority-host",
        &base,
        "--graph-endpoint",
        &base,
        "--ca-file",
        &ca,
    ];
    let ids = [
        "--tenant-id",
        DEFAULT_TENANT_ID,
        "--client-id",
        DEFAULT_CLIENT_ID,
    ];
    let secret = graphmail_emulator::DEFAULT_CLIENT_SECRET;
    let secret_file = t.file("secret.txt", format!("{secret}\n").as_bytes());
    let token = |extra: &[&str], env: &[(&str, &str)]| {
        let out = graphmail()
            .arg("token")
            .args(connection)
            .args(extra)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        (out.status.code(), stdout, stderr)
    };
    let ok = |(code, stdout, stderr): (Option<i32>, String, String)| {
        assert_eq!(code, Some(0), "{stderr}");
        let tok: Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(tok["tokenType"], "Bearer");
        assert!(!stderr.contains(secret), "the secret is never printed");
    };

    let mut with_ids = ids.to_vec();
    with_ids.extend(["--client-secret-env", "MY_APP_SECRET"]);
    ok(token(&with_ids, &[("MY_APP_SECRET", secret)]));
    let mut with_ids = ids.to_vec();
    with_ids.extend(["--client-secret-file", secret_file.to_str().unwrap()]);
    ok(token(&with_ids, &[]));
    // Tenant and client from the environment, the certificate from a flag.
    ok(token(
        &[
            "--certificate",
            both.to_str().unwrap(),
            "--certificate-algorithm",
            "RS256",
        ],
        &[
            ("AZURE_TENANT_ID", DEFAULT_TENANT_ID),
            ("AZURE_CLIENT_ID", DEFAULT_CLIENT_ID),
        ],
    ));
    // Managed identity, system- and user-assigned (IMDS is the emulator).
    let imds = [("AZURE_POD_IDENTITY_AUTHORITY_HOST", base.as_str())];
    ok(token(&["--managed-identity"], &imds));
    ok(token(&["--managed-identity", &user.client_id], &imds));
    ok(token(
        &["--managed-identity-object-id", &user.object_id],
        &imds,
    ));
    let before = t.emulator.stats();
    // Three from the identity platform, three from IMDS (counted in both).
    assert_eq!(before.managed_identity_requests, 3, "{before:?}");
    assert_eq!(before.token_requests, 6, "{before:?}");

    // A flag's credential replaces the file's (a wrong secret in the file).
    let mut file_config = t.config();
    file_config["clientSecret"] = serde_json::json!("stale-secret-in-file");
    let config = t.file("cfg.json", file_config.to_string().as_bytes());
    ok(token(
        &[
            "--config",
            config.to_str().unwrap(),
            "--client-secret-env",
            "S",
        ],
        &[("S", secret)],
    ));

    // Mistakes are configuration errors (78) that name the fix, and send nothing.
    let requests = t.emulator.stats().requests;
    let (code, _, stderr) = token(
        &["--managed-identity", "--client-secret-env", "S"],
        &[("S", secret)],
    );
    assert_eq!(code, Some(78));
    assert!(stderr.contains("one credential flag"), "{stderr}");
    let (code, _, stderr) = token(
        &[&ids[..], &["--client-secret-env", "UNSET_VAR"]].concat(),
        &[],
    );
    assert_eq!(code, Some(78));
    assert!(
        stderr.contains("UNSET_VAR") && stderr.contains("MissingSetting"),
        "{stderr}"
    );
    let (code, _, stderr) = token(
        &[
            "--managed-identity",
            "a",
            "--managed-identity-resource-id",
            "b",
        ],
        &imds,
    );
    assert_eq!(code, Some(78), "{stderr}");
    assert_eq!(t.emulator.stats().requests, requests);

    // send takes the same flags.
    let out = graphmail()
        .args(SEND_TO_A)
        .args(connection)
        .args(["--managed-identity"])
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", &base)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    assert_eq!(t.emulator.messages().len(), 1);
}
