//! JSON Web Tokens (compact JWS, RSA only) as the emulated identity platform reads them, and
//! helpers that build and sign client assertions, so tests can present good, badly signed,
//! expired or otherwise wrong assertions.
//!
//! Signing and verification use ring: `PS256` (RSASSA-PSS with SHA-256) and `RS256`
//! (RSASSA-PKCS1-v1_5 with SHA-256), RSA keys of 2048 to 8192 bits.
//!
//! ```
//! use graphmail_emulator::jwt::ClientAssertion;
//! use graphmail_emulator::test_certificates::TestCertificate;
//!
//! let cert = TestCertificate::client_a();
//! let audience = "https://127.0.0.1:8443/my-tenant/oauth2/v2.0/token";
//! let good = ClientAssertion::new("my-client-id", audience)
//!     .sign(&cert.signing_key(), &cert.cert_der)?;
//! let expired = ClientAssertion::new("my-client-id", audience)
//!     .valid_between(1_000_000_000, 1_000_000_600)
//!     .sign(&cert.signing_key(), &cert.cert_der)?;
//! # let _ = (good, expired);
//! # Ok::<(), graphmail_emulator::jwt::JwtError>(())
//! ```

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::digest;
use ring::signature::{self, RsaKeyPair, UnparsedPublicKey};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::PrivateKeyDer;
use serde_json::{json, Map, Value};

/// The `client_assertion_type` of a JWT client assertion.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The audience Entra expects in federated (workload identity) tokens.
pub const FEDERATION_AUDIENCE: &str = "api://AzureADTokenExchange";
/// The assertion lifetime [`ClientAssertion::new`] uses (10 minutes, as Entra advises).
pub const DEFAULT_ASSERTION_LIFETIME_SECS: i64 = 600;

/// A JWS signature algorithm the emulator accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PSS with SHA-256 (Entra's current advice, with the `x5t#S256` header).
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (the older advice, with the `x5t` header).
    Rs256,
}

impl Algorithm {
    /// The JOSE name (`PS256`, `RS256`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Ps256 => "PS256",
            Algorithm::Rs256 => "RS256",
        }
    }

    /// The algorithm named `name` (exact, as JOSE names are case-sensitive).
    pub fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "PS256" => Some(Algorithm::Ps256),
            "RS256" => Some(Algorithm::Rs256),
            _ => None,
        }
    }

    fn verification(self) -> &'static signature::RsaParameters {
        match self {
            Algorithm::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
            Algorithm::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        }
    }

    fn padding(self) -> &'static dyn signature::RsaEncoding {
        match self {
            Algorithm::Ps256 => &signature::RSA_PSS_SHA256,
            Algorithm::Rs256 => &signature::RSA_PKCS1_SHA256,
        }
    }
}

/// Why a JWT could not be built, signed or read.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// The token is not a compact JWS with JSON header and claims.
    #[error("malformed JWT: {0}")]
    Malformed(String),
    /// The private key is not an RSA key ring accepts.
    #[error("unusable RSA private key: {0}")]
    InvalidKey(String),
    /// A certificate could not be read or generated.
    #[error("unusable certificate: {0}")]
    InvalidCertificate(String),
    /// ring refused to sign.
    #[error("signing failed")]
    Signing,
}

/// An RSA private key that signs JWTs.
pub struct SigningKey {
    key: RsaKeyPair,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("modulus_bits", &(self.key.public().modulus_len() * 8))
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The first private key in PEM text: PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE
    /// KEY`). Other blocks (e.g. the certificate of a combined PEM file) are skipped.
    pub fn from_pem(pem: &str) -> Result<SigningKey, JwtError> {
        let key = PrivateKeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| JwtError::InvalidKey(format!("no private key in the PEM text ({e})")))?;
        match key {
            PrivateKeyDer::Pkcs8(der) => Self::from_pkcs8_der(der.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(der) => Self::from_pkcs1_der(der.secret_pkcs1_der()),
            _ => Err(JwtError::InvalidKey("not an RSA key".into())),
        }
    }

    /// A PKCS#8 DER RSA private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<SigningKey, JwtError> {
        RsaKeyPair::from_pkcs8(der)
            .map(|key| SigningKey { key })
            .map_err(|e| JwtError::InvalidKey(e.to_string()))
    }

    /// A PKCS#1 DER RSA private key.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<SigningKey, JwtError> {
        RsaKeyPair::from_der(der)
            .map(|key| SigningKey { key })
            .map_err(|e| JwtError::InvalidKey(e.to_string()))
    }

    /// Sign `message` with `algorithm`.
    pub fn sign(&self, algorithm: Algorithm, message: &[u8]) -> Result<Vec<u8>, JwtError> {
        let mut signature = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(
                algorithm.padding(),
                &ring::rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| JwtError::Signing)?;
        Ok(signature)
    }

    /// The public key as a DER `RSAPublicKey` (PKCS#1), the form [`Decoded::verify`] takes.
    pub fn public_key_der(&self) -> Vec<u8> {
        use ring::signature::KeyPair as _;
        self.key.public_key().as_ref().to_vec()
    }

    /// The public modulus and exponent (big-endian, no leading zeros), for a JWKS.
    pub(crate) fn public_components(&self) -> (Vec<u8>, Vec<u8>) {
        let components = signature::RsaPublicKeyComponents::<Vec<u8>>::from(self.key.public());
        (components.n, components.e)
    }
}

/// Sign a JWT: `header` and `claims` are used verbatim (so a test can announce a different
/// `alg` than the one it signs with); the signature uses `algorithm`.
pub fn encode(
    header: &Value,
    claims: &Value,
    key: &SigningKey,
    algorithm: Algorithm,
) -> Result<String, JwtError> {
    let header = serde_json::to_vec(header).map_err(|e| JwtError::Malformed(e.to_string()))?;
    let claims = serde_json::to_vec(claims).map_err(|e| JwtError::Malformed(e.to_string()))?;
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = key.sign(algorithm, signing_input.as_bytes())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// A JWT split into its parts; nothing is verified yet.
#[derive(Clone, Debug)]
pub struct Decoded {
    /// The JOSE header (a JSON object).
    pub header: Map<String, Value>,
    /// The claims (a JSON object).
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

/// Split and parse a compact JWS (`header.claims.signature`, base64url without padding, JSON
/// objects). Does not verify anything.
pub fn decode(token: &str) -> Result<Decoded, JwtError> {
    let mut parts = token.trim().split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed("not three dot-separated parts".into()));
    };
    let object = |part: &str, what: &str| -> Result<Map<String, Value>, JwtError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| JwtError::Malformed(format!("the {what} is not base64url")))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(JwtError::Malformed(format!(
                "the {what} is not a JSON object"
            ))),
        }
    };
    let header_map = object(header, "header")?;
    let claims_map = object(claims, "claims")?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| JwtError::Malformed("the signature is not base64url".into()))?;
    if signature.is_empty() {
        return Err(JwtError::Malformed("the signature is empty".into()));
    }
    Ok(Decoded {
        header: header_map,
        claims: claims_map,
        signing_input: format!("{header}.{claims}"),
        signature,
    })
}

impl Decoded {
    /// A header member as text.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// A claim as text.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// A numeric date claim (`exp`, `nbf`, `iat`) in whole seconds: `None` if absent,
    /// `Some(Err)` if present but not a number.
    pub fn claim_time(&self, name: &str) -> Option<Result<i64, JwtError>> {
        self.claims.get(name).map(|v| {
            v.as_i64()
                .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
                .ok_or_else(|| JwtError::Malformed(format!("'{name}' is not a number")))
        })
    }

    /// The `aud` claim as a list (a string or an array of strings).
    pub fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(aud)) => vec![aud.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the signature is valid for `algorithm` and the DER `RSAPublicKey`
    /// `public_key`.
    pub fn verify(&self, algorithm: Algorithm, public_key: &[u8]) -> bool {
        UnparsedPublicKey::new(algorithm.verification(), public_key)
            .verify(self.signing_input.as_bytes(), &self.signature)
            .is_ok()
    }
}

/// `x5t`: base64url of the SHA-1 of the certificate's DER.
pub fn x5t(cert_der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, cert_der))
}

/// `x5t#S256`: base64url of the SHA-256 of the certificate's DER.
pub fn x5t_s256(cert_der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, cert_der))
}

/// The SHA-1 thumbprint in upper-case hex, as the Azure portal and Windows show it.
pub fn thumbprint_hex(cert_der: &[u8]) -> String {
    hex_upper(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, cert_der).as_ref())
}

/// Upper-case hex.
pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The token endpoint URL a client assertion's `aud` names:
/// `{authority}/{tenant}/oauth2/v2.0/token` (`authority` without a trailing slash, e.g. the
/// emulator's base URL or `https://login.microsoftonline.com`).
pub fn token_url(authority: &str, tenant: &str) -> String {
    format!(
        "{}/{tenant}/oauth2/v2.0/token",
        authority.trim_end_matches('/')
    )
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A client assertion under construction: the claims Entra documents (`aud`, `iss`, `sub`,
/// `jti`, `nbf`, `iat`, `exp`) and a header whose thumbprint member is computed from the
/// certificate when signing (`x5t#S256` for PS256, `x5t` for RS256), unless set explicitly.
///
/// Every claim and header member can be overridden or removed, to build wrong assertions.
#[derive(Clone, Debug)]
pub struct ClientAssertion {
    /// The signature algorithm (and the `alg` header unless overridden).
    pub algorithm: Algorithm,
    /// Header members added to (or replacing) the computed ones; `Value::Null` removes one.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
}

impl ClientAssertion {
    /// A PS256 assertion for `client_id` (`iss` and `sub`) and `audience` (the token URL),
    /// valid from now for [`DEFAULT_ASSERTION_LIFETIME_SECS`], with a random `jti`.
    pub fn new(client_id: &str, audience: &str) -> ClientAssertion {
        let now = unix_now();
        let claims = json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + DEFAULT_ASSERTION_LIFETIME_SECS,
        });
        ClientAssertion {
            algorithm: Algorithm::Ps256,
            header: Map::new(),
            claims: match claims {
                Value::Object(map) => map,
                _ => Map::new(),
            },
        }
    }

    /// Use RS256 (with the `x5t` header) instead of PS256.
    pub fn rs256(mut self) -> Self {
        self.algorithm = Algorithm::Rs256;
        self
    }

    /// Set (or replace) a claim.
    pub fn with_claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_string(), value.into());
        self
    }

    /// Remove a claim.
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Set (or replace) a header member; `Value::Null` removes a computed one.
    pub fn with_header(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.header.insert(name.to_string(), value.into());
        self
    }

    /// Set `nbf` and `iat` to `not_before` and `exp` to `expires` (seconds since the epoch).
    pub fn valid_between(self, not_before: i64, expires: i64) -> Self {
        self.with_claim("nbf", not_before)
            .with_claim("iat", not_before)
            .with_claim("exp", expires)
    }

    /// The header this assertion gets when signed for `cert_der`.
    pub fn header_for(&self, cert_der: &[u8]) -> Map<String, Value> {
        let mut header = Map::new();
        header.insert("alg".into(), self.algorithm.name().into());
        header.insert("typ".into(), "JWT".into());
        match self.algorithm {
            Algorithm::Ps256 => header.insert("x5t#S256".into(), x5t_s256(cert_der).into()),
            Algorithm::Rs256 => header.insert("x5t".into(), x5t(cert_der).into()),
        };
        for (name, value) in &self.header {
            if value.is_null() {
                header.remove(name);
            } else {
                header.insert(name.clone(), value.clone());
            }
        }
        header
    }

    /// Sign with `key`; `cert_der` is the certificate whose thumbprint goes in the header.
    pub fn sign(&self, key: &SigningKey, cert_der: &[u8]) -> Result<String, JwtError> {
        encode(
            &Value::Object(self.header_for(cert_der)),
            &Value::Object(self.claims.clone()),
            key,
            self.algorithm,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_certificates::TestCertificate;

    #[test]
    fn sign_decode_verify_round_trip() {
        let cert = TestCertificate::client_a();
        let key = cert.signing_key();
        for algorithm in [Algorithm::Ps256, Algorithm::Rs256] {
            let mut assertion = ClientAssertion::new("client", "aud");
            assertion.algorithm = algorithm;
            let token = assertion.sign(&key, &cert.cert_der).expect("sign");
            let decoded = decode(&token).expect("decode");
            assert_eq!(decoded.header_str("alg"), Some(algorithm.name()));
            assert_eq!(decoded.claim_str("iss"), Some("client"));
            assert_eq!(decoded.audiences(), vec!["aud"]);
            assert!(decoded.verify(algorithm, &key.public_key_der()));
            let other = if algorithm == Algorithm::Ps256 {
                Algorithm::Rs256
            } else {
                Algorithm::Ps256
            };
            assert!(!decoded.verify(other, &key.public_key_der()));
            let b = TestCertificate::client_b().signing_key();
            assert!(!decoded.verify(algorithm, &b.public_key_der()));
        }
        let token = ClientAssertion::new("c", "a")
            .rs256()
            .sign(&key, &cert.cert_der)
            .expect("sign");
        let decoded = decode(&token).expect("decode");
        assert_eq!(
            decoded.header_str("x5t"),
            Some(x5t(&cert.cert_der).as_str())
        );
        assert!(decoded.header.get("x5t#S256").is_none());
    }

    #[test]
    fn header_overrides_and_claim_edits() {
        let cert = TestCertificate::client_a();
        let a = ClientAssertion::new("c", "a")
            .with_header("x5t#S256", Value::Null)
            .with_header("kid", "k1")
            .without_claim("jti")
            .with_claim("aud", json!(["x", "y"]));
        let header = a.header_for(&cert.cert_der);
        assert!(header.get("x5t#S256").is_none());
        assert_eq!(header["kid"], "k1");
        let token = a.sign(&cert.signing_key(), &cert.cert_der).expect("sign");
        let decoded = decode(&token).expect("decode");
        assert!(decoded.claims.get("jti").is_none());
        assert_eq!(decoded.audiences(), vec!["x", "y"]);
    }

    #[test]
    fn malformed_tokens() {
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "!!.e30.AA",
            "e30.e30.",
            "bnVsbA.e30.AA",
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
        let decoded = decode("e30.eyJleHAiOiJzb29uIiwibmJmIjoxLjV9.AA").expect("decode");
        assert!(matches!(decoded.claim_time("exp"), Some(Err(_))));
        assert_eq!(decoded.claim_time("nbf"), Some(Ok(1)));
        assert_eq!(decoded.claim_time("iat"), None);
    }

    #[test]
    fn thumbprints() {
        // 0x84E05C1D98BCE3A5421D225B140B36E86A3D5534 is the example of Entra's documentation.
        let bytes = [
            0x84, 0xE0, 0x5C, 0x1D, 0x98, 0xBC, 0xE3, 0xA5, 0x42, 0x1D, 0x22, 0x5B, 0x14, 0x0B,
            0x36, 0xE8, 0x6A, 0x3D, 0x55, 0x34,
        ];
        assert_eq!(URL_SAFE_NO_PAD.encode(bytes), "hOBcHZi846VCHSJbFAs26Go9VTQ");
        assert_eq!(
            hex_upper(&bytes),
            "84E05C1D98BCE3A5421D225B140B36E86A3D5534"
        );
        let cert = TestCertificate::client_a();
        assert_eq!(thumbprint_hex(&cert.cert_der).len(), 40);
        assert_eq!(x5t(&cert.cert_der).len(), 27);
        assert_eq!(x5t_s256(&cert.cert_der).len(), 43);
        assert_eq!(
            token_url("https://login.microsoftonline.com/", "t"),
            "https://login.microsoftonline.com/t/oauth2/v2.0/token"
        );
    }

    #[test]
    fn keys_from_pem() {
        let dir = crate::test_certificates::fixtures_dir();
        let pkcs1 = std::fs::read_to_string(dir.join("client-a.pkcs1.key.pem")).expect("read");
        let combined = std::fs::read_to_string(dir.join("client-a.combined.pem")).expect("read");
        let a = TestCertificate::client_a().signing_key().public_key_der();
        assert_eq!(
            SigningKey::from_pem(&pkcs1)
                .expect("pkcs1")
                .public_key_der(),
            a
        );
        assert_eq!(
            SigningKey::from_pem(&combined)
                .expect("combined")
                .public_key_der(),
            a
        );
        assert!(SigningKey::from_pem("nothing").is_err());
        let text = format!("{:?}", SigningKey::from_pem(&pkcs1).expect("pkcs1"));
        assert_eq!(text, "SigningKey { modulus_bits: 2048, .. }");
    }
}
