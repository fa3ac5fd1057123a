//! Transport settings: an explicit proxy is used (HTTP CONNECT), and the connect and request
//! timeouts fire with the Timeout code.

mod support;

use std::net::TcpListener;

use graphmail::ffi::graph_status;
use serde_json::json;
use support::{assert_error, ConnectProxy, FfiClient, OpensslServer, TestEmulator};

#[test]
fn an_explicit_proxy_is_used() {
    let t = TestEmulator::start();
    let proxy = ConnectProxy::start();
    let mut config = t.config();
    config["proxy"] = json!(format!("http://127.0.0.1:{}", proxy.port));
    let client = FfiClient::new(&config);
    let (status, r) =
        client.send(&json!({"from": "alerts@contoso.test", "to": "ops@fabrikam.test"}));
    assert_eq!(status, graph_status::Ok, "{r}");
    let seen = proxy.seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|l| l.starts_with(&format!("CONNECT 127.0.0.1:{} ", t.emulator.port()))),
        "the proxy saw: {seen:?}"
    );
    assert_eq!(t.emulator.messages().len(), 1);
}

#[test]
fn a_server_that_never_completes_the_handshake_hits_the_connect_timeout() {
    // The kernel completes the TCP handshake (the listener is never accepted from), so the TLS
    // handshake waits forever.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let client = FfiClient::new(&json!({
        "tenantId": "t", "clientId": "c", "clientSecret": "s", "authorityHost": url,
        "graphEndpoint": url, "connectTimeoutSeconds": 0.5, "timeoutSeconds": 30,
    }));
    let r = client.token();
    assert_error(&r, graph_status::Timeout, "Timeout");
    assert!(r.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("timed out"));
}

#[test]
fn a_server_that_never_answers_hits_the_request_timeout() {
    // openssl s_server completes TLS 1.2 but never answers the HTTP request.
    let server = OpensslServer::start(&["-tls1_2"]);
    let mut config = server.config();
    config["timeoutSeconds"] = json!(0.5);
    let r = FfiClient::new(&config).token();
    assert_error(&r, graph_status::Timeout, "Timeout");
}
