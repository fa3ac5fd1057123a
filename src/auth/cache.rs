//! [`TokenCache`]: one token per credential, reused until 5 minutes before it expires; when it
//! must be refreshed, concurrent callers wait for one refresh instead of each starting one.

use std::time::Duration;

use tokio::sync::Mutex;

use crate::auth::{AccessToken, Credential, TokenRequest};
use crate::error::Result;

/// A token is refreshed when less than this is left (as the Azure identity libraries do).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Caches the token of one credential.
#[derive(Debug, Default)]
pub struct TokenCache {
    slot: Mutex<Option<AccessToken>>,
}

impl TokenCache {
    /// An empty cache.
    pub fn new() -> Self {
        TokenCache::default()
    }

    /// Returns the cached token if it has more than [`REFRESH_MARGIN`] left; otherwise fetches a
    /// new one. The lock is held while fetching, so only one fetch runs at a time and waiting
    /// callers get its result.
    pub async fn get(
        &self,
        credential: &dyn Credential,
        request: TokenRequest<'_>,
    ) -> Result<AccessToken> {
        let mut slot = self.slot.lock().await;
        if let Some(token) = slot.as_ref() {
            if token.remaining() > REFRESH_MARGIN {
                return Ok(token.clone());
            }
        }
        let token = credential.fetch_token(request).await?;
        *slot = Some(token.clone());
        Ok(token)
    }

    /// Forgets `rejected` (a token Graph refused with 401) so the next [`TokenCache::get`]
    /// fetches a new one; a newer token another task already fetched is kept.
    pub async fn invalidate(&self, rejected: &AccessToken) {
        let mut slot = self.slot.lock().await;
        if slot
            .as_ref()
            .is_some_and(|t| t.token.expose() == rejected.token.expose())
        {
            *slot = None;
        }
    }

    /// Forgets the cached token (e.g. after Graph rejected it).
    pub async fn clear(&self) {
        *self.slot.lock().await = None;
    }
}
