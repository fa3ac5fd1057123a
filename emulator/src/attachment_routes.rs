//! Attachment routes of a draft: `POST|GET .../messages/{msgId}/attachments`,
//! `GET .../attachments/{attachmentId}` and `POST .../attachments/createUploadSession`.

use hyper::StatusCode;
use serde_json::{json, Value};

use crate::attachments::{AttachmentMeta, FILE_ATTACHMENT};
use crate::config::{PERMISSION_MAIL_READ, PERMISSION_MAIL_READ_WRITE};
use crate::drafts::DraftAttachment;
use crate::graph::{
    authorize, graph_error, item_not_found, json_body, mailbox, rule_error, storage_error,
};
use crate::http::{ApiRequest, Ctx, Reply};
use crate::message::{check_attachments, Attachment, AttachmentContent};
use crate::schema::Body;
use crate::server::State;
use crate::stats::Counters;
use crate::upload::{NewSession, MAX_SESSION_BYTES, MIN_SESSION_BYTES};

/// An attachment added with one `POST` must be smaller than this (3 MiB).
pub const MAX_POSTED_ATTACHMENT_BYTES: usize = 3 * 1024 * 1024;

/// `@odata.type` of an item attachment.
const ITEM_ATTACHMENT: &str = "#microsoft.graph.itemAttachment";

/// Write a file or item attachment of draft `draft_id` to disk; `None` for a reference
/// attachment (no content).
pub(crate) async fn draft_attachment(
    state: &State,
    draft_id: &str,
    attachment: &Attachment,
    added: &str,
) -> std::io::Result<Option<DraftAttachment>> {
    let item_json;
    let (bytes, odata_type, item): (&[u8], _, _) = match &attachment.content {
        AttachmentContent::File(bytes) => (bytes, FILE_ATTACHMENT, None),
        AttachmentContent::Item(item) => {
            item_json = item.to_string();
            (item_json.as_bytes(), ITEM_ATTACHMENT, Some(item.clone()))
        }
        AttachmentContent::Reference | AttachmentContent::Stored(_) => return Ok(None),
    };
    let meta = AttachmentMeta {
        name: attachment.name.clone().unwrap_or_default(),
        content_type: attachment.content_type.clone(),
        is_inline: attachment.is_inline,
        content_id: attachment.content_id.clone(),
    };
    let stored = state
        .files
        .write(draft_id, crate::random::message_id(), meta, bytes)
        .await?;
    Ok(Some(DraftAttachment {
        stored,
        odata_type: odata_type.to_string(),
        item,
        added: added.to_string(),
    }))
}

fn attachment_context(ctx: &Ctx, mailbox: &str, draft_id: &str) -> String {
    format!(
        "{}/v1.0/$metadata#users('{mailbox}')/messages('{draft_id}')/attachments",
        ctx.origin
    )
}

/// `POST .../messages/{msgId}/attachments`: add a file (or item) attachment under 3 MiB.
/// Checks: bearer token, `Mail.ReadWrite`, content type, size, JSON, schema (`attachment`),
/// mailbox, draft, content, size limit.
pub(crate) async fn add(state: &State, req: &ApiRequest, ctx: &Ctx, user: &str, id: &str) -> Reply {
    match add_checked(state, req, ctx, user, id).await {
        Ok(reply) | Err(reply) => reply,
    }
}

async fn add_checked(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    user: &str,
    id: &str,
) -> Result<Reply, Reply> {
    authorize(state, req, ctx, &[PERMISSION_MAIL_READ_WRITE])?;
    let mut body = json_body(req, ctx, "add attachment")?;
    state.schema.normalize_attachment(&mut body);
    if let Err(violation) = state.schema.validate_as(Body::Attachment, &body) {
        return Err(graph_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "RequestBodyRead",
            &violation.message(),
        ));
    }
    let mailbox = mailbox(state, ctx, user)?;
    if !state.drafts.contains(mailbox, id) {
        return Err(item_not_found(ctx));
    }
    let attachment = check_attachments(Some(&Value::Array(vec![body])))
        .map_err(|v| rule_error(ctx, &v))?
        .into_iter()
        .next()
        .ok_or_else(|| item_not_found(ctx))?;
    if matches!(attachment.content, AttachmentContent::File(_))
        && attachment.size() >= MAX_POSTED_ATTACHMENT_BYTES
    {
        return Err(graph_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "ErrorAttachmentSizeLimitExceeded",
            &format!(
                "The attachment is {} bytes; an attachment added in one request must be under \
                 3 MB ({MAX_POSTED_ATTACHMENT_BYTES} bytes). Use an upload session.",
                attachment.size()
            ),
        ));
    }
    let added = crate::timefmt::rfc3339(ctx.now);
    let stored = draft_attachment(state, id, &attachment, &added)
        .await
        .map_err(|e| storage_error(ctx, "attachment", &e))?
        .ok_or_else(|| {
            graph_error(
                ctx,
                StatusCode::BAD_REQUEST,
                "ErrorInvalidRequest",
                "Reference attachments cannot be added with Graph v1.0.",
            )
        })?;
    let mut json = stored.graph_json();
    if !state.drafts.add_attachment(id, stored.clone()) {
        let _ = tokio::fs::remove_file(&stored.stored.path).await;
        return Err(item_not_found(ctx));
    }
    json["@odata.context"] = json!(format!("{}/$entity", attachment_context(ctx, mailbox, id)));
    Counters::bump(&state.counters.attachments_added);
    Ok(Reply::json(StatusCode::CREATED, &json))
}

/// `GET .../messages/{msgId}/attachments`: the draft's attachments (without content).
pub(crate) fn list(state: &State, req: &ApiRequest, ctx: &Ctx, user: &str, id: &str) -> Reply {
    match draft_for_reading(state, req, ctx, user, id) {
        Ok((mailbox, draft)) => {
            let value: Vec<Value> = draft
                .attachments
                .iter()
                .map(DraftAttachment::graph_json)
                .collect();
            Reply::json(
                StatusCode::OK,
                &json!({
                    "@odata.context": attachment_context(ctx, &mailbox, id),
                    "value": value,
                }),
            )
        }
        Err(reply) => reply,
    }
}

/// `GET .../messages/{msgId}/attachments/{attachmentId}`: one attachment (without content);
/// where the final upload `Location` points.
pub(crate) fn get(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    user: &str,
    id: &str,
    attachment_id: &str,
) -> Reply {
    let (mailbox, draft) = match draft_for_reading(state, req, ctx, user, id) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let Some(attachment) = draft
        .attachments
        .iter()
        .find(|a| a.stored.id == attachment_id)
    else {
        return item_not_found(ctx);
    };
    let mut json = attachment.graph_json();
    json["@odata.context"] = json!(format!("{}/$entity", attachment_context(ctx, &mailbox, id)));
    Reply::json(StatusCode::OK, &json)
}

/// The draft `id` of `user`, for a caller allowed to read mail.
pub(crate) fn draft_for_reading(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    user: &str,
    id: &str,
) -> Result<(String, crate::drafts::Draft), Reply> {
    authorize(
        state,
        req,
        ctx,
        &[PERMISSION_MAIL_READ_WRITE, PERMISSION_MAIL_READ],
    )?;
    let mailbox = mailbox(state, ctx, user)?;
    let draft = state
        .drafts
        .get(mailbox, id)
        .ok_or_else(|| item_not_found(ctx))?;
    Ok((mailbox.to_string(), draft))
}

/// `POST .../messages/{msgId}/attachments/createUploadSession`: open an upload session for a
/// file attachment of 3 MiB to 150 MiB. Checks: bearer token, `Mail.ReadWrite`, content type,
/// size, JSON, schema (body, then its `AttachmentItem` with the documented requirements),
/// mailbox, draft, attachment size.
pub(crate) fn create_upload_session(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    user: &str,
    id: &str,
) -> Reply {
    match create_upload_session_checked(state, req, ctx, user, id) {
        Ok(reply) | Err(reply) => reply,
    }
}

fn create_upload_session_checked(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    user: &str,
    id: &str,
) -> Result<Reply, Reply> {
    let token = authorize(state, req, ctx, &[PERMISSION_MAIL_READ_WRITE])?;
    let mut body = json_body(req, ctx, "createUploadSession")?;
    state.schema.normalize_upload_session(&mut body);
    let invalid =
        |message: &str| graph_error(ctx, StatusCode::BAD_REQUEST, "RequestBodyRead", message);
    if let Err(violation) = state.schema.validate_as(Body::CreateUploadSession, &body) {
        return Err(invalid(&violation.message()));
    }
    let item = body
        .get("AttachmentItem")
        .or_else(|| body.get("attachmentItem"))
        .cloned()
        .unwrap_or(Value::Null);
    if let Err(violation) = state.schema.validate_as(Body::UploadItem, &item) {
        return Err(invalid(&violation.message()));
    }
    let mailbox = mailbox(state, ctx, user)?;
    if !state.drafts.contains(mailbox, id) {
        return Err(item_not_found(ctx));
    }
    let size = item.get("size").and_then(Value::as_u64).unwrap_or(0);
    if size < MIN_SESSION_BYTES {
        return Err(graph_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
            &format!(
                "The attachment size {size} is less than the minimum size of 3 MB \
                 ({MIN_SESSION_BYTES} bytes) for an upload session; add it with a POST to the \
                 attachments collection."
            ),
        ));
    }
    if size > MAX_SESSION_BYTES {
        return Err(graph_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "ErrorAttachmentSizeLimitExceeded",
            &format!(
                "The attachment size {size} exceeds the maximum size of 150 MB \
                 ({MAX_SESSION_BYTES} bytes)."
            ),
        ));
    }
    let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_string);
    let session = state.uploads.create(NewSession {
        mailbox: mailbox.to_string(),
        client_id: token.client_id.clone(),
        draft_id: id.to_string(),
        meta: AttachmentMeta {
            name: text("name").unwrap_or_default(),
            content_type: text("contentType"),
            is_inline: item
                .get("isInline")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            content_id: text("contentId"),
        },
        size,
        now: ctx.now,
    });
    Counters::bump(&state.counters.upload_sessions_created);
    Ok(Reply::json(
        StatusCode::CREATED,
        &json!({
            "@odata.context": format!("{}/v1.0/$metadata#microsoft.graph.uploadSession", ctx.origin),
            "uploadUrl": format!("{}/upload/{}?authtoken={}", ctx.origin, session.id, session.authtoken),
            "expirationDateTime": crate::timefmt::rfc3339(session.expires_at),
            "nextExpectedRanges": ["0-"],
        }),
    ))
}
