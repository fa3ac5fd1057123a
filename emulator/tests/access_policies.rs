//! Application access policies ([`AccessPolicy`]): allow and deny lists of mailboxes and
//! groups per app, applied to app-only sendMail, draft and folder requests.

mod common;

use common::{draft_message, simple_mail, Harness, SENDER};
use graphmail_emulator::{AccessPolicy, AppRegistration, DEFAULT_CLIENT_ID};
use reqwest::{Method, StatusCode};

const RAOP: &str =
    "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.";
const OTHER_APP: &str = "0b7d5c1a-9f2e-4d3c-8b1a-6e5f4d3c2b1a";
const OTHER_SECRET: &str = "other-app-secret";

impl Harness {
    async fn token_for(&self, client_id: &str, secret: &str) -> String {
        let reply = self
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
                ("scope", common::GRAPH_SCOPE),
            ])
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        reply.json["access_token"].as_str().expect("token").into()
    }
}

#[tokio::test]
async fn an_allow_list_group_limits_the_app_to_its_members() {
    let h = Harness::start_with(|c| {
        c.with_app(OTHER_APP, OTHER_SECRET)
            .with_group("Senders@contoso.test", [SENDER])
            .with_access_policy(
                DEFAULT_CLIENT_ID,
                AccessPolicy::allow(["senders@contoso.test"]).with_description("alerts only"),
            )
    });
    let token = h.token().await;

    // A member of the group: accepted (the mailbox spelt in another case).
    let ok = h
        .send(
            &token,
            "ALERTS@contoso.test",
            &simple_mail("ops@example.com"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.json);

    // Outside the scope: 403 with Exchange's RAOP text, nothing stored.
    let denied = h
        .send(
            &token,
            "reports@contoso.test",
            &simple_mail("ops@example.com"),
        )
        .await;
    assert_eq!(denied.assert_graph_error(403, "ErrorAccessDenied"), RAOP);
    // The draft path and folder listings are refused too.
    let draft = h
        .call(
            Method::POST,
            "/v1.0/users/reports@contoso.test/messages",
            Some(&token),
            Some((
                "application/json",
                serde_json::to_vec(&draft_message("ops@example.com")).expect("json"),
            )),
        )
        .await;
    assert_eq!(draft.assert_graph_error(403, "ErrorAccessDenied"), RAOP);
    let list = h
        .get(
            "/v1.0/users/reports@contoso.test/mailFolders/sentItems/messages",
            Some(&token),
        )
        .await;
    assert_eq!(list.assert_graph_error(403, "ErrorAccessDenied"), RAOP);

    // Another app without policies may use the mailbox.
    let other = h.token_for(OTHER_APP, OTHER_SECRET).await;
    let ok = h
        .send(
            &other,
            "reports@contoso.test",
            &simple_mail("ops@example.com"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.json);

    let stored: Vec<(String, String)> = h
        .emu
        .messages()
        .iter()
        .map(|m| (m.mailbox.clone(), m.client_id.clone()))
        .collect();
    assert_eq!(
        stored,
        [
            (SENDER.to_string(), DEFAULT_CLIENT_ID.to_string()),
            ("reports@contoso.test".to_string(), OTHER_APP.to_string())
        ]
    );
    assert_eq!(h.emu.stats().policy_denied_requests, 3);
}

#[tokio::test]
async fn a_deny_list_refuses_only_its_mailboxes_and_wins_over_an_allow_list() {
    let h = Harness::start_with(|c| {
        c.with_group("all-senders@contoso.test", [SENDER, "reports@contoso.test"])
            .with_access_policy(
                DEFAULT_CLIENT_ID,
                AccessPolicy::allow(["all-senders@contoso.test"]),
            )
            .with_access_policy(
                DEFAULT_CLIENT_ID,
                AccessPolicy::deny(["reports@contoso.test"]),
            )
    });
    let token = h.token().await;
    let ok = h.send(&token, SENDER, &simple_mail("a@example.com")).await;
    assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.json);
    let denied = h
        .send(
            &token,
            "reports@contoso.test",
            &simple_mail("a@example.com"),
        )
        .await;
    assert_eq!(denied.assert_graph_error(403, "ErrorAccessDenied"), RAOP);
    // Not in the allow list's group.
    let denied = h
        .send(
            &token,
            "noreply@contoso.test",
            &simple_mail("a@example.com"),
        )
        .await;
    assert_eq!(denied.assert_graph_error(403, "ErrorAccessDenied"), RAOP);
    assert_eq!(h.emu.messages().len(), 1);
}

#[tokio::test]
async fn a_missing_permission_is_reported_before_the_policy() {
    let h = Harness::start_with(|c| {
        c.without_apps()
            .with_app_registration(
                AppRegistration::new(DEFAULT_CLIENT_ID, common_secret()).with_permissions(&[]),
            )
            .with_access_policy(DEFAULT_CLIENT_ID, AccessPolicy::deny([SENDER]))
    });
    let token = h.token().await;
    let reply = h.send(&token, SENDER, &simple_mail("a@example.com")).await;
    let message = reply.assert_graph_error(403, "ErrorAccessDenied");
    assert_eq!(
        message,
        "Access is denied. Check credentials and try again."
    );
    assert_eq!(h.emu.stats().policy_denied_requests, 0);
}

fn common_secret() -> &'static str {
    graphmail_emulator::DEFAULT_CLIENT_SECRET
}
