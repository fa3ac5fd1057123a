//! Client authentication at the token endpoint: `client_id` with a client secret (form body or
//! HTTP Basic), a client assertion (certificate or federated, see [`crate::assertions`]), or
//! nothing for public clients in public client flows. A submitted secret or assertion never
//! appears in a response, log line or file.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hyper::header::AUTHORIZATION;

use crate::aad_error::{missing_parameter, AadError};
use crate::assertions;
use crate::config::AppRegistration;
use crate::http::{percent_decode, printable, ApiRequest, Ctx, FormParams};
use crate::jwt::CLIENT_ASSERTION_TYPE;
use crate::server::State;

/// Authenticate the client of a token request to `tenant`; returns its app registration.
/// `public_flow`: the grant (device code, refresh token) may be used without a credential by
/// apps that allow public client flows.
pub(crate) fn authenticate<'a>(
    state: &'a State,
    req: &ApiRequest,
    ctx: &Ctx,
    tenant: &str,
    form: &FormParams,
    public_flow: bool,
) -> Result<&'a AppRegistration, AadError> {
    // HTTP Basic (RFC 6749 section 2.3.1: form-encoded id and secret) or the form body.
    let basic = basic_credentials(req).map_err(|()| {
        AadError::invalid_client(
            9002313,
            "Invalid request. Request is malformed or invalid. The Authorization header is not \
             valid Basic authentication.",
        )
    })?;
    let client_id = match (&basic, form.get("client_id")) {
        (Some((basic_id, _)), Some(body_id)) if !basic_id.eq_ignore_ascii_case(body_id) => {
            return Err(AadError::invalid_client(
                9002313,
                "Invalid request. Request is malformed or invalid. The client_id in the \
                 Authorization header does not match the client_id in the request body.",
            ))
        }
        (Some((basic_id, _)), _) => basic_id.clone(),
        (None, Some(body_id)) => body_id.to_string(),
        (None, None) => return Err(missing_parameter("client_id")),
    };
    let Some(app) = state.config.app(&client_id) else {
        return Err(AadError::bad_request(
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{}' was not found in the directory '{}'. This can \
                 happen if the application has not been installed by the administrator of the \
                 tenant or consented to by any user in the tenant. You may have sent your \
                 authentication request to the wrong tenant.",
                printable(&client_id),
                printable(tenant)
            ),
        ));
    };
    let secret = basic
        .as_ref()
        .map(|(_, s)| s.as_str())
        .filter(|s| !s.is_empty())
        .or_else(|| form.get("client_secret"));
    let assertion = form.get("client_assertion");

    if (secret.is_some() || assertion.is_some()) && public_flow && app.has_no_credential() {
        return Err(AadError::invalid_client(
            700025,
            "Client is public so neither 'client_assertion' nor 'client_secret' should be \
             presented.",
        ));
    }
    match (secret, assertion) {
        (Some(_), Some(_)) => {
            return Err(AadError::bad_request(
                "invalid_request",
                90023,
                "Invalid request: present either 'client_secret' or 'client_assertion', not both.",
            ))
        }
        (None, None) if public_flow && app.public_client => {}
        (None, None) => {
            return Err(AadError::invalid_client(
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or \
                 'client_secret'.",
            ))
        }
        (Some(secret), None) => {
            if !app.has_secret()
                || !constant_time_eq(secret.as_bytes(), app.client_secret.as_bytes())
            {
                return Err(AadError::invalid_client(
                    7000215,
                    format!(
                        "Invalid client secret provided. Ensure the secret being sent in the \
                         request is the client secret value, not the client secret ID, for a \
                         secret added to app '{}'.",
                        app.client_id
                    ),
                ));
            }
        }
        (None, Some(assertion)) => {
            match form.get("client_assertion_type") {
                None => return Err(missing_parameter("client_assertion_type")),
                Some(CLIENT_ASSERTION_TYPE) => {}
                Some(other) => {
                    return Err(AadError::bad_request(
                        "invalid_request",
                        90023,
                        format!(
                            "Invalid request: the client_assertion_type '{}' is not supported; \
                             use '{CLIENT_ASSERTION_TYPE}'.",
                            printable(other)
                        ),
                    ))
                }
            }
            assertions::validate(state, ctx, tenant, app, assertion)?;
        }
    }
    Ok(app)
}

/// `Authorization: Basic` credentials: `Ok(None)` without such a header, `Err` if malformed.
fn basic_credentials(req: &ApiRequest) -> Result<Option<(String, String)>, ()> {
    let Some(value) = req.header(AUTHORIZATION) else {
        return Ok(None);
    };
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| ())?;
    let text = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = text.split_once(':').ok_or(())?;
    Ok(Some((
        percent_decode(id, true),
        percent_decode(secret, true),
    )))
}

/// Compare secrets without an early exit on the first differing byte.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }
}
