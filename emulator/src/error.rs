//! The error type of [`crate::Emulator::start`] and the [`crate::tls`] helpers.

use std::path::PathBuf;

/// Why the emulator (or a certificate operation) failed.
#[derive(thiserror::Error, Debug)]
pub enum EmulatorError {
    /// The configuration cannot be served (e.g. no tenant or no app registered).
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    /// A file or socket operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What the emulator was doing, including the path or address involved.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Generating or signing a certificate failed.
    #[error("certificate error: {0}")]
    Certificate(#[from] rcgen::Error),
    /// An existing CA in the data folder could not be used.
    #[error("cannot use the CA in {path}: {reason}")]
    InvalidCa {
        /// The CA certificate file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Building the TLS server configuration failed.
    #[error("TLS configuration error: {0}")]
    Tls(#[from] rustls::Error),
    /// The embedded Graph JSON schema could not be compiled.
    #[error("Graph schema error: {0}")]
    Schema(String),
}

impl EmulatorError {
    /// An [`EmulatorError::Io`] with a context message.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        EmulatorError::Io {
            context: context.into(),
            source,
        }
    }
}
