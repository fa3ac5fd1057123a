//! The default chain, for a configuration without a credential (as azure-identity's
//! DefaultAzureCredential): the environment's credential first, then the managed identity of
//! the Azure host; when none works, one `CredentialUnavailable` error says what each source
//! said. IMDS is always pointed at the emulator or a closed local port here (never at
//! 169.254.169.254). Alone in its own file (process): it changes the environment.

mod support;

use graphmail::ffi::graph_status;
use graphmail_emulator::{
    ManagedIdentity, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID,
};
use serde_json::{json, Value};
use support::{assert_error, free_port, FfiClient, TestEmulator};

const VARS: &[&str] = &[
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IMDS_ENDPOINT",
    "GRAPHMAIL_GRAPH_ENDPOINT",
    "GRAPHMAIL_CA_FILE",
];

fn only(vars: &[(&str, String)]) {
    for v in VARS {
        std::env::remove_var(v);
    }
    for (k, v) in vars {
        std::env::set_var(k, v);
    }
}

/// Where to send, with no credential.
fn connection(t: &TestEmulator) -> Value {
    json!({
        "authorityHost": t.emulator.base_url(),
        "graphEndpoint": t.emulator.base_url(),
        "caCertificatePath": t.emulator.ca_certificate_path(),
        "timeoutSeconds": 10,
    })
}

fn send(config: &Value) -> (graph_status, Value) {
    FfiClient::new(config).send(&json!({"from": "alerts@contoso.test", "to": "ops@fabrikam.test"}))
}

fn message_of(r: &(graph_status, Value)) -> String {
    r.1["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_chain_tries_the_environment_then_managed_identity_and_explains_a_failure() {
    let user = ManagedIdentity::user_assigned(
        "5d6e7f80-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
        "obj-5",
        "/subscriptions/x/uami-5",
    );
    let t = TestEmulator::start_with(|c| {
        c.with_managed_identity(ManagedIdentity::system_assigned())
            .with_managed_identity(user.clone())
    });
    let closed = format!("https://127.0.0.1:{}", free_port());

    // 1. Nothing anywhere: one error naming both sources; nothing reached the emulator.
    only(&[("AZURE_POD_IDENTITY_AUTHORITY_HOST", closed.clone())]);
    let r = send(&connection(&t));
    assert_error(&r, graph_status::Auth, "CredentialUnavailable");
    let m = message_of(&r);
    assert!(
        m.contains("Environment: none of AZURE_CLIENT_SECRET"),
        "{m}"
    );
    assert!(
        m.contains("Managed identity: the instance metadata service at 127.0.0.1"),
        "{m}"
    );
    // NULL configuration: the same chain.
    let client = FfiClient::new_raw(None).expect("a NULL configuration is accepted");
    assert_error(&client.token(), graph_status::Auth, "CredentialUnavailable");
    assert_eq!(t.emulator.stats().requests, 0);

    // 2. The environment's secret comes first (tenant and client from the JSON or the env).
    only(&[
        ("AZURE_POD_IDENTITY_AUTHORITY_HOST", t.emulator.base_url()),
        ("AZURE_TENANT_ID", DEFAULT_TENANT_ID.into()),
        ("AZURE_CLIENT_ID", DEFAULT_CLIENT_ID.into()),
        ("AZURE_CLIENT_SECRET", DEFAULT_CLIENT_SECRET.into()),
    ]);
    assert_eq!(send(&connection(&t)).0, graph_status::Ok);
    let mut with_ids = connection(&t);
    with_ids["tenantId"] = json!(DEFAULT_TENANT_ID);
    with_ids["clientId"] = json!(DEFAULT_CLIENT_ID);
    assert_eq!(send(&with_ids).0, graph_status::Ok);
    let s = t.emulator.stats();
    assert_eq!(
        (s.token_requests, s.managed_identity_requests),
        (2, 0),
        "{s:?}"
    );

    // 3. A secret without a tenant is not a usable environment credential: on to IMDS.
    only(&[
        ("AZURE_POD_IDENTITY_AUTHORITY_HOST", t.emulator.base_url()),
        ("AZURE_CLIENT_SECRET", DEFAULT_CLIENT_SECRET.into()),
    ]);
    let (status, r) = send(&connection(&t));
    assert_eq!(status, graph_status::Ok, "{r}");
    assert!(t.emulator.stats().managed_identity_requests >= 1);

    // 4. AZURE_CLIENT_ID alone picks a user-assigned identity; an unknown one fails with
    //    both sources named.
    only(&[
        ("AZURE_POD_IDENTITY_AUTHORITY_HOST", t.emulator.base_url()),
        ("AZURE_CLIENT_ID", user.client_id.clone()),
    ]);
    let (status, r) = send(&connection(&t));
    assert_eq!(status, graph_status::Ok, "{r}");
    only(&[
        ("AZURE_POD_IDENTITY_AUTHORITY_HOST", t.emulator.base_url()),
        (
            "AZURE_CLIENT_ID",
            "00000000-dead-beef-0000-000000000000".into(),
        ),
    ]);
    let r = send(&connection(&t));
    assert_error(&r, graph_status::Auth, "CredentialUnavailable");
    let m = message_of(&r);
    assert!(
        m.contains("Environment: ") && m.contains("Managed identity: "),
        "{m}"
    );

    // 5. App Service variables are used without a probe.
    only(&[
        ("IDENTITY_ENDPOINT", t.emulator.app_service_endpoint()),
        (
            "IDENTITY_HEADER",
            t.emulator.app_service_header().to_string(),
        ),
    ]);
    let (status, r) = send(&connection(&t));
    assert_eq!(status, graph_status::Ok, "{r}");

    // A companion key without its credential is refused, not silently ignored.
    let mut stray = connection(&t);
    stray["certificatePassword"] = json!("x");
    let err = FfiClient::new_raw(Some(stray.to_string().as_bytes()))
        .err()
        .unwrap();
    assert_error(&err, graph_status::InvalidArgument, "InvalidConfig");
    assert_eq!(err.1["error"]["field"], "certificatePassword");

    assert_eq!(t.emulator.messages().len(), 5);
}
