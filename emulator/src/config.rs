//! Emulator configuration: tenants, app registrations, mailboxes and limits.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use crate::faults::UploadFault;

/// Tenant ID registered by [`EmulatorConfig::new`].
pub const DEFAULT_TENANT_ID: &str = "8f4a3b1e-5d6c-4e7f-9a0b-1c2d3e4f5a6b";
/// Client (application) ID registered by [`EmulatorConfig::new`].
pub const DEFAULT_CLIENT_ID: &str = "3c9e2d41-7b8a-4f60-9e15-a2b3c4d5e6f7";
/// Client secret of the default app: a demo value for the local emulator only.
pub const DEFAULT_CLIENT_SECRET: &str = "emulator-demo-secret";
/// Mailboxes registered by [`EmulatorConfig::new`]; `sendMail` is accepted for these users only.
pub const DEFAULT_MAILBOXES: &[&str] = &[
    "alerts@contoso.test",
    "reports@contoso.test",
    "noreply@contoso.test",
];
/// Default lifetime of issued access tokens (the identity platform's usual `expires_in`).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3599);
/// Default largest request body the emulator buffers: Graph's 4 MB request limit.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;
/// Application permissions (`roles`) an app registration gets unless configured otherwise:
/// enough for `sendMail` and for the draft + upload-session path.
pub const DEFAULT_APP_PERMISSIONS: &[&str] = &[PERMISSION_MAIL_SEND, PERMISSION_MAIL_READ_WRITE];
/// The `Mail.Send` application permission: `sendMail` and `POST /messages/{id}/send`.
pub const PERMISSION_MAIL_SEND: &str = "Mail.Send";
/// The `Mail.ReadWrite` application permission: drafts, attachments and upload sessions.
pub const PERMISSION_MAIL_READ_WRITE: &str = "Mail.ReadWrite";
/// The `Mail.Read` application permission: reading a draft (`Mail.ReadWrite` also allows it).
pub const PERMISSION_MAIL_READ: &str = "Mail.Read";
/// Bodies are read (and discarded) past `max_request_bytes` up to this many bytes before the
/// emulator stops reading and answers `413` anyway.
pub const BODY_DISCARD_LIMIT_BYTES: u64 = 200 * 1024 * 1024;

/// A confidential client (app registration) known to the emulator's identity platform.
#[derive(Clone, PartialEq, Eq)]
pub struct AppRegistration {
    /// The application (client) ID.
    pub client_id: String,
    /// The client secret value the app authenticates with.
    pub client_secret: String,
    /// The application permissions admin-consented for the app (compared case-insensitively),
    /// [`DEFAULT_APP_PERMISSIONS`] unless configured otherwise.
    pub permissions: Vec<String>,
}

impl AppRegistration {
    /// An app registration with the given client ID and secret.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        AppRegistration {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            permissions: DEFAULT_APP_PERMISSIONS
                .iter()
                .map(|p| p.to_string())
                .collect(),
        }
    }

    /// Replace the app's application permissions (e.g. `&["Mail.Send"]` for an app without
    /// `Mail.ReadWrite`).
    pub fn with_permissions(mut self, permissions: &[&str]) -> Self {
        self.permissions = permissions.iter().map(|p| p.to_string()).collect();
        self
    }

    /// Whether the app has the application permission `permission` (case-insensitive).
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions
            .iter()
            .any(|p| p.eq_ignore_ascii_case(permission))
    }
}

impl fmt::Debug for AppRegistration {
    // Never print the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppRegistration")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("permissions", &self.permissions)
            .finish()
    }
}

/// Everything [`crate::Emulator::start`] needs.
///
/// [`EmulatorConfig::new`] registers [`DEFAULT_TENANT_ID`], one app ([`DEFAULT_CLIENT_ID`] /
/// [`DEFAULT_CLIENT_SECRET`]) and [`DEFAULT_MAILBOXES`]. The `with_tenant`, `with_app`,
/// `with_mailbox` and `with_mailboxes` builders **add** to those lists; call
/// [`without_tenants`](Self::without_tenants), [`without_apps`](Self::without_apps) or
/// [`without_mailboxes`](Self::without_mailboxes) first to replace the defaults. The first
/// tenant and app are the ones [`crate::Emulator::tenant_id`] and
/// [`crate::Emulator::client_id`] report.
///
/// Every app gets [`DEFAULT_APP_PERMISSIONS`] (`Mail.Send`, `Mail.ReadWrite`);
/// [`with_app_permissions`](Self::with_app_permissions) narrows them to test how a client
/// handles `403 ErrorAccessDenied`. [`with_upload_fault`](Self::with_upload_fault) injects
/// upload-session faults ([`UploadFault`]) to test retry and resume logic.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Address to listen on (default `127.0.0.1`).
    pub bind: IpAddr,
    /// TCP port; `0` picks a free port (default `0`).
    pub port: u16,
    /// Folder for the CA (`ca.pem`, `ca-key.pem`) and stored messages (`messages/`).
    pub data_dir: PathBuf,
    /// Tenant IDs the token endpoint accepts (compared case-insensitively).
    pub tenants: Vec<String>,
    /// App registrations the token endpoint accepts.
    pub apps: Vec<AppRegistration>,
    /// Mailboxes (user principal names) that may send mail (compared case-insensitively).
    pub mailboxes: Vec<String>,
    /// Lifetime of issued access tokens (default 3599 s). Zero issues already-expired tokens,
    /// which is handy for testing a client's expiry handling.
    pub token_lifetime: Duration,
    /// Largest request body buffered (default 4 MiB); larger bodies are answered `413`.
    pub max_request_bytes: usize,
    /// Print one line per request (method, path without query, status, time) to stderr.
    /// Never prints bodies, headers or query strings, so no secret can leak. Default `false`.
    pub request_log: bool,
    /// Faults injected into upload sessions, each at most once per emulator (default none).
    pub upload_faults: Vec<UploadFault>,
}

impl EmulatorConfig {
    /// The default configuration, storing its CA and messages in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        EmulatorConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            data_dir: data_dir.into(),
            tenants: vec![DEFAULT_TENANT_ID.to_string()],
            apps: vec![AppRegistration::new(
                DEFAULT_CLIENT_ID,
                DEFAULT_CLIENT_SECRET,
            )],
            mailboxes: DEFAULT_MAILBOXES.iter().map(|m| m.to_string()).collect(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            request_log: false,
            upload_faults: Vec::new(),
        }
    }

    /// Listen on `bind` instead of `127.0.0.1`.
    pub fn with_bind(mut self, bind: IpAddr) -> Self {
        self.bind = bind;
        self
    }

    /// Listen on `port` (`0` picks a free port).
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Add a tenant ID to the accepted tenants.
    pub fn with_tenant(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenants.push(tenant_id.into());
        self
    }

    /// Remove all tenants (including the default) so later `with_tenant` calls define the list.
    pub fn without_tenants(mut self) -> Self {
        self.tenants.clear();
        self
    }

    /// Add an app registration (client ID and secret).
    pub fn with_app(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.apps
            .push(AppRegistration::new(client_id, client_secret));
        self
    }

    /// Add an app registration built by the caller (e.g. with
    /// [`AppRegistration::with_permissions`]).
    pub fn with_app_registration(mut self, app: AppRegistration) -> Self {
        self.apps.push(app);
        self
    }

    /// Set the application permissions of the registered app `client_id` (case-insensitive),
    /// e.g. `with_app_permissions(DEFAULT_CLIENT_ID, &["Mail.Send"])` for an app that may call
    /// `sendMail` but not create drafts. Has no effect when no such app is registered yet, so
    /// call it after [`with_app`](Self::with_app).
    pub fn with_app_permissions(mut self, client_id: &str, permissions: &[&str]) -> Self {
        for app in &mut self.apps {
            if app.client_id.eq_ignore_ascii_case(client_id) {
                app.permissions = permissions.iter().map(|p| p.to_string()).collect();
            }
        }
        self
    }

    /// Inject a fault into upload sessions (see [`UploadFault`]); each `...Once` fault fires
    /// once per emulator, [`UploadFault::FailEveryChunk`] always. Several faults may be added.
    pub fn with_upload_fault(mut self, fault: UploadFault) -> Self {
        self.upload_faults.push(fault);
        self
    }

    /// Remove all app registrations (including the default) so later `with_app` calls define
    /// the list.
    pub fn without_apps(mut self) -> Self {
        self.apps.clear();
        self
    }

    /// Add one mailbox that may send mail.
    pub fn with_mailbox(mut self, mailbox: impl Into<String>) -> Self {
        self.mailboxes.push(mailbox.into());
        self
    }

    /// Add several mailboxes that may send mail.
    pub fn with_mailboxes<I, S>(mut self, mailboxes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.mailboxes.extend(mailboxes.into_iter().map(Into::into));
        self
    }

    /// Remove all mailboxes (including the defaults) so later `with_mailbox` calls define the
    /// list.
    pub fn without_mailboxes(mut self) -> Self {
        self.mailboxes.clear();
        self
    }

    /// Set the lifetime of issued access tokens.
    pub fn with_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Set the largest request body the emulator accepts.
    pub fn with_max_request_bytes(mut self, max: usize) -> Self {
        self.max_request_bytes = max;
        self
    }

    /// Turn the one-line-per-request log on stderr on or off.
    pub fn with_request_log(mut self, on: bool) -> Self {
        self.request_log = on;
        self
    }

    /// Whether `tenant` is a registered tenant (case-insensitive).
    pub(crate) fn has_tenant(&self, tenant: &str) -> bool {
        self.tenants.iter().any(|t| t.eq_ignore_ascii_case(tenant))
    }

    /// The app registered under `client_id` (case-insensitive, as client IDs are GUIDs).
    pub(crate) fn app(&self, client_id: &str) -> Option<&AppRegistration> {
        self.apps
            .iter()
            .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
    }

    /// The configured spelling of `mailbox` if it is registered (case-insensitive).
    pub(crate) fn mailbox(&self, mailbox: &str) -> Option<&str> {
        self.mailboxes
            .iter()
            .find(|m| m.eq_ignore_ascii_case(mailbox))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_additive_builders() {
        let c = EmulatorConfig::new("/tmp/x")
            .with_tenant("t2")
            .with_app("c2", "s2")
            .with_mailbox("x@y.test");
        assert_eq!(c.tenants, vec![DEFAULT_TENANT_ID.to_string(), "t2".into()]);
        assert_eq!(c.apps.len(), 2);
        assert_eq!(c.mailboxes.len(), DEFAULT_MAILBOXES.len() + 1);
        assert_eq!(c.token_lifetime, Duration::from_secs(3599));
        assert_eq!(c.max_request_bytes, 4 * 1024 * 1024);
        assert!(c.has_tenant(&DEFAULT_TENANT_ID.to_uppercase()));
        assert_eq!(
            c.mailbox("ALERTS@contoso.test"),
            Some("alerts@contoso.test")
        );
        let c = c.without_mailboxes().with_mailboxes(["a@b.test"]);
        assert_eq!(c.mailboxes, vec!["a@b.test".to_string()]);
    }

    #[test]
    fn permissions() {
        let c = EmulatorConfig::new("/tmp/x")
            .with_app("c2", "s2")
            .with_app_permissions("C2", &["Mail.Send"])
            .with_app_permissions("unknown", &[]);
        let default = c.app(DEFAULT_CLIENT_ID).expect("default app");
        assert!(default.has_permission("mail.send") && default.has_permission("Mail.ReadWrite"));
        let c2 = c.app("c2").expect("c2");
        assert!(c2.has_permission("Mail.Send") && !c2.has_permission("Mail.ReadWrite"));
        let c = c
            .with_app_registration(AppRegistration::new("c3", "s3").with_permissions(&[]))
            .with_upload_fault(UploadFault::FailChunkOnce { index: 1 });
        assert!(!c.app("c3").expect("c3").has_permission("Mail.Send"));
        assert_eq!(
            c.upload_faults,
            vec![UploadFault::FailChunkOnce { index: 1 }]
        );
    }

    #[test]
    fn debug_redacts_secret() {
        let c = EmulatorConfig::new("/tmp/x");
        let text = format!("{c:?}");
        assert!(!text.contains(DEFAULT_CLIENT_SECRET));
        assert!(text.contains("<redacted>"));
    }
}
