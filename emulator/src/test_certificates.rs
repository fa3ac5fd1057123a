//! Fixed RSA test keys and certificates for certificate-credential tests.
//!
//! ring (the emulator's only crypto library) cannot generate RSA keys, so two 2048-bit keys
//! with self-signed certificates were generated once with
//! `openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -sha256 -subj "/CN=GraphMail test client a"`
//! and are shipped in `emulator/tests/fixtures/` (see its README). [`TestCertificate::generate`]
//! issues further certificates over the same keys with rcgen (e.g. an expired one).
//!
//! These keys are public test material: never register them with a real tenant.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::CertificateDer;

use crate::jwt::{self, ClientAssertion, JwtError, SigningKey};

const CLIENT_A_KEY: &str = include_str!("../tests/fixtures/client-a.key.pem");
const CLIENT_A_CERT: &str = include_str!("../tests/fixtures/client-a.cert.pem");
const CLIENT_B_KEY: &str = include_str!("../tests/fixtures/client-b.key.pem");
const CLIENT_B_CERT: &str = include_str!("../tests/fixtures/client-b.cert.pem");

/// The password of `tests/fixtures/client-a.pfx` (PKCS#12 of client A's certificate and key,
/// made with `openssl pkcs12 -export`, OpenSSL 3 defaults: AES-256-CBC, PBKDF2, SHA-256 MAC).
pub const CLIENT_A_PFX_PASSWORD: &str = "graphmail-test";

/// The folder holding the fixture files (`client-a.key.pem`, `client-a.cert.pem`,
/// `client-a.combined.pem`, `client-a.pkcs1.key.pem`, `client-a.pfx`, `client-b.*`).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// One of the fixed test keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestKey {
    /// The key of `client-a.*`.
    A,
    /// The key of `client-b.*` (a different key: signing with it gives a bad signature for
    /// client A's certificate).
    B,
}

impl TestKey {
    /// The PKCS#8 PEM of the key.
    pub fn pem(self) -> &'static str {
        match self {
            TestKey::A => CLIENT_A_KEY,
            TestKey::B => CLIENT_B_KEY,
        }
    }
}

/// A certificate with its RSA private key.
#[derive(Clone, Debug)]
pub struct TestCertificate {
    /// The private key (PKCS#8 PEM).
    pub key_pem: String,
    /// The certificate (PEM).
    pub cert_pem: String,
    /// The certificate (DER).
    pub cert_der: Vec<u8>,
}

impl TestCertificate {
    /// Client A: the fixture made with OpenSSL (valid until 2126).
    pub fn client_a() -> TestCertificate {
        Self::fixture(CLIENT_A_KEY, CLIENT_A_CERT)
    }

    /// Client B: a second fixture with its own key.
    pub fn client_b() -> TestCertificate {
        Self::fixture(CLIENT_B_KEY, CLIENT_B_CERT)
    }

    fn fixture(key_pem: &str, cert_pem: &str) -> TestCertificate {
        // The fixtures are part of the crate; a broken one is a build defect.
        let cert_der = CertificateDer::from_pem_slice(cert_pem.as_bytes())
            .expect("fixture certificate PEM")
            .to_vec();
        TestCertificate {
            key_pem: key_pem.to_string(),
            cert_pem: cert_pem.to_string(),
            cert_der,
        }
    }

    /// A new self-signed certificate over test key `key` (signed with it, SHA-256 RSA),
    /// subject `CN=common_name`, valid from `not_before` to `not_after` (a past `not_after`
    /// gives an expired certificate).
    pub fn generate(
        key: TestKey,
        common_name: &str,
        not_before: SystemTime,
        not_after: SystemTime,
    ) -> Result<TestCertificate, JwtError> {
        let invalid = |e: rcgen::Error| JwtError::InvalidCertificate(e.to_string());
        let key_pair = rcgen::KeyPair::from_pem(key.pem()).map_err(invalid)?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(invalid)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        params.not_before = not_before.into();
        params.not_after = not_after.into();
        let cert = params.self_signed(&key_pair).map_err(invalid)?;
        Ok(TestCertificate {
            key_pem: key.pem().to_string(),
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
        })
    }

    /// A certificate over test key `key` valid from a day ago for a year.
    pub fn generate_current(key: TestKey, common_name: &str) -> Result<TestCertificate, JwtError> {
        let now = SystemTime::now();
        let day = Duration::from_secs(24 * 3600);
        Self::generate(key, common_name, now - day, now + 365 * day)
    }

    /// The private key, ready to sign.
    pub fn signing_key(&self) -> SigningKey {
        // `key_pem` comes from the fixtures unless a caller replaced it.
        SigningKey::from_pem(&self.key_pem).expect("test certificate key")
    }

    /// Certificate followed by key, as one PEM file (what `AZURE_CLIENT_CERTIFICATE_PATH`
    /// usually points at).
    pub fn combined_pem(&self) -> String {
        format!("{}{}", self.cert_pem, self.key_pem)
    }

    /// `x5t` (base64url SHA-1) of the certificate.
    pub fn x5t(&self) -> String {
        jwt::x5t(&self.cert_der)
    }

    /// `x5t#S256` (base64url SHA-256) of the certificate.
    pub fn x5t_s256(&self) -> String {
        jwt::x5t_s256(&self.cert_der)
    }

    /// The SHA-1 thumbprint in upper-case hex (as the Azure portal shows it).
    pub fn thumbprint_hex(&self) -> String {
        jwt::thumbprint_hex(&self.cert_der)
    }

    /// A signed PS256 client assertion for `client_id` and `audience` (the token URL).
    pub fn assertion(&self, client_id: &str, audience: &str) -> Result<String, JwtError> {
        ClientAssertion::new(client_id, audience).sign(&self.signing_key(), &self.cert_der)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_load_and_differ() {
        let a = TestCertificate::client_a();
        let b = TestCertificate::client_b();
        assert_ne!(a.cert_der, b.cert_der);
        assert_ne!(
            a.signing_key().public_key_der(),
            b.signing_key().public_key_der()
        );
        assert!(a.combined_pem().contains("BEGIN CERTIFICATE"));
        assert!(a.combined_pem().contains("BEGIN PRIVATE KEY"));
        assert!(fixtures_dir().join("client-a.pfx").is_file());
        let on_disk = std::fs::read_to_string(fixtures_dir().join("client-a.cert.pem"))
            .expect("fixture on disk");
        assert_eq!(on_disk, a.cert_pem);
    }

    #[test]
    fn generated_certificates_use_the_fixed_keys() {
        let now = SystemTime::now();
        let day = Duration::from_secs(86_400);
        let expired = TestCertificate::generate(TestKey::A, "expired", now - 10 * day, now - day)
            .expect("generate");
        let current = TestCertificate::generate_current(TestKey::A, "current").expect("gen");
        assert_ne!(expired.cert_der, current.cert_der);
        assert_eq!(
            current.signing_key().public_key_der(),
            TestCertificate::client_a().signing_key().public_key_der()
        );
        let parsed =
            crate::certificates::RegisteredCertificate::parse(&current.cert_der).expect("parse");
        assert_eq!(parsed.thumbprint_hex(), current.thumbprint_hex());
    }
}
