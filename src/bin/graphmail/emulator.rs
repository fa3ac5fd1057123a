//! `graphmail emulator`: run the local Microsoft Graph emulator until Ctrl-C.

use std::path::PathBuf;
use std::time::Duration;

use graphmail_emulator::{
    AccessPolicy, Emulator, EmulatorConfig, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
};

use crate::exit;

/// Flags of `graphmail emulator`. Flags override the `--config` file.
#[derive(clap::Args, Debug)]
pub struct EmulatorArgs {
    /// A JSON configuration file (apps, secrets, certificates, mailboxes, groups, access
    /// policies, throttling, faults); see emulator/examples/emulator.json.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// HTTPS port (0 picks a free port) [default: the file's, else 8443].
    #[arg(long)]
    port: Option<u16>,
    /// Address to listen on [default: 127.0.0.1].
    #[arg(long, value_name = "IP")]
    bind: Option<std::net::IpAddr>,
    /// Folder for the CA, the received messages (.json and .eml) and state
    /// [default: the file's, else <temp dir>/graphmail-emulator].
    #[arg(long = "data-dir", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Tenant id to accept instead of the built-in demo tenant (or the file's); repeat for several.
    #[arg(long = "tenant", value_name = "TENANT_ID")]
    tenants: Vec<String>,
    /// Register an application "CLIENT_ID=SECRET" instead of the built-in demo app (or the file's); repeat for several.
    #[arg(long = "app", value_name = "CLIENT_ID=SECRET")]
    apps: Vec<String>,
    /// A mailbox that may send, instead of the built-in ones (or the file's); repeat for several.
    #[arg(long = "mailbox", value_name = "ADDRESS")]
    mailboxes: Vec<String>,
    /// A mail-enabled group for access policies: "GROUP=MEMBER[,MEMBER...]"; repeat for several.
    #[arg(long = "group", value_name = "GROUP=MEMBERS")]
    groups: Vec<String>,
    /// Application access policy RestrictAccess: the app may use only these mailboxes or
    /// groups, "CLIENT_ID=ADDRESS[,ADDRESS...]"; repeat for several.
    #[arg(long = "allow", value_name = "CLIENT_ID=ADDRESSES")]
    allow: Vec<String>,
    /// Application access policy DenyAccess: the app may not use these mailboxes or groups,
    /// "CLIENT_ID=ADDRESS[,ADDRESS...]"; repeat for several.
    #[arg(long = "deny", value_name = "CLIENT_ID=ADDRESSES")]
    deny: Vec<String>,
    /// Apply Outlook's limits per app and mailbox: 4 concurrent requests, 10,000 requests
    /// per 10 minutes, 150 MB of uploads per 5 minutes (429 with Retry-After).
    #[arg(long = "outlook-throttling", conflicts_with = "no_throttling")]
    outlook_throttling: bool,
    /// No Outlook throttling, even if the file turns it on.
    #[arg(long = "no-throttling")]
    no_throttling: bool,
    /// Lifetime of issued tokens, in seconds [default: the file's, else 3599].
    #[arg(long = "token-lifetime", value_name = "SECONDS")]
    token_lifetime: Option<u64>,
    /// Print one line per request (method, path, status, time) to stderr.
    #[arg(long = "request-log")]
    request_log: bool,
}

/// Split "KEY=A,B,C" into the key and the non-empty items.
fn key_and_list(flag: &str, value: &str) -> Result<(String, Vec<String>), String> {
    let (key, list) = value
        .split_once('=')
        .ok_or_else(|| format!("{flag} '{value}' must look like NAME=ADDRESS[,ADDRESS...]"))?;
    let items: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if key.trim().is_empty() || items.is_empty() {
        return Err(format!(
            "{flag} '{value}' must look like NAME=ADDRESS[,ADDRESS...]"
        ));
    }
    Ok((key.trim().to_string(), items))
}

/// The emulator configuration the file and the flags describe (flags win).
fn config(args: &EmulatorArgs) -> Result<EmulatorConfig, String> {
    let (mut config, file_sets_port) = match &args.config {
        Some(path) => {
            let config = EmulatorConfig::from_file(path).map_err(|e| e.to_string())?;
            // `from_file` leaves the port at 0 (any) when the file has none; the CLI's default
            // is 8443.
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let has_port = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("port").cloned())
                .is_some();
            (config, has_port)
        }
        None => (
            EmulatorConfig::new(std::env::temp_dir().join("graphmail-emulator")),
            false,
        ),
    };
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    match args.port {
        Some(port) => config = config.with_port(port),
        None if !file_sets_port => config = config.with_port(8443),
        None => {}
    }
    if let Some(bind) = args.bind {
        config = config.with_bind(bind);
    }
    if let Some(seconds) = args.token_lifetime {
        config = config.with_token_lifetime(Duration::from_secs(seconds.max(1)));
    }
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
    for group in &args.groups {
        let (address, members) = key_and_list("--group", group)?;
        config = config.with_group(address, members);
    }
    for (flag, values, allow) in [
        ("--allow", &args.allow, true),
        ("--deny", &args.deny, false),
    ] {
        for value in values {
            let (app, scope) = key_and_list(flag, value)?;
            let policy = if allow {
                AccessPolicy::allow(scope)
            } else {
                AccessPolicy::deny(scope)
            };
            config = config.with_access_policy(app, policy);
        }
    }
    if args.outlook_throttling {
        config = config.with_outlook_throttling(true);
    }
    if args.no_throttling {
        config = config.with_outlook_throttling(false);
    }
    if args.request_log {
        config = config.with_request_log(true);
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
    println!("Web inbox:      {}/inbox", emulator.base_url());
    let config = emulator.config();
    if config.throttling.is_some() {
        println!("Throttling:     Outlook limits per app and mailbox");
    }
    if !config.access_policies.is_empty() {
        println!(
            "Access policies: {} (app-only requests outside them get 403 ErrorAccessDenied)",
            config.access_policies.len()
        );
    }
    println!();
    println!("Point GraphMail at it with:");
    for line in emulator
        .env_lines()
        .iter()
        .filter(|l| !l.trim_start().starts_with('#'))
    {
        println!("  export {line}");
    }
    let demo_app = emulator.config().apps.first().is_some_and(|a| {
        a.client_id == DEFAULT_CLIENT_ID && a.client_secret == DEFAULT_CLIENT_SECRET
    });
    if demo_app {
        println!("  export AZURE_CLIENT_SECRET={DEFAULT_CLIENT_SECRET}   # the emulator's built-in demo app, not a real secret");
    } else {
        println!("  export AZURE_CLIENT_SECRET=<the secret registered with --app or in the --config file>");
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
