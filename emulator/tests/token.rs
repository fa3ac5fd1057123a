//! The emulated token endpoint: success (secret in the body and in a Basic header), every
//! documented error, and OpenID discovery.

mod common;

use common::{assert_aad_error, basic_auth, Harness, GRAPH_SCOPE};
use graphmail_emulator::{Stats, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID};
use reqwest::StatusCode;

fn form<'a>(overrides: &[(&'a str, Option<&'a str>)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("grant_type", "client_credentials"),
        ("client_id", DEFAULT_CLIENT_ID),
        ("client_secret", DEFAULT_CLIENT_SECRET),
        ("scope", GRAPH_SCOPE),
    ];
    for (name, value) in overrides {
        fields.retain(|(n, _)| n != name);
        if let Some(value) = value {
            fields.push((name, value));
        }
    }
    fields
}

#[tokio::test]
async fn client_secret_in_body_gets_a_bearer_token() {
    let h = Harness::start();
    let reply = h.token_request(&form(&[])).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(reply.header("request-id").is_some());
    assert!(reply.header("client-request-id").is_some());
    assert_eq!(reply.json["token_type"], "Bearer");
    assert_eq!(reply.json["expires_in"], 3599);
    assert_eq!(reply.json["ext_expires_in"], 3599);
    let token = reply.json["access_token"].as_str().expect("token");
    assert!(token.len() >= 40);
    assert_ne!(token, h.token().await, "tokens are random");
    assert_eq!(
        h.emu.stats(),
        Stats {
            requests: 2,
            token_requests: 2,

            client_credentials_requests: 2,
            graph_requests: 0,
            accepted_messages: 0,
            rejected_requests: 0,
            http2_requests: 2,
            connections: 1,
            ..Stats::default()
        }
    );
}

#[tokio::test]
async fn client_secret_in_basic_header_is_form_decoded() {
    let secret = "p@ss word+/=&%~é";
    let h = Harness::start_with(|c| c.with_app("0a1b2c3d-0000-4000-8000-00000000abcd", secret));
    let reply = h
        .token_request_with(
            &[("grant_type", "client_credentials"), ("scope", GRAPH_SCOPE)],
            |r| {
                r.header(
                    "authorization",
                    basic_auth("0a1b2c3d-0000-4000-8000-00000000abcd", secret),
                )
            },
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);

    // The raw (not form-encoded) secret in the Basic header is a different secret.
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .encode(format!("0a1b2c3d-0000-4000-8000-00000000abcd:{secret}"));
    let reply = h
        .token_request_with(
            &[("grant_type", "client_credentials"), ("scope", GRAPH_SCOPE)],
            |r| r.header("authorization", format!("Basic {raw}")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.json);
    assert_eq!(reply.json["error_codes"][0], 7000215);
}

#[tokio::test]
async fn unknown_tenant() {
    let h = Harness::start();
    let reply = common::Reply::from(
        h.client
            .post(h.url("/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .expect("send"),
    )
    .await;
    let text = assert_aad_error(&reply, 400, "invalid_request", 90002);
    assert!(
        text.starts_with("Tenant '00000000-0000-0000-0000-000000000000' not found."),
        "{text}"
    );
}

#[tokio::test]
async fn unsupported_grant_type() {
    let h = Harness::start();
    let reply = h
        .token_request(&form(&[("grant_type", Some("password"))]))
        .await;
    assert_aad_error(&reply, 400, "unsupported_grant_type", 70003);
}

#[tokio::test]
async fn unknown_client_id() {
    let h = Harness::start();
    let reply = h
        .token_request(&form(&[(
            "client_id",
            Some("99999999-9999-4999-8999-999999999999"),
        )]))
        .await;
    let text = assert_aad_error(&reply, 400, "unauthorized_client", 700016);
    assert!(text.starts_with(&format!(
        "Application with identifier '99999999-9999-4999-8999-999999999999' was not found in the directory '{DEFAULT_TENANT_ID}'."
    )), "{text}");
}

#[tokio::test]
async fn missing_secret() {
    let h = Harness::start();
    let reply = h.token_request(&form(&[("client_secret", None)])).await;
    let text = assert_aad_error(&reply, 401, "invalid_client", 7000218);
    assert_eq!(
        text,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
    );
}

#[tokio::test]
async fn wrong_secret_is_rejected_and_never_echoed() {
    let h = Harness::start();
    let wrong = "Wr0ng-Secret-Value-7781";
    let reply = h
        .token_request(&form(&[("client_secret", Some(wrong))]))
        .await;
    let text = assert_aad_error(&reply, 401, "invalid_client", 7000215);
    assert_eq!(
        text,
        format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{DEFAULT_CLIENT_ID}'.")
    );
    assert!(!String::from_utf8_lossy(&reply.body).contains(wrong));
    assert!(!format!("{:?}", reply.headers).contains(wrong));
    // Nothing written to the data folder mentions it either.
    for entry in walk(h.dir.path()) {
        let content = std::fs::read(&entry).expect("read");
        assert!(
            !String::from_utf8_lossy(&content).contains(wrong),
            "{}",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn scope_must_be_one_graph_default_scope() {
    let h = Harness::start();
    let own = format!("{}/.default", h.emu.base_url());
    for ok in [
        "https://graph.microsoft.com/.default",
        "https://graph.microsoft.us/.default",
        "https://dod-graph.microsoft.us/.default",
        "https://microsoftgraph.chinacloudapi.cn/.default",
        own.as_str(),
    ] {
        let reply = h.token_request(&form(&[("scope", Some(ok))])).await;
        assert_eq!(reply.status, StatusCode::OK, "{ok}: {}", reply.json);
    }
    for bad in [
        "https://graph.microsoft.com/Mail.Send",
        "https://evil.example/.default",
        "https://graph.microsoft.com/.default https://graph.microsoft.us/.default",
        "openid",
    ] {
        let reply = h.token_request(&form(&[("scope", Some(bad))])).await;
        assert_aad_error(&reply, 400, "invalid_scope", 70011);
    }
    let reply = h.token_request(&form(&[("scope", None)])).await;
    assert_aad_error(&reply, 400, "invalid_scope", 70011);
}

#[tokio::test]
async fn correlation_id_echoes_client_request_id() {
    let h = Harness::start();
    let id = "5f0e4a4c-9d1b-4c84-9f55-0d5f2d1f8b11";
    let reply = h
        .token_request_with(&form(&[("client_secret", Some("x"))]), |r| {
            r.header("client-request-id", id)
        })
        .await;
    assert_aad_error(&reply, 401, "invalid_client", 7000215);
    assert_eq!(reply.json["correlation_id"], id);
    assert_eq!(reply.header("client-request-id"), Some(id));
    assert_eq!(reply.json["trace_id"].as_str(), reply.header("request-id"));
}

#[tokio::test]
async fn every_post_counts_as_a_token_request() {
    let h = Harness::start();
    h.token_request(&form(&[("client_secret", Some("x"))]))
        .await;
    h.token_request(&form(&[("grant_type", Some("password"))]))
        .await;
    h.token().await;
    let get = h
        .get(&format!("/{DEFAULT_TENANT_ID}/oauth2/v2.0/token"), None)
        .await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        h.emu.stats(),
        Stats {
            requests: 4,
            token_requests: 3,

            client_credentials_requests: 2,
            graph_requests: 0,
            accepted_messages: 0,
            rejected_requests: 3,
            http2_requests: 4,
            connections: 1,
            ..Stats::default()
        }
    );
}

#[tokio::test]
async fn openid_configuration_points_back_at_the_emulator() {
    let h = Harness::start();
    let reply = h
        .get(
            &format!("/{DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuration"),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json["token_endpoint"],
        format!("{}/{DEFAULT_TENANT_ID}/oauth2/v2.0/token", h.emu.base_url())
    );
    let unknown = h
        .get("/nope/v2.0/.well-known/openid-configuration", None)
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.json["error_codes"][0], 90002);
}
