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

/// The cdylib that C, Python and PowerShell load (`cargo test` builds it).
pub fn cdylib_path() -> PathBuf {
    let lib = target_dir().join(format!(
        "{}graphmail{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(
        lib.exists(),
        "the cdylib {} must be built (cargo test builds it)",
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
