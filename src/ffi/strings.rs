//! Strings across the boundary: borrowing the caller's NUL-terminated UTF-8 input, and handing
//! out library-owned strings that the caller frees with [`graph_string_free`].

use std::ffi::{c_char, CStr, CString};

use crate::error::{Error, ErrorCode, Result};

/// Borrows a caller string. NULL and invalid UTF-8 become clear errors naming the argument.
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string that stays valid for `'a`.
pub(crate) unsafe fn borrow_str<'a>(ptr: *const c_char, argument: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::new(
            ErrorCode::NullArgument,
            format!("The argument '{argument}' is NULL."),
        )
        .with_field(argument));
    }
    // SAFETY: the caller guarantees a valid NUL-terminated string.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map_err(|e| {
        Error::new(
            ErrorCode::InvalidUtf8,
            format!(
                "The argument '{argument}' is not valid UTF-8 (invalid byte at offset {}).",
                e.valid_up_to()
            ),
        )
        .with_field(argument)
    })
}

/// Moves a string to the caller. JSON text never contains a NUL byte; any other NUL is replaced.
pub(crate) fn into_c_string(s: String) -> *mut c_char {
    let c = CString::new(s).unwrap_or_else(|e| {
        let mut bytes = e.into_vec();
        bytes.retain(|b| *b != 0);
        CString::new(bytes).unwrap_or_default()
    });
    c.into_raw()
}

/// Frees a string returned by any GraphMail function (result JSON, error JSON, token JSON).
/// The memory is overwritten with zeros first, since a token result holds a bearer token.
///
/// Passing NULL is allowed and does nothing. Each string must be freed exactly once, and only
/// with this function (never with `free()`).
///
/// # Safety
/// `s` must be NULL or a pointer returned by a GraphMail function that has not been freed yet.
#[no_mangle]
pub unsafe extern "C" fn graph_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: `s` came from `CString::into_raw` in `into_c_string` and is freed once.
        let owned = unsafe { CString::from_raw(s) };
        let mut bytes = owned.into_bytes_with_nul();
        zeroize::Zeroize::zeroize(&mut bytes);
    });
}
