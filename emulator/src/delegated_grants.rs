//! The delegated grants of the token endpoint: polling a device code
//! (`urn:ietf:params:oauth:grant-type:device_code`) and redeeming a refresh token. Both issue
//! delegated tokens for a signed-in user; a refresh token comes with `offline_access` and is
//! rotated on every redemption.
//!
//! Error codes: `authorization_pending` AADSTS70016, `slow_down` (RFC 8628; Entra documents no
//! code, AADSTS70016 is reused), `authorization_declined` AADSTS65004 (UserDeclinedConsent),
//! `expired_token` AADSTS70019, `bad_verification_code` AADSTS70018 (unknown device code, or
//! one issued to another client), `invalid_grant` AADSTS54005 (code already redeemed),
//! AADSTS65001 (a Graph permission the app has no consent for), and for refresh tokens
//! `invalid_grant` AADSTS9002313 (unknown), AADSTS70000 (rotated or of another client),
//! AADSTS700082 (expired), AADSTS50173 (revoked).

use serde_json::json;

use crate::aad_error::{missing_parameter, token_reply, AadError};
use crate::client_auth;
use crate::config::AppRegistration;
use crate::device_codes::PollOutcome;
use crate::http::{printable, ApiRequest, Ctx, FormParams, Reply};
use crate::refresh_tokens::{RedeemError, RefreshGrant};
use crate::scopes::{response_scope, DelegatedScopes};
use crate::server::State;
use crate::token::IssuedToken;

/// The device code grant type.
pub(crate) const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// `grant_type=urn:ietf:params:oauth:grant-type:device_code`: one poll.
pub(crate) fn device_code(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    tenant: &str,
    form: &FormParams,
) -> Result<Reply, AadError> {
    let app = client_auth::authenticate(state, req, ctx, tenant, form, true)?;
    let device_code = form
        .get("device_code")
        .ok_or_else(|| missing_parameter("device_code"))?;
    match state.device_codes.poll(device_code, &app.client_id) {
        PollOutcome::Approved(approval) => issue(
            state,
            app,
            &approval.tenant,
            &approval.user,
            &approval.scopes,
            approval.scopes.offline_access.then_some(&approval.scopes),
        ),
        PollOutcome::Pending => Err(AadError::bad_request(
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )),
        PollOutcome::SlowDown => Err(AadError::bad_request(
            "slow_down",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending, and the client polls too \
             often: add 5 seconds to the polling interval.",
        )),
        PollOutcome::Declined => Err(AadError::bad_request(
            "authorization_declined",
            65004,
            "User declined to consent to access the app.",
        )),
        PollOutcome::Expired => Err(AadError::bad_request(
            "expired_token",
            70019,
            "Verification code expired.",
        )),
        PollOutcome::AlreadyRedeemed => Err(AadError::bad_request(
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code \
             or use an existing refresh token.",
        )),
        PollOutcome::Unknown => Err(AadError::bad_request(
            "bad_verification_code",
            70018,
            "The provided value for the input parameter 'device_code' is not valid: the device \
             code was not recognized.",
        )),
    }
}

/// `grant_type=refresh_token`: a new access token and a new refresh token; the redeemed one is
/// retired.
pub(crate) fn refresh_token(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    tenant: &str,
    form: &FormParams,
) -> Result<Reply, AadError> {
    let app = client_auth::authenticate(state, req, ctx, tenant, form, true)?;
    let token = form
        .get("refresh_token")
        .ok_or_else(|| missing_parameter("refresh_token"))?;
    let grant = state
        .refresh_tokens
        .check(token, &app.client_id)
        .map_err(|e| refresh_error(ctx, e))?;
    // An optional `scope` chooses the access token's permissions (consent permitting); the new
    // refresh token keeps the original sign-in's scopes.
    let scopes = match form.get("scope") {
        None => grant.scopes.clone(),
        Some(scope) => DelegatedScopes::parse(scope, &own_origins(state, ctx))
            .map_err(|bad| invalid_scope(&bad))?,
    };
    let reply = issue(
        state,
        app,
        &grant.tenant,
        &grant.user,
        &scopes,
        Some(&grant.scopes),
    )?;
    state.refresh_tokens.retire(token);
    Ok(reply)
}

fn refresh_error(ctx: &Ctx, error: RedeemError) -> AadError {
    let grant = |code: u32, text: String| AadError::bad_request("invalid_grant", code, text);
    match error {
        RedeemError::Unknown => grant(
            9002313,
            "Invalid request. Request is malformed or invalid: the refresh token was not \
             recognized."
                .into(),
        ),
        RedeemError::OtherClient => grant(
            70000,
            "Provided grant is invalid or malformed: the refresh token was issued to a \
             different client."
                .into(),
        ),
        RedeemError::Rotated => grant(
            70000,
            "Provided grant is invalid or malformed: the refresh token was already redeemed. \
             The emulator rotates refresh tokens; use the one of the latest token response."
                .into(),
        ),
        RedeemError::Expired(age) => {
            let issued = ctx.now - time::Duration::seconds(i64::try_from(age).unwrap_or(0));
            grant(
                700082,
                format!(
                    "The refresh token has expired due to inactivity. The token was issued on \
                     {} and was inactive for {age} seconds.",
                    crate::timefmt::aad_instant(issued.unix_timestamp())
                ),
            )
        }
        RedeemError::Revoked => grant(
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is \
             needed. The user might have changed or reset their password."
                .into(),
        ),
    }
}

/// `400 invalid_scope` AADSTS70011 for scope `bad`.
pub(crate) fn invalid_scope(bad: &str) -> AadError {
    AadError::bad_request(
        "invalid_scope",
        70011,
        format!(
            "The provided value for the input parameter 'scope' is not valid. The scope {} is \
             not valid.",
            printable(bad)
        ),
    )
}

/// The emulator's own origins, accepted as a Graph resource prefix in scopes.
pub(crate) fn own_origins<'a>(state: &'a State, ctx: &'a Ctx) -> [&'a str; 2] {
    [state.base_url.as_str(), ctx.origin.as_str()]
}

/// Issue a delegated access token for `user` after checking consent for the requested Graph
/// permissions, and a refresh token for `refresh` scopes if given.
fn issue(
    state: &State,
    app: &AppRegistration,
    tenant: &str,
    user: &str,
    scopes: &DelegatedScopes,
    refresh: Option<&DelegatedScopes>,
) -> Result<Reply, AadError> {
    let granted = scopes.granted(app).map_err(|missing| {
        AadError::bad_request(
            "invalid_grant",
            65001,
            format!(
                "The user or administrator has not consented to use the application with ID \
                 '{id}' named '{id}'. Send an interactive authorization request for this user \
                 and resource. (Delegated permission without consent: {missing}.)",
                id = app.client_id
            ),
        )
    })?;
    let lifetime = state.config.token_lifetime;
    let access_token = state.tokens.issue(IssuedToken::delegated(
        tenant,
        &app.client_id,
        user,
        &granted,
        lifetime,
    ));
    let mut body = json!({
        "token_type": "Bearer",
        "scope": response_scope(&granted, scopes),
        "expires_in": lifetime.as_secs(),
        "ext_expires_in": lifetime.as_secs(),
        "access_token": access_token,
    });
    if let Some(refresh_scopes) = refresh {
        let refresh_token = state.refresh_tokens.issue(
            RefreshGrant {
                client_id: app.client_id.clone(),
                tenant: tenant.to_string(),
                user: user.to_string(),
                scopes: refresh_scopes.clone(),
            },
            state.config.refresh_token_lifetime,
        );
        body["refresh_token"] = refresh_token.into();
    }
    Ok(token_reply(&body))
}
