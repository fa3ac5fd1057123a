//! `graphmail token`: print an access token for Graph as JSON.

use crate::exit;
use crate::ConfigArgs;

/// Runs the command.
pub fn run(args: ConfigArgs) -> u8 {
    let result = args
        .load()
        .and_then(graphmail::Client::new)
        .and_then(|client| client.acquire_token_blocking());
    match result {
        Ok(token) => {
            println!("{}", token.to_json());
            0
        }
        Err(e) => exit::report(&e, false),
    }
}
