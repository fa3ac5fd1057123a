//! The device code flow: starting a sign-in, polling (pending, slow_down, declined, expired,
//! approved), approval by a test or the `/devicelogin` page, consent, and client rules.

mod common;

use common::{assert_aad_error, Harness};
use graphmail_emulator::{
    DeviceCodeBehaviour, Emulator, EmulatorConfig, DEFAULT_CLIENT_ID, DEFAULT_TENANT_ID,
};
use reqwest::StatusCode;
use serde_json::Value;

const PUBLIC_APP: &str = "c0ffee00-1111-4222-8333-444455556666";
const USER: &str = "reports@contoso.test";
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn start(behaviour: DeviceCodeBehaviour) -> Harness {
    Harness::start_with(|c| {
        c.with_public_client(PUBLIC_APP)
            .with_user(USER)
            .with_device_code_interval(0)
            .with_device_code_behaviour(behaviour)
    })
}

fn devicecode_path() -> String {
    format!("/{DEFAULT_TENANT_ID}/oauth2/v2.0/devicecode")
}

async fn begin(h: &Harness, scope: &str) -> Value {
    let reply = h
        .post_form(
            &devicecode_path(),
            &[("client_id", PUBLIC_APP), ("scope", scope)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json
}

async fn poll(h: &Harness, device_code: &str) -> common::Reply {
    h.token_request(&[
        ("grant_type", DEVICE_CODE_GRANT),
        ("client_id", PUBLIC_APP),
        ("device_code", device_code),
    ])
    .await
}

fn code(started: &Value) -> String {
    started["device_code"]
        .as_str()
        .expect("device_code")
        .to_string()
}

#[tokio::test]
async fn approved_after_polls_with_a_refresh_token() {
    let h = start(DeviceCodeBehaviour::ApproveAfterPolls {
        polls: 2,
        user: USER.into(),
    });
    let started = begin(
        &h,
        "https://graph.microsoft.com/Mail.Send offline_access openid profile",
    )
    .await;
    let user_code = started["user_code"].as_str().expect("user_code");
    assert_eq!(user_code.len(), 9);
    assert_eq!(
        started["verification_uri"],
        format!("{}/devicelogin", h.emu.base_url())
    );
    assert_eq!(started["expires_in"], 900);
    assert_eq!(started["interval"], 0);
    let message = started["message"].as_str().expect("message");
    assert!(
        message.contains(user_code) && message.contains("/devicelogin"),
        "{message}"
    );
    assert_eq!(h.emu.pending_user_codes(), vec![user_code.to_string()]);

    let device_code = code(&started);
    for _ in 0..2 {
        let text = assert_aad_error(
            &poll(&h, &device_code).await,
            400,
            "authorization_pending",
            70016,
        );
        assert!(text.contains("Authorization is pending"), "{text}");
    }
    let reply = poll(&h, &device_code).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.header("cache-control"), Some("no-store, no-cache"));
    let j = &reply.json;
    assert_eq!(j["token_type"], "Bearer");
    assert_eq!(j["scope"], "Mail.Send openid profile");
    assert_eq!(j["expires_in"], 3599);
    assert!(j["access_token"].is_string());
    assert!(j["refresh_token"].as_str().is_some_and(|t| !t.is_empty()));
    // The code is used up.
    assert_aad_error(&poll(&h, &device_code).await, 400, "invalid_grant", 54005);
    let stats = h.emu.stats();
    assert_eq!(stats.device_code_requests, 1);
    assert_eq!(stats.device_code_polls, 4);
    assert_eq!(stats.token_requests, 4);
}

#[tokio::test]
async fn no_refresh_token_without_offline_access() {
    let h = start(DeviceCodeBehaviour::ApproveAfterPolls {
        polls: 0,
        user: USER.into(),
    });
    let started = begin(&h, "Mail.Send").await;
    let reply = poll(&h, &code(&started)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert!(reply.json.get("refresh_token").is_none());
    assert_eq!(reply.json["scope"], "Mail.Send");
}

#[tokio::test]
async fn declined_expired_and_slow_down() {
    let h = start(DeviceCodeBehaviour::Decline);
    let started = begin(&h, "Mail.Send").await;
    assert_aad_error(
        &poll(&h, &code(&started)).await,
        400,
        "authorization_declined",
        65004,
    );

    let h = start(DeviceCodeBehaviour::Expire);
    let started = begin(&h, "Mail.Send").await;
    let text = assert_aad_error(
        &poll(&h, &code(&started)).await,
        400,
        "expired_token",
        70019,
    );
    assert_eq!(text, "Verification code expired.");
    assert!(!h
        .emu
        .approve_device_code(started["user_code"].as_str().expect("code"), USER));

    let h = start(DeviceCodeBehaviour::SlowDownOnce);
    let started = begin(&h, "Mail.Send").await;
    assert_aad_error(&poll(&h, &code(&started)).await, 400, "slow_down", 70016);
    assert_eq!(poll(&h, &code(&started)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_short_lifetime_expires_the_code() {
    let h = Harness::start_with(|c| {
        c.with_public_client(PUBLIC_APP)
            .with_user(USER)
            .with_device_code_lifetime(std::time::Duration::ZERO)
    });
    let started = begin(&h, "Mail.Send").await;
    assert_eq!(started["expires_in"], 0);
    assert_eq!(started["interval"], 5, "the default interval");
    assert_aad_error(
        &poll(&h, &code(&started)).await,
        400,
        "expired_token",
        70019,
    );
}

#[tokio::test]
async fn manual_approval_by_the_test() {
    let h = start(DeviceCodeBehaviour::Manual);
    let started = begin(&h, "Mail.Send").await;
    let user_code = started["user_code"].as_str().expect("code");
    assert_aad_error(
        &poll(&h, &code(&started)).await,
        400,
        "authorization_pending",
        70016,
    );
    assert!(!h
        .emu
        .approve_device_code(user_code, "stranger@contoso.test"));
    assert!(!h.emu.approve_device_code("NOTACODE1", USER));
    assert!(h
        .emu
        .approve_device_code(&user_code.to_lowercase(), &USER.to_uppercase()));
    assert!(h.emu.pending_user_codes().is_empty());
    assert_eq!(poll(&h, &code(&started)).await.status, StatusCode::OK);

    let second = begin(&h, "Mail.Send").await;
    assert!(h
        .emu
        .decline_device_code(second["user_code"].as_str().expect("code")));
    assert_aad_error(
        &poll(&h, &code(&second)).await,
        400,
        "authorization_declined",
        65004,
    );
}

#[tokio::test]
async fn approval_on_the_devicelogin_page() {
    let h = start(DeviceCodeBehaviour::Manual);
    let page = h.get("/devicelogin", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = String::from_utf8_lossy(&page.body).to_string();
    assert!(html.contains("<form") && html.contains(USER), "{html}");
    let started = begin(&h, "Mail.Send").await;
    let user_code = started["user_code"].as_str().expect("code");
    let wrong = h
        .post_form("/devicelogin", &[("user_code", "WRONG"), ("upn", USER)])
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let ok = h
        .post_form("/devicelogin", &[("user_code", user_code), ("upn", USER)])
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&ok.body).contains(&format!("Signed in as {USER}")));
    assert_eq!(poll(&h, &code(&started)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn polling_errors() {
    let h = start(DeviceCodeBehaviour::Manual);
    assert_aad_error(
        &poll(&h, "unknown-device-code").await,
        400,
        "bad_verification_code",
        70018,
    );
    let started = begin(&h, "Mail.Send").await;
    // Another client cannot poll this code.
    let other = h
        .token_request(&[
            ("grant_type", DEVICE_CODE_GRANT),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", graphmail_emulator::DEFAULT_CLIENT_SECRET),
            ("device_code", &code(&started)),
        ])
        .await;
    assert_aad_error(&other, 400, "bad_verification_code", 70018);
    let missing = h
        .token_request(&[("grant_type", DEVICE_CODE_GRANT), ("client_id", PUBLIC_APP)])
        .await;
    let text = assert_aad_error(&missing, 400, "invalid_request", 900144);
    assert!(text.contains("'device_code'"), "{text}");
    // A public client must not present a secret.
    let secret = h
        .token_request(&[
            ("grant_type", DEVICE_CODE_GRANT),
            ("client_id", PUBLIC_APP),
            ("client_secret", "s"),
            ("device_code", &code(&started)),
        ])
        .await;
    assert_aad_error(&secret, 401, "invalid_client", 700025);
    // A confidential app without public client flows needs its credential.
    let confidential = h
        .token_request(&[
            ("grant_type", DEVICE_CODE_GRANT),
            ("client_id", DEFAULT_CLIENT_ID),
            ("device_code", &code(&started)),
        ])
        .await;
    assert_aad_error(&confidential, 401, "invalid_client", 7000218);
}

#[tokio::test]
async fn devicecode_request_errors() {
    let h = start(DeviceCodeBehaviour::Manual);
    let path = devicecode_path();
    let no_client = h.post_form(&path, &[("scope", "Mail.Send")]).await;
    assert!(assert_aad_error(&no_client, 400, "invalid_request", 900144).contains("'client_id'"));
    let no_scope = h.post_form(&path, &[("client_id", PUBLIC_APP)]).await;
    assert!(assert_aad_error(&no_scope, 400, "invalid_request", 900144).contains("'scope'"));
    let unknown = h
        .post_form(
            &path,
            &[
                ("client_id", "99999999-9999-4999-8999-999999999999"),
                ("scope", "Mail.Send"),
            ],
        )
        .await;
    assert_aad_error(&unknown, 400, "unauthorized_client", 700016);
    for scope in [
        "Calendars.Read",
        "https://management.azure.com/user_impersonation",
        "offline_access openid",
    ] {
        let bad = h
            .post_form(&path, &[("client_id", PUBLIC_APP), ("scope", scope)])
            .await;
        assert_aad_error(&bad, 400, "invalid_scope", 70011);
    }
    let tenant = h
        .post_form(
            "/nope/oauth2/v2.0/devicecode",
            &[("client_id", PUBLIC_APP), ("scope", "Mail.Send")],
        )
        .await;
    assert_aad_error(&tenant, 400, "invalid_request", 90002);
    let get = h.get(&path, None).await;
    assert_aad_error(&get, 405, "invalid_request", 900561);
    // The multi-tenant authorities work for device code sign-ins.
    for alias in ["common", "organizations"] {
        let reply = h
            .post_form(
                &format!("/{alias}/oauth2/v2.0/devicecode"),
                &[("client_id", PUBLIC_APP), ("scope", "Mail.Send")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{alias}: {}", reply.json);
    }
    assert_eq!(h.emu.stats().device_code_requests, 9);
}

#[tokio::test]
async fn missing_consent_is_aadsts65001() {
    let h = Harness::start_with(|c| {
        c.with_public_client(PUBLIC_APP)
            .with_delegated_permissions(PUBLIC_APP, &["User.Read"])
            .with_user(USER)
            .with_device_code_behaviour(DeviceCodeBehaviour::ApproveAfterPolls {
                polls: 0,
                user: USER.into(),
            })
    });
    let started = begin(&h, "Mail.Send offline_access").await;
    let text = assert_aad_error(
        &poll(&h, &code(&started)).await,
        400,
        "invalid_grant",
        65001,
    );
    assert!(
        text.contains(PUBLIC_APP) && text.contains("Mail.Send"),
        "{text}"
    );
}

#[test]
fn configuration_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = Emulator::start(EmulatorConfig::new(dir.path()).with_device_code_behaviour(
        DeviceCodeBehaviour::ApproveAfterPolls {
            polls: 1,
            user: "ghost@contoso.test".into(),
        },
    ))
    .expect_err("unknown user");
    assert!(err.to_string().contains("ghost@contoso.test"), "{err}");
    let err = Emulator::start(
        EmulatorConfig::new(dir.path())
            .with_user("someone@contoso.test")
            .without_mailboxes()
            .with_mailbox("alerts@contoso.test"),
    )
    .expect_err("no mailbox");
    assert!(err.to_string().contains("has no mailbox"), "{err}");
}
