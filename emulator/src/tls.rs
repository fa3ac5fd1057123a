//! The emulator's local certificate authority and TLS server configuration.
//!
//! [`CertificateAuthority::load_or_create`] keeps one CA per data folder (`ca.pem` +
//! `ca-key.pem`), so a client configured with `GRAPHMAIL_CA_FILE=<dir>/ca.pem` keeps working
//! across emulator restarts; every start issues a fresh server certificate from it. The same
//! CA can issue certificates for other test servers (e.g. an `openssl s_server` that only
//! speaks TLS 1.1) via [`CertificateAuthority::issue_server_certificate`].

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

use crate::error::EmulatorError;

/// File name of the CA certificate (PEM) inside the data folder.
pub const CA_CERT_FILE: &str = "ca.pem";
/// File name of the CA private key (PKCS#8 PEM, mode 0600 on Unix) inside the data folder.
pub const CA_KEY_FILE: &str = "ca-key.pem";
/// Common name of a CA created by the emulator.
pub const CA_COMMON_NAME: &str = "GraphMail Emulator Local CA";
/// Common name of server certificates issued by the emulator.
pub const SERVER_COMMON_NAME: &str = "GraphMail Emulator";

/// How long a newly created CA is valid.
const CA_VALIDITY_DAYS: i64 = 3650;
/// How long an issued server certificate is valid (the browser limit of 397 days).
const SERVER_VALIDITY_DAYS: i64 = 397;

/// A certificate authority that can sign server certificates.
pub struct CertificateAuthority {
    issuer: Issuer<'static, KeyPair>,
    certificate_pem: String,
    certificate_der: CertificateDer<'static>,
    created: bool,
}

impl fmt::Debug for CertificateAuthority {
    // The signing key is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateAuthority")
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

impl CertificateAuthority {
    /// Create a new CA in memory: ECDSA P-256, `CA:true` (path length 0), named
    /// [`CA_COMMON_NAME`], valid for ten years.
    pub fn generate() -> Result<Self, EmulatorError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, CA_COMMON_NAME);
        dn.push(DnType::OrganizationName, "GraphMail");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(CA_VALIDITY_DAYS);
        params.serial_number = Some(random_serial());
        let cert = params.self_signed(&key)?;
        Ok(CertificateAuthority {
            certificate_pem: cert.pem(),
            certificate_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
            created: true,
        })
    }

    /// Load `dir/ca.pem` + `dir/ca-key.pem` when both exist, otherwise create a new CA and
    /// write both files (creating `dir` if needed; the key with mode 0600 on Unix).
    ///
    /// An existing but unusable pair (unparsable, or key not matching the certificate) is an
    /// error rather than being overwritten, so a CA a user already trusts is never replaced
    /// silently.
    pub fn load_or_create(dir: &Path) -> Result<Self, EmulatorError> {
        // Emulators started concurrently on one folder (parallel tests) must agree on one CA.
        static CREATING: Mutex<()> = Mutex::new(());
        let _serialized = CREATING.lock().unwrap_or_else(|p| p.into_inner());
        let cert_path = dir.join(CA_CERT_FILE);
        let key_path = dir.join(CA_KEY_FILE);
        if cert_path.is_file() && key_path.is_file() {
            return Self::load(&cert_path, &key_path);
        }
        fs::create_dir_all(dir)
            .map_err(|e| EmulatorError::io(format!("creating {}", dir.display()), e))?;
        let ca = Self::generate()?;
        ca.write_pem_files(&cert_path, &key_path)?;
        Ok(ca)
    }

    /// Load a CA from a PEM certificate and a PEM (PKCS#8) private key.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Self, EmulatorError> {
        let invalid = |reason: String| EmulatorError::InvalidCa {
            path: cert_path.to_path_buf(),
            reason,
        };
        let certificate_pem = fs::read_to_string(cert_path)
            .map_err(|e| EmulatorError::io(format!("reading {}", cert_path.display()), e))?;
        let key_pem = fs::read_to_string(key_path)
            .map_err(|e| EmulatorError::io(format!("reading {}", key_path.display()), e))?;
        let key = KeyPair::from_pem(&key_pem)
            .map_err(|e| invalid(format!("unreadable key {}: {e}", key_path.display())))?;
        let certificate_der = CertificateDer::from_pem_slice(certificate_pem.as_bytes())
            .map_err(|e| invalid(format!("unreadable certificate: {e}")))?;
        // The subject public key is embedded verbatim in the certificate's SPKI.
        if !contains(certificate_der.as_ref(), key.public_key_raw()) {
            return Err(invalid(format!(
                "the key in {} does not belong to this certificate",
                key_path.display()
            )));
        }
        let issuer = Issuer::from_ca_cert_der(&certificate_der, key)
            .map_err(|e| invalid(format!("not usable as an issuer: {e}")))?;
        Ok(CertificateAuthority {
            issuer,
            certificate_pem,
            certificate_der,
            created: false,
        })
    }

    /// Write the certificate and key as PEM files (the key with mode 0600 on Unix). Each file
    /// is written to a temporary name and renamed, so readers never see a partial file.
    pub fn write_pem_files(&self, cert_path: &Path, key_path: &Path) -> Result<(), EmulatorError> {
        write_private(key_path, self.issuer.key().serialize_pem().as_bytes())?;
        write_public(cert_path, self.certificate_pem.as_bytes())
    }

    /// The CA certificate as PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The CA certificate as DER.
    pub fn certificate_der(&self) -> &CertificateDer<'static> {
        &self.certificate_der
    }

    /// `true` if this CA was generated (by [`generate`](Self::generate) or
    /// [`load_or_create`](Self::load_or_create)), `false` if it was loaded from files.
    pub fn was_created(&self) -> bool {
        self.created
    }

    /// Issue a server certificate (ECDSA P-256, `serverAuth`, valid 397 days from an hour ago)
    /// for the given DNS names and IP addresses, signed by this CA.
    pub fn issue_server_certificate(
        &self,
        dns_names: &[&str],
        ips: &[IpAddr],
    ) -> Result<ServerCertificate, EmulatorError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, SERVER_COMMON_NAME);
        params.distinguished_name = dn;
        let mut sans = Vec::new();
        for name in dns_names {
            sans.push(SanType::DnsName((*name).try_into()?));
        }
        for ip in ips {
            if !sans.contains(&SanType::IpAddress(*ip)) {
                sans.push(SanType::IpAddress(*ip));
            }
        }
        params.subject_alt_names = sans;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::hours(1);
        params.not_after = now + Duration::days(SERVER_VALIDITY_DAYS);
        params.serial_number = Some(random_serial());
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(ServerCertificate {
            certificate_pem: cert.pem(),
            private_key_pem: key.serialize_pem(),
            certificate_der: cert.der().clone(),
            private_key_der: key.serialize_der(),
        })
    }

    /// The certificate the emulator serves: `localhost`, `127.0.0.1`, `::1` and `bind` (unless
    /// it is the unspecified address).
    pub(crate) fn issue_emulator_certificate(
        &self,
        bind: IpAddr,
    ) -> Result<ServerCertificate, EmulatorError> {
        let mut ips: Vec<IpAddr> = vec![
            IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ];
        if !bind.is_unspecified() {
            ips.push(bind);
        }
        self.issue_server_certificate(&["localhost"], &ips)
    }
}

/// A server certificate and its private key.
#[derive(Clone)]
pub struct ServerCertificate {
    /// The certificate as PEM.
    pub certificate_pem: String,
    /// The private key as PKCS#8 PEM.
    pub private_key_pem: String,
    certificate_der: CertificateDer<'static>,
    private_key_der: Vec<u8>,
}

impl fmt::Debug for ServerCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerCertificate")
            .field("certificate_pem", &self.certificate_pem)
            .field("private_key_pem", &"<redacted>")
            .finish()
    }
}

impl ServerCertificate {
    /// The certificate as DER.
    pub fn certificate_der(&self) -> &CertificateDer<'static> {
        &self.certificate_der
    }

    /// The private key as DER (PKCS#8).
    pub fn private_key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.private_key_der.clone()))
    }

    /// Write the certificate and key as PEM files (the key with mode 0600 on Unix).
    pub fn write_pem_files(&self, cert_path: &Path, key_path: &Path) -> Result<(), EmulatorError> {
        write_private(key_path, self.private_key_pem.as_bytes())?;
        write_public(cert_path, self.certificate_pem.as_bytes())
    }
}

/// rustls' ring crypto provider (the emulator never uses aws-lc-rs).
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A rustls server configuration serving `cert`: TLS 1.2 and 1.3 only, ALPN `h2` then
/// `http/1.1`.
pub fn server_config(cert: &ServerCertificate) -> Result<rustls::ServerConfig, EmulatorError> {
    let mut config = rustls::ServerConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(vec![cert.certificate_der().clone()], cert.private_key_der())?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A random positive 128-bit serial number.
fn random_serial() -> SerialNumber {
    let mut bytes = crate::random::bytes::<16>();
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01; // keep 16 significant bytes
    SerialNumber::from_slice(&bytes)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    let unique = u64::from_le_bytes(crate::random::bytes::<8>());
    name.push(format!(".tmp-{}-{unique:016x}", std::process::id()));
    path.with_file_name(name)
}

/// Write `data` to `path` via a temporary file and rename, with `mode` on Unix.
fn write_atomically(path: &Path, data: &[u8], mode: u32) -> Result<(), EmulatorError> {
    let tmp = temp_path(path);
    let ctx = |what: &str| format!("{what} {}", tmp.display());
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(&tmp)
        .map_err(|e| EmulatorError::io(ctx("creating"), e))?;
    file.write_all(data)
        .and_then(|()| file.sync_all())
        .map_err(|e| EmulatorError::io(ctx("writing"), e))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        EmulatorError::io(
            format!("renaming {} to {}", tmp.display(), path.display()),
            e,
        )
    })
}

fn write_private(path: &Path, data: &[u8]) -> Result<(), EmulatorError> {
    write_atomically(path, data, 0o600)
}

fn write_public(path: &Path, data: &[u8]) -> Result<(), EmulatorError> {
    write_atomically(path, data, 0o644)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_then_load_same_ca() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = CertificateAuthority::load_or_create(dir.path()).expect("create");
        assert!(ca.was_created());
        let again = CertificateAuthority::load_or_create(dir.path()).expect("load");
        assert!(!again.was_created());
        assert_eq!(ca.certificate_pem(), again.certificate_pem());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.path().join(CA_KEY_FILE))
                .expect("key file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A certificate issued by the reloaded CA builds a TLS config.
        let cert = again
            .issue_server_certificate(&["localhost"], &["127.0.0.1".parse().expect("ip")])
            .expect("issue");
        server_config(&cert).expect("server config");
        assert!(cert
            .certificate_pem
            .starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(cert.private_key_pem.contains("PRIVATE KEY"));
    }

    #[test]
    fn mismatched_key_is_rejected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = CertificateAuthority::generate().expect("a");
        let b = CertificateAuthority::generate().expect("b");
        let cert_path = dir.path().join(CA_CERT_FILE);
        let key_path = dir.path().join(CA_KEY_FILE);
        a.write_pem_files(&cert_path, &key_path).expect("write a");
        fs::write(&key_path, b.issuer.key().serialize_pem()).expect("write b key");
        let err = CertificateAuthority::load_or_create(dir.path()).expect_err("mismatch");
        assert!(matches!(err, EmulatorError::InvalidCa { .. }), "{err}");
    }
}
