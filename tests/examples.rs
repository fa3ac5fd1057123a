//! The examples run: the Rust API example and the Python (ctypes) example both send through
//! the local emulator.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::{assert_sent_report, cdylib_path, target_dir, TestEmulator};

#[test]
fn rust_example_sends() {
    let t = TestEmulator::start();
    let exe = target_dir()
        .join("examples")
        .join(format!("send_mail{}", std::env::consts::EXE_SUFFIX));
    assert!(
        exe.exists(),
        "cargo test builds the examples: {}",
        exe.display()
    );
    let out = Command::new(exe)
        .envs(t.env())
        .args([
            "alerts@contoso.test",
            "ops@fabrikam.test",
            "From the Rust example",
        ])
        .output()
        .unwrap();
    assert_sent_report(&out);
    assert_eq!(
        t.emulator.messages()[0].request["message"]["subject"],
        "From the Rust example"
    );
}

#[test]
fn python_ctypes_example_sends() {
    let t = TestEmulator::start();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/python/send_mail.py");
    let out = Command::new("python3")
        .arg(script)
        .args(["reports@contoso.test", "ops@fabrikam.test", "From Python"])
        .envs(t.env())
        .env("GRAPHMAIL_LIBRARY", cdylib_path())
        .output()
        .expect("python3 is required (the test command installs it)");
    assert_sent_report(&out);
    let m = &t.emulator.messages()[0];
    assert_eq!(m.mailbox, "reports@contoso.test");
    assert_eq!(m.request["message"]["subject"], "From Python");
}
