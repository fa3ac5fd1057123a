//! Configuration JSON (the C ABI's `config_json`):
//! `ClientConfig::from_json_with_lookup(text, |_| None)`, so the environment never leaks in.
//! Parsing a configuration opens no file and makes no request.
//!
//! Invariants checked, beyond "never panics":
//! * every error has a non-empty message and its JSON carries its stable code;
//! * a secret the input holds (`clientSecret`, `clientAssertion`, `accessToken`,
//!   `certificatePassword`, `proxy`) never shows in an error's message, JSON or `Debug`, nor in
//!   a configuration's `Debug`.
//!
//! The secret check is differential, so that a secret that happens to be a word of a fixed
//! message (a secret `"tenantId"`) is not a false alarm: the same configuration is parsed again
//! with the secret replaced by a placeholder that takes the same path (the same outcome, error
//! code and field), and a leak is a secret that shows only when it is the real value.

#![no_main]

use graphmail::{ClientConfig, Error};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const SECRET_KEYS: &[&str] = &[
    "clientSecret",
    "clientAssertion",
    "accessToken",
    "certificatePassword",
    "proxy",
];
const PLACEHOLDER: &str = "placeholder-Q7vX2";

fn parse(text: &str) -> Result<ClientConfig, Error> {
    ClientConfig::from_json_with_lookup(text, |_| None)
}

/// Everything a caller can see of a parse result.
fn visible(result: &Result<ClientConfig, Error>) -> String {
    match result {
        Ok(config) => format!("{config:?}"),
        Err(e) => format!("{e}\n{e:?}\n{}", e.to_json()),
    }
}

/// Which way a parse went: success, or the error's code and field.
fn outcome(result: &Result<ClientConfig, Error>) -> Option<(&'static str, Option<String>)> {
    result
        .as_ref()
        .err()
        .map(|e| (e.code().as_str(), e.field().map(str::to_string)))
}

fn check_error(e: &Error) {
    assert!(!e.message().is_empty(), "an error without a message: {e:?}");
    let json = e.to_json();
    assert_eq!(json["error"]["code"], e.code().as_str(), "{json}");
    assert_eq!(json["error"]["message"], e.message(), "{json}");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let result = parse(text);
    if let Err(e) = &result {
        check_error(e);
    }

    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return;
    };
    for key in SECRET_KEYS {
        let Some(Value::String(secret)) = map.get(*key) else {
            continue;
        };
        // Short values are too likely to be a piece of any text ("a", "://").
        if secret.trim().len() < 6 || secret.contains(PLACEHOLDER) {
            continue;
        }
        let real = parse(&Value::Object(map.clone()).to_string());
        // A placeholder that takes the same path (same outcome, code and field): a valid and
        // an invalid URL for `proxy`, whose validity changes the path.
        let Some(baseline) = [
            PLACEHOLDER.to_string(),
            format!("http://{PLACEHOLDER}:3128"),
        ]
        .into_iter()
        .map(|p| {
            let mut other = map.clone();
            other.insert(key.to_string(), Value::String(p));
            parse(&Value::Object(other).to_string())
        })
        .find(|other| outcome(other) == outcome(&real)) else {
            continue;
        };
        let shown = visible(&real);
        let baseline = visible(&baseline);
        // Debug and JSON escape some characters: look for the raw and the escaped forms.
        let escaped = serde_json::to_string(secret).unwrap();
        let escaped = &escaped[1..escaped.len() - 1];
        let debug = format!("{secret:?}");
        let debug = &debug[1..debug.len() - 1];
        for form in [secret.as_str(), escaped, debug] {
            assert!(
                !shown.contains(form) || baseline.contains(form),
                "the {key} value {form:?} shows in:\n{shown}"
            );
        }
    }
});
