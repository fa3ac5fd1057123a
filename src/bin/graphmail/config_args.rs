//! Where the client configuration comes from: `--config FILE` (or `GRAPHMAIL_CONFIG`), the
//! environment, and the credential and connection flags, which override both.
//!
//! Secrets are never taken as flag values (they would show in the process list and shell
//! history): a client secret, certificate password or access token is read from a file or an
//! environment variable named by the flag.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use graphmail::{Error, ErrorCode};

/// Configuration flags shared by `send` and `token`.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct ConfigArgs {
    /// JSON configuration file (the C ABI's keys: tenantId, clientId, a credential, cloud,
    /// graphEndpoint, caCertificatePath, proxy, timeoutSeconds...). Without it, and without
    /// credential flags, the environment is read (AZURE_TENANT_ID, AZURE_CLIENT_ID,
    /// AZURE_CLIENT_SECRET, ..., then managed identity).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub flags: CredentialFlags,
}

/// Flags that set configuration keys; each overrides the file and the environment.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct CredentialFlags {
    /// Directory (tenant) id or domain (tenantId).
    #[arg(long = "tenant-id", value_name = "ID", help_heading = "Credentials")]
    tenant_id: Option<String>,
    /// Application (client) id (clientId).
    #[arg(long = "client-id", value_name = "ID", help_heading = "Credentials")]
    client_id: Option<String>,
    /// Read the client secret from this file (clientSecret).
    #[arg(
        long = "client-secret-file",
        value_name = "FILE",
        help_heading = "Credentials"
    )]
    client_secret_file: Option<PathBuf>,
    /// Read the client secret from this environment variable (clientSecret).
    #[arg(
        long = "client-secret-env",
        value_name = "VAR",
        help_heading = "Credentials"
    )]
    client_secret_env: Option<String>,
    /// Certificate (PEM with its key, or PFX) signing client assertions (certificatePath).
    #[arg(
        long = "certificate",
        value_name = "FILE",
        help_heading = "Credentials"
    )]
    certificate: Option<PathBuf>,
    /// Environment variable holding the PFX password (certificatePassword).
    #[arg(
        long = "certificate-password-env",
        value_name = "VAR",
        help_heading = "Credentials"
    )]
    certificate_password_env: Option<String>,
    /// PS256 (default) or RS256 (certificateAlgorithm).
    #[arg(
        long = "certificate-algorithm",
        value_name = "ALG",
        help_heading = "Credentials"
    )]
    certificate_algorithm: Option<String>,
    /// Send the certificate chain in x5c, for subject name/issuer authentication.
    #[arg(long = "send-certificate-chain", help_heading = "Credentials")]
    send_certificate_chain: bool,
    /// A file holding a client assertion, e.g. a federated token (clientAssertionFile).
    #[arg(
        long = "client-assertion-file",
        value_name = "FILE",
        help_heading = "Credentials"
    )]
    client_assertion_file: Option<PathBuf>,
    /// Use the managed identity of this Azure host (managedIdentity); give a client id for a
    /// user-assigned identity.
    #[arg(
        long = "managed-identity",
        value_name = "CLIENT_ID",
        num_args = 0..=1,
        default_missing_value = "",
        help_heading = "Credentials"
    )]
    managed_identity: Option<String>,
    /// A user-assigned managed identity by object (principal) id.
    #[arg(
        long = "managed-identity-object-id",
        value_name = "ID",
        help_heading = "Credentials"
    )]
    managed_identity_object_id: Option<String>,
    /// A user-assigned managed identity by Azure resource id.
    #[arg(
        long = "managed-identity-resource-id",
        value_name = "ID",
        help_heading = "Credentials"
    )]
    managed_identity_resource_id: Option<String>,
    /// Sign in as a user with the device code flow and send through /me (deviceCode).
    #[arg(long = "device-code", help_heading = "Credentials")]
    device_code: bool,
    /// Delegated scopes for --device-code (scopes).
    #[arg(long, value_name = "SCOPE", help_heading = "Credentials")]
    scopes: Vec<String>,
    /// File keeping the refresh token between runs, readable only by you (tokenCachePath).
    #[arg(
        long = "token-cache",
        value_name = "FILE",
        help_heading = "Credentials"
    )]
    token_cache: Option<PathBuf>,
    /// Read a pre-acquired access token from this file (accessToken).
    #[arg(
        long = "access-token-file",
        value_name = "FILE",
        help_heading = "Credentials"
    )]
    access_token_file: Option<PathBuf>,
    /// Read a pre-acquired access token from this environment variable (accessToken).
    #[arg(
        long = "access-token-env",
        value_name = "VAR",
        help_heading = "Credentials"
    )]
    access_token_env: Option<String>,
    /// National cloud: Global, USGov, USGovDoD or China (cloud).
    #[arg(long, value_name = "CLOUD", help_heading = "Connection")]
    cloud: Option<String>,
    /// Sign-in host instead of the cloud's, https:// only (authorityHost).
    #[arg(
        long = "authority-host",
        value_name = "URL",
        help_heading = "Connection"
    )]
    authority_host: Option<String>,
    /// Graph service root instead of the cloud's, https:// only (graphEndpoint).
    #[arg(
        long = "graph-endpoint",
        value_name = "URL",
        help_heading = "Connection"
    )]
    graph_endpoint: Option<String>,
    /// Extra trusted CA certificates, PEM (caCertificatePath).
    #[arg(long = "ca-file", value_name = "FILE", help_heading = "Connection")]
    ca_file: Option<PathBuf>,
}

fn unreadable(what: &str, source: &str, why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::FileUnreadable,
        format!("The {what} cannot be read from {source}: {why}."),
    )
}

/// The trimmed contents of a secret file.
fn secret_file(path: &Path, what: &str) -> graphmail::Result<Zeroizing<String>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| unreadable(what, &format!("'{}'", path.display()), e))?,
    );
    Ok(Zeroizing::new(text.trim().to_string()))
}

/// A secret from an environment variable.
fn secret_env(var: &str, what: &str) -> graphmail::Result<Zeroizing<String>> {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| Zeroizing::new(v.trim().to_string()))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::MissingSetting,
                format!(
                    "The {what} was to come from the environment variable {var}, which is not set."
                ),
            )
            .with_field(var.to_string())
        })
}

impl CredentialFlags {
    /// The keys these flags set: `(credential, others)`; `credential` holds the credential
    /// key and its companions, if a credential flag was given.
    fn keys(&self) -> graphmail::Result<(Map<String, Value>, Map<String, Value>)> {
        let mut credentials: Vec<Map<String, Value>> = Vec::new();
        let mut one = |pairs: Vec<(&str, Value)>| {
            credentials.push(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        };
        // A secret from a file or a named variable, as one credential each.
        let secrets = |file: &Option<PathBuf>, var: &Option<String>, what: &str| {
            let mut found = Vec::new();
            if let Some(path) = file {
                found.push(json!(*secret_file(path, what)?));
            }
            if let Some(var) = var {
                found.push(json!(*secret_env(var, what)?));
            }
            Ok::<_, Error>(found)
        };
        for secret in secrets(
            &self.client_secret_file,
            &self.client_secret_env,
            "client secret",
        )? {
            one(vec![("clientSecret", secret)]);
        }
        if let Some(path) = &self.certificate {
            let mut pairs = vec![("certificatePath", json!(path))];
            if let Some(var) = &self.certificate_password_env {
                pairs.push((
                    "certificatePassword",
                    json!(*secret_env(var, "certificate password")?),
                ));
            }
            if let Some(alg) = &self.certificate_algorithm {
                pairs.push(("certificateAlgorithm", json!(alg)));
            }
            if self.send_certificate_chain {
                pairs.push(("sendCertificateChain", json!(true)));
            }
            one(pairs);
        }
        if let Some(path) = &self.client_assertion_file {
            one(vec![("clientAssertionFile", json!(path))]);
        }
        let identity = match (
            &self.managed_identity,
            &self.managed_identity_object_id,
            &self.managed_identity_resource_id,
        ) {
            (None, None, None) => None,
            (Some(id), None, None) if id.trim().is_empty() => Some(json!(true)),
            (Some(id), None, None) => Some(json!({"clientId": id})),
            (None, Some(id), None) => Some(json!({"objectId": id})),
            (None, None, Some(id)) => Some(json!({"resourceId": id})),
            _ => {
                return Err(Error::new(
                    ErrorCode::InvalidConfig,
                    "Give one managed identity: --managed-identity [CLIENT_ID], --managed-identity-object-id or --managed-identity-resource-id.",
                )
                .with_field("managedIdentity"))
            }
        };
        if let Some(identity) = identity {
            one(vec![("managedIdentity", identity)]);
        }
        if self.device_code {
            let mut pairs = vec![("deviceCode", json!(true))];
            if !self.scopes.is_empty() {
                pairs.push(("scopes", json!(self.scopes.join(" "))));
            }
            if let Some(path) = &self.token_cache {
                pairs.push(("tokenCachePath", json!(path)));
            }
            one(pairs);
        }
        for token in secrets(
            &self.access_token_file,
            &self.access_token_env,
            "access token",
        )? {
            one(vec![("accessToken", token)]);
        }
        if credentials.len() > 1 {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                "Give one credential flag: --client-secret-file/-env, --certificate, --client-assertion-file, --managed-identity, --device-code or --access-token-file/-env.",
            ));
        }
        let mut others = Map::new();
        for (key, value) in [
            ("tenantId", self.tenant_id.as_ref().map(|v| json!(v))),
            ("clientId", self.client_id.as_ref().map(|v| json!(v))),
            ("cloud", self.cloud.as_ref().map(|v| json!(v))),
            (
                "authorityHost",
                self.authority_host.as_ref().map(|v| json!(v)),
            ),
            (
                "graphEndpoint",
                self.graph_endpoint.as_ref().map(|v| json!(v)),
            ),
            ("caCertificatePath", self.ca_file.as_ref().map(|v| json!(v))),
        ] {
            if let Some(value) = value {
                others.insert(key.to_string(), value);
            }
        }
        Ok((credentials.pop().unwrap_or_default(), others))
    }
}

impl ConfigArgs {
    /// The configuration of a file, with no flags (for `graphmail sendmail`).
    pub fn from_file(config: Option<PathBuf>) -> ConfigArgs {
        ConfigArgs {
            config,
            flags: CredentialFlags::default(),
        }
    }

    /// Loads the configuration: the file (`--config`, else `GRAPHMAIL_CONFIG`) or the
    /// environment, with the flags on top. A credential flag replaces the file's credential;
    /// without a file, settings the flags leave out come from the environment.
    pub fn load(&self) -> graphmail::Result<graphmail::ClientConfig> {
        let from_env = std::env::var_os("GRAPHMAIL_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let file = self.config.as_ref().or(from_env.as_ref());
        let (credential, others) = self.flags.keys()?;
        if file.is_none() && credential.is_empty() && others.is_empty() {
            return graphmail::ClientConfig::from_env();
        }
        let mut map = match file {
            Some(path) => read_config_file(path)?,
            None => {
                let mut map = Map::new();
                map.insert("useEnvironment".into(), Value::Bool(true));
                map
            }
        };
        if !credential.is_empty() {
            for key in graphmail::config::CREDENTIAL_KEYS.iter().chain(
                [
                    "certificatePassword",
                    "sendCertificateChain",
                    "certificateAlgorithm",
                    "scopes",
                    "tokenCachePath",
                ]
                .iter(),
            ) {
                map.remove(*key);
            }
            map.extend(credential);
        }
        map.extend(others);
        let text = Zeroizing::new(Value::Object(map).to_string());
        graphmail::ClientConfig::from_json(&text)
    }
}

/// The JSON object of a configuration file.
fn read_config_file(path: &Path) -> graphmail::Result<Map<String, Value>> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            ErrorCode::FileUnreadable,
            format!(
                "The configuration file '{}' cannot be read: {e}.",
                path.display()
            ),
        )
    })?);
    if text.trim().is_empty() {
        return Err(Error::new(
            ErrorCode::InvalidConfig,
            format!("The configuration file '{}' is empty.", path.display()),
        ));
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(map),
        // Let the library word the error (line and column, or "must be an object").
        _ => graphmail::ClientConfig::from_json(&text).map(|_| Map::new()),
    }
}
