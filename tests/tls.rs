//! TLS: a server that only speaks TLS 1.1 is refused with the TLS 1.2+ message, and a server
//! whose certificate does not chain to a trusted CA is refused (validation is never off).

mod support;

use graphmail::ffi::graph_status;
use serde_json::json;
use support::{assert_error, free_port, FfiClient, OpensslServer, TestEmulator};

#[test]
fn a_tls_1_1_only_server_is_refused_with_the_tls_message() {
    let server = OpensslServer::start(&["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    let mut config = server.config();
    config["timeoutSeconds"] = json!(10);
    let r = FfiClient::new(&config).token();
    assert_error(&r, graph_status::Tls, "TlsVersionUnsupported");
    assert!(
        r.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("TLS 1.2"),
        "{}",
        r.1
    );
}

#[test]
fn a_certificate_from_an_untrusted_ca_is_refused() {
    let trusted = TestEmulator::start();
    let other = TestEmulator::start();
    let mut config = other.config();
    config["caCertificatePath"] = json!(trusted.emulator.ca_certificate_path());
    let client = FfiClient::new(&config);
    let r = client.send(&json!({"from": "alerts@contoso.test", "to": "ops@fabrikam.test"}));
    assert_error(&r, graph_status::Tls, "TlsCertificateInvalid");
    assert!(r.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("caCertificatePath"));
    assert_eq!(
        other.emulator.stats().requests,
        0,
        "no HTTP request over an untrusted connection"
    );
    // Without the extra CA, the system roots do not trust the emulator either.
    let mut config = other.config();
    config.as_object_mut().unwrap().remove("caCertificatePath");
    let r = FfiClient::new(&config).token();
    assert_error(&r, graph_status::Tls, "TlsCertificateInvalid");
}

#[test]
fn a_closed_port_is_a_network_error() {
    let url = format!("https://127.0.0.1:{}", free_port());
    let client = FfiClient::new(&json!({
        "tenantId": "t", "clientId": "c", "clientSecret": "s",
        "authorityHost": url, "graphEndpoint": url, "timeoutSeconds": 5,
    }));
    assert_error(&client.token(), graph_status::Network, "ConnectionFailed");
}
