//! Client assertions (`client_assertion`): certificate-signed assertions made by the app and
//! federated tokens from the emulator's federation issuer, checked as Entra checks them.
//! Every rejection is `401 invalid_client`. Assertions are never logged or stored.
//!
//! Error codes (Entra's documented or observed codes; none is documented per check):
//!
//! | check | code |
//! | --- | --- |
//! | not a JWT, unsupported `alg`, no thumbprint, missing `iss`/`sub`/`exp`/`jti` | AADSTS50027 (InvalidJwtToken, "JWT token is invalid or malformed") |
//! | `iss` != `sub` | AADSTS50048 (SubjectMismatchesIssuer) |
//! | `iss` is not the `client_id` parameter | AADSTS700021 (the Azure SDK troubleshooting guides' "client assertion application identifier doesn't match 'client_id' parameter") |
//! | thumbprint of no registered certificate | AADSTS700027 ("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '…'") |
//! | registered certificate expired or not yet valid | AADSTS700027 ("[Reason - The key used is expired.") |
//! | bad signature | AADSTS700027 ("Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.") |
//! | `aud` is not the token URL | AADSTS700023 ("Client assertion audience claim does not match Realm issuer", as Entra answers it; the brief's AADSTS700212 belongs to federated credentials) |
//! | outside `nbf`..`exp` (5 minutes of skew), or `exp - nbf` over a day | AADSTS700024 ("Client assertion is not within its valid time range"); the one-day limit is the emulator's (Entra documents none) |
//! | federated: an issuer that is not the emulator's | AADSTS700211 ("No matching federated identity record found for presented assertion issuer") |
//! | federated: audience not `api://AzureADTokenExchange` | AADSTS700212 (… "assertion audience") |
//! | federated: the app has no federated credential | AADSTS70021 ("No matching federated identity record found for presented assertion.") |
//! | federated: subject not registered for the app | AADSTS700213 (… "assertion subject"; today's Entra code, which replaced AADSTS70021 for this case) |

use crate::aad_error::AadError;
use crate::certificates::Thumbprint;
use crate::config::AppRegistration;
use crate::http::{printable, Ctx};
use crate::jwt::{self, Algorithm, Decoded, FEDERATION_AUDIENCE};
use crate::server::State;
use crate::stats::Counters;
use crate::timefmt::{aad_instant, aad_key_date};

/// Clock skew allowed on `nbf` and `exp`.
const CLOCK_SKEW_SECS: i64 = 300;
/// Longest `exp - nbf` accepted.
const MAX_LIFETIME_SECS: i64 = 24 * 3600;
/// Login hosts whose token URL is an accepted `aud` (besides the emulator's own origins).
const LOGIN_HOSTS: &[&str] = &[
    "https://login.microsoftonline.com",
    "https://login.microsoftonline.us",
    "https://login.partner.microsoftonline.cn",
    "https://login.chinacloudapi.cn",
];
const CERT_DOCS: &str =
    "Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .";
const FEDERATION_DOCS: &str = "Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

fn malformed(detail: &str) -> AadError {
    AadError::invalid_client(
        50027,
        format!("JWT token is invalid or malformed. {detail}"),
    )
}

/// Check `assertion` as the credential of `app` at the token endpoint of `tenant`: a federated
/// token when its `iss` is the emulator's federation issuer, else a certificate assertion.
pub(crate) fn validate(
    state: &State,
    ctx: &Ctx,
    tenant: &str,
    app: &AppRegistration,
    assertion: &str,
) -> Result<(), AadError> {
    let token = jwt::decode(assertion).map_err(|_| malformed("It is not a signed JWT."))?;
    let issuer = token
        .claim_str("iss")
        .ok_or_else(|| malformed("The 'iss' claim is missing."))?;
    if issuer == state.federation.issuer() {
        Counters::bump(&state.counters.federated_assertions);
        validate_federated(state, ctx, app, &token)
    } else {
        Counters::bump(&state.counters.certificate_assertions);
        validate_certificate(state, ctx, tenant, app, &token)
    }
}

fn validate_certificate(
    state: &State,
    ctx: &Ctx,
    tenant: &str,
    app: &AppRegistration,
    token: &Decoded,
) -> Result<(), AadError> {
    let alg = token.header_str("alg").unwrap_or_default();
    let algorithm = Algorithm::from_name(alg).ok_or_else(|| {
        malformed(&format!(
            "'{}' is not a supported signature algorithm. Supported algorithms are 'PS256, RS256'.",
            printable(alg)
        ))
    })?;
    let issuer = token.claim_str("iss").unwrap_or_default();
    let subject = token
        .claim_str("sub")
        .ok_or_else(|| malformed("The 'sub' claim is missing."))?;
    if issuer != subject {
        let names_the_app = issuer.eq_ignore_ascii_case(&app.client_id)
            || subject.eq_ignore_ascii_case(&app.client_id);
        if !names_the_app {
            // A token of some other identity provider: Entra looks for a federated identity
            // credential with that issuer.
            return Err(AadError::invalid_client(
                700211,
                format!(
                    "No matching federated identity record found for presented assertion issuer '{}'. {FEDERATION_DOCS}",
                    printable(issuer)
                ),
            ));
        }
        return Err(AadError::invalid_client(
            50048,
            "Subject mismatches Issuer claim in the client assertion.",
        ));
    }
    if !issuer.eq_ignore_ascii_case(&app.client_id) {
        return Err(AadError::invalid_client(
            700021,
            format!("Client assertion application identifier doesn't match 'client_id' parameter. {CERT_DOCS}"),
        ));
    }

    // The certificate named by the header thumbprint.
    let (member, thumbprint) = match (token.header_str("x5t#S256"), token.header_str("x5t")) {
        (Some(t), _) => ("x5t#S256", t),
        (None, Some(t)) => ("x5t", t),
        (None, None) => {
            return Err(malformed(
                "No certificate thumbprint specified in token header.",
            ))
        }
    };
    let raw = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(thumbprint.trim_end_matches('='))
            .map_err(|_| malformed(&format!("The '{member}' header is not base64url.")))?
    };
    let lookup = if member == "x5t#S256" {
        Thumbprint::Sha256(&raw)
    } else {
        Thumbprint::Sha1(&raw)
    };
    let key_help = format!(
        "Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{}'.",
        app.client_id
    );
    let shown = jwt::hex_upper(&raw);
    let Some(cert) = state.certificates.find(&app.client_id, lookup) else {
        return Err(AadError::invalid_client(
            700027,
            format!(
                "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{shown}', {key_help}]"
            ),
        ));
    };
    let now = ctx.now.unix_timestamp();
    let found = format!(
        "Found key 'Start={}, End={}'",
        aad_key_date(cert.not_before),
        aad_key_date(cert.not_after)
    );
    if now > cert.not_after || now < cert.not_before {
        let reason = if now > cert.not_after {
            "The key used is expired."
        } else {
            "The key used is not yet valid."
        };
        return Err(AadError::invalid_client(
            700027,
            format!("Client assertion contains an invalid signature. [Reason - {reason}, Thumbprint of key used by client: '{shown}', {found}, {key_help}]"),
        ));
    }
    if !token.verify(algorithm, &cert.public_key) {
        return Err(AadError::invalid_client(
            700027,
            format!("Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '{shown}', {found}, {key_help}]"),
        ));
    }

    let accepted: Vec<String> = [state.base_url.as_str(), ctx.origin.as_str()]
        .into_iter()
        .chain(LOGIN_HOSTS.iter().copied())
        .map(|authority| jwt::token_url(authority, tenant))
        .collect();
    let audiences = token.audiences();
    if !audiences
        .iter()
        .any(|aud| accepted.iter().any(|a| a.eq_ignore_ascii_case(aud)))
    {
        return Err(AadError::invalid_client(
            700023,
            format!("Client assertion audience claim does not match Realm issuer. {CERT_DOCS}"),
        ));
    }
    check_time(token, now)?;
    match token.claim_str("jti") {
        Some(jti) if !jti.is_empty() => Ok(()),
        _ => Err(malformed("The 'jti' claim is missing.")),
    }
}

/// `nbf <= now < exp` within the skew, and a lifetime of at most a day.
fn check_time(token: &Decoded, now: i64) -> Result<(), AadError> {
    let time = |name: &str| -> Result<Option<i64>, AadError> {
        token
            .claim_time(name)
            .transpose()
            .map_err(|_| malformed(&format!("The '{name}' claim is not a number.")))
    };
    let expires = time("exp")?.ok_or_else(|| malformed("The 'exp' claim is missing."))?;
    let not_before = time("nbf")?;
    let starts = not_before.or(time("iat")?);
    let out_of_range = || {
        AadError::invalid_client(
            700024,
            format!(
                "Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, expiry time of assertion {}. {CERT_DOCS}",
                aad_instant(now),
                aad_instant(not_before.unwrap_or(0)),
                aad_instant(expires)
            ),
        )
    };
    if now.saturating_sub(CLOCK_SKEW_SECS) >= expires
        || not_before.is_some_and(|nbf| now.saturating_add(CLOCK_SKEW_SECS) < nbf)
    {
        return Err(out_of_range());
    }
    if let Some(starts) = starts {
        let lifetime = expires.saturating_sub(starts);
        if lifetime > MAX_LIFETIME_SECS {
            return Err(AadError::invalid_client(
                700024,
                format!(
                    "Client assertion is not within its valid time range: its lifetime of {lifetime} seconds exceeds the emulator's limit of one day ({MAX_LIFETIME_SECS} seconds). {CERT_DOCS}"
                ),
            ));
        }
    }
    Ok(())
}

fn validate_federated(
    state: &State,
    ctx: &Ctx,
    app: &AppRegistration,
    token: &Decoded,
) -> Result<(), AadError> {
    if !state.federation.verify(token) {
        return Err(AadError::invalid_client(
            700027,
            "Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value of the federation issuer's key.]",
        ));
    }
    check_time(token, ctx.now.unix_timestamp())?;
    let audiences = token.audiences();
    let subject = token.claim_str("sub").unwrap_or_default();
    if !audiences.contains(&FEDERATION_AUDIENCE) {
        return Err(AadError::invalid_client(
            700212,
            format!(
                "No matching federated identity record found for presented assertion audience '{}'. {FEDERATION_DOCS}",
                printable(&audiences.join(", "))
            ),
        ));
    }
    if app.federated_subjects.is_empty() {
        return Err(AadError::invalid_client(
            70021,
            format!(
                "No matching federated identity record found for presented assertion. Assertion Issuer: '{}'. Assertion Subject: '{}'. Assertion Audience: '{}'. {FEDERATION_DOCS}",
                state.federation.issuer(),
                printable(subject),
                FEDERATION_AUDIENCE
            ),
        ));
    }
    if !app.federated_subjects.iter().any(|s| s == subject) {
        return Err(AadError::invalid_client(
            700213,
            format!(
                "No matching federated identity record found for presented assertion subject '{}'. {FEDERATION_DOCS}",
                printable(subject)
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decoded(claims: serde_json::Value) -> Decoded {
        let cert = crate::test_certificates::TestCertificate::client_a();
        let token = jwt::encode(
            &json!({"alg": "PS256"}),
            &claims,
            &cert.signing_key(),
            Algorithm::Ps256,
        )
        .expect("sign");
        jwt::decode(&token).expect("decode")
    }

    #[test]
    fn time_window() {
        let now = 1_700_000_000;
        let ok = decoded(json!({"nbf": now, "exp": now + 600}));
        assert!(check_time(&ok, now).is_ok());
        assert!(check_time(&ok, now - 299).is_ok(), "skew before nbf");
        assert_eq!(check_time(&ok, now - 301).map_err(|e| e.code), Err(700024));
        assert!(check_time(&ok, now + 899).is_ok(), "skew after exp");
        assert_eq!(check_time(&ok, now + 900).map_err(|e| e.code), Err(700024));
        let long = decoded(json!({"nbf": now, "exp": now + 86_401}));
        let err = check_time(&long, now).expect_err("too long");
        assert!(err.text.contains("86401 seconds"), "{}", err.text);
        let no_nbf = decoded(json!({"exp": now + 60}));
        assert!(check_time(&no_nbf, now).is_ok());
        let expired = decoded(json!({"exp": now - 3600}));
        let err = check_time(&expired, now).expect_err("expired");
        assert!(
            err.text
                .contains("assertion valid from 1970-01-01T00:00:00.0000000Z"),
            "{}",
            err.text
        );
        let no_exp = decoded(json!({"nbf": now}));
        assert_eq!(check_time(&no_exp, now).map_err(|e| e.code), Err(50027));
        let text_exp = decoded(json!({"exp": "soon"}));
        assert_eq!(check_time(&text_exp, now).map_err(|e| e.code), Err(50027));
    }
}
