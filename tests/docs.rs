//! The README documents every stable contract: each error code, each configuration key and
//! each message key. A new code or key without documentation fails here.

use graphmail::config::CONFIG_KEYS;
use graphmail::message::MESSAGE_KEYS;
use graphmail::ErrorCode;

const README: &str = include_str!("../README.md");

#[test]
fn every_error_code_is_documented() {
    for code in ErrorCode::ALL {
        assert!(
            README.contains(&format!("| `{}` |", code.as_str())),
            "README lacks error code {code}"
        );
    }
}

#[test]
fn every_message_key_is_documented() {
    for key in MESSAGE_KEYS {
        assert!(
            README.contains(&format!("`{key}`")),
            "README lacks message key {key}"
        );
    }
}

#[test]
fn every_config_key_is_documented_and_accepted() {
    for key in CONFIG_KEYS {
        assert!(
            README.contains(&format!("| `{key}` |")),
            "README lacks config key {key}"
        );
        // The library accepts each key (an unknown one would be rejected as InvalidConfig).
        let mut config = serde_json::json!({"tenantId": "t", "clientId": "c", "clientSecret": "s"});
        if config.get(*key).is_none() {
            config[*key] = serde_json::Value::Null;
        }
        graphmail::ClientConfig::from_json(&config.to_string())
            .unwrap_or_else(|e| panic!("{key}: {e}"));
    }
}
