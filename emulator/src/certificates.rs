//! Certificates registered as app credentials: reading them (DER or PEM, X.509 with an RSA
//! key), their thumbprints, and finding the one a client assertion's header names.

use std::collections::HashMap;

use ring::digest;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::CertificateDer;
use x509_parser::prelude::{FromDer as _, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::config::AppRegistration;
use crate::error::EmulatorError;

/// Smallest and largest RSA modulus ring verifies (and Entra accepts).
const MIN_RSA_BITS: usize = 2048;
const MAX_RSA_BITS: usize = 8192;

/// The DER of the first `CERTIFICATE` block of PEM text, or the bytes as given (DER, or
/// something [`RegisteredCertificate::parse`] will reject).
pub(crate) fn der_from_pem_or_der(bytes: &[u8]) -> Vec<u8> {
    let text = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |start| &bytes[start..]);
    if text.starts_with(b"-----BEGIN") {
        if let Ok(cert) = CertificateDer::from_pem_slice(text) {
            return cert.to_vec();
        }
    }
    bytes.to_vec()
}

/// A registered certificate, read once at start.
#[derive(Clone, Debug)]
pub(crate) struct RegisteredCertificate {
    sha1: Vec<u8>,
    sha256: Vec<u8>,
    /// The DER `RSAPublicKey` ring verifies with.
    pub(crate) public_key: Vec<u8>,
    /// Validity, seconds since the epoch.
    pub(crate) not_before: i64,
    pub(crate) not_after: i64,
}

impl RegisteredCertificate {
    /// Read an X.509 certificate (DER) with an RSA key of 2048 to 8192 bits.
    pub(crate) fn parse(der: &[u8]) -> Result<RegisteredCertificate, String> {
        let (rest, cert) = X509Certificate::from_der(der)
            .map_err(|e| format!("not a DER X.509 certificate ({e})"))?;
        if !rest.is_empty() {
            return Err("trailing bytes after the certificate".into());
        }
        let spki = cert.public_key();
        let Ok(PublicKey::RSA(rsa)) = spki.parsed() else {
            return Err("its public key is not RSA (Entra app credentials use RSA keys)".into());
        };
        let bits = modulus_bits(rsa.modulus);
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(format!(
                "its RSA key has {bits} bits; {MIN_RSA_BITS} to {MAX_RSA_BITS} are accepted"
            ));
        }
        let validity = cert.validity();
        Ok(RegisteredCertificate {
            sha1: digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der)
                .as_ref()
                .to_vec(),
            sha256: digest::digest(&digest::SHA256, der).as_ref().to_vec(),
            public_key: spki.subject_public_key.data.to_vec(),
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
        })
    }

    /// The SHA-1 thumbprint in upper-case hex.
    #[cfg(test)]
    pub(crate) fn thumbprint_hex(&self) -> String {
        crate::jwt::hex_upper(&self.sha1)
    }
}

/// Bits of a big-endian unsigned integer (leading zero bytes ignored).
fn modulus_bits(modulus: &[u8]) -> usize {
    let trimmed: &[u8] = match modulus.iter().position(|&b| b != 0) {
        Some(start) => &modulus[start..],
        None => &[],
    };
    match trimmed.first() {
        Some(first) => trimmed.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

/// Which thumbprint a client assertion's header gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Thumbprint<'a> {
    /// `x5t#S256`: SHA-256 of the DER.
    Sha256(&'a [u8]),
    /// `x5t`: SHA-1 of the DER.
    Sha1(&'a [u8]),
}

/// The registered certificates of every app, by lower-case client ID.
#[derive(Default)]
pub(crate) struct CertificateRegistry {
    by_app: HashMap<String, Vec<RegisteredCertificate>>,
}

impl CertificateRegistry {
    /// Read every app's certificates; any unusable one fails the start.
    pub(crate) fn load(apps: &[AppRegistration]) -> Result<CertificateRegistry, EmulatorError> {
        let mut by_app: HashMap<String, Vec<RegisteredCertificate>> = HashMap::new();
        for app in apps {
            for (index, der) in app.certificates.iter().enumerate() {
                let cert = RegisteredCertificate::parse(der).map_err(|reason| {
                    EmulatorError::Config(format!(
                        "certificate {} of app {} cannot be used: {reason}",
                        index + 1,
                        app.client_id
                    ))
                })?;
                by_app
                    .entry(app.client_id.to_ascii_lowercase())
                    .or_default()
                    .push(cert);
            }
        }
        Ok(CertificateRegistry { by_app })
    }

    /// The certificate of `client_id` with the given thumbprint.
    pub(crate) fn find(
        &self,
        client_id: &str,
        thumbprint: Thumbprint<'_>,
    ) -> Option<&RegisteredCertificate> {
        self.by_app
            .get(&client_id.to_ascii_lowercase())?
            .iter()
            .find(|cert| match thumbprint {
                Thumbprint::Sha256(t) => cert.sha256 == t,
                Thumbprint::Sha1(t) => cert.sha1 == t,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_certificates::TestCertificate;

    #[test]
    fn pem_and_der_are_both_accepted() {
        let a = TestCertificate::client_a();
        assert_eq!(der_from_pem_or_der(a.cert_pem.as_bytes()), a.cert_der);
        assert_eq!(
            der_from_pem_or_der(format!("\n  {}", a.cert_pem).as_bytes()),
            a.cert_der
        );
        assert_eq!(der_from_pem_or_der(&a.cert_der), a.cert_der);
        assert_eq!(der_from_pem_or_der(b"junk"), b"junk");
        let cert = RegisteredCertificate::parse(&a.cert_der).expect("parse");
        assert_eq!(cert.thumbprint_hex(), a.thumbprint_hex());
        assert!(cert.not_after > cert.not_before);
    }

    #[test]
    fn unusable_certificates() {
        assert!(RegisteredCertificate::parse(b"junk").is_err());
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let ec = rcgen::CertificateParams::new(vec!["x".to_string()])
            .expect("params")
            .self_signed(&key)
            .expect("cert");
        let err = RegisteredCertificate::parse(ec.der()).expect_err("EC");
        assert!(err.contains("not RSA"), "{err}");
        let mut trailing = TestCertificate::client_a().cert_der;
        trailing.push(0);
        assert!(RegisteredCertificate::parse(&trailing).is_err());
    }

    #[test]
    fn bits() {
        assert_eq!(modulus_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(modulus_bits(&[0x01, 0xff]), 9);
        assert_eq!(modulus_bits(&[0, 0]), 0);
        assert_eq!(modulus_bits(&[]), 0);
    }

    #[test]
    fn registry_lookup() {
        let a = TestCertificate::client_a();
        let b = TestCertificate::client_b();
        let apps = [AppRegistration::new("App", "").with_certificate(&a.cert_pem)];
        let registry = CertificateRegistry::load(&apps).expect("load");
        let sha256 = digest::digest(&digest::SHA256, &a.cert_der);
        let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &a.cert_der);
        assert!(registry
            .find("app", Thumbprint::Sha256(sha256.as_ref()))
            .is_some());
        assert!(registry
            .find("APP", Thumbprint::Sha1(sha1.as_ref()))
            .is_some());
        assert!(registry
            .find("app", Thumbprint::Sha1(sha256.as_ref()))
            .is_none());
        assert!(registry
            .find("other", Thumbprint::Sha1(sha1.as_ref()))
            .is_none());
        let b_sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &b.cert_der);
        assert!(registry
            .find("app", Thumbprint::Sha1(b_sha1.as_ref()))
            .is_none());
        let bad = [AppRegistration::new("x", "").with_certificate(b"junk")];
        let err = CertificateRegistry::load(&bad).err().expect("error");
        assert!(err.to_string().contains("certificate 1 of app x"), "{err}");
    }
}
