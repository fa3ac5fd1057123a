//! `graphmail`: send mail through Microsoft Graph from scripts, cron jobs and scheduled tasks;
//! get a token; run the local Graph emulator; or see it all work with `graphmail demo`.
//!
//! Exit codes follow sysexits.h (see `exit.rs`).

mod config_args;
mod demo;
mod emulator;
mod exit;
mod login;
mod migrate;
mod progress;
mod scan;
mod send;
mod send_batch;
mod sendmail;
mod token;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Send mail through Microsoft Graph with modern OAuth, over TLS 1.2+.
#[derive(Parser, Debug)]
#[command(name = "graphmail", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Send a message (flags named after Send-MailMessage's parameters).
    Send(Box<send::SendArgs>),
    /// Send every message of a JSON Lines file (one message object per line), concurrently
    /// across mailboxes; print one result per line, in input order.
    SendBatch(Box<send_batch::SendBatchArgs>),
    /// Print an access token for Graph as JSON (accessToken, expiresOn, tokenType).
    Token(Box<ConfigArgs>),
    /// Sign in as a user with the device code flow and cache the refresh token.
    Login(login::LoginArgs),
    /// Run the local Microsoft Graph emulator (HTTPS on 127.0.0.1).
    Emulator(emulator::EmulatorArgs),
    /// Read a message on standard input like sendmail (-t, -f, -F, -i/-oi, recipients as
    /// arguments), for cron's MAILTO and programs that pipe mail to sendmail.
    #[command(disable_help_flag = true)]
    Sendmail {
        /// sendmail flags and recipients.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Start the emulator in-process, send a sample message with an attachment through the C
    /// ABI, and show where it landed. Never contacts a real tenant.
    Demo(demo::DemoArgs),
    /// Inventory PowerShell scripts that send mail the old way: Send-MailMessage calls (with
    /// their parameters and whether each maps to Send-GraphMail), SmtpClient, TLS 1.2, SMTP AUTH
    /// and secrets written in scripts.
    Scan(scan::ScanArgs),
    /// Convert the Send-MailMessage calls that map fully into Send-GraphMail and comment the
    /// rest: prints a unified diff; --write changes the files (keeping .bak backups).
    Migrate(migrate::MigrateArgs),
}

pub use config_args::ConfigArgs;

fn main() -> ExitCode {
    // Installed as (or linked to) `sendmail`: behave like it.
    let mut argv = std::env::args();
    let invoked_as = argv.next().and_then(|a| {
        std::path::Path::new(&a)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
    });
    if invoked_as.as_deref() == Some("sendmail") {
        return ExitCode::from(sendmail::run(&argv.collect::<Vec<_>>()));
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(exit::USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let code = match cli.command {
        Command::Send(args) => send::run(*args),
        Command::SendBatch(args) => send_batch::run(*args),
        Command::Token(args) => token::run(*args),
        Command::Login(args) => login::run(args),
        Command::Emulator(args) => emulator::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Sendmail { args } => sendmail::run(&args),
        Command::Scan(args) => scan::run(args),
        Command::Migrate(args) => migrate::run(args),
    };
    ExitCode::from(code)
}
