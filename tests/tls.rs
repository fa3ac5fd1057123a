//! TLS: a server that only speaks TLS 1.1 is refused with the TLS 1.2+ message, and a server
//! whose certificate does not chain to a trusted CA is refused (validation is never off).

mod support;

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use graphmail::ffi::graph_status;
use graphmail_emulator::tls::CertificateAuthority;
use serde_json::json;
use support::{assert_error, FfiClient, TestEmulator};

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_tls_1_1_only_server_is_refused_with_the_tls_message() {
    let dir = tempfile::tempdir().unwrap();
    let ca = CertificateAuthority::generate().unwrap();
    let (ca_pem, ca_key) = (dir.path().join("ca.pem"), dir.path().join("ca-key.pem"));
    ca.write_pem_files(&ca_pem, &ca_key).unwrap();
    let server = ca
        .issue_server_certificate(&["localhost"], &[IpAddr::V4(Ipv4Addr::LOCALHOST)])
        .unwrap();
    let (cert, key) = (
        dir.path().join("server.pem"),
        dir.path().join("server-key.pem"),
    );
    server.write_pem_files(&cert, &key).unwrap();

    let port = free_port();
    // The test command installs openssl; a missing binary fails this test rather than skipping it.
    let child = Command::new("openssl")
        .args(["s_server", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .args([
            "-tls1_1",
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
            "-quiet",
            "-cert",
        ])
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl must be installed (the test command installs it)");
    let mut child = KillOnDrop(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.0.try_wait() {
            let mut err = String::new();
            child
                .0
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("openssl s_server exited ({status}): {err}");
        }
        assert!(Instant::now() < deadline, "openssl s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    let url = format!("https://127.0.0.1:{port}");
    let client = FfiClient::new(&json!({
        "tenantId": "contoso.onmicrosoft.com", "clientId": "app", "clientSecret": "s",
        "authorityHost": url, "graphEndpoint": url, "caCertificatePath": ca_pem,
        "timeoutSeconds": 10,
    }));
    let r = client.token();
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
    let port = free_port();
    let url = format!("https://127.0.0.1:{port}");
    let client = FfiClient::new(&json!({
        "tenantId": "t", "clientId": "c", "clientSecret": "s",
        "authorityHost": url, "graphEndpoint": url, "timeoutSeconds": 5,
    }));
    assert_error(&client.token(), graph_status::Network, "ConnectionFailed");
}
