//! [`graph_send`]: a send running in the background that the caller follows by polling and can
//! cancel — no callbacks into the caller, so PowerShell (whose script blocks cannot run on a
//! library thread) can show progress and stop on Ctrl+C.

use std::ffi::c_char;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::client::Client;
use crate::error::{Error, ErrorCode, Result};
use crate::ffi::client::{client_ref, graph_client};
use crate::ffi::panic::boundary;
use crate::ffi::status::graph_status;
use crate::ffi::strings::borrow_str;
use crate::graph::send::SendReport;
use crate::message::Message;
use crate::progress::SendControl;

/// A send in progress, from [`graph_send_mail_start`]. Follow it with [`graph_send_progress`],
/// stop it with [`graph_send_cancel`], get its result with [`graph_send_wait`], and release it
/// with [`graph_send_free`]. May be used from several threads at once.
#[allow(non_camel_case_types)]
pub struct graph_send {
    control: Arc<SendControl>,
    outcome: Arc<(Mutex<Option<Result<serde_json::Value>>>, Condvar)>,
    /// For the device-code prompt (`signIn` in the progress JSON).
    client: Client,
}

impl graph_send {
    /// Runs `work` in the background on the shared runtime and boxes the operation.
    fn start<F>(client: Client, control: Arc<SendControl>, work: F) -> Result<*mut graph_send>
    where
        F: std::future::Future<Output = Result<serde_json::Value>> + Send + 'static,
    {
        let outcome: Arc<(Mutex<Option<Result<serde_json::Value>>>, Condvar)> =
            Arc::new((Mutex::new(None), Condvar::new()));
        let task_outcome = Arc::clone(&outcome);
        crate::runtime::spawn(async move {
            let result = work.await;
            let (slot, ready) = &*task_outcome;
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(result);
            }
            ready.notify_all();
        })?;
        Ok(Box::into_raw(Box::new(graph_send {
            control,
            outcome,
            client,
        })))
    }
}

/// Checks `send_out` and sets `*send_out` to NULL.
///
/// # Safety
/// `send_out` must be NULL or valid for a pointer write.
unsafe fn clear_send_out(send_out: *mut *mut graph_send) -> Result<()> {
    if send_out.is_null() {
        return Err(
            Error::new(ErrorCode::NullArgument, "The argument 'send_out' is NULL.")
                .with_field("send_out"),
        );
    }
    // SAFETY: checked non-NULL; the caller guarantees it is valid for a write.
    unsafe { *send_out = std::ptr::null_mut() };
    Ok(())
}

/// # Safety
/// `send` must be NULL or a live pointer from `graph_send_mail_start`.
unsafe fn send_ref<'a>(send: *const graph_send) -> Result<&'a graph_send> {
    if send.is_null() {
        return Err(
            Error::new(ErrorCode::NullArgument, "The argument 'send' is NULL.").with_field("send"),
        );
    }
    // SAFETY: the caller guarantees a live operation.
    Ok(unsafe { &*send })
}

/// Starts sending a message in the background and returns at once.
///
/// The message is parsed and validated before anything starts: invalid input fails here, with
/// `*send_out` NULL and error JSON in `*error_json_out` (as `graph_send_mail` would report
/// it; free it with `graph_string_free`). A NULL `client`, `message_json` or `send_out` is
/// `GRAPH_STATUS_INVALID_ARGUMENT` with code `NullArgument`. On success `*send_out` receives the
/// operation (free it with `graph_send_free`) and `*error_json_out` is NULL.
///
/// # Safety
/// `client` must be a live client; `message_json` a NUL-terminated string; `send_out` valid
/// for a pointer write; `error_json_out` NULL or valid for a pointer write.
#[no_mangle]
pub unsafe extern "C" fn graph_send_mail_start(
    client: *mut graph_client,
    message_json: *const c_char,
    send_out: *mut *mut graph_send,
    error_json_out: *mut *mut c_char,
) -> graph_status {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        boundary(error_json_out, || {
            clear_send_out(send_out)?;
            let client = client_ref(client)?.clone();
            let validated =
                Message::from_json(borrow_str(message_json, "message_json")?)?.validate()?;
            let control = Arc::new(SendControl::new());
            control.set_total(validated.attachments.iter().map(|a| a.size).sum());
            let (task_client, task_control) = (client.clone(), Arc::clone(&control));
            *send_out = graph_send::start(client, control, async move {
                let report: SendReport = task_client
                    .send_validated_with(validated, &task_control)
                    .await?;
                Ok(report.to_json())
            })?;
            Ok(None)
        })
    }
}

/// Starts signing in in the background and returns at once: gets a token for the client's
/// credential (from its cache if it has one), so a caller can check a credential, and show a
/// device-code sign-in's instructions, before sending anything.
///
/// Follow it as a send: `graph_send_progress` (step `authenticating`; while a device-code
/// sign-in waits for the user, `signIn`: `{"message", "userCode", "verificationUri",
/// "expiresOn"}`), `graph_send_cancel`, `graph_send_wait` and `graph_send_free`. The result is
/// `{"status": "signedIn", "tokenType", "expiresOn", "expiresOnUnix"}` (never the token) or
/// error JSON. A NULL `client` or `send_out` is `GRAPH_STATUS_INVALID_ARGUMENT` with code
/// `NullArgument`.
///
/// # Safety
/// `client` must be a live client; `send_out` valid for a pointer write; `error_json_out`
/// NULL or valid for a pointer write.
#[no_mangle]
pub unsafe extern "C" fn graph_sign_in_start(
    client: *mut graph_client,
    send_out: *mut *mut graph_send,
    error_json_out: *mut *mut c_char,
) -> graph_status {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        boundary(error_json_out, || {
            clear_send_out(send_out)?;
            let client = client_ref(client)?.clone();
            let control = Arc::new(SendControl::new());
            let (task_client, task_control) = (client.clone(), Arc::clone(&control));
            *send_out = graph_send::start(client, control, async move {
                task_control.set_step(crate::progress::SendStep::Authenticating);
                let token = task_control.run(task_client.acquire_token()).await;
                task_control.set_step(crate::progress::SendStep::Done);
                Ok(token?.sign_in_json())
            })?;
            Ok(None)
        })
    }
}

/// Writes the progress of a send to `*progress_json_out`:
/// `{"step", "bytesSent", "bytesTotal", "done", "cancelRequested"}`, where `step` is one of
/// `pending`, `preparing`, `authenticating`, `sending`, `creatingDraft`, `uploading`,
/// `sendingDraft`, `cleaningUp`, `done`; plus `signIn` (`{"message", "userCode",
/// "verificationUri", "expiresOn"}`) while a device-code sign-in waits for the user. Free the string with `graph_string_free`.
/// A NULL `send` gives `GRAPH_STATUS_INVALID_ARGUMENT` and error JSON (code `NullArgument`) in
/// `*progress_json_out`; a NULL `progress_json_out` is refused with
/// `GRAPH_STATUS_INVALID_ARGUMENT` and nothing written.
///
/// # Safety
/// `send` must be a live operation; `progress_json_out` valid for a pointer write.
#[no_mangle]
pub unsafe extern "C" fn graph_send_progress(
    send: *mut graph_send,
    progress_json_out: *mut *mut c_char,
) -> graph_status {
    if progress_json_out.is_null() {
        return graph_status::InvalidArgument;
    }
    // SAFETY: forwarded from this function's contract.
    unsafe {
        boundary(progress_json_out, || {
            let send = send_ref(send)?;
            let p = send.control.progress();
            let done = send.outcome.0.lock().map(|o| o.is_some()).unwrap_or(true);
            let mut progress = json!({
                "step": p.step.as_str(),
                "bytesSent": p.bytes_sent,
                "bytesTotal": p.bytes_total,
                "done": done,
                "cancelRequested": p.cancel_requested,
            });
            if let Some(prompt) = send.client.pending_sign_in().filter(|_| !done) {
                progress["signIn"] = prompt.to_json();
            }
            Ok(Some(progress.to_string()))
        })
    }
}

/// Asks a send to stop. It stops between requests or abandons the one in flight, deletes any
/// upload session and draft it created, and ends with `GRAPH_STATUS_CANCELLED` — unless it had
/// already finished (a message Graph accepted cannot be unsent). Returns at once; use
/// `graph_send_wait` for the outcome. NULL is ignored.
///
/// # Safety
/// `send` must be NULL or a live operation.
#[no_mangle]
pub unsafe extern "C" fn graph_send_cancel(send: *mut graph_send) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: forwarded from this function's contract.
        if let Ok(send) = unsafe { send_ref(send) } {
            send.control.cancel();
        }
    }));
}

/// Waits up to `timeout_ms` milliseconds (0: just look) for a send to finish.
///
/// Finished: returns the send's status and writes its result JSON (as `graph_send_mail` would:
/// the report, or error JSON) to `*result_json_out`, to free with `graph_string_free`; may be
/// called again and returns the same result. Still running: returns `GRAPH_STATUS_PENDING` and
/// leaves `*result_json_out` NULL. A NULL `send` gives `GRAPH_STATUS_INVALID_ARGUMENT` with
/// error JSON (code `NullArgument`); a NULL `result_json_out` is refused with
/// `GRAPH_STATUS_INVALID_ARGUMENT` and nothing written.
///
/// # Safety
/// `send` must be a live operation; `result_json_out` valid for a pointer write.
#[no_mangle]
pub unsafe extern "C" fn graph_send_wait(
    send: *mut graph_send,
    timeout_ms: u32,
    result_json_out: *mut *mut c_char,
) -> graph_status {
    if result_json_out.is_null() {
        return graph_status::InvalidArgument;
    }
    let mut pending = false;
    // SAFETY: forwarded from this function's contract.
    let status = unsafe {
        boundary(result_json_out, || {
            let send = send_ref(send)?;
            let (slot, ready) = &*send.outcome;
            let guard = slot
                .lock()
                .map_err(|_| Error::new(ErrorCode::Internal, "A send's state was poisoned."))?;
            let (guard, _) = ready
                .wait_timeout_while(guard, Duration::from_millis(timeout_ms.into()), |o| {
                    o.is_none()
                })
                .map_err(|_| Error::new(ErrorCode::Internal, "A send's state was poisoned."))?;
            match guard.as_ref() {
                None => {
                    pending = true;
                    Ok(None)
                }
                Some(Ok(result)) => Ok(Some(result.to_string())),
                Some(Err(e)) => Err(e.duplicate()),
            }
        })
    };
    if pending {
        graph_status::Pending
    } else {
        status
    }
}

/// Releases an operation. A send still running is cancelled first (its cleanup finishes in the
/// background). NULL is ignored. The operation must not be used afterwards.
///
/// # Safety
/// `send` must be NULL or a pointer from `graph_send_mail_start` or `graph_sign_in_start`
/// not yet freed.
#[no_mangle]
pub unsafe extern "C" fn graph_send_free(send: *mut graph_send) {
    if send.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the pointer came from Box::into_raw and is freed once.
        let send = unsafe { Box::from_raw(send) };
        let finished = send.outcome.0.lock().map(|o| o.is_some()).unwrap_or(true);
        if !finished {
            send.control.cancel();
        }
    }));
}
