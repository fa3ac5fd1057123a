//! Device authorization routes: `POST /{tenant}/oauth2/v2.0/devicecode` (a client starts a
//! device code sign-in) and the `/devicelogin` page where a person can approve or decline a
//! code by hand (tests use [`crate::Emulator::approve_device_code`] or a
//! [`crate::DeviceCodeBehaviour`] instead).

use hyper::header::HeaderValue;
use hyper::{Method, StatusCode};
use serde_json::json;

use crate::aad_error::{missing_parameter, AadError};
use crate::delegated_grants::{invalid_scope, own_origins};
use crate::http::{printable, ApiRequest, Ctx, FormParams, Reply};
use crate::scopes::DelegatedScopes;
use crate::server::State;
use crate::stats::Counters;
use crate::token::{reject_non_post, reject_oversized_or_unknown_tenant, token_tenant};

/// `POST /{tenant}/oauth2/v2.0/devicecode` with `client_id` and `scope`.
pub(crate) fn device_authorization(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    tenant: &str,
) -> Reply {
    if let Some(reply) = reject_non_post(req, ctx) {
        return reply;
    }
    Counters::bump(&state.counters.device_code_requests);
    if let Some(reply) = reject_oversized_or_unknown_tenant(state, req, ctx, tenant) {
        return reply;
    }
    start(state, req, ctx, tenant).unwrap_or_else(|e| e.reply(ctx))
}

fn start(state: &State, req: &ApiRequest, ctx: &Ctx, tenant: &str) -> Result<Reply, AadError> {
    let form = FormParams::parse(req.body.bytes());
    let client_id = form
        .get("client_id")
        .ok_or_else(|| missing_parameter("client_id"))?;
    let Some(app) = state.config.app(client_id) else {
        return Err(AadError::bad_request(
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{}' was not found in the directory '{}'. This can \
                 happen if the application has not been installed by the administrator of the \
                 tenant or consented to by any user in the tenant. You may have sent your \
                 authentication request to the wrong tenant.",
                printable(client_id),
                printable(tenant)
            ),
        ));
    };
    let scope = form
        .get("scope")
        .ok_or_else(|| missing_parameter("scope"))?;
    let scopes = DelegatedScopes::parse(scope, &own_origins(state, ctx))
        .map_err(|bad| invalid_scope(&bad))?;
    let config = &state.config;
    let code = state.device_codes.create(
        &app.client_id,
        &token_tenant(state, tenant),
        scopes,
        config.device_code_lifetime,
        &config.device_code_behaviour,
        config.users.first().map(String::as_str),
    );
    let verification_uri = format!("{}/devicelogin", state.base_url);
    Ok(Reply::json(
        StatusCode::OK,
        &json!({
            "user_code": code.user_code,
            "device_code": code.device_code,
            "verification_uri": verification_uri,
            "expires_in": config.device_code_lifetime.as_secs(),
            "interval": config.device_code_interval,
            "message": format!(
                "To sign in, use a web browser to open the page {verification_uri} and enter \
                 the code {} to authenticate.",
                code.user_code
            ),
        }),
    )
    .with_header(
        hyper::header::CACHE_CONTROL,
        HeaderValue::from_static(crate::aad_error::NO_STORE),
    ))
}

/// `GET /devicelogin`: a form to approve a code; `POST /devicelogin` (form `user_code`,
/// `upn` (default: the first user), optional `action=decline`) approves or declines it.
pub(crate) fn device_login(state: &State, req: &ApiRequest, ctx: &Ctx) -> Reply {
    match req.method {
        Method::GET | Method::HEAD => Reply::text(
            StatusCode::OK,
            "text/html; charset=utf-8",
            login_page(state, None),
        ),
        Method::POST => {
            let form = FormParams::parse(req.body.bytes());
            let user_code = form.get("user_code").unwrap_or_default();
            let upn = form
                .get("upn")
                .or_else(|| state.config.users.first().map(String::as_str))
                .and_then(|upn| state.config.user(upn));
            let decline = form.get("action") == Some("decline");
            let (status, message) = match upn {
                None => (
                    StatusCode::BAD_REQUEST,
                    "Unknown user: register users with EmulatorConfig::with_user.".to_string(),
                ),
                Some(_) if decline && state.device_codes.decline(user_code) => (
                    StatusCode::OK,
                    "Sign-in declined. You can close this window.".to_string(),
                ),
                Some(upn) if !decline && state.device_codes.approve(user_code, upn) => (
                    StatusCode::OK,
                    format!("Signed in as {upn}. You can close this window and return to the application."),
                ),
                Some(_) => (
                    StatusCode::BAD_REQUEST,
                    "That code is not valid, has expired, or was already used.".to_string(),
                ),
            };
            Reply::text(
                status,
                "text/html; charset=utf-8",
                login_page(state, Some(&message)),
            )
        }
        _ => crate::graph::method_not_allowed(ctx, &req.method, "GET, POST"),
    }
}

/// The `/devicelogin` page.
fn login_page(state: &State, message: Option<&str>) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let users: String = state
        .config
        .users
        .iter()
        .map(|u| format!("<option>{}</option>", escape(u)))
        .collect();
    let message = message
        .map(|m| format!("<p><strong>{}</strong></p>", escape(m)))
        .unwrap_or_default();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>GraphMail emulator sign-in</title></head>\
         <body><h1>GraphMail emulator: device sign-in</h1>{message}\
         <form method=\"post\" action=\"/devicelogin\">\
         <p><label>Code <input name=\"user_code\" autofocus></label></p>\
         <p><label>User <select name=\"upn\">{users}</select></label></p>\
         <p><button name=\"action\" value=\"approve\">Sign in</button> \
         <button name=\"action\" value=\"decline\">Decline</button></p>\
         </form></body></html>"
    )
}
