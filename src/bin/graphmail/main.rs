//! `graphmail`: send mail through Microsoft Graph from scripts, cron jobs and scheduled tasks;
//! get a token; run the local Graph emulator; or see it all work with `graphmail demo`.
//!
//! Exit codes follow sysexits.h (see `exit.rs`).

mod demo;
mod emulator;
mod exit;
mod login;
mod progress;
mod send;
mod sendmail;
mod token;

use std::path::PathBuf;
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
    /// Print an access token for Graph as JSON (accessToken, expiresOn, tokenType).
    Token(ConfigArgs),
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
}

/// Where the client configuration comes from.
#[derive(clap::Args, Debug)]
pub struct ConfigArgs {
    /// JSON configuration file (same keys as the C ABI: tenantId, clientId, clientSecret, cloud,
    /// authorityHost, graphEndpoint, caCertificatePath, proxy, timeoutSeconds). Without it the
    /// environment is read (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, ...).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ConfigArgs {
    /// Loads the configuration from the file (`--config`, else `GRAPHMAIL_CONFIG`) or the
    /// environment.
    pub fn load(&self) -> graphmail::Result<graphmail::ClientConfig> {
        let from_env = std::env::var_os("GRAPHMAIL_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        match self.config.as_ref().or(from_env.as_ref()) {
            None => graphmail::ClientConfig::from_env(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    graphmail::Error::new(
                        graphmail::ErrorCode::FileUnreadable,
                        format!(
                            "The configuration file '{}' cannot be read: {e}.",
                            path.display()
                        ),
                    )
                })?;
                let text = zeroize::Zeroizing::new(text);
                if text.trim().is_empty() {
                    return Err(graphmail::Error::new(
                        graphmail::ErrorCode::InvalidConfig,
                        format!("The configuration file '{}' is empty.", path.display()),
                    ));
                }
                graphmail::ClientConfig::from_json(&text)
            }
        }
    }
}

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
        Command::Token(args) => token::run(args),
        Command::Login(args) => login::run(args),
        Command::Emulator(args) => emulator::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Sendmail { args } => sendmail::run(&args),
    };
    ExitCode::from(code)
}
