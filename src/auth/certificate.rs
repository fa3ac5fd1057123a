//! [`CertificateCredential`]: the client-credentials grant with a certificate: a client
//! assertion signed with the certificate's private key, sent as `client_assertion`.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::auth::signing::{AssertionAlgorithm, SigningCertificate};
use crate::auth::token_endpoint::{post_token_request, TokenContext};
use crate::auth::{AccessToken, BoxFuture, Credential, TokenRequest};
use crate::error::Result;

/// The `client_assertion_type` for a JWT assertion.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// App-only authentication with a certificate (PEM or PFX).
#[derive(Debug)]
pub struct CertificateCredential {
    token_url: String,
    tenant_id: String,
    client_id: String,
    certificate: Arc<SigningCertificate>,
    algorithm: AssertionAlgorithm,
    send_chain: bool,
}

impl CertificateCredential {
    /// A credential signing assertions for `token_url` with `certificate`.
    pub fn new(
        token_url: impl Into<String>,
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        certificate: Arc<SigningCertificate>,
        algorithm: AssertionAlgorithm,
        send_chain: bool,
    ) -> Self {
        CertificateCredential {
            token_url: token_url.into(),
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            certificate,
            algorithm,
            send_chain,
        }
    }
}

/// The form of a client-credentials request that authenticates with an assertion.
pub(crate) fn assertion_form(client_id: &str, scope: &str, assertion: &str) -> Zeroizing<String> {
    Zeroizing::new(
        form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", client_id)
            .append_pair("scope", scope)
            .append_pair("client_assertion_type", JWT_BEARER)
            .append_pair("client_assertion", assertion)
            .finish(),
    )
}

impl Credential for CertificateCredential {
    fn fetch_token<'a>(&'a self, request: TokenRequest<'a>) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(async move {
            // On a blocking thread: an external signer (a caller's callback) may take a while.
            let (certificate, client_id, audience) = (
                Arc::clone(&self.certificate),
                self.client_id.clone(),
                self.token_url.clone(),
            );
            let (algorithm, send_chain) = (self.algorithm, self.send_chain);
            let assertion = tokio::task::spawn_blocking(move || {
                certificate.sign_assertion(&client_id, &audience, algorithm, send_chain)
            })
            .await
            .map_err(|_| {
                crate::error::Error::new(
                    crate::error::ErrorCode::SignerFailed,
                    "The certificate signer stopped unexpectedly while signing the client assertion.",
                )
            })??;
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
