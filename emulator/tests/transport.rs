//! TLS and HTTP: the generated CA, HTTP/2 via ALPN, HTTP/1.1, TLS versions, CA reuse across
//! restarts, oversized bodies, startup and shutdown.

mod common;

use std::time::{Duration, Instant};

use common::{client_for, client_with, simple_mail, Harness, SENDER};
use graphmail_emulator::tls::{CertificateAuthority, CA_CERT_FILE, CA_KEY_FILE};
use graphmail_emulator::{Emulator, EmulatorConfig, DEFAULT_CLIENT_SECRET};
use reqwest::{StatusCode, Version};

#[tokio::test]
async fn http2_is_negotiated_with_alpn() {
    let h = Harness::start();
    let reply = h.get("/", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.version, Version::HTTP_2);
}

#[tokio::test]
async fn http1_and_tls12_only_clients_work() {
    let h = Harness::start();
    let ca = std::fs::read(h.emu.ca_certificate_path()).expect("ca");
    let http1 = client_with(&ca, &[b"http/1.1"], rustls::DEFAULT_VERSIONS);
    let response = http1.get(h.url("/")).send().await.expect("http/1.1");
    assert_eq!(response.version(), Version::HTTP_11);

    let tls12 = client_with(&ca, &[b"h2", b"http/1.1"], &[&rustls::version::TLS12]);
    let response = tls12.get(h.url("/")).send().await.expect("TLS 1.2");
    assert_eq!(response.status(), StatusCode::OK);

    let tls13 = client_with(&ca, &[b"h2"], &[&rustls::version::TLS13]);
    let response = tls13.get(h.url("/")).send().await.expect("TLS 1.3");
    assert_eq!(response.version(), Version::HTTP_2);
}

#[tokio::test]
async fn certificate_is_valid_for_localhost() {
    let h = Harness::start();
    let url = format!("https://localhost:{}/", h.emu.port());
    let response = h.client.get(url).send().await.expect("localhost");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_untrusted_ca_fails_the_handshake() {
    let h = Harness::start();
    let other = CertificateAuthority::generate().expect("other CA");
    let stranger = client_for(other.certificate_pem().as_bytes());
    assert!(stranger.get(h.url("/")).send().await.is_err());
    assert_eq!(h.emu.stats().requests, 0);
}

#[tokio::test]
async fn ca_is_reused_across_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = Emulator::start(EmulatorConfig::new(dir.path())).expect("first start");
    assert!(first.ca_was_created());
    assert_eq!(
        first.ca_certificate_path(),
        first.data_dir().join(CA_CERT_FILE)
    );
    assert!(first.data_dir().join(CA_KEY_FILE).is_file());
    let ca_pem = std::fs::read(first.ca_certificate_path()).expect("ca.pem");
    first.shutdown();

    let second = Emulator::start(EmulatorConfig::new(dir.path())).expect("second start");
    assert!(!second.ca_was_created());
    assert_eq!(
        std::fs::read(second.ca_certificate_path()).expect("ca.pem"),
        ca_pem
    );
    // A client that trusted the first run's CA file talks to the second run.
    let client = client_for(&ca_pem);
    let response = client
        .get(format!("{}/", second.base_url()))
        .send()
        .await
        .expect("trusted");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn ca_can_issue_certificates_for_other_servers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = CertificateAuthority::load_or_create(dir.path()).expect("ca");
    let cert = ca
        .issue_server_certificate(&["localhost"], &["127.0.0.1".parse().expect("ip")])
        .expect("issue");
    let cert_path = dir.path().join("server.pem");
    let key_path = dir.path().join("server-key.pem");
    cert.write_pem_files(&cert_path, &key_path).expect("write");
    assert!(std::fs::read_to_string(&cert_path)
        .expect("cert")
        .contains("BEGIN CERTIFICATE"));
    assert!(std::fs::read_to_string(&key_path)
        .expect("key")
        .contains("PRIVATE KEY"));
    // The emulator started on the same folder reuses this CA.
    let emu = Emulator::start(EmulatorConfig::new(dir.path())).expect("start");
    assert!(!emu.ca_was_created());
}

#[tokio::test]
async fn oversized_body_is_read_then_answered_413_on_http1() {
    let h = Harness::start();
    let ca = std::fs::read(h.emu.ca_certificate_path()).expect("ca");
    let http1 = client_with(&ca, &[b"http/1.1"], rustls::DEFAULT_VERSIONS);
    let token = h.token().await;
    let body = vec![b'x'; 6 * 1024 * 1024];
    let response = http1
        .post(h.url(&format!("/v1.0/users/{SENDER}/sendMail")))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the whole body is read before the answer");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.version(), Version::HTTP_11);
    // The connection stays usable: a normal send follows.
    let reply = h.send(&token, SENDER, &simple_mail("a@example.com")).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn smaller_request_limit_is_configurable() {
    let h = Harness::start_with(|c| c.with_max_request_bytes(512));
    let token = h.token().await;
    let mut mail = simple_mail("a@example.com");
    mail["message"]["body"]["content"] = serde_json::json!("y".repeat(600));
    h.send(&token, SENDER, &mail)
        .await
        .assert_graph_error(413, "RequestEntityTooLarge");
}

#[tokio::test]
async fn starts_fast_and_shuts_down() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(Emulator::start(EmulatorConfig::new(dir.path())).expect("warm-up start"));
    let started = Instant::now();
    let emu = Emulator::start(EmulatorConfig::new(dir.path())).expect("start");
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(1), "start took {elapsed:?}");
    let url = format!("{}/", emu.base_url());
    let client = client_for(&std::fs::read(emu.ca_certificate_path()).expect("ca"));
    assert_eq!(
        client.get(&url).send().await.expect("up").status(),
        StatusCode::OK
    );
    emu.shutdown();
    let fresh = client_for(&std::fs::read(dir.path().join(CA_CERT_FILE)).expect("ca"));
    assert!(
        fresh.get(&url).send().await.is_err(),
        "nothing listens after shutdown"
    );
}

#[tokio::test]
async fn env_lines_point_at_the_emulator_without_the_secret() {
    let h = Harness::start();
    let lines = h.emu.env_lines();
    let base = h.emu.base_url();
    assert!(base.starts_with("https://127.0.0.1:"));
    assert_eq!(base, format!("https://127.0.0.1:{}", h.emu.port()));
    for expected in [
        format!("AZURE_TENANT_ID={}", h.emu.tenant_id()),
        format!("AZURE_CLIENT_ID={}", h.emu.client_id()),
        format!("AZURE_AUTHORITY_HOST={base}"),
        format!("GRAPHMAIL_GRAPH_ENDPOINT={base}"),
        format!(
            "GRAPHMAIL_CA_FILE={}",
            h.emu.ca_certificate_path().display()
        ),
    ] {
        assert!(
            lines.contains(&expected),
            "{expected} missing from {lines:?}"
        );
    }
    assert!(lines
        .iter()
        .any(|l| l.starts_with('#') && l.contains("AZURE_CLIENT_SECRET")));
    assert!(lines.iter().all(|l| !l.contains(DEFAULT_CLIENT_SECRET)));
}

#[test]
fn start_rejects_a_config_without_apps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = Emulator::start(EmulatorConfig::new(dir.path()).without_apps()).expect_err("no app");
    assert!(err.to_string().contains("no app"), "{err}");
}

#[test]
fn start_reports_a_busy_port() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = Emulator::start(EmulatorConfig::new(dir.path())).expect("first");
    let err = Emulator::start(EmulatorConfig::new(dir.path()).with_port(first.port()))
        .expect_err("port in use");
    assert!(err.to_string().contains("listening on"), "{err}");
}
