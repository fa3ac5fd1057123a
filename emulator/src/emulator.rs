//! [`Emulator`]: a running emulator on its own thread with its own tokio runtime.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::watch;

use crate::attachments::AttachmentFiles;
use crate::certificates::CertificateRegistry;
use crate::config::EmulatorConfig;
use crate::device_codes::{DeviceCodeBehaviour, DeviceCodeStore};
use crate::drafts::DraftStore;
use crate::error::EmulatorError;
use crate::faults::{check_request_faults, FaultScope, Faults, RequestFault, RequestFaults};
use crate::federation::FederationIssuer;
use crate::managed_identity_routes::ArcKeys;
use crate::refresh_tokens::RefreshTokenStore;
use crate::server::{self, State};
use crate::stats::Stats;
use crate::store::{MessageStore, StoredMessage};
use crate::throttling::{Throttle, ThrottlingLimits};
use crate::tls::{self, CertificateAuthority, CA_CERT_FILE};
use crate::token::TokenStore;
use crate::upload::UploadStore;

/// Worker threads of the emulator's runtime.
const WORKER_THREADS: usize = 2;

/// A running emulator. Dropping it (or calling [`shutdown`](Self::shutdown)) stops the server
/// and joins its thread.
pub struct Emulator {
    state: Arc<State>,
    port: u16,
    data_dir: PathBuf,
    ca_path: PathBuf,
    ca_created: bool,
    shutdown: Option<watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.state.base_url)
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Start the emulator: load or create the CA in `data_dir`, issue a fresh server
    /// certificate, bind the socket and serve HTTPS (HTTP/2 and HTTP/1.1) on a background
    /// thread. Returns once the socket is listening.
    pub fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        if config.tenants.is_empty() {
            return Err(EmulatorError::Config("no tenant is registered".into()));
        }
        if config.apps.is_empty() {
            return Err(EmulatorError::Config("no app is registered".into()));
        }
        check_identities(&config)?;
        check_request_faults(&config.request_faults).map_err(EmulatorError::Config)?;
        let certificates = CertificateRegistry::load(&config.apps)?;
        let data_dir = std::path::absolute(&config.data_dir).map_err(|e| {
            EmulatorError::io(format!("resolving {}", config.data_dir.display()), e)
        })?;
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| EmulatorError::io(format!("creating {}", data_dir.display()), e))?;

        let ca = CertificateAuthority::load_or_create(&data_dir)?;
        let server_cert = ca.issue_emulator_certificate(config.bind)?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls::server_config(&server_cert)?));
        let schema = crate::schema::send_mail_schema()?;
        let store = MessageStore::open(&data_dir)?;
        let files = AttachmentFiles::open(&data_dir)?;
        let uploads = UploadStore::open(&data_dir)?;
        let faults = Faults::new(&config.upload_faults);
        let request_faults = RequestFaults::new(&config.request_faults);
        let arc_keys = ArcKeys::open(&data_dir, !config.managed_identities.is_empty())?;
        let identity_header = config
            .identity_header
            .clone()
            .unwrap_or_else(crate::random::access_token);

        let addr = SocketAddr::new(config.bind, config.port);
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|e| EmulatorError::io(format!("listening on {addr}"), e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| EmulatorError::io("configuring the listening socket", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| EmulatorError::io("reading the listening address", e))?
            .port();

        let base_url = base_url(config.bind, port);
        let config_throttling = config.throttling;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let federation = FederationIssuer::new(&base_url)?;
        let state = Arc::new(State {
            base_url,
            config: EmulatorConfig {
                data_dir: data_dir.clone(),
                ..config
            },
            tokens: TokenStore::default(),
            store,
            counters: Default::default(),
            schema,
            drafts: DraftStore::default(),
            uploads,
            files,
            faults,
            request_faults,
            certificates,
            federation,
            device_codes: DeviceCodeStore::default(),
            refresh_tokens: RefreshTokenStore::default(),
            identity_header,
            arc_keys,
            throttle: Throttle::new(config_throttling),
            stopping: shutdown_rx.clone(),
        });
        // The runtime is created, used and dropped on the emulator thread only (dropping a
        // runtime inside a caller's async context would panic).
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), EmulatorError>>();
        let thread_state = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name("graphmail-emulator".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(WORKER_THREADS)
                    .thread_name("graphmail-emulator-worker")
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(EmulatorError::io("starting the runtime", e)));
                        return;
                    }
                };
                let registered = {
                    let _guard = runtime.enter();
                    tokio::net::TcpListener::from_std(listener)
                };
                let listener = match registered {
                    Ok(listener) => listener,
                    Err(e) => {
                        let _ = ready_tx.send(Err(EmulatorError::io("registering the socket", e)));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                runtime.block_on(server::serve(listener, acceptor, thread_state, shutdown_rx));
                runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            })
            .map_err(|e| EmulatorError::io("starting the emulator thread", e))?;
        let ready = ready_rx.recv().unwrap_or_else(|_| {
            Err(EmulatorError::Config(
                "the emulator thread exited while starting".into(),
            ))
        });
        if let Err(e) = ready {
            let _ = thread.join();
            return Err(e);
        }

        Ok(Emulator {
            state,
            port,
            ca_path: data_dir.join(CA_CERT_FILE),
            data_dir,
            ca_created: ca.was_created(),
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    /// `https://127.0.0.1:PORT`: both the authority host and the Graph endpoint. (For a bind
    /// address other than `0.0.0.0`/`::`, that address; IPv6 in brackets.)
    pub fn base_url(&self) -> String {
        self.state.base_url.clone()
    }

    /// The TCP port the emulator listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The emulator's CA certificate (PEM) inside the data folder; trust it to connect.
    pub fn ca_certificate_path(&self) -> &Path {
        &self.ca_path
    }

    /// Whether this start created a new CA (`false` when an existing `ca.pem` was reused).
    pub fn ca_was_created(&self) -> bool {
        self.ca_created
    }

    /// The data folder (absolute).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The folder holding the stored `.json` and `.eml` files.
    pub fn messages_dir(&self) -> PathBuf {
        self.data_dir.join(crate::store::MESSAGES_DIR)
    }

    /// The folder holding attachment bytes (`<message or draft id>/<attachment id>`).
    pub fn attachments_dir(&self) -> PathBuf {
        self.data_dir.join(crate::attachments::ATTACHMENTS_DIR)
    }

    /// The folder holding the partial files of open upload sessions.
    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join(crate::upload::UPLOADS_DIR)
    }

    /// The first registered tenant.
    pub fn tenant_id(&self) -> &str {
        self.state.config.tenants.first().map_or("", String::as_str)
    }

    /// The first registered app's client ID.
    pub fn client_id(&self) -> &str {
        self.state
            .config
            .apps
            .first()
            .map_or("", |a| a.client_id.as_str())
    }

    /// The configuration the emulator runs with (its `data_dir` made absolute).
    pub fn config(&self) -> &EmulatorConfig {
        &self.state.config
    }

    /// Environment lines that point a GraphMail client (or an azure-identity based one) at
    /// this emulator. The client secret is deliberately not included; the last line is a
    /// `#` comment saying to set `AZURE_CLIENT_SECRET`.
    pub fn env_lines(&self) -> Vec<String> {
        let base = self.base_url();
        vec![
            format!("AZURE_TENANT_ID={}", self.tenant_id()),
            format!("AZURE_CLIENT_ID={}", self.client_id()),
            format!("AZURE_AUTHORITY_HOST={base}"),
            format!("GRAPHMAIL_GRAPH_ENDPOINT={base}"),
            format!("GRAPHMAIL_CA_FILE={}", self.ca_path.display()),
            format!(
                "# Also set AZURE_CLIENT_SECRET to the client secret of app {} (not printed here).",
                self.client_id()
            ),
        ]
    }

    /// The token endpoint of the first tenant (`{base_url}/{tenant}/oauth2/v2.0/token`): the
    /// `aud` of client assertions.
    pub fn token_endpoint(&self) -> String {
        crate::jwt::token_url(&self.state.base_url, self.tenant_id())
    }

    /// The `iss` of the federation issuer's tokens: `{base_url}/federation`.
    pub fn federation_issuer(&self) -> String {
        self.state.federation.issuer().to_string()
    }

    /// A workload identity token for `subject` from the emulator's federation issuer (RS256,
    /// audience `api://AzureADTokenExchange`, valid for an hour), like a Kubernetes projected
    /// service account token. Presented as `client_assertion` by an app registered with
    /// [`EmulatorConfig::with_federated_credential`] for `subject`, it gets the app a token.
    pub fn issue_federated_token(&self, subject: &str) -> String {
        self.state.federation.issue(subject)
    }

    /// Sign arbitrary claims with the federation issuer's key (RS256), to build wrong
    /// federated tokens in tests (expired, other audience, other issuer).
    pub fn sign_federated_token(&self, claims: &serde_json::Value) -> String {
        self.state.federation.sign(claims)
    }

    /// Approve the pending device code `user_code` (case-insensitive; dashes and spaces
    /// ignored) as user `upn`; the client's next poll gets the tokens. Returns `false` if no
    /// such pending, unexpired code exists or `upn` is not a registered user.
    pub fn approve_device_code(&self, user_code: &str, upn: &str) -> bool {
        match self.state.config.user(upn) {
            Some(user) => self.state.device_codes.approve(user_code, user),
            None => false,
        }
    }

    /// Decline the pending device code `user_code`: the next poll gets
    /// `authorization_declined`. Returns `false` if no such pending code exists.
    pub fn decline_device_code(&self, user_code: &str) -> bool {
        self.state.device_codes.decline(user_code)
    }

    /// The user codes of pending, unexpired device codes, oldest first.
    pub fn pending_user_codes(&self) -> Vec<String> {
        self.state.device_codes.pending_user_codes()
    }

    /// Revoke every refresh token of user `upn` (as a password reset does): redeeming one
    /// then fails with `invalid_grant` AADSTS50173. Returns how many were revoked.
    pub fn revoke_refresh_tokens(&self, upn: &str) -> usize {
        self.state.refresh_tokens.revoke_user(upn)
    }

    /// The IMDS token endpoint (`{base_url}/metadata/identity/oauth2/token`). Managed identity
    /// clients take the IMDS base from `AZURE_POD_IDENTITY_AUTHORITY_HOST`: set it to
    /// [`base_url`](Self::base_url).
    pub fn imds_endpoint(&self) -> String {
        format!("{}/metadata/identity/oauth2/token", self.state.base_url)
    }

    /// The App Service managed identity endpoint (`{base_url}/msi/token`): `IDENTITY_ENDPOINT`.
    pub fn app_service_endpoint(&self) -> String {
        format!("{}/msi/token", self.state.base_url)
    }

    /// The App Service `X-IDENTITY-HEADER` secret: `IDENTITY_HEADER`.
    pub fn app_service_header(&self) -> &str {
        &self.state.identity_header
    }

    /// The Azure Arc token endpoint (`{base_url}/arc/metadata/identity/oauth2/token`):
    /// `IDENTITY_ENDPOINT` on an Arc server.
    pub fn arc_endpoint(&self) -> String {
        format!("{}/arc/metadata/identity/oauth2/token", self.state.base_url)
    }

    /// The Azure Arc agent base (`{base_url}/arc`): `IMDS_ENDPOINT` on an Arc server (clients
    /// detect Arc by `IDENTITY_ENDPOINT` and `IMDS_ENDPOINT` both being set).
    pub fn arc_imds_endpoint(&self) -> String {
        format!("{}/arc", self.state.base_url)
    }

    /// The folder of Azure Arc challenge key files (`data_dir/arc-tokens`). A real Arc agent
    /// uses `/var/opt/azcmagent/tokens` (Linux) or
    /// `%ProgramData%\AzureConnectedMachineAgent\Tokens` (Windows), and clients check the
    /// file is there: tests must allow this folder instead.
    pub fn arc_key_dir(&self) -> &Path {
        self.state.arc_keys.dir()
    }

    /// A snapshot of the request counters (and of the open draft and upload session gauges).
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// The messages accepted since the start (or the last clear), oldest first.
    pub fn messages(&self) -> Vec<StoredMessage> {
        self.state.store.list()
    }

    /// Forget the accepted messages and delete the stored message files and their attachments
    /// (like `DELETE /_emulator/messages`). Open drafts are kept.
    pub fn clear_messages(&self) -> Result<(), EmulatorError> {
        self.state
            .clear_messages()
            .map_err(|e| EmulatorError::io("deleting stored messages", e))
    }

    /// Replace the request faults (see [`RequestFault`]) with `faults`, counting from zero
    /// again (a new "every Nth" count for each fault, no request in flight for the new
    /// concurrency limits). Requests already past their fault check are not affected.
    ///
    /// # Panics
    ///
    /// If a fault is not allowed for its scope or has an `every` of `0` (the checks
    /// [`Emulator::start`] makes for [`EmulatorConfig::request_faults`]).
    pub fn set_request_faults(&self, faults: Vec<(FaultScope, RequestFault)>) {
        if let Err(e) = check_request_faults(&faults) {
            panic!("invalid request fault: {e}");
        }
        self.state.request_faults.replace(&faults);
    }

    /// Switch Outlook's per app and mailbox limits at run time: `Some(limits)` (e.g.
    /// [`ThrottlingLimits::OUTLOOK`]) turns throttling on or changes the limits, `None` turns
    /// it off. Requests counted so far stay counted.
    pub fn set_throttling(&self, limits: Option<ThrottlingLimits>) {
        self.state.throttle.set_limits(limits);
    }

    /// Remove every request fault (upload faults are not affected).
    pub fn clear_request_faults(&self) {
        self.state.request_faults.replace(&[]);
    }

    /// Stop the server and join its thread (in-flight requests get up to two seconds).
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Users must have mailboxes, automatic device code approval must name a user, managed
/// identities need distinct IDs, at most one system-assigned one and known tenants.
fn check_identities(config: &EmulatorConfig) -> Result<(), EmulatorError> {
    for user in &config.users {
        if config.mailbox(user).is_none() {
            return Err(EmulatorError::Config(format!(
                "user {user} has no mailbox (add it with with_mailbox)"
            )));
        }
    }
    if let DeviceCodeBehaviour::ApproveAfterPolls { user, .. } = &config.device_code_behaviour {
        if config.user(user).is_none() {
            return Err(EmulatorError::Config(format!(
                "device codes are to be approved for {user}, who is not a registered user \
                 (add the user with with_user)"
            )));
        }
    }
    let identities = &config.managed_identities;
    if identities.iter().filter(|i| !i.user_assigned).count() > 1 {
        return Err(EmulatorError::Config(
            "more than one system-assigned managed identity".into(),
        ));
    }
    for (index, identity) in identities.iter().enumerate() {
        if let Some(tenant) = &identity.tenant_id {
            if !config.has_tenant(tenant) {
                return Err(EmulatorError::Config(format!(
                    "managed identity {} uses tenant {tenant}, which is not registered",
                    identity.client_id
                )));
            }
        }
        let clash = identities[..index].iter().any(|other| {
            other.client_id.eq_ignore_ascii_case(&identity.client_id)
                || other.object_id.eq_ignore_ascii_case(&identity.object_id)
                || other
                    .resource_id
                    .eq_ignore_ascii_case(&identity.resource_id)
        });
        if clash {
            return Err(EmulatorError::Config(format!(
                "managed identity {} shares an ID with another managed identity",
                identity.client_id
            )));
        }
    }
    Ok(())
}

/// The URL clients use: the loopback address for an unspecified bind address.
fn base_url(bind: IpAddr, port: u16) -> String {
    let host = match bind {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        other => other,
    };
    match host {
        IpAddr::V4(v4) => format!("https://{v4}:{port}"),
        IpAddr::V6(v6) => format!("https://[{v6}]:{port}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            base_url("127.0.0.1".parse().expect("ip"), 8443),
            "https://127.0.0.1:8443"
        );
        assert_eq!(
            base_url("0.0.0.0".parse().expect("ip"), 1),
            "https://127.0.0.1:1"
        );
        assert_eq!(base_url("::".parse().expect("ip"), 2), "https://[::1]:2");
        assert_eq!(base_url("::1".parse().expect("ip"), 3), "https://[::1]:3");
    }
}
