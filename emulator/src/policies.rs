//! Application access policies, as Exchange Online applies them to app-only access
//! (`New-ApplicationAccessPolicy -AppId ... -PolicyScopeGroupId ... -AccessRight
//! RestrictAccess|DenyAccess`): which mailboxes an app may use through Graph.

use serde::Deserialize;

/// What an [`AccessPolicy`] does with the mailboxes in its scope (`-AccessRight`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum AccessRight {
    /// `RestrictAccess`: the app may use the mailboxes in the scope and no others (an allow
    /// list).
    #[serde(alias = "restrictAccess", alias = "allow", alias = "Allow")]
    RestrictAccess,
    /// `DenyAccess`: the app may use every mailbox except those in the scope (a deny list).
    #[serde(alias = "denyAccess", alias = "deny", alias = "Deny")]
    DenyAccess,
}

/// One application access policy of one app: an access right and its scope.
///
/// The scope holds mailbox addresses and group addresses (a group registered with
/// [`EmulatorConfig::with_group`](crate::EmulatorConfig::with_group) stands for its members,
/// as the mail-enabled security group of `-PolicyScopeGroupId` does), compared
/// case-insensitively.
///
/// An app with policies is checked like Exchange checks it: a mailbox in the scope of one of
/// its `DenyAccess` policies is refused; otherwise, if it has `RestrictAccess` policies, the
/// mailbox must be in the scope of one of them. An app without policies may use every
/// mailbox. Policies apply to app-only tokens only (a user's delegated token is limited to
/// the user's own mailbox anyway); a refused request gets `403 ErrorAccessDenied` "Access to
/// OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessPolicy {
    /// Allow list or deny list.
    pub access_right: AccessRight,
    /// Mailbox and group addresses (`-PolicyScopeGroupId`).
    pub scope: Vec<String>,
    /// A free text (`-Description`), shown in the emulator's request log when the policy
    /// refuses a request.
    pub description: String,
}

impl AccessPolicy {
    /// A `RestrictAccess` policy: the app may use only these mailboxes (or members of these
    /// groups).
    pub fn allow<I, S>(scope: I) -> AccessPolicy
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        AccessPolicy {
            access_right: AccessRight::RestrictAccess,
            scope: scope.into_iter().map(Into::into).collect(),
            description: String::new(),
        }
    }

    /// A `DenyAccess` policy: the app may use every mailbox but these (and members of these
    /// groups).
    pub fn deny<I, S>(scope: I) -> AccessPolicy
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        AccessPolicy {
            access_right: AccessRight::DenyAccess,
            scope: scope.into_iter().map(Into::into).collect(),
            description: String::new(),
        }
    }

    /// Set the description.
    pub fn with_description(mut self, description: impl Into<String>) -> AccessPolicy {
        self.description = description.into();
        self
    }
}

/// A mail-enabled group: its address and member mailboxes, usable in an [`AccessPolicy`]
/// scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailGroup {
    /// The group's address.
    pub address: String,
    /// Member mailbox addresses (or addresses of other groups, whose members count too).
    pub members: Vec<String>,
}

/// The Exchange error text of a request refused by an application access policy.
pub(crate) const POLICY_DENIED_MESSAGE: &str =
    "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.";

/// How deep group membership is followed (groups in groups).
const MAX_GROUP_DEPTH: usize = 8;

/// Whether `address` is `entry` or a member (directly or through nested groups) of the group
/// `entry`.
fn in_scope_entry(groups: &[MailGroup], entry: &str, address: &str, depth: usize) -> bool {
    if entry.eq_ignore_ascii_case(address) {
        return true;
    }
    if depth >= MAX_GROUP_DEPTH {
        return false;
    }
    groups
        .iter()
        .filter(|g| g.address.eq_ignore_ascii_case(entry))
        .any(|g| {
            g.members
                .iter()
                .any(|m| in_scope_entry(groups, m, address, depth + 1))
        })
}

/// Whether `mailbox` is in the policy's scope.
fn in_scope(groups: &[MailGroup], policy: &AccessPolicy, mailbox: &str) -> bool {
    policy
        .scope
        .iter()
        .any(|entry| in_scope_entry(groups, entry, mailbox, 0))
}

/// Whether the app `client_id` may use `mailbox` under `policies` (app id, policy pairs).
/// `Err` carries the refusing policy's description (possibly empty).
pub(crate) fn check(
    policies: &[(String, AccessPolicy)],
    groups: &[MailGroup],
    client_id: &str,
    mailbox: &str,
) -> Result<(), String> {
    let mine: Vec<&AccessPolicy> = policies
        .iter()
        .filter(|(app, _)| app.eq_ignore_ascii_case(client_id))
        .map(|(_, p)| p)
        .collect();
    if let Some(deny) = mine
        .iter()
        .find(|p| p.access_right == AccessRight::DenyAccess && in_scope(groups, p, mailbox))
    {
        return Err(deny.description.clone());
    }
    let restricts: Vec<&&AccessPolicy> = mine
        .iter()
        .filter(|p| p.access_right == AccessRight::RestrictAccess)
        .collect();
    if restricts.is_empty() || restricts.iter().any(|p| in_scope(groups, p, mailbox)) {
        Ok(())
    } else {
        Err(restricts
            .iter()
            .map(|p| p.description.as_str())
            .find(|d| !d.is_empty())
            .unwrap_or_default()
            .to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> Vec<MailGroup> {
        vec![
            MailGroup {
                address: "Senders@contoso.test".into(),
                members: vec!["alerts@contoso.test".into(), "nested@contoso.test".into()],
            },
            MailGroup {
                address: "nested@contoso.test".into(),
                members: vec!["reports@contoso.test".into()],
            },
            // A loop must not hang the check.
            MailGroup {
                address: "loop@contoso.test".into(),
                members: vec!["loop@contoso.test".into()],
            },
        ]
    }

    #[test]
    fn allow_lists_with_groups() {
        let policies = vec![(
            "APP".to_string(),
            AccessPolicy::allow(["senders@contoso.test"]).with_description("senders only"),
        )];
        let g = groups();
        assert_eq!(check(&policies, &g, "app", "ALERTS@contoso.test"), Ok(()));
        assert_eq!(check(&policies, &g, "app", "reports@contoso.test"), Ok(()));
        assert_eq!(
            check(&policies, &g, "app", "noreply@contoso.test"),
            Err("senders only".into())
        );
        // Other apps are not limited.
        assert_eq!(
            check(&policies, &g, "other", "noreply@contoso.test"),
            Ok(())
        );
        let looping = vec![(
            "app".to_string(),
            AccessPolicy::allow(["loop@contoso.test"]),
        )];
        assert!(check(&looping, &g, "app", "x@contoso.test").is_err());
    }

    #[test]
    fn deny_wins_over_allow() {
        let policies = vec![
            (
                "app".to_string(),
                AccessPolicy::allow(["senders@contoso.test"]),
            ),
            (
                "app".to_string(),
                AccessPolicy::deny(["reports@contoso.test"]),
            ),
        ];
        let g = groups();
        assert_eq!(check(&policies, &g, "app", "alerts@contoso.test"), Ok(()));
        assert!(check(&policies, &g, "app", "reports@contoso.test").is_err());
        let deny_only = vec![(
            "app".to_string(),
            AccessPolicy::deny(["senders@contoso.test"]),
        )];
        assert!(check(&deny_only, &g, "app", "alerts@contoso.test").is_err());
        assert_eq!(check(&deny_only, &g, "app", "noreply@contoso.test"), Ok(()));
    }
}
