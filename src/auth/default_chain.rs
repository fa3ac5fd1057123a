//! [`DefaultCredential`]: what a configuration without a credential uses, after the
//! environment (read when the configuration is built, as azure-identity's EnvironmentCredential
//! reads it) turned out to hold none: the managed identity of the Azure host, the last link of
//! azure-identity's DefaultAzureCredential chain.
//!
//! On a plain VM the instance metadata service (IMDS) is first probed once with a short
//! timeout, so a machine outside Azure fails in about a second rather than after the request
//! timeout. When nothing answers, one [`ErrorCode::CredentialUnavailable`] error says what each
//! source said.

use std::time::Duration;

use tokio::sync::OnceCell;

use crate::auth::managed_identity::{
    ManagedIdentityCredential, ManagedIdentityId, ManagedIdentitySource,
};
use crate::auth::{AccessToken, BoxFuture, Credential, TokenRequest};
use crate::error::{Error, ErrorCode, Result};
use crate::http::host_of;

/// How long the IMDS probe waits for any answer.
pub const IMDS_PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// The end of the default chain: managed identity, with the environment's reason kept for
/// the error.
#[derive(Debug)]
pub struct DefaultCredential {
    environment: String,
    managed_identity: std::result::Result<ManagedIdentityCredential, String>,
    probe: OnceCell<std::result::Result<(), String>>,
}

impl DefaultCredential {
    /// `environment`: why the environment gave no credential. `source`: the detected managed
    /// identity host (or why none could be used); `http`: a client that may reach it.
    pub fn new(
        environment: String,
        source: Result<ManagedIdentitySource>,
        id: ManagedIdentityId,
        http: impl FnOnce(&ManagedIdentitySource) -> Result<reqwest::Client>,
    ) -> Self {
        let managed_identity = source
            .and_then(|source| {
                let client = http(&source)?;
                Ok(ManagedIdentityCredential::new(source, id, client))
            })
            .map_err(|e| e.message().to_string());
        DefaultCredential {
            environment,
            managed_identity,
            probe: OnceCell::new(),
        }
    }

    fn unavailable(&self, managed_identity: &str) -> Error {
        Error::new(
            ErrorCode::CredentialUnavailable,
            format!(
                "No credential was configured and none could be found. Environment: {}. Managed identity: {}. Give a credential in the configuration (clientSecret, certificatePath, clientAssertionFile, managedIdentity, deviceCode, accessToken) or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH).",
                self.environment,
                managed_identity.trim_end_matches('.')
            ),
        )
    }
}

/// Asks IMDS anything (without the `Metadata` header): any HTTP answer means it is there.
async fn probe_imds(http: &reqwest::Client, endpoint: &str) -> std::result::Result<(), String> {
    match http
        .get(endpoint)
        .timeout(IMDS_PROBE_TIMEOUT)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "the instance metadata service at {} did not answer within {} s ({}); this does not look like an Azure VM",
            host_of(endpoint),
            IMDS_PROBE_TIMEOUT.as_secs(),
            if e.is_timeout() { "timed out".to_string() } else { e.without_url().to_string() }
        )),
    }
}

impl Credential for DefaultCredential {
    fn fetch_token<'a>(&'a self, request: TokenRequest<'a>) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(async move {
            let credential = match &self.managed_identity {
                Ok(c) => c,
                Err(why) => return Err(self.unavailable(why)),
            };
            if let ManagedIdentitySource::Imds { endpoint } = credential.source() {
                let probed = self
                    .probe
                    .get_or_init(|| probe_imds(credential.http(), endpoint))
                    .await;
                if let Err(why) = probed {
                    return Err(self.unavailable(why));
                }
            }
            credential.fetch_token(request).await.map_err(|e| {
                let status = e.http_status();
                let mut error = self.unavailable(e.message());
                if let Some(status) = status {
                    error = error.with_http_status(status);
                }
                error
            })
        })
    }
}
