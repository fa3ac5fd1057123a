//! Emulator configuration: tenants, app registrations, mailboxes and limits.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use crate::device_codes::DeviceCodeBehaviour;
use crate::faults::{FaultScope, RequestFault, UploadFault};
use crate::managed_identity::ManagedIdentity;
use crate::policies::{AccessPolicy, MailGroup};
use crate::throttling::ThrottlingLimits;

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
/// Delegated permissions (`scp`) admin-consented for every app unless configured otherwise:
/// what a mail-sending public client asks for. Requesting a Graph permission outside this list
/// (or the app's own list) fails with `AADSTS65001` (no consent).
pub const DEFAULT_DELEGATED_PERMISSIONS: &[&str] = &[
    PERMISSION_MAIL_SEND,
    PERMISSION_MAIL_READ_WRITE,
    PERMISSION_MAIL_READ,
    "User.Read",
];
/// Default polling interval (seconds) a device code response tells the client to wait.
pub const DEFAULT_DEVICE_CODE_INTERVAL: u64 = 5;
/// Default lifetime of a device code: the identity platform's 15 minutes.
pub const DEFAULT_DEVICE_CODE_LIFETIME: Duration = Duration::from_secs(900);
/// Default lifetime of refresh tokens (the identity platform's inactivity limit is 90 days).
pub const DEFAULT_REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);
/// Bodies are read (and discarded) past `max_request_bytes` up to this many bytes before the
/// emulator stops reading and answers `413` anyway.
pub const BODY_DISCARD_LIMIT_BYTES: u64 = 200 * 1024 * 1024;

/// An app registration known to the emulator's identity platform.
///
/// An app may have a client secret, certificates, federated credentials, any mix of them, or
/// none at all (a public client that signs users in with the device code flow). An empty
/// `client_secret` means "no secret": no submitted secret matches it.
#[derive(Clone, PartialEq, Eq)]
pub struct AppRegistration {
    /// The application (client) ID.
    pub client_id: String,
    /// The client secret value the app authenticates with (empty: the app has no secret).
    pub client_secret: String,
    /// The application permissions admin-consented for the app (compared case-insensitively),
    /// [`DEFAULT_APP_PERMISSIONS`] unless configured otherwise.
    pub permissions: Vec<String>,
    /// Registered certificates (DER, or PEM text that [`crate::Emulator::start`] rejects if it
    /// holds no certificate): a client assertion signed with one of their RSA keys
    /// authenticates the app. See [`with_certificate`](Self::with_certificate).
    pub certificates: Vec<Vec<u8>>,
    /// Subjects of federated identity credentials: a token from the emulator's federation
    /// issuer ([`crate::Emulator::issue_federated_token`]) with one of these `sub` values
    /// authenticates the app (compared case-sensitively, as Entra does).
    pub federated_subjects: Vec<String>,
    /// "Allow public client flows": the device code and refresh token grants work without a
    /// client credential.
    pub public_client: bool,
    /// Delegated permissions consented for the app (compared case-insensitively),
    /// [`DEFAULT_DELEGATED_PERMISSIONS`] unless configured otherwise.
    pub delegated_permissions: Vec<String>,
}

impl AppRegistration {
    /// An app registration with the given client ID and secret.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        AppRegistration {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            permissions: to_strings(DEFAULT_APP_PERMISSIONS),
            certificates: Vec::new(),
            federated_subjects: Vec::new(),
            public_client: false,
            delegated_permissions: to_strings(DEFAULT_DELEGATED_PERMISSIONS),
        }
    }

    /// A public client: no secret, no certificate, public client flows allowed.
    pub fn public_client(client_id: impl Into<String>) -> Self {
        AppRegistration {
            public_client: true,
            ..AppRegistration::new(client_id, "")
        }
    }

    /// Register a certificate (DER bytes, or PEM text with a `CERTIFICATE` block; the first
    /// certificate is used). Its public key must be RSA (2048 to 8192 bits).
    pub fn with_certificate(mut self, certificate: impl AsRef<[u8]>) -> Self {
        self.certificates
            .push(crate::certificates::der_from_pem_or_der(
                certificate.as_ref(),
            ));
        self
    }

    /// Register a federated identity credential: the emulator's federation issuer with subject
    /// `subject`.
    pub fn with_federated_subject(mut self, subject: impl Into<String>) -> Self {
        self.federated_subjects.push(subject.into());
        self
    }

    /// Allow (or forbid) public client flows.
    pub fn with_public_client_flows(mut self, allowed: bool) -> Self {
        self.public_client = allowed;
        self
    }

    /// Replace the app's consented delegated permissions.
    pub fn with_delegated_permissions(mut self, permissions: &[&str]) -> Self {
        self.delegated_permissions = to_strings(permissions);
        self
    }

    /// Whether the app has a client secret.
    pub fn has_secret(&self) -> bool {
        !self.client_secret.is_empty()
    }

    /// Whether the app has no credential at all (secret, certificate or federated credential).
    pub fn has_no_credential(&self) -> bool {
        !self.has_secret() && self.certificates.is_empty() && self.federated_subjects.is_empty()
    }

    /// Whether the delegated permission `permission` is consented (case-insensitive).
    pub fn has_delegated_permission(&self, permission: &str) -> bool {
        self.delegated_permissions
            .iter()
            .any(|p| p.eq_ignore_ascii_case(permission))
    }

    /// Replace the app's application permissions (e.g. `&["Mail.Send"]` for an app without
    /// `Mail.ReadWrite`).
    pub fn with_permissions(mut self, permissions: &[&str]) -> Self {
        self.permissions = to_strings(permissions);
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
            .field("certificates", &self.certificates.len())
            .field("federated_subjects", &self.federated_subjects)
            .field("public_client", &self.public_client)
            .field("delegated_permissions", &self.delegated_permissions)
            .finish()
    }
}

fn to_strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|p| p.to_string()).collect()
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
/// upload-session faults ([`UploadFault`]) to test retry and resume logic;
/// [`with_request_fault`](Self::with_request_fault) injects request faults ([`RequestFault`]:
/// throttling, server errors, delays, lost connections, expired tokens) to test retry policies.
///
/// Other credentials: [`with_app_certificate`](Self::with_app_certificate) (client assertions),
/// [`with_federated_credential`](Self::with_federated_credential) (workload identity
/// federation), [`with_managed_identity`](Self::with_managed_identity) (IMDS, App Service and
/// Azure Arc endpoints, off by default), and [`with_public_client`](Self::with_public_client) +
/// [`with_user`](Self::with_user) for delegated sending with the device code flow and refresh
/// tokens ([`with_device_code_behaviour`](Self::with_device_code_behaviour)).
#[derive(Clone)]
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
    /// Faults injected into requests, each with the requests it applies to, in the order they
    /// are checked (default none). [`crate::Emulator::start`] rejects a fault its scope does not
    /// allow; [`crate::Emulator::set_request_faults`] replaces them at run time (this field keeps
    /// the faults the emulator started with).
    pub request_faults: Vec<(FaultScope, RequestFault)>,
    /// Users (user principal names) who can sign in with the device code flow; each must have
    /// a mailbox in [`mailboxes`](Self::mailboxes). Default none.
    pub users: Vec<String>,
    /// Managed identities served by the IMDS, App Service and Azure Arc endpoints; the
    /// endpoints are off while this is empty (the default).
    pub managed_identities: Vec<ManagedIdentity>,
    /// The App Service `X-IDENTITY-HEADER` secret (`IDENTITY_HEADER`); `None` draws a random
    /// one at start ([`crate::Emulator::app_service_header`]).
    pub identity_header: Option<String>,
    /// What happens to device codes while the client polls (default
    /// [`DeviceCodeBehaviour::Manual`]).
    pub device_code_behaviour: DeviceCodeBehaviour,
    /// The polling `interval` (seconds) of device code responses (default 5; tests use 0).
    pub device_code_interval: u64,
    /// How long a device code stays valid (default 900 s).
    pub device_code_lifetime: Duration,
    /// How long a refresh token stays valid (default 90 days). Zero issues refresh tokens that
    /// are already expired (`AADSTS700082` on use).
    pub refresh_token_lifetime: Duration,
    /// Application access policies: (client ID, policy) pairs, see [`AccessPolicy`]. Default
    /// none: every app may use every mailbox.
    pub access_policies: Vec<(String, AccessPolicy)>,
    /// Mail-enabled groups that access policy scopes may name. Default none.
    pub groups: Vec<MailGroup>,
    /// Outlook's per app and mailbox limits, or `None` (the default) for no throttling beyond
    /// injected faults. [`crate::Emulator::set_throttling`] switches them at run time.
    pub throttling: Option<ThrottlingLimits>,
}

impl fmt::Debug for EmulatorConfig {
    // Never print secrets (client secrets are redacted by `AppRegistration`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("bind", &self.bind)
            .field("port", &self.port)
            .field("data_dir", &self.data_dir)
            .field("tenants", &self.tenants)
            .field("apps", &self.apps)
            .field("mailboxes", &self.mailboxes)
            .field("token_lifetime", &self.token_lifetime)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("request_log", &self.request_log)
            .field("upload_faults", &self.upload_faults)
            .field("request_faults", &self.request_faults)
            .field("users", &self.users)
            .field("managed_identities", &self.managed_identities)
            .field(
                "identity_header",
                &self.identity_header.as_ref().map(|_| "<redacted>"),
            )
            .field("device_code_behaviour", &self.device_code_behaviour)
            .field("device_code_interval", &self.device_code_interval)
            .field("device_code_lifetime", &self.device_code_lifetime)
            .field("refresh_token_lifetime", &self.refresh_token_lifetime)
            .field("access_policies", &self.access_policies)
            .field("groups", &self.groups)
            .field("throttling", &self.throttling)
            .finish()
    }
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
            request_faults: Vec::new(),
            users: Vec::new(),
            managed_identities: Vec::new(),
            identity_header: None,
            device_code_behaviour: DeviceCodeBehaviour::default(),
            device_code_interval: DEFAULT_DEVICE_CODE_INTERVAL,
            device_code_lifetime: DEFAULT_DEVICE_CODE_LIFETIME,
            refresh_token_lifetime: DEFAULT_REFRESH_TOKEN_LIFETIME,
            access_policies: Vec::new(),
            groups: Vec::new(),
            throttling: None,
        }
    }

    /// Add an application access policy for app `client_id`, as `New-ApplicationAccessPolicy
    /// -AppId <client_id> -PolicyScopeGroupId ... -AccessRight ...` would: app-only requests of
    /// that app for a mailbox outside its scope get `403 ErrorAccessDenied`.
    ///
    /// ```
    /// use graphmail_emulator::{AccessPolicy, EmulatorConfig, DEFAULT_CLIENT_ID};
    ///
    /// // The demo app may send only as the members of alerts-senders@contoso.test.
    /// let config = EmulatorConfig::new("./emulator-data")
    ///     .with_group("alerts-senders@contoso.test", ["alerts@contoso.test"])
    ///     .with_access_policy(DEFAULT_CLIENT_ID, AccessPolicy::allow(["alerts-senders@contoso.test"]));
    /// assert_eq!(config.access_policies.len(), 1);
    /// ```
    pub fn with_access_policy(
        mut self,
        client_id: impl Into<String>,
        policy: AccessPolicy,
    ) -> Self {
        self.access_policies.push((client_id.into(), policy));
        self
    }

    /// Register a mail-enabled group (its address and member addresses) that access policy
    /// scopes may name; members may be other groups.
    pub fn with_group<I, S>(mut self, address: impl Into<String>, members: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.groups.push(MailGroup {
            address: address.into(),
            members: members.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Apply Outlook's documented limits ([`ThrottlingLimits::OUTLOOK`]: 4 concurrent
    /// requests, 10,000 requests per 10 minutes, 150 MB uploads per 5 minutes, per app and
    /// mailbox), or turn throttling off.
    pub fn with_outlook_throttling(mut self, on: bool) -> Self {
        self.throttling = on.then_some(ThrottlingLimits::OUTLOOK);
        self
    }

    /// Apply custom per app and mailbox limits.
    pub fn with_throttling(mut self, limits: ThrottlingLimits) -> Self {
        self.throttling = Some(limits);
        self
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
                app.permissions = to_strings(permissions);
            }
        }
        self
    }

    /// Set the consented delegated permissions of the registered app `client_id`
    /// (case-insensitive); like [`with_app_permissions`](Self::with_app_permissions), call it
    /// after the app is registered. An empty list makes every delegated request fail with
    /// `AADSTS65001` (no consent).
    pub fn with_delegated_permissions(mut self, client_id: &str, permissions: &[&str]) -> Self {
        for app in &mut self.apps {
            if app.client_id.eq_ignore_ascii_case(client_id) {
                app.delegated_permissions = to_strings(permissions);
            }
        }
        self
    }

    /// The registered app `client_id`, registering it (without a secret) if it is new.
    fn app_entry(&mut self, client_id: &str) -> &mut AppRegistration {
        let index = match self
            .apps
            .iter()
            .position(|a| a.client_id.eq_ignore_ascii_case(client_id))
        {
            Some(index) => index,
            None => {
                self.apps.push(AppRegistration::new(client_id, ""));
                self.apps.len() - 1
            }
        };
        &mut self.apps[index]
    }

    /// Register a certificate (DER, or PEM with a `CERTIFICATE` block) for app `client_id`; the
    /// app is registered without a secret if it is new (so it may have a secret, certificates
    /// or both). Client assertions signed with the certificate's RSA key then authenticate the
    /// app. [`crate::Emulator::start`] fails if the certificate cannot be read or its key is
    /// not RSA.
    pub fn with_app_certificate(mut self, client_id: &str, certificate: impl AsRef<[u8]>) -> Self {
        let der = crate::certificates::der_from_pem_or_der(certificate.as_ref());
        self.app_entry(client_id).certificates.push(der);
        self
    }

    /// Register a federated identity credential for app `client_id` (registered without a
    /// secret if new): a token of the emulator's federation issuer whose `sub` is `subject`
    /// (see [`crate::Emulator::issue_federated_token`]) may act as the app.
    pub fn with_federated_credential(
        mut self,
        client_id: &str,
        subject: impl Into<String>,
    ) -> Self {
        self.app_entry(client_id)
            .federated_subjects
            .push(subject.into());
        self
    }

    /// Register a public client `client_id` (no secret, public client flows allowed), or allow
    /// public client flows for an already registered app.
    pub fn with_public_client(mut self, client_id: &str) -> Self {
        self.app_entry(client_id).public_client = true;
        self
    }

    /// Add a user who can sign in with the device code flow (delegated sending as that user).
    /// The user's mailbox is added to the mailboxes if missing; [`crate::Emulator::start`]
    /// fails if it is missing at start (e.g. after [`without_mailboxes`](Self::without_mailboxes)).
    pub fn with_user(mut self, upn: impl Into<String>) -> Self {
        let upn = upn.into();
        if self.mailbox(&upn).is_none() {
            self.mailboxes.push(upn.clone());
        }
        self.users.push(upn);
        self
    }

    /// Add a managed identity and turn the managed identity endpoints on (IMDS, App Service,
    /// Azure Arc). Add at most one system-assigned identity and any number of user-assigned
    /// ones.
    pub fn with_managed_identity(mut self, identity: ManagedIdentity) -> Self {
        self.managed_identities.push(identity);
        self
    }

    /// Set the App Service `X-IDENTITY-HEADER` secret (default: random per start).
    pub fn with_identity_header(mut self, secret: impl Into<String>) -> Self {
        self.identity_header = Some(secret.into());
        self
    }

    /// Set what happens to device codes while the client polls.
    pub fn with_device_code_behaviour(mut self, behaviour: DeviceCodeBehaviour) -> Self {
        self.device_code_behaviour = behaviour;
        self
    }

    /// Set the polling interval (seconds) device code responses announce.
    pub fn with_device_code_interval(mut self, seconds: u64) -> Self {
        self.device_code_interval = seconds;
        self
    }

    /// Set how long device codes stay valid.
    pub fn with_device_code_lifetime(mut self, lifetime: Duration) -> Self {
        self.device_code_lifetime = lifetime;
        self
    }

    /// Set how long refresh tokens stay valid.
    pub fn with_refresh_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.refresh_token_lifetime = lifetime;
        self
    }

    /// Inject a fault into upload sessions (see [`UploadFault`]); each `...Once` fault fires
    /// once per emulator, [`UploadFault::FailEveryChunk`] always. Several faults may be added.
    pub fn with_upload_fault(mut self, fault: UploadFault) -> Self {
        self.upload_faults.push(fault);
        self
    }

    /// Inject a request fault (see [`RequestFault`]) into the requests `scope` names. May be
    /// called several times: each fault counts its own matching requests, and the faults are
    /// checked in the order they were added. [`crate::Emulator::start`] fails for a fault the
    /// scope does not allow ([`RequestFault::ConcurrencyLimit`] and
    /// [`RequestFault::ExpiredToken`] with [`FaultScope::Token`]) or an `every` of `0`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use graphmail_emulator::{EmulatorConfig, FaultScope, RequestFault, RetryAfter};
    ///
    /// // Every third sendMail is throttled; every sendMail takes half a second.
    /// let config = EmulatorConfig::new("./emulator-data")
    ///     .with_request_fault(
    ///         FaultScope::SendMail,
    ///         RequestFault::Throttle { every: 3, retry_after: RetryAfter::Seconds(2) },
    ///     )
    ///     .with_request_fault(
    ///         FaultScope::SendMail,
    ///         RequestFault::Delay { every: 1, delay: Duration::from_millis(500) },
    ///     );
    /// assert_eq!(config.request_faults.len(), 2);
    /// ```
    pub fn with_request_fault(mut self, scope: FaultScope, fault: RequestFault) -> Self {
        self.request_faults.push((scope, fault));
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

    /// The configured spelling of user `upn` if it is registered (case-insensitive).
    pub(crate) fn user(&self, upn: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|u| u.eq_ignore_ascii_case(upn))
            .map(String::as_str)
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
        let c = EmulatorConfig::new("/tmp/x").with_identity_header("identity-secret-42");
        let text = format!("{c:?}");
        assert!(!text.contains(DEFAULT_CLIENT_SECRET));
        assert!(!text.contains("identity-secret-42"));
        assert!(text.contains("<redacted>"));
    }

    #[test]
    fn credential_builders_register_apps_without_secrets() {
        let c = EmulatorConfig::new("/tmp/x")
            .with_app_certificate("cert-app", b"not a certificate")
            .with_app_certificate(DEFAULT_CLIENT_ID, b"x")
            .with_federated_credential("CERT-APP", "system:serviceaccount:ns:sa")
            .with_public_client("public-app")
            .with_delegated_permissions("public-app", &["Mail.Send"])
            .with_user("new.user@contoso.test")
            .with_user("ALERTS@contoso.test");
        assert_eq!(c.apps.len(), 3);
        let default = c.app(DEFAULT_CLIENT_ID).expect("default");
        assert!(default.has_secret() && default.certificates.len() == 1);
        let cert_app = c.app("cert-app").expect("cert-app");
        assert!(!cert_app.has_secret() && !cert_app.public_client);
        assert_eq!(
            cert_app.federated_subjects,
            vec!["system:serviceaccount:ns:sa"]
        );
        let public = c.app("public-app").expect("public");
        assert!(public.public_client && public.has_no_credential());
        assert!(public.has_delegated_permission("mail.send"));
        assert!(!public.has_delegated_permission("Mail.ReadWrite"));
        assert_eq!(
            c.mailbox("new.user@contoso.test"),
            Some("new.user@contoso.test")
        );
        assert_eq!(c.mailboxes.len(), DEFAULT_MAILBOXES.len() + 1);
        assert_eq!(
            c.user("NEW.USER@contoso.test"),
            Some("new.user@contoso.test")
        );
        assert_eq!(c.device_code_interval, 5);
    }
}
