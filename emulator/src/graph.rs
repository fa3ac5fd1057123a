//! The emulated Microsoft Graph routes under `/v1.0`: `sendMail` and the Sent Items listing,
//! with Graph's error envelope.

use hyper::header::{HeaderValue, ALLOW, AUTHORIZATION, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use crate::http::{is, media_type_is, printable, ApiRequest, Ctx, Reply, RequestBody};
use crate::message::check_send_mail;
use crate::server::State;
use crate::stats::Counters;
use crate::store::NewMessage;
use crate::token::{IssuedToken, TokenCheck};

/// Well-known mail folder names other than Sent Items; listed as empty.
const OTHER_WELL_KNOWN_FOLDERS: &[&str] = &[
    "inbox",
    "drafts",
    "deleteditems",
    "outbox",
    "junkemail",
    "archive",
];

/// A Graph error: `{"error": {"code", "message", "innerError": {"date", "request-id",
/// "client-request-id"}}}`.
pub(crate) fn graph_error(ctx: &Ctx, status: StatusCode, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": crate::timefmt::graph_error_date(ctx.now),
                    "request-id": ctx.request_id,
                    "client-request-id": ctx.client_request_id,
                }
            }
        }),
    )
}

/// `404 ResourceNotFound` for an unknown path.
pub(crate) fn not_found(ctx: &Ctx, path: &str) -> Reply {
    graph_error(
        ctx,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        &format!("Resource not found for the segment '{}'.", printable(path)),
    )
}

/// `405` for a known path with the wrong method.
pub(crate) fn method_not_allowed(ctx: &Ctx, method: &Method, allow: &'static str) -> Reply {
    graph_error(
        ctx,
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        &format!("The HTTP method '{method}' is not allowed for this resource."),
    )
    .with_header(ALLOW, HeaderValue::from_static(allow))
}

/// Route a request under `/v1.0`; `rest` are the segments after `v1.0`.
pub(crate) async fn route(state: &State, req: &ApiRequest, ctx: &Ctx, rest: &[String]) -> Reply {
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    match rest.as_slice() {
        [users, user, action] if is(users, "users") && is(action, "sendMail") => {
            if req.method != Method::POST {
                return method_not_allowed(ctx, &req.method, "POST");
            }
            send_mail(state, req, ctx, user).await
        }
        [users, user, folders, folder, messages]
            if is(users, "users") && is(folders, "mailFolders") && is(messages, "messages") =>
        {
            if req.method != Method::GET {
                return method_not_allowed(ctx, &req.method, "GET");
            }
            list_folder(state, req, ctx, user, folder)
        }
        [me, ..] if is(me, "me") => match bearer(state, req, ctx) {
            Err(reply) => reply,
            Ok(_) => graph_error(
                ctx,
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "/me request is only valid with delegated authentication flow.",
            ),
        },
        _ => not_found(ctx, rest.last().copied().unwrap_or("v1.0")),
    }
}

/// Check `Authorization: Bearer <token>`.
fn bearer(state: &State, req: &ApiRequest, ctx: &Ctx) -> Result<IssuedToken, Reply> {
    let token = req
        .header(AUTHORIZATION)
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .unwrap_or_default();
    let unauthorized = |message: &str| {
        graph_error(
            ctx,
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
        .with_header(
            hyper::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"\", error=\"invalid_token\""),
        )
    };
    if token.is_empty() {
        return Err(unauthorized("Access token is empty."));
    }
    match state.tokens.check(token) {
        TokenCheck::Valid(issued) => Ok(issued),
        TokenCheck::Unknown => Err(unauthorized(
            "Access token validation failure. Invalid audience.",
        )),
        TokenCheck::Expired => Err(unauthorized(
            "Access token has expired or is not yet valid.",
        )),
    }
}

fn invalid_user(ctx: &Ctx, user: &str) -> Reply {
    graph_error(
        ctx,
        StatusCode::NOT_FOUND,
        "ErrorInvalidUser",
        &format!("The requested user '{}' is invalid.", printable(user)),
    )
}

/// `POST /v1.0/users/{id}/sendMail`. Checks, in order: bearer token, content type, body
/// size, JSON syntax, schema, sender mailbox, then Graph's message rules.
async fn send_mail(state: &State, req: &ApiRequest, ctx: &Ctx, user: &str) -> Reply {
    let token = match bearer(state, req, ctx) {
        Ok(token) => token,
        Err(reply) => return reply,
    };
    let content_type = req.header(CONTENT_TYPE);
    if !media_type_is(content_type, "application/json") {
        return graph_error(
            ctx,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            &format!(
                "The content type '{}' is not supported; sendMail expects 'application/json' \
                 (MIME 'text/plain' mode is not emulated yet).",
                printable(content_type.unwrap_or_default())
            ),
        );
    }
    let bytes = match &req.body {
        RequestBody::Complete(bytes) => bytes,
        RequestBody::TooLarge { .. } => {
            return graph_error(
                ctx,
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "The maximum request length supported is 4MB.",
            )
        }
        RequestBody::Failed => {
            return graph_error(
                ctx,
                StatusCode::BAD_REQUEST,
                "RequestBodyRead",
                "The request body could not be read.",
            )
        }
    };
    let raw: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return graph_error(
                ctx,
                StatusCode::BAD_REQUEST,
                "RequestBodyRead",
                &format!("The request body is not valid JSON: {e}."),
            )
        }
    };
    let mut body = raw.clone();
    state.schema.normalize(&mut body);
    if let Err(violation) = state.schema.validate(&body) {
        return graph_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "RequestBodyRead",
            &violation.message(),
        );
    }
    let Some(mailbox) = state.config.mailbox(user) else {
        return invalid_user(ctx, user);
    };
    let request = match check_send_mail(&body) {
        Ok(request) => request,
        Err(violation) => {
            let status = StatusCode::from_u16(violation.status).unwrap_or(StatusCode::BAD_REQUEST);
            return graph_error(ctx, status, violation.code, &violation.message);
        }
    };
    let stored = state
        .store
        .store(NewMessage {
            mailbox,
            raw_request: raw,
            request: &request,
            request_id: &ctx.request_id,
            tenant_id: &token.tenant,
            client_id: &token.client_id,
        })
        .await;
    match stored {
        Ok(_) => {
            Counters::bump(&state.counters.accepted_messages);
            Reply::empty(StatusCode::ACCEPTED)
        }
        Err(e) => graph_error(
            ctx,
            StatusCode::INTERNAL_SERVER_ERROR,
            "ErrorInternalServerError",
            &format!("The emulator could not store the message: {e}"),
        ),
    }
}

/// `GET /v1.0/users/{id}/mailFolders/{folder}/messages`: Sent Items newest first (all of
/// them unless `$top` is given); other well-known folders are empty.
fn list_folder(state: &State, req: &ApiRequest, ctx: &Ctx, user: &str, folder: &str) -> Reply {
    if let Err(reply) = bearer(state, req, ctx) {
        return reply;
    }
    let Some(mailbox) = state.config.mailbox(user) else {
        return invalid_user(ctx, user);
    };
    let mut value = if is(folder, "sentItems") {
        state.store.sent_items(mailbox)
    } else if OTHER_WELL_KNOWN_FOLDERS.iter().any(|f| is(folder, f)) {
        Vec::new()
    } else {
        return graph_error(
            ctx,
            StatusCode::NOT_FOUND,
            "ErrorItemNotFound",
            "The specified object was not found in the store.",
        );
    };
    if let Some(top) = req.query_param("$top") {
        match top.parse::<usize>() {
            Ok(top) => value.truncate(top),
            Err(_) => {
                return graph_error(
                    ctx,
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    &format!("Invalid $top value '{}'.", printable(&top)),
                )
            }
        }
    }
    Reply::json(
        StatusCode::OK,
        &json!({
            "@odata.context": format!(
                "{}/v1.0/$metadata#users('{mailbox}')/mailFolders('{folder}')/messages",
                ctx.origin
            ),
            "value": value,
        }),
    )
}
