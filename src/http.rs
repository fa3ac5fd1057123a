//! The one HTTP client of a [`crate::Client`]: rustls with TLS 1.2 as the minimum, the
//! system's and Mozilla's roots plus an optional extra CA, HTTP/2 by ALPN, redirects off,
//! timeouts and proxy from the configuration; and the mapping of transport failures
//! (TLS version, untrusted certificate, timeout, connection) to clear [`Error`]s.

use std::error::Error as StdError;
use std::sync::Arc;

use once_cell::sync::Lazy;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{AlertDescription, RootCertStore};

use crate::config::{ClientConfig, ProxySetting};
use crate::error::{Error, ErrorCode, Result};

/// The operating system's trusted roots, loaded once per process.
static NATIVE_ROOTS: Lazy<Vec<CertificateDer<'static>>> =
    Lazy::new(|| rustls_native_certs::load_native_certs().certs);

/// The `User-Agent` GraphMail sends.
pub const USER_AGENT: &str = concat!("graphmail/", env!("CARGO_PKG_VERSION"));

fn read_extra_roots(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| {
        Error::new(
            ErrorCode::FileUnreadable,
            format!(
                "The CA certificate file '{shown}' (caCertificatePath) cannot be read: {}.",
                crate::message::io_reason(&e)
            ),
        )
        .with_field("caCertificatePath")
        .with_source(e)
    })?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| {
            Error::new(
                ErrorCode::InvalidConfig,
                format!("The CA certificate file '{shown}' (caCertificatePath) is not valid PEM."),
            )
            .with_field("caCertificatePath")
        })?;
    if certs.is_empty() {
        return Err(Error::new(
            ErrorCode::InvalidConfig,
            format!(
                "The CA certificate file '{shown}' (caCertificatePath) holds no PEM certificate."
            ),
        )
        .with_field("caCertificatePath"));
    }
    Ok(certs)
}

/// Builds the rustls configuration: TLS 1.3 and 1.2 only, ring, certificate validation always on.
pub(crate) fn tls_config(config: &ClientConfig) -> Result<rustls::ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for cert in NATIVE_ROOTS.iter() {
        // A malformed system root is skipped, as browsers do; it cannot weaken validation.
        let _ = roots.add(cert.clone());
    }
    if let Some(path) = config.ca_certificate_path() {
        for cert in read_extra_roots(path)? {
            roots.add(cert).map_err(|_| {
                Error::new(
                    ErrorCode::InvalidConfig,
                    format!(
                        "The CA certificate file '{}' (caCertificatePath) holds a certificate that cannot be used as a trust anchor.",
                        path.display()
                    ),
                )
                .with_field("caCertificatePath")
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::new(ErrorCode::Internal, "TLS setup failed.").with_source(e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tls)
}

/// Builds the HTTP client used for every request of one [`crate::Client`].
pub(crate) fn build_http_client(config: &ClientConfig) -> Result<reqwest::Client> {
    let mut builder = base_builder(config)?
        .https_only(true)
        .pool_idle_timeout(std::time::Duration::from_secs(90));
    builder = match &config.proxy {
        ProxySetting::System => builder,
        ProxySetting::Direct => builder.no_proxy(),
        ProxySetting::Url(url) => {
            let proxy = reqwest::Proxy::all(url.expose())
                .map_err(|_| {
                    Error::new(
                        ErrorCode::InvalidConfig,
                        "'proxy' is not a valid proxy URL.",
                    )
                    .with_field("proxy")
                })?
                .no_proxy(reqwest::NoProxy::from_env());
            builder.proxy(proxy)
        }
    };
    finish(builder)
}

/// What every GraphMail HTTP client shares: TLS (1.2+, validation on), no redirects, the
/// user agent and the configured timeouts.
fn base_builder(config: &ClientConfig) -> Result<reqwest::ClientBuilder> {
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config(config)?)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .connect_timeout(config.connect_timeout())
        .timeout(config.timeout()))
}

fn finish(builder: reqwest::ClientBuilder) -> Result<reqwest::Client> {
    builder.build().map_err(|e| {
        Error::new(ErrorCode::Internal, "The HTTP client could not be created.").with_source(e)
    })
}

/// The client for a managed identity endpoint. Those are plain HTTP on the machine itself
/// (IMDS at 169.254.169.254, App Service and Arc on localhost) and must not go through a
/// proxy; any other host must use HTTPS with the usual validation.
pub(crate) fn build_identity_client(
    config: &ClientConfig,
    source: &crate::auth::managed_identity::ManagedIdentitySource,
) -> Result<reqwest::Client> {
    use crate::auth::managed_identity::ManagedIdentitySource;
    let endpoint = match source {
        ManagedIdentitySource::AppService { endpoint, .. }
        | ManagedIdentitySource::Arc { endpoint, .. }
        | ManagedIdentitySource::Imds { endpoint } => endpoint,
    };
    let url = reqwest::Url::parse(endpoint).map_err(|_| {
        Error::new(
            ErrorCode::InvalidConfig,
            format!("The managed identity endpoint '{endpoint}' is not a URL."),
        )
        .with_field("managedIdentity")
    })?;
    let local = matches!(
        url.host_str(),
        Some("169.254.169.254" | "localhost" | "127.0.0.1" | "[::1]" | "::1")
    );
    if url.scheme() != "https" && !(url.scheme() == "http" && local) {
        return Err(Error::new(
            ErrorCode::InvalidConfig,
            format!("The managed identity endpoint '{endpoint}' must be https:// unless it is on this machine."),
        )
        .with_field("managedIdentity"));
    }
    finish(base_builder(config)?.no_proxy())
}

/// Finds a rustls error anywhere in an error's source chain.
pub(crate) fn find_rustls_error<'a>(
    err: &'a (dyn StdError + 'static),
) -> Option<&'a rustls::Error> {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(r) = find_rustls_error(inner) {
                    return Some(r);
                }
            }
        }
        cur = e.source();
    }
    None
}

fn chain_mentions(err: &(dyn StdError + 'static), needle: &str) -> bool {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if e.to_string().to_ascii_lowercase().contains(needle) {
            return true;
        }
        cur = e.source();
    }
    false
}

/// Turns a transport failure into an [`Error`] that names the host and the fix.
pub(crate) fn classify(err: reqwest::Error, what: &str, host: &str) -> Error {
    if let Some(tls) = find_rustls_error(&err) {
        let (code, message) = match tls {
            rustls::Error::AlertReceived(AlertDescription::ProtocolVersion)
            | rustls::Error::PeerIncompatible(_) => (
                ErrorCode::TlsVersionUnsupported,
                format!("{host} does not support TLS 1.2 or newer. GraphMail requires TLS 1.2+ (Microsoft retired TLS 1.0 and 1.1); the server, or a proxy in between, must be upgraded."),
            ),
            rustls::Error::InvalidCertificate(reason) => (
                ErrorCode::TlsCertificateInvalid,
                format!("The TLS certificate of {host} is not trusted ({reason:?}). If a TLS-inspecting proxy or a private CA (such as the GraphMail emulator's) is in use, add its CA certificate with caCertificatePath / GRAPHMAIL_CA_FILE; certificate validation is never turned off."),
            ),
            other => (
                ErrorCode::TlsHandshakeFailed,
                format!("The TLS handshake with {host} failed ({other}). GraphMail requires TLS 1.2+ with modern cipher suites."),
            ),
        };
        return Error::new(code, message).with_source(err);
    }
    if err.is_timeout() {
        return Error::new(
            ErrorCode::Timeout,
            format!("{what} to {host} timed out. Check the network, or raise timeoutSeconds / connectTimeoutSeconds."),
        )
        .with_source(err);
    }
    let proxy_hint = if chain_mentions(&err, "proxy") {
        " (through the configured proxy)"
    } else {
        ""
    };
    Error::new(
        ErrorCode::ConnectionFailed,
        format!("{what} to {host} failed: the connection could not be made or was broken{proxy_hint}. Check the host name, the network and any proxy (HTTPS_PROXY / NO_PROXY)."),
    )
    .with_source(err)
}

/// The `scheme://host[:port]` of a URL, for messages.
pub(crate) fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| url.to_string())
}
