//! Send one message with the Rust API, configured from the environment.
//!
//! ```text
//! export AZURE_TENANT_ID=... AZURE_CLIENT_ID=... AZURE_CLIENT_SECRET=...
//! cargo run --example send_mail -- alerts@contoso.com ops@contoso.com "Backup finished"
//! ```
//! (Against the local emulator, also set AZURE_AUTHORITY_HOST, GRAPHMAIL_GRAPH_ENDPOINT and
//! GRAPHMAIL_CA_FILE as `graphmail emulator` prints them.)

use graphmail::{Client, ClientConfig, Message};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [from, to, subject] = args.as_slice() else {
        eprintln!("usage: send_mail FROM TO SUBJECT");
        return std::process::ExitCode::from(64);
    };
    let result = async {
        let client = Client::new(ClientConfig::from_env()?)?;
        client
            .send_mail(&Message {
                from: from.clone(),
                to: vec![to.clone()],
                subject: Some(subject.clone()),
                body: Some("Sent with the GraphMail Rust API.".into()),
                ..Message::default()
            })
            .await
    }
    .await;
    match result {
        Ok(report) => {
            println!("{}", report.to_json());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            std::process::ExitCode::FAILURE
        }
    }
}
