//! Credentials and tokens: the [`Credential`] trait every way of authenticating implements,
//! the [`AccessToken`] it returns, the shared [`cache::TokenCache`], the identity platform's
//! token endpoint ([`token_endpoint`]), and the client-secret credential ([`client_secret`]).

pub mod cache;
pub mod certificate;
pub mod client_assertion;
pub mod client_secret;
pub mod default_chain;
pub mod device_code;
pub mod managed_identity;
pub mod signing;
pub mod static_token;
pub mod token_endpoint;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::error::Result;
use crate::secret::Secret;

/// A boxed future, so [`Credential`] can be used as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An OAuth access token and when it expires.
#[derive(Clone)]
pub struct AccessToken {
    /// The token (a bearer secret).
    pub token: Secret,
    /// When the token expires.
    pub expires_on: SystemTime,
    /// The token type (`Bearer`).
    pub token_type: String,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.token)
            .field("expires_on", &self.expires_on)
            .field("token_type", &self.token_type)
            .finish()
    }
}

impl AccessToken {
    /// Time left before expiry (zero if already expired).
    pub fn remaining(&self) -> Duration {
        self.expires_on
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    }

    /// The token as the C ABI returns it: `accessToken`, `expiresOn` (RFC 3339, UTC),
    /// `expiresOnUnix` (seconds) and `tokenType`.
    ///
    /// # Security warning
    /// The JSON holds the bearer token: hand it only to the code that needs it.
    pub fn to_json(&self) -> Value {
        let unix = unix_seconds(self.expires_on);
        let rfc3339 = rfc3339(self.expires_on);
        json!({
            "accessToken": self.token.expose(),
            "expiresOn": rfc3339,
            "expiresOnUnix": unix,
            "tokenType": self.token_type,
        })
    }

    /// What a sign-in reports, without the token: `{"status": "signedIn", "tokenType",
    /// "expiresOn", "expiresOnUnix"}`.
    pub fn sign_in_json(&self) -> Value {
        json!({
            "status": "signedIn",
            "tokenType": self.token_type,
            "expiresOn": rfc3339(self.expires_on),
            "expiresOnUnix": unix_seconds(self.expires_on),
        })
    }
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// `t` as RFC 3339 in UTC, whole seconds.
pub(crate) fn rfc3339(t: SystemTime) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds(t) as i64)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
}

/// Everything a credential needs to fetch a token.
pub struct TokenRequest<'a> {
    /// The shared HTTP client.
    pub http: &'a reqwest::Client,
    /// The scope, e.g. `https://graph.microsoft.com/.default`.
    pub scope: &'a str,
}

/// A way of getting an access token for Graph (client secret today; certificate, managed
/// identity and others implement the same trait). Implementations do not cache: the
/// [`cache::TokenCache`] in front of them does.
pub trait Credential: Send + Sync + fmt::Debug {
    /// Fetches a new token from the token service.
    fn fetch_token<'a>(&'a self, request: TokenRequest<'a>) -> BoxFuture<'a, Result<AccessToken>>;
}
