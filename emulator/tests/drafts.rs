//! Drafts: create, read, attachments under 3 MB (inline too), send, delete, every rejection,
//! application permissions and the counters.

mod common;

use common::{b64, draft_message, pattern, sha256_hex, Harness, SENDER};
use graphmail_emulator::{Stats, DEFAULT_CLIENT_ID};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn file_attachment(name: &str, bytes: &[u8]) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.fileAttachment",
        "name": name,
        "contentType": "text/plain",
        "contentBytes": b64(bytes),
    })
}

#[tokio::test]
async fn draft_lifecycle_with_small_and_inline_attachments() {
    let h = Harness::start();
    let token = h.token().await;
    let messages = format!("/v1.0/users/{SENDER}/messages");
    // PascalCase names and documented enum casing, as the SDKs and docs send them.
    let create = json!({
        "Subject": "Quarterly report",
        "Body": {"ContentType": "HTML", "Content": "<p>See <img src=\"cid:logo\"></p>"},
        "ToRecipients": [{"EmailAddress": {"Address": "ops@example.com", "Name": "Ops"}}],
        "importance": "High",
        "internetMessageHeaders": [{"name": "x-job-id", "value": "42"}]
    });
    let created = h.post_json(&messages, &token, &create).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("AAMkA"));
    assert_eq!(created.json["isDraft"], true);
    assert_eq!(created.json["hasAttachments"], false);
    assert_eq!(created.json["subject"], "Quarterly report");
    assert_eq!(created.json["body"]["contentType"], "html");
    assert_eq!(created.json["importance"], "high");
    assert!(created.json["createdDateTime"]
        .as_str()
        .is_some_and(|d| d.ends_with('Z')));
    assert_eq!(
        created.json["@odata.context"],
        format!(
            "{}/v1.0/$metadata#users('{SENDER}')/messages/$entity",
            h.emu.base_url()
        )
    );

    let read = h
        .call(Method::GET, &h.draft_path(&id, ""), Some(&token), None)
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.json, created.json);

    let report = pattern(100_000);
    let added = h
        .post_json(
            &h.draft_path(&id, "/attachments"),
            &token,
            &file_attachment("report.txt", &report),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.json);
    assert_eq!(added.json["size"], 100_000);
    assert_eq!(added.json["name"], "report.txt");
    assert!(added.json.get("contentBytes").is_none());
    assert!(added.json["id"].as_str().is_some_and(|i| !i.is_empty()));
    let logo = pattern(500);
    let mut inline = file_attachment("logo.png", &logo);
    inline["contentType"] = json!("image/png");
    inline["isInline"] = json!("true");
    inline["contentId"] = json!("logo");
    let added_inline = h
        .post_json(&h.draft_path(&id, "/attachments"), &token, &inline)
        .await;
    assert_eq!(
        added_inline.status,
        StatusCode::CREATED,
        "{}",
        added_inline.json
    );
    assert_eq!(added_inline.json["isInline"], true);
    assert_eq!(added_inline.json["contentId"], "logo");

    let listed = h
        .call(
            Method::GET,
            &h.draft_path(&id, "/attachments"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(listed.json["value"].as_array().map(Vec::len), Some(2));
    let one = h
        .call(
            Method::GET,
            &h.draft_path(
                &id,
                &format!("/attachments/{}", added.json["id"].as_str().expect("id")),
            ),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(one.json["name"], "report.txt");
    let read = h
        .call(Method::GET, &h.draft_path(&id, ""), Some(&token), None)
        .await;
    assert_eq!(read.json["hasAttachments"], true);
    assert_eq!(h.emu.stats().open_drafts, 1);

    let sent = common::Reply::from(
        h.client
            .post(h.url(&h.draft_path(&id, "/send")))
            .bearer_auth(&token)
            .header("content-length", "0")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.json);
    assert!(sent.body.is_empty());
    h.call(Method::GET, &h.draft_path(&id, ""), Some(&token), None)
        .await
        .assert_graph_error(404, "ErrorItemNotFound");

    let stored = h.emu.messages();
    assert_eq!(stored.len(), 1);
    let m = &stored[0];
    assert_eq!(m.id, id);
    assert!(m.via_draft && !m.mime && m.save_to_sent_items);
    assert_eq!(
        m.request,
        json!({ "message": create }),
        "the create body as received"
    );
    assert_eq!(m.attachments.len(), 2);
    assert_eq!(m.attachments[0].name, "report.txt");
    assert_eq!(m.attachments[0].sha256, sha256_hex(&report));
    assert_eq!(
        std::fs::read(&m.attachments[0].path).expect("bytes"),
        report
    );
    assert!(m.attachments[1].is_inline);
    assert_eq!(m.attachments[1].content_id.as_deref(), Some("logo"));
    assert!(!m.attachments[0].uploaded);
    let eml = std::fs::read_to_string(&m.eml_path).expect("eml");
    assert!(eml.contains("\r\nSubject: Quarterly report\r\n"), "{eml}");
    assert!(eml.contains("\r\nx-job-id: 42\r\n"));
    assert!(eml.contains("\r\nTo: \"Ops\" <ops@example.com>\r\n"));
    assert!(eml.contains("Content-ID: <logo>\r\n"));
    assert!(eml.contains("Content-Disposition: inline; filename=\"logo.png\"\r\n"));
    assert!(eml.contains("Content-Disposition: attachment; filename=\"report.txt\"\r\n"));

    let sent_items = h
        .get(
            &format!("/v1.0/users/{SENDER}/mailFolders/sentItems/messages"),
            Some(&token),
        )
        .await;
    let item = &sent_items.json["value"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["isDraft"], false);
    assert_eq!(item["hasAttachments"], true);
    assert_eq!(item["attachments"][1]["contentId"], "logo");
    assert_eq!(item["attachments"][0]["size"], 100_000);

    // A second draft is deleted: its attachment files go with it.
    let other = h
        .create_draft(&token, &draft_message("a@example.com"))
        .await;
    let added = h
        .post_json(
            &h.draft_path(&other, "/attachments"),
            &token,
            &file_attachment("x", b"x"),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED);
    let dir = h.emu.attachments_dir().join(&other);
    assert!(dir.exists());
    let deleted = h
        .call(
            Method::DELETE,
            &h.draft_path(&other, ""),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(!dir.exists());
    h.call(
        Method::DELETE,
        &h.draft_path(&other, ""),
        Some(&token),
        None,
    )
    .await
    .assert_graph_error(404, "ErrorItemNotFound");

    assert_eq!(
        h.emu.stats(),
        Stats {
            requests: 15,
            token_requests: 1,

            client_credentials_requests: 1,
            graph_requests: 14,
            accepted_messages: 1,
            rejected_requests: 2,
            http2_requests: 15,
            connections: 1,
            drafts_created: 2,
            drafts_sent: 1,
            drafts_deleted: 1,
            attachments_added: 3,
            ..Stats::default()
        }
    );

    // Clearing the stored messages deletes their attachment files too.
    h.emu.clear_messages().expect("clear");
    assert!(std::fs::read_dir(h.emu.attachments_dir())
        .expect("dir")
        .next()
        .is_none());
}

#[tokio::test]
async fn attachments_in_the_create_body_and_the_3_mib_limit() {
    let h = Harness::start_with(|c| c.with_max_request_bytes(8 * 1024 * 1024));
    let token = h.token().await;
    let mut message = draft_message("ops@example.com");
    message["attachments"] = json!([file_attachment("a.txt", b"Hello")]);
    let id = h.create_draft(&token, &message).await;
    let read = h
        .call(Method::GET, &h.draft_path(&id, ""), Some(&token), None)
        .await;
    assert_eq!(read.json["hasAttachments"], true);
    assert!(
        read.json.get("attachments").is_none(),
        "listed only through /attachments"
    );

    let path = h.draft_path(&id, "/attachments");
    let just_under = pattern(3 * 1024 * 1024 - 1);
    let reply = h
        .post_json(&path, &token, &file_attachment("u.bin", &just_under))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    let at_limit = pattern(3 * 1024 * 1024);
    h.post_json(&path, &token, &file_attachment("l.bin", &at_limit))
        .await
        .assert_graph_error(400, "ErrorAttachmentSizeLimitExceeded");

    let sent = h
        .call(
            Method::POST,
            &h.draft_path(&id, "/send"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED);
    let m = &h.emu.messages()[0];
    assert_eq!(m.attachments.len(), 2);
    assert_eq!(m.attachments[0].sha256, sha256_hex(b"Hello"));
    assert_eq!(m.attachments[1].sha256, sha256_hex(&just_under));
}

#[tokio::test]
async fn every_draft_rejection() {
    let h = Harness::start();
    let token = h.token().await;
    let messages = format!("/v1.0/users/{SENDER}/messages");
    let post = |path: String, body: Value| {
        let h = &h;
        let token = token.clone();
        async move { h.post_json(&path, &token, &body).await }
    };

    // Create.
    h.call(
        Method::POST,
        &messages,
        None,
        Some(("application/json", b"{}".to_vec())),
    )
    .await
    .assert_graph_error(401, "InvalidAuthenticationToken");
    h.call(
        Method::POST,
        &messages,
        Some(&token),
        Some(("text/csv", b"a".to_vec())),
    )
    .await
    .assert_graph_error(415, "UnsupportedMediaType");
    h.call(
        Method::POST,
        &messages,
        Some(&token),
        Some(("application/json", b"{".to_vec())),
    )
    .await
    .assert_graph_error(400, "RequestBodyRead");
    let message = post(messages.clone(), json!({"subjekt": "x"}))
        .await
        .assert_graph_error(400, "RequestBodyRead");
    assert!(message.starts_with("Invalid message at '/'"), "{message}");
    post(messages.clone(), json!(["not", "an", "object"]))
        .await
        .assert_graph_error(400, "RequestBodyRead");
    post(
        "/v1.0/users/nobody@contoso.test/messages".into(),
        draft_message("a@example.com"),
    )
    .await
    .assert_graph_error(404, "ErrorInvalidUser");
    let mut headers = draft_message("a@example.com");
    headers["internetMessageHeaders"] = json!((0..6)
        .map(|i| json!({"name": format!("x-h{i}"), "value": "v"}))
        .collect::<Vec<_>>());
    post(messages.clone(), headers)
        .await
        .assert_graph_error(400, "InvalidInternetMessageHeaderCollection");
    let mut bad_header = draft_message("a@example.com");
    bad_header["internetMessageHeaders"] = json!([{"name": "Priority", "value": "1"}]);
    post(messages.clone(), bad_header)
        .await
        .assert_graph_error(400, "InvalidInternetMessageHeader");
    let mut big = draft_message("a@example.com");
    big["body"]["content"] = json!("x".repeat(4 * 1024 * 1024));
    post(messages.clone(), big)
        .await
        .assert_graph_error(413, "RequestEntityTooLarge");
    h.call(Method::GET, &messages, Some(&token), None)
        .await
        .assert_graph_error(405, "MethodNotAllowed");

    // A draft without recipients can be created but not sent; it stays a draft.
    let id = h.create_draft(&token, &json!({"subject": "no one"})).await;
    let send = h.draft_path(&id, "/send");
    h.call(Method::POST, &send, Some(&token), None)
        .await
        .assert_graph_error(400, "ErrorInvalidRecipients");
    assert_eq!(h.emu.stats().open_drafts, 1);
    let bad_to = h
        .create_draft(&token, &draft_message("a@b@c.example"))
        .await;
    h.call(
        Method::POST,
        &h.draft_path(&bad_to, "/send"),
        Some(&token),
        None,
    )
    .await
    .assert_graph_error(400, "ErrorInvalidRecipients");

    // Attachments.
    let attachments = h.draft_path(&id, "/attachments");
    let message = post(
        attachments.clone(),
        json!({"name": "a", "contentBytes": "AAAA"}),
    )
    .await
    .assert_graph_error(400, "RequestBodyRead");
    assert!(message.starts_with("Invalid attachment"), "{message}");
    let mut bogus = file_attachment("a", b"a");
    bogus["bogus"] = json!(1);
    post(attachments.clone(), bogus)
        .await
        .assert_graph_error(400, "RequestBodyRead");
    let mut bad_base64 = file_attachment("a", b"a");
    bad_base64["contentBytes"] = json!("SGVsbG8_");
    post(attachments.clone(), bad_base64)
        .await
        .assert_graph_error(400, "ErrorInvalidRequest");
    post(
        attachments.clone(),
        json!({"@odata.type": "#microsoft.graph.fileAttachment", "name": "a"}),
    )
    .await
    .assert_graph_error(400, "ErrorInvalidRequest");
    post(
        h.draft_path("AAMkAunknown", "/attachments"),
        file_attachment("a", b"a"),
    )
    .await
    .assert_graph_error(404, "ErrorItemNotFound");

    // Unknown drafts and methods.
    for (method, path) in [
        (Method::GET, h.draft_path("AAMkAunknown", "")),
        (Method::DELETE, h.draft_path("AAMkAunknown", "")),
        (Method::POST, h.draft_path("AAMkAunknown", "/send")),
        (Method::GET, h.draft_path("AAMkAunknown", "/attachments")),
        (Method::GET, h.draft_path(&id, "/attachments/nope")),
    ] {
        h.call(method, &path, Some(&token), None)
            .await
            .assert_graph_error(404, "ErrorItemNotFound");
    }
    h.call(Method::PATCH, &h.draft_path(&id, ""), Some(&token), None)
        .await
        .assert_graph_error(405, "MethodNotAllowed");
    h.call(Method::GET, &send, Some(&token), None)
        .await
        .assert_graph_error(405, "MethodNotAllowed");
    h.call(
        Method::GET,
        &h.draft_path(&id, "/attachments/a/b"),
        Some(&token),
        None,
    )
    .await
    .assert_graph_error(404, "ResourceNotFound");

    let stats = h.emu.stats();
    assert_eq!(stats.drafts_created, 2);
    assert_eq!(stats.open_drafts, 2);
    assert_eq!(stats.attachments_added, 0);
    assert_eq!(stats.accepted_messages, 0);
    assert_eq!(stats.rejected_requests, stats.graph_requests - 2);
    assert!(h.emu.messages().is_empty());
}

#[tokio::test]
async fn application_permissions_are_enforced() {
    const SEND_ONLY: &str = "5a1b2c3d-0000-4000-8000-00000000000a";
    const READ_WRITE_ONLY: &str = "5a1b2c3d-0000-4000-8000-00000000000b";
    const READ_ONLY: &str = "5a1b2c3d-0000-4000-8000-00000000000c";
    let h = Harness::start_with(|c| {
        c.with_app(SEND_ONLY, "s1")
            .with_app_permissions(SEND_ONLY, &["Mail.Send"])
            .with_app(READ_WRITE_ONLY, "s2")
            .with_app_permissions(READ_WRITE_ONLY, &["Mail.ReadWrite"])
            .with_app_registration(
                graphmail_emulator::AppRegistration::new(READ_ONLY, "s3")
                    .with_permissions(&["mail.read"]),
            )
    });
    let token_for = |client_id: &'static str, secret: &'static str| {
        let h = &h;
        async move {
            let reply = h
                .token_request(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    ("client_secret", secret),
                    ("scope", common::GRAPH_SCOPE),
                ])
                .await;
            reply.json["access_token"]
                .as_str()
                .expect("token")
                .to_string()
        }
    };
    let send_only = token_for(SEND_ONLY, "s1").await;
    let read_write = token_for(READ_WRITE_ONLY, "s2").await;
    let read_only = token_for(READ_ONLY, "s3").await;
    let full = h.token().await;
    assert!(h.emu.config().apps[0].client_id == DEFAULT_CLIENT_ID);
    let messages = format!("/v1.0/users/{SENDER}/messages");
    let denied = "Access is denied. Check credentials and try again.";

    // Mail.Send only: sendMail works, the draft path does not.
    let reply = h
        .send(&send_only, SENDER, &common::simple_mail("a@example.com"))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    let message = h
        .post_json(&messages, &send_only, &draft_message("a@example.com"))
        .await
        .assert_graph_error(403, "ErrorAccessDenied");
    assert_eq!(message, denied);
    let id = h.create_draft(&full, &draft_message("a@example.com")).await;
    for (method, path, body) in [
        (
            Method::POST,
            h.draft_path(&id, "/attachments"),
            Some(file_attachment("a", b"a")),
        ),
        (
            Method::POST,
            h.draft_path(&id, "/attachments/createUploadSession"),
            Some(
                json!({"AttachmentItem": {"attachmentType": "file", "name": "a", "size": 4_000_000}}),
            ),
        ),
        (Method::GET, h.draft_path(&id, ""), None),
        (Method::DELETE, h.draft_path(&id, ""), None),
    ] {
        let body = body.map(|b| ("application/json", serde_json::to_vec(&b).expect("json")));
        h.call(method, &path, Some(&send_only), body)
            .await
            .assert_graph_error(403, "ErrorAccessDenied");
    }
    // Mail.Read may read a draft, not change it.
    let read = h
        .call(Method::GET, &h.draft_path(&id, ""), Some(&read_only), None)
        .await;
    assert_eq!(read.status, StatusCode::OK);
    h.call(
        Method::DELETE,
        &h.draft_path(&id, ""),
        Some(&read_only),
        None,
    )
    .await
    .assert_graph_error(403, "ErrorAccessDenied");
    // Mail.Send alone may send a draft another app prepared.
    let sent = h
        .call(
            Method::POST,
            &h.draft_path(&id, "/send"),
            Some(&send_only),
            None,
        )
        .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED);

    // Mail.ReadWrite only: drafts yes, sending no.
    h.send(&read_write, SENDER, &common::simple_mail("a@example.com"))
        .await
        .assert_graph_error(403, "ErrorAccessDenied");
    let id = h
        .create_draft(&read_write, &draft_message("a@example.com"))
        .await;
    h.call(
        Method::POST,
        &h.draft_path(&id, "/send"),
        Some(&read_write),
        None,
    )
    .await
    .assert_graph_error(403, "ErrorAccessDenied");
    let deleted = h
        .call(
            Method::DELETE,
            &h.draft_path(&id, ""),
            Some(&read_write),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    let stats = h.emu.stats();
    assert_eq!(stats.accepted_messages, 2);
    assert_eq!(stats.open_drafts, 0, "no stray draft");
    let clients: Vec<String> = h
        .emu
        .messages()
        .iter()
        .map(|m| m.client_id.clone())
        .collect();
    assert_eq!(clients, [SEND_ONLY, SEND_ONLY]);
}
