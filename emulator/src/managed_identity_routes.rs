//! Managed identity token endpoints, served on the emulator's HTTPS port once a
//! [`crate::ManagedIdentity`] is configured:
//!
//! - Azure VM IMDS: `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=..`
//!   with `Metadata: true`; user-assigned by `client_id`, `object_id` or `msi_res_id`; numbers
//!   in the response are strings, as IMDS sends them.
//! - App Service / Functions: `GET /msi/token?api-version=2019-08-01&resource=..` with
//!   `X-IDENTITY-HEADER: <IDENTITY_HEADER>`; user-assigned by `client_id`, `principal_id`
//!   (or `object_id`) or `mi_res_id`; errors as `{"statusCode", "message"}`.
//! - Azure Arc: `GET /arc/metadata/identity/oauth2/token?api-version=2020-06-01&resource=..`
//!   with `Metadata: true`: a first request gets `401` with `WWW-Authenticate: Basic
//!   realm=<path of a new .key file under data_dir/arc-tokens>`; repeating it with
//!   `Authorization: Basic <file contents>` gets the token (IMDS shape). System-assigned only.
//!
//! Tokens are app-only Graph tokens of the identity (its permissions, its tenant).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hyper::header::{HeaderValue, ALLOW, AUTHORIZATION, WWW_AUTHENTICATE};
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use crate::client_auth::constant_time_eq;
use crate::error::EmulatorError;
use crate::http::{printable, ApiRequest, Ctx, Reply};
use crate::managed_identity::{select, IdentitySelector, ManagedIdentity};
use crate::server::State;
use crate::token::{IssuedToken, GRAPH_RESOURCES};

/// The folder (inside the data folder) holding Azure Arc challenge key files.
pub const ARC_TOKENS_DIR: &str = "arc-tokens";
/// Arc key files kept (older ones are deleted and stop working).
const MAX_ARC_KEYS: usize = 1000;

/// Which endpoint a request came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavour {
    Imds,
    AppService,
    Arc,
}

/// A rejection in the flavour's error shape.
struct MiError {
    status: StatusCode,
    error: &'static str,
    message: String,
}

impl MiError {
    fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> MiError {
        MiError {
            status,
            error,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> MiError {
        MiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    fn reply(&self, flavour: Flavour) -> Reply {
        let body = match flavour {
            Flavour::AppService => json!({
                "statusCode": self.status.as_u16(),
                "message": self.message,
            }),
            Flavour::Imds | Flavour::Arc => json!({
                "error": self.error,
                "error_description": self.message,
            }),
        };
        Reply::json(self.status, &body)
    }
}

/// `/metadata/identity/oauth2/token`.
pub(crate) fn imds(state: &State, req: &ApiRequest, ctx: &Ctx) -> Reply {
    serve(state, req, ctx, Flavour::Imds)
}

/// `/msi/token`.
pub(crate) fn app_service(state: &State, req: &ApiRequest, ctx: &Ctx) -> Reply {
    serve(state, req, ctx, Flavour::AppService)
}

/// `/arc/metadata/identity/oauth2/token`.
pub(crate) fn arc(state: &State, req: &ApiRequest, ctx: &Ctx) -> Reply {
    serve(state, req, ctx, Flavour::Arc)
}

fn serve(state: &State, req: &ApiRequest, ctx: &Ctx, flavour: Flavour) -> Reply {
    if req.method != Method::GET {
        return MiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            format!("The HTTP method '{}' is not allowed; use GET.", req.method),
        )
        .reply(flavour)
        .with_header(ALLOW, HeaderValue::from_static("GET"));
    }
    match token(state, req, ctx, flavour) {
        Ok(reply) => reply,
        Err(Challenge::Error(e)) => e.reply(flavour),
        Err(Challenge::Arc(path)) => {
            let realm = format!("Basic realm={}", path.display());
            let reply = MiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized_client",
                "Read the key file named in the WWW-Authenticate header and repeat the request \
                 with 'Authorization: Basic <file contents>'.",
            )
            .reply(flavour);
            match HeaderValue::from_str(&realm) {
                Ok(value) => reply.with_header(WWW_AUTHENTICATE, value),
                Err(_) => reply,
            }
        }
    }
}

/// Why no token was issued.
enum Challenge {
    Error(MiError),
    /// Azure Arc's first answer: the key file to read.
    Arc(PathBuf),
}

impl From<MiError> for Challenge {
    fn from(e: MiError) -> Self {
        Challenge::Error(e)
    }
}

fn token(state: &State, req: &ApiRequest, ctx: &Ctx, flavour: Flavour) -> Result<Reply, Challenge> {
    match flavour {
        Flavour::Imds | Flavour::Arc => {
            // IMDS wants exactly `true`, lower case (an SSRF mitigation).
            if req.header("metadata").map(str::trim) != Some("true") {
                return Err(MiError::bad_request("Required metadata header not specified").into());
            }
        }
        Flavour::AppService => {
            let sent = req.header("x-identity-header").unwrap_or_default();
            if !constant_time_eq(sent.as_bytes(), state.identity_header.as_bytes()) {
                return Err(MiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized_client",
                    "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.",
                )
                .into());
            }
        }
    }
    if req.query_param("api-version").is_none_or(|v| v.is_empty()) {
        return Err(
            MiError::bad_request("Required query variable 'api-version' is missing").into(),
        );
    }
    let resource = req
        .query_param("resource")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| MiError::bad_request("Required audience parameter not specified"))?;
    let selector = selector(req, flavour)?;
    if flavour == Flavour::Arc {
        if selector.is_some() {
            return Err(MiError::bad_request(
                "User-assigned managed identities are not supported by Azure Arc.",
            )
            .into());
        }
        arc_authorization(state, req)?;
    }
    let identity =
        select(&state.config.managed_identities, selector.as_ref()).ok_or_else(|| {
            let message = if flavour == Flavour::AppService {
                "No managed identity found for the specified client_id, principal_id or mi_res_id."
            } else {
                "Identity not found"
            };
            MiError::bad_request(message)
        })?;
    let tenant = identity
        .tenant_id
        .clone()
        .or_else(|| state.config.tenants.first().cloned())
        .unwrap_or_default();
    if !is_graph_resource(&resource, state, ctx) {
        return Err(match flavour {
            // App Service answers a bad resource vaguely, with a 500.
            Flavour::AppService => MiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "unknown",
                format!(
                    "An unexpected error occurred while fetching the AAD token for resource '{}'.",
                    printable(&resource)
                ),
            ),
            Flavour::Imds | Flavour::Arc => MiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_resource",
                format!(
                    "AADSTS500011: The resource principal named {} was not found in the tenant \
                     named {tenant}. This can happen if the application has not been installed \
                     by the administrator of the tenant or consented to by any user in the \
                     tenant. You might have sent your authentication request to the wrong \
                     tenant.",
                    printable(&resource)
                ),
            ),
        }
        .into());
    }
    Ok(issue(state, ctx, flavour, identity, &tenant, &resource))
}

/// A query parameter naming a user-assigned identity, and the selector it makes.
type SelectorParam = (&'static str, fn(String) -> IdentitySelector);

/// The user-assigned identity selector of the request (at most one).
fn selector(req: &ApiRequest, flavour: Flavour) -> Result<Option<IdentitySelector>, MiError> {
    let names: &[SelectorParam] = match flavour {
        Flavour::Imds | Flavour::Arc => &[
            ("client_id", IdentitySelector::Client),
            ("object_id", IdentitySelector::Object),
            ("msi_res_id", IdentitySelector::Resource),
        ],
        Flavour::AppService => &[
            ("client_id", IdentitySelector::Client),
            ("principal_id", IdentitySelector::Object),
            ("object_id", IdentitySelector::Object),
            ("mi_res_id", IdentitySelector::Resource),
            ("msi_res_id", IdentitySelector::Resource),
        ],
    };
    let mut found = names
        .iter()
        .filter_map(|(name, make)| req.query_param(name).filter(|v| !v.is_empty()).map(make));
    let first = found.next();
    if found.next().is_some() {
        return Err(MiError::bad_request(
            "Only one of the identity parameters (client_id, object_id/principal_id, resource ID) \
             may be given.",
        ));
    }
    Ok(first)
}

/// Azure Arc: a valid `Authorization: Basic <key>` passes; no header gets a new key file to
/// read (the challenge); anything else is `401`.
fn arc_authorization(state: &State, req: &ApiRequest) -> Result<(), Challenge> {
    let Some(value) = req.header(AUTHORIZATION) else {
        let path = state.arc_keys.create().map_err(|e| {
            MiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "unknown",
                format!("The emulator could not write the Arc key file: {e}"),
            )
        })?;
        return Err(Challenge::Arc(path));
    };
    let key = value
        .trim()
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, key)| key.trim())
        .unwrap_or_default();
    if state.arc_keys.accepts(key) {
        Ok(())
    } else {
        Err(MiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized_client",
            "The Authorization header does not hold the contents of a current key file.",
        )
        .into())
    }
}

/// Whether `resource` is Graph (any cloud, the emulator's own origin), with or without a
/// trailing slash. A scope (`.../.default`) is not a resource.
fn is_graph_resource(resource: &str, state: &State, ctx: &Ctx) -> bool {
    let resource = resource.strip_suffix('/').unwrap_or(resource);
    GRAPH_RESOURCES
        .iter()
        .copied()
        .chain([state.base_url.as_str(), ctx.origin.as_str()])
        .any(|r| r.eq_ignore_ascii_case(resource))
}

fn issue(
    state: &State,
    ctx: &Ctx,
    flavour: Flavour,
    identity: &ManagedIdentity,
    tenant: &str,
    resource: &str,
) -> Reply {
    let lifetime = state.config.token_lifetime;
    let access_token = state.tokens.issue(IssuedToken::app_only(
        tenant,
        &identity.client_id,
        &identity.permissions,
        lifetime,
    ));
    let now = ctx.now.unix_timestamp();
    let seconds = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
    let expires_on = now.saturating_add(seconds).to_string();
    let body: Value = match flavour {
        Flavour::AppService => json!({
            "access_token": access_token,
            "expires_on": expires_on,
            "resource": resource,
            "token_type": "Bearer",
            "client_id": identity.client_id,
        }),
        Flavour::Imds | Flavour::Arc => json!({
            "access_token": access_token,
            "refresh_token": "",
            "expires_in": lifetime.as_secs().to_string(),
            "expires_on": expires_on,
            "ext_expires_in": lifetime.as_secs().to_string(),
            "not_before": now.to_string(),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": identity.client_id,
        }),
    };
    Reply::json(StatusCode::OK, &body)
}

/// The Azure Arc challenge keys: files under `data_dir/arc-tokens/` and their contents.
pub(crate) struct ArcKeys {
    dir: PathBuf,
    keys: Mutex<VecDeque<(String, PathBuf)>>,
}

impl ArcKeys {
    /// Keys under `data_dir/arc-tokens` (created when managed identities are on).
    pub(crate) fn open(data_dir: &Path, enabled: bool) -> Result<ArcKeys, EmulatorError> {
        let dir = data_dir.join(ARC_TOKENS_DIR);
        if enabled {
            std::fs::create_dir_all(&dir)
                .map_err(|e| EmulatorError::io(format!("creating {}", dir.display()), e))?;
        }
        Ok(ArcKeys {
            dir,
            keys: Mutex::new(VecDeque::new()),
        })
    }

    /// The key folder.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Write a new key file (readable by its owner only) and return its path.
    fn create(&self) -> std::io::Result<PathBuf> {
        let secret = crate::random::access_token();
        let path = self
            .dir
            .join(format!("{}.key", crate::random::session_id()));
        std::fs::create_dir_all(&self.dir)?;
        write_private(&path, secret.as_bytes())?;
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.push_back((secret, path.clone()));
        while keys.len() > MAX_ARC_KEYS {
            if let Some((_, old)) = keys.pop_front() {
                let _ = std::fs::remove_file(old);
            }
        }
        Ok(path)
    }

    /// Whether `key` is the contents of a current key file.
    fn accepts(&self, key: &str) -> bool {
        let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        !key.is_empty()
            && keys
                .iter()
                .any(|(secret, _)| constant_time_eq(secret.as_bytes(), key.as_bytes()))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arc_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = ArcKeys::open(dir.path(), true).expect("open");
        assert!(keys.dir().is_dir());
        let path = keys.create().expect("create");
        assert_eq!(path.extension().and_then(|e| e.to_str()), Some("key"));
        let secret = std::fs::read_to_string(&path).expect("read");
        assert!(keys.accepts(&secret));
        assert!(!keys.accepts("wrong"));
        assert!(!keys.accepts(""));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
