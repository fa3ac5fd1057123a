//! Managed identities served by the emulated IMDS, App Service and Azure Arc endpoints.

use crate::config::DEFAULT_APP_PERMISSIONS;

/// Client ID of [`ManagedIdentity::default`] (a system-assigned identity).
pub const DEFAULT_MANAGED_IDENTITY_CLIENT_ID: &str = "5d0e1f2a-3b4c-4d5e-8f60-718293a4b5c6";
/// Object (principal) ID of [`ManagedIdentity::default`].
pub const DEFAULT_MANAGED_IDENTITY_OBJECT_ID: &str = "6e1f2a3b-4c5d-4e6f-9071-8293a4b5c6d7";
/// Resource ID of the (pretend) VM that owns [`ManagedIdentity::default`].
pub const DEFAULT_MANAGED_IDENTITY_RESOURCE_ID: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/graphmail-emulator/providers/Microsoft.Compute/virtualMachines/emulator-vm";

/// A managed identity: system-assigned (requested without a selector) or user-assigned
/// (requested by `client_id`, `object_id`/`principal_id` or resource ID).
///
/// Its tokens are app-only Graph tokens with the identity's `permissions` (application
/// permissions), in `tenant_id` (the emulator's first tenant when `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedIdentity {
    /// The identity's client (application) ID.
    pub client_id: String,
    /// The identity's object (principal) ID.
    pub object_id: String,
    /// The ARM resource ID (`msi_res_id` for IMDS, `mi_res_id` for App Service): of the
    /// user-assigned identity, or of the resource owning a system-assigned one.
    pub resource_id: String,
    /// Whether this is a user-assigned identity (else system-assigned).
    pub user_assigned: bool,
    /// The tenant of issued tokens (`None`: the emulator's first tenant).
    pub tenant_id: Option<String>,
    /// Application permissions of issued tokens, [`DEFAULT_APP_PERMISSIONS`] by default.
    pub permissions: Vec<String>,
}

impl Default for ManagedIdentity {
    /// A system-assigned identity with the `DEFAULT_MANAGED_IDENTITY_*` IDs.
    fn default() -> Self {
        ManagedIdentity {
            client_id: DEFAULT_MANAGED_IDENTITY_CLIENT_ID.to_string(),
            object_id: DEFAULT_MANAGED_IDENTITY_OBJECT_ID.to_string(),
            resource_id: DEFAULT_MANAGED_IDENTITY_RESOURCE_ID.to_string(),
            user_assigned: false,
            tenant_id: None,
            permissions: DEFAULT_APP_PERMISSIONS
                .iter()
                .map(|p| p.to_string())
                .collect(),
        }
    }
}

impl ManagedIdentity {
    /// The default system-assigned identity.
    pub fn system_assigned() -> Self {
        ManagedIdentity::default()
    }

    /// A user-assigned identity.
    pub fn user_assigned(
        client_id: impl Into<String>,
        object_id: impl Into<String>,
        resource_id: impl Into<String>,
    ) -> Self {
        ManagedIdentity {
            client_id: client_id.into(),
            object_id: object_id.into(),
            resource_id: resource_id.into(),
            user_assigned: true,
            ..ManagedIdentity::default()
        }
    }

    /// Replace the identity's application permissions.
    pub fn with_permissions(mut self, permissions: &[&str]) -> Self {
        self.permissions = permissions.iter().map(|p| p.to_string()).collect();
        self
    }

    /// Issue tokens in `tenant_id` instead of the emulator's first tenant.
    pub fn with_tenant(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// Whether the identity matches a selector: `client_id` or `object_id` (case-insensitive
    /// GUIDs) or the resource ID (case-insensitive, as ARM IDs are).
    pub(crate) fn matches(&self, selector: &IdentitySelector) -> bool {
        match selector {
            IdentitySelector::Client(id) => self.client_id.eq_ignore_ascii_case(id),
            IdentitySelector::Object(id) => self.object_id.eq_ignore_ascii_case(id),
            IdentitySelector::Resource(id) => self.resource_id.eq_ignore_ascii_case(id),
        }
    }
}

/// How a request names a user-assigned identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum IdentitySelector {
    /// By client ID.
    Client(String),
    /// By object (principal) ID.
    Object(String),
    /// By ARM resource ID.
    Resource(String),
}

/// The identity a request asks for: the user-assigned one matching `selector`, or the
/// system-assigned one without a selector.
pub(crate) fn select<'a>(
    identities: &'a [ManagedIdentity],
    selector: Option<&IdentitySelector>,
) -> Option<&'a ManagedIdentity> {
    match selector {
        None => identities.iter().find(|i| !i.user_assigned),
        Some(selector) => identities
            .iter()
            .find(|i| i.user_assigned && i.matches(selector)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection() {
        let user = ManagedIdentity::user_assigned("UC", "uo", "/sub/x/ua");
        let identities = vec![user.clone(), ManagedIdentity::system_assigned()];
        assert_eq!(select(&identities, None), Some(&identities[1]));
        for selector in [
            IdentitySelector::Client("uc".into()),
            IdentitySelector::Object("UO".into()),
            IdentitySelector::Resource("/SUB/x/ua".into()),
        ] {
            assert_eq!(select(&identities, Some(&selector)), Some(&user));
        }
        let system = IdentitySelector::Client(DEFAULT_MANAGED_IDENTITY_CLIENT_ID.into());
        assert_eq!(select(&identities, Some(&system)), None);
        assert_eq!(select(&[user], None), None);
        let narrowed = ManagedIdentity::default()
            .with_permissions(&["Mail.Send"])
            .with_tenant("t2");
        assert_eq!(narrowed.permissions, vec!["Mail.Send"]);
        assert_eq!(narrowed.tenant_id.as_deref(), Some("t2"));
    }
}
