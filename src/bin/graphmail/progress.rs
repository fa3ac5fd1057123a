//! Running a send with a progress bar on a terminal (none when stderr is piped) and Ctrl-C
//! cancelling it cleanly (the upload session and draft are deleted; exit code 130).

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use graphmail::{Client, SendControl, SendReport, SendStep, ValidatedMessage};

/// Sends `message`, drawing progress on stderr when it is a terminal.
pub fn send_with_progress(
    client: Client,
    message: ValidatedMessage,
) -> graphmail::Result<SendReport> {
    let control = Arc::new(SendControl::new());
    let on_ctrl_c = Arc::clone(&control);
    // Ctrl-C asks the send to stop; the library cleans up and returns Cancelled.
    graphmail::runtime::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    })?;
    let task_control = Arc::clone(&control);
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = graphmail::runtime::block_on(async move {
            client.send_validated_with(message, &task_control).await
        });
        let _ = done.send(result);
    });
    let draw = std::io::stderr().is_terminal();
    let mut drawn = false;
    // Redraw every 100 ms; the result wakes this loop at once.
    let result = loop {
        match finished.recv_timeout(Duration::from_millis(100)) {
            Ok(result) => break result,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if draw {
                    drawn |= draw_bar(&control);
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                break Err(graphmail::Error::new(
                    graphmail::ErrorCode::Panic,
                    "The send thread panicked. Please report this bug.",
                ))
            }
        }
    };
    if drawn {
        eprint!("\r{:78}\r", "");
    }
    result
}

/// Draws one progress line; returns whether anything was drawn.
fn draw_bar(control: &SendControl) -> bool {
    let p = control.progress();
    if p.bytes_total == 0 || p.step == SendStep::Pending {
        return false;
    }
    const WIDTH: u64 = 30;
    let filled = (p.bytes_sent.min(p.bytes_total) * WIDTH / p.bytes_total) as usize;
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    eprint!(
        "\r[{}{}] {:5.1}/{:.1} MiB {:<14}",
        "#".repeat(filled),
        ".".repeat(WIDTH as usize - filled),
        mib(p.bytes_sent),
        mib(p.bytes_total),
        p.step.as_str()
    );
    let _ = std::io::stderr().flush();
    true
}
