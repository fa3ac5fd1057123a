//! The Microsoft identity platform token endpoint (`{authority}/{tenant}/oauth2/v2.0/token`):
//! posting a form, reading the token, and turning AADSTS errors into messages that say what
//! to fix.

use std::time::{Duration, SystemTime};

use zeroize::{Zeroize, Zeroizing};

use crate::auth::AccessToken;
use crate::error::{Error, ErrorCode, Result};
use crate::graph::wire::{TokenErrorResponse, TokenResponse};
use crate::http::host_of;
use crate::secret::Secret;

/// Who is asking, for error messages.
pub struct TokenContext<'a> {
    /// The token endpoint URL.
    pub token_url: &'a str,
    /// Tenant id or domain.
    pub tenant_id: &'a str,
    /// Application (client) id.
    pub client_id: &'a str,
}

/// A request body that is wiped from memory when the HTTP stack drops it.
struct WipeOnDrop(Zeroizing<String>);

impl AsRef<[u8]> for WipeOnDrop {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Posts a form (which may hold a secret) to the token endpoint and returns the token.
pub async fn post_token_request(
    http: &reqwest::Client,
    ctx: &TokenContext<'_>,
    form: Zeroizing<String>,
) -> Result<AccessToken> {
    post_token_request_with_refresh(http, ctx, form)
        .await
        .map(|(token, _)| token)
}

/// Like [`post_token_request`], also returning the refresh token when one is issued.
pub async fn post_token_request_with_refresh(
    http: &reqwest::Client,
    ctx: &TokenContext<'_>,
    form: Zeroizing<String>,
) -> Result<(AccessToken, Option<Secret>)> {
    let host = host_of(ctx.token_url);
    let body = bytes::Bytes::from_owner(WipeOnDrop(form));
    let build = || {
        Ok(http
            .post(ctx.token_url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .header("client-request-id", uuid::Uuid::new_v4().to_string())
            .body(body.clone()))
    };
    // Asking for a token twice does no harm: every failure is retried under the default policy.
    let answer = crate::retry::exchange_with_retry(
        &build,
        ctx.token_url,
        "The token request",
        &crate::progress::SendControl::new(),
        &crate::retry::RetryPolicy::default(),
        crate::retry::Repeat::Safe,
    )
    .await?;
    drop(body);
    let status = answer.status;
    let mut bytes = Zeroizing::new(answer.body.to_vec());
    if status == 200 {
        return parse_token(&bytes, &host);
    }
    let parsed: Option<TokenErrorResponse> = serde_json::from_slice(&bytes).ok();
    bytes.zeroize();
    Err(token_error(status, parsed, ctx, &host))
}

fn parse_token(bytes: &[u8], host: &str) -> Result<(AccessToken, Option<Secret>)> {
    let bad = || {
        Error::new(
            ErrorCode::AuthenticationFailed,
            format!("The token endpoint at {host} answered 200 but not with an access token. Check authorityHost."),
        )
    };
    let parsed: TokenResponse = serde_json::from_slice(bytes).map_err(|_| bad())?;
    let secs = match &parsed.expires_in {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(bad)?;
    if parsed.access_token.is_empty() {
        return Err(bad());
    }
    let refresh = parsed
        .refresh_token
        .filter(|r| !r.is_empty())
        .map(Secret::new);
    Ok((
        AccessToken {
            token: Secret::new(parsed.access_token),
            expires_on: SystemTime::now() + Duration::from_secs(secs),
            token_type: parsed.token_type.unwrap_or_else(|| "Bearer".to_string()),
        },
        refresh,
    ))
}

/// The AADSTS number of an error response, from `error_codes` or the description.
fn aadsts_code(resp: &TokenErrorResponse) -> Option<u64> {
    resp.error_codes.first().copied().or_else(|| {
        let rest = resp.error_description.strip_prefix("AADSTS")?;
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        digits.parse().ok()
    })
}

fn token_error(
    status: u16,
    parsed: Option<TokenErrorResponse>,
    ctx: &TokenContext<'_>,
    host: &str,
) -> Error {
    // Throttling and outages are temporary: say so, whatever the body holds, so a script can
    // tell them from a bad credential.
    if status == 429 || status >= 500 {
        let (code, what) = if status == 429 {
            (ErrorCode::Throttled, "is throttling token requests")
        } else {
            (ErrorCode::IdentityPlatformUnavailable, "is unavailable")
        };
        let mut err = Error::new(
            code,
            format!("The identity platform at {host} {what} (HTTP {status}). This is temporary: try again later; the credential was not judged."),
        )
        .with_http_status(status);
        if let Some(resp) = parsed {
            err = err.with_graph_code(resp.error);
        }
        return err;
    }
    let Some(resp) = parsed else {
        return Error::new(
            ErrorCode::AuthenticationFailed,
            format!("The token endpoint at {host} answered HTTP {status} without an identity platform error. Check authorityHost (AZURE_AUTHORITY_HOST) and any proxy."),
        )
        .with_http_status(status);
    };
    let app = ctx.client_id;
    let tenant = ctx.tenant_id;
    let code = aadsts_code(&resp);
    let (error_code, hint) = match code {
        Some(7000215) => (
            ErrorCode::InvalidClientSecret,
            format!("The client secret of application '{app}' was rejected. Use the secret's Value (not its Secret ID), check it was copied whole, and create a new one if it was deleted."),
        ),
        Some(7000222) => (
            ErrorCode::ExpiredClientSecret,
            format!("The client secret of application '{app}' has expired. Create a new client secret in the app registration and update the configuration."),
        ),
        Some(700016) => (
            ErrorCode::ApplicationNotFound,
            format!("Application '{app}' was not found in tenant '{tenant}'. Check the application (client) id and the tenant id, and that the app is registered (or consented) in that tenant."),
        ),
        Some(90002) => (
            ErrorCode::TenantNotFound,
            format!("Tenant '{tenant}' was not found. Check the tenant id or domain, and the cloud (a US Government or China tenant needs cloud USGov, USGovDoD or China)."),
        ),
        Some(700027 | 700023 | 700024 | 700021 | 50027 | 50048 | 70021 | 700211 | 700212 | 700213) => (
            ErrorCode::ClientAssertionRejected,
            format!("The identity platform rejected the client assertion of application '{app}'. For a certificate: upload its public part (.cer/.pem) under Certificates & secrets of the app registration and check that it has not expired; for a federated token: check the app's federated credential (issuer, subject, audience api://AzureADTokenExchange)."),
        ),
        Some(70011) | Some(700022) => (
            ErrorCode::InvalidScope,
            format!("The identity platform rejected the scope for application '{app}'. Check that the cloud matches the Graph endpoint."),
        ),
        _ => (
            ErrorCode::AuthenticationFailed,
            format!("The identity platform refused a token for application '{app}' in tenant '{tenant}'."),
        ),
    };
    let first_line = resp
        .error_description
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let said = if first_line.is_empty() {
        resp.error.clone()
    } else {
        crate::config::truncate_for_message_long(&first_line)
    };
    let mut err = Error::new(
        error_code,
        format!("{hint} (Microsoft Entra ID said: {said})"),
    )
    .with_http_status(status)
    .with_request_id(resp.trace_id.clone().or(resp.correlation_id.clone()));
    if !resp.error.is_empty() {
        err = err.with_graph_code(resp.error.clone());
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> TokenContext<'static> {
        TokenContext {
            token_url: "https://login.example/t/oauth2/v2.0/token",
            tenant_id: "t",
            client_id: "app-7",
        }
    }

    #[test]
    fn aadsts_errors_map_to_codes_and_hints() {
        let resp = TokenErrorResponse {
            error: "invalid_client".into(),
            error_description: "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: abc\r\nCorrelation ID: def".into(),
            error_codes: vec![7000215],
            trace_id: Some("abc".into()),
            correlation_id: Some("def".into()),
        };
        let e = token_error(401, Some(resp), &ctx(), "login.example");
        assert_eq!(e.code(), ErrorCode::InvalidClientSecret);
        assert_eq!(e.http_status(), Some(401));
        assert_eq!(e.graph_code(), Some("invalid_client"));
        assert_eq!(e.request_id(), Some("abc"));
        assert!(e.message().contains("Value (not its Secret ID)"));
        assert!(e.message().contains("AADSTS7000215"));
        assert!(!e.message().contains("Trace ID"));
    }

    #[test]
    fn code_is_read_from_the_description_when_error_codes_is_missing() {
        let resp = TokenErrorResponse {
            error: "invalid_request".into(),
            error_description: "AADSTS90002: Tenant 'x' not found.".into(),
            ..Default::default()
        };
        assert_eq!(
            token_error(400, Some(resp), &ctx(), "h").code(),
            ErrorCode::TenantNotFound
        );
        // A non-JSON answer that is not an outage is a plain failure; an outage is temporary.
        assert_eq!(
            token_error(404, None, &ctx(), "h").code(),
            ErrorCode::AuthenticationFailed
        );
        assert_eq!(
            token_error(502, None, &ctx(), "h").code(),
            ErrorCode::IdentityPlatformUnavailable
        );
        assert_eq!(
            token_error(429, None, &ctx(), "h").code(),
            ErrorCode::Throttled
        );
    }

    #[test]
    fn string_expires_in_is_accepted() {
        let (t, _) = parse_token(
            br#"{"access_token":"abc","expires_in":"3599","token_type":"Bearer"}"#,
            "h",
        )
        .unwrap();
        assert!(t.remaining() > Duration::from_secs(3500));
        assert!(parse_token(br#"{"access_token":"abc"}"#, "h").is_err());
    }
}
