//! MIME mode: `sendMail` and create-message with `Content-Type: text/plain` carrying base64
//! of an RFC 5322 message; the original is kept as the `.eml`.

mod common;

use common::{b64, sha256_hex, Harness, SENDER};
use graphmail_emulator::Stats;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// A message with an HTML body, an inline image, a file attachment and seven x- headers
/// (MIME mode is the documented way past the five-header limit of JSON mode).
fn sample_eml() -> String {
    let mut eml = String::from(
        "From: Alerts <alerts@contoso.test>\r\n\
         To: Ops <ops@example.com>\r\n\
         Cc: cc@example.com\r\n\
         Subject: MIME report\r\n\
         MIME-Version: 1.0\r\n",
    );
    for i in 0..7 {
        eml.push_str(&format!("X-Trace-{i}: {i}\r\n"));
    }
    eml.push_str(
        "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
         \r\n\
         --outer\r\n\
         Content-Type: multipart/related; boundary=\"inner\"\r\n\
         \r\n\
         --inner\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         \r\n\
         <p>Chart: <img src=\"cid:chart\"></p>\r\n\
         --inner\r\n\
         Content-Type: image/png; name=\"chart.png\"\r\n\
         Content-Disposition: inline; filename=\"chart.png\"\r\n\
         Content-ID: <chart>\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         iVBORw0KGgo=\r\n\
         --inner--\r\n\
         --outer\r\n\
         Content-Type: text/csv; name=\"data.csv\"\r\n\
         Content-Disposition: attachment; filename=\"data.csv\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         YSxiCjEsMgo=\r\n\
         --outer--\r\n",
    );
    eml
}

/// Base64 wrapped at 76 characters with CRLF, as the documentation shows it.
fn wrapped(bytes: &[u8]) -> Vec<u8> {
    b64(bytes)
        .as_bytes()
        .chunks(76)
        .flat_map(|line| line.iter().copied().chain(*b"\r\n"))
        .collect()
}

#[tokio::test]
async fn mime_send_mail_is_parsed_and_stored_verbatim() {
    let h = Harness::start();
    let token = h.token().await;
    let eml = sample_eml();
    let reply = h
        .send_raw(Some(&token), SENDER, "text/plain", wrapped(eml.as_bytes()))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.json);
    let m = &h.emu.messages()[0];
    assert!(m.mime && !m.via_draft);
    assert_eq!(std::fs::read(&m.eml_path).expect("eml"), eml.as_bytes());
    let message = &m.request["message"];
    assert_eq!(message["subject"], "MIME report");
    assert_eq!(message["body"]["contentType"], "html");
    assert_eq!(
        message["toRecipients"][0]["emailAddress"]["address"],
        "ops@example.com"
    );
    assert_eq!(
        message["ccRecipients"][0]["emailAddress"]["address"],
        "cc@example.com"
    );
    assert_eq!(
        message["internetMessageHeaders"].as_array().map(Vec::len),
        Some(7)
    );
    assert_eq!(m.attachments.len(), 2);
    let chart = &m.attachments[0];
    assert_eq!(chart.name, "chart.png");
    assert!(chart.is_inline);
    assert_eq!(chart.content_id.as_deref(), Some("chart"));
    assert_eq!(chart.content_type.as_deref(), Some("image/png"));
    assert_eq!(chart.sha256, sha256_hex(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(m.attachments[1].sha256, sha256_hex(b"a,b\n1,2\n"));
    assert!(!m.attachments[1].is_inline);

    let listed = h
        .get(
            &format!("/v1.0/users/{SENDER}/mailFolders/sentItems/messages"),
            Some(&token),
        )
        .await;
    let item = &listed.json["value"][0];
    assert_eq!(item["subject"], "MIME report");
    assert_eq!(item["hasAttachments"], true);
    assert_eq!(item["attachments"][0]["size"], 8);
    assert!(item["attachments"][0].get("contentBytes").is_none());

    assert_eq!(
        h.emu.stats(),
        Stats {
            requests: 3,
            token_requests: 1,

            client_credentials_requests: 1,
            graph_requests: 2,
            accepted_messages: 1,
            http2_requests: 3,
            connections: 1,
            mime_messages: 1,
            send_mail_requests: 1,
            ..Stats::default()
        }
    );
}

#[tokio::test]
async fn mime_rejections() {
    let h = Harness::start_with(|c| c.with_max_request_bytes(8 * 1024 * 1024));
    let token = h.token().await;
    let message = h
        .send_raw(Some(&token), SENDER, "text/plain", b"not base64!".to_vec())
        .await
        .assert_graph_error(400, "ErrorMimeContentInvalidBase64String");
    assert_eq!(message, "Invalid base64 string for MIME content.");
    h.send_raw(Some(&token), SENDER, "text/plain", Vec::new())
        .await
        .assert_graph_error(400, "ErrorMimeContentInvalidBase64String");
    h.send_raw(
        Some(&token),
        SENDER,
        "text/plain",
        b64(b"just text").into_bytes(),
    )
    .await
    .assert_graph_error(400, "ErrorMimeContentInvalid");
    let no_recipients = "From: alerts@contoso.test\r\nSubject: x\r\n\r\nbody\r\n";
    h.send_raw(
        Some(&token),
        SENDER,
        "text/plain",
        wrapped(no_recipients.as_bytes()),
    )
    .await
    .assert_graph_error(400, "ErrorInvalidRecipients");
    h.send_raw(
        Some(&token),
        "nobody@contoso.test",
        "text/plain",
        wrapped(sample_eml().as_bytes()),
    )
    .await
    .assert_graph_error(404, "ErrorInvalidUser");
    let mut big = sample_eml();
    big.push_str(&"x".repeat(4 * 1024 * 1024));
    h.send_raw(Some(&token), SENDER, "text/plain", wrapped(big.as_bytes()))
        .await
        .assert_graph_error(413, "RequestEntityTooLarge");

    // With the default 4 MB request limit the base64 body itself is too large.
    let strict = Harness::start();
    let strict_token = strict.token().await;
    strict
        .send_raw(
            Some(&strict_token),
            SENDER,
            "text/plain",
            wrapped(big.as_bytes()),
        )
        .await
        .assert_graph_error(413, "RequestEntityTooLarge");

    assert!(h.emu.messages().is_empty());
    assert_eq!(h.emu.stats().mime_messages, 0);
}

#[tokio::test]
async fn mime_drafts_keep_the_original_until_an_attachment_is_added() {
    let h = Harness::start();
    let token = h.token().await;
    let eml = sample_eml();
    let messages = format!("/v1.0/users/{SENDER}/messages");
    let create = |body: Vec<u8>| {
        let h = &h;
        let token = token.clone();
        let messages = messages.clone();
        async move {
            h.call(
                Method::POST,
                &messages,
                Some(&token),
                Some(("text/plain", body)),
            )
            .await
        }
    };
    let created = create(wrapped(eml.as_bytes())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    assert_eq!(created.json["isDraft"], true);
    assert_eq!(created.json["subject"], "MIME report");
    assert_eq!(created.json["hasAttachments"], true);
    let id = created.json["id"].as_str().expect("id").to_string();
    let listed = h
        .call(
            Method::GET,
            &h.draft_path(&id, "/attachments"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(listed.json["value"].as_array().map(Vec::len), Some(2));
    let sent = h
        .call(
            Method::POST,
            &h.draft_path(&id, "/send"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.json);
    let m = &h.emu.messages()[0];
    assert!(m.mime && m.via_draft);
    assert_eq!(std::fs::read(&m.eml_path).expect("eml"), eml.as_bytes());
    assert_eq!(m.attachments.len(), 2);

    // An attachment added later is in the rendered .eml with the parsed ones.
    let second = create(wrapped(eml.as_bytes())).await;
    let id = second.json["id"].as_str().expect("id").to_string();
    let added = h
        .post_json(
            &h.draft_path(&id, "/attachments"),
            &token,
            &json!({"@odata.type": "#microsoft.graph.fileAttachment", "name": "extra.txt",
                "contentBytes": b64(b"extra")}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED);
    let sent = h
        .call(
            Method::POST,
            &h.draft_path(&id, "/send"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED);
    let m = &h.emu.messages()[1];
    let rendered = std::fs::read_to_string(&m.eml_path).expect("eml");
    assert_ne!(rendered, eml);
    for name in ["chart.png", "data.csv", "extra.txt"] {
        assert!(rendered.contains(&format!("filename=\"{name}\"")), "{name}");
    }
    assert!(rendered.contains("\r\nSubject: MIME report\r\n"));
    assert_eq!(m.attachments.len(), 3);

    create(b"%%%".to_vec())
        .await
        .assert_graph_error(400, "ErrorMimeContentInvalidBase64String");
    assert_eq!(h.emu.stats().mime_messages, 2);
    assert_eq!(h.emu.stats().open_drafts, 0);
}
