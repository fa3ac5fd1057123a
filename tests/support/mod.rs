//! Shared helpers for the integration tests: a local emulator per test, and thin safe wrappers
//! over the C ABI so tests exercise exactly what C, Python and PowerShell callers use.
#![allow(dead_code)]

use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};

use graphmail::ffi::{
    graph_acquire_token, graph_client, graph_client_free, graph_client_new, graph_send_mail,
    graph_status, graph_string_free,
};
use graphmail_emulator::{
    Emulator, EmulatorConfig, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID,
};
use serde_json::{json, Value};

/// A running emulator with its own temporary data folder.
pub struct TestEmulator {
    pub emulator: Emulator,
    pub dir: tempfile::TempDir,
}

impl TestEmulator {
    pub fn start() -> TestEmulator {
        Self::start_with(|c| c)
    }

    pub fn start_with(f: impl FnOnce(EmulatorConfig) -> EmulatorConfig) -> TestEmulator {
        let dir = tempfile::tempdir().unwrap();
        let emulator =
            Emulator::start(f(EmulatorConfig::new(dir.path().join("emu")).with_port(0))).unwrap();
        TestEmulator { emulator, dir }
    }

    /// Client configuration JSON pointing at this emulator with the demo app.
    pub fn config(&self) -> Value {
        json!({
            "tenantId": DEFAULT_TENANT_ID,
            "clientId": DEFAULT_CLIENT_ID,
            "clientSecret": DEFAULT_CLIENT_SECRET,
            "authorityHost": self.emulator.base_url(),
            "graphEndpoint": self.emulator.base_url(),
            "caCertificatePath": self.emulator.ca_certificate_path(),
            "timeoutSeconds": 30,
        })
    }

    /// The environment variables that point the library and CLI at this emulator.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AZURE_TENANT_ID".into(), DEFAULT_TENANT_ID.into()),
            ("AZURE_CLIENT_ID".into(), DEFAULT_CLIENT_ID.into()),
            ("AZURE_CLIENT_SECRET".into(), DEFAULT_CLIENT_SECRET.into()),
            ("AZURE_AUTHORITY_HOST".into(), self.emulator.base_url()),
            ("GRAPHMAIL_GRAPH_ENDPOINT".into(), self.emulator.base_url()),
            (
                "GRAPHMAIL_CA_FILE".into(),
                self.emulator.ca_certificate_path().display().to_string(),
            ),
        ]
    }

    /// Writes a file in the test folder and returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

/// Reads and frees a library-owned string.
pub fn take(ptr: *mut c_char) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    let s = unsafe { CStr::from_ptr(ptr) }.to_str().unwrap().to_string();
    unsafe { graph_string_free(ptr) };
    Some(s)
}

/// A client created through the C ABI.
pub struct FfiClient(pub *mut graph_client);

unsafe impl Send for FfiClient {}
unsafe impl Sync for FfiClient {}

impl FfiClient {
    /// `graph_client_new` with a config string (or NULL).
    pub fn new_raw(config: Option<&[u8]>) -> Result<FfiClient, (graph_status, Value)> {
        let owned = config.map(|c| CString::new(c).unwrap());
        let ptr = owned.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        let mut client: *mut graph_client = std::ptr::null_mut();
        let mut err: *mut c_char = std::ptr::null_mut();
        let status = unsafe { graph_client_new(ptr, &mut client, &mut err) };
        let err = take(err);
        if status == graph_status::Ok {
            assert!(!client.is_null());
            assert!(err.is_none(), "no error JSON on success");
            Ok(FfiClient(client))
        } else {
            assert!(client.is_null(), "client_out must stay NULL on failure");
            Err((
                status,
                serde_json::from_str(&err.expect("error JSON")).unwrap(),
            ))
        }
    }

    pub fn new(config: &Value) -> FfiClient {
        Self::new_raw(Some(config.to_string().as_bytes()))
            .unwrap_or_else(|e| panic!("client: {e:?}"))
    }

    /// `graph_send_mail` with raw message bytes (or NULL).
    pub fn send_raw(&self, message: Option<&[u8]>) -> (graph_status, Value) {
        let owned = message.map(|m| CString::new(m).unwrap());
        let ptr = owned.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        let mut out: *mut c_char = std::ptr::null_mut();
        let status = unsafe { graph_send_mail(self.0, ptr, &mut out) };
        let text = take(out).expect("graph_send_mail always writes result JSON");
        (status, serde_json::from_str(&text).unwrap())
    }

    /// `graph_send_mail_batch` with raw bytes (None = NULL).
    pub fn send_batch_raw(&self, messages: Option<&[u8]>) -> (graph_status, Value) {
        let owned = messages.map(|m| CString::new(m).unwrap());
        let ptr = owned.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        let mut out: *mut c_char = std::ptr::null_mut();
        let status = unsafe { graphmail::ffi::graph_send_mail_batch(self.0, ptr, &mut out) };
        let text = take(out).expect("graph_send_mail_batch always writes JSON");
        (status, serde_json::from_str(&text).unwrap())
    }

    /// `graph_send_mail_batch`.
    pub fn send_batch(&self, messages: &[Value]) -> (graph_status, Value) {
        self.send_batch_raw(Some(Value::Array(messages.to_vec()).to_string().as_bytes()))
    }

    pub fn send(&self, message: &Value) -> (graph_status, Value) {
        self.send_raw(Some(message.to_string().as_bytes()))
    }

    pub fn token(&self) -> (graph_status, Value) {
        let mut out: *mut c_char = std::ptr::null_mut();
        let status = unsafe { graph_acquire_token(self.0, &mut out) };
        (status, serde_json::from_str(&take(out).unwrap()).unwrap())
    }
}

impl Drop for FfiClient {
    fn drop(&mut self) {
        unsafe { graph_client_free(self.0) };
    }
}

/// Asserts an error result: the status, the stable code, and a non-empty message.
#[track_caller]
pub fn assert_error(result: &(graph_status, Value), status: graph_status, code: &str) {
    assert_eq!(result.0, status, "status for {}", result.1);
    assert_eq!(result.1["error"]["code"], code, "{}", result.1);
    let message = result.1["error"]["message"].as_str().unwrap_or_default();
    assert!(message.len() > 15, "message should explain: {}", result.1);
}

/// The official schema, compiled for `component`.
pub fn schema_validator(component: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/graph-v1.0-mail-subset.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let id = doc["$id"].as_str().unwrap().to_string();
    let registry = jsonschema::Registry::new()
        .add(id.as_str(), doc)
        .and_then(|b| b.prepare())
        .unwrap();
    jsonschema::options()
        .with_registry(&registry)
        .should_validate_formats(false)
        .build(&json!({"$ref": format!("{id}#/components/schemas/{component}")}))
        .unwrap()
}

/// Asserts that `body` validates as a sendMail request body.
#[track_caller]
pub fn assert_valid_send_mail(body: &Value) {
    let v = schema_validator("microsoft.graph.user.sendMail.requestBody");
    let errors: Vec<String> = v
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "schema violations: {errors:?}\nbody: {body}"
    );
}

/// `target/<profile>`: where cargo puts the cdylib, the examples and the binaries (integration
/// tests run from `target/<profile>/deps`).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// The cdylib that C, Python and PowerShell load (built by `cargo build`, which tests/run.sh runs first).
pub fn cdylib_path() -> PathBuf {
    let lib = target_dir().join(format!(
        "{}graphmail{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(
        lib.exists(),
        "the cdylib {} is missing: run `cargo build` before `cargo test` (tests/run.sh does)",
        lib.display()
    );
    lib
}

/// Asserts that a program exited 0 and printed a "sent" report on stdout; returns the report.
#[track_caller]
pub fn assert_sent_report(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report on stdout");
    assert_eq!(report["status"], "sent", "{report}");
    report
}

/// A child process killed when dropped.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An `openssl s_server` on 127.0.0.1 with a certificate from a fresh CA. It completes TLS
/// handshakes (when the protocol versions allow) but never answers HTTP.
pub struct OpensslServer {
    pub port: u16,
    pub ca_path: PathBuf,
    _dir: tempfile::TempDir,
    _child: KillOnDrop,
}

impl OpensslServer {
    /// Starts `openssl s_server` with extra `args` (e.g. `-tls1_1`). The test command installs
    /// openssl; a missing binary fails the test rather than skipping it.
    pub fn start(args: &[&str]) -> OpensslServer {
        use std::io::Read;
        use std::net::{IpAddr, Ipv4Addr};
        let dir = tempfile::tempdir().unwrap();
        let ca = graphmail_emulator::tls::CertificateAuthority::generate().unwrap();
        let ca_path = dir.path().join("ca.pem");
        ca.write_pem_files(&ca_path, &dir.path().join("ca-key.pem"))
            .unwrap();
        let server = ca
            .issue_server_certificate(&["localhost"], &[IpAddr::V4(Ipv4Addr::LOCALHOST)])
            .unwrap();
        let (cert, key) = (
            dir.path().join("server.pem"),
            dir.path().join("server-key.pem"),
        );
        server.write_pem_files(&cert, &key).unwrap();
        let port = free_port();
        let child = std::process::Command::new("openssl")
            .args(["s_server", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .args(args)
            .args(["-quiet", "-cert"])
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("openssl must be installed (the test command installs it)");
        let mut child = KillOnDrop(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
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
            assert!(
                std::time::Instant::now() < deadline,
                "openssl s_server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        OpensslServer {
            port,
            ca_path,
            _dir: dir,
            _child: child,
        }
    }

    /// A client configuration pointing both endpoints at this server.
    pub fn config(&self) -> Value {
        let url = format!("https://127.0.0.1:{}", self.port);
        json!({
            "tenantId": "contoso.onmicrosoft.com", "clientId": "app", "clientSecret": "s",
            "authorityHost": url, "graphEndpoint": url, "caCertificatePath": self.ca_path,
        })
    }
}

/// A minimal HTTP CONNECT proxy on 127.0.0.1 that records each CONNECT line.
pub struct ConnectProxy {
    pub port: u16,
    pub seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

fn relay(
    mut client: std::net::TcpStream,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    use std::io::{Read, Write};
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        client.read_exact(&mut byte)?;
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let first = head.lines().next().unwrap_or_default().to_string();
    seen.lock().unwrap().push(first.clone());
    let target = first
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let upstream = std::net::TcpStream::connect(&target)?;
    client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")?;
    let (mut client_read, mut upstream_write) = (client.try_clone()?, upstream.try_clone()?);
    std::thread::spawn(move || std::io::copy(&mut client_read, &mut upstream_write));
    let (mut upstream_read, mut client_write) = (upstream, client);
    std::io::copy(&mut upstream_read, &mut client_write)?;
    Ok(())
}

impl ConnectProxy {
    pub fn start() -> ConnectProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen_by_thread = std::sync::Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = std::sync::Arc::clone(&seen_by_thread);
                std::thread::spawn(move || relay(stream, seen));
            }
        });
        ConnectProxy { port, seen }
    }
}

/// One request seen by a [`CannedServer`]: the request line (`POST /path HTTP/1.1`), headers
/// (lower-case names) and body.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A tiny HTTPS/1.1 server (certificate from a fresh CA) that answers each request with what
/// `respond` returns, for responses the emulator never gives (redirects, odd statuses).
pub struct CannedServer {
    pub port: u16,
    pub ca_path: PathBuf,
    pub seen: std::sync::Arc<std::sync::Mutex<Vec<SeenRequest>>>,
    _dir: tempfile::TempDir,
}

type Responder = dyn Fn(&SeenRequest) -> String + Send + Sync;

fn serve_canned(
    tcp: std::net::TcpStream,
    config: std::sync::Arc<rustls::ServerConfig>,
    respond: std::sync::Arc<Responder>,
    seen: std::sync::Arc<std::sync::Mutex<Vec<SeenRequest>>>,
) -> std::io::Result<()> {
    use std::io::{BufRead, BufReader, Read, Write};
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut reader = BufReader::new(rustls::StreamOwned::new(conn, tcp));
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end().to_string();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let len = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        let request = SeenRequest {
            line: line.trim_end().to_string(),
            headers,
            body,
        };
        let response = respond(&request);
        seen.lock().unwrap().push(request);
        reader.get_mut().write_all(response.as_bytes())?;
        reader.get_mut().flush()?;
    }
}

impl CannedServer {
    pub fn start(respond: impl Fn(&SeenRequest) -> String + Send + Sync + 'static) -> CannedServer {
        use std::net::{IpAddr, Ipv4Addr};
        let dir = tempfile::tempdir().unwrap();
        let ca = graphmail_emulator::tls::CertificateAuthority::generate().unwrap();
        let ca_path = dir.path().join("ca.pem");
        ca.write_pem_files(&ca_path, &dir.path().join("ca-key.pem"))
            .unwrap();
        let cert = ca
            .issue_server_certificate(&["localhost"], &[IpAddr::V4(Ipv4Addr::LOCALHOST)])
            .unwrap();
        let mut config =
            rustls::ServerConfig::builder_with_provider(graphmail_emulator::tls::crypto_provider())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(vec![cert.certificate_der().clone()], cert.private_key_der())
                .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let config = std::sync::Arc::new(config);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let respond: std::sync::Arc<Responder> = std::sync::Arc::new(respond);
        let seen_by_thread = std::sync::Arc::clone(&seen);
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (config, respond, seen) =
                    (config.clone(), respond.clone(), seen_by_thread.clone());
                std::thread::spawn(move || serve_canned(tcp, config, respond, seen));
            }
        });
        CannedServer {
            port,
            ca_path,
            seen,
            _dir: dir,
        }
    }

    /// A client configuration pointing both endpoints at this server.
    pub fn config(&self) -> Value {
        let url = format!("https://127.0.0.1:{}", self.port);
        json!({
            "tenantId": "contoso.onmicrosoft.com", "clientId": "app-123", "clientSecret": "s",
            "authorityHost": url, "graphEndpoint": url, "caCertificatePath": self.ca_path,
            "timeoutSeconds": 10,
        })
    }
}

/// An HTTP/1.1 response with a JSON (or empty) body and extra header lines.
pub fn http_response(status: &str, extra_headers: &[&str], body: &str) -> String {
    let mut r = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    if !body.is_empty() {
        r.push_str("Content-Type: application/json\r\n");
    }
    for h in extra_headers {
        r.push_str(h);
        r.push_str("\r\n");
    }
    r.push_str("\r\n");
    r.push_str(body);
    r
}

/// A token endpoint success body.
pub const TOKEN_OK: &str = r#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"canned-access-token-0123456789"}"#;

impl FfiClient {
    /// `graph_send_mail_preview` with this client.
    pub fn preview(&self, message: Option<&Value>) -> (graph_status, Value) {
        preview_with(self.0, message)
    }

    /// `graph_send_mail_preview` with a NULL client.
    pub fn preview_without_client(message: &Value) -> (graph_status, Value) {
        preview_with(std::ptr::null_mut(), Some(message))
    }
}

fn preview_with(client: *mut graph_client, message: Option<&Value>) -> (graph_status, Value) {
    let owned = message.map(|m| CString::new(m.to_string()).unwrap());
    let ptr = owned.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    let mut out: *mut c_char = std::ptr::null_mut();
    let status = unsafe { graphmail::ffi::graph_send_mail_preview(client, ptr, &mut out) };
    (status, serde_json::from_str(&take(out).unwrap()).unwrap())
}

/// A background send through the C ABI (`graph_send_mail_start` ...).
pub struct FfiSend(pub *mut graphmail::ffi::graph_send);

unsafe impl Send for FfiSend {}
unsafe impl Sync for FfiSend {}

impl FfiClient {
    /// `graph_send_mail_start`.
    pub fn start(&self, message: &Value) -> Result<FfiSend, (graph_status, Value)> {
        let m = CString::new(message.to_string()).unwrap();
        let mut op = std::ptr::null_mut();
        let mut err: *mut c_char = std::ptr::null_mut();
        let status =
            unsafe { graphmail::ffi::graph_send_mail_start(self.0, m.as_ptr(), &mut op, &mut err) };
        op_result(status, op, err)
    }
}

impl FfiClient {
    /// `graph_sign_in_start`.
    pub fn sign_in(&self) -> Result<FfiSend, (graph_status, Value)> {
        let mut op = std::ptr::null_mut();
        let mut err: *mut c_char = std::ptr::null_mut();
        let status = unsafe { graphmail::ffi::graph_sign_in_start(self.0, &mut op, &mut err) };
        op_result(status, op, err)
    }
}

/// The outcome of a `..._start` call: the operation, or the status and error JSON.
fn op_result(
    status: graph_status,
    op: *mut graphmail::ffi::graph_send,
    err: *mut c_char,
) -> Result<FfiSend, (graph_status, Value)> {
    let err = take(err);
    if status == graph_status::Ok {
        assert!(!op.is_null() && err.is_none());
        Ok(FfiSend(op))
    } else {
        assert!(op.is_null());
        Err((status, serde_json::from_str(&err.unwrap()).unwrap()))
    }
}

impl FfiSend {
    pub fn progress(&self) -> Value {
        let mut out: *mut c_char = std::ptr::null_mut();
        let status = unsafe { graphmail::ffi::graph_send_progress(self.0, &mut out) };
        assert_eq!(status, graph_status::Ok);
        serde_json::from_str(&take(out).unwrap()).unwrap()
    }

    /// `graph_send_wait`; the JSON is `Null` while pending.
    pub fn wait(&self, timeout_ms: u32) -> (graph_status, Value) {
        let mut out: *mut c_char = std::ptr::null_mut();
        let status = unsafe { graphmail::ffi::graph_send_wait(self.0, timeout_ms, &mut out) };
        (
            status,
            take(out).map_or(Value::Null, |t| serde_json::from_str(&t).unwrap()),
        )
    }

    pub fn cancel(&self) {
        unsafe { graphmail::ffi::graph_send_cancel(self.0) };
    }
}

impl Drop for FfiSend {
    fn drop(&mut self) {
        unsafe { graphmail::ffi::graph_send_free(self.0) };
    }
}

/// Writes `len` pseudo-random bytes (a different stream per `seed`) to `path` without holding
/// the file in memory, and returns their SHA-256 (hex).
pub fn write_random_file(path: &Path, len: u64, seed: u64) -> String {
    use sha2::{Digest, Sha256};
    use std::io::Write;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut hasher = Sha256::new();
    let step = |x: u64| {
        x.wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407)
    };
    let mut state = step(seed);
    let mut buf = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        for b in buf[..n].iter_mut() {
            state = step(state);
            *b = (state >> 56) as u8;
        }
        file.write_all(&buf[..n]).unwrap();
        hasher.update(&buf[..n]);
        left -= n as u64;
    }
    file.flush().unwrap();
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs the openssl command in `dir` and returns its standard output. The test command
/// installs openssl; a missing binary fails the test rather than skipping it.
pub fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl must be installed (the test command installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The subjects of the emulator's stored messages, sorted.
pub fn stored_subjects(emulator: &Emulator) -> Vec<String> {
    let mut s: Vec<String> = emulator
        .messages()
        .iter()
        .map(|m| {
            let r = &m.request;
            r["message"]["subject"]
                .as_str()
                .or_else(|| r["subject"].as_str())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    s.sort();
    s
}

/// A self-signed RSA 2048 certificate with subject `cn`, made by openssl: writes `key_file` (an
/// unencrypted PKCS#8 key) and `cert_file` in `dir`.
pub fn self_signed(dir: &Path, key_file: &str, cert_file: &str, cn: &str) -> (PathBuf, PathBuf) {
    let subject = format!("/CN={cn}");
    openssl(
        dir,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key_file, "-out",
            cert_file, "-days", "2", "-subj", &subject,
        ],
    );
    (dir.join(key_file), dir.join(cert_file))
}

/// A PFX file `pfx_file` in `dir` holding `cert_file` and `key_file`, protected by `password`;
/// `extra` openssl arguments choose other algorithms.
pub fn pfx(
    dir: &Path,
    cert_file: &str,
    key_file: &str,
    pfx_file: &str,
    password: &str,
    extra: &[&str],
) -> PathBuf {
    let pass = format!("pass:{password}");
    let mut args = vec![
        "pkcs12", "-export", "-in", cert_file, "-inkey", key_file, "-out", pfx_file, "-passout",
        &pass,
    ];
    args.extend_from_slice(extra);
    openssl(dir, &args);
    dir.join(pfx_file)
}

/// (certificate PEM, combined PEM with key, PFX with password "Pfx-Pass").
pub fn make_certificate(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let (key, cert) = (format!("{name}-key.pem"), format!("{name}.pem"));
    let (key_path, cert_path) = self_signed(dir, &key, &cert, "graphmail-test");
    let both = dir.join(format!("{name}-both.pem"));
    let mut bytes = std::fs::read(&cert_path).unwrap();
    bytes.extend(std::fs::read(&key_path).unwrap());
    std::fs::write(&both, bytes).unwrap();
    let pfx = pfx(dir, &cert, &key, &format!("{name}.pfx"), "Pfx-Pass", &[]);
    (cert_path, both, pfx)
}
