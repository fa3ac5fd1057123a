//! The PowerShell module's C# interop, `powershell/GraphMail/GraphMail.Native.cs` and
//! `GraphMail.Credentials.cs`, tested without PowerShell: they are compiled as C# 5 with
//! `mcs -langversion:5` referencing only mscorlib and System.dll (what Windows PowerShell 5.1's
//! `Add-Type` accepts and references), and `tests/csharp/InteropTests.cs`, `CredentialTests.cs`
//! and `BatchTests.cs`, compiled against the same sources, drive them under mono against a local
//! emulator exactly as the module does: sends, background sends, (`batch`) bulk sends across
//! mailboxes with `SendBatch`, and (`credentials`) certificate signing in .NET,
//! mono's certificate store, the background sign-in with a device code, managed identity, access
//! tokens and certificate files. The test command installs mono (`mono-mcs`, `mono-runtime`); a
//! missing mcs or mono fails these tests, never skips them.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use graphmail_emulator::{DeviceCodeBehaviour, ManagedIdentity, DEFAULT_CLIENT_ID};
use serde_json::{json, Value};
use support::{cdylib_path, TestEmulator};

/// A second app registered in the emulator, used with the SecureString overload. Its secret has
/// what JSON must escape (quote, backslash, a tab) and non-ASCII text (two- to four-byte UTF-8).
const INTEROP_APP_ID: &str = "00000000-0000-0000-0000-00000000c5c5";
const INTEROP_APP_SECRET: &str = "s3cr\"et\\with\ttab-é-✓-😀";

/// Subjects sent by InteropTests.cs (keep in sync with its constants).
const FULL_SUBJECT: &str = "interop: full message ✓";
const ENVIRONMENT_SUBJECT: &str = "interop: from the environment";
const SECURE_SUBJECT: &str = "interop: SecureString secret";
const SMTP_SUBJECT: &str = "interop: Send-MailMessage SMTP parameters";
const PREVIEW_SUBJECT: &str = "interop: preview only";
const LARGE_SUBJECT: &str = "interop: StartSend large attachment";
const INLINE_SUBJECT: &str = "interop: StartSend inline image";
const CANCEL_SUBJECT: &str = "interop: cancelled, never sent";
const ORPHAN_SUBJECT: &str = "interop: StartSend outlives its client";

const CSV: &[u8] = b"host,status\nweb01,ok\n";
const NOTES: &str = "Notes from the interop test: caf\u{e9} \u{2713}\n";
const LOGO: &[u8] = b"\x89PNG\r\n\x1a\n not really a picture, but bytes to compare";

const MIB: u64 = 1024 * 1024;
/// Over 3 MB: the upload-session path, in three chunks.
const LARGE_LEN: u64 = 7 * MIB + 4321;
/// Big enough that the C# test cancels it mid-upload.
const CANCEL_LEN: u64 = 40 * MIB;

/// Writes `len` pseudo-random bytes and returns the SHA-256 (hex).
fn write_random_file(path: &Path, len: u64) -> String {
    support::write_random_file(path, len, 0x9e37_79b9_7f4a_7c15)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs a program, failing (never skipping) when it is not installed.
fn run(command: &mut Command, what: &str) -> Output {
    command.output().unwrap_or_else(|e| {
        panic!("{what} is required (tests/run.sh installs mono-mcs and mono-runtime): {e}")
    })
}

#[track_caller]
fn assert_compiled(out: &Output) {
    assert!(
        out.status.success(),
        "mcs failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `mcs -langversion:5 -warnaserror+` with extra arguments.
fn mcs(args: &[&std::ffi::OsStr]) -> Output {
    run(
        Command::new("mcs")
            .args(["-langversion:5", "-warnaserror+", "-nologo"])
            .args(args),
        "mcs (the Mono C# compiler)",
    )
}

/// The interop sources the module compiles together with one `Add-Type`.
fn interop_sources() -> [PathBuf; 2] {
    [
        repo("powershell/GraphMail/GraphMail.Native.cs"),
        repo("powershell/GraphMail/GraphMail.Credentials.cs"),
    ]
}

/// Windows PowerShell 5.1's `Add-Type` references System.dll (and System.Management.Automation,
/// which the interop does not use) besides mscorlib: `-noconfig` drops mcs's default references
/// (System.Core, System.Xml, ...), so a type from anywhere else fails here, not on 5.1.
#[test]
fn native_cs_compiles_as_a_csharp_5_library_with_only_the_default_references() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("GraphMail.Native.dll");
    let [native, credentials] = interop_sources();
    assert_compiled(&mcs(&[
        "-noconfig".as_ref(),
        "-r:System.dll".as_ref(),
        "-target:library".as_ref(),
        format!("-out:{}", out.display()).as_ref(),
        native.as_os_str(),
        credentials.as_os_str(),
    ]));
    // The check bites: a System.Core type is refused under the same references.
    let probe = dir.path().join("Probe.cs");
    std::fs::write(
        &probe,
        "public static class Probe { public static object F() { return System.Linq.Enumerable.Empty<int>(); } }",
    )
    .unwrap();
    let refused = mcs(&[
        "-noconfig".as_ref(),
        "-r:System.dll".as_ref(),
        "-target:library".as_ref(),
        format!("-out:{}", dir.path().join("Probe.dll").display()).as_ref(),
        probe.as_os_str(),
    ]);
    assert!(
        !refused.status.success(),
        "System.Core must not be referenced"
    );
}

/// `InteropTests.exe`: the test sources and the interop, plus Mono.Security (the credential tests
/// put a key where mono's certificate store finds it).
fn compile_interop_tests(dir: &Path) -> PathBuf {
    let exe = dir.join("InteropTests.exe");
    let tests = repo("tests/csharp/InteropTests.cs");
    let credentials_tests = repo("tests/csharp/CredentialTests.cs");
    let batch_tests = repo("tests/csharp/BatchTests.cs");
    let [native, credentials] = interop_sources();
    assert_compiled(&mcs(&[
        format!("-out:{}", exe.display()).as_ref(),
        "-r:Mono.Security.dll".as_ref(),
        tests.as_os_str(),
        credentials_tests.as_os_str(),
        batch_tests.as_os_str(),
        native.as_os_str(),
        credentials.as_os_str(),
    ]));
    exe
}

/// `mono` with a clean environment (no proxy or AZURE_* variables from the machine) and
/// DllImport("graphmail") finding libgraphmail.so; `home` is HOME (mono's certificate store).
fn mono(exe: &Path, home: &std::ffi::OsStr) -> Command {
    let mut mono = Command::new("mono");
    mono.env_clear();
    if let Some(v) = std::env::var_os("PATH") {
        mono.env("PATH", v);
    }
    mono.env("HOME", home)
        .env("LD_LIBRARY_PATH", cdylib_path().parent().unwrap())
        .arg(exe);
    mono
}

/// Runs InteropTests.exe and checks its closing line: at least `at_least` tests, none failed.
/// Returns (stdout, stderr).
fn run_interop_tests(mut command: Command, at_least: usize) -> (String, String) {
    let out = run(&mut command, "mono");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    println!("{stdout}"); // shown with --nocapture
    assert!(
        out.status.success(),
        "InteropTests.exe failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("interop: ") && last.ends_with(" passed, 0 failed"),
        "closing line: {last:?}\n{stdout}"
    );
    let passed: usize = last["interop: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(passed >= at_least, "every interop test ran:\n{stdout}");
    (stdout, stderr)
}

/// The PowerShell 7 resolver cannot be compiled under mono (no `NativeLibrary`): it is checked
/// against a stub with the .NET Core signatures, so a typo in it still fails here.
#[test]
fn native_resolver_compiles_against_the_net_core_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let stub = dir.path().join("NativeLibraryStub.cs");
    std::fs::write(
        &stub,
        r#"using System; using System.Reflection;
namespace System.Runtime.InteropServices {
    public delegate IntPtr DllImportResolver(string libraryName, Assembly assembly, DllImportSearchPath? searchPath);
    public static class NativeLibrary {
        public static void SetDllImportResolver(Assembly assembly, DllImportResolver resolver) { }
        public static bool TryLoad(string libraryPath, out IntPtr handle) { handle = IntPtr.Zero; return false; }
    }
}
"#,
    )
    .unwrap();
    let resolver = repo("powershell/GraphMail/GraphMail.NativeResolver.cs");
    let out = dir.path().join("GraphMail.NativeResolver.dll");
    assert_compiled(&mcs(&[
        "-target:library".as_ref(),
        format!("-out:{}", out.display()).as_ref(),
        resolver.as_os_str(),
        stub.as_os_str(),
    ]));
}

#[test]
fn the_interop_drives_the_library_under_mono() {
    let t = TestEmulator::start_with(|c| c.with_app(INTEROP_APP_ID, INTEROP_APP_SECRET));
    let exe = compile_interop_tests(t.dir.path());

    let attachments = t.dir.path().join("attachments");
    std::fs::create_dir(&attachments).unwrap();
    std::fs::write(attachments.join("report.csv"), CSV).unwrap();
    std::fs::write(attachments.join("notes-é.txt"), NOTES).unwrap();
    std::fs::write(attachments.join("logo.png"), LOGO).unwrap();
    let large_hash = write_random_file(&attachments.join("large.bin"), LARGE_LEN);
    // Zeros (a sparse file): its content does not matter, it is never sent whole.
    std::fs::File::create(attachments.join("cancel.bin"))
        .unwrap()
        .set_len(CANCEL_LEN)
        .unwrap();
    let secret_file = t.file("interop-secret.txt", INTEROP_APP_SECRET.as_bytes());

    let config = t.config();
    let mut wrong_secret = config.clone();
    wrong_secret["clientSecret"] = json!("not-the-secret");
    let mut no_secret = config.clone();
    no_secret.as_object_mut().unwrap().remove("clientSecret");
    no_secret["clientId"] = json!(INTEROP_APP_ID);

    // The emulator's environment, plus the inputs.
    let home = t.dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let mut command = mono(&exe, home.as_os_str());
    command
        .envs(t.env())
        .env("GRAPHMAIL_TEST_VERSION", env!("CARGO_PKG_VERSION"))
        .env("GRAPHMAIL_TEST_FROM", "alerts@contoso.test")
        .env("GRAPHMAIL_TEST_CONFIG", config.to_string())
        .env(
            "GRAPHMAIL_TEST_CONFIG_WRONG_SECRET",
            wrong_secret.to_string(),
        )
        .env("GRAPHMAIL_TEST_CONFIG_NO_SECRET", no_secret.to_string())
        .env("GRAPHMAIL_TEST_SECRET_FILE", &secret_file)
        .env("GRAPHMAIL_TEST_DIR", &attachments);
    run_interop_tests(command, 28);

    check_store(&t, &attachments);
    check_background_sends(&t, &large_hash);
}

/// What the emulator received from the C# program: exactly the seven sends, with their fields.
fn check_store(t: &TestEmulator, attachments: &Path) {
    let stored = t.emulator.messages();
    let subject = |m: &graphmail_emulator::StoredMessage| {
        m.request["message"]["subject"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let mut subjects: Vec<String> = stored.iter().map(subject).collect();
    subjects.sort();
    let mut expected = vec![
        ENVIRONMENT_SUBJECT,
        FULL_SUBJECT,
        SECURE_SUBJECT,
        SMTP_SUBJECT,
        LARGE_SUBJECT,
        INLINE_SUBJECT,
        ORPHAN_SUBJECT,
    ];
    expected.sort();
    assert_eq!(
        subjects, expected,
        "the preview, the refused sends and the cancelled send sent nothing"
    );
    assert!(stored.iter().all(|m| m.mailbox == "alerts@contoso.test"));
    assert_eq!(t.emulator.stats().accepted_messages, 7);

    let find = |s: &str| stored.iter().find(|m| subject(m) == s).unwrap();
    let full = find(FULL_SUBJECT);
    support::assert_valid_send_mail(&full.request);
    assert!(!full.save_to_sent_items);
    let m = &full.request["message"];
    assert_eq!(
        m["from"]["emailAddress"],
        json!({"address": "alerts@contoso.test", "name": "Interop Test"})
    );
    let addresses = |key: &str| -> Vec<Value> {
        m[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["emailAddress"]["address"].clone())
            .collect()
    };
    assert_eq!(
        addresses("toRecipients"),
        [json!("ops@fabrikam.test"), json!("dev@fabrikam.test")]
    );
    assert_eq!(addresses("ccRecipients"), [json!("cc@fabrikam.test")]);
    assert_eq!(addresses("bccRecipients"), [json!("hidden@fabrikam.test")]);
    assert_eq!(m["replyTo"][0]["emailAddress"]["name"], "Helpdesk");
    assert_eq!(
        m["body"],
        json!({"contentType": "html", "content": "<p>Hello from C# é</p>"})
    );
    assert_eq!(m["importance"], "high");
    let headers: Vec<(String, String)> = m["internetMessageHeaders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_string(),
                h["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        headers.contains(&("X-Interop".into(), "mono".into())),
        "{headers:?}"
    );
    assert!(
        headers.contains(&("x-run".into(), "1".into())),
        "{headers:?}"
    );
    let files = m["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    for (file, (name, content)) in files
        .iter()
        .zip([("report.csv", CSV), ("notes-é.txt", NOTES.as_bytes())])
    {
        assert_eq!(file["name"], name);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(file["contentBytes"].as_str().unwrap())
            .unwrap();
        assert_eq!(bytes, content, "{name}");
        assert_eq!(
            std::fs::read(attachments.join(name)).unwrap(),
            content,
            "the file is unchanged"
        );
    }
    assert_eq!(files[0]["contentType"], "text/csv");

    // Each client authenticated as the app it was given.
    assert_eq!(
        find(ENVIRONMENT_SUBJECT).client_id,
        graphmail_emulator::DEFAULT_CLIENT_ID
    );
    assert_eq!(find(SECURE_SUBJECT).client_id, INTEROP_APP_ID);
    assert!(stored.iter().all(|m| subject(m) != PREVIEW_SUBJECT));
}

/// The sends started with StartSend: the large attachment arrived byte-identical through an upload
/// session, the inline image with isInline and contentId on both paths, and the cancelled send
/// left no draft and no upload session behind.
fn check_background_sends(t: &TestEmulator, large_hash: &str) {
    let stored = t.emulator.messages();
    let find = |s: &str| {
        stored
            .iter()
            .find(|m| m.request["message"]["subject"] == s)
            .unwrap_or_else(|| panic!("{s:?} was not stored"))
    };
    assert!(
        stored
            .iter()
            .all(|m| m.request["message"]["subject"] != CANCEL_SUBJECT),
        "the cancelled send was not sent"
    );

    let large = find(LARGE_SUBJECT);
    assert!(large.via_draft, "over 3 MB goes through a draft");
    let by_name = |n: &str| {
        large
            .attachments
            .iter()
            .find(|a| a.name == n)
            .unwrap_or_else(|| panic!("{n} missing: {:?}", large.attachments))
    };
    let big = by_name("large.bin");
    assert_eq!(big.size, LARGE_LEN);
    assert_eq!(big.sha256, large_hash, "large.bin arrived byte-identical");
    assert!(big.uploaded, "large.bin came through an upload session");
    assert!(!big.is_inline);
    let logo = by_name("logo.png");
    assert!(logo.is_inline, "{logo:?}");
    assert_eq!(logo.content_id.as_deref(), Some("logo"));
    assert_eq!(logo.sha256, sha256_hex(LOGO));

    let inline = find(INLINE_SUBJECT);
    assert!(!inline.via_draft, "a small message goes in one sendMail");
    support::assert_valid_send_mail(&inline.request);
    let att = &inline.request["message"]["attachments"][0];
    assert_eq!(att["isInline"], true, "{att}");
    assert_eq!(att["contentId"], "logo", "{att}");
    assert_eq!(inline.attachments[0].sha256, sha256_hex(LOGO));

    let s = t.emulator.stats();
    assert_eq!(s.open_drafts, 0, "the cancel left no draft: {s:?}");
    assert_eq!(
        s.open_upload_sessions, 0,
        "the cancel left no upload session: {s:?}"
    );
    assert_eq!(s.drafts_sent, 1, "{s:?}");
    assert!(
        s.drafts_deleted >= 1,
        "the cancelled send had a draft, and deleted it: {s:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Credentials: certificate signing in .NET, the certificate store, sign-in, managed identity

/// A public client app and the user who signs in with the device code (a mailbox other than the
/// app-only sender, so the stored message shows who sent it).
const PUBLIC_APP: &str = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const DEVICE_USER: &str = "reports@contoso.test";
/// A user-assigned managed identity of the emulator's IMDS.
const MI_CLIENT_ID: &str = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d";
const PFX_PASSWORD: &str = "Pfx-Pass \"1\"";

/// Subjects sent by CredentialTests.cs (keep in sync with its constants).
const PFX_SUBJECT: &str = "credentials: PFX certificate signed in .NET";
const CHAIN_SUBJECT: &str = "credentials: options with a certificate and its chain";
const STORE_SUBJECT: &str = "credentials: certificate from the CurrentUser store";
const DEVICE_SUBJECT: &str = "credentials: device code user";
const MANAGED_SUBJECT: &str = "credentials: user-assigned managed identity";
const ACCESS_SUBJECT: &str = "credentials: access token as a SecureString";
const PATH_SUBJECT: &str = "credentials: certificate file with its password";
const SIGNER_ORPHAN_SUBJECT: &str = "credentials: a signer outlives its disposed client";

/// A self-signed RSA certificate: (certificate PEM, PFX the library reads, PFX mono reads).
/// OpenSSL 3's default PFX (AES, PBKDF2) is beyond mono's BoringSSL, so mono gets one encrypted
/// with 3DES and a SHA-1 MAC, as Windows' own exports were for years.
fn make_certificate(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let (key, cert) = (format!("{name}-key.pem"), format!("{name}.pem"));
    let (_, cert_path) = support::self_signed(dir, &key, &cert, "graphmail-interop");
    let pfx = support::pfx(dir, &cert, &key, &format!("{name}.pfx"), PFX_PASSWORD, &[]);
    let mono_pfx = support::pfx(
        dir,
        &cert,
        &key,
        &format!("{name}-3des.pfx"),
        PFX_PASSWORD,
        &[
            "-certpbe",
            "PBE-SHA1-3DES",
            "-keypbe",
            "PBE-SHA1-3DES",
            "-macalg",
            "sha1",
        ],
    );
    (cert_path, pfx, mono_pfx)
}

#[test]
fn credentials_work_through_the_interop_under_mono() {
    let certs = tempfile::tempdir().unwrap();
    let (registered_pem, library_pfx, registered_pfx) = make_certificate(certs.path(), "app");
    let (_, _, other_pfx) = make_certificate(certs.path(), "other");
    let pem = std::fs::read(&registered_pem).unwrap();
    let t = TestEmulator::start_with(|c| {
        c.with_app_certificate(DEFAULT_CLIENT_ID, pem)
            .with_public_client(PUBLIC_APP)
            .with_user(DEVICE_USER)
            // Each device code is approved at the third poll, a second apart: the prompt is
            // there to be seen for about two seconds.
            .with_device_code_interval(1)
            .with_device_code_behaviour(DeviceCodeBehaviour::ApproveAfterPolls {
                polls: 2,
                user: DEVICE_USER.into(),
            })
            .with_managed_identity(ManagedIdentity::user_assigned(
                MI_CLIENT_ID,
                "obj-interop",
                "/subscriptions/x/uami-interop",
            ))
    });
    let exe = compile_interop_tests(t.dir.path());

    let mut base = t.config();
    let secret = base
        .as_object_mut()
        .unwrap()
        .remove("clientSecret")
        .unwrap();
    // mono keeps its certificate store under $HOME/.config/.mono: a fresh one, never the user's.
    let home = t.dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let cache = t.dir.path().join("device-token-cache.json");
    let mut command = mono(&exe, home.as_os_str());
    command
        .arg("credentials")
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", t.emulator.base_url())
        .env("GRAPHMAIL_TEST_FROM", "alerts@contoso.test")
        .env("GRAPHMAIL_TEST_BASE", base.to_string())
        .env("GRAPHMAIL_TEST_SECRET", secret.as_str().unwrap())
        .env("GRAPHMAIL_TEST_PFX", &registered_pfx)
        .env("GRAPHMAIL_TEST_PFX_PASSWORD", PFX_PASSWORD)
        .env("GRAPHMAIL_TEST_LIBRARY_PFX", &library_pfx)
        .env("GRAPHMAIL_TEST_OTHER_PFX", &other_pfx)
        .env("GRAPHMAIL_TEST_PUBLIC_CLIENT", PUBLIC_APP)
        .env("GRAPHMAIL_TEST_USER", DEVICE_USER)
        .env("GRAPHMAIL_TEST_TOKEN_CACHE", &cache)
        .env("GRAPHMAIL_TEST_MI_CLIENT_ID", MI_CLIENT_ID);
    let (stdout, stderr) = run_interop_tests(command, 20);

    // What mono's RSA can do (reported by the first signer test).
    assert!(
        stdout.contains("mono: the key signs RS256 (PSS not supported)")
            || stdout.contains("mono: the key signs PS256 (PSS supported)"),
        "{stdout}"
    );
    // deviceCodePrompt "none": the instructions went to the caller only, not to standard error.
    assert!(
        !stderr.contains("devicelogin") && !stderr.contains("enter the code"),
        "the library printed the device code prompt: {stderr}"
    );
    assert!(cache.exists(), "the device code sign-in was cached");
    // The key stayed in mono's store of the temporary HOME.
    assert!(home.join(".config/.mono/certs/My").is_dir());

    let stored = t.emulator.messages();
    let subject = |m: &graphmail_emulator::StoredMessage| {
        m.request["message"]["subject"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let mut subjects: Vec<String> = stored.iter().map(subject).collect();
    subjects.sort();
    let mut expected = vec![
        PFX_SUBJECT,
        CHAIN_SUBJECT,
        STORE_SUBJECT,
        DEVICE_SUBJECT,
        MANAGED_SUBJECT,
        ACCESS_SUBJECT,
        PATH_SUBJECT,
        SIGNER_ORPHAN_SUBJECT,
    ];
    expected.sort();
    assert_eq!(
        subjects, expected,
        "failed signers, wrong keys and refused credentials sent nothing"
    );
    let find = |s: &str| stored.iter().find(|m| subject(m) == s).unwrap();
    for s in [
        PFX_SUBJECT,
        CHAIN_SUBJECT,
        STORE_SUBJECT,
        PATH_SUBJECT,
        SIGNER_ORPHAN_SUBJECT,
        ACCESS_SUBJECT,
    ] {
        assert_eq!(find(s).client_id, DEFAULT_CLIENT_ID, "{s}: as the app");
        assert_eq!(find(s).mailbox, "alerts@contoso.test", "{s}");
    }
    assert_eq!(
        find(DEVICE_SUBJECT).mailbox,
        DEVICE_USER,
        "sent as the signed-in user"
    );
    assert_eq!(find(MANAGED_SUBJECT).client_id, MI_CLIENT_ID);
    let s = t.emulator.stats();
    assert_eq!(s.device_code_requests, 1, "one device code sign-in: {s:?}");
}

// ---------------------------------------------------------------------------------------------
// Bulk sending: GraphMailClient.SendBatch (graph_send_mail_batch), Send-GraphMailBatch's path

/// Subjects BatchTests.cs sends, with their mailbox (keep in sync with its messages).
const BATCH_SENT: &[(&str, &str)] = &[
    ("batch: alerts with attachment", "alerts@contoso.test"),
    ("batch: reports", "reports@contoso.test"),
    ("batch: noreply with a warning", "noreply@contoso.test"),
    ("batch: noreply after the failures", "noreply@contoso.test"),
    ("batch: reports after the failures", "reports@contoso.test"),
    ("batch: alerts after the failures", "alerts@contoso.test"),
    ("batch: array first", "alerts@contoso.test"),
    ("batch: array third", "reports@contoso.test"),
];
/// BatchTests.cs's "batch: order NN" messages: NN from 0, mailbox NN % 3 of DEFAULT_MAILBOXES.
const BATCH_ORDER_COUNT: usize = 24;

#[test]
fn the_interop_sends_a_batch_across_mailboxes_under_mono() {
    let t = TestEmulator::start();
    let exe = compile_interop_tests(t.dir.path());
    let attachments = t.dir.path().join("attachments");
    std::fs::create_dir(&attachments).unwrap();
    std::fs::write(attachments.join("report.csv"), CSV).unwrap();
    let home = t.dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let mut command = mono(&exe, home.as_os_str());
    command
        .arg("batch")
        .env("GRAPHMAIL_TEST_CONFIG", t.config().to_string())
        .env("GRAPHMAIL_TEST_DIR", &attachments);
    let (stdout, _) = run_interop_tests(command, 7);

    // Exactly the sent subjects arrived, each once, from its own mailbox: the invalid messages,
    // the unknown mailbox, broken JSON, a smuggled second message, the refused calls and the
    // NUL sent nothing.
    let mut expected: Vec<(String, String)> = BATCH_SENT
        .iter()
        .map(|(s, m)| (s.to_string(), m.to_string()))
        .collect();
    for n in 0..BATCH_ORDER_COUNT {
        expected.push((
            format!("batch: order {n:02}"),
            graphmail_emulator::DEFAULT_MAILBOXES[n % 3].to_string(),
        ));
    }
    expected.sort();
    let stored = t.emulator.messages();
    let mut got: Vec<(String, String)> = stored
        .iter()
        .map(|m| {
            (
                m.request["message"]["subject"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                m.mailbox.clone(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got, expected,
        "each sent message exactly once, nothing else"
    );

    // Each result's request id is the one the emulator gave that very message.
    let reported: Vec<(&str, &str)> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("sent-request-id\t"))
        .map(|l| l.split_once('\t').expect("subject<TAB>request id"))
        .collect();
    assert_eq!(reported.len(), expected.len(), "{stdout}");
    for (subject, request_id) in reported {
        let m = stored
            .iter()
            .find(|m| m.request["message"]["subject"] == subject)
            .unwrap_or_else(|| panic!("{subject:?} was not stored"));
        assert_eq!(m.request_id, request_id, "{subject}");
    }

    // The attachment and the display name of the first message arrived.
    let first = stored
        .iter()
        .find(|m| m.request["message"]["subject"] == "batch: alerts with attachment")
        .unwrap();
    support::assert_valid_send_mail(&first.request);
    let m = &first.request["message"];
    assert_eq!(m["from"]["emailAddress"]["name"], "Alerts");
    assert_eq!(m["toRecipients"].as_array().unwrap().len(), 2);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(m["attachments"][0]["contentBytes"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, CSV);
    let s = t.emulator.stats();
    assert_eq!(s.accepted_messages, expected.len() as u64, "{s:?}");
}
