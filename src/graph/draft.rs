//! Sending through a draft, for messages with attachments of 3 MB or more: create the draft
//! with every message field and header, add small attachments with one `POST` each and large
//! ones through upload sessions, then send the draft. If anything fails after the draft exists,
//! the draft is deleted, so nothing stray is left, and the error names the failed step.

use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use serde_json::Value;

use crate::auth::AccessToken;
use crate::error::{Error, ErrorCode, Result};
use crate::graph::request::Answer;
use crate::graph::send::{path_segment, read_attachment, SentAttachment};
use crate::graph::wire::{CreatedMessage, WireMessage};
use crate::graph::{graph_error, request_id_header, upload, GraphContext};
use crate::message::{ValidatedMessage, MAX_INLINE_ATTACHMENT_BYTES};
use crate::progress::{SendControl, SendStep};
use crate::retry::{exchange_with_retry, Failure, Repeat, RetryPolicy};

/// What the draft path needs for its requests.
pub(crate) struct DraftContext<'a> {
    pub http: &'a reqwest::Client,
    /// `{graph}/v1.0/users/{mailbox}` (app-only) or `{graph}/v1.0/me` (delegated).
    pub user_base: &'a str,
    pub bearer: HeaderValue,
    pub client_id: &'a str,
    pub mailbox: &'a str,
    pub control: &'a SendControl,
    pub message_id: Option<String>,
    /// How each request is retried.
    pub retry: RetryPolicy,
}

impl DraftContext<'_> {
    /// `{user base}/messages`.
    pub fn messages_url(&self) -> String {
        format!("{}/messages", self.user_base)
    }

    /// `{graph}/v1.0/users/{mailbox}/messages/{draft id}`.
    pub fn message_url(&self) -> String {
        format!(
            "{}/{}",
            self.messages_url(),
            path_segment(self.message_id.as_deref().unwrap_or_default())
        )
    }

    /// An authenticated JSON `POST`.
    pub fn graph_post(&self, url: &str, body: bytes::Bytes) -> reqwest::RequestBuilder {
        self.http
            .post(url)
            .header(AUTHORIZATION, self.bearer.clone())
            .header(CONTENT_TYPE, "application/json")
            .header("client-request-id", uuid::Uuid::new_v4().to_string())
            .body(body)
    }

    /// Posts `body` to `url` under the retry policy.
    pub async fn post_json(
        &self,
        url: &str,
        body: Vec<u8>,
        what: &str,
        repeat: Repeat,
    ) -> std::result::Result<Answer, Failure> {
        let body = bytes::Bytes::from(body);
        let build = || Ok(self.graph_post(url, body.clone()));
        exchange_with_retry(&build, url, what, self.control, &self.retry, repeat).await
    }

    /// The error for a Graph error answer, with hints naming this app and mailbox.
    pub fn graph_error(
        &self,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Error {
        graph_error(
            status,
            headers,
            body,
            &GraphContext {
                mailbox: self.mailbox,
                client_id: self.client_id,
            },
        )
    }
}

/// What a successful draft send did.
pub(crate) struct DraftOutcome {
    pub request_id: Option<String>,
    pub client_request_id: String,
    pub attachments: Vec<SentAttachment>,
    pub verified_after_lost_answer: bool,
}

/// Where and how the draft path sends: the client's side of a [`DraftContext`].
pub(crate) struct DraftTarget<'a> {
    /// The shared HTTP client.
    pub http: &'a reqwest::Client,
    /// `{graph}/v1.0/users/{mailbox}` or `{graph}/v1.0/me`.
    pub user_base: &'a str,
    /// The application (client) id, for error hints.
    pub client_id: &'a str,
    /// How each request is retried.
    pub retry: RetryPolicy,
}

/// Sends `msg` through a draft. `body_message` is the message JSON without attachments.
pub(crate) async fn send_via_draft(
    target: &DraftTarget<'_>,
    token: &AccessToken,
    msg: &ValidatedMessage,
    body_message: WireMessage,
    control: &SendControl,
) -> Result<DraftOutcome> {
    let mut ctx = DraftContext {
        retry: target.retry,
        http: target.http,
        user_base: target.user_base,
        bearer: crate::client::bearer(token)?,
        client_id: target.client_id,
        mailbox: &msg.from.address,
        control,
        message_id: None,
    };
    control.set_step(SendStep::CreatingDraft);
    let id = create_draft(&ctx, &body_message).await?;
    ctx.message_id = Some(id);
    let result = fill_and_send(&ctx, msg).await;
    match result {
        Ok(outcome) => Ok(outcome),
        Err(e) if e.draft_deleted().is_some() => Err(e),
        Err(e) => {
            control.set_step(SendStep::CleaningUp);
            let deleted = delete_draft(&ctx).await;
            let e = if deleted {
                e
            } else {
                let id = ctx.message_id.clone().unwrap_or_default();
                let msg = format!("{} The draft (id {id}) could not be deleted: remove it from the Drafts folder of {}.", e.message(), ctx.mailbox);
                e.with_message(msg)
            };
            Err(e.with_draft_deleted(deleted))
        }
    }
}

async fn create_draft(ctx: &DraftContext<'_>, message: &WireMessage) -> Result<String> {
    let url = ctx.messages_url();
    let body = serde_json::to_vec(message).map_err(|e| {
        Error::new(ErrorCode::Internal, "Could not serialize the draft.").with_source(e)
    })?;
    // Unsafe to repeat after a lost answer (a second draft); an answer of 429/503/504 means
    // nothing was created, so those are retried.
    let answer = ctx
        .post_json(&url, body, "The create-draft request", Repeat::Unsafe)
        .await
        .map_err(|f| {
            let ambiguous = f.ambiguous;
            let e = f.error.with_step("createDraft");
            if ambiguous {
                let message = format!("{} A draft may have been created in the Drafts folder of {} without GraphMail learning its id; nothing was sent.", e.message(), ctx.mailbox);
                e.with_message(message)
            } else {
                e
            }
        })?;
    if answer.status == 403 {
        let base = ctx.graph_error(answer.status, &answer.headers, &answer.body);
        let message = format!(
            "Graph denied creating a draft in '{}' for application '{}'. Messages with attachments of 3 MB or more are sent through a draft and an upload session, which needs the Mail.ReadWrite application permission (with admin consent) besides Mail.Send, and the mailbox inside the app's access policy or RBAC scope. (This path always keeps a copy in Sent Items.) {}",
            ctx.mailbox, ctx.client_id, base.message()
        );
        return Err(base.with_message(message).with_step("createDraft"));
    }
    if answer.status != 201 && answer.status != 200 {
        return Err(ctx
            .graph_error(answer.status, &answer.headers, &answer.body)
            .with_step("createDraft"));
    }
    let created: CreatedMessage = serde_json::from_slice(&answer.body).map_err(|_| {
        Error::new(
            ErrorCode::GraphRequestRejected,
            "Graph created the draft but returned no message id.",
        )
        .with_step("createDraft")
        .with_request_id(request_id_header(&answer.headers))
    })?;
    Ok(created.id)
}

async fn fill_and_send(ctx: &DraftContext<'_>, msg: &ValidatedMessage) -> Result<DraftOutcome> {
    ctx.control.set_step(SendStep::Uploading);
    let mut sent = Vec::with_capacity(msg.attachments.len());
    for a in &msg.attachments {
        ctx.control.check()?;
        if a.size < MAX_INLINE_ATTACHMENT_BYTES {
            let wire = {
                let a = a.clone();
                tokio::task::spawn_blocking(move || read_attachment(&a))
                    .await
                    .map_err(|_| {
                        Error::new(
                            ErrorCode::Internal,
                            "Reading an attachment failed unexpectedly.",
                        )
                    })??
            };
            let url = format!("{}/attachments", ctx.message_url());
            let body = serde_json::to_vec(&wire.0).map_err(|e| {
                Error::new(ErrorCode::Internal, "Could not serialize an attachment.").with_source(e)
            })?;
            let answer = ctx
                .post_json(&url, body, "The add-attachment request", Repeat::Unsafe)
                .await
                .map_err(|f| f.error.with_step("addAttachment"))?;
            if answer.status != 201 && answer.status != 200 {
                return Err(ctx
                    .graph_error(answer.status, &answer.headers, &answer.body)
                    .with_step("addAttachment"));
            }
            ctx.control.add_sent(wire.1);
        } else {
            upload::upload_attachment(ctx, a).await?;
        }
        sent.push(SentAttachment {
            name: a.name.clone(),
            size: a.size,
            content_type: a.content_type,
        });
    }
    ctx.control.check()?;
    ctx.control.set_step(SendStep::SendingDraft);
    let url = format!("{}/send", ctx.message_url());
    let client_request_id = uuid::Uuid::new_v4().to_string();
    let build = || {
        Ok(ctx
            .http
            .post(&url)
            .header(AUTHORIZATION, ctx.bearer.clone())
            .header(CONTENT_LENGTH, 0)
            .header("client-request-id", &client_request_id))
    };
    let mut sends = 0;
    loop {
        sends += 1;
        let result = exchange_with_retry(
            &build,
            &url,
            "The send-draft request",
            ctx.control,
            &ctx.retry,
            Repeat::Unsafe,
        )
        .await;
        let failure = match result {
            Ok(answer) if answer.status == 202 => {
                return Ok(DraftOutcome {
                    request_id: request_id_header(&answer.headers),
                    client_request_id,
                    attachments: sent,
                    verified_after_lost_answer: sends > 1,
                })
            }
            Ok(answer) => {
                return Err(ctx
                    .graph_error(answer.status, &answer.headers, &answer.body)
                    .with_step("sendDraft"))
            }
            Err(f) if !f.ambiguous => return Err(f.error.with_step("sendDraft")),
            Err(f) => f.error,
        };
        // The send request may have gone out: look before anything else, so a draft is never
        // sent twice and a sent message's copy is never deleted.
        match still_a_draft(ctx).await {
            Some(false) => {
                return Ok(DraftOutcome {
                    request_id: None,
                    client_request_id,
                    attachments: sent,
                    verified_after_lost_answer: true,
                })
            }
            // Still a draft, so it was not sent: sending it again is safe.
            Some(true)
                if sends < ctx.retry.max_attempts
                    && !matches!(failure.code(), ErrorCode::Cancelled | ErrorCode::Timeout) => {}
            Some(true) => return Err(failure.with_step("sendDraft")),
            None => {
                let msg = format!("{} Whether the message was sent is unknown: check the Sent Items and Drafts folders of {} before sending again.", failure.message(), ctx.mailbox);
                return Err(Error::new(ErrorCode::OutcomeUnknown, msg)
                    .with_step("sendDraft")
                    .with_draft_deleted(false));
            }
        }
    }
}

/// `Some(true)` if the draft still exists as a draft, `Some(false)` if it is gone or was sent,
/// `None` if that cannot be told.
async fn still_a_draft(ctx: &DraftContext<'_>) -> Option<bool> {
    let url = ctx.message_url();
    let response = ctx
        .http
        .get(&url)
        .header(AUTHORIZATION, ctx.bearer.clone())
        .send()
        .await
        .ok()?;
    match response.status().as_u16() {
        404 => Some(false),
        200 => {
            let bytes = response.bytes().await.ok()?;
            let v: Value = serde_json::from_slice(&bytes).ok()?;
            Some(v.get("isDraft").and_then(Value::as_bool).unwrap_or(true))
        }
        _ => None,
    }
}

async fn delete_draft(ctx: &DraftContext<'_>) -> bool {
    let url = ctx.message_url();
    match ctx
        .http
        .delete(&url)
        .header(AUTHORIZATION, ctx.bearer.clone())
        .send()
        .await
    {
        Ok(r) => matches!(r.status().as_u16(), 204 | 200 | 404),
        Err(_) => false,
    }
}
