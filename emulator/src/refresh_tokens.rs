//! Refresh tokens of delegated sign-ins. The emulator rotates them: redeeming one issues a new
//! one and retires the old (stricter than Entra, which keeps old ones valid, so clients are
//! tested for storing the newest).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::scopes::DelegatedScopes;

/// Purge expired and retired tokens once this many are stored.
const SOFT_LIMIT: usize = 10_000;

/// What a refresh token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RefreshGrant {
    pub(crate) client_id: String,
    pub(crate) tenant: String,
    pub(crate) user: String,
    /// The scopes of the original sign-in.
    pub(crate) scopes: DelegatedScopes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Active,
    /// Redeemed for a newer token.
    Rotated,
    /// Revoked by a test ([`crate::Emulator::revoke_refresh_tokens`]).
    Revoked,
}

struct Entry {
    grant: RefreshGrant,
    issued: Instant,
    expires_at: Instant,
    status: Status,
}

/// Why a refresh token cannot be redeemed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RedeemError {
    /// Never issued by this emulator.
    Unknown,
    /// Issued to another client.
    OtherClient,
    /// Already redeemed for a newer refresh token.
    Rotated,
    /// Past its lifetime; the seconds since it was issued.
    Expired(u64),
    /// Revoked.
    Revoked,
}

/// The refresh tokens of one emulator.
#[derive(Default)]
pub(crate) struct RefreshTokenStore {
    tokens: Mutex<HashMap<String, Entry>>,
}

impl RefreshTokenStore {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issue a refresh token for `grant`.
    pub(crate) fn issue(&self, grant: RefreshGrant, lifetime: Duration) -> String {
        let token = format!("1.AQ{}", crate::random::access_token());
        let now = Instant::now();
        let mut tokens = self.lock();
        if tokens.len() >= SOFT_LIMIT {
            tokens.retain(|_, e| e.expires_at > now && e.status == Status::Active);
        }
        tokens.insert(
            token.clone(),
            Entry {
                grant,
                issued: now,
                expires_at: now + lifetime,
                status: Status::Active,
            },
        );
        token
    }

    /// Check `token` for `client_id` without using it up.
    pub(crate) fn check(&self, token: &str, client_id: &str) -> Result<RefreshGrant, RedeemError> {
        let now = Instant::now();
        let tokens = self.lock();
        let entry = tokens.get(token).ok_or(RedeemError::Unknown)?;
        if !entry.grant.client_id.eq_ignore_ascii_case(client_id) {
            return Err(RedeemError::OtherClient);
        }
        match entry.status {
            Status::Rotated => return Err(RedeemError::Rotated),
            Status::Revoked => return Err(RedeemError::Revoked),
            Status::Active => {}
        }
        if now >= entry.expires_at {
            return Err(RedeemError::Expired(
                now.duration_since(entry.issued).as_secs(),
            ));
        }
        Ok(entry.grant.clone())
    }

    /// Retire `token` after a successful redemption.
    pub(crate) fn retire(&self, token: &str) {
        if let Some(entry) = self.lock().get_mut(token) {
            if entry.status == Status::Active {
                entry.status = Status::Rotated;
            }
        }
    }

    /// Revoke every active refresh token of `user` (case-insensitive); returns how many.
    pub(crate) fn revoke_user(&self, user: &str) -> usize {
        let mut revoked = 0;
        for entry in self.lock().values_mut() {
            if entry.status == Status::Active && entry.grant.user.eq_ignore_ascii_case(user) {
                entry.status = Status::Revoked;
                revoked += 1;
            }
        }
        revoked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> RefreshGrant {
        RefreshGrant {
            client_id: "c".into(),
            tenant: "t".into(),
            user: "u@x.test".into(),
            scopes: DelegatedScopes::parse("Mail.Send offline_access", &[]).expect("scopes"),
        }
    }

    #[test]
    fn rotation_and_revocation() {
        let store = RefreshTokenStore::default();
        let a = store.issue(grant(), Duration::from_secs(60));
        assert_eq!(store.check(&a, "C"), Ok(grant()));
        assert_eq!(store.check(&a, "other"), Err(RedeemError::OtherClient));
        assert_eq!(store.check("nope", "c"), Err(RedeemError::Unknown));
        store.retire(&a);
        assert_eq!(store.check(&a, "c"), Err(RedeemError::Rotated));
        let b = store.issue(grant(), Duration::from_secs(60));
        assert_eq!(store.revoke_user("U@X.TEST"), 1);
        assert_eq!(store.check(&b, "c"), Err(RedeemError::Revoked));
        let c = store.issue(grant(), Duration::ZERO);
        assert!(matches!(store.check(&c, "c"), Err(RedeemError::Expired(_))));
    }
}
