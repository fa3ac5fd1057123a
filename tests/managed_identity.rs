//! Managed identity through the C ABI, with the emulator standing in for each Azure host: the
//! library is pointed at it with the same environment variables the real services set (IMDS:
//! AZURE_POD_IDENTITY_AUTHORITY_HOST; App Service: IDENTITY_ENDPOINT + IDENTITY_HEADER; Arc:
//! IDENTITY_ENDPOINT + IMDS_ENDPOINT). Alone in its own file (process): it changes the
//! environment, one host after another.

mod support;

use graphmail::ffi::graph_status;
use graphmail_emulator::ManagedIdentity;
use serde_json::{json, Value};
use support::{assert_error, FfiClient, TestEmulator};

const VARS: &[&str] = &[
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IMDS_ENDPOINT",
    "GRAPHMAIL_ARC_KEY_DIR",
];

fn only(vars: &[(&str, String)]) {
    for v in VARS {
        std::env::remove_var(v);
    }
    for (k, v) in vars {
        std::env::set_var(k, v);
    }
}

fn config(t: &TestEmulator, identity: Value) -> Value {
    json!({
        "managedIdentity": identity,
        "graphEndpoint": t.emulator.base_url(),
        "caCertificatePath": t.emulator.ca_certificate_path(),
        "timeoutSeconds": 10,
    })
}

fn send(t: &TestEmulator, identity: Value) -> (graph_status, Value) {
    FfiClient::new(&config(t, identity))
        .send(&json!({"from": "alerts@contoso.test", "to": "ops@fabrikam.test"}))
}

#[test]
fn every_azure_host_gives_a_token() {
    let user = ManagedIdentity::user_assigned(
        "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
        "obj-7",
        "/subscriptions/x/uami-7",
    );
    let t = TestEmulator::start_with(|c| {
        c.with_managed_identity(ManagedIdentity::system_assigned())
            .with_managed_identity(user.clone())
    });
    let base = t.emulator.base_url();

    // Azure VM: IMDS.
    only(&[("AZURE_POD_IDENTITY_AUTHORITY_HOST", base.clone())]);
    assert_eq!(send(&t, json!(true)).0, graph_status::Ok);
    assert_eq!(
        send(&t, json!({"clientId": user.client_id})).0,
        graph_status::Ok
    );
    assert_eq!(
        send(&t, json!({"objectId": user.object_id})).0,
        graph_status::Ok
    );
    assert_eq!(
        send(&t, json!({"resourceId": user.resource_id})).0,
        graph_status::Ok
    );
    let r = send(
        &t,
        json!({"clientId": "00000000-dead-beef-0000-000000000000"}),
    );
    assert_error(&r, graph_status::Auth, "ManagedIdentityUnavailable");

    // App Service / Functions.
    only(&[
        ("IDENTITY_ENDPOINT", t.emulator.app_service_endpoint()),
        (
            "IDENTITY_HEADER",
            t.emulator.app_service_header().to_string(),
        ),
    ]);
    assert_eq!(send(&t, json!(true)).0, graph_status::Ok);
    assert_eq!(
        send(&t, json!({"clientId": user.client_id})).0,
        graph_status::Ok
    );
    only(&[
        ("IDENTITY_ENDPOINT", t.emulator.app_service_endpoint()),
        ("IDENTITY_HEADER", "wrong".into()),
    ]);
    assert_error(
        &send(&t, json!(true)),
        graph_status::Auth,
        "ManagedIdentityUnavailable",
    );

    // Azure Arc: the key-file challenge.
    only(&[
        ("IDENTITY_ENDPOINT", t.emulator.arc_endpoint()),
        ("IMDS_ENDPOINT", base.clone()),
        (
            "GRAPHMAIL_ARC_KEY_DIR",
            t.emulator.arc_key_dir().display().to_string(),
        ),
    ]);
    let (status, r) = send(&t, json!(true));
    assert_eq!(status, graph_status::Ok, "{r}");
    // A challenge pointing outside the agent's key folder is refused.
    let elsewhere = tempfile::tempdir().unwrap();
    only(&[
        ("IDENTITY_ENDPOINT", t.emulator.arc_endpoint()),
        ("IMDS_ENDPOINT", base.clone()),
        (
            "GRAPHMAIL_ARC_KEY_DIR",
            elsewhere.path().display().to_string(),
        ),
    ]);
    assert_error(
        &send(&t, json!(true)),
        graph_status::Auth,
        "AuthenticationFailed",
    );

    assert_eq!(t.emulator.messages().len(), 7);
    assert!(t.emulator.stats().managed_identity_requests >= 7);
}
