//! [`SendControl`]: follow a long send and cancel it, from any thread, without callbacks.
//! The C ABI exposes it as a start/poll/cancel handle; PowerShell polls it for
//! `Write-Progress`, and the CLI for its progress bar.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};

use std::time::Duration;

use tokio::sync::Notify;

use crate::error::{Error, ErrorCode, Result};

/// The step a send is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum SendStep {
    /// Not started yet.
    Pending = 0,
    /// Reading attachments and building the request.
    Preparing = 1,
    /// Getting a token.
    Authenticating = 2,
    /// Posting `sendMail` (single request).
    Sending = 3,
    /// Creating the draft (large attachments).
    CreatingDraft = 4,
    /// Adding attachments and uploading large ones in chunks.
    Uploading = 5,
    /// Sending the draft.
    SendingDraft = 6,
    /// Deleting the draft after a failure or cancel.
    CleaningUp = 7,
    /// Finished (sent, failed or cancelled).
    Done = 8,
}

impl SendStep {
    /// Stable camelCase name used in progress JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SendStep::Pending => "pending",
            SendStep::Preparing => "preparing",
            SendStep::Authenticating => "authenticating",
            SendStep::Sending => "sending",
            SendStep::CreatingDraft => "creatingDraft",
            SendStep::Uploading => "uploading",
            SendStep::SendingDraft => "sendingDraft",
            SendStep::CleaningUp => "cleaningUp",
            SendStep::Done => "done",
        }
    }

    fn from_u8(v: u8) -> SendStep {
        match v {
            1 => SendStep::Preparing,
            2 => SendStep::Authenticating,
            3 => SendStep::Sending,
            4 => SendStep::CreatingDraft,
            5 => SendStep::Uploading,
            6 => SendStep::SendingDraft,
            7 => SendStep::CleaningUp,
            8 => SendStep::Done,
            _ => SendStep::Pending,
        }
    }
}

/// A snapshot of a send's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The current step.
    pub step: SendStep,
    /// Attachment bytes sent so far.
    pub bytes_sent: u64,
    /// Attachment bytes to send in all.
    pub bytes_total: u64,
    /// Whether a cancel was requested.
    pub cancel_requested: bool,
}

/// Shared between the sender and whoever follows or cancels it.
#[derive(Debug, Default)]
pub struct SendControl {
    step: AtomicU8,
    bytes_sent: AtomicU64,
    bytes_total: AtomicU64,
    cancelled: AtomicBool,
    cancel_notify: Notify,
    /// The whole send's deadline (`sendTimeoutSeconds`), and that timeout for messages.
    deadline: std::sync::Mutex<Option<(tokio::time::Instant, Duration)>>,
    /// The mailbox's throttling, shared by the sends of a bulk send.
    gate: Option<std::sync::Arc<crate::retry::ThrottleGate>>,
}

impl SendControl {
    /// A control for a send that has not started.
    pub fn new() -> Self {
        SendControl::default()
    }

    /// Asks the send to stop. In-flight requests are abandoned, an upload session and draft
    /// are deleted, and the send ends with [`ErrorCode::Cancelled`] — unless it already
    /// finished. Cancelling while the final send request is in flight cannot unsend it.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.cancel_notify.notify_waiters();
    }

    /// Whether [`SendControl::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// The current progress.
    pub fn progress(&self) -> Progress {
        Progress {
            step: SendStep::from_u8(self.step.load(Ordering::SeqCst)),
            bytes_sent: self.bytes_sent.load(Ordering::SeqCst),
            bytes_total: self.bytes_total.load(Ordering::SeqCst),
            cancel_requested: self.is_cancelled(),
        }
    }

    pub(crate) fn set_step(&self, step: SendStep) {
        self.step.store(step as u8, Ordering::SeqCst);
    }

    pub(crate) fn set_total(&self, total: u64) {
        self.bytes_total.store(total, Ordering::SeqCst);
    }

    pub(crate) fn add_sent(&self, n: u64) {
        self.bytes_sent.fetch_add(n, Ordering::SeqCst);
    }

    /// A control whose requests respect `gate` (one mailbox's throttling in a bulk send).
    pub(crate) fn with_gate(gate: std::sync::Arc<crate::retry::ThrottleGate>) -> Self {
        SendControl {
            gate: Some(gate),
            ..SendControl::default()
        }
    }

    pub(crate) fn gate(&self) -> Option<&crate::retry::ThrottleGate> {
        self.gate.as_deref()
    }

    /// Ends the send with [`ErrorCode::Timeout`] if it is still running `timeout` from now:
    /// like a cancel, the request in flight is abandoned and a draft is deleted.
    pub fn set_timeout(&self, timeout: Duration) {
        if let Ok(mut d) = self.deadline.lock() {
            *d = Some((tokio::time::Instant::now() + timeout, timeout));
        }
    }

    fn deadline(&self) -> Option<(tokio::time::Instant, Duration)> {
        self.deadline.lock().ok().and_then(|d| *d)
    }

    /// `Err(Cancelled)` once a cancel was requested, `Err(Timeout)` once the send's deadline
    /// passed.
    pub(crate) fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            return Err(cancelled_error());
        }
        match self.deadline() {
            Some((at, timeout)) if tokio::time::Instant::now() >= at => Err(timeout_error(timeout)),
            _ => Ok(()),
        }
    }

    /// Runs `future` unless and until a cancel is requested.
    pub(crate) async fn run<T>(
        &self,
        future: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let notified = self.cancel_notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        self.check()?;
        let deadline = self.deadline();
        let expired = async {
            match deadline {
                Some((at, _)) => tokio::time::sleep_until(at).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            r = future => r,
            _ = notified => Err(cancelled_error()),
            _ = expired => Err(timeout_error(deadline.map(|(_, t)| t).unwrap_or_default())),
        }
    }
}

fn timeout_error(timeout: Duration) -> Error {
    Error::new(
        ErrorCode::Timeout,
        format!(
            "The send took longer than its time limit ({} s, sendTimeoutSeconds) and was stopped.",
            timeout.as_secs_f64()
        ),
    )
}

fn cancelled_error() -> Error {
    Error::new(
        ErrorCode::Cancelled,
        "The send was cancelled before the message was sent.",
    )
}
