//! The emulated Microsoft identity platform: the v2.0 token endpoint (client credentials
//! with a client secret), OpenID discovery documents, and the issued-token store.
//!
//! Errors follow the identity platform's shape: `error`, `error_description`
//! (`AADSTSnnnn: text\r\nTrace ID: ..\r\nCorrelation ID: ..\r\nTimestamp: ..`), `error_codes`,
//! `timestamp`, `trace_id`, `correlation_id`, `error_uri`. A submitted client secret never
//! appears in a response, log line or file.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hyper::header::{HeaderValue, ALLOW, AUTHORIZATION, CACHE_CONTROL, PRAGMA};
use hyper::{Method, StatusCode};
use serde_json::json;

use crate::http::{percent_decode, printable, ApiRequest, Ctx, Reply, RequestBody};
use crate::server::State;

/// Graph resources a client-credentials scope may name (`<resource>/.default`): the national
/// cloud Graph hosts and Graph's well-known application ID. The emulator's own origin is
/// accepted too.
pub const GRAPH_RESOURCES: &[&str] = &[
    "https://graph.microsoft.com",
    "https://graph.microsoft.us",
    "https://dod-graph.microsoft.us",
    "https://microsoftgraph.chinacloudapi.cn",
    "00000003-0000-0000-c000-000000000000",
];

/// `Cache-Control` of token endpoint responses.
const NO_STORE: &str = "no-store, no-cache";

/// Purge expired tokens once this many are stored.
const TOKEN_STORE_SOFT_LIMIT: usize = 10_000;

/// What an issued token stands for.
#[derive(Clone, Debug)]
pub(crate) struct IssuedToken {
    pub(crate) tenant: String,
    pub(crate) client_id: String,
    pub(crate) expires_at: Instant,
}

/// The outcome of checking a bearer token.
pub(crate) enum TokenCheck {
    /// Issued by this emulator and not expired.
    Valid(IssuedToken),
    /// Issued by this emulator but expired.
    Expired,
    /// Not issued by this emulator.
    Unknown,
}

/// Tokens issued by this emulator.
#[derive(Default)]
pub(crate) struct TokenStore {
    tokens: Mutex<HashMap<String, IssuedToken>>,
}

impl TokenStore {
    fn issue(&self, tenant: &str, client_id: &str, lifetime: Duration) -> String {
        let token = crate::random::access_token();
        let now = Instant::now();
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if tokens.len() >= TOKEN_STORE_SOFT_LIMIT {
            tokens.retain(|_, t| t.expires_at > now);
        }
        tokens.insert(
            token.clone(),
            IssuedToken {
                tenant: tenant.to_string(),
                client_id: client_id.to_string(),
                expires_at: now + lifetime,
            },
        );
        token
    }

    /// Check a bearer token.
    pub(crate) fn check(&self, token: &str) -> TokenCheck {
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        match tokens.get(token) {
            None => TokenCheck::Unknown,
            Some(t) if Instant::now() >= t.expires_at => TokenCheck::Expired,
            Some(t) => TokenCheck::Valid(t.clone()),
        }
    }
}

/// An identity-platform error reply.
fn aad_error(ctx: &Ctx, status: StatusCode, error: &str, code: u32, text: &str) -> Reply {
    let trace_id = ctx.request_id.as_str();
    let correlation_id = if uuid::Uuid::parse_str(&ctx.client_request_id).is_ok() {
        ctx.client_request_id.clone()
    } else {
        crate::random::uuid()
    };
    let timestamp = crate::timefmt::aad_timestamp(ctx.now);
    let description = format!(
        "AADSTS{code}: {text}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}"
    );
    Reply::json(
        status,
        &json!({
            "error": error,
            "error_description": description,
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    )
    .with_header(CACHE_CONTROL, HeaderValue::from_static(NO_STORE))
}

fn tenant_not_found(ctx: &Ctx, tenant: &str) -> Reply {
    aad_error(
        ctx,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        90002,
        &format!(
            "Tenant '{}' not found. Check to make sure you have the correct tenant ID and are \
             signing into the correct cloud. Check with your subscription administrator, this \
             may happen if there are no active subscriptions for the tenant.",
            printable(tenant)
        ),
    )
}

/// `/{tenant}/oauth2/v2.0/token`.
pub(crate) fn token_endpoint(state: &State, req: &ApiRequest, ctx: &Ctx, tenant: &str) -> Reply {
    if req.method != Method::POST {
        return aad_error(
            ctx,
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            900561,
            &format!(
                "The endpoint only accepts POST requests. Received a {} request.",
                req.method
            ),
        )
        .with_header(ALLOW, HeaderValue::from_static("POST"));
    }
    if let RequestBody::TooLarge { .. } = req.body {
        return aad_error(
            ctx,
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            90014,
            "The request body is too large.",
        );
    }
    if !state.config.has_tenant(tenant) {
        return tenant_not_found(ctx, tenant);
    }
    let mut params: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(req.body.bytes()) {
        params
            .entry(k.into_owned())
            .or_insert_with(|| v.into_owned());
    }
    let param = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let missing = |name: &str| {
        aad_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            &format!("The request body must contain the following parameter: '{name}'."),
        )
    };

    match param("grant_type") {
        None => return missing("grant_type"),
        Some("client_credentials") => {}
        Some(other) => {
            return aad_error(
                ctx,
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                &format!(
                    "The app requested an unsupported grant type '{}'.",
                    printable(other)
                ),
            )
        }
    }

    // Client authentication: HTTP Basic (RFC 6749 section 2.3.1: form-encoded id and secret)
    // or client_id + client_secret in the body.
    let basic =
        match basic_credentials(req) {
            Ok(basic) => basic,
            Err(()) => return aad_error(
                ctx,
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                9002313,
                "Invalid request. Request is malformed or invalid. The Authorization header is \
                 not valid Basic authentication.",
            ),
        };
    let client_id = match (&basic, param("client_id")) {
        (Some((basic_id, _)), Some(body_id)) if !basic_id.eq_ignore_ascii_case(body_id) => {
            return aad_error(
                ctx,
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                9002313,
                "Invalid request. Request is malformed or invalid. The client_id in the \
                 Authorization header does not match the client_id in the request body.",
            )
        }
        (Some((basic_id, _)), _) => basic_id.clone(),
        (None, Some(body_id)) => body_id.to_string(),
        (None, None) => return missing("client_id"),
    };
    let Some(app) = state.config.app(&client_id) else {
        return aad_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{}' was not found in the directory '{}'. This can \
                 happen if the application has not been installed by the administrator of the \
                 tenant or consented to by any user in the tenant. You may have sent your \
                 authentication request to the wrong tenant.",
                printable(&client_id),
                printable(tenant)
            ),
        );
    };
    let secret = basic
        .as_ref()
        .map(|(_, s)| s.as_str())
        .filter(|s| !s.is_empty())
        .or_else(|| param("client_secret"));
    match secret {
        None if param("client_assertion").is_some() => {
            return aad_error(
                ctx,
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                700027,
                "Client assertion failed signature validation. (The GraphMail emulator accepts \
                 client secrets only.)",
            )
        }
        None => {
            return aad_error(
                ctx,
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or \
                 'client_secret'.",
            )
        }
        Some(secret) if !constant_time_eq(secret.as_bytes(), app.client_secret.as_bytes()) => {
            return aad_error(
                ctx,
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request \
                     is the client secret value, not the client secret ID, for a secret added to \
                     app '{}'.",
                    app.client_id
                ),
            )
        }
        Some(_) => {}
    }

    let scope = param("scope").unwrap_or_default();
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    if scopes.is_empty() {
        return aad_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            "The provided request must include a 'scope' input parameter.",
        );
    }
    let allowed = scopes.len() == 1 && is_graph_default_scope(scopes[0], state, ctx);
    if !allowed {
        return aad_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            &format!(
                "The provided value for the input parameter 'scope' is not valid. The scope {} \
                 is not valid.",
                printable(scope)
            ),
        );
    }

    let lifetime = state.config.token_lifetime;
    let access_token = state.tokens.issue(tenant, &app.client_id, lifetime);
    Reply::json(
        StatusCode::OK,
        &json!({
            "token_type": "Bearer",
            "expires_in": lifetime.as_secs(),
            "ext_expires_in": lifetime.as_secs(),
            "access_token": access_token,
        }),
    )
    .with_header(CACHE_CONTROL, HeaderValue::from_static(NO_STORE))
    .with_header(PRAGMA, HeaderValue::from_static("no-cache"))
}

/// `Authorization: Basic` credentials: `Ok(None)` without such a header, `Err` if malformed.
fn basic_credentials(req: &ApiRequest) -> Result<Option<(String, String)>, ()> {
    let Some(value) = req.header(AUTHORIZATION) else {
        return Ok(None);
    };
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| ())?;
    let text = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = text.split_once(':').ok_or(())?;
    Ok(Some((
        percent_decode(id, true),
        percent_decode(secret, true),
    )))
}

/// Whether `scope` is `<graph resource>/.default`.
fn is_graph_default_scope(scope: &str, state: &State, ctx: &Ctx) -> bool {
    let Some(resource) = scope.strip_suffix("/.default") else {
        return false;
    };
    let resource = resource.trim_end_matches('/');
    GRAPH_RESOURCES
        .iter()
        .copied()
        .chain([state.base_url.as_str(), ctx.origin.as_str()])
        .any(|allowed| allowed.eq_ignore_ascii_case(resource))
}

/// Compare secrets without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`: enough for MSAL-based clients,
/// with every endpoint pointing back at this host.
pub(crate) fn openid_configuration(state: &State, ctx: &Ctx, tenant: &str) -> Reply {
    if !state.config.has_tenant(tenant) {
        return tenant_not_found(ctx, tenant);
    }
    let base = format!("{}/{tenant}", ctx.origin);
    Reply::json(
        StatusCode::OK,
        &json!({
            "issuer": format!("{base}/v2.0"),
            "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
            "token_endpoint": format!("{base}/oauth2/v2.0/token"),
            "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
            "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
            "jwks_uri": format!("{base}/discovery/v2.0/keys"),
            "token_endpoint_auth_methods_supported":
                ["client_secret_post", "client_secret_basic"],
            "grant_types_supported": ["client_credentials"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid"],
            "request_uri_parameter_supported": false,
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": ctx.origin.trim_start_matches("https://"),
        }),
    )
}

/// `GET /{tenant}/discovery/v2.0/keys`: empty, because the emulator's tokens are opaque.
pub(crate) fn jwks(state: &State, ctx: &Ctx, tenant: &str) -> Reply {
    if !state.config.has_tenant(tenant) {
        return tenant_not_found(ctx, tenant);
    }
    Reply::json(StatusCode::OK, &json!({"keys": []}))
}

/// `GET /common/discovery/instance`: MSAL's instance discovery, answering that this host is
/// its own authority.
pub(crate) fn instance_discovery(req: &ApiRequest, ctx: &Ctx) -> Reply {
    let host = ctx.origin.trim_start_matches("https://").to_string();
    let tenant = req
        .query_param("authorization_endpoint")
        .and_then(|endpoint| {
            endpoint
                .trim_start_matches("https://")
                .split('/')
                .nth(1)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "common".to_string());
    Reply::json(
        StatusCode::OK,
        &json!({
            "tenant_discovery_endpoint":
                format!("{}/{tenant}/v2.0/.well-known/openid-configuration", ctx.origin),
            "api-version": "1.1",
            "metadata": [{
                "preferred_network": host,
                "preferred_cache": host,
                "aliases": [host],
            }],
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn token_store_expiry() {
        let store = TokenStore::default();
        let live = store.issue("t", "c", Duration::from_secs(60));
        let dead = store.issue("t", "c", Duration::ZERO);
        assert!(matches!(store.check(&live), TokenCheck::Valid(t) if t.client_id == "c"));
        assert!(matches!(store.check(&dead), TokenCheck::Expired));
        assert!(matches!(store.check("nope"), TokenCheck::Unknown));
    }
}
