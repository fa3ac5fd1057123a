//! Certificate credentials: PEM (PKCS#8 and PKCS#1 keys) and PFX files load, clear errors for
//! what cannot be used, and the signed client assertion has the documented header and claims
//! and a signature that verifies with the certificate's public key (checked with keys made by
//! the openssl command, independently of GraphMail's own code).

mod support;

use std::path::{Path, PathBuf};

use base64::Engine;
use graphmail::auth::signing::{AssertionAlgorithm, SigningCertificate};
use graphmail::{ErrorCode, Secret};
use serde_json::Value;
use support::openssl;

/// An RSA key and self-signed certificate made by openssl: (key.pem, cert.pem).
fn make_rsa(dir: &Path) -> (PathBuf, PathBuf) {
    support::self_signed(dir, "key.pem", "cert.pem", "graphmail-test")
}

fn concat(dir: &Path, name: &str, parts: &[&Path]) -> PathBuf {
    let mut all = Vec::new();
    for p in parts {
        all.extend(std::fs::read(p).unwrap());
    }
    let out = dir.join(name);
    std::fs::write(&out, all).unwrap();
    out
}

fn b64url_json(part: &str) -> Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn pem_and_pfx_files_sign_verifiable_assertions() {
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = make_rsa(dir.path());
    let pem = concat(dir.path(), "both.pem", &[&cert, &key]);
    openssl(
        dir.path(),
        &[
            "pkcs12",
            "-export",
            "-in",
            "cert.pem",
            "-inkey",
            "key.pem",
            "-out",
            "both.pfx",
            "-passout",
            "pass:Pfx-Pass-77",
        ],
    );
    openssl(
        dir.path(),
        &[
            "rsa",
            "-in",
            "key.pem",
            "-traditional",
            "-out",
            "key-pkcs1.pem",
        ],
    );
    let pkcs1 = concat(
        dir.path(),
        "pkcs1.pem",
        &[&dir.path().join("key-pkcs1.pem"), &cert],
    );
    let public_key = openssl(
        dir.path(),
        &[
            "rsa",
            "-in",
            "key.pem",
            "-RSAPublicKey_out",
            "-outform",
            "DER",
        ],
    );
    let fingerprint = String::from_utf8(openssl(
        dir.path(),
        &["x509", "-in", "cert.pem", "-noout", "-fingerprint", "-sha1"],
    ))
    .unwrap();
    let expected_hex = fingerprint
        .trim()
        .rsplit('=')
        .next()
        .unwrap()
        .replace(':', "");
    let der = openssl(dir.path(), &["x509", "-in", "cert.pem", "-outform", "DER"]);
    let sha256 = ring::digest::digest(&ring::digest::SHA256, &der);
    let expected_s256 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha256.as_ref());

    let password = Secret::new("Pfx-Pass-77");
    for (path, pw) in [
        (&pem, None),
        (&pkcs1, None),
        (&dir.path().join("both.pfx"), Some(&password)),
    ] {
        let c = SigningCertificate::from_file(path, pw)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(c.thumbprint_hex(), expected_hex, "{}", path.display());
        assert_eq!(c.thumbprint_sha256(), expected_s256);
        for (alg, verify) in [
            (
                AssertionAlgorithm::Ps256,
                &ring::signature::RSA_PSS_2048_8192_SHA256,
            ),
            (
                AssertionAlgorithm::Rs256,
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            ),
        ] {
            let jwt = c
                .sign_assertion(
                    "app-id",
                    "https://login.example/t/oauth2/v2.0/token",
                    alg,
                    false,
                )
                .unwrap();
            let parts: Vec<&str> = jwt.expose().split('.').collect();
            assert_eq!(parts.len(), 3);
            let header = b64url_json(parts[0]);
            let claims = b64url_json(parts[1]);
            match alg {
                AssertionAlgorithm::Ps256 => {
                    assert_eq!(header["alg"], "PS256");
                    assert_eq!(header["x5t#S256"], expected_s256.as_str());
                }
                AssertionAlgorithm::Rs256 => {
                    assert_eq!(header["alg"], "RS256");
                    assert!(header["x5t"].is_string());
                }
            }
            assert_eq!(claims["aud"], "https://login.example/t/oauth2/v2.0/token");
            assert_eq!(claims["iss"], "app-id");
            assert_eq!(claims["sub"], "app-id");
            assert!(claims["jti"].as_str().unwrap().len() >= 32);
            let (nbf, exp) = (
                claims["nbf"].as_u64().unwrap(),
                claims["exp"].as_u64().unwrap(),
            );
            assert_eq!(exp - nbf, 600);
            let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[2])
                .unwrap();
            ring::signature::UnparsedPublicKey::new(verify, &public_key)
                .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
                .expect("the signature verifies with the certificate's public key");
        }
        let with_chain = c
            .sign_assertion("app-id", "aud", AssertionAlgorithm::Ps256, true)
            .unwrap();
        let header = b64url_json(with_chain.expose().split('.').next().unwrap());
        assert_eq!(
            header["x5c"][0].as_str().unwrap(),
            base64::engine::general_purpose::STANDARD.encode(&der)
        );
    }
}

#[test]
fn unusable_certificate_files_get_clear_errors_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = make_rsa(dir.path());
    openssl(
        dir.path(),
        &[
            "pkcs12",
            "-export",
            "-in",
            "cert.pem",
            "-inkey",
            "key.pem",
            "-out",
            "c.pfx",
            "-passout",
            "pass:Right-Pass-99",
        ],
    );
    openssl(
        dir.path(),
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ec.pem",
        ],
    );
    openssl(
        dir.path(),
        &[
            "pkcs8", "-topk8", "-in", "key.pem", "-out", "enc.pem", "-passout", "pass:x",
        ],
    );
    let other = tempfile::tempdir().unwrap();
    let (other_key, _) = make_rsa(other.path());
    let cases: Vec<(PathBuf, Option<Secret>, &str)> = vec![
        (
            dir.path().join("c.pfx"),
            Some(Secret::new("Wrong-Pass-11")),
            "certificatePassword",
        ),
        (cert.clone(), None, "no private key"),
        (
            concat(
                dir.path(),
                "ec-both.pem",
                &[&cert, &dir.path().join("ec.pem")],
            ),
            None,
            "RSA",
        ),
        (
            concat(
                dir.path(),
                "enc-both.pem",
                &[&cert, &dir.path().join("enc.pem")],
            ),
            None,
            "encrypted",
        ),
        (
            concat(dir.path(), "mismatch.pem", &[&cert, &other_key]),
            None,
            "matches the private key",
        ),
        (dir.path().join("missing.pem"), None, "cannot be read"),
    ];
    for (path, password, needle) in cases {
        let e = SigningCertificate::from_file(&path, password.as_ref()).unwrap_err();
        assert!(
            matches!(
                e.code(),
                ErrorCode::InvalidConfig | ErrorCode::FileUnreadable
            ),
            "{}: {e}",
            path.display()
        );
        assert!(
            e.message().contains(needle),
            "{}: '{}' should mention '{needle}'",
            path.display(),
            e.message()
        );
        assert!(
            !e.to_string().contains("Wrong-Pass-11") && !e.to_string().contains("Right-Pass-99")
        );
        assert_eq!(e.field(), Some("certificatePath"));
    }
    let _ = key;
}
