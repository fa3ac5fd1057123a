//! Every request body the library builds validates against the official Graph schema
//! (`schema/`, a copy of `shared/graph-schema/`), and the schema copy is the official one.

mod support;

use std::path::Path;

use graphmail::graph::send::prepare_send_mail;
use graphmail::{DeliveryNotification, Message, Priority};
use serde_json::Value;
use support::{assert_valid_send_mail, schema_validator};

fn body_of(m: &Message) -> Value {
    let v = m.validate().unwrap();
    serde_json::from_slice(&prepare_send_mail(&v).unwrap().body).unwrap()
}

#[test]
fn every_message_shape_validates() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("logo.png");
    std::fs::write(&png, [0x89, b'P', b'N', b'G', 0, 1, 2, 255, 254, 253]).unwrap();
    let empty = dir.path().join("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    let base = Message {
        from: "alerts@contoso.com".into(),
        to: vec!["ops@contoso.com".into()],
        ..Message::default()
    };
    let variants = vec![
        base.clone(),
        Message {
            subject: Some("s".into()),
            body: Some("b".into()),
            ..base.clone()
        },
        Message {
            body: Some("<b>x</b>".into()),
            body_as_html: true,
            ..base.clone()
        },
        Message {
            priority: Priority::Low,
            ..base.clone()
        },
        Message {
            priority: Priority::High,
            ..base.clone()
        },
        Message {
            delivery_notification: vec![DeliveryNotification::OnSuccess],
            ..base.clone()
        },
        Message {
            save_to_sent_items: false,
            ..base.clone()
        },
        Message {
            from: "\"Ops, Night\" <ops@contoso.com>".into(),
            to: vec!["A <a@x.com>, b@y.com".into()],
            cc: vec!["c@z.com".into()],
            bcc: vec!["d@z.com".into()],
            reply_to: vec!["R <r@x.com>".into()],
            headers: (0..5)
                .map(|i| (format!("X-H{i}"), format!("v{i}")))
                .collect(),
            attachments: vec![png, empty],
            ..base.clone()
        },
        Message {
            to: vec![],
            bcc: vec!["only-bcc@x.com".into()],
            ..base.clone()
        },
        Message {
            subject: Some("Ünïcødé ✓ 日本".into()),
            ..base
        },
    ];
    for m in &variants {
        assert_valid_send_mail(&body_of(m));
    }
}

#[test]
fn the_validator_catches_mistakes() {
    // The check above can fail: a misspelt member or a missing @odata.type is rejected.
    let v = schema_validator("microsoft.graph.user.sendMail.requestBody");
    let bad_member: Value = serde_json::json!({"message": {"toRecipient": []}});
    assert!(!v.is_valid(&bad_member));
    let bad_attachment: Value =
        serde_json::json!({"message": {"attachments": [{"name": "a", "contentBytes": "AA=="}]}});
    assert!(!v.is_valid(&bad_attachment));
    let bad_enum: Value = serde_json::json!({"message": {"importance": "urgent"}});
    assert!(!v.is_valid(&bad_enum));
}

#[test]
fn schema_copy_matches_the_shared_official_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ours = std::fs::read(root.join("schema/graph-v1.0-mail-subset.json")).unwrap();
    let shared = root.join("../shared/graph-schema/graph-v1.0-mail-subset.json");
    match std::fs::read(&shared) {
        Ok(official) => assert!(
            ours == official,
            "schema/ differs from shared/graph-schema/: copy it again"
        ),
        // CI always has shared/ beside the clone; a user's standalone clone may not.
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!(
                "note: {} not found; comparison needs the shared/ folder (CI has it)",
                shared.display()
            )
        }
        Err(e) => panic!("CI must have {}: {e}", shared.display()),
    }
}
