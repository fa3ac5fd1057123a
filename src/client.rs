//! [`Client`]: one configuration, one credential with its token cache, one HTTP client (and so
//! one HTTP/2 connection pool), shared by every send. Cheap to clone; `Send + Sync`.

use std::sync::Arc;

use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use zeroize::Zeroizing;

use crate::auth::cache::TokenCache;
use crate::auth::certificate::CertificateCredential;
use crate::auth::client_assertion::{AssertionSource, ClientAssertionCredential};
use crate::auth::client_secret::ClientSecretCredential;
use crate::auth::default_chain::DefaultCredential;
use crate::auth::device_code::{DeviceCodeCredential, SignInPrompt, SignInSlot};
use crate::auth::managed_identity::{ManagedIdentityCredential, ManagedIdentitySource};
use crate::auth::signing::{AssertionSigner, SigningCertificate};
use crate::auth::static_token::AccessTokenCredential;
use crate::auth::{AccessToken, Credential, TokenRequest};
use crate::config::{ClientConfig, CredentialSource};
use crate::error::{Error, ErrorCode, Result};
use crate::graph::draft::{send_via_draft, DraftTarget};
use crate::graph::send::{
    addresses, draft_message, draft_warnings, plan_send, prepare_send_mail, preview_send_mail,
    SendPath, SendReport, SentAttachment,
};
use crate::graph::{graph_error, GraphContext};
use crate::http::build_http_client;
use crate::message::{Message, ValidatedMessage};
use crate::message::{Warning, WarningLevel};
use crate::mime::{mime_to_message, PreparedMime};
use crate::progress::{SendControl, SendStep};
use crate::retry::{exchange_with_retry, Repeat};

/// A GraphMail client. Create one per configuration and reuse it: the token and the
/// connections are reused across sends.
///
/// ```no_run
/// # async fn run() -> graphmail::Result<()> {
/// use graphmail::{Client, ClientConfig, Message};
/// let client = Client::new(ClientConfig::from_env()?)?;
/// let report = client
///     .send_mail(&Message {
///         from: "alerts@contoso.com".into(),
///         to: vec!["Ops <ops@contoso.com>".into()],
///         subject: Some("Nightly job finished".into()),
///         body: Some("All good.".into()),
///         ..Message::default()
///     })
///     .await?;
/// println!("sent, request-id {:?}", report.request_id);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    http: reqwest::Client,
    credential: Box<dyn Credential>,
    tokens: TokenCache,
    sign_in: SignInSlot,
}

impl std::fmt::Debug for Inner {
    /// Shows the configuration (secrets redacted) and the credential; never the HTTP client,
    /// whose own `Debug` could show proxy credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Creates a client. Builds the TLS configuration (reading `caCertificatePath`) and the HTTP
    /// client; makes no request.
    pub fn new(config: ClientConfig) -> Result<Client> {
        Self::create(config, None)
    }

    /// Creates a client whose certificate key stays with the caller: the configuration's
    /// credential is a `signingCertificate` ([`CredentialSource::SigningCertificate`]) and
    /// `signer` signs each client assertion (for example with a non-exportable key of the
    /// Windows certificate store). Each signature is checked against the certificate before
    /// it is sent.
    pub fn new_with_signer(
        config: ClientConfig,
        signer: Arc<dyn AssertionSigner>,
    ) -> Result<Client> {
        if !matches!(
            config.credential,
            CredentialSource::SigningCertificate { .. }
        ) {
            return Err(Error::new(
                ErrorCode::MissingSetting,
                "A client with a signer needs 'signingCertificate' (the certificate's DER bytes in base64) as its credential, and no other credential.",
            )
            .with_field("signingCertificate"));
        }
        Self::create(config, Some(signer))
    }

    fn create(config: ClientConfig, signer: Option<Arc<dyn AssertionSigner>>) -> Result<Client> {
        let http = build_http_client(&config)?;
        let sign_in = SignInSlot::default();
        let credential = credential_for(&config, signer, &sign_in)?;
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                http,
                credential,
                tokens: TokenCache::new(),
                sign_in,
            }),
        })
    }

    /// The device-code sign-in waiting for the user, if one is (what to show them).
    pub fn pending_sign_in(&self) -> Option<SignInPrompt> {
        self.inner.sign_in.lock().ok().and_then(|p| p.clone())
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Returns a token for Graph, from the cache while it has more than 5 minutes left.
    pub async fn acquire_token(&self) -> Result<AccessToken> {
        let request = TokenRequest {
            http: &self.inner.http,
            scope: &self.inner.config.scope,
        };
        self.inner
            .tokens
            .get(self.inner.credential.as_ref(), request)
            .await
    }

    /// Validates `message`, then sends it with `POST /users/{from}/sendMail`. Invalid input is
    /// reported before any request is made (no token is fetched either).
    pub async fn send_mail(&self, message: &Message) -> Result<SendReport> {
        let validated = message.validate()?;
        self.send_validated(validated).await
    }

    /// Sends a message that already passed [`Message::validate`].
    pub async fn send_validated(&self, msg: ValidatedMessage) -> Result<SendReport> {
        self.send_validated_with(msg, &SendControl::new()).await
    }

    /// Sends a validated message, reporting progress to (and obeying a cancel from) `control`.
    /// Messages whose attachments fit one request go through `sendMail`; others through a
    /// draft and upload sessions. What no path can send is refused before any request.
    pub async fn send_validated_with(
        &self,
        msg: ValidatedMessage,
        control: &SendControl,
    ) -> Result<SendReport> {
        if let Some(timeout) = self.inner.config.send_timeout {
            control.set_timeout(timeout);
        }
        let result = self.send_inner(msg, control).await;
        control.set_step(SendStep::Done);
        result
    }

    async fn send_inner(&self, msg: ValidatedMessage, control: &SendControl) -> Result<SendReport> {
        control.set_step(SendStep::Preparing);
        let config = &self.inner.config;
        let path = plan_send(&msg, config.max_message_bytes)?;
        control.set_total(msg.attachments.iter().map(|a| a.size).sum());
        control.check()?;
        match path {
            SendPath::SendMail => self.send_direct(msg, control).await,
            SendPath::Draft => {
                control.set_step(SendStep::Authenticating);
                let mut token = control.run(self.acquire_token()).await?;
                let user_base = self.user_base(&msg.from);
                let mut refreshed = false;
                let target = DraftTarget {
                    http: &self.inner.http,
                    user_base: &user_base,
                    client_id: &config.client_id,
                    retry: config.retry,
                };
                let outcome = loop {
                    let result =
                        send_via_draft(&target, &token, &msg, draft_message(&msg), control).await;
                    match result {
                        // Refused before anything was created: a new token, once.
                        Err(e)
                            if !refreshed
                                && e.code() == ErrorCode::InvalidAuthenticationToken
                                && e.step() == Some("createDraft") =>
                        {
                            refreshed = true;
                            token = control.run(self.refresh_token(&token)).await?;
                        }
                        other => break other?,
                    }
                };
                let mut warnings = msg.warnings.clone();
                warnings.extend(draft_warnings(&msg));
                if outcome.verified_after_lost_answer {
                    warnings.push(Warning {
                        code: "SendConfirmedAfterLostAnswer",
                        level: WarningLevel::Warning,
                        message: "The answer to the send request was lost; Graph shows the draft was sent, so it was not sent again.".to_string(),
                    });
                }
                Ok(report(
                    &msg,
                    SendPath::Draft,
                    202,
                    outcome.request_id,
                    outcome.client_request_id,
                    outcome.attachments,
                    0,
                    warnings,
                ))
            }
        }
    }

    async fn send_direct(
        &self,
        msg: ValidatedMessage,
        control: &SendControl,
    ) -> Result<SendReport> {
        let prepared = if msg.attachments.is_empty() {
            // Nothing to read from disk: no need for a blocking thread.
            prepare_send_mail(&msg)?
        } else {
            let msg = msg.clone();
            tokio::task::spawn_blocking(move || prepare_send_mail(&msg))
                .await
                .map_err(|_| {
                    Error::new(
                        ErrorCode::Internal,
                        "Preparing the message failed unexpectedly.",
                    )
                })??
        };
        control.set_step(SendStep::Authenticating);
        let token = control.run(self.acquire_token()).await?;
        let config = &self.inner.config;
        let url = format!("{}/sendMail", self.user_base(&msg.from));
        let request_bytes = prepared.body.len();
        let (answer, client_request_id) = self
            .post_send_mail(
                &url,
                &token,
                "application/json",
                prepared.body,
                control,
                &msg.from.address,
            )
            .await?;
        let request_id = crate::graph::request_id_header(&answer.headers);
        if answer.status == 202 {
            control.add_sent(prepared.attachments.iter().map(|a| a.size).sum());
            let warnings = msg.warnings.clone();
            return Ok(report(
                &msg,
                SendPath::SendMail,
                202,
                request_id,
                client_request_id,
                prepared.attachments,
                request_bytes,
                warnings,
            ));
        }
        if (200..300).contains(&answer.status) {
            let status = answer.status;
            return Err(Error::new(
                ErrorCode::UnexpectedResponse,
                format!("Graph answered HTTP {status} instead of 202 Accepted, so it is not certain the message was accepted. Check the sender's Sent Items before sending again."),
            )
            .with_http_status(status)
            .with_request_id(request_id));
        }
        Err(graph_error(
            answer.status,
            &answer.headers,
            &answer.body,
            &GraphContext {
                mailbox: &msg.from.address,
                client_id: &config.client_id,
            },
        ))
    }

    /// Sends a prepared RFC 5322 message ([`crate::mime::prepare_mime`]). One that fits Graph's
    /// 4 MB request limit goes as is through sendMail's MIME mode (`"path": "sendMailMime"`);
    /// a larger one is parsed and sent through the draft path, keeping its body, `x-` headers
    /// and attachments (staged in a temporary folder that is removed afterwards).
    pub async fn send_mime(
        &self,
        prepared: PreparedMime,
        control: &SendControl,
    ) -> Result<SendReport> {
        control.set_step(SendStep::Preparing);
        if let Some(timeout) = self.inner.config.send_timeout {
            control.set_timeout(timeout);
        }
        if !prepared.fits_one_request() {
            let staging = tempfile::tempdir().map_err(|e| {
                Error::new(
                    ErrorCode::FileUnreadable,
                    format!("Could not create a staging folder for the attachments: {e}."),
                )
            })?;
            let (message, extra) = mime_to_message(&prepared, staging.path())?;
            let validated = message.validate()?;
            let mut report = self.send_validated_with(validated, control).await?;
            report.warnings.extend(extra);
            return Ok(report);
        }
        control.set_total(prepared.raw.len() as u64);
        control.set_step(SendStep::Authenticating);
        let token = control.run(self.acquire_token()).await;
        let result = async {
            let token = token?;
            let config = &self.inner.config;
            let url = format!("{}/sendMail", self.user_base(&prepared.mailbox));
            let body = prepared.base64_body();
            let request_bytes = body.len();
            let (answer, client_request_id) = self
                .post_send_mail(
                    &url,
                    &token,
                    "text/plain",
                    body,
                    control,
                    &prepared.mailbox.address,
                )
                .await?;
            if answer.status != 202 {
                return Err(graph_error(
                    answer.status,
                    &answer.headers,
                    &answer.body,
                    &GraphContext {
                        mailbox: &prepared.mailbox.address,
                        client_id: &config.client_id,
                    },
                ));
            }
            control.add_sent(prepared.raw.len() as u64);
            Ok(SendReport {
                path: "sendMailMime",
                http_status: 202,
                request_id: crate::graph::request_id_header(&answer.headers),
                client_request_id,
                from: prepared.mailbox.address.clone(),
                to: prepared.recipients.clone(),
                cc: Vec::new(),
                bcc: Vec::new(),
                subject: prepared.subject.clone(),
                attachments: Vec::new(),
                save_to_sent_items: true,
                request_bytes,
                warnings: Vec::new(),
            })
        }
        .await;
        control.set_step(SendStep::Done);
        result
    }

    /// Posts one sendMail request (JSON or MIME) under the retry policy and returns the answer
    /// and the `client-request-id` it carried. A 401 gets a new token and one more try. A
    /// request that went out without an answer is not repeated: [`ErrorCode::OutcomeUnknown`].
    async fn post_send_mail(
        &self,
        url: &str,
        token: &AccessToken,
        content_type: &'static str,
        body: Vec<u8>,
        control: &SendControl,
        mailbox: &str,
    ) -> Result<(crate::graph::request::Answer, String)> {
        let client_request_id = uuid::Uuid::new_v4().to_string();
        control.set_step(SendStep::Sending);
        let body = bytes::Bytes::from(body);
        let mut token = token.clone();
        let mut refreshed = false;
        loop {
            let authorization = bearer(&token)?;
            let build = || {
                Ok(self
                    .inner
                    .http
                    .post(url)
                    .header(AUTHORIZATION, authorization.clone())
                    .header(CONTENT_TYPE, content_type)
                    .header("client-request-id", &client_request_id)
                    .header("return-client-request-id", "true")
                    .body(body.clone()))
            };
            let result = exchange_with_retry(
                &build,
                url,
                "The sendMail request",
                control,
                &self.inner.config.retry,
                Repeat::Unsafe,
            )
            .await;
            match result {
                Ok(answer) if answer.status == 401 && !refreshed => {
                    // Not processed: get a new token (once) and try again.
                    refreshed = true;
                    token = control.run(self.refresh_token(&token)).await?;
                }
                Ok(answer) => return Ok((answer, client_request_id)),
                Err(f) if f.ambiguous => {
                    return Err(outcome_unknown(f.error, mailbox, &client_request_id))
                }
                Err(f) => return Err(f.error),
            }
        }
    }

    /// Drops `rejected` from the cache and fetches a new token.
    async fn refresh_token(&self, rejected: &AccessToken) -> Result<AccessToken> {
        self.inner.tokens.invalidate(rejected).await;
        self.acquire_token().await
    }

    /// `{graph}/v1.0/me` for a delegated credential (the signed-in user's mailbox), else
    /// `{graph}/v1.0/users/{from}`.
    fn user_base(&self, from: &crate::Mailbox) -> String {
        let graph = &self.inner.config.graph_endpoint;
        if matches!(
            self.inner.config.credential,
            CredentialSource::DeviceCode { .. }
        ) {
            format!("{graph}/v1.0/me")
        } else {
            format!(
                "{graph}/v1.0/users/{}",
                crate::graph::send::path_segment(&from.address)
            )
        }
    }

    /// Blocking [`Client::send_mime`].
    pub fn send_mime_blocking(&self, prepared: PreparedMime) -> Result<SendReport> {
        let client = self.clone();
        crate::runtime::block_on(
            async move { client.send_mime(prepared, &SendControl::new()).await },
        )
    }

    /// What [`Client::send_mail`] would send (method, URL, JSON body, warnings), without
    /// sending anything or fetching a token: PowerShell's `-WhatIf`.
    pub fn preview_send_mail(&self, message: &Message) -> Result<serde_json::Value> {
        let config = &self.inner.config;
        preview_send_mail(
            &message.validate()?,
            &config.graph_endpoint,
            config.max_message_bytes,
        )
    }

    /// Blocking [`Client::send_mail`], run on the shared runtime (what the C ABI and CLI use).
    pub fn send_mail_blocking(&self, message: &Message) -> Result<SendReport> {
        let validated = message.validate()?;
        let client = self.clone();
        crate::runtime::block_on(async move { client.send_validated(validated).await })
    }

    /// Blocking [`Client::acquire_token`].
    pub fn acquire_token_blocking(&self) -> Result<AccessToken> {
        let client = self.clone();
        crate::runtime::block_on(async move { client.acquire_token().await })
    }
}

/// The credential a configuration asks for. A certificate is loaded here, so a bad file is
/// reported when the client is created.
fn credential_for(
    config: &ClientConfig,
    signer: Option<Arc<dyn AssertionSigner>>,
    sign_in: &SignInSlot,
) -> Result<Box<dyn Credential>> {
    let (url, tenant, client) = (
        config.token_url(),
        config.tenant_id.clone(),
        config.client_id.clone(),
    );
    Ok(match &config.credential {
        CredentialSource::ClientSecret(secret) => Box::new(ClientSecretCredential::new(
            url,
            tenant,
            client,
            secret.clone(),
        )),
        CredentialSource::Certificate {
            path,
            password,
            send_chain,
            algorithm,
        } => {
            let certificate = SigningCertificate::from_file(path, password.as_ref())?;
            Box::new(CertificateCredential::new(
                url,
                tenant,
                client,
                Arc::new(certificate),
                *algorithm,
                *send_chain,
            ))
        }
        CredentialSource::ClientAssertion(assertion) => Box::new(ClientAssertionCredential::new(
            url,
            tenant,
            client,
            AssertionSource::Value(assertion.clone()),
        )),
        CredentialSource::ClientAssertionFile(path) => Box::new(ClientAssertionCredential::new(
            url,
            tenant,
            client,
            AssertionSource::File(path.clone()),
        )),
        CredentialSource::AccessToken(token) => Box::new(AccessTokenCredential::new(token.clone())),
        CredentialSource::DeviceCode {
            scopes,
            cache_path,
            prompt_to_stderr,
        } => Box::new(
            DeviceCodeCredential::new(
                config.authority_host.clone(),
                tenant,
                client,
                scopes.clone(),
                cache_path.clone(),
            )
            .with_prompt(Arc::clone(sign_in), *prompt_to_stderr),
        ),
        CredentialSource::SigningCertificate {
            certificates,
            send_chain,
            algorithm,
        } => {
            let signer = signer.ok_or_else(|| {
                Error::new(
                    ErrorCode::InvalidConfig,
                    "'signingCertificate' needs a signer that holds the private key: create the client with graph_client_new_with_signer (Client::new_with_signer), or give certificatePath instead.",
                )
                .with_field("signingCertificate")
            })?;
            let certificate = SigningCertificate::with_signer(certificates.clone(), signer)?;
            Box::new(CertificateCredential::new(
                url,
                tenant,
                client,
                Arc::new(certificate),
                *algorithm,
                *send_chain,
            ))
        }
        CredentialSource::Default {
            managed_identity,
            environment,
        } => Box::new(DefaultCredential::new(
            environment.clone(),
            ManagedIdentitySource::detect(|name| {
                std::env::var(name).ok().filter(|v| !v.trim().is_empty())
            }),
            managed_identity.clone(),
            |source| crate::http::build_identity_client(config, source),
        )),
        CredentialSource::ManagedIdentity(id) => {
            let source = ManagedIdentitySource::detect(|name| {
                std::env::var(name).ok().filter(|v| !v.trim().is_empty())
            })?;
            Box::new(ManagedIdentityCredential::new(
                source.clone(),
                id.clone(),
                crate::http::build_identity_client(config, &source)?,
            ))
        }
    })
}

/// The error for a sendMail request that went out without an answer.
fn outcome_unknown(cause: Error, mailbox: &str, client_request_id: &str) -> Error {
    let what = match cause.code() {
        ErrorCode::Timeout => format!("timed out waiting for the answer ({})", cause.message()),
        ErrorCode::Cancelled => "was cancelled while waiting for the answer".to_string(),
        ErrorCode::ConnectionFailed => "lost its connection before the answer came".to_string(),
        _ => format!("got no answer ({})", cause.message()),
    };
    let message = format!(
        "The sendMail request was sent but {what}. Graph may have accepted the message; it was not sent again, to avoid a duplicate. Check the Sent Items of {mailbox} before sending again (client-request-id {client_request_id})."
    );
    Error::new(ErrorCode::OutcomeUnknown, message).with_step("sendMail")
}

/// The success report.
#[allow(clippy::too_many_arguments)]
fn report(
    msg: &ValidatedMessage,
    path: SendPath,
    http_status: u16,
    request_id: Option<String>,
    client_request_id: String,
    attachments: Vec<SentAttachment>,
    request_bytes: usize,
    warnings: Vec<Warning>,
) -> SendReport {
    SendReport {
        path: path.as_str(),
        http_status,
        request_id,
        client_request_id,
        from: msg.from.address.clone(),
        to: addresses(&msg.to),
        cc: addresses(&msg.cc),
        bcc: addresses(&msg.bcc),
        subject: msg.subject.clone(),
        attachments,
        // Graph always keeps a copy of a sent draft in Sent Items.
        save_to_sent_items: path == SendPath::Draft || msg.save_to_sent_items,
        request_bytes,
        warnings,
    }
}

/// The `Authorization` header value, marked sensitive so it is never printed.
pub(crate) fn bearer(token: &AccessToken) -> Result<HeaderValue> {
    let text = Zeroizing::new(format!("Bearer {}", token.token.expose()));
    let mut value = HeaderValue::from_str(&text).map_err(|_| {
        Error::new(
            ErrorCode::AuthenticationFailed,
            "The access token contains characters that cannot be sent in a header.",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let config = ClientConfig::from_json(
            r#"{"tenantId":"t","clientId":"c","clientSecret":"CLIENT-SECRET-42","proxy":"http://user:PROXY-PASS-42@proxy.example:3128"}"#,
        )
        .unwrap();
        let client = Client::new(config).unwrap();
        let shown = format!("{client:?} {:?}", client.config());
        assert!(!shown.contains("CLIENT-SECRET-42"), "{shown}");
        assert!(!shown.contains("PROXY-PASS-42"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }
}
