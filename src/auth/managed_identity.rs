//! [`ManagedIdentityCredential`]: tokens from the Azure host the code runs on, detected in
//! azure-identity's order: App Service / Functions (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`),
//! Azure Arc (`IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`), then the VM instance metadata service
//! (IMDS, `http://169.254.169.254`, or `AZURE_POD_IDENTITY_AUTHORITY_HOST`). Workload identity
//! (a federated token file) is handled by [`crate::auth::client_assertion`].

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::auth::{AccessToken, BoxFuture, Credential, TokenRequest};
use crate::error::{Error, ErrorCode, Result};
use crate::http::host_of;
use crate::secret::Secret;

/// The IMDS base when `AZURE_POD_IDENTITY_AUTHORITY_HOST` is not set.
pub const IMDS_BASE: &str = "http://169.254.169.254";

/// Which identity of the host to use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ManagedIdentityId {
    /// The system-assigned identity.
    #[default]
    SystemAssigned,
    /// A user-assigned identity by client (application) id.
    ClientId(String),
    /// A user-assigned identity by object (principal) id.
    ObjectId(String),
    /// A user-assigned identity by Azure resource id.
    ResourceId(String),
}

/// Where the token comes from, as detected from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagedIdentitySource {
    /// App Service / Functions: the endpoint and the secret header value.
    AppService {
        /// `IDENTITY_ENDPOINT`.
        endpoint: String,
        /// `IDENTITY_HEADER` (a secret).
        header: String,
    },
    /// Azure Arc: the endpoint; the key file folder to trust.
    Arc {
        /// `IDENTITY_ENDPOINT`.
        endpoint: String,
        /// Where the agent writes its `.key` challenge files.
        key_dir: PathBuf,
    },
    /// The instance metadata service.
    Imds {
        /// `{base}/metadata/identity/oauth2/token`.
        endpoint: String,
    },
}

impl ManagedIdentitySource {
    /// Detects the source through `lookup` (environment variables).
    pub fn detect(lookup: impl Fn(&str) -> Option<String>) -> Result<ManagedIdentitySource> {
        let endpoint = lookup("IDENTITY_ENDPOINT");
        if let (Some(endpoint), Some(header)) = (endpoint.clone(), lookup("IDENTITY_HEADER")) {
            if lookup("IDENTITY_SERVER_THUMBPRINT").is_some() {
                return Err(Error::new(
                    ErrorCode::InvalidConfig,
                    "Service Fabric managed identity is not supported; use a certificate or a client secret.",
                )
                .with_field("managedIdentity"));
            }
            return Ok(ManagedIdentitySource::AppService { endpoint, header });
        }
        if let (Some(endpoint), Some(_)) = (endpoint, lookup("IMDS_ENDPOINT")) {
            let key_dir = lookup("GRAPHMAIL_ARC_KEY_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(default_arc_key_dir);
            return Ok(ManagedIdentitySource::Arc { endpoint, key_dir });
        }
        let base =
            lookup("AZURE_POD_IDENTITY_AUTHORITY_HOST").unwrap_or_else(|| IMDS_BASE.to_string());
        Ok(ManagedIdentitySource::Imds {
            endpoint: format!(
                "{}/metadata/identity/oauth2/token",
                base.trim_end_matches('/')
            ),
        })
    }
}

fn default_arc_key_dir() -> PathBuf {
    if cfg!(windows) {
        let data = std::env::var_os("ProgramData")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"));
        data.join("AzureConnectedMachineAgent").join("Tokens")
    } else {
        PathBuf::from("/var/opt/azcmagent/tokens")
    }
}

/// A managed identity of the Azure resource the code runs on.
#[derive(Debug)]
pub struct ManagedIdentityCredential {
    source: ManagedIdentitySource,
    id: ManagedIdentityId,
    http: reqwest::Client,
}

impl ManagedIdentityCredential {
    /// A credential using `source` with `id`; `http` may reach plain-HTTP local endpoints.
    pub fn new(
        source: ManagedIdentitySource,
        id: ManagedIdentityId,
        http: reqwest::Client,
    ) -> Self {
        ManagedIdentityCredential { source, id, http }
    }

    /// Where tokens come from.
    pub fn source(&self) -> &ManagedIdentitySource {
        &self.source
    }

    /// The HTTP client that reaches the source.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    fn unavailable(&self, endpoint: &str, why: String) -> Error {
        Error::new(
            ErrorCode::ManagedIdentityUnavailable,
            format!(
                "No managed identity token could be obtained from {} ({why}). Check that this machine or service has a managed identity enabled{}, and that it is allowed to send mail (Mail.Send application permission granted to the identity).",
                host_of(endpoint),
                match &self.id {
                    ManagedIdentityId::SystemAssigned => String::new(),
                    _ => " and that the user-assigned identity is attached to it".to_string(),
                }
            ),
        )
        .with_field("managedIdentity")
    }
}

/// `resource` for a scope: the scope without `/.default`.
fn resource_of(scope: &str) -> &str {
    scope.strip_suffix("/.default").unwrap_or(scope)
}

/// Reads `access_token` with `expires_in` or `expires_on` (numbers or strings).
fn parse_token(body: &[u8]) -> Option<AccessToken> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let number = |key: &str| -> Option<u64> {
        match v.get(key)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    let expires_on = match (number("expires_on"), number("expires_in")) {
        (Some(on), _) => UNIX_EPOCH + Duration::from_secs(on),
        (None, Some(secs)) => SystemTime::now() + Duration::from_secs(secs),
        _ => return None,
    };
    let token = v.get("access_token")?.as_str()?.to_string();
    Some(AccessToken {
        token: Secret::new(token),
        expires_on,
        token_type: v
            .get("token_type")
            .and_then(Value::as_str)
            .unwrap_or("Bearer")
            .to_string(),
    })
}

/// Reads an Arc challenge key file after checking it is where the agent writes them.
fn read_arc_key(realm_path: &str, key_dir: &Path) -> Result<Zeroizing<String>> {
    let path = Path::new(realm_path);
    let bad = |why: &str| {
        Error::new(
            ErrorCode::AuthenticationFailed,
            format!("The Azure Arc identity endpoint asked GraphMail to read '{realm_path}', which it refuses: {why}."),
        )
    };
    let canonical = path
        .canonicalize()
        .map_err(|_| bad("the file does not exist"))?;
    let dir = key_dir
        .canonicalize()
        .map_err(|_| bad("the agent's key folder does not exist"))?;
    if canonical.parent() != Some(dir.as_path()) {
        return Err(bad("it is not in the Arc agent's key folder"));
    }
    if canonical.extension().and_then(|e| e.to_str()) != Some("key") {
        return Err(bad("it is not a .key file"));
    }
    let meta = std::fs::metadata(&canonical).map_err(|_| bad("it cannot be read"))?;
    if meta.len() > 4096 {
        return Err(bad("it is larger than 4096 bytes"));
    }
    Ok(Zeroizing::new(
        std::fs::read_to_string(&canonical).map_err(|_| bad("it cannot be read"))?,
    ))
}

impl Credential for ManagedIdentityCredential {
    fn fetch_token<'a>(&'a self, request: TokenRequest<'a>) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(async move {
            let resource = resource_of(request.scope);
            let (endpoint, api, id_keys) = match &self.source {
                ManagedIdentitySource::AppService { endpoint, .. } => (
                    endpoint.as_str(),
                    "2019-08-01",
                    ["client_id", "principal_id", "mi_res_id"],
                ),
                ManagedIdentitySource::Arc { endpoint, .. } => {
                    (endpoint.as_str(), "2020-06-01", ["", "", ""])
                }
                ManagedIdentitySource::Imds { endpoint } => (
                    endpoint.as_str(),
                    "2018-02-01",
                    ["client_id", "object_id", "msi_res_id"],
                ),
            };
            let mut query: Vec<(&str, &str)> = vec![("api-version", api), ("resource", resource)];
            match (&self.id, &self.source) {
                (ManagedIdentityId::SystemAssigned, _) => {}
                (_, ManagedIdentitySource::Arc { .. }) => {
                    return Err(Error::new(
                        ErrorCode::InvalidConfig,
                        "User-assigned managed identities are not supported by Azure Arc; use the system-assigned identity.",
                    )
                    .with_field("managedIdentity"))
                }
                (ManagedIdentityId::ClientId(v), _) => query.push((id_keys[0], v)),
                (ManagedIdentityId::ObjectId(v), _) => query.push((id_keys[1], v)),
                (ManagedIdentityId::ResourceId(v), _) => query.push((id_keys[2], v)),
            }
            let mut url = reqwest::Url::parse(endpoint)
                .map_err(|_| self.unavailable(endpoint, "the endpoint is not a URL".into()))?;
            url.query_pairs_mut().extend_pairs(query.iter());
            let base = self.http.get(url.clone()).header("Metadata", "true");
            let builder = match &self.source {
                ManagedIdentitySource::AppService { header, .. } => {
                    base.header("X-IDENTITY-HEADER", header.as_str())
                }
                _ => base,
            };
            let response = builder
                .send()
                .await
                .map_err(|e| self.unavailable(endpoint, e.without_url().to_string()))?;
            let mut status = response.status().as_u16();
            let mut headers = response.headers().clone();
            let mut body = response
                .bytes()
                .await
                .map_err(|e| self.unavailable(endpoint, e.to_string()))?;
            if let (401, ManagedIdentitySource::Arc { key_dir, .. }) = (status, &self.source) {
                let realm = headers
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split_once("realm="))
                    .map(|(_, p)| p.trim().trim_matches('"').to_string())
                    .ok_or_else(|| {
                        self.unavailable(endpoint, "the Arc endpoint sent no key challenge".into())
                    })?;
                let key = read_arc_key(&realm, key_dir.as_path())?;
                let auth = Zeroizing::new(format!("Basic {}", key.trim()));
                let response = self
                    .http
                    .get(url.clone())
                    .header("Metadata", "true")
                    .header(AUTHORIZATION, auth.as_str())
                    .send()
                    .await
                    .map_err(|e| self.unavailable(endpoint, e.without_url().to_string()))?;
                status = response.status().as_u16();
                headers = response.headers().clone();
                body = response
                    .bytes()
                    .await
                    .map_err(|e| self.unavailable(endpoint, e.to_string()))?;
            }
            let _ = headers;
            if status == 200 {
                return parse_token(&body).ok_or_else(|| {
                    self.unavailable(endpoint, "the answer holds no access token".into())
                });
            }
            let said = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("error_description")
                        .or_else(|| v.get("message"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_else(|| format!("HTTP {status}"));
            Err(self
                .unavailable(endpoint, crate::config::truncate_for_message_long(&said))
                .with_http_status(status))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_follows_azure_identity_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(matches!(
            ManagedIdentitySource::detect(env(&[
                ("IDENTITY_ENDPOINT", "http://localhost:8081/msi/token"),
                ("IDENTITY_HEADER", "h"),
                ("IMDS_ENDPOINT", "x")
            ]))
            .unwrap(),
            ManagedIdentitySource::AppService { .. }
        ));
        assert!(matches!(
            ManagedIdentitySource::detect(env(&[
                (
                    "IDENTITY_ENDPOINT",
                    "http://localhost:40342/metadata/identity/oauth2/token"
                ),
                ("IMDS_ENDPOINT", "http://localhost:40342")
            ]))
            .unwrap(),
            ManagedIdentitySource::Arc { .. }
        ));
        assert_eq!(
            ManagedIdentitySource::detect(env(&[])).unwrap(),
            ManagedIdentitySource::Imds {
                endpoint: "http://169.254.169.254/metadata/identity/oauth2/token".into()
            }
        );
        assert_eq!(
            ManagedIdentitySource::detect(env(&[(
                "AZURE_POD_IDENTITY_AUTHORITY_HOST",
                "https://127.0.0.1:9/"
            )]))
            .unwrap(),
            ManagedIdentitySource::Imds {
                endpoint: "https://127.0.0.1:9/metadata/identity/oauth2/token".into()
            }
        );
        assert!(ManagedIdentitySource::detect(env(&[
            ("IDENTITY_ENDPOINT", "e"),
            ("IDENTITY_HEADER", "h"),
            ("IDENTITY_SERVER_THUMBPRINT", "t")
        ]))
        .is_err());
    }

    #[test]
    fn tokens_with_string_numbers_parse() {
        let t = parse_token(br#"{"access_token":"a","expires_in":"3599","expires_on":"4102444800","token_type":"Bearer"}"#).unwrap();
        assert_eq!(
            t.expires_on,
            UNIX_EPOCH + Duration::from_secs(4_102_444_800)
        );
        let t = parse_token(br#"{"access_token":"a","expires_in":3599}"#).unwrap();
        assert!(t.remaining() > Duration::from_secs(3500));
        assert!(parse_token(br#"{"expires_in":1}"#).is_none());
    }

    #[test]
    fn arc_key_files_must_be_in_the_agent_folder() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("abc.key");
        std::fs::write(&key, "secret-key").unwrap();
        assert_eq!(
            read_arc_key(key.to_str().unwrap(), dir.path())
                .unwrap()
                .as_str(),
            "secret-key"
        );
        let other = tempfile::tempdir().unwrap();
        assert!(read_arc_key(key.to_str().unwrap(), other.path()).is_err());
        let txt = dir.path().join("abc.txt");
        std::fs::write(&txt, "x").unwrap();
        assert!(read_arc_key(txt.to_str().unwrap(), dir.path()).is_err());
        let big = dir.path().join("big.key");
        std::fs::write(&big, vec![b'a'; 5000]).unwrap();
        assert!(read_arc_key(big.to_str().unwrap(), dir.path()).is_err());
    }
}
