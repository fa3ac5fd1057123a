//! A real C program, compiled against `include/graphmail.h` and linked to the cdylib, uses every
//! C function against the local emulator (tests/c/send_mail.c): natively, and under valgrind's
//! memcheck, where a string the program forgets to free ("definitely" or "indirectly lost"), or
//! an invalid read or write, fails the test. Memory still reachable (or "possibly lost") at exit
//! is the library's shared runtime, whose threads live as long as the process: not a leak.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{cdylib_path, TestEmulator};

const FROM: &str = "alerts@contoso.test";
const TO: &str = "ops@fabrikam.test";

/// Memcheck's settings: full leak check; only definite and indirect leaks are errors (and
/// shown); any error makes valgrind exit 99. `tests/c/valgrind.supp` (added by [`valgrind`])
/// silences two false positives in ring's AES-GCM assembly, and no leak.
const VALGRIND_ARGS: &[&str] = &[
    "--tool=memcheck",
    "--leak-check=full",
    "--errors-for-leak-kinds=definite,indirect",
    "--show-leak-kinds=definite,indirect",
    "--error-exitcode=99",
    "--num-callers=40",
    "--fair-sched=try",
];

fn source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/send_mail.c")
}

fn compile(source: &Path, out: &Path, defines: &[&str]) {
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
            "-g",
            "-O0",
            "-D_POSIX_C_SOURCE=200809L",
        ])
        .args(defines)
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

/// Runs a command to its end, killing it after `limit` (so a hang fails instead of blocking).
fn run_with_limit(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    // Drain the pipes on threads, so a chatty child never blocks on a full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut v).ok();
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut v).ok();
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            panic!(
                "{command:?} did not finish in {limit:?}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.join().unwrap()),
                String::from_utf8_lossy(&err.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn valgrind() -> Command {
    let found = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "valgrind is required (tests/run.sh installs it: apt-get install valgrind)"
    );
    let mut command = Command::new("valgrind");
    command.args(VALGRIND_ARGS).arg(format!(
        "--suppressions={}",
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/c/valgrind.supp")
            .display()
    ));
    command
}

/// Runs tests/c/send_mail.c (optionally under `wrapper`, which writes `log`) against a fresh
/// emulator and checks what it reported and what arrived.
fn run_c_program(
    wrapper: Option<Command>,
    log: Option<&Path>,
    timeout_seconds: u64,
    limit: Duration,
) -> Output {
    let t = TestEmulator::start();
    let exe = t.dir.path().join("send_mail");
    compile(&source(), &exe, &[]);
    let attachment = t.file("from-c.txt", b"attached by a C program");
    let mut config = t.config();
    config["timeoutSeconds"] = timeout_seconds.into();
    let mut command = match wrapper {
        Some(mut w) => {
            w.arg(&exe);
            w
        }
        None => Command::new(&exe),
    };
    command
        .arg(config.to_string())
        .arg(FROM)
        .arg(TO)
        .arg(&attachment);
    let output = run_with_limit(command, limit);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let log = log.map(|l| std::fs::read_to_string(l).unwrap_or_default());
    assert!(
        output.status.success(),
        "C program failed ({}):\n{stdout}\n{stderr}\n{}",
        output.status,
        log.unwrap_or_default()
    );
    assert!(stdout.contains(" 0 failed"), "{stdout}\n{stderr}");

    let messages = t.emulator.messages();
    let count = |subject: &str| {
        messages
            .iter()
            .filter(|m| m.request["message"]["subject"] == subject)
            .count()
    };
    assert_eq!(count("Sent from C"), 1);
    assert_eq!(count("Sent from C in the background"), 1);
    assert_eq!(count("Sent from C in a batch"), 1);
    assert_eq!(count("Sent from a C thread"), 20, "4 threads x 5");
    assert_eq!(count("Refused in a batch"), 0);
    assert_eq!(count("Preview from C"), 0, "a preview sends nothing");
    assert!(count("Cancelled from C") <= 1 && count("Freed from C") <= 1);
    let first = messages
        .iter()
        .find(|m| m.request["message"]["subject"] == "Sent from C")
        .unwrap();
    let first = &first.request["message"];
    assert_eq!(first["toRecipients"][0]["emailAddress"]["name"], "C Caller");
    assert_eq!(first["attachments"][0]["name"], "from-c.txt");
    assert_eq!(
        t.emulator.stats().token_requests,
        1,
        "one client: one token for every send, the token call and the sign-in"
    );
    output
}

#[test]
fn a_c_program_sends_through_the_emulator() {
    run_c_program(None, None, 30, Duration::from_secs(300));
}

/// Memcheck's summary lines, checked on top of its exit code.
fn assert_memcheck_clean(log: &str) {
    assert!(log.contains("ERROR SUMMARY: 0 errors"), "{log}");
    assert!(
        log.contains("definitely lost: 0 bytes in 0 blocks")
            || log.contains("All heap blocks were freed"),
        "{log}"
    );
    assert!(
        log.contains("indirectly lost: 0 bytes in 0 blocks")
            || log.contains("All heap blocks were freed"),
        "{log}"
    );
    assert!(!log.contains("Invalid read"), "{log}");
    assert!(!log.contains("Invalid write"), "{log}");
    assert!(!log.contains("Invalid free"), "{log}");
}

#[test]
fn the_c_program_is_clean_under_valgrind_memcheck() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("memcheck.log");
    let mut wrapper = valgrind();
    wrapper.arg(format!("--log-file={}", log.display()));
    // Everything is many times slower under valgrind: generous HTTP timeouts and time limit.
    let output = run_c_program(Some(wrapper), Some(&log), 240, Duration::from_secs(1200));
    let log = std::fs::read_to_string(&log).unwrap();
    assert_ne!(output.status.code(), Some(99), "{log}");
    assert_memcheck_clean(&log);
    // It really ran under memcheck, and checked the leaks.
    assert!(log.contains("Memcheck, a memory error detector"), "{log}");
    assert!(log.contains("LEAK SUMMARY") || log.contains("All heap blocks were freed"));
}

/// The valgrind test can fail: a string never freed and a read after graph_string_free (the
/// program built with GRAPHMAIL_SELFTEST_BUGS) are both reported, and valgrind exits 99.
#[test]
fn valgrind_reports_a_string_never_freed_and_a_read_after_free() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("send_mail_bugs");
    compile(&source(), &exe, &["-DGRAPHMAIL_SELFTEST_BUGS"]);
    let log = dir.path().join("memcheck.log");
    let mut command = valgrind();
    command
        .arg(format!("--log-file={}", log.display()))
        .arg(&exe);
    let output = run_with_limit(command, Duration::from_secs(600));
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("selftest done"),
        "{log}"
    );
    assert_eq!(output.status.code(), Some(99), "{log}");
    assert!(log.contains("Invalid read of size 1"), "{log}");
    let lost = log
        .lines()
        .find(|l| l.contains("definitely lost:"))
        .unwrap_or_else(|| panic!("no leak summary:\n{log}"));
    assert!(!lost.contains("definitely lost: 0 bytes"), "{log}");
    assert!(
        log.contains("graph_send_mail"),
        "the leak's stack names the call:\n{log}"
    );
}
