//! A real C program, compiled against `include/graphmail.h` and linked to the cdylib, sends
//! through the local emulator (tests/c/send_mail.c).

mod support;

use std::path::Path;
use std::process::Command;

use support::{cdylib_path, TestEmulator};

fn compile(source: &Path, out: &Path) {
    let lib_dir = cdylib_path().parent().unwrap().to_path_buf();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let output = Command::new(&cc)
        .args([
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-D_POSIX_C_SOURCE=200809L",
        ])
        .arg("-I")
        .arg(&include)
        .arg(source)
        .arg("-L")
        .arg(&lib_dir)
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .args(["-lgraphmail", "-lpthread", "-o"])
        .arg(out)
        .output()
        .unwrap_or_else(|e| {
            panic!("a C compiler ({cc}) is required (the test command installs gcc): {e}")
        });
    assert!(
        output.status.success(),
        "C compile failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_c_program_sends_through_the_emulator() {
    let t = TestEmulator::start();
    let exe = t.dir.path().join("send_mail");
    compile(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/send_mail.c"),
        &exe,
    );
    let attachment = t.file("from-c.txt", b"attached by a C program");
    let output = Command::new(&exe)
        .arg(t.config().to_string())
        .arg("alerts@contoso.test")
        .arg("ops@fabrikam.test")
        .arg(&attachment)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "C program failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    let messages = t.emulator.messages();
    assert_eq!(messages.len(), 21, "1 message + 4 threads x 5");
    let first = &messages[0].request["message"];
    assert_eq!(first["subject"], "Sent from C");
    assert_eq!(first["toRecipients"][0]["emailAddress"]["name"], "C Caller");
    assert_eq!(first["attachments"][0]["name"], "from-c.txt");
    assert_eq!(t.emulator.stats().token_requests, 1);
}
