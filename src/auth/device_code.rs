//! [`DeviceCodeCredential`]: delegated sign-in for sending as the signed-in user
//! (`/me/sendMail`). The first token comes from the device code flow (the user opens a page and
//! types a code; the instructions go to standard error); with `offline_access` a refresh token
//! renews it silently afterwards, kept in memory and, when a cache file is configured, in a file
//! only the user can read.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::Mutex;
use zeroize::Zeroizing;

use crate::auth::token_endpoint::{post_token_request_with_refresh, TokenContext};
use crate::auth::{AccessToken, BoxFuture, Credential, TokenRequest};
use crate::error::{Error, ErrorCode, Result};
use crate::http::{classify, host_of};
use crate::secret::Secret;

/// The device code grant type.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A device-code sign-in waiting for the user: what to show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInPrompt {
    /// The identity platform's instructions, ready to show (page and code).
    pub message: String,
    /// The code the user types.
    pub user_code: String,
    /// The page where the user types it.
    pub verification_uri: String,
    /// When the code expires.
    pub expires_on: std::time::SystemTime,
}

impl SignInPrompt {
    /// `{"message", "userCode", "verificationUri", "expiresOn"}` (RFC 3339, UTC), as the C ABI's
    /// progress JSON carries it under `signIn`.
    pub fn to_json(&self) -> Value {
        json!({
            "message": self.message,
            "userCode": self.user_code,
            "verificationUri": self.verification_uri,
            "expiresOn": crate::auth::rfc3339(self.expires_on),
        })
    }
}

/// Where a credential publishes the sign-in prompt while it waits, for the client's operations
/// to show ([`crate::Client::pending_sign_in`]).
pub type SignInSlot = std::sync::Arc<std::sync::Mutex<Option<SignInPrompt>>>;

/// Delegated authentication with the device code flow and refresh tokens.
#[derive(Debug)]
pub struct DeviceCodeCredential {
    prompt: SignInSlot,
    prompt_to_stderr: bool,
    authority: String,
    tenant_id: String,
    client_id: String,
    scopes: String,
    cache_path: Option<PathBuf>,
    refresh_token: Mutex<Option<Secret>>,
}

impl DeviceCodeCredential {
    /// A credential for the public client `client_id` asking for `scopes` (space-separated).
    pub fn new(
        authority: impl Into<String>,
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        scopes: impl Into<String>,
        cache_path: Option<PathBuf>,
    ) -> Self {
        DeviceCodeCredential {
            prompt: SignInSlot::default(),
            prompt_to_stderr: true,
            authority: authority.into(),
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            scopes: scopes.into(),
            cache_path,
            refresh_token: Mutex::new(None),
        }
    }

    /// Publishes the sign-in prompt in `slot` while a sign-in waits, and writes its message to
    /// standard error only when `to_stderr`.
    pub fn with_prompt(mut self, slot: SignInSlot, to_stderr: bool) -> Self {
        self.prompt = slot;
        self.prompt_to_stderr = to_stderr;
        self
    }

    fn set_prompt(&self, prompt: Option<SignInPrompt>) {
        if let Ok(mut slot) = self.prompt.lock() {
            *slot = prompt;
        }
    }

    fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.authority, self.tenant_id)
    }

    fn ctx<'a>(&'a self, url: &'a str) -> TokenContext<'a> {
        TokenContext {
            token_url: url,
            tenant_id: &self.tenant_id,
            client_id: &self.client_id,
        }
    }

    /// The refresh token from memory, else from the cache file (if it belongs to this app).
    fn cached_refresh_token(&self, memory: &Option<Secret>) -> Option<Secret> {
        if let Some(t) = memory {
            return Some(t.clone());
        }
        let text = Zeroizing::new(std::fs::read_to_string(self.cache_path.as_ref()?).ok()?);
        let v: Value = serde_json::from_str(&text).ok()?;
        (v.get("clientId")?.as_str()? == self.client_id
            && v.get("tenantId")?.as_str()? == self.tenant_id)
            .then(|| {
                v.get("refreshToken")?
                    .as_str()
                    .map(|s| Secret::new(s.to_string()))
            })
            .flatten()
    }

    /// Keeps the newest refresh token in memory and in the cache file (mode 0600).
    fn store(&self, memory: &mut Option<Secret>, token: Option<Secret>) -> Result<()> {
        let Some(token) = token else { return Ok(()) };
        if let Some(path) = &self.cache_path {
            let text = Zeroizing::new(
                json!({"clientId": self.client_id, "tenantId": self.tenant_id, "refreshToken": token.expose()}).to_string(),
            );
            write_private(path, text.as_bytes()).map_err(|e| {
                Error::new(
                    ErrorCode::FileUnreadable,
                    format!(
                        "The token cache '{}' (tokenCachePath) cannot be written: {e}.",
                        path.display()
                    ),
                )
                .with_field("tokenCachePath")
            })?;
        }
        *memory = Some(token);
        Ok(())
    }

    async fn device_code_flow(
        &self,
        http: &reqwest::Client,
    ) -> Result<(AccessToken, Option<Secret>)> {
        let url = format!(
            "{}/{}/oauth2/v2.0/devicecode",
            self.authority, self.tenant_id
        );
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.client_id)
            .append_pair("scope", &self.scopes)
            .finish();
        let host = host_of(&url);
        let response = http
            .post(&url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form)
            .send()
            .await
            .map_err(|e| classify(e, "The device code request", &host))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| classify(e, "Reading the device code", &host))?;
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let (Some(device_code), Some(message)) = (v["device_code"].as_str(), v["message"].as_str())
        else {
            return Err(Error::new(
                ErrorCode::AuthenticationFailed,
                format!(
                    "The identity platform refused to start a device code sign-in for application '{}' (HTTP {status}: {}). Check that the app allows public client flows and the scopes.",
                    self.client_id,
                    v["error_description"].as_str().unwrap_or("no details").lines().next().unwrap_or_default()
                ),
            )
            .with_http_status(status));
        };
        if self.prompt_to_stderr {
            eprintln!("{message}");
        }
        let interval = Duration::from_secs(v["interval"].as_u64().unwrap_or(5));
        let lifetime = Duration::from_secs(v["expires_in"].as_u64().unwrap_or(900));
        let deadline = Instant::now() + lifetime;
        self.set_prompt(Some(SignInPrompt {
            message: message.to_string(),
            user_code: v["user_code"].as_str().unwrap_or_default().to_string(),
            verification_uri: v["verification_uri"]
                .as_str()
                .or_else(|| v["verification_url"].as_str())
                .unwrap_or_default()
                .to_string(),
            expires_on: std::time::SystemTime::now() + lifetime,
        }));
        let result = self.poll(http, device_code, interval, deadline).await;
        self.set_prompt(None);
        result
    }

    /// Polls the token endpoint until the user signs in, declines, or the code expires.
    async fn poll(
        &self,
        http: &reqwest::Client,
        device_code: &str,
        mut interval: Duration,
        deadline: Instant,
    ) -> Result<(AccessToken, Option<Secret>)> {
        let token_url = self.token_url();
        loop {
            let form = Zeroizing::new(
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("grant_type", DEVICE_CODE_GRANT)
                    .append_pair("client_id", &self.client_id)
                    .append_pair("device_code", device_code)
                    .finish(),
            );
            match post_token_request_with_refresh(http, &self.ctx(&token_url), form).await {
                Ok(tokens) => return Ok(tokens),
                Err(e) => match e.graph_code() {
                    Some("authorization_pending") if Instant::now() < deadline => {}
                    Some("slow_down") if Instant::now() < deadline => interval += Duration::from_secs(5),
                    Some("authorization_pending") | Some("slow_down") | Some("expired_token") => {
                        return Err(Error::new(
                            ErrorCode::DeviceCodeExpired,
                            "The device code expired before anyone signed in. Run the command again and finish the sign-in within the time shown.",
                        ))
                    }
                    Some("authorization_declined") => {
                        return Err(Error::new(ErrorCode::DeviceCodeDeclined, "The sign-in was declined."))
                    }
                    _ => return Err(e),
                },
            }
            tokio::time::sleep(interval).await;
        }
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    // The file is created in the user's profile by convention; NTFS ACLs inherit from it.
    std::fs::write(path, bytes)
}

impl Credential for DeviceCodeCredential {
    fn fetch_token<'a>(&'a self, request: TokenRequest<'a>) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(async move {
            let mut memory = self.refresh_token.lock().await;
            if let Some(refresh) = self.cached_refresh_token(&memory) {
                let token_url = self.token_url();
                let form = Zeroizing::new(
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair("grant_type", "refresh_token")
                        .append_pair("client_id", &self.client_id)
                        .append_pair("scope", &self.scopes)
                        .append_pair("refresh_token", refresh.expose())
                        .finish(),
                );
                match post_token_request_with_refresh(request.http, &self.ctx(&token_url), form)
                    .await
                {
                    Ok((token, next)) => {
                        self.store(&mut memory, next)?;
                        return Ok(token);
                    }
                    // An expired or revoked refresh token: sign in again.
                    Err(e) if e.graph_code() == Some("invalid_grant") => *memory = None,
                    Err(e) => return Err(e),
                }
            }
            let (token, refresh) = self.device_code_flow(request.http).await?;
            self.store(&mut memory, refresh)?;
            Ok(token)
        })
    }
}
