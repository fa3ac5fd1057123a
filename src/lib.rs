//! # GraphMail
//!
//! Send mail through Microsoft Graph (`sendMail`) with modern OAuth tokens, always over TLS 1.2
//! or newer: the way out for scripts that used SMTP AUTH (`Send-MailMessage`) now that Exchange
//! Online retires basic authentication and TLS 1.0/1.1.
//!
//! One core, thin faces: this Rust API is used by the `graphmail` CLI, by the stable C ABI
//! ([`ffi`], header `include/graphmail.h`) and through it by the PowerShell module.
//!
//! * [`ClientConfig`]: tenant, application, secret, cloud, endpoints, CA, proxy, timeouts.
//! * [`Client`]: one HTTP/2 connection pool and one cached token per configuration.
//! * [`Message`]: a mail shaped like `Send-MailMessage`'s parameters; validated before sending.
//! * [`Error`]: one error type with a coarse [`ErrorKind`] and a stable [`ErrorCode`].

#![warn(missing_docs)]

pub mod address;
pub mod auth;
pub mod bulk;
mod client;
pub mod config;
pub mod content_type;
pub mod error;
pub mod ffi;
pub mod graph;
mod http;
pub mod message;
pub mod mime;
pub mod progress;
pub mod retry;
pub mod runtime;
pub mod secret;

pub use address::Mailbox;
pub use auth::AccessToken;
pub use client::Client;
pub use config::{ClientConfig, ClientConfigBuilder, Cloud, CredentialSource, ProxySetting};
pub use error::{Error, ErrorCode, ErrorKind, Result};
pub use graph::send::SendReport;
pub use http::USER_AGENT;
pub use message::{DeliveryNotification, Message, Priority, ValidatedMessage};
pub use progress::{Progress, SendControl, SendStep};
pub use secret::Secret;

/// The library version (the crate version; the C ABI's `graph_version()` returns the same).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
