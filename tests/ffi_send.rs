//! Sending through the C ABI into the local emulator: what arrives, token reuse, concurrency,
//! and Graph/identity errors with their codes, HTTP status and request id.

mod support;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use graphmail::ffi::graph_status;
use serde_json::json;
use support::{assert_error, assert_valid_send_mail, FfiClient, TestEmulator};

#[test]
fn a_full_message_arrives_as_sent() {
    let t = TestEmulator::start();
    let pdf = t.file("report.pdf", b"%PDF-1.4 fake report");
    let csv = t.file("data.CSV", "a,b\n1,2\n".as_bytes());
    let client = FfiClient::new(&t.config());
    let (status, result) = client.send(&json!({
        "from": "Alerts Team <alerts@contoso.test>",
        "to": ["Ops <ops@fabrikam.test>", "dev@fabrikam.test, \"Doe, Jane\" <jane@fabrikam.test>"],
        "cc": "cc@fabrikam.test",
        "bcc": ["hidden@fabrikam.test"],
        "replyTo": "Helpdesk <help@contoso.test>",
        "subject": "Nightly report ✓",
        "body": "<h1>Done</h1>",
        "bodyAsHtml": true,
        "priority": "High",
        "deliveryNotificationOption": ["OnSuccess", "Delay"],
        "headers": {"X-Job-Id": "42", "x-source": "scheduler"},
        "attachments": [pdf, csv],
    }));
    assert_eq!(status, graph_status::Ok, "{result}");
    assert_eq!(result["status"], "sent");
    assert_eq!(result["httpStatus"], 202);
    assert!(result["requestId"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(
        result["to"],
        json!([
            "ops@fabrikam.test",
            "dev@fabrikam.test",
            "jane@fabrikam.test"
        ])
    );
    assert_eq!(result["attachments"][0]["contentType"], "application/pdf");
    assert_eq!(result["attachments"][1]["contentType"], "text/csv");
    assert_eq!(
        result["warnings"][0]["code"],
        "DeliveryNotificationOptionUnsupported"
    );

    let stored = t.emulator.messages();
    assert_eq!(stored.len(), 1);
    let m = &stored[0];
    assert_eq!(m.mailbox, "alerts@contoso.test");
    assert_eq!(m.request_id, result["requestId"].as_str().unwrap());
    assert_valid_send_mail(&m.request);
    let msg = &m.request["message"];
    assert_eq!(msg["subject"], "Nightly report ✓");
    assert_eq!(
        msg["body"],
        json!({"contentType": "html", "content": "<h1>Done</h1>"})
    );
    assert_eq!(
        msg["from"]["emailAddress"],
        json!({"address": "alerts@contoso.test", "name": "Alerts Team"})
    );
    assert_eq!(msg["toRecipients"][2]["emailAddress"]["name"], "Doe, Jane");
    assert_eq!(
        msg["ccRecipients"][0]["emailAddress"]["address"],
        "cc@fabrikam.test"
    );
    assert_eq!(
        msg["bccRecipients"][0]["emailAddress"]["address"],
        "hidden@fabrikam.test"
    );
    assert_eq!(msg["replyTo"][0]["emailAddress"]["name"], "Helpdesk");
    assert_eq!(msg["importance"], "high");
    assert_eq!(msg["isDeliveryReceiptRequested"], true);
    assert_eq!(msg["internetMessageHeaders"].as_array().unwrap().len(), 2);
    let att = &msg["attachments"][0];
    assert_eq!(att["@odata.type"], "#microsoft.graph.fileAttachment");
    assert_eq!(att["name"], "report.pdf");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(att["contentBytes"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, b"%PDF-1.4 fake report");
    assert!(
        m.request.get("saveToSentItems").is_none(),
        "only sent when false"
    );
    assert!(m.eml_path.exists() && m.json_path.exists());
}

#[test]
fn save_to_sent_items_false_is_sent_and_honoured() {
    let t = TestEmulator::start();
    let client = FfiClient::new(&t.config());
    let (status, result) = client.send(&json!({
        "from": "reports@contoso.test", "to": "a@fabrikam.test", "subject": "s",
        "saveToSentItems": false,
    }));
    assert_eq!(status, graph_status::Ok, "{result}");
    assert_eq!(result["saveToSentItems"], false);
    let m = &t.emulator.messages()[0];
    assert_eq!(m.request["saveToSentItems"], false);
    assert!(!m.save_to_sent_items);
    assert_valid_send_mail(&m.request);
}

#[test]
fn one_hundred_sends_use_exactly_one_token() {
    let t = TestEmulator::start();
    let client = FfiClient::new(&t.config());
    for i in 0..100 {
        let (status, result) = client.send(&json!({
            "from": "alerts@contoso.test", "to": "ops@fabrikam.test", "subject": format!("n{i}"),
        }));
        assert_eq!(status, graph_status::Ok, "{result}");
    }
    let stats = t.emulator.stats();
    assert_eq!(stats.token_requests, 1);
    assert_eq!(stats.accepted_messages, 100);
    // One HTTP/2 connection, reused for the token request and every send.
    assert_eq!(stats.connections, 1, "{stats:?}");
    assert_eq!(stats.http2_requests, stats.requests, "{stats:?}");
    assert_eq!(t.emulator.messages().len(), 100);
}

#[test]
fn concurrent_first_use_waits_for_one_token_refresh() {
    let t = TestEmulator::start();
    let client = Arc::new(FfiClient::new(&t.config()));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let client = Arc::clone(&client);
            std::thread::spawn(move || {
                for j in 0..5 {
                    let (status, result) = client.send(&json!({
                        "from": "alerts@contoso.test", "to": "ops@fabrikam.test",
                        "subject": format!("thread {i} message {j}"),
                    }));
                    assert_eq!(status, graph_status::Ok, "{result}");
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    assert_eq!(t.emulator.stats().token_requests, 1);
    assert_eq!(t.emulator.messages().len(), 40);
}

#[test]
fn a_token_near_expiry_is_refreshed() {
    // Tokens that live less than the 5-minute refresh margin are never reused.
    let t = TestEmulator::start_with(|c| c.with_token_lifetime(Duration::from_secs(240)));
    let client = FfiClient::new(&t.config());
    for _ in 0..3 {
        let (status, r) =
            client.send(&json!({"from": "alerts@contoso.test", "to": "o@fabrikam.test"}));
        assert_eq!(status, graph_status::Ok, "{r}");
    }
    assert_eq!(t.emulator.stats().token_requests, 3);
    // ... while one that lives longer than the margin is.
    let t = TestEmulator::start_with(|c| c.with_token_lifetime(Duration::from_secs(360)));
    let client = FfiClient::new(&t.config());
    for _ in 0..3 {
        assert_eq!(
            client
                .send(&json!({"from": "alerts@contoso.test", "to": "o@fabrikam.test"}))
                .0,
            graph_status::Ok
        );
    }
    assert_eq!(t.emulator.stats().token_requests, 1);
}

#[test]
fn acquire_token_returns_token_json_and_caches() {
    let t = TestEmulator::start();
    let client = FfiClient::new(&t.config());
    let (status, tok) = client.token();
    assert_eq!(status, graph_status::Ok, "{tok}");
    assert!(tok["accessToken"].as_str().is_some_and(|s| s.len() > 20));
    assert_eq!(tok["tokenType"], "Bearer");
    assert!(tok["expiresOn"].as_str().unwrap().ends_with('Z'));
    let (_, again) = client.token();
    assert_eq!(again["accessToken"], tok["accessToken"]);
    assert_eq!(t.emulator.stats().token_requests, 1);
}

#[test]
fn unknown_sender_mailbox_is_a_graph_error_with_request_id() {
    let t = TestEmulator::start();
    let client = FfiClient::new(&t.config());
    let r = client.send(&json!({"from": "nobody@contoso.test", "to": "ops@fabrikam.test"}));
    assert_error(&r, graph_status::Graph, "MailboxNotFound");
    let e = &r.1["error"];
    assert_eq!(e["httpStatus"], 404);
    assert_eq!(e["graphCode"], "ErrorInvalidUser");
    assert!(e["requestId"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("nobody@contoso.test"));
    assert!(t.emulator.messages().is_empty());
}

#[test]
fn wrong_secret_is_an_auth_error_that_says_what_to_fix() {
    let t = TestEmulator::start();
    let mut config = t.config();
    config["clientSecret"] = json!("wrong-secret-value-XYZ");
    let client = FfiClient::new(&config);
    let r = client.send(&json!({"from": "alerts@contoso.test", "to": "ops@fabrikam.test"}));
    assert_error(&r, graph_status::Auth, "InvalidClientSecret");
    let e = &r.1["error"];
    assert_eq!(e["httpStatus"], 401);
    assert_eq!(e["graphCode"], "invalid_client");
    assert!(e["requestId"].as_str().is_some());
    assert!(e["message"].as_str().unwrap().contains("AADSTS7000215"));
    assert!(
        !r.1.to_string().contains("wrong-secret-value-XYZ"),
        "the secret never appears in errors"
    );
    assert_eq!(
        t.emulator.stats().graph_requests,
        0,
        "no Graph call without a token"
    );
}

#[test]
fn unknown_tenant_and_unknown_app_are_named() {
    let t = TestEmulator::start();
    let mut config = t.config();
    config["tenantId"] = json!("no-such-tenant.example");
    let r = FfiClient::new(&config).token();
    assert_error(&r, graph_status::Auth, "TenantNotFound");
    let mut config = t.config();
    config["clientId"] = json!("00000000-0000-0000-0000-00000000beef");
    let r = FfiClient::new(&config).token();
    assert_error(&r, graph_status::Auth, "ApplicationNotFound");
}

#[test]
fn preview_shows_the_request_and_sends_nothing() {
    let t = TestEmulator::start();
    let pdf = t.file("invoice.pdf", &[7u8; 1000]);
    let message = json!({
        "from": "alerts@contoso.test", "to": "ops@fabrikam.test", "subject": "WhatIf",
        "attachments": [pdf], "smtpServer": "smtp.office365.com", "useSsl": true,
        "deliveryNotificationOption": "OnFailure",
    });
    let client = FfiClient::new(&t.config());
    let (status, preview) = client.preview(Some(&message));
    assert_eq!(status, graph_status::Ok, "{preview}");
    assert_eq!(preview["method"], "POST");
    assert_eq!(
        preview["url"],
        format!(
            "{}/v1.0/users/alerts@contoso.test/sendMail",
            t.emulator.base_url()
        )
    );
    assert_eq!(preview["body"]["message"]["subject"], "WhatIf");
    assert_eq!(preview["attachments"][0]["size"], 1000);
    assert!(preview["body"]["message"]["attachments"][0]["contentBytes"]
        .as_str()
        .unwrap()
        .contains("1000 bytes"));
    let levels: Vec<(String, String)> = preview["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["code"].as_str().unwrap().into(),
                w["level"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        levels.contains(&("SmtpServerIgnored".into(), "verbose".into())),
        "{levels:?}"
    );
    assert!(levels.contains(&(
        "DeliveryNotificationOptionUnsupported".into(),
        "warning".into()
    )));
    // Without a client the URL uses the Global cloud.
    let (status, preview) = FfiClient::preview_without_client(&message);
    assert_eq!(status, graph_status::Ok, "{preview}");
    assert_eq!(
        preview["url"],
        "https://graph.microsoft.com/v1.0/users/alerts@contoso.test/sendMail"
    );
    // Bad input is refused like a send.
    let r = client.preview(Some(&json!({"to": "ops@fabrikam.test"})));
    support::assert_error(&r, graph_status::InvalidArgument, "MissingFrom");
    assert_eq!(
        t.emulator.stats().requests,
        0,
        "a preview sends nothing, not even a token request"
    );
}

#[test]
fn send_results_carry_warning_levels() {
    let t = TestEmulator::start();
    let (status, r) = FfiClient::new(&t.config()).send(&json!({
        "from": "alerts@contoso.test", "to": "ops@fabrikam.test", "encoding": "us-ascii", "port": 25,
    }));
    assert_eq!(status, graph_status::Ok, "{r}");
    let warnings = r["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{r}");
    assert!(warnings.iter().all(|w| w["level"] == "verbose"));
}
