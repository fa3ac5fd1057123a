//! Which names hold secrets: `$AppSecret`, `$SmtpPassword`, `$env:AZURE_CLIENT_SECRET`, a
//! `Password` hashtable key, a `-ClientSecret` parameter.
//!
//! A name holds a secret when it contains `password`, `passwd`, `passphrase`, `secret`, `apikey`,
//! `api_key`, `accesskey` or `access_key`, ends with `pwd` or `token`, or ends with the word `pass`
//! (`$Pass`, `$mailPass`, `$smtp_pass`; not `$Compass`) — unless it
//! ends with a word that names something about the secret rather than the secret itself (`file`,
//! `path`, `name`, `id`, `length`, `prompt`, `url`, ...). `$PWD` (the current location) is not
//! a secret.

const CONTAINS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "apikey",
    "api_key",
    "accesskey",
    "access_key",
];

const ENDS_WITH: &[&str] = &["pwd", "token"];

const NOT_THE_SECRET: &[&str] = &[
    "file",
    "path",
    "dir",
    "folder",
    "name",
    "id",
    "length",
    "len",
    "prompt",
    "policy",
    "url",
    "uri",
    "hint",
    "expiry",
    "expires",
    "expiration",
    "date",
    "count",
    "required",
    "vault",
    "type",
    "label",
    "header",
    "location",
    "store",
    "lifetime",
    "age",
];

/// Whether a variable, key or parameter name holds a secret (scope prefixes like `env:` and
/// `script:` are ignored).
pub fn is_secret_name(name: &str) -> bool {
    let lower = name
        .trim_start_matches(['$', '@', '-'])
        .trim_matches(['{', '}'])
        .to_ascii_lowercase();
    let bare = lower.rsplit(':').next().unwrap_or(&lower);
    let original = name.trim_end_matches('}');
    let original = &original[original.len() - bare.len().min(original.len())..];
    if bare == "pwd" || bare.is_empty() {
        return false;
    }
    if NOT_THE_SECRET.iter().any(|s| bare.ends_with(s)) {
        return false;
    }
    CONTAINS.iter().any(|w| bare.contains(w))
        || ENDS_WITH.iter().any(|w| bare.ends_with(w))
        || ends_with_word_pass(original)
}

/// `pass` as a word at the end: the whole name, after `_`/`-`/a digit, or capitalized (`mailPass`).
fn ends_with_word_pass(name: &str) -> bool {
    let bytes = name.as_bytes();
    let n = bytes.len();
    if n < 4 || !bytes[n - 4..].eq_ignore_ascii_case(b"pass") {
        return false;
    }
    n == 4 || bytes[n - 4] == b'P' || matches!(bytes[n - 5], b'_' | b'-' | b'0'..=b'9')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "$AppSecret",
            "$Password",
            "$smtppassword",
            "$SMTP_PASSWD",
            "$env:AZURE_CLIENT_SECRET",
            "$script:ApiKey",
            "${Admin Pwd}",
            "$mailPass",
            "$AccessToken",
            "Password",
            "-ClientSecret",
            "$ClientSecretValue",
        ] {
            assert!(is_secret_name(name), "{name} holds a secret");
        }
    }

    #[test]
    fn names_about_secrets_are_not_secrets() {
        for name in [
            "$PWD",
            "$PasswordFile",
            "$SecretName",
            "$ClientSecretId",
            "$TokenUrl",
            "$PassThru",
            "$Compass",
            "$Subject",
            "$PasswordLength",
            "$secretVault",
        ] {
            assert!(!is_secret_name(name), "{name} does not hold a secret");
        }
    }
}
