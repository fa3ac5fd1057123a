//! `graphmail demo`: the whole path end to end on this machine. It starts the local Graph
//! emulator in-process, sends a sample message with an attachment through the C ABI (exactly
//! as a C, Python or PowerShell caller would), and shows where it landed. It always says that
//! it used the emulator, and never reads AZURE_* variables, so it cannot reach a real tenant.

use std::ffi::{c_char, CStr, CString};
use std::path::PathBuf;

use graphmail::ffi::{
    graph_client, graph_client_free, graph_client_new, graph_send_mail, graph_status,
    graph_string_free, graph_version,
};
use graphmail_emulator::{
    Emulator, EmulatorConfig, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID,
};
use serde_json::{json, Value};

use crate::exit;

/// Flags of `graphmail demo`.
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Folder for the emulator's data and the sample attachment [default: <temp dir>/graphmail-demo].
    #[arg(long = "data-dir", value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

/// Takes a library-owned string and frees it.
fn take_string(ptr: *mut c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: ptr came from a GraphMail call and is freed exactly once, right here.
    let text = unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned();
    unsafe { graph_string_free(ptr) };
    text
}

fn exit_for(status: graph_status) -> u8 {
    match status {
        graph_status::Ok => 0,
        graph_status::InvalidArgument | graph_status::Graph => exit::DATAERR,
        graph_status::Auth => exit::NOPERM,
        graph_status::Network | graph_status::Tls => exit::UNAVAILABLE,
        graph_status::Io => exit::IOERR,
        graph_status::Timeout => exit::TEMPFAIL,
        graph_status::Panic | graph_status::Internal => exit::SOFTWARE,
        graph_status::Cancelled => exit::CANCELLED,
        graph_status::Pending => exit::TEMPFAIL,
    }
}

/// Runs the demo.
pub fn run(args: DemoArgs) -> u8 {
    let data_dir = args
        .data_dir
        .unwrap_or_else(|| std::env::temp_dir().join("graphmail-demo"));
    let emulator = match Emulator::start(EmulatorConfig::new(&data_dir).with_port(0)) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("graphmail: error: the demo's local emulator could not start: {e}");
            return exit::UNAVAILABLE;
        }
    };
    // SAFETY: graph_version returns a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(graph_version()) }.to_string_lossy();
    println!("GraphMail {version} demo");
    println!(
        "Using the built-in LOCAL Graph emulator at {} (a demo tenant; no real tenant is contacted and no mail leaves this machine).",
        emulator.base_url()
    );

    let attachment = data_dir.join("demo-report.csv");
    if let Err(e) = std::fs::write(
        &attachment,
        "job,status,duration_s\nbackup,ok,312\nreindex,ok,48\n",
    ) {
        eprintln!(
            "graphmail: error: cannot write the sample attachment {}: {e}",
            attachment.display()
        );
        return exit::IOERR;
    }
    let config = json!({
        "tenantId": DEFAULT_TENANT_ID,
        "clientId": DEFAULT_CLIENT_ID,
        "clientSecret": DEFAULT_CLIENT_SECRET,
        "authorityHost": emulator.base_url(),
        "graphEndpoint": emulator.base_url(),
        "caCertificatePath": emulator.ca_certificate_path(),
    });
    let message = json!({
        "from": "GraphMail Demo <reports@contoso.test>",
        "to": ["Operations <ops@fabrikam.test>"],
        "subject": "Nightly jobs: all green",
        "body": "<p>All nightly jobs finished. The report is attached.</p>",
        "bodyAsHtml": true,
        "priority": "High",
        "headers": {"X-GraphMail-Demo": "true"},
        "attachments": [attachment],
    });
    println!("Sending through the C ABI: graph_client_new -> graph_send_mail ...");

    let (config, message) = match (
        CString::new(config.to_string()),
        CString::new(message.to_string()),
    ) {
        (Ok(c), Ok(m)) => (c, m),
        _ => return exit::SOFTWARE,
    };
    let mut client: *mut graph_client = std::ptr::null_mut();
    let mut error: *mut c_char = std::ptr::null_mut();
    // SAFETY: valid NUL-terminated strings and out-pointers.
    let status = unsafe { graph_client_new(config.as_ptr(), &mut client, &mut error) };
    if status != graph_status::Ok {
        eprintln!(
            "graphmail: error: graph_client_new failed: {}",
            take_string(error)
        );
        return exit_for(status);
    }
    let mut result: *mut c_char = std::ptr::null_mut();
    // SAFETY: a live client, a valid message string and out-pointer.
    let status = unsafe { graph_send_mail(client, message.as_ptr(), &mut result) };
    let result = take_string(result);
    // SAFETY: the client is freed once, after its last use.
    unsafe { graph_client_free(client) };
    if status != graph_status::Ok {
        eprintln!("graphmail: error: graph_send_mail failed: {result}");
        return exit_for(status);
    }
    let report: Value = serde_json::from_str(&result).unwrap_or(Value::Null);
    println!(
        "Graph accepted the message: HTTP {} (request-id {}).",
        report["httpStatus"],
        report["requestId"].as_str().unwrap_or("?")
    );
    let Some(stored) = emulator.messages().into_iter().last() else {
        eprintln!("graphmail: error: the emulator reports no stored message");
        return exit::SOFTWARE;
    };
    println!("It landed in mailbox {}:", stored.mailbox);
    println!("  Graph request JSON: {}", stored.json_path.display());
    println!("  Rendered message:   {}", stored.eml_path.display());
    if let Ok(eml) = std::fs::read_to_string(&stored.eml_path) {
        println!("  Headers:");
        for line in eml.lines().take_while(|l| !l.is_empty()).filter(|l| {
            [
                "From:",
                "To:",
                "Subject:",
                "Importance:",
                "X-GraphMail-Demo:",
            ]
            .iter()
            .any(|h| l.starts_with(h))
        }) {
            println!("    {line}");
        }
    }
    println!("Full result JSON: {result}");
    emulator.shutdown();
    0
}
