//! The system proxy setting follows HTTPS_PROXY / NO_PROXY, and `"proxy": "none"` bypasses it.
//! Alone in its own file (its own process), because it changes the process environment.

mod support;

use graphmail::ffi::graph_status;
use serde_json::json;
use support::{ConnectProxy, FfiClient, TestEmulator};

#[test]
fn https_proxy_is_honoured_and_can_be_bypassed() {
    let t = TestEmulator::start();
    let proxy = ConnectProxy::start();
    std::env::set_var("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port));
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    let message = json!({"from": "alerts@contoso.test", "to": "ops@fabrikam.test"});

    let client = FfiClient::new(&t.config());
    assert_eq!(client.send(&message).0, graph_status::Ok);
    assert_eq!(
        proxy.seen.lock().unwrap().len(),
        1,
        "HTTPS_PROXY is used by default"
    );

    let mut direct = t.config();
    direct["proxy"] = json!("none");
    assert_eq!(FfiClient::new(&direct).send(&message).0, graph_status::Ok);
    assert_eq!(
        proxy.seen.lock().unwrap().len(),
        1,
        "\"proxy\": \"none\" connects directly"
    );

    std::env::set_var("NO_PROXY", "127.0.0.1");
    assert_eq!(
        FfiClient::new(&t.config()).send(&message).0,
        graph_status::Ok
    );
    assert_eq!(proxy.seen.lock().unwrap().len(), 1, "NO_PROXY is honoured");
    assert_eq!(t.emulator.messages().len(), 3);
}
