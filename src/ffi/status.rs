//! [`graph_status`]: the status every fallible C function returns. Numbers are stable and are
//! never reused; new statuses get new numbers.

use crate::error::{Error, ErrorCode, ErrorKind};

/// Result of a GraphMail C call. `GRAPH_STATUS_OK` (0) is success; the other values name the
/// kind of failure, and the error JSON written by the call holds the details.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum graph_status {
    /// Success.
    Ok = 0,
    /// Invalid input: a NULL pointer, invalid UTF-8, invalid JSON, or an invalid configuration
    /// or message. Nothing was sent.
    InvalidArgument = 1,
    /// Authentication failed: no token could be obtained, or Graph rejected it.
    Auth = 2,
    /// Microsoft Graph answered with an HTTP error (see `httpStatus`, `graphCode`, `requestId`).
    Graph = 3,
    /// The connection failed (DNS, refused, reset, proxy).
    Network = 4,
    /// TLS failed: the server needs TLS older than 1.2, or its certificate is not trusted.
    Tls = 5,
    /// A local file (attachment, CA certificate) could not be read.
    Io = 6,
    /// A connect or request timeout elapsed.
    Timeout = 7,
    /// A panic inside the library was caught (a GraphMail bug; please report it).
    Panic = 8,
    /// Another internal error (a GraphMail bug; please report it).
    Internal = 9,
    /// The caller cancelled the operation; nothing was sent.
    Cancelled = 10,
    /// Not an error: the operation is still running (`graph_send_wait` timed out).
    Pending = 11,
}

impl graph_status {
    /// The status for an error.
    pub fn for_error(error: &Error) -> graph_status {
        if error.code() == ErrorCode::Panic {
            return graph_status::Panic;
        }
        match error.kind() {
            ErrorKind::InvalidInput => graph_status::InvalidArgument,
            ErrorKind::Auth => graph_status::Auth,
            ErrorKind::Graph => graph_status::Graph,
            ErrorKind::Network => graph_status::Network,
            ErrorKind::Tls => graph_status::Tls,
            ErrorKind::Io => graph_status::Io,
            ErrorKind::Timeout => graph_status::Timeout,
            ErrorKind::Internal => graph_status::Internal,
            ErrorKind::Cancelled => graph_status::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stable() {
        assert_eq!(graph_status::Ok as i32, 0);
        assert_eq!(graph_status::InvalidArgument as i32, 1);
        assert_eq!(graph_status::Auth as i32, 2);
        assert_eq!(graph_status::Graph as i32, 3);
        assert_eq!(graph_status::Network as i32, 4);
        assert_eq!(graph_status::Tls as i32, 5);
        assert_eq!(graph_status::Io as i32, 6);
        assert_eq!(graph_status::Timeout as i32, 7);
        assert_eq!(graph_status::Panic as i32, 8);
        assert_eq!(graph_status::Internal as i32, 9);
        assert_eq!(graph_status::Cancelled as i32, 10);
        assert_eq!(graph_status::Pending as i32, 11);
    }

    #[test]
    fn every_code_maps_to_a_non_ok_status() {
        for code in ErrorCode::ALL {
            let s = graph_status::for_error(&Error::new(*code, "x"));
            assert_ne!(s, graph_status::Ok, "{code}");
        }
    }
}
