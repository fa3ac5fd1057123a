//! The emulator's workload identity federation issuer: it plays the Kubernetes (or GitHub
//! Actions) OIDC issuer whose tokens apps exchange at the token endpoint. Tokens are RS256
//! JWTs, `iss = {base_url}/federation`, `aud = api://AzureADTokenExchange`, signed with a
//! fixed RSA key shipped with the crate (ring cannot generate RSA keys; the key is test
//! material, trusted by this emulator only). The issuer publishes its discovery document and
//! JWKS like a real one (`/federation/.well-known/openid-configuration`, `/federation/jwks`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hyper::StatusCode;
use serde_json::{json, Value};

use crate::error::EmulatorError;
use crate::http::Reply;
use crate::jwt::{self, Algorithm, Decoded, SigningKey, FEDERATION_AUDIENCE};

/// The issuer's private key (PKCS#8, 2048-bit RSA, generated once with OpenSSL).
const ISSUER_KEY_PEM: &str = include_str!("keys/federation-issuer.key.pem");
/// Lifetime of tokens from [`FederationIssuer::issue`].
pub(crate) const FEDERATED_TOKEN_LIFETIME_SECS: i64 = 3600;

/// The federation issuer of one emulator.
pub(crate) struct FederationIssuer {
    key: SigningKey,
    public_key: Vec<u8>,
    kid: String,
    issuer: String,
}

impl FederationIssuer {
    /// The issuer `{base_url}/federation`.
    pub(crate) fn new(base_url: &str) -> Result<FederationIssuer, EmulatorError> {
        let key = SigningKey::from_pem(ISSUER_KEY_PEM)
            .map_err(|e| EmulatorError::Config(format!("federation issuer key: {e}")))?;
        let public_key = key.public_key_der();
        let digest = ring::digest::digest(&ring::digest::SHA256, &public_key);
        Ok(FederationIssuer {
            kid: URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]),
            public_key,
            key,
            issuer: format!("{base_url}/federation"),
        })
    }

    /// The `iss` of the issuer's tokens.
    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }

    /// A token for `subject`: one hour, audience `api://AzureADTokenExchange`.
    pub(crate) fn issue(&self, subject: &str) -> String {
        let now = jwt::unix_now();
        self.sign(&json!({
            "iss": self.issuer,
            "sub": subject,
            "aud": [FEDERATION_AUDIENCE],
            "iat": now,
            "nbf": now,
            "exp": now + FEDERATED_TOKEN_LIFETIME_SECS,
            "jti": uuid::Uuid::new_v4().to_string(),
        }))
    }

    /// Sign arbitrary claims (RS256, with the issuer's `kid`).
    pub(crate) fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        // Signing with a valid in-memory key only fails if ring's RNG does; an empty token is
        // then rejected like any other malformed assertion.
        jwt::encode(&header, claims, &self.key, Algorithm::Rs256).unwrap_or_default()
    }

    /// Whether `token` carries a valid RS256 signature of this issuer.
    pub(crate) fn verify(&self, token: &Decoded) -> bool {
        token.header_str("alg") == Some("RS256") && token.verify(Algorithm::Rs256, &self.public_key)
    }

    /// `GET /federation/.well-known/openid-configuration`.
    pub(crate) fn discovery(&self) -> Reply {
        Reply::json(
            StatusCode::OK,
            &json!({
                "issuer": self.issuer,
                "jwks_uri": format!("{}/jwks", self.issuer),
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }),
        )
    }

    /// `GET /federation/jwks`.
    pub(crate) fn jwks(&self) -> Reply {
        let (n, e) = self.key.public_components();
        Reply::json(
            StatusCode::OK,
            &json!({"keys": [{
                "kty": "RSA",
                "use": "sig",
                "alg": "RS256",
                "kid": self.kid,
                "n": URL_SAFE_NO_PAD.encode(n),
                "e": URL_SAFE_NO_PAD.encode(e),
            }]}),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify() {
        let issuer = FederationIssuer::new("https://127.0.0.1:1").expect("issuer");
        assert_eq!(issuer.issuer(), "https://127.0.0.1:1/federation");
        let token = jwt::decode(&issuer.issue("system:serviceaccount:ns:sa")).expect("decode");
        assert!(issuer.verify(&token));
        assert_eq!(token.claim_str("sub"), Some("system:serviceaccount:ns:sa"));
        assert_eq!(token.audiences(), vec![FEDERATION_AUDIENCE]);
        let lifetime = token.claim_time("exp").and_then(Result::ok).unwrap_or(0)
            - token.claim_time("nbf").and_then(Result::ok).unwrap_or(0);
        assert_eq!(lifetime, 3600);
        // Signed by someone else: rejected.
        let other = crate::test_certificates::TestCertificate::client_a().signing_key();
        let forged = jwt::encode(
            &json!({"alg": "RS256"}),
            &Value::Object(token.claims.clone()),
            &other,
            Algorithm::Rs256,
        )
        .expect("sign");
        assert!(!issuer.verify(&jwt::decode(&forged).expect("decode")));
    }
}
