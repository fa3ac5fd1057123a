//! The emulated Microsoft identity platform: the v2.0 token endpoint (client credentials with
//! a secret or a client assertion; the device code and refresh token grants are in
//! [`crate::delegated_grants`]), OpenID discovery documents, and the issued-token store.
//!
//! Errors follow the identity platform's shape ([`crate::aad_error`]). A submitted client
//! secret or assertion never appears in a response, log line or file.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hyper::header::{HeaderValue, ALLOW};
use hyper::{Method, StatusCode};
use serde_json::json;

use crate::aad_error::{aad_error, missing_parameter, tenant_not_found, token_reply, AadError};
use crate::client_auth;
use crate::delegated_grants::{self, DEVICE_CODE_GRANT};
use crate::http::{printable, ApiRequest, Ctx, FormParams, Reply, RequestBody};
use crate::server::State;
use crate::stats::Counters;

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

/// Purge expired tokens once this many are stored.
const TOKEN_STORE_SOFT_LIMIT: usize = 10_000;

/// What an issued access token stands for.
#[derive(Clone, Debug)]
pub(crate) struct IssuedToken {
    pub(crate) tenant: String,
    /// The app (or managed identity) the token was issued to.
    pub(crate) client_id: String,
    pub(crate) expires_at: Instant,
    /// Application permissions (`roles`) of an app-only token.
    pub(crate) roles: Vec<String>,
    /// The signed-in user (UPN) of a delegated token; `None` for app-only tokens.
    pub(crate) user: Option<String>,
    /// Delegated permissions (`scp`) of a delegated token.
    pub(crate) scopes: Vec<String>,
}

impl IssuedToken {
    /// An app-only token (client credentials, managed identity).
    pub(crate) fn app_only(
        tenant: &str,
        client_id: &str,
        roles: &[String],
        lifetime: Duration,
    ) -> IssuedToken {
        IssuedToken {
            tenant: tenant.to_string(),
            client_id: client_id.to_string(),
            expires_at: Instant::now() + lifetime,
            roles: roles.to_vec(),
            user: None,
            scopes: Vec::new(),
        }
    }

    /// A delegated token for `user`.
    pub(crate) fn delegated(
        tenant: &str,
        client_id: &str,
        user: &str,
        scopes: &[String],
        lifetime: Duration,
    ) -> IssuedToken {
        IssuedToken {
            tenant: tenant.to_string(),
            client_id: client_id.to_string(),
            expires_at: Instant::now() + lifetime,
            roles: Vec::new(),
            user: Some(user.to_string()),
            scopes: scopes.to_vec(),
        }
    }

    /// Whether the token grants `permission`: a role of an app-only token, a scope of a
    /// delegated one (case-insensitive).
    pub(crate) fn grants(&self, permission: &str) -> bool {
        let granted = if self.user.is_some() {
            &self.scopes
        } else {
            &self.roles
        };
        granted.iter().any(|p| p.eq_ignore_ascii_case(permission))
    }
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
    /// Store `issued` under a new opaque access token.
    pub(crate) fn issue(&self, issued: IssuedToken) -> String {
        let token = crate::random::access_token();
        let now = Instant::now();
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if tokens.len() >= TOKEN_STORE_SOFT_LIMIT {
            tokens.retain(|_, t| t.expires_at > now);
        }
        tokens.insert(token.clone(), issued);
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

/// `common` and `organizations`: multi-tenant authorities, accepted by the delegated grants
/// (their tokens belong to the first registered tenant).
pub(crate) fn is_tenant_alias(tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case("common") || tenant.eq_ignore_ascii_case("organizations")
}

/// The tenant a delegated token requested at `/{tenant}/...` belongs to.
pub(crate) fn token_tenant(state: &State, tenant: &str) -> String {
    if is_tenant_alias(tenant) {
        state.config.tenants.first().cloned().unwrap_or_default()
    } else {
        tenant.to_string()
    }
}

/// The identity platform's answer to anything but `POST` on a form endpoint.
pub(crate) fn reject_non_post(req: &ApiRequest, ctx: &Ctx) -> Option<Reply> {
    (req.method != Method::POST).then(|| {
        aad_error(
            ctx,
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            900561,
            &format!(
                "The endpoint only accepts POST requests. Received a {} request.",
                req.method
            ),
        )
        .with_header(ALLOW, HeaderValue::from_static("POST"))
    })
}

/// The identity platform's answer to a form body over the limit or an unknown tenant.
pub(crate) fn reject_oversized_or_unknown_tenant(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    tenant: &str,
) -> Option<Reply> {
    if let RequestBody::TooLarge { .. } = req.body {
        return Some(aad_error(
            ctx,
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            90014,
            "The request body is too large.",
        ));
    }
    (!state.config.has_tenant(tenant) && !is_tenant_alias(tenant))
        .then(|| tenant_not_found(ctx, tenant))
}

/// `/{tenant}/oauth2/v2.0/token`: checks method, body size and tenant, then dispatches on
/// `grant_type` (`client_credentials`, device code, `refresh_token`).
pub(crate) fn token_endpoint(state: &State, req: &ApiRequest, ctx: &Ctx, tenant: &str) -> Reply {
    if let Some(reply) = reject_non_post(req, ctx) {
        return reply;
    }
    if let Some(reply) = reject_oversized_or_unknown_tenant(state, req, ctx, tenant) {
        return reply;
    }
    let form = FormParams::parse(req.body.bytes());
    let counters = &state.counters;
    let result = match form.get("grant_type") {
        None => Err(missing_parameter("grant_type")),
        Some("client_credentials") => {
            Counters::bump(&counters.client_credentials_requests);
            client_credentials(state, req, ctx, tenant, &form)
        }
        Some(DEVICE_CODE_GRANT) => {
            Counters::bump(&counters.device_code_polls);
            delegated_grants::device_code(state, req, ctx, tenant, &form)
        }
        Some("refresh_token") => {
            Counters::bump(&counters.refresh_token_requests);
            delegated_grants::refresh_token(state, req, ctx, tenant, &form)
        }
        Some(other) => Err(AadError::bad_request(
            "unsupported_grant_type",
            70003,
            format!(
                "The app requested an unsupported grant type '{}'.",
                printable(other)
            ),
        )),
    };
    result.unwrap_or_else(|e| e.reply(ctx))
}

/// `grant_type=client_credentials`: an app-only token with the app's application permissions.
fn client_credentials(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    tenant: &str,
    form: &FormParams,
) -> Result<Reply, AadError> {
    if is_tenant_alias(tenant) {
        return Err(AadError::bad_request(
            "invalid_request",
            9001023,
            "The grant type isn't supported over the /common or /consumers endpoints. Please use \
             the /organizations or tenant-specific endpoint.",
        ));
    }
    let app = client_auth::authenticate(state, req, ctx, tenant, form, false)?;
    let scope = form.get("scope").unwrap_or_default();
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    if scopes.is_empty() {
        return Err(AadError::bad_request(
            "invalid_scope",
            70011,
            "The provided request must include a 'scope' input parameter.",
        ));
    }
    if !(scopes.len() == 1 && is_graph_default_scope(scopes[0], state, ctx)) {
        return Err(AadError::bad_request(
            "invalid_scope",
            70011,
            format!(
                "The provided value for the input parameter 'scope' is not valid. The scope {} \
                 is not valid.",
                printable(scope)
            ),
        ));
    }
    let lifetime = state.config.token_lifetime;
    let access_token = state.tokens.issue(IssuedToken::app_only(
        tenant,
        &app.client_id,
        &app.permissions,
        lifetime,
    ));
    Ok(token_reply(&json!({
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "ext_expires_in": lifetime.as_secs(),
        "access_token": access_token,
    })))
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

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`: enough for MSAL-based clients,
/// with every endpoint pointing back at this host.
pub(crate) fn openid_configuration(state: &State, ctx: &Ctx, tenant: &str) -> Reply {
    if !state.config.has_tenant(tenant) && !is_tenant_alias(tenant) {
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
                ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "grant_types_supported": [
                "client_credentials",
                "refresh_token",
                DEVICE_CODE_GRANT,
            ],
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
    if !state.config.has_tenant(tenant) && !is_tenant_alias(tenant) {
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
    fn token_store_expiry() {
        let store = TokenStore::default();
        let roles = vec!["Mail.Send".to_string()];
        let live = store.issue(IssuedToken::app_only(
            "t",
            "c",
            &roles,
            Duration::from_secs(60),
        ));
        let dead = store.issue(IssuedToken::app_only("t", "c", &roles, Duration::ZERO));
        assert!(matches!(store.check(&live), TokenCheck::Valid(t) if t.client_id == "c"));
        assert!(matches!(store.check(&dead), TokenCheck::Expired));
        assert!(matches!(store.check("nope"), TokenCheck::Unknown));
    }

    #[test]
    fn grants_roles_or_scopes() {
        let scopes = vec!["Mail.Send".to_string()];
        let app = IssuedToken::app_only("t", "c", &scopes, Duration::ZERO);
        assert!(app.grants("mail.send") && !app.grants("Mail.ReadWrite"));
        let user = IssuedToken::delegated("t", "c", "u@x.test", &scopes, Duration::ZERO);
        assert!(user.grants("MAIL.SEND") && !user.grants("User.Read"));
        let no_scopes = IssuedToken::delegated("t", "c", "u@x.test", &[], Duration::ZERO);
        assert!(!no_scopes.grants("Mail.Send"));
    }

    #[test]
    fn tenant_aliases() {
        assert!(is_tenant_alias("Common") && is_tenant_alias("organizations"));
        assert!(!is_tenant_alias("consumers") && !is_tenant_alias("contoso.test"));
    }
}
