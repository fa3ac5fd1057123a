//! The emulated Microsoft Graph routes under `/v1.0`: `sendMail` (JSON and MIME mode), the
//! Sent Items listing and the routing of the draft routes, for `/users/{id}` and (with a
//! delegated token) `/me`, with Graph's error envelope and the checks every route shares
//! (bearer token, application permissions or delegated scopes, bodies).

use hyper::header::{HeaderValue, ALLOW, AUTHORIZATION, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use crate::config::PERMISSION_MAIL_SEND;
use crate::http::{is, media_type_is, printable, ApiRequest, Ctx, Reply, RequestBody};
use crate::message::{check_mail_recipients, check_send_mail, RuleViolation, SendMailRequest};
use crate::mime::{self, MimeError, MimeMessage};
use crate::server::State;
use crate::stats::Counters;
use crate::store::NewMessage;
use crate::token::{IssuedToken, TokenCheck};
use crate::{attachment_routes, draft_routes};

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
    Reply::json(status, &error_body(ctx, code, message))
}

/// The JSON of a Graph error, for replies that add members to it.
pub(crate) fn error_body(ctx: &Ctx, code: &str, message: &str) -> Value {
    json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": crate::timefmt::graph_error_date(ctx.now),
                "request-id": ctx.request_id,
                "client-request-id": ctx.client_request_id,
            }
        }
    })
}

/// The Graph error of a broken mail rule.
pub(crate) fn rule_error(ctx: &Ctx, violation: &RuleViolation) -> Reply {
    let status = StatusCode::from_u16(violation.status).unwrap_or(StatusCode::BAD_REQUEST);
    graph_error(ctx, status, violation.code, &violation.message)
}

/// `500` when the emulator could not write its files.
pub(crate) fn storage_error(ctx: &Ctx, what: &str, e: &std::io::Error) -> Reply {
    graph_error(
        ctx,
        StatusCode::INTERNAL_SERVER_ERROR,
        "ErrorInternalServerError",
        &format!("The emulator could not store the {what}: {e}"),
    )
}

/// `404 ErrorItemNotFound` for an unknown draft, attachment or upload session.
pub(crate) fn item_not_found(ctx: &Ctx) -> Reply {
    graph_error(
        ctx,
        StatusCode::NOT_FOUND,
        "ErrorItemNotFound",
        "The specified object was not found in the store.",
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
        [users, user, tail @ ..] if is(users, "users") && !tail.is_empty() => {
            user_route(state, req, ctx, user, tail).await
        }
        [me, tail @ ..] if is(me, "me") => match bearer(state, req, ctx) {
            Err(reply) => reply,
            Ok(IssuedToken {
                user: Some(upn), ..
            }) => {
                if tail.is_empty() {
                    me_profile(state, req, ctx, &upn)
                } else {
                    user_route(state, req, ctx, &upn, tail).await
                }
            }
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

/// Routes under `/v1.0/users/{id}` (and `/v1.0/me`, as the signed-in user); `tail` are the
/// segments after the user.
async fn user_route(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    user: &str,
    tail: &[&str],
) -> Reply {
    match tail {
        [action] if is(action, "sendMail") => {
            if req.method != Method::POST {
                return method_not_allowed(ctx, &req.method, "POST");
            }
            send_mail(state, req, ctx, user).await
        }
        [messages, rest @ ..] if is(messages, "messages") => {
            message_route(state, req, ctx, user, rest).await
        }
        [folders, folder, messages] if is(folders, "mailFolders") && is(messages, "messages") => {
            if req.method != Method::GET {
                return method_not_allowed(ctx, &req.method, "GET");
            }
            list_folder(state, req, ctx, user, folder)
        }
        _ => not_found(ctx, tail.last().copied().unwrap_or("v1.0")),
    }
}

/// `GET /v1.0/me`: the signed-in user's profile.
fn me_profile(state: &State, req: &ApiRequest, ctx: &Ctx, upn: &str) -> Reply {
    if req.method != Method::GET {
        return method_not_allowed(ctx, &req.method, "GET");
    }
    let local = upn.split('@').next().unwrap_or(upn);
    Reply::json(
        StatusCode::OK,
        &json!({
            "@odata.context": format!("{}/v1.0/$metadata#users/$entity", ctx.origin),
            "id": crate::random::stable_uuid(&upn.to_ascii_lowercase()),
            "userPrincipalName": upn,
            "mail": state.config.mailbox(upn).unwrap_or(upn),
            "displayName": local,
        }),
    )
}

/// Routes under `/v1.0/users/{id}/messages`; `tail` are the segments after `messages`.
async fn message_route(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    user: &str,
    tail: &[&str],
) -> Reply {
    let method = &req.method;
    match tail {
        [] => match *method {
            Method::POST => draft_routes::create(state, req, ctx, user).await,
            _ => method_not_allowed(ctx, method, "POST"),
        },
        [id] => match *method {
            Method::GET => draft_routes::get(state, req, ctx, user, id),
            Method::DELETE => draft_routes::delete(state, req, ctx, user, id).await,
            _ => method_not_allowed(ctx, method, "GET, DELETE"),
        },
        [id, send] if is(send, "send") || is(send, "microsoft.graph.send") => match *method {
            Method::POST => draft_routes::send(state, req, ctx, user, id).await,
            _ => method_not_allowed(ctx, method, "POST"),
        },
        [id, attachments] if is(attachments, "attachments") => match *method {
            Method::POST => attachment_routes::add(state, req, ctx, user, id).await,
            Method::GET => attachment_routes::list(state, req, ctx, user, id),
            _ => method_not_allowed(ctx, method, "GET, POST"),
        },
        [id, attachments, action]
            if is(attachments, "attachments")
                && (is(action, "createUploadSession")
                    || is(action, "microsoft.graph.createUploadSession")) =>
        {
            match *method {
                Method::POST => attachment_routes::create_upload_session(state, req, ctx, user, id),
                _ => method_not_allowed(ctx, method, "POST"),
            }
        }
        [id, attachments, attachment_id] if is(attachments, "attachments") => match *method {
            Method::GET => attachment_routes::get(state, req, ctx, user, id, attachment_id),
            _ => method_not_allowed(ctx, method, "GET"),
        },
        _ => not_found(ctx, tail.last().copied().unwrap_or("messages")),
    }
}

/// Check the bearer token, then that it grants one of `permissions` (an application
/// permission of an app-only token, a delegated scope of a user's token) and, for a user's
/// token, that the request is about the user's own mailbox; else `403 ErrorAccessDenied`, as
/// Graph answers.
pub(crate) fn authorize(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    permissions: &[&str],
) -> Result<IssuedToken, Reply> {
    let token = bearer(state, req, ctx)?;
    if permissions.iter().any(|p| token.grants(p)) && own_mailbox(req, &token) {
        check_access_policy(state, req, ctx, &token)?;
        Ok(token)
    } else {
        Err(access_denied(ctx))
    }
}

/// For an app-only token and a `/users/{id}/...` request: the app's application access
/// policies must allow the mailbox, else `403 ErrorAccessDenied` with Exchange's RAOP text.
fn check_access_policy(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    token: &IssuedToken,
) -> Result<(), Reply> {
    if token.user.is_some() || state.config.access_policies.is_empty() {
        return Ok(());
    }
    let mailbox = match (req.segments.get(1), req.segments.get(2)) {
        (Some(users), Some(user)) if is(users, "users") => user,
        _ => return Ok(()),
    };
    let checked = crate::policies::check(
        &state.config.access_policies,
        &state.config.groups,
        &token.client_id,
        mailbox,
    );
    match checked {
        Ok(()) => Ok(()),
        Err(description) => {
            Counters::bump(&state.counters.policy_denied_requests);
            if state.config.request_log {
                let why = if description.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", printable(&description))
                };
                eprintln!(
                    "graphmail-emulator: application access policy refused app {} for mailbox {}{why}",
                    printable(&token.client_id),
                    printable(mailbox)
                );
            }
            Err(graph_error(
                ctx,
                StatusCode::FORBIDDEN,
                "ErrorAccessDenied",
                crate::policies::POLICY_DENIED_MESSAGE,
            ))
        }
    }
}

fn access_denied(ctx: &Ctx) -> Reply {
    graph_error(
        ctx,
        StatusCode::FORBIDDEN,
        "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.",
    )
}

/// Whether a delegated token's user is the one the request is about (`/me/...`, or
/// `/users/{id}/...` naming the user's UPN). App-only tokens may act on any mailbox.
fn own_mailbox(req: &ApiRequest, token: &IssuedToken) -> bool {
    let Some(upn) = &token.user else {
        return true;
    };
    match (req.segments.get(1), req.segments.get(2)) {
        (Some(users), Some(user)) if is(users, "users") => user.eq_ignore_ascii_case(upn),
        _ => true,
    }
}

/// The buffered body, or the Graph error for a body too large (`413`) or broken off.
pub(crate) fn body_bytes<'a>(req: &'a ApiRequest, ctx: &Ctx) -> Result<&'a [u8], Reply> {
    match &req.body {
        RequestBody::Complete(bytes) => Ok(bytes),
        RequestBody::TooLarge { .. } => Err(graph_error(
            ctx,
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            "The maximum request length supported is 4MB.",
        )),
        RequestBody::Failed => Err(graph_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "RequestBodyRead",
            "The request body could not be read.",
        )),
    }
}

/// The body as JSON (`application/json` required, else `415`).
pub(crate) fn json_body(req: &ApiRequest, ctx: &Ctx, what: &str) -> Result<Value, Reply> {
    let content_type = req.header(CONTENT_TYPE);
    if !media_type_is(content_type, "application/json") {
        return Err(unsupported_media_type(ctx, content_type, what, false));
    }
    parse_json(body_bytes(req, ctx)?, ctx)
}

fn parse_json(bytes: &[u8], ctx: &Ctx) -> Result<Value, Reply> {
    serde_json::from_slice(bytes).map_err(|e| {
        graph_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "RequestBodyRead",
            &format!("The request body is not valid JSON: {e}."),
        )
    })
}

fn unsupported_media_type(ctx: &Ctx, content_type: Option<&str>, what: &str, mime: bool) -> Reply {
    let expected = if mime {
        "'application/json' (or 'text/plain' for MIME content)"
    } else {
        "'application/json'"
    };
    graph_error(
        ctx,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UnsupportedMediaType",
        &format!(
            "The content type '{}' is not supported; {what} expects {expected}.",
            printable(content_type.unwrap_or_default())
        ),
    )
}

/// A JSON or MIME mode message body (`sendMail`, create message).
pub(crate) enum MailBody {
    /// `application/json`, parsed.
    Json(Value),
    /// `text/plain`, decoded and parsed.
    Mime(Box<MimeMessage>),
}

/// Read a body that may be JSON or MIME: content type, size, then JSON syntax or base64 /
/// MIME size / MIME syntax.
pub(crate) fn mail_body(req: &ApiRequest, ctx: &Ctx, what: &str) -> Result<MailBody, Reply> {
    let content_type = req.header(CONTENT_TYPE);
    let mime = media_type_is(content_type, "text/plain");
    if !mime && !media_type_is(content_type, "application/json") {
        return Err(unsupported_media_type(ctx, content_type, what, true));
    }
    let bytes = body_bytes(req, ctx)?;
    if !mime {
        return parse_json(bytes, ctx).map(MailBody::Json);
    }
    let parsed = mime::decode(bytes).and_then(mime::parse);
    parsed
        .map(|m| MailBody::Mime(Box::new(m)))
        .map_err(|e| match e {
            MimeError::InvalidBase64 => graph_error(
                ctx,
                StatusCode::BAD_REQUEST,
                "ErrorMimeContentInvalidBase64String",
                "Invalid base64 string for MIME content.",
            ),
            MimeError::TooLarge => graph_error(
                ctx,
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "MIME message payloads are currently limited to 4 MB.",
            ),
            MimeError::NotAMessage => graph_error(
                ctx,
                StatusCode::BAD_REQUEST,
                "ErrorMimeContentInvalid",
                "The MIME content is not an RFC 5322 message (no header section).",
            ),
        })
}

/// The configured spelling of mailbox `user`, or `404 ErrorInvalidUser`.
pub(crate) fn mailbox<'a>(state: &'a State, ctx: &Ctx, user: &str) -> Result<&'a str, Reply> {
    state
        .config
        .mailbox(user)
        .ok_or_else(|| invalid_user(ctx, user))
}

/// The token of `Authorization: Bearer <token>`, or `""`.
pub(crate) fn bearer_token(req: &ApiRequest) -> &str {
    req.header(AUTHORIZATION)
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .unwrap_or_default()
}

/// Check `Authorization: Bearer <token>`.
fn bearer(state: &State, req: &ApiRequest, ctx: &Ctx) -> Result<IssuedToken, Reply> {
    let token = bearer_token(req);
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

/// `POST /v1.0/users/{id}/sendMail`. Checks, in order: bearer token, `Mail.Send`, content
/// type, body size, then JSON syntax, schema, sender mailbox and Graph's message rules — or,
/// in MIME mode, base64, MIME size and syntax, sender mailbox and recipients.
async fn send_mail(state: &State, req: &ApiRequest, ctx: &Ctx, user: &str) -> Reply {
    match send_mail_checked(state, req, ctx, user).await {
        Ok(reply) | Err(reply) => reply,
    }
}

async fn send_mail_checked(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    user: &str,
) -> Result<Reply, Reply> {
    let token = authorize(state, req, ctx, &[PERMISSION_MAIL_SEND])?;
    let (raw, request, original_eml) = match mail_body(req, ctx, "sendMail")? {
        MailBody::Json(raw) => {
            let mut body = raw.clone();
            state.schema.normalize(&mut body);
            if let Err(violation) = state.schema.validate(&body) {
                return Err(graph_error(
                    ctx,
                    StatusCode::BAD_REQUEST,
                    "RequestBodyRead",
                    &violation.message(),
                ));
            }
            mailbox(state, ctx, user)?;
            let request = check_send_mail(&body).map_err(|v| rule_error(ctx, &v))?;
            (raw, request, None)
        }
        MailBody::Mime(parsed) => {
            mailbox(state, ctx, user)?;
            check_mail_recipients(&parsed.mail).map_err(|v| rule_error(ctx, &v))?;
            let raw = json!({ "message": parsed.message });
            let request = SendMailRequest {
                message: parsed.message,
                mail: parsed.mail,
                save_to_sent_items: true,
            };
            (raw, request, Some(parsed.eml))
        }
    };
    let mailbox = mailbox(state, ctx, user)?;
    let mime = original_eml.is_some();
    let stored = state
        .store
        .store(
            &state.files,
            NewMessage {
                id: None,
                mailbox,
                raw_request: raw,
                request: &request,
                stored_attachments: None,
                original_eml,
                via_draft: false,
                mime,
                request_id: &ctx.request_id,
                tenant_id: &token.tenant,
                client_id: &token.client_id,
            },
        )
        .await;
    match stored {
        Ok(_) => {
            Counters::bump(&state.counters.accepted_messages);
            if mime {
                Counters::bump(&state.counters.mime_messages);
            }
            Ok(Reply::empty(StatusCode::ACCEPTED))
        }
        Err(e) => Err(storage_error(ctx, "message", &e)),
    }
}

/// `GET /v1.0/users/{id}/mailFolders/{folder}/messages`: Sent Items newest first (all of
/// them unless `$top` is given); other well-known folders are empty.
fn list_folder(state: &State, req: &ApiRequest, ctx: &Ctx, user: &str, folder: &str) -> Reply {
    match bearer(state, req, ctx) {
        Err(reply) => return reply,
        Ok(token) if !own_mailbox(req, &token) => return access_denied(ctx),
        Ok(token) => {
            if let Err(reply) = check_access_policy(state, req, ctx, &token) {
                return reply;
            }
        }
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
