//! Replies of the emulated identity platform: its error shape (`error`, `error_description`
//! as `AADSTSnnnn: text\r\nTrace ID: ..\r\nCorrelation ID: ..\r\nTimestamp: ..`,
//! `error_codes`, `timestamp`, `trace_id`, `correlation_id`, `error_uri`) and token responses.

use hyper::header::{HeaderValue, CACHE_CONTROL, PRAGMA};
use hyper::StatusCode;
use serde_json::{json, Value};

use crate::http::{printable, Ctx, Reply};

/// `Cache-Control` of token endpoint responses.
pub(crate) const NO_STORE: &str = "no-store, no-cache";

/// An identity platform error: HTTP status, OAuth `error`, AADSTS code and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AadError {
    pub(crate) status: StatusCode,
    pub(crate) error: &'static str,
    pub(crate) code: u32,
    pub(crate) text: String,
}

impl AadError {
    /// `401 invalid_client` (client authentication failed).
    pub(crate) fn invalid_client(code: u32, text: impl Into<String>) -> AadError {
        AadError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            code,
            text: text.into(),
        }
    }

    /// `400` with the given OAuth `error`.
    pub(crate) fn bad_request(error: &'static str, code: u32, text: impl Into<String>) -> AadError {
        AadError {
            status: StatusCode::BAD_REQUEST,
            error,
            code,
            text: text.into(),
        }
    }

    /// The reply.
    pub(crate) fn reply(&self, ctx: &Ctx) -> Reply {
        aad_error(ctx, self.status, self.error, self.code, &self.text)
    }
}

/// An identity-platform error reply.
pub(crate) fn aad_error(
    ctx: &Ctx,
    status: StatusCode,
    error: &str,
    code: u32,
    text: &str,
) -> Reply {
    let trace_id = ctx.request_id.as_str();
    let correlation_id = if uuid::Uuid::parse_str(&ctx.client_request_id).is_ok() {
        ctx.client_request_id.clone()
    } else {
        crate::random::uuid()
    };
    let timestamp = crate::timefmt::aad_timestamp(ctx.now);
    let description = format!(
        "AADSTS{code}: {text}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}"
    );
    Reply::json(
        status,
        &json!({
            "error": error,
            "error_description": description,
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    )
    .with_header(CACHE_CONTROL, HeaderValue::from_static(NO_STORE))
}

/// `400 invalid_request` AADSTS90002 for an unknown tenant.
pub(crate) fn tenant_not_found(ctx: &Ctx, tenant: &str) -> Reply {
    aad_error(
        ctx,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        90002,
        &format!(
            "Tenant '{}' not found. Check to make sure you have the correct tenant ID and are \
             signing into the correct cloud. Check with your subscription administrator, this \
             may happen if there are no active subscriptions for the tenant.",
            printable(tenant)
        ),
    )
}

/// `400 invalid_request` AADSTS900144 for a missing form parameter.
pub(crate) fn missing_parameter(name: &str) -> AadError {
    AadError::bad_request(
        "invalid_request",
        900144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

/// A `200` token response (`Cache-Control: no-store`).
pub(crate) fn token_reply(body: &Value) -> Reply {
    Reply::json(StatusCode::OK, body)
        .with_header(CACHE_CONTROL, HeaderValue::from_static(NO_STORE))
        .with_header(PRAGMA, HeaderValue::from_static("no-cache"))
}
