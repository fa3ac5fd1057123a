//! [`ClientAssertionCredential`]: the client-credentials grant with an assertion made
//! elsewhere: a pre-signed JWT (e.g. by the PowerShell module with a key in the Windows
//! certificate store), or a federated token file (workload identity; re-read when older than
//! 10 minutes, as the Azure identity libraries do).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::auth::certificate::assertion_form;
use crate::auth::token_endpoint::{post_token_request, TokenContext};
use crate::auth::{AccessToken, BoxFuture, Credential, TokenRequest};
use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;

/// A federated token file is read again when the copy in memory is older than this.
pub const ASSERTION_FILE_MAX_AGE: Duration = Duration::from_secs(600);

/// Where the assertion comes from.
#[derive(Debug)]
pub enum AssertionSource {
    /// A fixed assertion.
    Value(Secret),
    /// A file holding the assertion (e.g. `AZURE_FEDERATED_TOKEN_FILE`).
    File(PathBuf),
}

/// App-only authentication with an externally made assertion.
#[derive(Debug)]
pub struct ClientAssertionCredential {
    token_url: String,
    tenant_id: String,
    client_id: String,
    source: AssertionSource,
    cached: Mutex<Option<(Secret, Instant)>>,
}

impl ClientAssertionCredential {
    /// A credential presenting the assertion from `source`.
    pub fn new(
        token_url: impl Into<String>,
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        source: AssertionSource,
    ) -> Self {
        ClientAssertionCredential {
            token_url: token_url.into(),
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            source,
            cached: Mutex::new(None),
        }
    }

    async fn assertion(&self) -> Result<Secret> {
        let path = match &self.source {
            AssertionSource::Value(v) => return Ok(v.clone()),
            AssertionSource::File(path) => path,
        };
        let mut cached = self.cached.lock().await;
        if let Some((value, read_at)) = cached.as_ref() {
            if read_at.elapsed() < ASSERTION_FILE_MAX_AGE {
                return Ok(value.clone());
            }
        }
        let text = tokio::fs::read_to_string(path).await.map_err(|e| {
            Error::new(
                ErrorCode::FileUnreadable,
                format!("The assertion file '{}' (clientAssertionFile / AZURE_FEDERATED_TOKEN_FILE) cannot be read: {}.", path.display(), crate::message::io_reason(&e)),
            )
            .with_field("clientAssertionFile")
        })?;
        let value = Secret::new(text.trim().to_string());
        drop(text);
        if value.is_blank() {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                format!("The assertion file '{}' is empty.", path.display()),
            )
            .with_field("clientAssertionFile"));
        }
        *cached = Some((value.clone(), Instant::now()));
        Ok(value)
    }
}

impl Credential for ClientAssertionCredential {
    fn fetch_token<'a>(&'a self, request: TokenRequest<'a>) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(async move {
            let assertion = self.assertion().await?;
            let form = assertion_form(&self.client_id, request.scope, assertion.expose());
            let ctx = TokenContext {
                token_url: &self.token_url,
                tenant_id: &self.tenant_id,
                client_id: &self.client_id,
            };
            post_token_request(request.http, &ctx, form).await
        })
    }
}
