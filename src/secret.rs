//! [`Secret`]: a string that never shows itself and is wiped from memory when dropped.

use std::fmt;

use zeroize::{Zeroize, Zeroizing};

/// A secret string (client secret, access token, certificate password).
///
/// * `Debug` and `Display` print `Secret([redacted])`, so a secret cannot reach a log line or an
///   error message by accident.
/// * The buffer is overwritten with zeros when the value is dropped.
/// * Read the value only through [`Secret::expose`], at the point where it is put on the wire.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret value. The `String` passed in is moved, not copied.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// Returns the secret value.
    ///
    /// # Security warning
    /// Never log, print or format the returned string; pass it straight to the wire.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// `true` when the secret is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Zeroize for Secret {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn zeroize_clears_the_value() {
        let mut s = Secret::new("abc");
        s.zeroize();
        assert!(s.is_blank());
    }

    #[test]
    fn blank_detection() {
        assert!(Secret::new("  ").is_blank());
        assert!(!Secret::new("x").is_blank());
    }
}
