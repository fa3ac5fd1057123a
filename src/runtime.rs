//! The shared tokio runtime behind the blocking API (C ABI, CLI). Created on first use; its
//! worker threads keep the HTTP/2 connection pool alive between calls.

use std::future::Future;

use once_cell::sync::Lazy;
use tokio::runtime::Runtime;

use crate::error::{Error, ErrorCode, Result};

static RUNTIME: Lazy<std::result::Result<Runtime, String>> = Lazy::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        // One worker: a blocking call (the C ABI, the CLI) drives its own send on the calling
        // thread, and the worker runs the connection tasks, background sends and bulk sends.
        // Measured with `cargo bench --bench bulk`: one by one 1.16-1.22x a single-threaded
        // client's time with one worker, 1.44-1.49x with two (more hand-overs between threads);
        // bulk throughput is the same.
        .worker_threads(1)
        .thread_name("graphmail-rt")
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
});

/// The shared runtime, created on first use.
fn runtime() -> Result<&'static Runtime> {
    RUNTIME.as_ref().map_err(|why| {
        Error::new(
            ErrorCode::Internal,
            format!("GraphMail could not start its async runtime: {why}"),
        )
    })
}

/// Starts `future` on the shared runtime and returns at once.
pub fn spawn<F>(future: F) -> Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let runtime = runtime()?;
    runtime.spawn(future);
    Ok(())
}

/// Runs `future` on the shared runtime and waits for it on the calling thread.
///
/// Safe to call from any thread, including from inside another tokio runtime (the future runs
/// on the shared runtime's workers; the caller only waits).
pub fn block_on<F, T>(future: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let runtime = runtime()?;
    if tokio::runtime::Handle::try_current().is_err() {
        // Not inside a runtime (the C ABI, the CLI): drive the future on this thread, which
        // saves a hand-over to a worker and back for every call. A panic in it unwinds here,
        // where the C ABI's boundary catches it.
        return runtime.block_on(future);
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime.spawn(async move {
        let _ = tx.send(future.await);
    });
    rx.recv().map_err(|_| {
        Error::new(
            ErrorCode::Panic,
            "Internal error: a GraphMail task panicked before finishing. Please report this bug.",
        )
    })?
}
