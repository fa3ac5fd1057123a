//! Certificate credentials: client assertions signed with a registered certificate's key
//! (PS256 + `x5t#S256`, RS256 + `x5t`), and every way an assertion is rejected.

mod common;

use std::time::{Duration, SystemTime};

use common::{assert_aad_error, simple_mail, Harness, GRAPH_SCOPE, SENDER};
use graphmail_emulator::jwt::{self, ClientAssertion, CLIENT_ASSERTION_TYPE};
use graphmail_emulator::test_certificates::{TestCertificate, TestKey};
use graphmail_emulator::{Emulator, EmulatorConfig, DEFAULT_CLIENT_ID, DEFAULT_TENANT_ID};
use reqwest::StatusCode;
use serde_json::json;

const CERT_APP: &str = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

fn start() -> Harness {
    let a = TestCertificate::client_a();
    Harness::start_with(|c| c.with_app_certificate(CERT_APP, a.cert_pem.as_bytes()))
}

async fn present(h: &Harness, client_id: &str, assertion: &str) -> common::Reply {
    h.token_request(&[
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_assertion_type", CLIENT_ASSERTION_TYPE),
        ("client_assertion", assertion),
        ("scope", GRAPH_SCOPE),
    ])
    .await
}

fn sign(assertion: ClientAssertion) -> String {
    let a = TestCertificate::client_a();
    assertion.sign(&a.signing_key(), &a.cert_der).expect("sign")
}

#[tokio::test]
async fn ps256_and_rs256_assertions_get_tokens_that_send_mail() {
    let h = start();
    let aud = h.emu.token_endpoint();
    assert_eq!(aud, h.token_url());
    for assertion in [
        ClientAssertion::new(CERT_APP, &aud),
        ClientAssertion::new(CERT_APP, &aud).rs256(),
        // Entra's own host in the audience is accepted too.
        ClientAssertion::new(
            CERT_APP,
            &jwt::token_url("https://login.microsoftonline.com", DEFAULT_TENANT_ID),
        ),
        // An audience array with the token URL in it.
        ClientAssertion::new(CERT_APP, &aud).with_claim("aud", json!(["other", aud])),
    ] {
        let reply = present(&h, CERT_APP, &sign(assertion)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        assert_eq!(reply.json["token_type"], "Bearer");
        let token = reply.json["access_token"].as_str().expect("token");
        let sent = h.send(token, SENDER, &simple_mail("ops@example.com")).await;
        assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.json);
    }
    let messages = h.emu.messages();
    assert!(messages.iter().all(|m| m.client_id == CERT_APP));
    let stats = h.emu.stats();
    assert_eq!(stats.certificate_assertions, 4);
    assert_eq!(stats.client_credentials_requests, 4);
    assert_eq!(stats.token_requests, 4);
}

#[tokio::test]
async fn an_app_may_have_a_secret_and_a_certificate() {
    let a = TestCertificate::client_a();
    let h = Harness::start_with(|c| c.with_app_certificate(DEFAULT_CLIENT_ID, &a.cert_der));
    h.token().await; // the secret still works
    let assertion = a
        .assertion(DEFAULT_CLIENT_ID, &h.emu.token_endpoint())
        .expect("sign");
    let reply = present(&h, DEFAULT_CLIENT_ID, &assertion).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
}

#[tokio::test]
async fn a_certificate_only_app_has_no_secret() {
    let h = start();
    let reply = h
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", CERT_APP),
            ("client_secret", "anything"),
            ("scope", GRAPH_SCOPE),
        ])
        .await;
    assert_aad_error(&reply, 401, "invalid_client", 7000215);
}

#[tokio::test]
async fn unknown_thumbprint_names_it() {
    let h = start();
    let b = TestCertificate::client_b();
    // Signed correctly with B's key and naming B's certificate, which is not registered.
    let assertion = ClientAssertion::new(CERT_APP, &h.emu.token_endpoint())
        .rs256()
        .sign(&b.signing_key(), &b.cert_der)
        .expect("sign");
    let reply = present(&h, CERT_APP, &assertion).await;
    let text = assert_aad_error(&reply, 401, "invalid_client", 700027);
    assert!(
        text.starts_with("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '"),
        "{text}"
    );
    assert!(text.contains(&b.thumbprint_hex()), "{text}");
    assert!(text.contains(CERT_APP), "{text}");
    assert!(!String::from_utf8_lossy(&reply.body).contains(&assertion));
}

#[tokio::test]
async fn bad_signature_is_rejected() {
    let h = start();
    let a = TestCertificate::client_a();
    let b = TestCertificate::client_b();
    // A's thumbprint, B's key.
    let forged = ClientAssertion::new(CERT_APP, &h.emu.token_endpoint())
        .sign(&b.signing_key(), &a.cert_der)
        .expect("sign");
    let reply = present(&h, CERT_APP, &forged).await;
    let text = assert_aad_error(&reply, 401, "invalid_client", 700027);
    assert!(
        text.contains("The provided signature value did not match the expected signature value"),
        "{text}"
    );
    // A header that announces PS256 over an RS256 signature.
    let mixed = ClientAssertion::new(CERT_APP, &h.emu.token_endpoint())
        .rs256()
        .with_header("alg", "PS256")
        .sign(&a.signing_key(), &a.cert_der)
        .expect("sign");
    let reply = present(&h, CERT_APP, &mixed).await;
    assert_aad_error(&reply, 401, "invalid_client", 700027);
    // A tampered payload.
    let good = sign(ClientAssertion::new(CERT_APP, &h.emu.token_endpoint()));
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    parts[1] = jwt_part(
        &json!({"iss": CERT_APP, "sub": CERT_APP, "aud": h.emu.token_endpoint(),
        "exp": jwt::unix_now() + 60, "jti": "x"}),
    );
    let reply = present(&h, CERT_APP, &parts.join(".")).await;
    assert_aad_error(&reply, 401, "invalid_client", 700027);
}

fn jwt_part(value: &serde_json::Value) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(value).expect("json"))
}

#[tokio::test]
async fn wrong_audience_is_rejected() {
    let h = start();
    for aud in [
        format!("{}/other-tenant/oauth2/v2.0/token", h.emu.base_url()),
        "https://login.microsoftonline.com/common/oauth2/v2.0/token".to_string(),
        format!("{}/{DEFAULT_TENANT_ID}/oauth2/token", h.emu.base_url()),
    ] {
        let reply = present(&h, CERT_APP, &sign(ClientAssertion::new(CERT_APP, &aud))).await;
        let text = assert_aad_error(&reply, 401, "invalid_client", 700023);
        assert!(
            text.starts_with("Client assertion audience claim does not match Realm issuer."),
            "{text}"
        );
    }
    let no_aud = sign(ClientAssertion::new(CERT_APP, "x").without_claim("aud"));
    let reply = present(&h, CERT_APP, &no_aud).await;
    assert_aad_error(&reply, 401, "invalid_client", 700023);
}

#[tokio::test]
async fn time_range_is_enforced() {
    let h = start();
    let aud = h.emu.token_endpoint();
    let now = jwt::unix_now();
    let expired = sign(ClientAssertion::new(CERT_APP, &aud).valid_between(now - 7200, now - 3600));
    let reply = present(&h, CERT_APP, &expired).await;
    let text = assert_aad_error(&reply, 401, "invalid_client", 700024);
    assert!(
        text.starts_with("Client assertion is not within its valid time range. Current time: "),
        "{text}"
    );
    let future = sign(ClientAssertion::new(CERT_APP, &aud).valid_between(now + 3600, now + 4200));
    assert_aad_error(
        &present(&h, CERT_APP, &future).await,
        401,
        "invalid_client",
        700024,
    );
    let too_long = sign(ClientAssertion::new(CERT_APP, &aud).valid_between(now, now + 2 * 86_400));
    let text = assert_aad_error(
        &present(&h, CERT_APP, &too_long).await,
        401,
        "invalid_client",
        700024,
    );
    assert!(
        text.contains("exceeds the emulator's limit of one day"),
        "{text}"
    );
    // Within the five minutes of clock skew.
    let skewed = sign(ClientAssertion::new(CERT_APP, &aud).valid_between(now + 120, now + 600));
    assert_eq!(present(&h, CERT_APP, &skewed).await.status, StatusCode::OK);
    let no_exp = sign(ClientAssertion::new(CERT_APP, &aud).without_claim("exp"));
    assert_aad_error(
        &present(&h, CERT_APP, &no_exp).await,
        401,
        "invalid_client",
        50027,
    );
}

#[tokio::test]
async fn issuer_and_subject_rules() {
    let h = start();
    let aud = h.emu.token_endpoint();
    let mismatch = sign(ClientAssertion::new(CERT_APP, &aud).with_claim("sub", "someone-else"));
    let text = assert_aad_error(
        &present(&h, CERT_APP, &mismatch).await,
        401,
        "invalid_client",
        50048,
    );
    assert_eq!(
        text,
        "Subject mismatches Issuer claim in the client assertion."
    );
    // iss == sub, but not the client_id of the request.
    let other_app = sign(ClientAssertion::new(DEFAULT_CLIENT_ID, &aud));
    assert_aad_error(
        &present(&h, CERT_APP, &other_app).await,
        401,
        "invalid_client",
        700021,
    );
    // Some other identity provider's token.
    let foreign = sign(
        ClientAssertion::new(CERT_APP, &aud)
            .with_claim("iss", "https://token.actions.githubusercontent.com")
            .with_claim("sub", "repo:contoso/app:ref:refs/heads/main"),
    );
    let text = assert_aad_error(
        &present(&h, CERT_APP, &foreign).await,
        401,
        "invalid_client",
        700211,
    );
    assert!(
        text.contains("https://token.actions.githubusercontent.com"),
        "{text}"
    );
}

#[tokio::test]
async fn malformed_assertions() {
    let h = start();
    let aud = h.emu.token_endpoint();
    for bad in ["not-a-jwt", "a.b.c", "e30.e30."] {
        let text = assert_aad_error(
            &present(&h, CERT_APP, bad).await,
            401,
            "invalid_client",
            50027,
        );
        assert!(
            text.starts_with("JWT token is invalid or malformed."),
            "{text}"
        );
    }
    let no_thumbprint =
        sign(ClientAssertion::new(CERT_APP, &aud).with_header("x5t#S256", serde_json::Value::Null));
    let text = assert_aad_error(
        &present(&h, CERT_APP, &no_thumbprint).await,
        401,
        "invalid_client",
        50027,
    );
    assert!(
        text.contains("No certificate thumbprint specified in token header."),
        "{text}"
    );
    let hs256 = sign(ClientAssertion::new(CERT_APP, &aud).with_header("alg", "HS256"));
    let text = assert_aad_error(
        &present(&h, CERT_APP, &hs256).await,
        401,
        "invalid_client",
        50027,
    );
    assert!(
        text.contains("'HS256' is not a supported signature algorithm"),
        "{text}"
    );
    let no_jti = sign(ClientAssertion::new(CERT_APP, &aud).without_claim("jti"));
    assert_aad_error(
        &present(&h, CERT_APP, &no_jti).await,
        401,
        "invalid_client",
        50027,
    );
    let no_iss = sign(ClientAssertion::new(CERT_APP, &aud).without_claim("iss"));
    assert_aad_error(
        &present(&h, CERT_APP, &no_iss).await,
        401,
        "invalid_client",
        50027,
    );
}

#[tokio::test]
async fn assertion_parameters() {
    let h = start();
    let assertion = sign(ClientAssertion::new(CERT_APP, &h.emu.token_endpoint()));
    let base = [
        ("grant_type", "client_credentials"),
        ("client_id", CERT_APP),
        ("client_assertion", assertion.as_str()),
        ("scope", GRAPH_SCOPE),
    ];
    let text = assert_aad_error(
        &h.token_request(&base).await,
        400,
        "invalid_request",
        900144,
    );
    assert_eq!(
        text,
        "The request body must contain the following parameter: 'client_assertion_type'."
    );
    let mut wrong_type = base.to_vec();
    wrong_type.push((
        "client_assertion_type",
        "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
    ));
    assert_aad_error(
        &h.token_request(&wrong_type).await,
        400,
        "invalid_request",
        90023,
    );
    let mut both = base.to_vec();
    both.push(("client_assertion_type", CLIENT_ASSERTION_TYPE));
    both.push(("client_secret", "s"));
    assert_aad_error(&h.token_request(&both).await, 400, "invalid_request", 90023);
}

#[tokio::test]
async fn an_expired_registered_certificate_is_rejected() {
    let now = SystemTime::now();
    let day = Duration::from_secs(86_400);
    let expired =
        TestCertificate::generate(TestKey::A, "expired", now - 30 * day, now - day).expect("gen");
    let registered = expired.cert_der.clone();
    let h = Harness::start_with(move |c| c.with_app_certificate(CERT_APP, &registered));
    let assertion = expired
        .assertion(CERT_APP, &h.emu.token_endpoint())
        .expect("sign");
    let text = assert_aad_error(
        &present(&h, CERT_APP, &assertion).await,
        401,
        "invalid_client",
        700027,
    );
    assert!(text.contains("The key used is expired."), "{text}");
    assert!(text.contains("Found key 'Start="), "{text}");
}

#[tokio::test]
async fn generated_certificates_over_a_test_key_work() {
    let current = TestCertificate::generate_current(TestKey::B, "current").expect("gen");
    let registered = current.cert_pem.clone();
    let h = Harness::start_with(move |c| c.with_app_certificate(CERT_APP, registered.as_bytes()));
    let assertion = current
        .assertion(CERT_APP, &h.emu.token_endpoint())
        .expect("sign");
    assert_eq!(
        present(&h, CERT_APP, &assertion).await.status,
        StatusCode::OK
    );
}

#[test]
fn unusable_certificates_fail_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = Emulator::start(
        EmulatorConfig::new(dir.path()).with_app_certificate(CERT_APP, b"not a certificate"),
    )
    .expect_err("junk");
    assert!(
        err.to_string()
            .contains(&format!("certificate 1 of app {CERT_APP}")),
        "{err}"
    );
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let ec = rcgen::CertificateParams::new(vec!["x".to_string()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    let err =
        Emulator::start(EmulatorConfig::new(dir.path()).with_app_certificate(CERT_APP, ec.pem()))
            .expect_err("EC");
    assert!(err.to_string().contains("not RSA"), "{err}");
}
