//! Client configuration: [`ClientConfig`] (built with [`ClientConfigBuilder`], parsed from the
//! C ABI's JSON with [`ClientConfig::from_json`], or read from the environment with
//! [`ClientConfig::from_env`]) and the national [`Cloud`]s.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use serde_json::{Map, Value};

use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;

/// Default request timeout (per HTTP request), in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// Default connect timeout, in seconds.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;
/// Default maximum message size (all attachments together): 150 MB, the most Exchange Online
/// can be configured to accept (its own default is 35 MB).
pub const DEFAULT_MAX_MESSAGE_BYTES: u64 = 150 * 1024 * 1024;

/// A Microsoft cloud: chooses the login (authority) host, the Graph host and the token scope
/// together, since tokens of one cloud are not valid in another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cloud {
    /// The worldwide service (also GCC moderate).
    #[default]
    Global,
    /// US Government L4 (GCC High).
    USGov,
    /// US Government L5 (DoD).
    USGovDoD,
    /// China, operated by 21Vianet.
    China,
}

impl Cloud {
    /// All clouds, in documentation order.
    pub const ALL: [Cloud; 4] = [Cloud::Global, Cloud::USGov, Cloud::USGovDoD, Cloud::China];

    /// The name used in configuration (`"Global"`, `"USGov"`, `"USGovDoD"`, `"China"`).
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "Global",
            Cloud::USGov => "USGov",
            Cloud::USGovDoD => "USGovDoD",
            Cloud::China => "China",
        }
    }

    /// The Microsoft Entra (login) authority host of this cloud.
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::USGov | Cloud::USGovDoD => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The Microsoft Graph service root of this cloud.
    pub fn graph_endpoint(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::USGov => "https://graph.microsoft.us",
            Cloud::USGovDoD => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    /// The app-only scope for Graph in this cloud (`<graph host>/.default`).
    pub fn graph_scope(self) -> String {
        format!("{}/.default", self.graph_endpoint())
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Cloud {
    type Err = Error;

    /// Case-insensitive: `global`, `USGov`, `usgovdod`, `china`.
    fn from_str(s: &str) -> Result<Self> {
        Cloud::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::UnknownCloud,
                    format!(
                        "Unknown cloud '{}': use one of Global, USGov, USGovDoD, China.",
                        truncate_for_message(s)
                    ),
                )
                .with_field("cloud")
            })
    }
}

/// How requests reach the internet.
#[derive(Clone, Default)]
pub enum ProxySetting {
    /// Use `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` and `NO_PROXY` from the environment, and the
    /// operating system's proxy settings where the platform has them. The default.
    #[default]
    System,
    /// Connect directly, ignoring any environment proxy.
    Direct,
    /// Use this proxy URL (`http://host:port`, optionally with `user:password@`) for every request,
    /// still honouring `NO_PROXY`. Kept as a [`Secret`] because it may carry a password.
    Url(Secret),
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySetting::System => f.write_str("System"),
            ProxySetting::Direct => f.write_str("Direct"),
            ProxySetting::Url(_) => f.write_str("Url([redacted])"),
        }
    }
}

/// How the application proves its identity.
#[derive(Clone)]
pub enum CredentialSource {
    /// A client secret (`clientSecret`).
    ClientSecret(Secret),
    /// A certificate (`certificatePath`, PEM or PFX), signing a client assertion.
    Certificate {
        /// The PEM or PFX file.
        path: PathBuf,
        /// The PFX password (`certificatePassword`).
        password: Option<Secret>,
        /// Send the chain in `x5c` (`sendCertificateChain`), for subject name/issuer auth.
        send_chain: bool,
        /// PS256 (default) or RS256 (`certificateAlgorithm`).
        algorithm: crate::auth::signing::AssertionAlgorithm,
    },
    /// A pre-signed client assertion (`clientAssertion`).
    ClientAssertion(Secret),
    /// A file holding a client assertion, e.g. a federated token (`clientAssertionFile`).
    ClientAssertionFile(PathBuf),
    /// A pre-acquired access token (`accessToken`).
    AccessToken(Secret),
    /// A managed identity of the Azure resource the code runs on (`managedIdentity`).
    ManagedIdentity(crate::auth::managed_identity::ManagedIdentityId),
    /// Delegated sign-in with the device code flow (`deviceCode`); mail is sent as the
    /// signed-in user through `/me`.
    DeviceCode {
        /// Space-separated scopes (`scopes`).
        scopes: String,
        /// Where the refresh token is kept between runs (`tokenCachePath`).
        cache_path: Option<PathBuf>,
        /// Write the sign-in message to standard error (`deviceCodePrompt`: `"stderr"`, the
        /// default) or only publish it in the operation's progress (`"none"`).
        prompt_to_stderr: bool,
    },
    /// A certificate whose private key stays with the caller, who signs each assertion
    /// (`signingCertificate`, with `graph_client_new_with_signer` or
    /// [`crate::Client::new_with_signer`]): a Windows certificate-store key, for instance.
    SigningCertificate {
        /// DER certificates: the registered one first, then its chain.
        certificates: Vec<Vec<u8>>,
        /// Send the chain in `x5c` (`sendCertificateChain`).
        send_chain: bool,
        /// PS256 (default) or RS256 (`certificateAlgorithm`).
        algorithm: crate::auth::signing::AssertionAlgorithm,
    },
    /// No credential was configured and the environment holds none: try managed identity, as
    /// the last link of azure-identity's DefaultAzureCredential chain. A failure lists what
    /// each source said ([`crate::ErrorCode::CredentialUnavailable`]).
    Default {
        /// The identity to ask for: user-assigned by `AZURE_CLIENT_ID` when that is set.
        managed_identity: crate::auth::managed_identity::ManagedIdentityId,
        /// Why the environment gave no credential.
        environment: String,
    },
}

impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::ClientSecret(_) => f.write_str("ClientSecret([redacted])"),
            CredentialSource::Certificate {
                path,
                send_chain,
                algorithm,
                ..
            } => f
                .debug_struct("Certificate")
                .field("path", path)
                .field("password", &"[redacted]")
                .field("send_chain", send_chain)
                .field("algorithm", algorithm)
                .finish(),
            CredentialSource::ClientAssertion(_) => f.write_str("ClientAssertion([redacted])"),
            CredentialSource::ClientAssertionFile(p) => {
                f.debug_tuple("ClientAssertionFile").field(p).finish()
            }
            CredentialSource::AccessToken(_) => f.write_str("AccessToken([redacted])"),
            CredentialSource::ManagedIdentity(id) => {
                f.debug_tuple("ManagedIdentity").field(id).finish()
            }
            CredentialSource::DeviceCode {
                scopes,
                cache_path,
                prompt_to_stderr,
            } => f
                .debug_struct("DeviceCode")
                .field("scopes", scopes)
                .field("cache_path", cache_path)
                .field("prompt_to_stderr", prompt_to_stderr)
                .finish(),
            CredentialSource::SigningCertificate {
                certificates,
                send_chain,
                algorithm,
            } => f
                .debug_struct("SigningCertificate")
                .field("certificates", &certificates.len())
                .field("send_chain", send_chain)
                .field("algorithm", algorithm)
                .finish(),
            CredentialSource::Default {
                managed_identity,
                environment,
            } => f
                .debug_struct("Default")
                .field("managed_identity", managed_identity)
                .field("environment", environment)
                .finish(),
        }
    }
}

/// The configuration keys that each select a credential (exactly one may be given).
pub const CREDENTIAL_KEYS: &[&str] = &[
    "clientSecret",
    "certificatePath",
    "clientAssertion",
    "clientAssertionFile",
    "accessToken",
    "managedIdentity",
    "deviceCode",
    "signingCertificate",
];

/// Keys that only accompany a credential key.
const CREDENTIAL_COMPANIONS: &[&str] = &[
    "certificatePassword",
    "sendCertificateChain",
    "certificateAlgorithm",
];

/// Each configuration key that can come from the environment, and its variable (as the Azure
/// identity libraries name them, plus GraphMail's own `GRAPHMAIL_*`).
pub const ENVIRONMENT_VARIABLES: &[(&str, &str)] = &[
    ("tenantId", "AZURE_TENANT_ID"),
    ("clientId", "AZURE_CLIENT_ID"),
    ("clientSecret", "AZURE_CLIENT_SECRET"),
    ("certificatePath", "AZURE_CLIENT_CERTIFICATE_PATH"),
    ("certificatePassword", "AZURE_CLIENT_CERTIFICATE_PASSWORD"),
    (
        "sendCertificateChain",
        "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN",
    ),
    ("clientAssertionFile", "AZURE_FEDERATED_TOKEN_FILE"),
    ("authorityHost", "AZURE_AUTHORITY_HOST"),
    ("cloud", "GRAPHMAIL_CLOUD"),
    ("graphEndpoint", "GRAPHMAIL_GRAPH_ENDPOINT"),
    ("caCertificatePath", "GRAPHMAIL_CA_FILE"),
    ("proxy", "GRAPHMAIL_PROXY"),
    ("timeoutSeconds", "GRAPHMAIL_TIMEOUT_SECONDS"),
];

/// Reads a non-empty environment variable.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The configuration keys found in the environment, as JSON values.
fn env_map(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Map<String, Value>> {
    let mut map = Map::new();
    let mut credential_found = false;
    for (key, var) in ENVIRONMENT_VARIABLES {
        let Some(raw) = lookup(var) else { continue };
        // As azure-identity's EnvironmentCredential: a secret, else a certificate, else a
        // federated token file; the first one found wins.
        if CREDENTIAL_KEYS.contains(key) {
            if credential_found {
                continue;
            }
            credential_found = true;
        }
        if CREDENTIAL_COMPANIONS.contains(key) && !map.contains_key("certificatePath") {
            continue;
        }
        let value = if *key == "sendCertificateChain" {
            Value::Bool(matches!(
                raw.trim().to_ascii_lowercase().as_str(),
                "1" | "true"
            ))
        } else if *key == "timeoutSeconds" {
            let secs = raw
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::InvalidConfig,
                        format!("{var} must be a number of seconds."),
                    )
                    .with_field(*var)
                })?;
            Value::Number(secs)
        } else {
            Value::String(raw)
        };
        map.insert(key.to_string(), value);
    }
    Ok(map)
}

/// The configuration keys of the C ABI's configuration JSON (camelCase).
pub const CONFIG_KEYS: &[&str] = &[
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
    "maxMessageBytes",
    "useEnvironment",
    "certificatePath",
    "certificatePassword",
    "sendCertificateChain",
    "certificateAlgorithm",
    "clientAssertion",
    "clientAssertionFile",
    "accessToken",
    "managedIdentity",
    "deviceCode",
    "scopes",
    "tokenCachePath",
    "deviceCodePrompt",
    "signingCertificate",
    "maxAttempts",
    "retryDeadlineSeconds",
    "sendTimeoutSeconds",
];

/// Everything a [`crate::Client`] needs: who to authenticate as, where, and how to connect.
///
/// Build one with [`ClientConfig::builder`], [`ClientConfig::from_json`] or
/// [`ClientConfig::from_env`]. `Debug` never shows the client secret or proxy credentials.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub(crate) tenant_id: String,
    pub(crate) client_id: String,
    pub(crate) credential: CredentialSource,
    pub(crate) cloud: Cloud,
    pub(crate) authority_host: String,
    pub(crate) graph_endpoint: String,
    pub(crate) scope: String,
    pub(crate) ca_certificate_path: Option<PathBuf>,
    pub(crate) proxy: ProxySetting,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_message_bytes: u64,
    pub(crate) retry: crate::retry::RetryPolicy,
    pub(crate) send_timeout: Option<Duration>,
}

impl ClientConfig {
    /// Starts a builder with the three required settings (tenant id or domain, application
    /// (client) id, client secret). Everything else has a documented default.
    pub fn builder(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> ClientConfigBuilder {
        ClientConfigBuilder {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            credential: CredentialSource::ClientSecret(client_secret.into()),
            cloud: Cloud::Global,
            authority_host: None,
            graph_endpoint: None,
            ca_certificate_path: None,
            proxy: ProxySetting::System,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            connect_timeout: Duration::from_secs(DEFAULT_CONNECT_TIMEOUT_SECS),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            retry: crate::retry::RetryPolicy::default(),
            send_timeout: None,
        }
    }

    /// Parses the C ABI's configuration JSON (keys in camelCase): `tenantId`, `clientId`,
    /// `clientSecret`, `cloud`, `authorityHost`, `graphEndpoint`, `caCertificatePath`, `proxy`,
    /// `timeoutSeconds`, `connectTimeoutSeconds`. Unknown keys are rejected, so a typo cannot
    /// silently change where mail goes. An empty (or whitespace) string reads the environment
    /// instead ([`ClientConfig::from_env`]).
    pub fn from_json(text: &str) -> Result<Self> {
        Self::from_json_with_lookup(text, env_var)
    }

    /// Like [`ClientConfig::from_json`], reading environment variables through `lookup`.
    pub fn from_json_with_lookup(
        text: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        if text.trim().is_empty() {
            return Self::from_lookup(lookup);
        }
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Error::new(
                ErrorCode::InvalidJson,
                format!(
                    "The configuration is not valid JSON (line {}, column {}).",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        let Value::Object(map) = value else {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                "The configuration must be a JSON object.",
            ));
        };
        Self::from_map(map, &lookup)
    }

    fn from_map(
        mut map: Map<String, Value>,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        match map.remove("useEnvironment") {
            None | Some(Value::Null) | Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) => {
                let has_credential = CREDENTIAL_KEYS
                    .iter()
                    .any(|k| map.get(*k).is_some_and(|v| !v.is_null()));
                for (key, value) in env_map(lookup)? {
                    let is_credential = CREDENTIAL_KEYS.contains(&key.as_str())
                        || CREDENTIAL_COMPANIONS.contains(&key.as_str());
                    if has_credential && is_credential {
                        continue;
                    }
                    if map.get(&key).is_none_or(Value::is_null) {
                        map.insert(key, value);
                    }
                }
            }
            Some(_) => {
                return Err(Error::new(
                    ErrorCode::InvalidConfig,
                    "'useEnvironment' must be true or false.",
                )
                .with_field("useEnvironment"))
            }
        }
        const KEYS: &[&str] = CONFIG_KEYS;
        if let Some(unknown) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                format!(
                    "Unknown configuration key '{}'. Known keys: {}.",
                    truncate_for_message(unknown),
                    KEYS.join(", ")
                ),
            )
            .with_field(unknown.clone()));
        }
        let environment = if has_credential_key(&map) {
            None
        } else {
            take_environment_credential(&mut map, lookup)?
        };
        let tenant_id = take_string(&mut map, "tenantId")?.unwrap_or_default();
        let client_id = take_string(&mut map, "clientId")?.unwrap_or_default();
        let credential = match environment {
            // Nothing in the configuration or the environment: managed identity, last.
            Some(why) => {
                for key in CREDENTIAL_COMPANIONS
                    .iter()
                    .chain(["scopes", "tokenCachePath", "deviceCodePrompt"].iter())
                {
                    if map.get(*key).is_some_and(|v| !v.is_null()) {
                        return Err(Error::new(
                            ErrorCode::InvalidConfig,
                            format!("'{key}' is given without the credential it belongs to."),
                        )
                        .with_field(*key));
                    }
                }
                CredentialSource::Default {
                    managed_identity: match lookup("AZURE_CLIENT_ID") {
                        Some(id) => crate::auth::managed_identity::ManagedIdentityId::ClientId(id),
                        None => crate::auth::managed_identity::ManagedIdentityId::SystemAssigned,
                    },
                    environment: why,
                }
            }
            None => take_credential(&mut map)?,
        };
        let mut b =
            ClientConfig::builder(tenant_id, client_id, Secret::default()).credential(credential);
        if let Some(cloud) = take_string(&mut map, "cloud")? {
            b = b.cloud(cloud.parse()?);
        }
        if let Some(v) = take_string(&mut map, "authorityHost")? {
            b = b.authority_host(v);
        }
        if let Some(v) = take_string(&mut map, "graphEndpoint")? {
            b = b.graph_endpoint(v);
        }
        if let Some(v) = take_string(&mut map, "caCertificatePath")? {
            b = b.ca_certificate_path(v);
        }
        match map.remove("proxy") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(false)) => b = b.proxy(ProxySetting::Direct),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("none") => {
                b = b.proxy(ProxySetting::Direct)
            }
            Some(Value::String(s)) if s.eq_ignore_ascii_case("system") => {
                b = b.proxy(ProxySetting::System)
            }
            Some(Value::String(s)) => b = b.proxy(ProxySetting::Url(Secret::new(s))),
            Some(_) => {
                return Err(Error::new(
                    ErrorCode::InvalidConfig,
                    "'proxy' must be a proxy URL string, \"system\" or \"none\".",
                )
                .with_field("proxy"))
            }
        }
        if let Some(s) = take_seconds(&mut map, "timeoutSeconds")? {
            b = b.timeout(s);
        }
        if let Some(s) = take_seconds(&mut map, "connectTimeoutSeconds")? {
            b = b.connect_timeout(s);
        }
        match map.remove("maxMessageBytes") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) if n.as_u64().is_some_and(|v| v > 0) => {
                b = b.max_message_bytes(n.as_u64().unwrap_or(DEFAULT_MAX_MESSAGE_BYTES))
            }
            Some(_) => {
                return Err(Error::new(
                    ErrorCode::InvalidConfig,
                    "'maxMessageBytes' must be a positive whole number of bytes.",
                )
                .with_field("maxMessageBytes"))
            }
        }
        match map.remove("maxAttempts") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) if n.as_u64().is_some_and(|v| (1..=20).contains(&v)) => {
                b = b.max_attempts(n.as_u64().unwrap_or(1) as u32)
            }
            Some(_) => {
                return Err(Error::new(
                    ErrorCode::InvalidConfig,
                    "'maxAttempts' must be a whole number from 1 (no retry) to 20.",
                )
                .with_field("maxAttempts"))
            }
        }
        if let Some(s) = take_seconds(&mut map, "retryDeadlineSeconds")? {
            b = b.retry_deadline(s);
        }
        if let Some(s) = take_seconds(&mut map, "sendTimeoutSeconds")? {
            b = b.send_timeout(s);
        }
        b.build()
    }

    /// Reads the configuration from the environment, as the Azure identity libraries do:
    /// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, `AZURE_AUTHORITY_HOST`, and
    /// GraphMail's own `GRAPHMAIL_CLOUD`, `GRAPHMAIL_GRAPH_ENDPOINT`, `GRAPHMAIL_CA_FILE`,
    /// `GRAPHMAIL_PROXY`, `GRAPHMAIL_TIMEOUT_SECONDS`.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(env_var)
    }

    /// Like [`ClientConfig::from_env`], reading variables through `lookup` (for tests).
    ///
    /// The credential is the environment's (a secret, else a certificate, else a federated
    /// token file, each with `AZURE_TENANT_ID` and `AZURE_CLIENT_ID`); without one, managed
    /// identity ([`CredentialSource::Default`]).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut map = env_map(&lookup)?;
        for key in CREDENTIAL_KEYS.iter().chain(CREDENTIAL_COMPANIONS) {
            map.remove(*key);
        }
        for key in ["tenantId", "clientId"] {
            map.remove(key);
        }
        Self::from_map(map, &lookup)
    }

    /// Directory (tenant) id or domain.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
    /// Application (client) id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// The cloud.
    pub fn cloud(&self) -> Cloud {
        self.cloud
    }
    /// The authority (login) host actually used, without a trailing slash.
    pub fn authority_host(&self) -> &str {
        &self.authority_host
    }
    /// The Graph service root actually used, without a trailing slash or version.
    pub fn graph_endpoint(&self) -> &str {
        &self.graph_endpoint
    }
    /// The token scope (`<cloud's graph host>/.default`).
    pub fn scope(&self) -> &str {
        &self.scope
    }
    /// The token endpoint URL: `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.authority_host, self.tenant_id
        )
    }
    /// The extra trusted CA file, if any.
    pub fn ca_certificate_path(&self) -> Option<&std::path::Path> {
        self.ca_certificate_path.as_deref()
    }
    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }
    /// The largest total attachment size GraphMail will send (bytes).
    pub fn max_message_bytes(&self) -> u64 {
        self.max_message_bytes
    }
    /// How requests are retried (`maxAttempts`, `retryDeadlineSeconds`).
    pub fn retry_policy(&self) -> crate::retry::RetryPolicy {
        self.retry
    }
    /// The limit on a whole send, retries and uploads included (`sendTimeoutSeconds`).
    pub fn send_timeout(&self) -> Option<Duration> {
        self.send_timeout
    }
}

/// Builder for [`ClientConfig`]; see [`ClientConfig::builder`]. [`ClientConfigBuilder::build`]
/// validates everything, so a built config is always usable.
#[derive(Debug)]
pub struct ClientConfigBuilder {
    tenant_id: String,
    client_id: String,
    credential: CredentialSource,
    cloud: Cloud,
    authority_host: Option<String>,
    graph_endpoint: Option<String>,
    ca_certificate_path: Option<PathBuf>,
    proxy: ProxySetting,
    timeout: Duration,
    connect_timeout: Duration,
    max_message_bytes: u64,
    retry: crate::retry::RetryPolicy,
    send_timeout: Option<Duration>,
}

impl ClientConfigBuilder {
    /// Authenticates with another credential than the client secret given to
    /// [`ClientConfig::builder`].
    pub fn credential(mut self, credential: CredentialSource) -> Self {
        self.credential = credential;
        self
    }

    /// The national cloud (default [`Cloud::Global`]); picks the authority host, Graph host and scope.
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.cloud = cloud;
        self
    }
    /// Overrides the authority host (default: the cloud's). Must be `https://`.
    pub fn authority_host(mut self, url: impl Into<String>) -> Self {
        self.authority_host = Some(url.into());
        self
    }
    /// Overrides the Graph service root (default: the cloud's), e.g. the local emulator.
    /// Must be `https://`; a trailing `/` or `/v1.0` is removed.
    pub fn graph_endpoint(mut self, url: impl Into<String>) -> Self {
        self.graph_endpoint = Some(url.into());
        self
    }
    /// Adds a PEM file of extra trusted CA certificates (a TLS-inspecting proxy, the emulator).
    /// The system's and Mozilla's roots stay trusted; validation is never turned off.
    pub fn ca_certificate_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_certificate_path = Some(path.into());
        self
    }
    /// The proxy setting (default [`ProxySetting::System`]).
    pub fn proxy(mut self, proxy: ProxySetting) -> Self {
        self.proxy = proxy;
        self
    }
    /// Per-request timeout (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// Connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
    /// Attempts per request, 1 (no retry) to 20 (`maxAttempts`; default 4).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.retry.max_attempts = attempts;
        self
    }

    /// The longest one request may take with its retries (`retryDeadlineSeconds`; default 120).
    pub fn retry_deadline(mut self, deadline: Duration) -> Self {
        self.retry.deadline = deadline;
        self
    }

    /// A limit on a whole send (`sendTimeoutSeconds`; default none): past it the send stops
    /// like a cancel, with [`ErrorCode::Timeout`].
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.send_timeout = Some(timeout);
        self
    }

    /// Largest total attachment size to send (default 150 MB). Set it to the mailbox's
    /// maximum send size to refuse oversized messages before uploading anything.
    pub fn max_message_bytes(mut self, bytes: u64) -> Self {
        self.max_message_bytes = bytes;
        self
    }

    /// Validates and builds the configuration.
    pub fn build(self) -> Result<ClientConfig> {
        let tenant_id = self.tenant_id.trim().to_string();
        let token_only = matches!(
            self.credential,
            CredentialSource::AccessToken(_)
                | CredentialSource::ManagedIdentity(_)
                | CredentialSource::Default { .. }
        );
        if tenant_id.is_empty() && !token_only {
            return Err(missing("tenantId", "the directory (tenant) id or domain"));
        }
        if !tenant_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                "'tenantId' must be a tenant GUID or domain name (letters, digits, '-', '.', '_').",
            )
            .with_field("tenantId"));
        }
        let client_id = self.client_id.trim().to_string();
        if client_id.is_empty() && !token_only {
            return Err(missing("clientId", "the application (client) id"));
        }
        match &self.credential {
            CredentialSource::ClientSecret(s) if s.is_blank() => {
                return Err(missing(
                    "clientSecret",
                    "the client secret value (not its Secret ID), or give certificatePath, clientAssertion, clientAssertionFile or accessToken instead",
                ))
            }
            CredentialSource::ClientAssertion(s) if s.is_blank() => {
                return Err(missing("clientAssertion", "a signed client assertion (JWT)"))
            }
            CredentialSource::AccessToken(s) if s.is_blank() => {
                return Err(missing("accessToken", "an access token for Microsoft Graph"))
            }
            CredentialSource::Certificate { path, .. } | CredentialSource::ClientAssertionFile(path)
                if path.as_os_str().is_empty() =>
            {
                return Err(missing("certificatePath", "the path of a PEM or PFX file"))
            }
            _ => {}
        }
        let mut credential = self.credential;
        if let CredentialSource::DeviceCode { scopes, .. } = &mut credential {
            if scopes.trim().is_empty() {
                *scopes = format!("{}/Mail.Send offline_access", self.cloud.graph_endpoint());
            }
        }
        let authority_host = match self.authority_host {
            Some(h) => normalize_https_url(&h, "authorityHost", false)?,
            None => self.cloud.authority_host().to_string(),
        };
        let graph_endpoint = match self.graph_endpoint {
            Some(h) => normalize_https_url(&h, "graphEndpoint", true)?,
            None => self.cloud.graph_endpoint().to_string(),
        };
        if let Some(p) = &self.ca_certificate_path {
            if p.as_os_str().is_empty() {
                return Err(
                    Error::new(ErrorCode::InvalidConfig, "'caCertificatePath' is empty.")
                        .with_field("caCertificatePath"),
                );
            }
        }
        if let ProxySetting::Url(u) = &self.proxy {
            let ok = reqwest::Url::parse(u.expose())
                .map(|url| matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h"))
                .unwrap_or(false);
            if !ok {
                return Err(Error::new(
                    ErrorCode::InvalidConfig,
                    "'proxy' is not a valid proxy URL (expected http://host:port).",
                )
                .with_field("proxy"));
            }
        }
        if !(1..=20).contains(&self.retry.max_attempts) {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                "'maxAttempts' must be a whole number from 1 (no retry) to 20.",
            )
            .with_field("maxAttempts"));
        }
        for (d, name) in [
            (self.timeout, "timeoutSeconds"),
            (self.connect_timeout, "connectTimeoutSeconds"),
            (self.retry.deadline, "retryDeadlineSeconds"),
            (
                self.send_timeout.unwrap_or(Duration::MAX),
                "sendTimeoutSeconds",
            ),
        ] {
            if d.is_zero() {
                return Err(Error::new(
                    ErrorCode::InvalidConfig,
                    format!("'{name}' must be greater than zero."),
                )
                .with_field(name));
            }
        }
        Ok(ClientConfig {
            tenant_id,
            client_id,
            credential,
            scope: self.cloud.graph_scope(),
            cloud: self.cloud,
            authority_host,
            graph_endpoint,
            ca_certificate_path: self.ca_certificate_path,
            proxy: self.proxy,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            max_message_bytes: self.max_message_bytes,
            retry: self.retry,
            send_timeout: self.send_timeout,
        })
    }
}

fn missing(field: &str, what: &str) -> Error {
    Error::new(
        ErrorCode::MissingSetting,
        format!("'{field}' is missing or empty: set it to {what}."),
    )
    .with_field(field)
}

/// Checks that `raw` is an absolute `https://` URL and returns it without a trailing slash
/// (and, for Graph, without a trailing `/v1.0`).
fn normalize_https_url(raw: &str, field: &str, strip_version: bool) -> Result<String> {
    let bad = |why: &str| {
        Error::new(
            ErrorCode::InvalidConfig,
            format!("'{field}' {why} (got '{}').", truncate_for_message(raw)),
        )
        .with_field(field)
    };
    let url = reqwest::Url::parse(raw.trim()).map_err(|_| bad("is not a valid URL"))?;
    if url.scheme() != "https" {
        return Err(bad(
            "must be an https:// URL: GraphMail only talks to Graph and the identity platform over TLS 1.2+",
        ));
    }
    if url.host_str().is_none() || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must be a plain https://host[:port][/path] URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain credentials"));
    }
    let mut s = url.as_str().trim_end_matches('/').to_string();
    if strip_version {
        for v in ["/v1.0", "/beta"] {
            if s.to_ascii_lowercase().ends_with(v) {
                s.truncate(s.len() - v.len());
            }
        }
    }
    Ok(s)
}

/// Whether the configuration names a credential.
fn has_credential_key(map: &Map<String, Value>) -> bool {
    CREDENTIAL_KEYS
        .iter()
        .any(|k| map.get(*k).is_some_and(|v| !v.is_null()))
}

/// For a configuration without a credential: moves the environment's credential (as
/// azure-identity's EnvironmentCredential reads it) into `map`, with the tenant and client
/// ids it needs, and returns `None`; or returns why the environment has no usable credential.
fn take_environment_credential(
    map: &mut Map<String, Value>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>> {
    let env = env_map(lookup)?;
    let Some((key, var)) = ENVIRONMENT_VARIABLES
        .iter()
        .find(|(k, _)| CREDENTIAL_KEYS.contains(k) && env.contains_key(*k))
    else {
        return Ok(Some(
            "none of AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE is set".to_string(),
        ));
    };
    for (id, id_var) in [
        ("tenantId", "AZURE_TENANT_ID"),
        ("clientId", "AZURE_CLIENT_ID"),
    ] {
        if map.get(id).is_none_or(Value::is_null) && !env.contains_key(id) {
            return Ok(Some(format!(
                "{var} is set but {id_var} is not (and the configuration has no '{id}')"
            )));
        }
    }
    for (k, v) in env {
        let wanted = k == *key
            || CREDENTIAL_COMPANIONS.contains(&k.as_str())
            || (matches!(k.as_str(), "tenantId" | "clientId")
                && map.get(&k).is_none_or(Value::is_null));
        if wanted {
            map.insert(k, v);
        }
    }
    Ok(None)
}

/// `signingCertificate`: one base64 DER certificate, or an array of them (leaf first).
fn take_signing_certificates(map: &mut Map<String, Value>) -> Result<Vec<Vec<u8>>> {
    let bad = || {
        Error::new(
            ErrorCode::InvalidConfig,
            "'signingCertificate' must be the certificate's DER bytes in base64, or an array of them (the registered certificate first, then its chain).",
        )
        .with_field("signingCertificate")
    };
    let items = match map.remove("signingCertificate") {
        Some(Value::String(s)) => vec![s],
        Some(Value::Array(items)) if !items.is_empty() => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(bad()),
            })
            .collect::<Result<Vec<_>>>()?,
        _ => return Err(bad()),
    };
    items
        .iter()
        .map(|s| {
            let compact: String = s.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .ok()
                .filter(|der| !der.is_empty())
                .ok_or_else(bad)
        })
        .collect()
}

/// Reads the one credential key (and its companions) of a configuration object.
fn take_credential(map: &mut Map<String, Value>) -> Result<CredentialSource> {
    let given: Vec<&str> = CREDENTIAL_KEYS
        .iter()
        .copied()
        .filter(|k| map.get(*k).is_some_and(|v| !v.is_null()))
        .collect();
    if given.len() > 1 {
        return Err(Error::new(
            ErrorCode::InvalidConfig,
            format!(
                "Give only one credential; the configuration has {}.",
                given.join(" and ")
            ),
        )
        .with_field(given[1]));
    }
    let password = take_string(map, "certificatePassword")?.map(Secret::new);
    let send_chain = match map.remove("sendCertificateChain") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                "'sendCertificateChain' must be true or false.",
            )
            .with_field("sendCertificateChain"))
        }
    };
    let algorithm = match take_string(map, "certificateAlgorithm")?
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("PS256") => crate::auth::signing::AssertionAlgorithm::Ps256,
        Some("RS256") => crate::auth::signing::AssertionAlgorithm::Rs256,
        Some(_) => {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                "'certificateAlgorithm' must be PS256 or RS256.",
            )
            .with_field("certificateAlgorithm"))
        }
    };
    let value = |map: &mut Map<String, Value>, key: &str| -> Result<String> {
        Ok(take_string(map, key)?.unwrap_or_default())
    };
    Ok(match given.first().copied() {
        Some("certificatePath") => CredentialSource::Certificate {
            path: PathBuf::from(value(map, "certificatePath")?),
            password,
            send_chain,
            algorithm,
        },
        Some("clientAssertion") => {
            CredentialSource::ClientAssertion(Secret::new(value(map, "clientAssertion")?))
        }
        Some("clientAssertionFile") => {
            CredentialSource::ClientAssertionFile(PathBuf::from(value(map, "clientAssertionFile")?))
        }
        Some("accessToken") => {
            CredentialSource::AccessToken(Secret::new(value(map, "accessToken")?))
        }
        Some("managedIdentity") => CredentialSource::ManagedIdentity(take_managed_identity(map)?),
        Some("signingCertificate") => CredentialSource::SigningCertificate {
            certificates: take_signing_certificates(map)?,
            send_chain,
            algorithm,
        },
        Some("deviceCode") => {
            if map.remove("deviceCode") != Some(Value::Bool(true)) {
                return Err(
                    Error::new(ErrorCode::InvalidConfig, "'deviceCode' must be true.")
                        .with_field("deviceCode"),
                );
            }
            let scopes = match map.remove("scopes") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s),
                Some(Value::Array(items)) => Some(
                    items
                        .iter()
                        .map(|v| v.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            Error::new(ErrorCode::InvalidConfig, "'scopes' must be strings.")
                                .with_field("scopes")
                        })?
                        .join(" "),
                ),
                Some(_) => {
                    return Err(Error::new(
                        ErrorCode::InvalidConfig,
                        "'scopes' must be a string or an array of strings.",
                    )
                    .with_field("scopes"))
                }
            };
            let prompt_to_stderr = match take_string(map, "deviceCodePrompt")?
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                None | Some("stderr") => true,
                Some("none") => false,
                Some(_) => {
                    return Err(Error::new(
                        ErrorCode::InvalidConfig,
                        "'deviceCodePrompt' must be \"stderr\" or \"none\".",
                    )
                    .with_field("deviceCodePrompt"))
                }
            };
            CredentialSource::DeviceCode {
                scopes: scopes.unwrap_or_default(),
                cache_path: take_string(map, "tokenCachePath")?.map(PathBuf::from),
                prompt_to_stderr,
            }
        }
        _ => CredentialSource::ClientSecret(Secret::new(value(map, "clientSecret")?)),
    })
}

/// `managedIdentity`: `true` (system-assigned) or `{"clientId" | "objectId" | "resourceId": ...}`.
fn take_managed_identity(
    map: &mut Map<String, Value>,
) -> Result<crate::auth::managed_identity::ManagedIdentityId> {
    use crate::auth::managed_identity::ManagedIdentityId;
    let bad = || {
        Error::new(
            ErrorCode::InvalidConfig,
            "'managedIdentity' must be true, or an object with one of clientId, objectId, resourceId.",
        )
        .with_field("managedIdentity")
    };
    match map.remove("managedIdentity") {
        Some(Value::Bool(true)) => Ok(ManagedIdentityId::SystemAssigned),
        Some(Value::Object(o)) if o.len() == 1 => {
            let (k, v) = o.into_iter().next().ok_or_else(bad)?;
            let v = v
                .as_str()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(bad)?
                .to_string();
            match k.as_str() {
                "clientId" => Ok(ManagedIdentityId::ClientId(v)),
                "objectId" => Ok(ManagedIdentityId::ObjectId(v)),
                "resourceId" => Ok(ManagedIdentityId::ResourceId(v)),
                _ => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

fn take_string(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::new(
            ErrorCode::InvalidConfig,
            format!("'{key}' must be a string."),
        )
        .with_field(key)),
    }
}

fn take_seconds(map: &mut Map<String, Value>, key: &str) -> Result<Option<Duration>> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            let secs = n.as_f64().unwrap_or(-1.0);
            seconds_to_duration(secs, key).map(Some)
        }
        Some(_) => Err(Error::new(
            ErrorCode::InvalidConfig,
            format!("'{key}' must be a number of seconds."),
        )
        .with_field(key)),
    }
}

fn seconds_to_duration(secs: f64, key: &str) -> Result<Duration> {
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
        return Err(Error::new(
            ErrorCode::InvalidConfig,
            format!("'{key}' must be between 0 and 86400 seconds."),
        )
        .with_field(key));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Shortens user-provided text before it is quoted in an error message.
pub(crate) fn truncate_for_message(s: &str) -> String {
    truncate_to(s, 80)
}

/// Like [`truncate_for_message`], for server messages (longer limit).
pub(crate) fn truncate_for_message_long(s: &str) -> String {
    truncate_to(s, 300)
}

fn truncate_to(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn base() -> ClientConfigBuilder {
        ClientConfig::builder("contoso.onmicrosoft.com", "app-id", Secret::new("s3cr3t"))
    }

    #[test]
    fn cloud_picks_hosts_and_scope_together() {
        for (cloud, login, graph) in [
            (
                Cloud::Global,
                "https://login.microsoftonline.com",
                "https://graph.microsoft.com",
            ),
            (
                Cloud::USGov,
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us",
            ),
            (
                Cloud::USGovDoD,
                "https://login.microsoftonline.us",
                "https://dod-graph.microsoft.us",
            ),
            (
                Cloud::China,
                "https://login.chinacloudapi.cn",
                "https://microsoftgraph.chinacloudapi.cn",
            ),
        ] {
            let c = base().cloud(cloud).build().unwrap();
            assert_eq!(c.authority_host(), login);
            assert_eq!(c.graph_endpoint(), graph);
            assert_eq!(c.scope(), format!("{graph}/.default"));
        }
        assert_eq!("usgovdod".parse::<Cloud>().unwrap(), Cloud::USGovDoD);
        assert_eq!(
            "Mars".parse::<Cloud>().unwrap_err().code(),
            ErrorCode::UnknownCloud
        );
    }

    #[test]
    fn overrides_are_normalised_and_must_be_https() {
        let c = base()
            .authority_host("https://127.0.0.1:8443/")
            .graph_endpoint("https://127.0.0.1:8443/v1.0/")
            .build()
            .unwrap();
        assert_eq!(c.authority_host(), "https://127.0.0.1:8443");
        assert_eq!(c.graph_endpoint(), "https://127.0.0.1:8443");
        assert_eq!(
            c.token_url(),
            "https://127.0.0.1:8443/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        let e = base()
            .graph_endpoint("http://graph.microsoft.com")
            .build()
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
        assert!(e.message().contains("https://"));
    }

    #[test]
    fn json_reads_every_key_and_rejects_unknown_ones() {
        let c = ClientConfig::from_json(
            r#"{"tenantId":"t1","clientId":"c1","clientSecret":"s","cloud":"China",
                "caCertificatePath":"/tmp/ca.pem","proxy":"http://proxy:3128",
                "timeoutSeconds":5,"connectTimeoutSeconds":2.5}"#,
        )
        .unwrap();
        assert_eq!(c.cloud(), Cloud::China);
        assert_eq!(c.timeout(), Duration::from_secs(5));
        assert_eq!(c.connect_timeout(), Duration::from_millis(2500));
        assert!(matches!(c.proxy, ProxySetting::Url(_)));
        let e = ClientConfig::from_json(
            r#"{"tenantId":"t","clientId":"c","clientSecret":"s","tennantId":"x"}"#,
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
        assert_eq!(e.field(), Some("tennantId"));
    }

    #[test]
    fn empty_secret_is_a_missing_setting() {
        let e = ClientConfig::from_json(r#"{"tenantId":"t","clientId":"c","clientSecret":"  "}"#)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::MissingSetting);
        assert_eq!(e.field(), Some("clientSecret"));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = ClientConfig::from_json(
            r#"{"tenantId":"t","clientId":"c","clientSecret":"TOPSECRET-123","proxy":"http://u:PROXYPASS@p:1"}"#,
        )
        .unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("TOPSECRET-123"), "{dbg}");
        assert!(!dbg.contains("PROXYPASS"), "{dbg}");
    }

    #[test]
    fn use_environment_fills_only_missing_keys() {
        let env: HashMap<&str, &str> = [
            ("AZURE_TENANT_ID", "env-tenant"),
            ("AZURE_CLIENT_ID", "env-client"),
            ("AZURE_CLIENT_SECRET", "env-secret"),
            ("GRAPHMAIL_GRAPH_ENDPOINT", "https://emulator.local:8443"),
            ("GRAPHMAIL_TIMEOUT_SECONDS", "7"),
        ]
        .into_iter()
        .collect();
        let lookup = |k: &str| env.get(k).map(|v| v.to_string());
        let c = ClientConfig::from_json_with_lookup(
            r#"{"useEnvironment": true, "clientId": "explicit-client", "clientSecret": "explicit"}"#,
            lookup,
        )
        .unwrap();
        assert_eq!(c.tenant_id(), "env-tenant");
        assert_eq!(c.client_id(), "explicit-client");
        assert!(
            matches!(&c.credential, CredentialSource::ClientSecret(s) if s.expose() == "explicit")
        );
        assert_eq!(c.graph_endpoint(), "https://emulator.local:8443");
        assert_eq!(c.timeout(), Duration::from_secs(7));
        // Without useEnvironment, the JSON stands alone.
        let e = ClientConfig::from_json_with_lookup(
            r#"{"clientId": "c", "clientSecret": "s"}"#,
            lookup,
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::MissingSetting);
        assert_eq!(e.field(), Some("tenantId"));
        let e = ClientConfig::from_json_with_lookup(r#"{"useEnvironment": "yes"}"#, lookup)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
    }

    #[test]
    fn exactly_one_credential_and_environment_precedence() {
        let e = ClientConfig::from_json(
            r#"{"tenantId":"t","clientId":"c","clientSecret":"s","certificatePath":"/c.pem"}"#,
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig);
        assert!(e.message().contains("only one credential"), "{e}");
        let c = ClientConfig::from_json(
            r#"{"tenantId":"t","clientId":"c","certificatePath":"/c.pfx","certificatePassword":"pw","sendCertificateChain":true,"certificateAlgorithm":"rs256"}"#,
        )
        .unwrap();
        assert!(matches!(
            &c.credential,
            CredentialSource::Certificate {
                send_chain: true,
                algorithm: crate::auth::signing::AssertionAlgorithm::Rs256,
                password: Some(_),
                ..
            }
        ));
        let c = ClientConfig::from_json(r#"{"accessToken":"tok"}"#).unwrap();
        assert!(matches!(c.credential, CredentialSource::AccessToken(_)));
        assert!(!format!("{c:?}").contains("tok\""));
        let c = ClientConfig::from_json(r#"{"managedIdentity":true}"#).unwrap();
        assert!(matches!(
            c.credential,
            CredentialSource::ManagedIdentity(
                crate::auth::managed_identity::ManagedIdentityId::SystemAssigned
            )
        ));
        let c = ClientConfig::from_json(r#"{"managedIdentity":{"clientId":"mi-1"}}"#).unwrap();
        assert!(
            matches!(&c.credential, CredentialSource::ManagedIdentity(crate::auth::managed_identity::ManagedIdentityId::ClientId(id)) if id == "mi-1")
        );
        for bad in [
            r#"{"managedIdentity":false}"#,
            r#"{"managedIdentity":{"name":"x"}}"#,
            r#"{"managedIdentity":{"clientId":"a","objectId":"b"}}"#,
        ] {
            assert_eq!(
                ClientConfig::from_json(bad).unwrap_err().code(),
                ErrorCode::InvalidConfig,
                "{bad}"
            );
        }
        let c = ClientConfig::from_json(r#"{"tenantId":"t","clientId":"c","deviceCode":true,"scopes":["Mail.Send","offline_access"],"tokenCachePath":"/tmp/x.json"}"#).unwrap();
        assert!(
            matches!(&c.credential, CredentialSource::DeviceCode { scopes, cache_path: Some(_), prompt_to_stderr: true } if scopes == "Mail.Send offline_access")
        );
        let c = ClientConfig::from_json(
            r#"{"tenantId":"t","clientId":"c","deviceCode":true,"cloud":"USGov"}"#,
        )
        .unwrap();
        assert!(
            matches!(&c.credential, CredentialSource::DeviceCode { scopes, .. } if scopes == "https://graph.microsoft.us/Mail.Send offline_access")
        );
        // Secret before certificate before federated token file.
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let base = [("AZURE_TENANT_ID", "t"), ("AZURE_CLIENT_ID", "c")];
        let all: &'static [(&str, &str)] = Box::leak(Box::new([
            base[0],
            base[1],
            ("AZURE_CLIENT_SECRET", "s"),
            ("AZURE_CLIENT_CERTIFICATE_PATH", "/c.pem"),
            ("AZURE_FEDERATED_TOKEN_FILE", "/token"),
        ]));
        assert!(matches!(
            ClientConfig::from_lookup(env(all)).unwrap().credential,
            CredentialSource::ClientSecret(_)
        ));
        let cert_and_file: &'static [(&str, &str)] = Box::leak(Box::new([
            base[0],
            base[1],
            ("AZURE_CLIENT_CERTIFICATE_PATH", "/c.pem"),
            ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "pw"),
            ("AZURE_FEDERATED_TOKEN_FILE", "/token"),
        ]));
        assert!(matches!(
            ClientConfig::from_lookup(env(cert_and_file))
                .unwrap()
                .credential,
            CredentialSource::Certificate {
                password: Some(_),
                ..
            }
        ));
        let file_only: &'static [(&str, &str)] = Box::leak(Box::new([
            base[0],
            base[1],
            ("AZURE_FEDERATED_TOKEN_FILE", "/token"),
        ]));
        assert!(matches!(
            ClientConfig::from_lookup(env(file_only))
                .unwrap()
                .credential,
            CredentialSource::ClientAssertionFile(_)
        ));
        // useEnvironment never mixes a JSON credential with an environment one.
        let c = ClientConfig::from_json_with_lookup(
            r#"{"useEnvironment":true,"clientAssertion":"jwt"}"#,
            env(all),
        )
        .unwrap();
        assert!(matches!(c.credential, CredentialSource::ClientAssertion(_)));
    }

    #[test]
    fn environment_is_read_like_azure_identity() {
        let vars: HashMap<&str, &str> = [
            ("AZURE_TENANT_ID", "tid"),
            ("AZURE_CLIENT_ID", "cid"),
            ("AZURE_CLIENT_SECRET", "sec"),
            ("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/"),
            ("GRAPHMAIL_GRAPH_ENDPOINT", "https://graph.microsoft.us"),
            ("GRAPHMAIL_CA_FILE", "/etc/ca.pem"),
        ]
        .into_iter()
        .collect();
        let c = ClientConfig::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(c.tenant_id(), "tid");
        assert_eq!(c.authority_host(), "https://login.microsoftonline.us");
        assert_eq!(c.graph_endpoint(), "https://graph.microsoft.us");
        assert_eq!(
            c.ca_certificate_path().unwrap().to_str(),
            Some("/etc/ca.pem")
        );
        // Nothing set: the chain's last link, managed identity, with the environment's reason.
        let c = ClientConfig::from_lookup(|_| None).unwrap();
        assert!(
            matches!(&c.credential, CredentialSource::Default { managed_identity, environment }
                if *managed_identity == crate::auth::managed_identity::ManagedIdentityId::SystemAssigned
                    && environment.contains("AZURE_CLIENT_SECRET")),
            "{c:?}"
        );
        // A secret without a tenant is not a usable environment credential either.
        let only_secret = |k: &str| (k == "AZURE_CLIENT_SECRET").then(|| "sec".to_string());
        let c = ClientConfig::from_lookup(only_secret).unwrap();
        assert!(
            matches!(&c.credential, CredentialSource::Default { environment, .. }
                if environment.contains("AZURE_TENANT_ID is not")),
            "{c:?}"
        );
        // AZURE_CLIENT_ID alone names a user-assigned managed identity.
        let only_id = |k: &str| (k == "AZURE_CLIENT_ID").then(|| "mi-client".to_string());
        let c = ClientConfig::from_lookup(only_id).unwrap();
        assert!(
            matches!(&c.credential, CredentialSource::Default { managed_identity: crate::auth::managed_identity::ManagedIdentityId::ClientId(id), .. } if id == "mi-client"),
            "{c:?}"
        );
        // JSON with only the ids and connection settings takes the environment's secret.
        let c = ClientConfig::from_json_with_lookup(
            r#"{"tenantId": "json-tenant", "clientId": "json-client"}"#,
            |k| vars.get(k).map(|v| v.to_string()),
        )
        .unwrap();
        assert_eq!(
            (c.tenant_id(), c.client_id()),
            ("json-tenant", "json-client")
        );
        assert!(matches!(c.credential, CredentialSource::ClientSecret(_)));
        // ... but not the environment's endpoints (only `useEnvironment` reads those).
        assert_eq!(c.graph_endpoint(), "https://graph.microsoft.com");
    }
}
