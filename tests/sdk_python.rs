//! Microsoft's Python SDK for Graph (msgraph-sdk, with azure-identity's client secret
//! credential) sends mail into the emulator: the MSAL token request, the SDK's PascalCase
//! `sendMail` body with lower-case enums, and the message found through the web inbox API.
//!
//! The SDK lives in a virtual environment that `bash tests/run.sh` creates at
//! `target/sdk-venv` from `tests/python/requirements.txt` (or set `GRAPHMAIL_SDK_PYTHON` to a
//! Python that has them); without it this test fails and says so (it never skips).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use graphmail_emulator::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID};
use serde_json::Value;
use support::TestEmulator;

fn sdk_python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var_os("GRAPHMAIL_SDK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/sdk-venv/bin/python"));
    let check = Command::new(&python)
        .args(["-c", "import msgraph, azure.identity"])
        .output();
    assert!(
        check.as_ref().is_ok_and(|o| o.status.success()),
        "{} cannot import msgraph-sdk and azure-identity: create the environment with \
         `bash tests/run.sh` (or `python3 -m venv target/sdk-venv && target/sdk-venv/bin/pip \
         install -r tests/python/requirements.txt`), or set GRAPHMAIL_SDK_PYTHON ({})",
        python.display(),
        check
            .map(|o| String::from_utf8_lossy(&o.stderr).trim().to_string())
            .unwrap_or_else(|e| e.to_string())
    );
    python
}

#[test]
fn msgraph_sdk_for_python_sends_into_the_emulator_and_the_inbox_lists_it() {
    let python = sdk_python();
    let t = TestEmulator::start();
    let subject = "Quarterly report from the Python SDK";
    let output = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/send_with_msgraph_sdk.py"))
        .env("EMULATOR_URL", t.emulator.base_url())
        .env("CA_FILE", t.emulator.ca_certificate_path())
        .env("TENANT_ID", DEFAULT_TENANT_ID)
        .env("CLIENT_ID", DEFAULT_CLIENT_ID)
        .env("CLIENT_SECRET", DEFAULT_CLIENT_SECRET)
        .env("FROM_ADDRESS", "alerts@contoso.test")
        .env("TO_ADDRESS", "ops@fabrikam.test")
        .env("SUBJECT", subject)
        // Nothing from the developer's environment may send the SDK elsewhere.
        .env_remove("AZURE_AUTHORITY_HOST")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the SDK script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.lines().any(|l| l == "SENT"), "{stdout}");

    // One token request (MSAL) and one accepted sendMail.
    let stats = t.emulator.stats();
    assert_eq!(stats.client_credentials_requests, 1, "{stats:?}");
    assert_eq!(stats.accepted_messages, 1, "{stats:?}");
    assert_eq!(stats.rejected_requests, 0, "{stats:?}");

    // The SDK's own spelling arrived (PascalCase action parameters, lower-case enums) and
    // was understood.
    let stored = t.emulator.messages();
    assert_eq!(stored.len(), 1);
    let m = &stored[0];
    let raw = &m.request;
    assert!(raw.get("Message").is_some(), "{raw}");
    assert_eq!(raw["SaveToSentItems"], false);
    assert!(!m.save_to_sent_items);
    assert_eq!(raw["Message"]["body"]["contentType"], "html");
    assert_eq!(raw["Message"]["importance"], "high");
    assert_eq!(m.client_id, DEFAULT_CLIENT_ID);
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].name, "hello.txt");
    assert_eq!(
        std::fs::read(&m.attachments[0].path).expect("attachment"),
        b"Hello from Python"
    );
    let eml = std::fs::read_to_string(&m.eml_path).expect("eml");
    assert!(eml.contains("x-sent-by: msgraph-sdk-python"), "{eml}");
    assert!(
        eml.contains("Importance: high") || eml.contains("Importance: High"),
        "{eml}"
    );

    // The script found it through the web inbox API.
    let inbox: Value = stdout
        .lines()
        .find_map(|l| l.strip_prefix("INBOX "))
        .map(|j| serde_json::from_str(j).expect("inbox JSON"))
        .expect("INBOX line");
    assert_eq!(inbox["total"], 1);
    let listed = &inbox["messages"][0];
    assert_eq!(listed["id"], m.id.as_str());
    assert_eq!(listed["subject"], subject);
    assert_eq!(listed["bodyType"], "html");
    assert_eq!(listed["to"][0]["address"], "ops@fabrikam.test");
    assert_eq!(listed["to"][0]["name"], "Ops Team");
    assert_eq!(listed["attachments"][0]["name"], "hello.txt");
}
