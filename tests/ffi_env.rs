//! A NULL or empty configuration reads the environment (AZURE_* and GRAPHMAIL_* variables).
//! Alone in its own file (its own process), because it changes the process environment.

mod support;

use graphmail::ffi::graph_status;
use serde_json::json;
use support::{FfiClient, TestEmulator};

#[test]
fn null_config_reads_the_environment() {
    let t = TestEmulator::start();
    for (k, v) in t.env() {
        std::env::set_var(k, v);
    }
    let client = FfiClient::new_raw(None).expect("client from environment");
    let (status, r) =
        client.send(&json!({"from": "alerts@contoso.test", "to": "ops@fabrikam.test"}));
    assert_eq!(status, graph_status::Ok, "{r}");
    assert_eq!(t.emulator.messages().len(), 1);
    let client = FfiClient::new_raw(Some(b"  ")).expect("empty config reads the environment too");
    assert_eq!(client.token().0, graph_status::Ok);
}
