//! Workload identity federation: tokens of the emulator's federation issuer exchanged at the
//! token endpoint by apps with a matching federated credential, the issuer's discovery
//! documents, and every rejection.

mod common;

use common::{assert_aad_error, simple_mail, Harness, GRAPH_SCOPE, SENDER};
use graphmail_emulator::jwt::{self, CLIENT_ASSERTION_TYPE, FEDERATION_AUDIENCE};
use graphmail_emulator::DEFAULT_CLIENT_ID;
use reqwest::StatusCode;
use serde_json::json;

const APP: &str = "0f1e2d3c-4b5a-4697-8877-665544332211";
const SUBJECT: &str = "system:serviceaccount:mail:graphmail";

fn start() -> Harness {
    Harness::start_with(|c| c.with_federated_credential(APP, SUBJECT))
}

async fn exchange(h: &Harness, client_id: &str, assertion: &str) -> common::Reply {
    h.token_request(&[
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_assertion_type", CLIENT_ASSERTION_TYPE),
        ("client_assertion", assertion),
        ("scope", GRAPH_SCOPE),
    ])
    .await
}

#[tokio::test]
async fn a_federated_token_gets_an_app_token() {
    let h = start();
    let token = h.emu.issue_federated_token(SUBJECT);
    let decoded = jwt::decode(&token).expect("decode");
    assert_eq!(decoded.header_str("alg"), Some("RS256"));
    assert_eq!(
        decoded.claim_str("iss"),
        Some(h.emu.federation_issuer().as_str())
    );
    assert_eq!(
        h.emu.federation_issuer(),
        format!("{}/federation", h.emu.base_url())
    );
    assert_eq!(decoded.audiences(), vec![FEDERATION_AUDIENCE]);
    assert_eq!(decoded.claim_str("sub"), Some(SUBJECT));
    let reply = exchange(&h, APP, &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let access = reply.json["access_token"].as_str().expect("token");
    let sent = h
        .send(access, SENDER, &simple_mail("ops@example.com"))
        .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.json);
    assert_eq!(h.emu.messages()[0].client_id, APP);
    let stats = h.emu.stats();
    assert_eq!(stats.federated_assertions, 1);
    assert_eq!(stats.certificate_assertions, 0);
}

#[tokio::test]
async fn subject_mismatch_and_missing_credential() {
    let h = start();
    let other = h
        .emu
        .issue_federated_token("system:serviceaccount:mail:other");
    let text = assert_aad_error(
        &exchange(&h, APP, &other).await,
        401,
        "invalid_client",
        700213,
    );
    assert!(
        text.starts_with("No matching federated identity record found for presented assertion subject 'system:serviceaccount:mail:other'."),
        "{text}"
    );
    // Subjects are matched case-sensitively.
    let upper = h.emu.issue_federated_token(&SUBJECT.to_uppercase());
    assert_aad_error(
        &exchange(&h, APP, &upper).await,
        401,
        "invalid_client",
        700213,
    );
    // The default app has no federated credential at all.
    let token = h.emu.issue_federated_token(SUBJECT);
    let text = assert_aad_error(
        &exchange(&h, DEFAULT_CLIENT_ID, &token).await,
        401,
        "invalid_client",
        70021,
    );
    assert!(
        text.starts_with("No matching federated identity record found for presented assertion. Assertion Issuer: '"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Assertion Subject: '{SUBJECT}'")),
        "{text}"
    );
}

#[tokio::test]
async fn audience_time_and_signature() {
    let h = start();
    let issuer = h.emu.federation_issuer();
    let now = jwt::unix_now();
    let claims = |aud: serde_json::Value, nbf: i64, exp: i64| {
        json!({"iss": issuer, "sub": SUBJECT, "aud": aud, "nbf": nbf, "iat": nbf, "exp": exp,
               "jti": "j"})
    };
    let wrong_aud = h
        .emu
        .sign_federated_token(&claims(json!("api://Other"), now, now + 600));
    let text = assert_aad_error(
        &exchange(&h, APP, &wrong_aud).await,
        401,
        "invalid_client",
        700212,
    );
    assert!(text.contains("audience 'api://Other'"), "{text}");
    let expired =
        h.emu
            .sign_federated_token(&claims(json!(FEDERATION_AUDIENCE), now - 7200, now - 3600));
    assert_aad_error(
        &exchange(&h, APP, &expired).await,
        401,
        "invalid_client",
        700024,
    );
    // The emulator's issuer name, but someone else's key.
    let a = graphmail_emulator::test_certificates::TestCertificate::client_a();
    let forged = jwt::encode(
        &json!({"alg": "RS256", "typ": "JWT"}),
        &claims(json!(FEDERATION_AUDIENCE), now, now + 600),
        &a.signing_key(),
        jwt::Algorithm::Rs256,
    )
    .expect("sign");
    assert_aad_error(
        &exchange(&h, APP, &forged).await,
        401,
        "invalid_client",
        700027,
    );
    let good = h
        .emu
        .sign_federated_token(&claims(json!(FEDERATION_AUDIENCE), now, now + 600));
    assert_eq!(exchange(&h, APP, &good).await.status, StatusCode::OK);
    assert_eq!(h.emu.stats().federated_assertions, 4);
}

#[tokio::test]
async fn the_issuer_publishes_discovery_and_keys() {
    let h = start();
    let discovery = h
        .get("/federation/.well-known/openid-configuration", None)
        .await;
    assert_eq!(discovery.status, StatusCode::OK);
    assert_eq!(discovery.json["issuer"], h.emu.federation_issuer());
    assert_eq!(
        discovery.json["jwks_uri"],
        format!("{}/jwks", h.emu.federation_issuer())
    );
    let jwks = h.get("/federation/jwks", None).await;
    assert_eq!(jwks.status, StatusCode::OK);
    let key = &jwks.json["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    let kid = jwt::decode(&h.emu.issue_federated_token("x"))
        .expect("decode")
        .header_str("kid")
        .map(str::to_string);
    assert_eq!(key["kid"].as_str().map(str::to_string), kid);
    assert_eq!(key["e"], "AQAB");
    let post = h
        .call(reqwest::Method::POST, "/federation/jwks", None, None)
        .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
}
