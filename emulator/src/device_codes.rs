//! Device codes of the device authorization grant: issuing them, what polling answers
//! ([`DeviceCodeBehaviour`]), and approval by a test ([`crate::Emulator::approve_device_code`])
//! or the `/devicelogin` page.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::scopes::DelegatedScopes;

/// Characters of user codes: upper-case letters and digits without the look-alikes.
const USER_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Length of a user code (Entra's are nine characters).
const USER_CODE_LEN: usize = 9;
/// Purge finished and expired codes once this many are stored.
const SOFT_LIMIT: usize = 10_000;

/// What happens to a device code while the client polls the token endpoint, unless a test
/// approves it first with [`crate::Emulator::approve_device_code`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DeviceCodeBehaviour {
    /// Codes stay pending (`authorization_pending`) until approved by
    /// [`crate::Emulator::approve_device_code`] or on the `/devicelogin` page.
    #[default]
    Manual,
    /// The first `polls` polls answer `authorization_pending`; the next one signs `user` in.
    ApproveAfterPolls {
        /// Pending answers before the approval.
        polls: u32,
        /// The user who signs in (must be registered with `with_user`).
        user: String,
    },
    /// The user declines: the first poll answers `authorization_declined`.
    Decline,
    /// The code expires: the first poll answers `expired_token`.
    Expire,
    /// The first poll answers `slow_down`; the next one signs the first registered user in
    /// (or stays pending if there is none).
    SlowDownOnce,
}

/// What a poll found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PollOutcome {
    /// Not approved yet.
    Pending,
    /// Polling too fast (RFC 8628).
    SlowDown,
    /// The user declined.
    Declined,
    /// The code's lifetime is over.
    Expired,
    /// Approved: the token can be issued (the code is now redeemed).
    Approved(Approval),
    /// The code was already exchanged for a token.
    AlreadyRedeemed,
    /// No such code for this client.
    Unknown,
}

/// An approved code's grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Approval {
    pub(crate) user: String,
    pub(crate) tenant: String,
    pub(crate) scopes: DelegatedScopes,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Status {
    Pending,
    Approved(String),
    Declined,
    Redeemed,
}

struct Entry {
    user_code: String,
    client_id: String,
    tenant: String,
    scopes: DelegatedScopes,
    expires_at: Instant,
    polls: u32,
    slowed_down: bool,
    status: Status,
    behaviour: DeviceCodeBehaviour,
    /// Who [`DeviceCodeBehaviour::SlowDownOnce`] signs in.
    first_user: Option<String>,
}

/// A new device code.
pub(crate) struct NewDeviceCode {
    pub(crate) device_code: String,
    pub(crate) user_code: String,
}

/// The device codes of one emulator, by device code.
#[derive(Default)]
pub(crate) struct DeviceCodeStore {
    codes: Mutex<HashMap<String, Entry>>,
}

impl DeviceCodeStore {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.codes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issue a code for `client_id` in `tenant`.
    pub(crate) fn create(
        &self,
        client_id: &str,
        tenant: &str,
        scopes: DelegatedScopes,
        lifetime: Duration,
        behaviour: &DeviceCodeBehaviour,
        first_user: Option<&str>,
    ) -> NewDeviceCode {
        let now = Instant::now();
        let mut codes = self.lock();
        if codes.len() >= SOFT_LIMIT {
            codes.retain(|_, e| e.expires_at > now && e.status != Status::Redeemed);
        }
        let device_code = format!("DAQABIQEAAAD{}", crate::random::access_token());
        let user_code = loop {
            let candidate = user_code();
            if !codes.values().any(|e| e.user_code == candidate) {
                break candidate;
            }
        };
        codes.insert(
            device_code.clone(),
            Entry {
                user_code: user_code.clone(),
                client_id: client_id.to_string(),
                tenant: tenant.to_string(),
                scopes,
                expires_at: now + lifetime,
                polls: 0,
                slowed_down: false,
                status: Status::Pending,
                behaviour: behaviour.clone(),
                first_user: first_user.map(str::to_string),
            },
        );
        NewDeviceCode {
            device_code,
            user_code,
        }
    }

    /// One poll of `device_code` by `client_id`.
    pub(crate) fn poll(&self, device_code: &str, client_id: &str) -> PollOutcome {
        let now = Instant::now();
        let mut codes = self.lock();
        let Some(entry) = codes
            .get_mut(device_code)
            .filter(|e| e.client_id.eq_ignore_ascii_case(client_id))
        else {
            return PollOutcome::Unknown;
        };
        let earlier_polls = entry.polls;
        entry.polls = entry.polls.saturating_add(1);
        if entry.status == Status::Redeemed {
            return PollOutcome::AlreadyRedeemed;
        }
        if now >= entry.expires_at {
            return PollOutcome::Expired;
        }
        if entry.status == Status::Pending {
            match &entry.behaviour {
                DeviceCodeBehaviour::Manual => {}
                DeviceCodeBehaviour::ApproveAfterPolls { polls, user } => {
                    if earlier_polls >= *polls {
                        entry.status = Status::Approved(user.clone());
                    }
                }
                DeviceCodeBehaviour::Decline => entry.status = Status::Declined,
                DeviceCodeBehaviour::Expire => {
                    entry.expires_at = now;
                    return PollOutcome::Expired;
                }
                DeviceCodeBehaviour::SlowDownOnce => {
                    if !entry.slowed_down {
                        entry.slowed_down = true;
                        return PollOutcome::SlowDown;
                    }
                    if let Some(user) = &entry.first_user {
                        entry.status = Status::Approved(user.clone());
                    }
                }
            }
        }
        match &entry.status {
            Status::Pending => PollOutcome::Pending,
            Status::Declined => PollOutcome::Declined,
            Status::Redeemed => PollOutcome::AlreadyRedeemed,
            Status::Approved(user) => {
                let approval = Approval {
                    user: user.clone(),
                    tenant: entry.tenant.clone(),
                    scopes: entry.scopes.clone(),
                };
                entry.status = Status::Redeemed;
                PollOutcome::Approved(approval)
            }
        }
    }

    /// Approve the pending, unexpired code `user_code` (case-insensitive, dashes and spaces
    /// ignored) for `user`. Returns whether such a code was found.
    pub(crate) fn approve(&self, user_code: &str, user: &str) -> bool {
        self.decide(user_code, Status::Approved(user.to_string()))
    }

    /// Decline the pending, unexpired code `user_code`.
    pub(crate) fn decline(&self, user_code: &str) -> bool {
        self.decide(user_code, Status::Declined)
    }

    fn decide(&self, user_code: &str, status: Status) -> bool {
        let wanted: String = user_code
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .collect::<String>()
            .to_ascii_uppercase();
        let now = Instant::now();
        let mut codes = self.lock();
        match codes
            .values_mut()
            .find(|e| e.user_code == wanted && e.status == Status::Pending && now < e.expires_at)
        {
            Some(entry) => {
                entry.status = status;
                true
            }
            None => false,
        }
    }

    /// User codes of pending, unexpired codes, oldest first.
    pub(crate) fn pending_user_codes(&self) -> Vec<String> {
        let now = Instant::now();
        let codes = self.lock();
        let mut pending: Vec<(Instant, String)> = codes
            .values()
            .filter(|e| e.status == Status::Pending && now < e.expires_at)
            .map(|e| (e.expires_at, e.user_code.clone()))
            .collect();
        pending.sort();
        pending.into_iter().map(|(_, code)| code).collect()
    }
}

/// A random user code.
fn user_code() -> String {
    crate::random::bytes::<USER_CODE_LEN>()
        .iter()
        .map(|b| char::from(USER_CODE_ALPHABET[usize::from(*b) % USER_CODE_ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn scopes() -> DelegatedScopes {
        DelegatedScopes::parse("Mail.Send", &[]).expect("scopes")
    }

    fn create(store: &DeviceCodeStore, behaviour: DeviceCodeBehaviour) -> NewDeviceCode {
        store.create("c", "t", scopes(), MINUTE, &behaviour, Some("first@x.test"))
    }

    fn approved(user: &str) -> PollOutcome {
        PollOutcome::Approved(Approval {
            user: user.into(),
            tenant: "t".into(),
            scopes: scopes(),
        })
    }

    #[test]
    fn manual_approval() {
        let store = DeviceCodeStore::default();
        let code = create(&store, DeviceCodeBehaviour::Manual);
        assert_eq!(code.user_code.len(), 9);
        assert_eq!(store.poll(&code.device_code, "other"), PollOutcome::Unknown);
        assert_eq!(store.poll("nope", "c"), PollOutcome::Unknown);
        assert_eq!(store.poll(&code.device_code, "C"), PollOutcome::Pending);
        assert_eq!(store.pending_user_codes(), vec![code.user_code.clone()]);
        assert!(!store.approve("WRONGCODE", "u"));
        let typed = format!(
            "{}-{}",
            &code.user_code[..4],
            code.user_code[4..].to_lowercase()
        );
        assert!(store.approve(&typed, "u@x.test"));
        assert!(
            !store.approve(&code.user_code, "u@x.test"),
            "no longer pending"
        );
        assert!(store.pending_user_codes().is_empty());
        assert_eq!(store.poll(&code.device_code, "c"), approved("u@x.test"));
        assert_eq!(
            store.poll(&code.device_code, "c"),
            PollOutcome::AlreadyRedeemed
        );
    }

    #[test]
    fn behaviours() {
        let store = DeviceCodeStore::default();
        let after = create(
            &store,
            DeviceCodeBehaviour::ApproveAfterPolls {
                polls: 2,
                user: "u@x.test".into(),
            },
        );
        assert_eq!(store.poll(&after.device_code, "c"), PollOutcome::Pending);
        assert_eq!(store.poll(&after.device_code, "c"), PollOutcome::Pending);
        assert_eq!(store.poll(&after.device_code, "c"), approved("u@x.test"));

        let decline = create(&store, DeviceCodeBehaviour::Decline);
        assert_eq!(store.poll(&decline.device_code, "c"), PollOutcome::Declined);
        assert_eq!(store.poll(&decline.device_code, "c"), PollOutcome::Declined);

        let expire = create(&store, DeviceCodeBehaviour::Expire);
        assert_eq!(store.poll(&expire.device_code, "c"), PollOutcome::Expired);
        assert!(!store.approve(&expire.user_code, "u"));

        let slow = create(&store, DeviceCodeBehaviour::SlowDownOnce);
        assert_eq!(store.poll(&slow.device_code, "c"), PollOutcome::SlowDown);
        assert_eq!(store.poll(&slow.device_code, "c"), approved("first@x.test"));

        // An explicit approval wins over the behaviour.
        let declined_later = create(&store, DeviceCodeBehaviour::Decline);
        assert!(store.approve(&declined_later.user_code, "v@x.test"));
        assert_eq!(
            store.poll(&declined_later.device_code, "c"),
            approved("v@x.test")
        );

        let manual = create(&store, DeviceCodeBehaviour::Manual);
        assert!(store.decline(&manual.user_code));
        assert_eq!(store.poll(&manual.device_code, "c"), PollOutcome::Declined);
    }

    #[test]
    fn lifetime() {
        let store = DeviceCodeStore::default();
        let code = store.create(
            "c",
            "t",
            scopes(),
            Duration::ZERO,
            &DeviceCodeBehaviour::Manual,
            None,
        );
        assert_eq!(store.poll(&code.device_code, "c"), PollOutcome::Expired);
        assert!(store.pending_user_codes().is_empty());
    }
}
