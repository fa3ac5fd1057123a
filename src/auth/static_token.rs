//! [`AccessTokenCredential`]: a token acquired elsewhere (e.g. `Get-AzAccessToken`), used as is
//! until it expires. Its `exp` claim is read (never trusted for anything else) to know when.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;

use crate::auth::{AccessToken, BoxFuture, Credential, TokenRequest};
use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;

/// A pre-acquired access token.
#[derive(Debug)]
pub struct AccessTokenCredential {
    token: Secret,
    expires_on: SystemTime,
}

/// The `exp` claim of a JWT, if the token is one.
fn jwt_expiry(token: &str) -> Option<SystemTime> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(claims.get("exp")?.as_u64()?))
}

impl AccessTokenCredential {
    /// Uses `token`; its expiry is read from a JWT `exp` claim, else assumed an hour away.
    pub fn new(token: Secret) -> Self {
        let expires_on = jwt_expiry(token.expose())
            .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(3600));
        AccessTokenCredential { token, expires_on }
    }
}

impl Credential for AccessTokenCredential {
    fn fetch_token<'a>(&'a self, _request: TokenRequest<'a>) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(async move {
            if self.expires_on <= SystemTime::now() {
                return Err(Error::new(
                    ErrorCode::AuthenticationFailed,
                    "The access token given (accessToken) has expired: acquire a new one, or configure a credential GraphMail can refresh itself.",
                )
                .with_field("accessToken"));
            }
            Ok(AccessToken {
                token: self.token.clone(),
                expires_on: self.expires_on,
                token_type: "Bearer".to_string(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_read_from_a_jwt() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let jwt = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"none"}"#),
            b64(r#"{"exp":2000000000}"#)
        );
        assert_eq!(
            jwt_expiry(&jwt),
            Some(UNIX_EPOCH + Duration::from_secs(2_000_000_000))
        );
        assert_eq!(jwt_expiry("opaque-token"), None);
    }
}
