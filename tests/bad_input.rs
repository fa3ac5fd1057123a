//! Bad input through the C ABI gets a clear error with a stable code, and nothing reaches the
//! emulator: not a token request, not a Graph request.

mod support;

use graphmail::ffi::{
    graph_acquire_token, graph_client_new, graph_send_mail, graph_send_mail_start,
    graph_send_progress, graph_send_wait, graph_status,
};
use serde_json::{json, Value};
use support::{assert_error, FfiClient, TestEmulator};

fn good() -> Value {
    json!({"from": "alerts@contoso.test", "to": "ops@fabrikam.test", "subject": "s", "body": "b"})
}

fn with(key: &str, value: Value) -> Value {
    let mut m = good();
    m[key] = value;
    m
}

#[test]
fn bad_messages_are_refused_before_any_request() {
    let t = TestEmulator::start();
    let client = FfiClient::new(&t.config());
    let big = t.dir.path().join("big.bin");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(150 * 1024 * 1024 + 1)
        .unwrap();
    let mut no_from = good();
    no_from.as_object_mut().unwrap().remove("from");
    let mut no_to = good();
    no_to.as_object_mut().unwrap().remove("to");
    let six_headers: serde_json::Map<String, Value> =
        (0..6).map(|i| (format!("X-H{i}"), json!("v"))).collect();
    let many: Vec<String> = (0..501).map(|i| format!("user{i}@fabrikam.test")).collect();

    let cases: Vec<(&str, Value, &str)> = vec![
        ("missing from", no_from, "MissingFrom"),
        ("missing to", no_to, "MissingRecipient"),
        (
            "bad from",
            with("from", json!("alerts at contoso")),
            "InvalidAddress",
        ),
        (
            "bad to",
            with("to", json!(["ok@fabrikam.test", "broken@"])),
            "InvalidAddress",
        ),
        (
            "bad cc",
            with("cc", json!("Name <no-at-sign>")),
            "InvalidAddress",
        ),
        (
            "bad replyTo",
            with("replyTo", json!("a@b")),
            "InvalidAddress",
        ),
        (
            "non x- header",
            with("headers", json!({"Subject": "x"})),
            "InvalidHeader",
        ),
        (
            "header injection",
            with("headers", json!({"X-A": "v\r\nBcc: evil@x.test"})),
            "InvalidHeader",
        ),
        (
            "6 headers",
            with("headers", Value::Object(six_headers)),
            "TooManyHeaders",
        ),
        (
            "501 recipients",
            with("to", json!(many)),
            "TooManyRecipients",
        ),
        (
            "missing attachment",
            with("attachments", json!(["/definitely/not/here.pdf"])),
            "AttachmentNotFound",
        ),
        (
            "attachment over Graph's 150 MB limit",
            with("attachments", json!([big])),
            "AttachmentTooLarge",
        ),
        (
            "unknown key",
            with("toRecipients", json!("x@fabrikam.test")),
            "InvalidMessage",
        ),
        (
            "wrong type",
            with("bodyAsHtml", json!("yes")),
            "InvalidMessage",
        ),
        (
            "bad priority",
            with("priority", json!("Urgent")),
            "InvalidPriority",
        ),
        (
            "bad delivery option",
            with("deliveryNotificationOption", json!("Always")),
            "InvalidDeliveryNotificationOption",
        ),
        ("not an object", json!(["from", "to"]), "InvalidMessage"),
    ];
    for (name, message, code) in &cases {
        let r = client.send(message);
        let status = if code.starts_with("Attachment") && *code != "AttachmentTooLarge" {
            graph_status::Io
        } else {
            graph_status::InvalidArgument
        };
        assert_eq!(r.1["error"]["code"], *code, "case '{name}': {}", r.1);
        assert_error(&r, status, code);
    }

    // Invalid JSON and invalid UTF-8.
    assert_error(
        &client.send_raw(Some(b"{\"from\": ")),
        graph_status::InvalidArgument,
        "InvalidJson",
    );
    assert_error(
        &client.send_raw(Some(b"{\"from\": \"\xff\xfe\"}")),
        graph_status::InvalidArgument,
        "InvalidUtf8",
    );
    // NULL message.
    assert_error(
        &client.send_raw(None),
        graph_status::InvalidArgument,
        "NullArgument",
    );

    assert_eq!(
        t.emulator.stats().requests,
        0,
        "no request may reach the emulator: {:?}",
        t.emulator.stats()
    );
    assert!(t.emulator.messages().is_empty());
}

#[test]
fn null_pointers_are_refused_cleanly() {
    let t = TestEmulator::start();
    // NULL client.
    let mut out = std::ptr::null_mut();
    let msg = std::ffi::CString::new(good().to_string()).unwrap();
    let status = unsafe { graph_send_mail(std::ptr::null_mut(), msg.as_ptr(), &mut out) };
    let err: Value = serde_json::from_str(&support::take(out).unwrap()).unwrap();
    assert_error(
        &(status, err),
        graph_status::InvalidArgument,
        "NullArgument",
    );
    // NULL result pointer: refused, nothing to write, nothing sent.
    let client = FfiClient::new(&t.config());
    let status = unsafe { graph_send_mail(client.0, msg.as_ptr(), std::ptr::null_mut()) };
    assert_eq!(status, graph_status::InvalidArgument);
    let status = unsafe { graph_acquire_token(client.0, std::ptr::null_mut()) };
    assert_eq!(status, graph_status::InvalidArgument);
    let mut out = std::ptr::null_mut();
    let status = unsafe { graph_acquire_token(std::ptr::null_mut(), &mut out) };
    assert_eq!(status, graph_status::InvalidArgument);
    support::take(out);
    // NULL client_out.
    let cfg = std::ffi::CString::new(t.config().to_string()).unwrap();
    let mut err = std::ptr::null_mut();
    let status = unsafe { graph_client_new(cfg.as_ptr(), std::ptr::null_mut(), &mut err) };
    let err: Value = serde_json::from_str(&support::take(err).unwrap()).unwrap();
    assert_error(
        &(status, err),
        graph_status::InvalidArgument,
        "NullArgument",
    );
    // The background-send functions with a NULL operation or client.
    let mut out = std::ptr::null_mut();
    let status = unsafe { graph_send_progress(std::ptr::null_mut(), &mut out) };
    let err: Value = serde_json::from_str(&support::take(out).unwrap()).unwrap();
    assert_error(
        &(status, err),
        graph_status::InvalidArgument,
        "NullArgument",
    );
    let mut out = std::ptr::null_mut();
    let status = unsafe { graph_send_wait(std::ptr::null_mut(), 0, &mut out) };
    let err: Value = serde_json::from_str(&support::take(out).unwrap()).unwrap();
    assert_error(
        &(status, err),
        graph_status::InvalidArgument,
        "NullArgument",
    );
    let (mut op, mut err) = (std::ptr::null_mut(), std::ptr::null_mut());
    let status =
        unsafe { graph_send_mail_start(std::ptr::null_mut(), msg.as_ptr(), &mut op, &mut err) };
    assert!(op.is_null());
    let err: Value = serde_json::from_str(&support::take(err).unwrap()).unwrap();
    assert_error(
        &(status, err),
        graph_status::InvalidArgument,
        "NullArgument",
    );
    assert_eq!(t.emulator.stats().requests, 0);
}

#[test]
fn bad_configurations_are_refused_before_any_request() {
    let t = TestEmulator::start();
    let base = t.config();
    let set = |k: &str, v: Value| {
        let mut c = base.clone();
        c[k] = v;
        c.to_string().into_bytes()
    };
    let cases: Vec<(&str, Vec<u8>, graph_status, &str)> = vec![
        (
            "unknown cloud",
            set("cloud", json!("Mars")),
            graph_status::InvalidArgument,
            "UnknownCloud",
        ),
        (
            "empty secret",
            set("clientSecret", json!("")),
            graph_status::InvalidArgument,
            "MissingSetting",
        ),
        (
            "missing tenant",
            set("tenantId", Value::Null),
            graph_status::InvalidArgument,
            "MissingSetting",
        ),
        (
            "http endpoint",
            set("graphEndpoint", json!("http://127.0.0.1:1")),
            graph_status::InvalidArgument,
            "InvalidConfig",
        ),
        (
            "unknown key",
            set("clientSecrett", json!("x")),
            graph_status::InvalidArgument,
            "InvalidConfig",
        ),
        (
            "bad timeout",
            set("timeoutSeconds", json!(-1)),
            graph_status::InvalidArgument,
            "InvalidConfig",
        ),
        (
            "missing CA file",
            set("caCertificatePath", json!("/no/such/ca.pem")),
            graph_status::Io,
            "FileUnreadable",
        ),
        (
            "invalid JSON",
            b"{\"tenantId\":".to_vec(),
            graph_status::InvalidArgument,
            "InvalidJson",
        ),
        (
            "invalid UTF-8",
            b"{\"tenantId\":\"\xc3\x28\"}".to_vec(),
            graph_status::InvalidArgument,
            "InvalidUtf8",
        ),
    ];
    for (name, config, status, code) in cases {
        let r = FfiClient::new_raw(Some(&config))
            .err()
            .unwrap_or_else(|| panic!("{name} should fail"));
        assert_eq!(r.1["error"]["code"], code, "case '{name}': {}", r.1);
        assert_error(&r, status, code);
        assert!(
            !r.1.to_string().contains("emulator-demo-secret"),
            "no secret in errors"
        );
    }
    assert_eq!(t.emulator.stats().requests, 0);
}
