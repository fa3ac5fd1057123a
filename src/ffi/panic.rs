//! The panic boundary every export goes through: a panic, or any error, becomes a
//! [`graph_status`] plus error JSON instead of unwinding into the caller.

use std::any::Any;
use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, ErrorCode, Result};
use crate::ffi::status::graph_status;
use crate::ffi::strings::into_c_string;

fn panic_error(payload: Box<dyn Any + Send>) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    Error::new(
        ErrorCode::Panic,
        format!(
            "Internal error: GraphMail panicked ({}). Please report this bug.",
            crate::config::truncate_for_message(&what)
        ),
    )
}

/// Runs `body` behind the boundary. `out` (may be NULL) is set to NULL on entry, then receives
/// the success JSON returned by `body` (if any) or the error JSON.
///
/// # Safety
/// `out` must be NULL or valid for one pointer write.
pub(crate) unsafe fn boundary<F>(out: *mut *mut c_char, body: F) -> graph_status
where
    F: FnOnce() -> Result<Option<String>>,
{
    if !out.is_null() {
        // SAFETY: the caller guarantees `out` is valid for writes.
        unsafe { *out = std::ptr::null_mut() };
    }
    let result = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|p| Err(panic_error(p)));
    let (status, text) = match result {
        Ok(json) => (graph_status::Ok, json),
        Err(e) => (graph_status::for_error(&e), Some(e.to_json().to_string())),
    };
    if let (false, Some(text)) = (out.is_null(), text) {
        // SAFETY: as above.
        unsafe { *out = into_c_string(text) };
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn a_panic_becomes_status_and_json() {
        let mut out: *mut c_char = std::ptr::null_mut();
        let status = unsafe {
            boundary(&mut out, || -> Result<Option<String>> {
                panic!("boom in test")
            })
        };
        assert_eq!(status, graph_status::Panic);
        let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_string();
        unsafe { crate::ffi::graph_string_free(out) };
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["error"]["code"], "Panic");
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("boom in test"));
    }

    #[test]
    fn null_out_is_tolerated() {
        let status = unsafe {
            boundary(std::ptr::null_mut(), || {
                Err(Error::new(ErrorCode::InvalidJson, "x"))
            })
        };
        assert_eq!(status, graph_status::InvalidArgument);
    }
}
