//! `graph_client_new_with_signer`: the caller keeps the private key (as the PowerShell module
//! does with a Windows certificate-store key) and signs each client assertion in a callback;
//! the library builds the assertion, checks the signature against the certificate, and sends it.

mod support;

use std::ffi::{c_char, c_void, CStr, CString};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use graphmail::ffi::{graph_client, graph_client_new_with_signer, graph_status};
use graphmail_emulator::DEFAULT_CLIENT_ID;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256, RSA_PSS_SHA256};
use rustls::pki_types::pem::PemObject;
use serde_json::{json, Value};
use support::{assert_error, make_certificate, take, FfiClient, TestEmulator};

/// What the callback signs with, and what it saw (userdata).
struct Signer {
    key: RsaKeyPair,
    calls: AtomicUsize,
    /// Return this instead of signing, when not 0.
    fail_with: i32,
    algorithms: std::sync::Mutex<Vec<String>>,
}

unsafe extern "C" fn sign(
    userdata: *mut c_void,
    algorithm: *const c_char,
    data: *const u8,
    data_len: usize,
    signature_out: *mut u8,
    signature_capacity: usize,
    signature_len_out: *mut usize,
) -> i32 {
    let signer = unsafe { &*(userdata as *const Signer) };
    signer.calls.fetch_add(1, Ordering::SeqCst);
    if signer.fail_with != 0 {
        return signer.fail_with;
    }
    let algorithm = unsafe { CStr::from_ptr(algorithm) }
        .to_str()
        .unwrap()
        .to_string();
    let data = unsafe { std::slice::from_raw_parts(data, data_len) };
    let out = unsafe { std::slice::from_raw_parts_mut(signature_out, signature_capacity) };
    let len = signer.key.public().modulus_len();
    let encoding: &'static dyn ring::signature::RsaEncoding = match algorithm.as_str() {
        "PS256" => &RSA_PSS_SHA256,
        "RS256" => &RSA_PKCS1_SHA256,
        _ => return 7,
    };
    signer.algorithms.lock().unwrap().push(algorithm);
    if signer
        .key
        .sign(encoding, &SystemRandom::new(), data, &mut out[..len])
        .is_err()
    {
        return 8;
    }
    unsafe { *signature_len_out = len };
    0
}

fn signer(key_pem: &Path, fail_with: i32) -> Box<Signer> {
    let der = rustls::pki_types::PrivateKeyDer::from_pem_file(key_pem).unwrap();
    Box::new(Signer {
        key: RsaKeyPair::from_pkcs8(der.secret_der()).unwrap(),
        calls: AtomicUsize::new(0),
        fail_with,
        algorithms: Default::default(),
    })
}

fn certificate_base64(cert_pem: &Path) -> String {
    let der = rustls::pki_types::CertificateDer::from_pem_file(cert_pem).unwrap();
    base64::engine::general_purpose::STANDARD.encode(der.as_ref())
}

fn config(t: &TestEmulator, extra: Value) -> Value {
    let mut c = t.config();
    c.as_object_mut().unwrap().remove("clientSecret");
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

/// `graph_client_new_with_signer` with `signer` as userdata.
fn client_with(
    config: &Value,
    signer: Option<&Signer>,
) -> Result<FfiClient, (graph_status, Value)> {
    let text = CString::new(config.to_string()).unwrap();
    let (mut client, mut err): (*mut graph_client, *mut c_char) =
        (std::ptr::null_mut(), std::ptr::null_mut());
    let status = unsafe {
        graph_client_new_with_signer(
            text.as_ptr(),
            signer.map(|_| sign as _),
            signer.map_or(std::ptr::null_mut(), |s| s as *const Signer as *mut c_void),
            &mut client,
            &mut err,
        )
    };
    if status == graph_status::Ok {
        assert!(err.is_null());
        Ok(FfiClient(client))
    } else {
        assert!(client.is_null());
        Err((status, serde_json::from_str(&take(err).unwrap()).unwrap()))
    }
}

fn message() -> Value {
    json!({"from": "alerts@contoso.test", "to": "ops@fabrikam.test", "subject": "signed elsewhere"})
}

#[test]
fn a_callers_signer_authenticates_with_ps256_and_rs256_and_is_called_once_per_token() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _, _) = make_certificate(dir.path(), "store");
    let key = dir.path().join("store-key.pem");
    let t = TestEmulator::start_with(|c| {
        c.with_app_certificate(DEFAULT_CLIENT_ID, std::fs::read(&cert).unwrap())
    });
    let b64 = certificate_base64(&cert);

    let ps = signer(&key, 0);
    let client = client_with(&config(&t, json!({"signingCertificate": b64})), Some(&ps)).unwrap();
    for _ in 0..3 {
        let (status, r) = client.send(&message());
        assert_eq!(status, graph_status::Ok, "{r}");
    }
    // One token for three sends, so one signature.
    assert_eq!(ps.calls.load(Ordering::SeqCst), 1);
    assert_eq!(*ps.algorithms.lock().unwrap(), vec!["PS256".to_string()]);
    drop(client);

    let rs = signer(&key, 0);
    let client = client_with(
        &config(
            &t,
            // An array (leaf first) with the chain sent in x5c, and RS256.
            json!({"signingCertificate": [b64], "certificateAlgorithm": "RS256", "sendCertificateChain": true}),
        ),
        Some(&rs),
    )
    .unwrap();
    let (status, r) = client.send(&message());
    assert_eq!(status, graph_status::Ok, "{r}");
    assert_eq!(*rs.algorithms.lock().unwrap(), vec!["RS256".to_string()]);
    assert_eq!(t.emulator.messages().len(), 4);
    assert_eq!(t.emulator.stats().token_requests, 2);
}

#[test]
fn a_failing_or_wrong_key_signer_is_reported_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _, _) = make_certificate(dir.path(), "app");
    let (_, _, _) = make_certificate(dir.path(), "other");
    let t = TestEmulator::start_with(|c| {
        c.with_app_certificate(DEFAULT_CLIENT_ID, std::fs::read(&cert).unwrap())
    });
    let cfg = config(&t, json!({"signingCertificate": certificate_base64(&cert)}));

    // The callback reports failure.
    let failing = signer(&dir.path().join("app-key.pem"), 42);
    let r = client_with(&cfg, Some(&failing)).unwrap().send(&message());
    assert_error(&r, graph_status::Auth, "SignerFailed");
    assert!(
        r.1["error"]["message"].as_str().unwrap().contains("42"),
        "{}",
        r.1
    );

    // The callback signs with a key that is not the certificate's.
    let wrong = signer(&dir.path().join("other-key.pem"), 0);
    let r = client_with(&cfg, Some(&wrong)).unwrap().send(&message());
    assert_error(&r, graph_status::Auth, "SignerFailed");
    assert!(
        r.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not verify"),
        "{}",
        r.1
    );

    // Neither reached the identity platform nor Graph.
    let stats = t.emulator.stats();
    assert_eq!(stats.token_requests, 0);
    assert_eq!(stats.graph_requests, 0);
    assert!(t.emulator.messages().is_empty());
}

#[test]
fn a_signing_certificate_needs_a_signer_and_valid_base64() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _, _) = make_certificate(dir.path(), "app");
    let t = TestEmulator::start();
    let good = config(&t, json!({"signingCertificate": certificate_base64(&cert)}));
    let s = signer(&dir.path().join("app-key.pem"), 0);

    // Through graph_client_new, nobody can sign.
    let err = FfiClient::new_raw(Some(good.to_string().as_bytes()))
        .err()
        .unwrap();
    assert_error(&err, graph_status::InvalidArgument, "InvalidConfig");
    assert_eq!(err.1["error"]["field"], "signingCertificate");
    assert!(err.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("graph_client_new_with_signer"));

    // A NULL callback.
    let err = client_with(&good, None).err().unwrap();
    assert_error(&err, graph_status::InvalidArgument, "NullArgument");
    assert_eq!(err.1["error"]["field"], "sign");

    // Not base64, not a certificate, not a string, another credential beside it.
    for bad in [
        json!({"signingCertificate": "%%% not base64"}),
        json!({"signingCertificate": "aGVsbG8="}),
        json!({"signingCertificate": 42}),
        json!({"signingCertificate": []}),
    ] {
        let err = client_with(&config(&t, bad.clone()), Some(&s))
            .err()
            .unwrap();
        assert_error(&err, graph_status::InvalidArgument, "InvalidConfig");
        assert_eq!(err.1["error"]["field"], "signingCertificate", "{bad}");
    }
    let mut both = good.clone();
    both["clientSecret"] = json!("x");
    let err = client_with(&both, Some(&s)).err().unwrap();
    assert_error(&err, graph_status::InvalidArgument, "InvalidConfig");

    // A signer without a signing certificate.
    let err = client_with(&t.config(), Some(&s)).err().unwrap();
    assert_error(&err, graph_status::InvalidArgument, "MissingSetting");
    assert_eq!(s.calls.load(Ordering::SeqCst), 0);
    assert_eq!(t.emulator.stats().token_requests, 0);
}
