//! `sendMail`: acceptance and storage, the Sent Items listing, every rejection, counters and
//! the test routes.

mod common;

use common::{simple_mail, Harness, SENDER};
use graphmail_emulator::Stats;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn full_mail() -> Value {
    json!({
        "message": {
            "subject": "Quartalsbericht für Ärzte ✓",
            "body": {"contentType": "HTML", "content": "<p>Hallo</p>"},
            "toRecipients": [{"emailAddress": {"address": "ops@example.com", "name": "Ops Team"}}],
            "ccRecipients": [{"emailAddress": {"address": "cc@example.com"}}],
            "bccRecipients": [{"emailAddress": {"address": "hidden@example.com"}}],
            "importance": "high",
            "isDeliveryReceiptRequested": true,
            "internetMessageHeaders": [{"name": "x-job-id", "value": "42"}],
            "attachments": [{
                "@odata.type": "#microsoft.graph.fileAttachment",
                "name": "report.txt",
                "contentType": "text/plain",
                "contentBytes": "SGVsbG8gV29ybGQh"
            }]
        },
        "saveToSentItems": "true"
    })
}

#[tokio::test]
async fn accepted_message_is_stored_as_json_and_eml() {
    let h = Harness::start();
    let token = h.token().await;
    let body = full_mail();
    let reply = h.send(&token, "alerts%40contoso.test", &body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.json);
    assert!(reply.body.is_empty());
    assert_eq!(
        reply.header("client-request-id"),
        Some("11111111-2222-4333-8444-555555555555")
    );
    let request_id = reply.header("request-id").expect("request-id").to_string();

    let messages = h.emu.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.mailbox, SENDER);
    assert_eq!(m.request, body, "stored exactly as received");
    assert_eq!(m.request_id, request_id);
    assert!(m.save_to_sent_items);
    assert!(m.received_at.ends_with('Z') && m.received_at.contains('T'));
    assert!(m.json_path.starts_with(h.emu.messages_dir()));
    let json_name = m
        .json_path
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert_eq!(json_name, format!("000001-{}.json", m.id));
    assert_eq!(m.eml_path, m.json_path.with_extension("eml"));

    let stored: Value =
        serde_json::from_slice(&std::fs::read(&m.json_path).expect("json file")).expect("json");
    assert_eq!(stored, body);
    let eml = std::fs::read_to_string(&m.eml_path).expect("eml file");
    assert!(eml.contains("\r\nSubject: =?UTF-8?B?"), "{eml}");
    assert!(eml.contains("\r\nFrom: alerts@contoso.test\r\n"));
    assert!(eml.contains("\r\nTo: \"Ops Team\" <ops@example.com>\r\n"));
    assert!(eml.contains("\r\nCc: cc@example.com\r\n"));
    assert!(!eml.contains("hidden@example.com"), "no Bcc in the headers");
    assert!(eml.contains("\r\nImportance: High\r\n"));
    assert!(eml.contains("\r\nX-GraphMail-Delivery-Receipt-Requested: true\r\n"));
    assert!(eml.contains("\r\nx-job-id: 42\r\n"));
    assert!(eml.contains("Content-Type: text/html; charset=utf-8\r\n"));
    assert!(eml.contains("Content-Disposition: attachment; filename=\"report.txt\"\r\n"));
    assert!(eml.contains("\r\nSGVsbG8gV29ybGQh\r\n"));
    assert!(!m.mime && !m.via_draft);
    assert_eq!(m.attachments.len(), 1);
    let a = &m.attachments[0];
    assert_eq!(
        (a.name.as_str(), a.size, a.is_inline),
        ("report.txt", 12, false)
    );
    assert_eq!(a.content_type.as_deref(), Some("text/plain"));
    assert_eq!(a.sha256, common::sha256_hex(b"Hello World!"));
    assert_eq!(a.id, format!("{}-att0", m.id));
    assert!(a.path.starts_with(h.emu.attachments_dir().join(&m.id)));
    assert_eq!(
        std::fs::read(&a.path).expect("attachment file"),
        b"Hello World!"
    );

    assert_eq!(
        h.emu.stats(),
        Stats {
            requests: 2,
            token_requests: 1,

            client_credentials_requests: 1,
            graph_requests: 1,
            accepted_messages: 1,
            rejected_requests: 0,
            http2_requests: 2,
            connections: 1,
            send_mail_requests: 1,
            ..Stats::default()
        }
    );
}

#[tokio::test]
async fn one_token_serves_many_sends_over_one_connection() {
    let h = Harness::start();
    let token = h.token().await;
    for i in 0..25 {
        let reply = h
            .send(
                &token,
                SENDER,
                &simple_mail(&format!("user{i}@example.com")),
            )
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED);
    }
    let stats = h.emu.stats();
    assert_eq!(stats.token_requests, 1);
    assert_eq!(stats.graph_requests, 25);
    assert_eq!(stats.accepted_messages, 25);
    assert_eq!(stats.requests, 26);
    assert_eq!(h.message_files().len(), 50);
}

#[tokio::test]
async fn sent_items_lists_saved_messages_newest_first() {
    let h = Harness::start();
    let token = h.token().await;
    let mut first = simple_mail("a@example.com");
    first["message"]["subject"] = json!("first");
    let mut unsaved = simple_mail("b@example.com");
    unsaved["saveToSentItems"] = json!(false);
    let mut second = full_mail();
    second["message"]["subject"] = json!("second");
    for body in [&first, &unsaved, &second] {
        assert_eq!(
            h.send(&token, SENDER, body).await.status,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(
        h.send(
            &token,
            "reports@contoso.test",
            &simple_mail("c@example.com")
        )
        .await
        .status,
        StatusCode::ACCEPTED
    );

    let reply = h
        .get(
            "/v1.0/users/ALERTS%40contoso.test/mailFolders/SentItems/messages",
            Some(&token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let value = reply.json["value"].as_array().expect("value");
    let subjects: Vec<&str> = value
        .iter()
        .map(|m| m["subject"].as_str().expect("subject"))
        .collect();
    assert_eq!(subjects, ["second", "first"]);
    let newest = &value[0];
    assert_eq!(newest["isDraft"], false);
    assert_eq!(newest["hasAttachments"], true);
    assert!(newest["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(newest["sentDateTime"]
        .as_str()
        .is_some_and(|d| d.ends_with('Z')));
    assert_eq!(
        newest["body"]["contentType"], "html",
        "enum values are normalized"
    );
    let attachment = &newest["attachments"][0];
    assert_eq!(attachment["size"], 12);
    assert_eq!(attachment["name"], "report.txt");
    assert!(attachment.get("contentBytes").is_none());
    assert_eq!(value[1]["hasAttachments"], false);

    let reply = h
        .get(
            "/v1.0/users/alerts@contoso.test/mailFolders/sentitems/messages?$top=1",
            Some(&token),
        )
        .await;
    assert_eq!(reply.json["value"].as_array().map(Vec::len), Some(1));

    let reply = h
        .get(
            "/v1.0/users/alerts@contoso.test/mailFolders/sentItems/messages",
            None,
        )
        .await;
    reply.assert_graph_error(401, "InvalidAuthenticationToken");
    let reply = h
        .get(
            "/v1.0/users/nobody@contoso.test/mailFolders/sentItems/messages",
            Some(&token),
        )
        .await;
    reply.assert_graph_error(404, "ErrorInvalidUser");
}

/// Each rejection: (description, request, status, code, expected message or fragment).
#[tokio::test]
async fn every_rejection_uses_the_graph_error_envelope() {
    let h = Harness::start();
    let token = h.token().await;
    let json_body = |v: &Value| serde_json::to_vec(v).expect("json");

    let expired = Harness::start_with(|c| c.with_token_lifetime(std::time::Duration::ZERO));
    let expired_token = expired.token().await;
    let reply = expired
        .send(&expired_token, SENDER, &simple_mail("a@example.com"))
        .await;
    let message = reply.assert_graph_error(401, "InvalidAuthenticationToken");
    assert_eq!(message, "Access token has expired or is not yet valid.");

    let reply = h
        .send_raw(
            None,
            SENDER,
            "application/json",
            json_body(&simple_mail("a@example.com")),
        )
        .await;
    assert_eq!(
        reply.assert_graph_error(401, "InvalidAuthenticationToken"),
        "Access token is empty."
    );

    let reply = h
        .send("not-a-token", SENDER, &simple_mail("a@example.com"))
        .await;
    assert_eq!(
        reply.assert_graph_error(401, "InvalidAuthenticationToken"),
        "Access token validation failure. Invalid audience."
    );

    let reply = h
        .send_raw(Some(&token), SENDER, "text/csv", b"a,b".to_vec())
        .await;
    reply.assert_graph_error(415, "UnsupportedMediaType");

    let mut big = simple_mail("a@example.com");
    big["message"]["body"]["content"] = json!("x".repeat(4 * 1024 * 1024));
    let reply = h.send(&token, SENDER, &big).await;
    assert_eq!(
        reply.assert_graph_error(413, "RequestEntityTooLarge"),
        "The maximum request length supported is 4MB."
    );

    let reply = h
        .send_raw(
            Some(&token),
            SENDER,
            "application/json",
            b"{\"message\": ".to_vec(),
        )
        .await;
    reply.assert_graph_error(400, "RequestBodyRead");

    let reply = h
        .send(
            &token,
            SENDER,
            &json!({"message": {"toRecipient": [{"emailAddress": {"address": "a@example.com"}}]}}),
        )
        .await;
    let message = reply.assert_graph_error(400, "RequestBodyRead");
    assert!(
        message.contains("'/message'") && message.contains("additionalProperties"),
        "{message}"
    );
    assert!(message.contains("toRecipient"), "{message}");

    let reply = h
        .send(&token, SENDER, &json!({"message": {"subject": 7}}))
        .await;
    let message = reply.assert_graph_error(400, "RequestBodyRead");
    assert!(
        message.contains("'/message/subject'") && message.contains("'type'"),
        "{message}"
    );

    let reply = h
        .send(
            &token,
            "nobody%40contoso.test",
            &simple_mail("a@example.com"),
        )
        .await;
    assert_eq!(
        reply.assert_graph_error(404, "ErrorInvalidUser"),
        "The requested user 'nobody@contoso.test' is invalid."
    );

    let mut headers = simple_mail("a@example.com");
    headers["message"]["internetMessageHeaders"] = json!((0..6)
        .map(|i| json!({"name": format!("x-h{i}"), "value": "v"}))
        .collect::<Vec<_>>());
    let reply = h.send(&token, SENDER, &headers).await;
    assert_eq!(
        reply.assert_graph_error(400, "InvalidInternetMessageHeaderCollection"),
        "Maximum number of headers in one message should be less than or equal to 5."
    );

    let mut header = simple_mail("a@example.com");
    header["message"]["internetMessageHeaders"] = json!([{"name": "Priority", "value": "1"}]);
    h.send(&token, SENDER, &header)
        .await
        .assert_graph_error(400, "InvalidInternetMessageHeader");

    let reply = h
        .send(
            &token,
            SENDER,
            &json!({"message": {"subject": "x", "toRecipients": [], "ccRecipients": []}}),
        )
        .await;
    assert_eq!(
        reply.assert_graph_error(400, "ErrorInvalidRecipients"),
        "At least one recipient isn't valid., A message can't be sent because it contains no recipients."
    );

    let many: Vec<Value> = (0..501)
        .map(|i| json!({"emailAddress": {"address": format!("u{i}@example.com")}}))
        .collect();
    let reply = h
        .send(&token, SENDER, &json!({"message": {"bccRecipients": many}}))
        .await;
    reply.assert_graph_error(400, "ErrorInvalidRecipients");

    for bad in [
        "no-at-sign",
        "a@b@c.example",
        "user@nodot",
        "a@example.com;b@example.com",
    ] {
        let reply = h.send(&token, SENDER, &simple_mail(bad)).await;
        assert_eq!(
            reply.assert_graph_error(400, "ErrorInvalidRecipients"),
            format!("At least one recipient isn't valid., Recipient '{bad}' isn't resolved. All recipients must be resolved before a message can be submitted.")
        );
    }

    let mut attachment = simple_mail("a@example.com");
    attachment["message"]["attachments"] = json!([{
        "@odata.type": "#microsoft.graph.fileAttachment", "name": "a.bin", "contentBytes": "SGVsbG8_V29ybGQ"
    }]);
    h.send(&token, SENDER, &attachment)
        .await
        .assert_graph_error(400, "ErrorInvalidRequest");

    // 1 token + 17 rejected sendMail requests, nothing stored.
    assert_eq!(
        h.emu.stats(),
        Stats {
            requests: 18,
            token_requests: 1,

            client_credentials_requests: 1,
            graph_requests: 17,
            accepted_messages: 0,
            rejected_requests: 17,
            http2_requests: 18,
            connections: 1,
            send_mail_requests: 17,
            ..Stats::default()
        }
    );
    assert!(h.emu.messages().is_empty());
    assert!(h.message_files().is_empty());
}

#[tokio::test]
async fn checks_run_in_graph_order() {
    let h = Harness::start();
    let token = h.token().await;
    // Token before content type.
    h.send_raw(None, SENDER, "text/plain", b"x".to_vec())
        .await
        .assert_graph_error(401, "InvalidAuthenticationToken");
    // Content type before JSON syntax.
    h.send_raw(Some(&token), SENDER, "application/xml", b"{".to_vec())
        .await
        .assert_graph_error(415, "UnsupportedMediaType");
    // MIME mode: base64 before anything else in the body.
    h.send_raw(
        Some(&token),
        "nobody@contoso.test",
        "text/plain",
        b"{".to_vec(),
    )
    .await
    .assert_graph_error(400, "ErrorMimeContentInvalidBase64String");
    // Schema before mailbox.
    h.send(
        &token,
        "nobody@contoso.test",
        &json!({"message": {"subject": 1}}),
    )
    .await
    .assert_graph_error(400, "RequestBodyRead");
    // Mailbox before recipients.
    h.send(
        &token,
        "nobody@contoso.test",
        &json!({"message": {"subject": "x"}}),
    )
    .await
    .assert_graph_error(404, "ErrorInvalidUser");
    // Headers before recipients.
    let mut both = json!({"message": {"subject": "x"}});
    both["message"]["internetMessageHeaders"] = json!([{"name": "Bad", "value": "v"}]);
    h.send(&token, SENDER, &both)
        .await
        .assert_graph_error(400, "InvalidInternetMessageHeader");
}

#[tokio::test]
async fn pascal_case_sdk_bodies_are_accepted() {
    let h = Harness::start();
    let token = h.token().await;
    let body = json!({
        "Message": {
            "@odata.type": "#microsoft.graph.message",
            "subject": "From the SDK",
            "body": {"contentType": "html", "content": "<b>hi</b>"},
            "toRecipients": [{"emailAddress": {"address": "a@example.com"}}]
        },
        "SaveToSentItems": false
    });
    let reply = h.send(&token, SENDER, &body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.json);
    let stored = &h.emu.messages()[0];
    assert!(!stored.save_to_sent_items);
    assert_eq!(stored.request, body);
}

#[tokio::test]
async fn test_routes_are_not_counted_and_clear_the_store() {
    let h = Harness::start();
    let token = h.token().await;
    assert_eq!(
        h.send(&token, SENDER, &simple_mail("a@example.com"))
            .await
            .status,
        StatusCode::ACCEPTED
    );
    let before = h.emu.stats();

    let stats = h.get("/_emulator/stats", None).await;
    assert_eq!(stats.status, StatusCode::OK);
    assert_eq!(
        stats.json,
        serde_json::to_value(&before).expect("stats json")
    );
    assert_eq!(stats.json["acceptedMessages"], 1);

    let listed = h.get("/_emulator/messages", None).await;
    assert_eq!(listed.json.as_array().map(Vec::len), Some(1));
    assert_eq!(listed.json[0]["mailbox"], SENDER);
    assert_eq!(listed.json[0]["saveToSentItems"], true);
    assert!(listed.json[0]["emlPath"]
        .as_str()
        .is_some_and(|p| p.ends_with(".eml")));

    let deleted = h
        .client
        .delete(h.url("/_emulator/messages"))
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(h.emu.messages().is_empty());
    assert!(h.message_files().is_empty());
    assert_eq!(h.emu.stats(), before, "test routes are not counted");
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let h = Harness::start();
    let reply = h
        .get("/v1.0/users/alerts@contoso.test/calendar", None)
        .await;
    reply.assert_graph_error(404, "ResourceNotFound");
    let reply = h.get("/nothing/here", None).await;
    reply.assert_graph_error(404, "ResourceNotFound");
    let reply = h
        .get("/v1.0/users/alerts@contoso.test/sendMail", None)
        .await;
    reply.assert_graph_error(405, "MethodNotAllowed");
    let home = h.get("/", None).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&home.body).contains("GraphMail emulator"));
    let stats = h.emu.stats();
    assert_eq!(stats.requests, 4);
    assert_eq!(stats.graph_requests, 2);
    assert_eq!(stats.rejected_requests, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_over_http2_are_all_stored() {
    let h = Harness::start();
    let token = h.token().await;
    let url = h.url(&format!("/v1.0/users/{SENDER}/sendMail"));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let client = h.client.clone();
        let url = url.clone();
        let token = token.clone();
        tasks.spawn(async move {
            let body =
                serde_json::to_vec(&simple_mail(&format!("u{i}@example.com"))).expect("json");
            let response = client
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("send");
            (response.status(), response.version())
        });
    }
    while let Some(result) = tasks.join_next().await {
        let (status, version) = result.expect("task");
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(version, reqwest::Version::HTTP_2);
    }
    let messages = h.emu.messages();
    assert_eq!(messages.len(), 40);
    let mut names: Vec<String> = messages
        .iter()
        .map(|m| m.json_path.file_name().expect("name").to_string_lossy()[..6].to_string())
        .collect();
    names.dedup();
    assert_eq!(names.len(), 40, "sequence numbers are unique and ordered");
    assert_eq!(h.message_files().len(), 80);
    assert_eq!(h.emu.stats().accepted_messages, 40);
}

#[tokio::test]
async fn hostile_input_never_breaks_the_server() {
    let h = Harness::start();
    let token = h.token().await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for body in [
        deep.into_bytes(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"text\"".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        br#"{"message": {"toRecipients": [{"emailAddress": null}]}}"#.to_vec(),
        br##"{"message": {"attachments": [{"@odata.type": "#microsoft.graph.itemAttachment", "name": "i", "item": {"@odata.type": "#microsoft.graph.event"}}], "toRecipients": [{"emailAddress": {"address": "a@example.com"}}]}, "saveToSentItems": "maybe"}"##.to_vec(),
    ] {
        let reply = h.send_raw(Some(&token), SENDER, "application/json", body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.json);
        assert!(reply.json["error"]["code"].is_string());
    }
    for path in [
        "/v1.0/users/%FF%FE/sendMail",
        "/v1.0/users/%/sendMail",
        "/v1.0/users/a%00b/sendMail",
    ] {
        let reply = common::Reply::from(
            h.client
                .post(h.url(path))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&simple_mail("a@example.com")).expect("json"))
                .send()
                .await
                .expect("send"),
        )
        .await;
        reply.assert_graph_error(404, "ErrorInvalidUser");
    }
    let garbage_basic = h
        .token_request_with(&[("grant_type", "client_credentials")], |r| {
            r.header("authorization", "Basic !!!not-base64")
        })
        .await;
    assert_eq!(garbage_basic.status, StatusCode::UNAUTHORIZED);
    let raw_form = common::Reply::from(
        h.client
            .post(h.token_url())
            .body(vec![0xff, b'=', 0xfe, b'&', b'%'])
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(raw_form.status, StatusCode::BAD_REQUEST);
    // Still serving.
    let reply = h.send(&token, SENDER, &simple_mail("a@example.com")).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
}
