//! Random identifiers and tokens from the operating system's CSPRNG (through rustls' ring
//! provider, which the emulator already uses for TLS).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// `N` random bytes.
pub(crate) fn bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    let provider = rustls::crypto::ring::default_provider();
    if provider.secure_random.fill(&mut buf).is_err() {
        // Practically unreachable; uuid draws from the same OS source.
        for chunk in buf.chunks_mut(16) {
            let id = uuid::Uuid::new_v4();
            let src = id.as_bytes();
            chunk.copy_from_slice(&src[..chunk.len()]);
        }
    }
    buf
}

/// An opaque access token: base64url of 32 random bytes.
pub(crate) fn access_token() -> String {
    URL_SAFE_NO_PAD.encode(bytes::<32>())
}

/// A Graph-looking, file-name-safe message ID (`AAMkA` + base64url of 24 random bytes).
pub(crate) fn message_id() -> String {
    format!("AAMkA{}", URL_SAFE_NO_PAD.encode(bytes::<24>()))
}

/// An opaque upload session ID: base64url of 24 random bytes.
pub(crate) fn session_id() -> String {
    URL_SAFE_NO_PAD.encode(bytes::<24>())
}

/// A GUID derived from `text` (the first 16 bytes of its SHA-256, as a version-4-shaped UUID):
/// stable object IDs for configured users.
pub(crate) fn stable_uuid(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// A new request/trace ID.
pub(crate) fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_random_and_url_safe() {
        let a = super::access_token();
        let b = super::access_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(super::stable_uuid("a"), super::stable_uuid("a"));
        assert_ne!(super::stable_uuid("a"), super::stable_uuid("b"));
        assert!(uuid::Uuid::parse_str(&super::stable_uuid("a")).is_ok());
        let id = super::message_id();
        assert!(id.starts_with("AAMkA"));
        assert!(id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }
}
