//! [`ClientSecretCredential`]: the OAuth 2.0 client-credentials grant with a client secret.

use std::fmt;

use zeroize::Zeroizing;

use crate::auth::token_endpoint::{post_token_request, TokenContext};
use crate::auth::{AccessToken, BoxFuture, Credential, TokenRequest};
use crate::error::Result;
use crate::secret::Secret;

/// App-only authentication with an application (client) id and a client secret.
pub struct ClientSecretCredential {
    token_url: String,
    tenant_id: String,
    client_id: String,
    client_secret: Secret,
}

impl fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretCredential")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish()
    }
}

impl ClientSecretCredential {
    /// A credential that posts to `token_url` (`{authority}/{tenant}/oauth2/v2.0/token`).
    pub fn new(
        token_url: impl Into<String>,
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Secret,
    ) -> Self {
        ClientSecretCredential {
            token_url: token_url.into(),
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            client_secret,
        }
    }
}

impl Credential for ClientSecretCredential {
    fn fetch_token<'a>(&'a self, request: TokenRequest<'a>) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(async move {
            // The form holds the secret: build it in a buffer that is wiped when dropped.
            let form = Zeroizing::new(
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("grant_type", "client_credentials")
                    .append_pair("client_id", &self.client_id)
                    .append_pair("scope", request.scope)
                    .append_pair("client_secret", self.client_secret.expose())
                    .finish(),
            );
            let ctx = TokenContext {
                token_url: &self.token_url,
                tenant_id: &self.tenant_id,
                client_id: &self.client_id,
            };
            post_token_request(request.http, &ctx, form).await
        })
    }
}
