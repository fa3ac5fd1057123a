//! The README documents every stable contract: each error code, each configuration key and
//! each message key. A new code or key without documentation fails here.

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
fn every_config_key_is_documented() {
    for key in [
        "tenantId",
        "clientId",
        "clientSecret",
        "cloud",
        "authorityHost",
        "graphEndpoint",
        "caCertificatePath",
        "proxy",
        "timeoutSeconds",
        "connectTimeoutSeconds",
    ] {
        assert!(
            README.contains(&format!("| `{key}` |")),
            "README lacks config key {key}"
        );
        // ... and the library really accepts it (an unknown key would be rejected).
        let json = format!(r#"{{"tenantId":"t","clientId":"c","clientSecret":"s","{key}":null}}"#);
        let json = if key.starts_with("tenant") || key.starts_with("client") {
            r#"{"tenantId":"t","clientId":"c","clientSecret":"s"}"#.to_string()
        } else {
            json
        };
        graphmail::ClientConfig::from_json(&json).unwrap_or_else(|e| panic!("{key}: {e}"));
    }
}
