//! Draft routes: `POST /v1.0/users/{id}/messages` (create, JSON or MIME mode),
//! `GET|DELETE .../messages/{msgId}` and `POST .../messages/{msgId}/send`.

use hyper::StatusCode;
use serde_json::{json, Value};

use crate::attachment_routes::{draft_attachment, draft_for_reading};
use crate::config::{PERMISSION_MAIL_READ_WRITE, PERMISSION_MAIL_SEND};
use crate::drafts::{Draft, DraftAttachment};
use crate::graph::{
    authorize, graph_error, item_not_found, mail_body, mailbox, rule_error, storage_error, MailBody,
};
use crate::http::{ApiRequest, Ctx, Reply};
use crate::message::{check_message, SendMailRequest};
use crate::schema::Body;
use crate::server::State;
use crate::stats::Counters;
use crate::store::NewMessage;

/// `POST /v1.0/users/{id}/messages`: create a draft. Checks, in order: bearer token,
/// `Mail.ReadWrite`, content type, body size, then JSON syntax, schema (`message`), mailbox,
/// custom header rules and attachment content — or, in MIME mode, base64, MIME size and
/// syntax, mailbox. Recipients are checked when the draft is sent.
pub(crate) async fn create(state: &State, req: &ApiRequest, ctx: &Ctx, user: &str) -> Reply {
    match create_checked(state, req, ctx, user).await {
        Ok(reply) | Err(reply) => reply,
    }
}

async fn create_checked(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    user: &str,
) -> Result<Reply, Reply> {
    authorize(state, req, ctx, &[PERMISSION_MAIL_READ_WRITE])?;
    let (raw_message, mut message, mail, original_eml) =
        match mail_body(req, ctx, "create message")? {
            MailBody::Json(raw) => {
                let mut normalized = raw.clone();
                state.schema.normalize_message(&mut normalized);
                let invalid = |message: &str| {
                    graph_error(ctx, StatusCode::BAD_REQUEST, "RequestBodyRead", message)
                };
                if let Err(violation) = state.schema.validate_as(Body::Message, &normalized) {
                    return Err(invalid(&violation.message()));
                }
                let Value::Object(message) = normalized else {
                    return Err(invalid("The message must be a JSON object."));
                };
                mailbox(state, ctx, user)?;
                let mail = check_message(&message, false, true).map_err(|v| rule_error(ctx, &v))?;
                (raw, message, mail, None)
            }
            MailBody::Mime(parsed) => {
                mailbox(state, ctx, user)?;
                let raw = Value::Object(parsed.message.clone());
                (raw, parsed.message, parsed.mail, Some(parsed.eml))
            }
        };
    let mailbox = mailbox(state, ctx, user)?;
    let id = crate::random::message_id();
    let created = crate::timefmt::rfc3339(ctx.now);
    let mut attachments = Vec::new();
    for attachment in &mail.attachments {
        match draft_attachment(state, &id, attachment, &created).await {
            Ok(Some(stored)) => attachments.push(stored),
            Ok(None) => {}
            Err(e) => {
                let _ = state.files.remove_message(&id).await;
                return Err(storage_error(ctx, "attachment", &e));
            }
        }
    }
    message.remove("attachments");
    let mime = original_eml.is_some();
    let draft = Draft {
        id,
        mailbox: mailbox.to_string(),
        created,
        raw_message,
        message,
        attachments,
        original_eml,
        mime,
    };
    let json = draft.graph_json(&ctx.origin);
    state.drafts.insert(draft);
    Counters::bump(&state.counters.drafts_created);
    if mime {
        Counters::bump(&state.counters.mime_messages);
    }
    Ok(Reply::json(StatusCode::CREATED, &json))
}

/// `GET /v1.0/users/{id}/messages/{msgId}`: an open draft (`isDraft: true`).
pub(crate) fn get(state: &State, req: &ApiRequest, ctx: &Ctx, user: &str, id: &str) -> Reply {
    match draft_for_reading(state, req, ctx, user, id) {
        Ok((_, draft)) => Reply::json(StatusCode::OK, &draft.graph_json(&ctx.origin)),
        Err(reply) => reply,
    }
}

/// `DELETE /v1.0/users/{id}/messages/{msgId}`: delete a draft with its attachments and open
/// upload sessions.
pub(crate) async fn delete(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    user: &str,
    id: &str,
) -> Reply {
    if let Err(reply) = authorize(state, req, ctx, &[PERMISSION_MAIL_READ_WRITE]) {
        return reply;
    }
    let mailbox = match mailbox(state, ctx, user) {
        Ok(mailbox) => mailbox,
        Err(reply) => return reply,
    };
    let Some(draft) = state.drafts.take(mailbox, id) else {
        return item_not_found(ctx);
    };
    drop_sessions(state, &draft.id).await;
    let _ = state.files.remove_message(&draft.id).await;
    Counters::bump(&state.counters.drafts_deleted);
    Reply::empty(StatusCode::NO_CONTENT)
}

/// `POST /v1.0/users/{id}/messages/{msgId}/send`: apply the `sendMail` rules to the draft and
/// store it like an accepted `sendMail` message (always saved to Sent Items); the draft is
/// gone afterwards. A draft that breaks a rule stays a draft.
pub(crate) async fn send(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    user: &str,
    id: &str,
) -> Reply {
    let token = match authorize(state, req, ctx, &[PERMISSION_MAIL_SEND]) {
        Ok(token) => token,
        Err(reply) => return reply,
    };
    let mailbox = match mailbox(state, ctx, user) {
        Ok(mailbox) => mailbox,
        Err(reply) => return reply,
    };
    let Some(draft) = state.drafts.take(mailbox, id) else {
        return item_not_found(ctx);
    };
    // A MIME draft's headers came from its MIME content, where the five-header limit of JSON
    // mode does not apply.
    let mut mail = match check_message(&draft.message, true, !draft.mime) {
        Ok(mail) => mail,
        Err(violation) => {
            state.drafts.insert(draft);
            return rule_error(ctx, &violation);
        }
    };
    mail.attachments = draft
        .attachments
        .iter()
        .map(DraftAttachment::outgoing)
        .collect();
    let request = SendMailRequest {
        message: draft.message.clone(),
        mail,
        save_to_sent_items: true,
    };
    let stored_attachments = (
        draft.attachments.iter().map(|a| a.stored.clone()).collect(),
        draft
            .attachments
            .iter()
            .map(DraftAttachment::graph_json)
            .collect(),
    );
    let stored = state
        .store
        .store(
            &state.files,
            NewMessage {
                id: Some(draft.id.clone()),
                mailbox,
                raw_request: json!({ "message": draft.raw_message }),
                request: &request,
                stored_attachments: Some(stored_attachments),
                original_eml: draft.original_eml.clone(),
                via_draft: true,
                mime: draft.mime,
                request_id: &ctx.request_id,
                tenant_id: &token.tenant,
                client_id: &token.client_id,
            },
        )
        .await;
    match stored {
        Ok(_) => {
            drop_sessions(state, &draft.id).await;
            Counters::bump(&state.counters.drafts_sent);
            Counters::bump(&state.counters.accepted_messages);
            Reply::empty(StatusCode::ACCEPTED)
        }
        Err(e) => {
            state.drafts.insert(draft);
            storage_error(ctx, "message", &e)
        }
    }
}

/// Close the upload sessions of a draft that is going away.
async fn drop_sessions(state: &State, draft_id: &str) {
    for session in state.uploads.remove_for_draft(draft_id) {
        crate::upload::discard(&session).await;
    }
}
