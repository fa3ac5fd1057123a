//! Delegated sending with the device code flow: the user signs in once, mail goes out through
//! `/me/sendMail` as that user, the refresh token (kept in a file only the user can read) renews
//! the token on the next run, and a declined or expired sign-in gets a clear code.

mod support;

use graphmail::ffi::graph_status;
use graphmail_emulator::{DeviceCodeBehaviour, DEFAULT_TENANT_ID};
use serde_json::{json, Value};
use support::{assert_error, FfiClient, TestEmulator};

const PUBLIC_APP: &str = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const USER: &str = "alerts@contoso.test";

fn start(behaviour: DeviceCodeBehaviour) -> TestEmulator {
    TestEmulator::start_with(|c| {
        c.with_public_client(PUBLIC_APP)
            .with_user(USER)
            .with_device_code_interval(0)
            .with_device_code_behaviour(behaviour)
    })
}

fn config(t: &TestEmulator, cache: &std::path::Path) -> Value {
    json!({
        "tenantId": DEFAULT_TENANT_ID,
        "clientId": PUBLIC_APP,
        "deviceCode": true,
        "tokenCachePath": cache,
        "authorityHost": t.emulator.base_url(),
        "graphEndpoint": t.emulator.base_url(),
        "caCertificatePath": t.emulator.ca_certificate_path(),
    })
}

#[test]
fn sign_in_once_then_refresh_from_the_cache() {
    let t = start(DeviceCodeBehaviour::ApproveAfterPolls {
        polls: 2,
        user: USER.into(),
    });
    let cache = t.dir.path().join("token-cache.json");
    let message = json!({"from": USER, "to": "ops@fabrikam.test", "subject": "as the user"});
    let (status, r) = FfiClient::new(&config(&t, &cache)).send(&message);
    assert_eq!(status, graph_status::Ok, "{r}");
    let m = &t.emulator.messages()[0];
    assert_eq!(m.mailbox, USER);
    let s = t.emulator.stats();
    assert_eq!(s.device_code_requests, 1, "{s:?}");
    assert!(s.device_code_polls >= 3, "polled until approved: {s:?}");
    // The cache holds the refresh token, readable only by the user.
    let text = std::fs::read_to_string(&cache).unwrap();
    assert!(text.contains("refreshToken"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // A new client (a new run) renews silently with the refresh token.
    let (status, r) = FfiClient::new(&config(&t, &cache)).send(&message);
    assert_eq!(status, graph_status::Ok, "{r}");
    let s = t.emulator.stats();
    assert_eq!(s.device_code_requests, 1, "no second sign-in: {s:?}");
    assert_eq!(s.refresh_token_requests, 1, "{s:?}");
    assert_eq!(t.emulator.messages().len(), 2);
}

#[test]
fn declined_and_expired_sign_ins_have_clear_codes() {
    for (behaviour, code) in [
        (DeviceCodeBehaviour::Decline, "DeviceCodeDeclined"),
        (DeviceCodeBehaviour::Expire, "DeviceCodeExpired"),
    ] {
        let t = start(behaviour);
        let cache = t.dir.path().join("cache.json");
        let r = FfiClient::new(&config(&t, &cache))
            .send(&json!({"from": USER, "to": "ops@fabrikam.test"}));
        assert_error(&r, graph_status::Auth, code);
        assert!(t.emulator.messages().is_empty());
        assert!(!cache.exists(), "nothing cached without a sign-in");
    }
}

#[test]
fn graphmail_login_then_send_as_the_user() {
    let t = start(DeviceCodeBehaviour::ApproveAfterPolls {
        polls: 1,
        user: USER.into(),
    });
    let cache = t.dir.path().join("login-cache.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_graphmail"))
        .env_clear()
        .envs(t.env())
        .args([
            "login",
            "--device-code",
            "--client-id",
            PUBLIC_APP,
            "--token-cache",
        ])
        .arg(&cache)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("devicelogin"),
        "the sign-in instructions are shown: {stderr}"
    );
    assert!(stdout.contains("Signed in"), "{stdout}");
    let token_text = std::fs::read_to_string(&cache).unwrap();
    assert!(
        !stdout.contains("refreshToken") && !stdout.contains(&token_text),
        "no token printed"
    );
    let config_file = t.file("user.json", config(&t, &cache).to_string().as_bytes());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_graphmail"))
        .env_clear()
        .args([
            "send",
            "--from",
            USER,
            "--to",
            "ops@fabrikam.test",
            "--subject",
            "after login",
            "--config",
        ])
        .arg(&config_file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = t.emulator.stats();
    assert_eq!(
        (s.device_code_requests, s.refresh_token_requests),
        (1, 1),
        "{s:?}"
    );
    assert_eq!(t.emulator.messages()[0].mailbox, USER);
}

#[test]
fn sign_in_start_shows_the_prompt_in_progress_then_reports_signed_in_without_the_token() {
    let t = start(DeviceCodeBehaviour::Manual);
    let cache = t.dir.path().join("cache.json");
    let mut cfg = config(&t, &cache);
    cfg["deviceCodePrompt"] = json!("none");
    let client = FfiClient::new(&cfg);
    let op = client.sign_in().unwrap();
    // The prompt appears in the progress JSON while the sign-in waits for the user.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let prompt = loop {
        let p = op.progress();
        if let Some(prompt) = p.get("signIn") {
            assert_eq!(p["step"], "authenticating", "{p}");
            assert_eq!(p["done"], false);
            break prompt.clone();
        }
        assert!(std::time::Instant::now() < deadline, "no signIn in {p}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let code = prompt["userCode"].as_str().unwrap().to_string();
    assert_eq!(t.emulator.pending_user_codes(), vec![code.clone()]);
    assert!(
        prompt["message"].as_str().unwrap().contains(&code),
        "{prompt}"
    );
    assert!(prompt["verificationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    assert!(prompt["expiresOn"].as_str().unwrap().ends_with('Z'));
    assert_eq!(op.wait(0).0, graph_status::Pending);
    assert!(t.emulator.approve_device_code(&code, USER));
    let (status, r) = op.wait(20_000);
    assert_eq!(status, graph_status::Ok, "{r}");
    assert_eq!(r["status"], "signedIn");
    assert!(r["expiresOnUnix"].as_u64().unwrap() > 0);
    assert!(
        r.get("accessToken").is_none(),
        "a sign-in never returns the token: {r}"
    );
    // Done: no prompt any more, and a send reuses the token without a second sign-in.
    assert!(op.progress().get("signIn").is_none());
    let (status, r) = client.send(&json!({"from": USER, "to": "ops@fabrikam.test"}));
    assert_eq!(status, graph_status::Ok, "{r}");
    let s = t.emulator.stats();
    assert_eq!(s.device_code_requests, 1, "{s:?}");
    assert_eq!(s.token_requests, s.device_code_polls, "{s:?}");
}

#[test]
fn sign_in_start_reports_bad_credentials_and_null_arguments() {
    let t = TestEmulator::start();
    let mut cfg = t.config();
    cfg["clientSecret"] = json!("wrong-secret-value-1");
    let op = FfiClient::new(&cfg).sign_in().unwrap();
    let r = op.wait(20_000);
    assert_error(&r, graph_status::Auth, "InvalidClientSecret");
    assert!(!r.1.to_string().contains("wrong-secret-value-1"));
    // A good one signs in.
    let op = FfiClient::new(&t.config()).sign_in().unwrap();
    assert_eq!(op.wait(20_000).0, graph_status::Ok);
    // NULL client and NULL out-pointer.
    let mut op = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    let status =
        unsafe { graphmail::ffi::graph_sign_in_start(std::ptr::null_mut(), &mut op, &mut err) };
    assert_eq!(status, graph_status::InvalidArgument);
    assert!(op.is_null());
    let e: Value = serde_json::from_str(&support::take(err).unwrap()).unwrap();
    assert_eq!(e["error"]["code"], "NullArgument");
    let client = FfiClient::new(&t.config());
    let mut err = std::ptr::null_mut();
    let status =
        unsafe { graphmail::ffi::graph_sign_in_start(client.0, std::ptr::null_mut(), &mut err) };
    assert_eq!(status, graph_status::InvalidArgument);
    let e: Value = serde_json::from_str(&support::take(err).unwrap()).unwrap();
    assert_eq!(e["error"]["field"], "send_out");
}
