//! [`graph_client_new_with_signer`]: a client whose certificate's private key stays with the
//! caller, who signs each client assertion in a [`graph_sign_callback`] (the PowerShell module
//! does this with a Windows certificate-store key that cannot be exported).

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use crate::auth::signing::{AssertionAlgorithm, AssertionSigner};
use crate::client::Client;
use crate::config::ClientConfig;
use crate::error::{Error, ErrorCode, Result};
use crate::ffi::client::{clear_client_out, graph_client};
use crate::ffi::panic::boundary;
use crate::ffi::status::graph_status;
use crate::ffi::strings::borrow_str;

/// Room given to a signature: enough for RSA keys of up to 16,384 bits.
pub const GRAPH_SIGNATURE_CAPACITY: usize = 2048;

/// Signs a client assertion for [`graph_client_new_with_signer`].
///
/// `algorithm` is `"PS256"` (RSASSA-PSS, SHA-256, salt length 32) or `"RS256"`
/// (RSASSA-PKCS1-v1_5, SHA-256). Sign the `data_len` bytes at `data` (hash them with SHA-256
/// as part of signing), write the signature (as many bytes as the key's modulus) to
/// `signature_out`, which has room for `signature_capacity` bytes (2048), store its length in
/// `*signature_len_out` and return 0. Any other return value means the signing failed; the
/// token request then fails with error code `SignerFailed`.
///
/// Called on a library thread (not the thread that created the client), at most once at a
/// time per client, only when a new token is needed. It must not unwind or throw into the
/// library. `userdata` is the pointer given to `graph_client_new_with_signer`.
#[allow(non_camel_case_types)]
pub type graph_sign_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        algorithm: *const c_char,
        data: *const u8,
        data_len: usize,
        signature_out: *mut u8,
        signature_capacity: usize,
        signature_len_out: *mut usize,
    ) -> i32,
>;

/// A caller's callback as an [`AssertionSigner`].
struct CallbackSigner {
    sign: unsafe extern "C" fn(
        *mut c_void,
        *const c_char,
        *const u8,
        usize,
        *mut u8,
        usize,
        *mut usize,
    ) -> i32,
    userdata: *mut c_void,
    /// One call at a time, as documented.
    lock: std::sync::Mutex<()>,
}

// SAFETY: graph_client_new_with_signer's contract makes the caller keep `userdata` valid and
// usable from library threads until the client is freed; calls are serialised by `lock`.
unsafe impl Send for CallbackSigner {}
// SAFETY: as above.
unsafe impl Sync for CallbackSigner {}

impl AssertionSigner for CallbackSigner {
    fn sign(&self, algorithm: AssertionAlgorithm, data: &[u8]) -> Result<Vec<u8>> {
        let _one_at_a_time = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let name = CString::new(algorithm.name()).unwrap_or_default();
        let mut signature = vec![0u8; GRAPH_SIGNATURE_CAPACITY];
        let mut len = 0usize;
        // SAFETY: every pointer is valid for the call: `name` and `data` for reads,
        // `signature` for GRAPH_SIGNATURE_CAPACITY bytes of writes, `len` for one write.
        let code = unsafe {
            (self.sign)(
                self.userdata,
                name.as_ptr(),
                data.as_ptr(),
                data.len(),
                signature.as_mut_ptr(),
                signature.len(),
                &mut len,
            )
        };
        if code != 0 {
            return Err(Error::new(
                ErrorCode::SignerFailed,
                format!("The certificate signer (the caller's signing callback) reported failure {code} while signing the client assertion."),
            )
            .with_field("signingCertificate"));
        }
        if len == 0 || len > signature.len() {
            return Err(Error::new(
                ErrorCode::SignerFailed,
                format!("The certificate signer returned a signature length of {len} bytes; expected the key's modulus length (256 for a 2048-bit key)."),
            )
            .with_field("signingCertificate"));
        }
        signature.truncate(len);
        Ok(signature)
    }
}

/// Creates a client whose certificate's private key stays with the caller.
///
/// `config_json` is as for `graph_client_new`, with the credential `signingCertificate`: the
/// certificate registered on the application, as its DER bytes in standard base64, or an array
/// of such strings (that certificate first, then its chain, sent in `x5c` when
/// `sendCertificateChain` is true); `certificateAlgorithm` picks `"PS256"` (default) or
/// `"RS256"`. Whenever a new token is needed, the library builds the client assertion and calls
/// `sign` to sign it, then checks the signature against the certificate before sending it
/// (a signer using another key fails with `SignerFailed`, before anything is sent).
///
/// `userdata` is passed to `sign` as is; it (and `sign`) must stay valid until the client and
/// every operation started from it (`graph_send_mail_start`, `graph_sign_in_start`) are freed:
/// an operation still running after `graph_client_free` may still need a token. Results and errors as for `graph_client_new`; a NULL `sign` is
/// `GRAPH_STATUS_INVALID_ARGUMENT` with code `NullArgument`.
///
/// # Safety
/// As `graph_client_new`; `sign` must be NULL or a function following [`graph_sign_callback`]'s
/// contract, callable from any thread with `userdata`.
#[no_mangle]
pub unsafe extern "C" fn graph_client_new_with_signer(
    config_json: *const c_char,
    sign: graph_sign_callback,
    userdata: *mut c_void,
    client_out: *mut *mut graph_client,
    error_json_out: *mut *mut c_char,
) -> graph_status {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        boundary(error_json_out, || {
            clear_client_out(client_out)?;
            let Some(sign) = sign else {
                return Err(
                    Error::new(ErrorCode::NullArgument, "The argument 'sign' is NULL.")
                        .with_field("sign"),
                );
            };
            let config = ClientConfig::from_json(borrow_str(config_json, "config_json")?)?;
            let signer = Arc::new(CallbackSigner {
                sign,
                userdata,
                lock: std::sync::Mutex::new(()),
            });
            let client = Client::new_with_signer(config, signer)?;
            *client_out = graph_client::into_raw(client);
            Ok(None)
        })
    }
}
