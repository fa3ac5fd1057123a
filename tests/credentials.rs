//! Every credential through the C ABI against the emulator: certificate (PEM, PFX, PS256 and
//! RS256), a pre-signed assertion, a federated token file, a pre-acquired access token, and the
//! identity platform's rejections with clear codes.

mod support;

use graphmail::auth::signing::{AssertionAlgorithm, SigningCertificate};
use graphmail::ffi::graph_status;
use graphmail_emulator::{DEFAULT_CLIENT_ID, DEFAULT_TENANT_ID};
use serde_json::{json, Value};
use support::{assert_error, make_certificate, FfiClient, TestEmulator};

fn message() -> Value {
    json!({"from": "alerts@contoso.test", "to": "ops@fabrikam.test", "subject": "credential test"})
}

fn config_with(t: &TestEmulator, credential: Value) -> Value {
    let mut c = t.config();
    c.as_object_mut().unwrap().remove("clientSecret");
    for (k, v) in credential.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

#[test]
fn certificates_authenticate_in_every_form() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, both, pfx) = make_certificate(dir.path(), "app");
    let cert_pem = std::fs::read(&cert).unwrap();
    let t = TestEmulator::start_with(|c| c.with_app_certificate(DEFAULT_CLIENT_ID, cert_pem));
    for credential in [
        json!({"certificatePath": both}),
        json!({"certificatePath": pfx, "certificatePassword": "Pfx-Pass"}),
        json!({"certificatePath": both, "certificateAlgorithm": "RS256"}),
        json!({"certificatePath": both, "sendCertificateChain": true}),
    ] {
        let (status, r) = FfiClient::new(&config_with(&t, credential.clone())).send(&message());
        assert_eq!(status, graph_status::Ok, "{credential}: {r}");
    }
    assert_eq!(t.emulator.messages().len(), 4);
    // A PFX with the wrong password is refused when the client is created, without the password.
    let err = FfiClient::new_raw(Some(
        config_with(
            &t,
            json!({"certificatePath": pfx, "certificatePassword": "Wrong-Pass-123"}),
        )
        .to_string()
        .as_bytes(),
    ))
    .err()
    .unwrap();
    assert_error(&err, graph_status::InvalidArgument, "InvalidConfig");
    assert!(!err.1.to_string().contains("Wrong-Pass-123"));
}

#[test]
fn an_unregistered_certificate_is_rejected_with_a_clear_code() {
    let dir = tempfile::tempdir().unwrap();
    let (registered, _, _) = make_certificate(dir.path(), "registered");
    let (_, other, _) = make_certificate(dir.path(), "other");
    let pem = std::fs::read(&registered).unwrap();
    let t = TestEmulator::start_with(|c| c.with_app_certificate(DEFAULT_CLIENT_ID, pem));
    let r = FfiClient::new(&config_with(&t, json!({"certificatePath": other}))).send(&message());
    assert_error(&r, graph_status::Auth, "ClientAssertionRejected");
    assert_eq!(r.1["error"]["httpStatus"], 401);
    assert!(r.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Certificates & secrets"));
    assert!(t.emulator.messages().is_empty());
}

#[test]
fn a_pre_signed_assertion_and_a_federated_token_file_authenticate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, both, _) = make_certificate(dir.path(), "app");
    let pem = std::fs::read(&cert).unwrap();
    let subject = "system:serviceaccount:mail:cron";
    let t = TestEmulator::start_with(|c| {
        c.with_app_certificate(DEFAULT_CLIENT_ID, pem)
            .with_federated_credential(DEFAULT_CLIENT_ID, subject)
    });
    // An assertion signed outside the client (as the PowerShell module does with a store key).
    let signer = SigningCertificate::from_file(&both, None).unwrap();
    let audience = format!(
        "{}/{DEFAULT_TENANT_ID}/oauth2/v2.0/token",
        t.emulator.base_url()
    );
    let assertion = signer
        .sign_assertion(
            DEFAULT_CLIENT_ID,
            &audience,
            AssertionAlgorithm::Ps256,
            false,
        )
        .unwrap();
    let (status, r) = FfiClient::new(&config_with(
        &t,
        json!({"clientAssertion": assertion.expose()}),
    ))
    .send(&message());
    assert_eq!(status, graph_status::Ok, "{r}");
    // Workload identity: the projected token file.
    let token_file = dir.path().join("azure-identity-token");
    std::fs::write(&token_file, t.emulator.issue_federated_token(subject)).unwrap();
    let (status, r) = FfiClient::new(&config_with(&t, json!({"clientAssertionFile": token_file})))
        .send(&message());
    assert_eq!(status, graph_status::Ok, "{r}");
    // A token for another subject is refused.
    std::fs::write(
        &token_file,
        t.emulator
            .issue_federated_token("system:serviceaccount:other:sa"),
    )
    .unwrap();
    let r = FfiClient::new(&config_with(&t, json!({"clientAssertionFile": token_file})))
        .send(&message());
    assert_error(&r, graph_status::Auth, "ClientAssertionRejected");
    assert_eq!(t.emulator.messages().len(), 2);
}

#[test]
fn a_pre_acquired_access_token_is_used_as_is() {
    let t = TestEmulator::start();
    let (status, token) = FfiClient::new(&t.config()).token();
    assert_eq!(status, graph_status::Ok);
    let before = t.emulator.stats().token_requests;
    let config = json!({
        "accessToken": token["accessToken"],
        "graphEndpoint": t.emulator.base_url(),
        "caCertificatePath": t.emulator.ca_certificate_path(),
    });
    let (status, r) = FfiClient::new(&config).send(&message());
    assert_eq!(status, graph_status::Ok, "{r}");
    assert_eq!(
        t.emulator.stats().token_requests,
        before,
        "no token request with a given token"
    );
}
