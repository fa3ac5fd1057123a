//! Delegated tokens: refresh token rotation and its errors, and sending as the signed-in user
//! through `/me` (and `/users/{own upn}`), with app-only tokens keeping `/users/{id}`.

mod common;

use std::time::Duration;

use common::{assert_aad_error, simple_mail, Harness, SENDER};
use graphmail_emulator::{DeviceCodeBehaviour, DEFAULT_CLIENT_ID, DEFAULT_TENANT_ID};
use reqwest::StatusCode;
use serde_json::json;

const PUBLIC_APP: &str = "c0ffee00-1111-4222-8333-444455556666";
const OTHER_PUBLIC_APP: &str = "c0ffee00-7777-4888-8999-aaaabbbbcccc";
const USER: &str = "reports@contoso.test";
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn config(c: graphmail_emulator::EmulatorConfig) -> graphmail_emulator::EmulatorConfig {
    c.with_public_client(PUBLIC_APP)
        .with_public_client(OTHER_PUBLIC_APP)
        .with_user(USER)
        .with_device_code_interval(0)
        .with_device_code_behaviour(DeviceCodeBehaviour::ApproveAfterPolls {
            polls: 0,
            user: USER.into(),
        })
}

/// Sign `USER` in with the device code flow; returns the token response.
async fn sign_in(h: &Harness, scope: &str) -> serde_json::Value {
    let started = h
        .post_form(
            &format!("/{DEFAULT_TENANT_ID}/oauth2/v2.0/devicecode"),
            &[("client_id", PUBLIC_APP), ("scope", scope)],
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.json);
    let device_code = started.json["device_code"].as_str().expect("device_code");
    let reply = h
        .token_request(&[
            ("grant_type", DEVICE_CODE_GRANT),
            ("client_id", PUBLIC_APP),
            ("device_code", device_code),
        ])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json
}

async fn refresh(h: &Harness, client_id: &str, token: &str) -> common::Reply {
    h.token_request(&[
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("refresh_token", token),
    ])
    .await
}

fn text(j: &serde_json::Value, name: &str) -> String {
    j[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: {j}"))
        .to_string()
}

#[tokio::test]
async fn refresh_tokens_rotate() {
    let h = Harness::start_with(config);
    let first = sign_in(&h, "Mail.Send offline_access").await;
    let rt1 = text(&first, "refresh_token");
    let second = refresh(&h, PUBLIC_APP, &rt1).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.json);
    let rt2 = text(&second.json, "refresh_token");
    assert_ne!(rt1, rt2);
    assert_eq!(second.json["scope"], "Mail.Send");
    assert_ne!(
        text(&second.json, "access_token"),
        text(&first, "access_token")
    );
    // The old one is spent.
    let text1 = assert_aad_error(
        &refresh(&h, PUBLIC_APP, &rt1).await,
        400,
        "invalid_grant",
        70000,
    );
    assert!(text1.contains("already redeemed"), "{text1}");
    // The new one works, also narrowed to a scope and with a multi-tenant authority.
    let narrowed = h
        .call(
            reqwest::Method::POST,
            "/organizations/oauth2/v2.0/token",
            None,
            Some((
                "application/x-www-form-urlencoded",
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs([
                        ("grant_type", "refresh_token"),
                        ("client_id", PUBLIC_APP),
                        ("refresh_token", rt2.as_str()),
                        (
                            "scope",
                            "https://graph.microsoft.com/User.Read offline_access",
                        ),
                    ])
                    .finish()
                    .into_bytes(),
            )),
        )
        .await;
    assert_eq!(narrowed.status, StatusCode::OK, "{}", narrowed.json);
    assert_eq!(narrowed.json["scope"], "User.Read");
    let rt3 = text(&narrowed.json, "refresh_token");
    // The narrowed token cannot send mail, but the next refresh (original scopes) can.
    let read_only = text(&narrowed.json, "access_token");
    h.post_json(
        "/v1.0/me/sendMail",
        &read_only,
        &simple_mail("ops@example.com"),
    )
    .await
    .assert_graph_error(403, "ErrorAccessDenied");
    let fourth = refresh(&h, PUBLIC_APP, &rt3).await;
    assert_eq!(fourth.json["scope"], "Mail.Send");
    let stats = h.emu.stats();
    assert_eq!(stats.refresh_token_requests, 4);
    assert_eq!(stats.device_code_polls, 1);
}

#[tokio::test]
async fn refresh_token_errors() {
    let h =
        Harness::start_with(|c| config(c).with_delegated_permissions(PUBLIC_APP, &["Mail.Send"]));
    let signed_in = sign_in(&h, "Mail.Send offline_access").await;
    let rt = text(&signed_in, "refresh_token");
    assert_aad_error(
        &refresh(&h, PUBLIC_APP, "garbage").await,
        400,
        "invalid_grant",
        9002313,
    );
    let other = assert_aad_error(
        &refresh(&h, OTHER_PUBLIC_APP, &rt).await,
        400,
        "invalid_grant",
        70000,
    );
    assert!(other.contains("different client"), "{other}");
    let missing = h
        .token_request(&[("grant_type", "refresh_token"), ("client_id", PUBLIC_APP)])
        .await;
    assert!(assert_aad_error(&missing, 400, "invalid_request", 900144).contains("'refresh_token'"));
    let bad_scope = h
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC_APP),
            ("refresh_token", &rt),
            ("scope", "Files.Read"),
        ])
        .await;
    assert_aad_error(&bad_scope, 400, "invalid_scope", 70011);
    let no_consent = h
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC_APP),
            ("refresh_token", &rt),
            ("scope", "Mail.ReadWrite"),
        ])
        .await;
    assert_aad_error(&no_consent, 400, "invalid_grant", 65001);
    // Failed redemptions do not use the token up.
    assert_eq!(refresh(&h, PUBLIC_APP, &rt).await.status, StatusCode::OK);

    let newest = sign_in(&h, "Mail.Send offline_access").await;
    assert_eq!(
        h.emu.revoke_refresh_tokens(USER),
        2,
        "the rotated one and the new one"
    );
    let revoked = refresh(&h, PUBLIC_APP, &text(&newest, "refresh_token")).await;
    assert_aad_error(&revoked, 400, "invalid_grant", 50173);
}

#[tokio::test]
async fn expired_refresh_tokens() {
    let h = Harness::start_with(|c| config(c).with_refresh_token_lifetime(Duration::ZERO));
    let signed_in = sign_in(&h, "Mail.Send offline_access").await;
    let reply = refresh(&h, PUBLIC_APP, &text(&signed_in, "refresh_token")).await;
    let message = assert_aad_error(&reply, 400, "invalid_grant", 700082);
    assert!(
        message.starts_with("The refresh token has expired due to inactivity."),
        "{message}"
    );
}

#[tokio::test]
async fn me_send_mail_sends_as_the_user() {
    let h = Harness::start_with(config);
    let signed_in = sign_in(&h, "Mail.Send Mail.ReadWrite User.Read offline_access").await;
    let token = text(&signed_in, "access_token");
    let reply = h
        .post_json("/v1.0/me/sendMail", &token, &simple_mail("ops@example.com"))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.json);
    let messages = h.emu.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].mailbox, USER);
    assert_eq!(messages[0].client_id, PUBLIC_APP);
    assert_eq!(messages[0].tenant_id, DEFAULT_TENANT_ID);

    // The user's own mailbox by name works too; someone else's does not.
    let own = h
        .send(
            &token,
            &USER.to_uppercase(),
            &simple_mail("ops@example.com"),
        )
        .await;
    assert_eq!(own.status, StatusCode::ACCEPTED, "{}", own.json);
    h.send(&token, SENDER, &simple_mail("ops@example.com"))
        .await
        .assert_graph_error(403, "ErrorAccessDenied");
    h.get(
        &format!("/v1.0/users/{SENDER}/mailFolders/sentItems/messages"),
        Some(&token),
    )
    .await
    .assert_graph_error(403, "ErrorAccessDenied");

    // Drafts and Sent Items under /me.
    let draft = h
        .post_json(
            "/v1.0/me/messages",
            &token,
            &json!({"subject": "Draft", "toRecipients": [{"emailAddress": {"address": "a@example.com"}}]}),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.json);
    let id = text(&draft.json, "id");
    let sent = h
        .call(
            reqwest::Method::POST,
            &format!("/v1.0/me/messages/{id}/send"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.json);
    let listed = h
        .get("/v1.0/me/mailFolders/sentItems/messages", Some(&token))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.json);
    assert_eq!(listed.json["value"].as_array().map(Vec::len), Some(3));

    let me = h.get("/v1.0/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.json);
    assert_eq!(me.json["userPrincipalName"], USER);
    assert_eq!(me.json["mail"], USER);
    assert!(uuid::Uuid::parse_str(me.json["id"].as_str().expect("id")).is_ok());
}

#[tokio::test]
async fn delegated_scopes_limit_what_the_user_token_does() {
    let h = Harness::start_with(config);
    let token = text(&sign_in(&h, "User.Read").await, "access_token");
    h.post_json("/v1.0/me/sendMail", &token, &simple_mail("ops@example.com"))
        .await
        .assert_graph_error(403, "ErrorAccessDenied");
    let default_scope = text(
        &sign_in(&h, "https://graph.microsoft.com/.default").await,
        "access_token",
    );
    let reply = h
        .post_json(
            "/v1.0/me/sendMail",
            &default_scope,
            &simple_mail("ops@example.com"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.json);
}

#[tokio::test]
async fn app_only_tokens_cannot_use_me_but_keep_users() {
    let h = Harness::start_with(config);
    let app_token = h.token().await;
    let text = h
        .post_json(
            "/v1.0/me/sendMail",
            &app_token,
            &simple_mail("ops@example.com"),
        )
        .await
        .assert_graph_error(400, "BadRequest");
    assert_eq!(
        text,
        "/me request is only valid with delegated authentication flow."
    );
    h.get("/v1.0/me", Some(&app_token))
        .await
        .assert_graph_error(400, "BadRequest");
    h.get("/v1.0/me", None)
        .await
        .assert_graph_error(401, "InvalidAuthenticationToken");
    for mailbox in [SENDER, USER] {
        let reply = h
            .send(&app_token, mailbox, &simple_mail("ops@example.com"))
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.json);
    }
    assert_eq!(h.emu.messages()[0].client_id, DEFAULT_CLIENT_ID);
}
