//! [`graph_version`]: the library version, for the PowerShell module's compatibility check.

use std::ffi::c_char;

static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library version as a static NUL-terminated string (e.g. `"0.1.0"`), equal to
/// `GRAPHMAIL_VERSION` in the header. Owned by the library: do NOT free it.
#[no_mangle]
pub extern "C" fn graph_version() -> *const c_char {
    VERSION.as_ptr().cast()
}
