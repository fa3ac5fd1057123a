//! `graphmail emulator`: run the local Microsoft Graph emulator until Ctrl-C.

use std::path::PathBuf;
use std::time::Duration;

use graphmail_emulator::{Emulator, EmulatorConfig, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};

use crate::exit;

/// Flags of `graphmail emulator`.
#[derive(clap::Args, Debug)]
pub struct EmulatorArgs {
    /// HTTPS port on 127.0.0.1 (0 picks a free port).
    #[arg(long, default_value_t = 8443)]
    port: u16,
    /// Folder for the CA, the received messages (.json and .eml) and state
    /// [default: <temp dir>/graphmail-emulator].
    #[arg(long = "data-dir", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Tenant id to accept instead of the built-in demo tenant; repeat for several.
    #[arg(long = "tenant", value_name = "TENANT_ID")]
    tenants: Vec<String>,
    /// Register an application "CLIENT_ID=SECRET" instead of the built-in demo app; repeat for several.
    #[arg(long = "app", value_name = "CLIENT_ID=SECRET")]
    apps: Vec<String>,
    /// A mailbox that may send, instead of the built-in ones; repeat for several.
    #[arg(long = "mailbox", value_name = "ADDRESS")]
    mailboxes: Vec<String>,
    /// Lifetime of issued tokens, in seconds.
    #[arg(
        long = "token-lifetime",
        value_name = "SECONDS",
        default_value_t = 3599
    )]
    token_lifetime: u64,
}

/// The emulator configuration the flags describe.
fn config(args: &EmulatorArgs) -> Result<EmulatorConfig, String> {
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("graphmail-emulator"));
    let mut config = EmulatorConfig::new(data_dir)
        .with_port(args.port)
        .with_token_lifetime(Duration::from_secs(args.token_lifetime.max(1)));
    if !args.tenants.is_empty() {
        config = config.without_tenants();
        for t in &args.tenants {
            config = config.with_tenant(t.clone());
        }
    }
    if !args.apps.is_empty() {
        config = config.without_apps();
        for app in &args.apps {
            let (id, secret) = app
                .split_once('=')
                .filter(|(id, secret)| !id.is_empty() && !secret.is_empty())
                .ok_or_else(|| {
                    format!(
                        "--app '{}' must look like CLIENT_ID=SECRET",
                        app.split('=').next().unwrap_or("")
                    )
                })?;
            config = config.with_app(id, secret);
        }
    }
    if !args.mailboxes.is_empty() {
        config = config
            .without_mailboxes()
            .with_mailboxes(args.mailboxes.clone());
    }
    Ok(config)
}

/// Runs the emulator until Ctrl-C.
pub fn run(args: EmulatorArgs) -> u8 {
    let config = match config(&args) {
        Ok(c) => c,
        Err(why) => {
            eprintln!("graphmail: error: {why}");
            return exit::USAGE;
        }
    };
    let emulator = match Emulator::start(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("graphmail: error: the emulator could not start: {e}");
            return exit::UNAVAILABLE;
        }
    };
    println!("GraphMail emulator listening on {}", emulator.base_url());
    println!(
        "CA certificate: {}",
        emulator.ca_certificate_path().display()
    );
    println!("Data folder:    {}", emulator.data_dir().display());
    println!();
    println!("Point GraphMail at it with:");
    for line in emulator
        .env_lines()
        .iter()
        .filter(|l| !l.trim_start().starts_with('#'))
    {
        println!("  export {line}");
    }
    if args.apps.is_empty() && emulator.client_id() == DEFAULT_CLIENT_ID {
        println!("  export AZURE_CLIENT_SECRET={DEFAULT_CLIENT_SECRET}   # the emulator's built-in demo app, not a real secret");
    } else {
        println!("  export AZURE_CLIENT_SECRET=<the secret you registered with --app>");
    }
    println!();
    println!("Press Ctrl-C to stop.");
    let waited = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(|rt| rt.block_on(tokio::signal::ctrl_c()));
    emulator.shutdown();
    match waited {
        Ok(Ok(())) => 0,
        _ => exit::SOFTWARE,
    }
}
