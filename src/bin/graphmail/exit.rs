//! Exit codes (sysexits.h) and how errors are printed.

use graphmail::{Error, ErrorCode, ErrorKind};

/// Command line usage error.
pub const USAGE: u8 = 64;
/// The input data (message) was incorrect.
pub const DATAERR: u8 = 65;
/// An input file did not exist or was not readable.
pub const NOINPUT: u8 = 66;
/// The sender mailbox does not exist.
pub const NOUSER: u8 = 67;
/// A service is unavailable (network, TLS).
pub const UNAVAILABLE: u8 = 69;
/// An internal software error.
pub const SOFTWARE: u8 = 70;
/// An I/O error.
pub const IOERR: u8 = 74;
/// A temporary failure: try again later.
pub const TEMPFAIL: u8 = 75;
/// The remote answered something unexpected (outcome uncertain: do not blindly retry).
pub const PROTOCOL: u8 = 76;
/// Permission denied (authentication, access policy).
pub const NOPERM: u8 = 77;
/// Configuration error.
pub const CONFIG: u8 = 78;
/// Cancelled by the user (as a shell reports Ctrl-C: 128 + SIGINT).
pub const CANCELLED: u8 = 130;

/// The exit code for an error.
pub fn code_for(error: &Error) -> u8 {
    match error.code() {
        ErrorCode::MissingSetting
        | ErrorCode::InvalidConfig
        | ErrorCode::UnknownCloud
        | ErrorCode::CredentialUnavailable => CONFIG,
        ErrorCode::AttachmentNotFound
        | ErrorCode::AttachmentUnreadable
        | ErrorCode::FileUnreadable => NOINPUT,
        ErrorCode::MailboxNotFound => NOUSER,
        ErrorCode::AccessDenied | ErrorCode::SendAsDenied => NOPERM,
        ErrorCode::Throttled
        | ErrorCode::GraphServiceUnavailable
        | ErrorCode::IdentityPlatformUnavailable
        | ErrorCode::Timeout => TEMPFAIL,
        ErrorCode::UnexpectedResponse | ErrorCode::OutcomeUnknown => PROTOCOL,
        _ => match error.kind() {
            ErrorKind::InvalidInput | ErrorKind::Graph => DATAERR,
            ErrorKind::Auth => NOPERM,
            ErrorKind::Network | ErrorKind::Tls => UNAVAILABLE,
            ErrorKind::Io => IOERR,
            ErrorKind::Timeout => TEMPFAIL,
            ErrorKind::Internal => SOFTWARE,
            ErrorKind::Cancelled => CANCELLED,
        },
    }
}

/// Prints an error to stderr (message, code, and request id when there is one) and returns the
/// exit code. With `json`, the error JSON also goes to stdout for programs to read.
pub fn report(error: &Error, json: bool) -> u8 {
    let mut line = format!("graphmail: error: {error} [{}]", error.code());
    if let Some(id) = error.request_id() {
        line.push_str(&format!(" (request-id {id})"));
    }
    eprintln!("{line}");
    if json {
        println!("{}", error.to_json());
    }
    code_for(error)
}
