//! A certificate and its RSA private key, loaded from PEM (certificate + unencrypted key) or
//! PFX/PKCS#12 (with an optional password), and the signed client assertion (JWT) the identity
//! platform accepts in place of a client secret.

use std::fmt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256, RSA_PSS_SHA256};
use rustls::pki_types::pem::{PemObject, SectionKind};
use serde_json::json;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;

/// How the assertion is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssertionAlgorithm {
    /// RSASSA-PSS with SHA-256 and an `x5t#S256` thumbprint (what Microsoft documents today).
    #[default]
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 and an `x5t` (SHA-1) thumbprint (the older form).
    Rs256,
}

/// Signs the bytes of a client assertion with a key the library does not hold: a key in the
/// Windows certificate store that cannot be exported, a hardware module, a signing service.
/// The C ABI's `graph_client_new_with_signer` wraps a caller's callback in one.
pub trait AssertionSigner: Send + Sync {
    /// Signs `data` with SHA-256 and RSASSA-PSS (salt length 32) for [`AssertionAlgorithm::Ps256`]
    /// or RSASSA-PKCS1-v1_5 for [`AssertionAlgorithm::Rs256`], returning the signature (as
    /// long as the key's modulus). Errors use [`ErrorCode::SignerFailed`].
    fn sign(&self, algorithm: AssertionAlgorithm, data: &[u8]) -> Result<Vec<u8>>;
}

/// The key that signs: loaded from the file, or outside the library.
enum SigningKey {
    Local(Box<RsaKeyPair>),
    External(std::sync::Arc<dyn AssertionSigner>),
}

/// A certificate registered on the application, with the private key that signs assertions.
pub struct SigningCertificate {
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
    key: SigningKey,
}

impl fmt::Debug for SigningCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningCertificate")
            .field("x5t#S256", &self.thumbprint_sha256())
            .field("chain", &self.chain.len())
            .field(
                "key",
                &match self.key {
                    SigningKey::Local(_) => "[redacted]",
                    SigningKey::External(_) => "external signer",
                },
            )
            .finish()
    }
}

fn signer_error(why: impl fmt::Display) -> Error {
    Error::new(
        ErrorCode::SignerFailed,
        format!("The certificate signer could not sign the client assertion: {why}"),
    )
    .with_field("signingCertificate")
}

fn cert_error(path: &Path, why: impl fmt::Display) -> Error {
    Error::new(
        ErrorCode::InvalidConfig,
        format!(
            "The certificate file '{}' (certificatePath) cannot be used: {why}",
            path.display()
        ),
    )
    .with_field("certificatePath")
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl AssertionAlgorithm {
    /// The JWT `alg` name: `PS256` or `RS256`.
    pub fn name(self) -> &'static str {
        match self {
            AssertionAlgorithm::Ps256 => "PS256",
            AssertionAlgorithm::Rs256 => "RS256",
        }
    }
}

impl SigningCertificate {
    /// A certificate whose key stays outside the library: `certificates` are DER, the one the
    /// application registered first, then its chain (for `x5c`); `signer` signs. Each signature
    /// is checked against the certificate's public key before it is used, so a signer with the
    /// wrong key is reported here ([`ErrorCode::SignerFailed`]) rather than by the identity
    /// platform.
    pub fn with_signer(
        mut certificates: Vec<Vec<u8>>,
        signer: std::sync::Arc<dyn AssertionSigner>,
    ) -> Result<SigningCertificate> {
        let bad = |why: &str| {
            Error::new(
                ErrorCode::InvalidConfig,
                format!("'signingCertificate' cannot be used: {why}"),
            )
            .with_field("signingCertificate")
        };
        if certificates.is_empty() {
            return Err(bad("it holds no certificate."));
        }
        for der in &certificates {
            let der = rustls::pki_types::CertificateDer::from(der.as_slice());
            webpki::EndEntityCert::try_from(&der)
                .map_err(|_| bad("it is not a DER X.509 certificate in base64."))?;
        }
        let certificate = certificates.remove(0);
        Ok(SigningCertificate {
            certificate,
            chain: certificates,
            key: SigningKey::External(signer),
        })
    }

    /// Loads a `.pem`/`.crt`+key file, or a `.pfx`/`.p12` file (by content: PEM text or DER).
    pub fn from_file(path: &Path, password: Option<&Secret>) -> Result<SigningCertificate> {
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| {
            Error::new(
                ErrorCode::FileUnreadable,
                format!(
                    "The certificate file '{}' (certificatePath) cannot be read: {}.",
                    path.display(),
                    crate::message::io_reason(&e)
                ),
            )
            .with_field("certificatePath")
        })?);
        if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            Self::from_pem(&bytes, path)
        } else {
            Self::from_pfx(&bytes, password, path)
        }
    }

    fn from_pem(bytes: &[u8], path: &Path) -> Result<SigningCertificate> {
        let mut certs = Vec::new();
        let mut key: Option<RsaKeyPair> = None;
        for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(bytes) {
            let (kind, der) = item.map_err(|_| cert_error(path, "it is not valid PEM."))?;
            let der = Zeroizing::new(der);
            match kind {
                SectionKind::Certificate => certs.push(der.to_vec()),
                SectionKind::PrivateKey => {
                    key = Some(RsaKeyPair::from_pkcs8(&der).map_err(|_| {
                        cert_error(
                            path,
                            "its private key is not an RSA key (the identity platform needs RSA).",
                        )
                    })?)
                }
                SectionKind::RsaPrivateKey => {
                    key = Some(
                        RsaKeyPair::from_der(&der)
                            .map_err(|_| cert_error(path, "its RSA private key is invalid."))?,
                    )
                }
                SectionKind::EcPrivateKey => return Err(cert_error(
                    path,
                    "its private key is an EC key; the identity platform needs an RSA certificate.",
                )),
                _ => {}
            }
        }
        if bytes
            .windows(29)
            .any(|w| w == b"-----BEGIN ENCRYPTED PRIVATE ")
        {
            return Err(cert_error(path, "its private key is encrypted; use a PFX file with certificatePassword, or an unencrypted PEM key readable only by this account."));
        }
        let key = key.ok_or_else(|| {
            cert_error(
                path,
                "it holds no private key (put the certificate and its key in one PEM file).",
            )
        })?;
        Self::assemble(certs, key, path)
    }

    fn from_pfx(
        bytes: &[u8],
        password: Option<&Secret>,
        path: &Path,
    ) -> Result<SigningCertificate> {
        let password = password.map(Secret::expose).unwrap_or("");
        let store = p12_keystore::KeyStore::from_pkcs12(
            bytes,
            password,
            p12_keystore::Pkcs12ImportPolicy::Relaxed,
        )
        .map_err(|_| {
            cert_error(
                path,
                "it is neither PEM nor a PFX file that opens with the given certificatePassword.",
            )
        })?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| cert_error(path, "the PFX file holds no private key."))?;
        let key = RsaKeyPair::from_pkcs8(chain.key().as_der()).map_err(|_| {
            cert_error(
                path,
                "the PFX private key is not an RSA key (the identity platform needs RSA).",
            )
        })?;
        let certs = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
        Self::assemble(certs, key, path)
    }

    /// Picks the certificate that holds the key's public key; the others form the chain.
    fn assemble(
        mut certs: Vec<Vec<u8>>,
        key: RsaKeyPair,
        path: &Path,
    ) -> Result<SigningCertificate> {
        let public = key.public().as_ref().to_vec();
        let position = certs
            .iter()
            .position(|c| c.windows(public.len()).any(|w| w == public.as_slice()))
            .ok_or_else(|| cert_error(path, "no certificate in it matches the private key."))?;
        let certificate = certs.remove(position);
        Ok(SigningCertificate {
            certificate,
            chain: certs,
            key: SigningKey::Local(Box::new(key)),
        })
    }

    /// Base64url SHA-256 thumbprint of the certificate (`x5t#S256`).
    pub fn thumbprint_sha256(&self) -> String {
        b64url(ring::digest::digest(&ring::digest::SHA256, &self.certificate).as_ref())
    }

    /// Base64url SHA-1 thumbprint of the certificate (`x5t`).
    pub fn thumbprint_sha1(&self) -> String {
        b64url(
            ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &self.certificate)
                .as_ref(),
        )
    }

    /// Hex SHA-1 thumbprint, as the Azure portal and Windows show it.
    pub fn thumbprint_hex(&self) -> String {
        ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &self.certificate)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }

    /// Signs `data` with the local key, or asks the external signer and checks its answer.
    fn sign(&self, algorithm: AssertionAlgorithm, data: &[u8]) -> Result<Vec<u8>> {
        match &self.key {
            SigningKey::Local(key) => {
                let mut signature = vec![0u8; key.public().modulus_len()];
                let encoding: &'static dyn ring::signature::RsaEncoding = match algorithm {
                    AssertionAlgorithm::Ps256 => &RSA_PSS_SHA256,
                    AssertionAlgorithm::Rs256 => &RSA_PKCS1_SHA256,
                };
                key.sign(encoding, &SystemRandom::new(), data, &mut signature)
                    .map_err(|_| {
                        Error::new(ErrorCode::Internal, "Signing the client assertion failed.")
                    })?;
                Ok(signature)
            }
            SigningKey::External(signer) => {
                let signature = signer.sign(algorithm, data)?;
                let der = rustls::pki_types::CertificateDer::from(self.certificate.as_slice());
                let certificate = webpki::EndEntityCert::try_from(&der)
                    .map_err(|_| signer_error("the certificate cannot be parsed."))?;
                let verify: &dyn rustls::pki_types::SignatureVerificationAlgorithm = match algorithm
                {
                    AssertionAlgorithm::Ps256 => webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
                    AssertionAlgorithm::Rs256 => webpki::ring::RSA_PKCS1_2048_8192_SHA256,
                };
                certificate
                    .verify_signature(verify, data, &signature)
                    .map_err(|_| {
                        signer_error(format_args!(
                            "its {} signature does not verify with the public key of signingCertificate (thumbprint {}). The signer uses another key, or another algorithm than certificateAlgorithm.",
                            algorithm.name(),
                            self.thumbprint_hex()
                        ))
                    })?;
                Ok(signature)
            }
        }
    }

    /// A signed client assertion for `client_id` at the token endpoint `audience`, valid for
    /// 10 minutes: `aud`, `iss`, `sub`, `jti`, `nbf`, `iat`, `exp`. With `send_chain`, the
    /// certificate chain goes in `x5c` (for subject name/issuer authentication).
    pub fn sign_assertion(
        &self,
        client_id: &str,
        audience: &str,
        algorithm: AssertionAlgorithm,
        send_chain: bool,
    ) -> Result<Secret> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut header = match algorithm {
            AssertionAlgorithm::Ps256 => {
                json!({"alg": "PS256", "typ": "JWT", "x5t#S256": self.thumbprint_sha256()})
            }
            AssertionAlgorithm::Rs256 => {
                json!({"alg": "RS256", "typ": "JWT", "x5t": self.thumbprint_sha1()})
            }
        };
        if send_chain {
            let std = base64::engine::general_purpose::STANDARD;
            let x5c: Vec<String> = std::iter::once(&self.certificate)
                .chain(self.chain.iter())
                .map(|c| std.encode(c))
                .collect();
            header["x5c"] = json!(x5c);
        }
        let claims = json!({
            "aud": audience, "iss": client_id, "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now, "iat": now, "exp": now + 600,
        });
        let signing_input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let signature = self.sign(algorithm, signing_input.as_bytes())?;
        Ok(Secret::new(format!(
            "{signing_input}.{}",
            b64url(&signature)
        )))
    }
}
