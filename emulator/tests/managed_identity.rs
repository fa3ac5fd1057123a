//! Managed identity endpoints: IMDS, App Service and Azure Arc (with its key file challenge),
//! their tokens on Graph, every rejection, and the counters.

mod common;

use common::{simple_mail, Harness, SENDER};
use graphmail_emulator::{
    ManagedIdentity, Stats, DEFAULT_MANAGED_IDENTITY_CLIENT_ID, DEFAULT_MANAGED_IDENTITY_OBJECT_ID,
    DEFAULT_MANAGED_IDENTITY_RESOURCE_ID,
};
use reqwest::StatusCode;
use serde_json::json;

const GRAPH: &str = "https://graph.microsoft.com";
const UA_CLIENT: &str = "aa11bb22-cc33-4d44-8e55-ff6677889900";
const UA_OBJECT: &str = "bb22cc33-dd44-4e55-9f66-0077889900aa";
const UA_RESOURCE: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mailer";

fn start() -> Harness {
    Harness::start_with(|c| {
        c.with_managed_identity(ManagedIdentity::system_assigned())
            .with_managed_identity(
                ManagedIdentity::user_assigned(UA_CLIENT, UA_OBJECT, UA_RESOURCE)
                    .with_permissions(&["Mail.ReadWrite"]),
            )
            .with_identity_header("identity-header-secret")
    })
}

fn imds_path(query: &str) -> String {
    format!("/metadata/identity/oauth2/token?api-version=2018-02-01&resource={GRAPH}{query}")
}

#[tokio::test]
async fn endpoints_are_off_without_identities() {
    let h = Harness::start();
    for path in [
        "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x",
        "/msi/token?api-version=2019-08-01&resource=x",
        "/arc/metadata/identity/oauth2/token?api-version=2020-06-01&resource=x",
    ] {
        let reply = h.get_with(path, &[("Metadata", "true")]).await;
        reply.assert_graph_error(404, "ResourceNotFound");
    }
    assert_eq!(h.emu.stats().managed_identity_requests, 0);
    assert_eq!(h.emu.stats().token_requests, 0);
}

#[tokio::test]
async fn imds_token_with_string_numbers_sends_mail() {
    let h = start();
    assert_eq!(
        h.emu.imds_endpoint(),
        format!("{}/metadata/identity/oauth2/token", h.emu.base_url())
    );
    let reply = h.get_with(&imds_path(""), &[("Metadata", "true")]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let j = &reply.json;
    assert_eq!(j["expires_in"], "3599");
    assert_eq!(j["ext_expires_in"], "3599");
    assert_eq!(j["refresh_token"], "");
    assert_eq!(j["resource"], GRAPH);
    assert_eq!(j["token_type"], "Bearer");
    assert_eq!(j["client_id"], DEFAULT_MANAGED_IDENTITY_CLIENT_ID);
    let expires_on: i64 = j["expires_on"]
        .as_str()
        .expect("string")
        .parse()
        .expect("epoch");
    let not_before: i64 = j["not_before"]
        .as_str()
        .expect("string")
        .parse()
        .expect("epoch");
    assert_eq!(expires_on - not_before, 3599);
    let token = j["access_token"].as_str().expect("token");
    let sent = h.send(token, SENDER, &simple_mail("ops@example.com")).await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.json);
    assert_eq!(
        h.emu.messages()[0].client_id,
        DEFAULT_MANAGED_IDENTITY_CLIENT_ID
    );
    // Trailing slash on the resource is fine.
    let slash = h
        .get_with(
            "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fgraph.microsoft.com%2F",
            &[("Metadata", "true")],
        )
        .await;
    assert_eq!(slash.status, StatusCode::OK, "{}", slash.json);
    assert_eq!(slash.json["resource"], "https://graph.microsoft.com/");
}

#[tokio::test]
async fn imds_rejections() {
    let h = start();
    let missing = h.get(&imds_path(""), None).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.json,
        json!({"error": "invalid_request", "error_description": "Required metadata header not specified"})
    );
    let upper = h.get_with(&imds_path(""), &[("Metadata", "True")]).await;
    assert_eq!(upper.status, StatusCode::BAD_REQUEST);
    let unknown = h
        .get_with(
            &imds_path("&client_id=99999999-0000-4000-8000-000000000000"),
            &[("Metadata", "true")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.json,
        json!({"error": "invalid_request", "error_description": "Identity not found"})
    );
    // The system-assigned identity's client ID does not select a user-assigned identity.
    let system = h
        .get_with(
            &imds_path(&format!("&client_id={DEFAULT_MANAGED_IDENTITY_CLIENT_ID}")),
            &[("Metadata", "true")],
        )
        .await;
    assert_eq!(system.json["error_description"], "Identity not found");
    let no_resource = h
        .get_with(
            "/metadata/identity/oauth2/token?api-version=2018-02-01",
            &[("Metadata", "true")],
        )
        .await;
    assert_eq!(no_resource.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        no_resource.json["error_description"],
        "Required audience parameter not specified"
    );
    let no_version = h
        .get_with(
            &format!("/metadata/identity/oauth2/token?resource={GRAPH}"),
            &[("Metadata", "true")],
        )
        .await;
    assert_eq!(no_version.status, StatusCode::BAD_REQUEST);
    for resource in [
        "https://management.azure.com/",
        "https://graph.microsoft.com/.default",
    ] {
        let bad = h
            .get_with(
                &format!(
                    "/metadata/identity/oauth2/token?api-version=2018-02-01&resource={resource}"
                ),
                &[("Metadata", "true")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.json["error"], "invalid_resource");
        let description = bad.json["error_description"].as_str().expect("text");
        assert!(description.starts_with("AADSTS500011: "), "{description}");
    }
    let two = h
        .get_with(
            &imds_path(&format!("&client_id={UA_CLIENT}&object_id={UA_OBJECT}")),
            &[("Metadata", "true")],
        )
        .await;
    assert_eq!(two.status, StatusCode::BAD_REQUEST);
    let post = h
        .call(reqwest::Method::POST, &imds_path(""), None, None)
        .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn user_assigned_identity_by_each_selector() {
    let h = start();
    let encoded_resource: String =
        form_urlencoded::byte_serialize(UA_RESOURCE.as_bytes()).collect();
    for query in [
        format!("&client_id={UA_CLIENT}"),
        format!("&object_id={}", UA_OBJECT.to_uppercase()),
        format!("&msi_res_id={encoded_resource}"),
    ] {
        let reply = h
            .get_with(&imds_path(&query), &[("Metadata", "true")])
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.json);
        assert_eq!(reply.json["client_id"], UA_CLIENT);
        // This identity has Mail.ReadWrite only: sendMail is forbidden.
        let token = reply.json["access_token"].as_str().expect("token");
        let sent = h.send(token, SENDER, &simple_mail("ops@example.com")).await;
        sent.assert_graph_error(403, "ErrorAccessDenied");
    }
}

#[tokio::test]
async fn app_service_endpoint() {
    let h = start();
    assert_eq!(
        h.emu.app_service_endpoint(),
        format!("{}/msi/token", h.emu.base_url())
    );
    assert_eq!(h.emu.app_service_header(), "identity-header-secret");
    let path = format!("/msi/token?api-version=2019-08-01&resource={GRAPH}");
    let reply = h
        .get_with(&path, &[("X-IDENTITY-HEADER", "identity-header-secret")])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let j = &reply.json;
    let keys: Vec<&str> = j
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5, "{j}");
    assert!(j["expires_on"]
        .as_str()
        .expect("string")
        .parse::<i64>()
        .is_ok());
    assert_eq!(j["resource"], GRAPH);
    assert_eq!(j["token_type"], "Bearer");
    assert_eq!(j["client_id"], DEFAULT_MANAGED_IDENTITY_CLIENT_ID);
    let token = j["access_token"].as_str().expect("token");
    let sent = h.send(token, SENDER, &simple_mail("ops@example.com")).await;
    assert_eq!(sent.status, StatusCode::ACCEPTED);

    for headers in [vec![], vec![("X-IDENTITY-HEADER", "wrong")]] {
        let denied = h.get_with(&path, &headers).await;
        assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
        assert_eq!(denied.json["statusCode"], 401);
        assert!(denied.json["message"].is_string());
    }
    for query in [
        format!("&principal_id={UA_OBJECT}"),
        format!("&client_id={UA_CLIENT}"),
        format!(
            "&mi_res_id={}",
            form_urlencoded::byte_serialize(UA_RESOURCE.as_bytes()).collect::<String>()
        ),
    ] {
        let reply = h
            .get_with(
                &format!("{path}{query}"),
                &[("X-IDENTITY-HEADER", "identity-header-secret")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.json);
        assert_eq!(reply.json["client_id"], UA_CLIENT);
    }
    let unknown = h
        .get_with(
            &format!("{path}&client_id=nobody"),
            &[("X-IDENTITY-HEADER", "identity-header-secret")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.json["statusCode"], 400);
    let bad_resource = h
        .get_with(
            "/msi/token?api-version=2019-08-01&resource=https://vault.azure.net",
            &[("X-IDENTITY-HEADER", "identity-header-secret")],
        )
        .await;
    assert_eq!(bad_resource.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(bad_resource.json["statusCode"], 500);
}

#[tokio::test]
async fn azure_arc_challenge_and_token() {
    let h = start();
    assert_eq!(
        h.emu.arc_endpoint(),
        format!("{}/arc/metadata/identity/oauth2/token", h.emu.base_url())
    );
    assert_eq!(
        h.emu.arc_imds_endpoint(),
        format!("{}/arc", h.emu.base_url())
    );
    assert_eq!(h.emu.arc_key_dir(), h.emu.data_dir().join("arc-tokens"));
    let path =
        format!("/arc/metadata/identity/oauth2/token?api-version=2020-06-01&resource={GRAPH}");
    let challenge = h.get_with(&path, &[("Metadata", "true")]).await;
    assert_eq!(challenge.status, StatusCode::UNAUTHORIZED);
    let realm = challenge
        .header("www-authenticate")
        .and_then(|v| v.strip_prefix("Basic realm="))
        .expect("Basic realm")
        .to_string();
    let key_file = std::path::PathBuf::from(&realm);
    assert!(key_file.is_absolute(), "{realm}");
    assert_eq!(key_file.parent(), Some(h.emu.arc_key_dir()));
    assert_eq!(key_file.extension().and_then(|e| e.to_str()), Some("key"));
    let key = std::fs::read_to_string(&key_file).expect("key file");
    assert!(key.len() <= 4096);

    let reply = h
        .get_with(
            &path,
            &[
                ("Metadata", "true"),
                ("Authorization", &format!("Basic {key}")),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["expires_in"], "3599");
    assert_eq!(reply.json["client_id"], DEFAULT_MANAGED_IDENTITY_CLIENT_ID);
    let token = reply.json["access_token"].as_str().expect("token");
    assert_eq!(
        h.send(token, SENDER, &simple_mail("ops@example.com"))
            .await
            .status,
        StatusCode::ACCEPTED
    );

    let wrong = h
        .get_with(
            &path,
            &[("Metadata", "true"), ("Authorization", "Basic not-the-key")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.header("www-authenticate").is_none());
    let no_metadata = h
        .get_with(&path, &[("Authorization", &format!("Basic {key}"))])
        .await;
    assert_eq!(no_metadata.status, StatusCode::BAD_REQUEST);
    let user_assigned = h
        .get_with(
            &format!("{path}&client_id={UA_CLIENT}"),
            &[("Metadata", "true")],
        )
        .await;
    assert_eq!(user_assigned.status, StatusCode::BAD_REQUEST);
    assert!(user_assigned.json["error_description"]
        .as_str()
        .expect("text")
        .contains("not supported by Azure Arc"));
}

#[tokio::test]
async fn arc_without_a_system_assigned_identity() {
    let h = Harness::start_with(|c| {
        c.with_managed_identity(ManagedIdentity::user_assigned(
            UA_CLIENT,
            UA_OBJECT,
            UA_RESOURCE,
        ))
    });
    let path =
        format!("/arc/metadata/identity/oauth2/token?api-version=2020-06-01&resource={GRAPH}");
    let challenge = h.get_with(&path, &[("Metadata", "true")]).await;
    let realm = challenge
        .header("www-authenticate")
        .expect("challenge")
        .to_string();
    let key = std::fs::read_to_string(realm.trim_start_matches("Basic realm=")).expect("key");
    let reply = h
        .get_with(
            &path,
            &[
                ("Metadata", "true"),
                ("Authorization", &format!("Basic {key}")),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json["error_description"], "Identity not found");
}

#[tokio::test]
async fn managed_identity_requests_are_counted() {
    let h = start();
    h.get_with(&imds_path(""), &[("Metadata", "true")]).await; // 200
    h.get(&imds_path(""), None).await; // 400
    h.get_with("/msi/token?api-version=2019-08-01&resource=x", &[])
        .await; // 401
    let arc =
        format!("/arc/metadata/identity/oauth2/token?api-version=2020-06-01&resource={GRAPH}");
    h.get_with(&arc, &[("Metadata", "true")]).await; // 401 challenge
    assert_eq!(
        h.emu.stats(),
        Stats {
            requests: 4,
            token_requests: 4,
            managed_identity_requests: 4,
            rejected_requests: 3,
            http2_requests: 4,
            connections: 1,
            ..Stats::default()
        }
    );
}

#[test]
fn identity_configuration_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let start = |config: graphmail_emulator::EmulatorConfig| {
        graphmail_emulator::Emulator::start(config)
            .expect_err("invalid")
            .to_string()
    };
    let base = || graphmail_emulator::EmulatorConfig::new(dir.path());
    let two_system = start(
        base()
            .with_managed_identity(ManagedIdentity::system_assigned())
            .with_managed_identity(ManagedIdentity {
                client_id: "other".into(),
                object_id: "other".into(),
                resource_id: "other".into(),
                ..ManagedIdentity::default()
            }),
    );
    assert!(
        two_system.contains("more than one system-assigned"),
        "{two_system}"
    );
    let clash = start(
        base()
            .with_managed_identity(ManagedIdentity::user_assigned(
                "a",
                DEFAULT_MANAGED_IDENTITY_OBJECT_ID,
                "r",
            ))
            .with_managed_identity(ManagedIdentity::system_assigned()),
    );
    assert!(clash.contains("shares an ID"), "{clash}");
    let tenant =
        start(base().with_managed_identity(ManagedIdentity::default().with_tenant("nope")));
    assert!(tenant.contains("tenant nope"), "{tenant}");
    assert!(!DEFAULT_MANAGED_IDENTITY_RESOURCE_ID.is_empty());
}
