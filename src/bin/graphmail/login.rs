//! `graphmail login --device-code`: sign in as a user once (the device code flow) and keep the
//! refresh token in a private cache file, so later `graphmail send` runs with the same
//! `deviceCode` + `tokenCachePath` configuration send as that user without prompting.

use std::path::PathBuf;

use serde_json::json;

use crate::exit;

/// Flags of `graphmail login`.
#[derive(clap::Args, Debug)]
pub struct LoginArgs {
    /// Use the device code flow (the only interactive sign-in GraphMail offers).
    #[arg(long = "device-code", required = true)]
    device_code: bool,
    /// Directory (tenant) id or domain [env: AZURE_TENANT_ID].
    #[arg(long = "tenant-id", env = "AZURE_TENANT_ID")]
    tenant_id: String,
    /// Application (client) id of a public client app [env: AZURE_CLIENT_ID].
    #[arg(long = "client-id", env = "AZURE_CLIENT_ID")]
    client_id: String,
    /// File keeping the refresh token (created readable only by you).
    #[arg(long = "token-cache", value_name = "FILE")]
    token_cache: PathBuf,
    /// Delegated scopes [default: <graph>/Mail.Send offline_access].
    #[arg(long)]
    scopes: Vec<String>,
}

/// Runs the command: signs in and reports where the refresh token is kept (never the token).
pub fn run(args: LoginArgs) -> u8 {
    let mut config = json!({
        "tenantId": args.tenant_id,
        "clientId": args.client_id,
        "deviceCode": args.device_code,
        "tokenCachePath": args.token_cache,
        "useEnvironment": true,
    });
    if !args.scopes.is_empty() {
        config["scopes"] = json!(args.scopes.join(" "));
    }
    let result = graphmail::ClientConfig::from_json(&config.to_string())
        .and_then(graphmail::Client::new)
        .and_then(|client| client.acquire_token_blocking());
    match result {
        Ok(token) => {
            let minutes = token.remaining().as_secs() / 60;
            println!(
                "Signed in. The refresh token is kept in {}; the access token is valid for {minutes} more minutes.",
                args.token_cache.display()
            );
            0
        }
        Err(e) => exit::report(&e, false),
    }
}
