//! `graphmail migrate`, run as a process on copies of the corpus in `tests/scan_corpus/scripts/`:
//!
//! * with `--write`, each script that changes becomes exactly `tests/scan_corpus/migrated/<script>`
//!   (converted calls, `# GraphMail:` comments for the rest), with the original kept as `.bak`;
//!   scripts with nothing to convert are not touched;
//! * every byte outside the edits stays: UTF-16 with CRLF stays UTF-16 with CRLF, Windows-1252
//!   stays Windows-1252;
//! * without `--write` nothing changes and the printed diff, applied with `git apply`, gives the
//!   same files;
//! * a second run changes nothing (idempotent);
//! * every rewritten script parses with tree-sitter-powershell without new errors (without any
//!   error when the original had none), and a scan of the result finds no convertible call left;
//! * `--drop-credential` converts calls that pass -Credential, removing it and leaving a comment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn corpus() -> PathBuf {
    Path::new(ROOT).join("tests").join("scan_corpus")
}

/// A fresh copy of the corpus scripts in `<temp>/scripts`.
fn copy_corpus() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&corpus().join("scripts"), &dir.path().join("scripts"));
    dir
}

fn graphmail(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_graphmail"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("graphmail runs")
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                out.push(
                    path.strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text of a script as the scanner decodes it (UTF-16 with a BOM, else UTF-8, else Latin-1).
fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16(&units).unwrap();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.trim_start_matches('\u{feff}').to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

fn syntax_errors(text: &str) -> usize {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .unwrap();
    let tree = parser.parse(text, None).unwrap();
    let mut count = 0;
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            count += 1;
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
    count
}

#[test]
fn write_converts_the_corpus_into_the_expected_scripts_and_keeps_backups() {
    let dir = copy_corpus();
    let root = dir.path();
    let out = graphmail(root, &["migrate", "--write", "scripts"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("calls converted") && stderr.contains("files changed"),
        "{stderr}"
    );

    let expected_dir = corpus().join("migrated");
    let expected = files(&expected_dir);
    let originals = files(&corpus().join("scripts"));
    let mut problems = Vec::new();
    for name in &originals {
        let original = read(&corpus().join("scripts").join(name));
        let now = read(&root.join("scripts").join(name));
        let backup = root.join("scripts").join(format!("{name}.bak"));
        if expected.contains(name) {
            let want = read(&expected_dir.join(name));
            if now != want {
                problems.push(format!(
                    "{name}: differs from migrated/{name}:\n{}",
                    decode(&now)
                ));
            }
            if read(&backup) != original {
                problems.push(format!("{name}.bak is not the original"));
            }
        } else {
            if now != original {
                problems.push(format!("{name}: changed, but there is no migrated/{name}"));
            }
            if backup.exists() {
                problems.push(format!("{name}: a backup of an unchanged file"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for name in &expected {
        assert!(originals.contains(name), "migrated/{name} has no script");
    }
}

#[test]
fn every_byte_outside_the_edits_stays() {
    let migrated = corpus().join("migrated");
    let scripts = corpus().join("scripts");
    // UTF-16 LE with a BOM and CRLF: still that, with the comment line ending in CRLF too.
    let bytes = read(&migrated.join("19-utf16-crlf.ps1"));
    assert_eq!(&bytes[..2], &[0xFF, 0xFE]);
    let text = decode(&bytes);
    assert_eq!(text.matches("\r\n").count(), text.matches('\n').count());
    assert!(text.contains("'Bericht für März'\r\n# GraphMail: not converted: passes -Credential"));
    let original = decode(&read(&scripts.join("19-utf16-crlf.ps1")));
    let without_comment: String = text
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("# GraphMail:"))
        .collect();
    assert_eq!(
        without_comment,
        original.replacen(
            "\r\nSend-MailMessage -To 'büro@contoso.com' -From 'bericht@contoso.com' -Subject 'Zweiter'",
            "\r\nSend-GraphMail -To 'büro@contoso.com' -From 'bericht@contoso.com' -Subject 'Zweiter'",
            1
        )
    );
    // Windows-1252: the same bytes, the command name aside.
    let before = read(&scripts.join("20-windows-1252.ps1"));
    let after = read(&migrated.join("20-windows-1252.ps1"));
    let renamed = String::from_utf8_lossy(&before).contains("Send-MailMessage");
    assert!(renamed);
    let expected: Vec<u8> = {
        let at = before
            .windows(16)
            .position(|w| w == b"Send-MailMessage")
            .unwrap();
        [
            &before[..at],
            b"Send-GraphMail".as_slice(),
            &before[at + 16..],
        ]
        .concat()
    };
    assert_eq!(after, expected);
    assert!(
        after.contains(&0xFC),
        "the Windows-1252 ü is still one byte"
    );
}

#[test]
fn without_write_nothing_changes_and_the_diff_applies() {
    let dir = copy_corpus();
    let root = dir.path();
    let out = graphmail(root, &["migrate", "scripts"]);
    assert_eq!(out.status.code(), Some(0));
    for name in files(&corpus().join("scripts")) {
        assert_eq!(
            read(&root.join("scripts").join(&name)),
            read(&corpus().join("scripts").join(&name)),
            "{name} changed without --write"
        );
    }
    // The Windows-1252 script's lines keep their bytes in the diff (not valid UTF-8).
    let diff = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.stdout.windows(6).any(|w| w == b"Gr\xfc\xdfe "));
    assert!(
        diff.contains(
            "--- a/scripts/01-direct.ps1\n+++ b/scripts/01-direct.ps1\n@@ -1,4 +1,4 @@\n"
        ),
        "{diff}"
    );
    assert!(diff.contains("\n-Send-MailMessage -From 'backup@contoso.com'"));
    assert!(diff.contains("\n+Send-GraphMail -From 'backup@contoso.com'"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("would change (run with --write"),
        "{stderr}"
    );

    // The diff is an ordinary unified diff: git apply turns the copy into the migrated scripts
    // (the UTF-16 file aside: the diff shows its text, not its bytes).
    std::fs::remove_file(root.join("scripts/19-utf16-crlf.ps1")).unwrap();
    let marker = b"--- a/";
    let mut starts: Vec<usize> = out
        .stdout
        .windows(marker.len())
        .enumerate()
        .filter(|(i, w)| *w == marker && (*i == 0 || out.stdout[i - 1] == b'\n'))
        .map(|(i, _)| i)
        .collect();
    starts.push(out.stdout.len());
    let patch: Vec<u8> = starts
        .windows(2)
        .map(|w| &out.stdout[w[0]..w[1]])
        .filter(|part| !part.starts_with(b"--- a/scripts/19-utf16-crlf.ps1"))
        .flatten()
        .copied()
        .collect();
    std::fs::write(root.join("changes.diff"), patch).unwrap();
    let applied = Command::new("git")
        .args(["apply", "changes.diff"])
        .current_dir(root)
        .output()
        .expect("git runs");
    assert!(
        applied.status.success(),
        "git apply: {}",
        String::from_utf8_lossy(&applied.stderr)
    );
    for name in files(&corpus().join("migrated")) {
        if name == "19-utf16-crlf.ps1" {
            continue;
        }
        assert_eq!(
            read(&root.join("scripts").join(&name)),
            read(&corpus().join("migrated").join(&name)),
            "{name} after git apply"
        );
    }
}

#[test]
fn a_second_run_changes_nothing() {
    let dir = copy_corpus();
    let root = dir.path();
    assert_eq!(
        graphmail(root, &["migrate", "--write", "scripts"])
            .status
            .code(),
        Some(0)
    );
    let after_first: Vec<(String, Vec<u8>)> = files(root)
        .into_iter()
        .map(|f| {
            let bytes = read(&root.join(&f));
            (f, bytes)
        })
        .collect();
    let out = graphmail(root, &["migrate", "--write", "scripts"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, b"", "no diff on a second run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 files changed"));
    let after_second: Vec<(String, Vec<u8>)> = files(root)
        .into_iter()
        .map(|f| {
            let bytes = read(&root.join(&f));
            (f, bytes)
        })
        .collect();
    assert_eq!(
        after_first, after_second,
        "no file and no backup changed or appeared"
    );
}

#[test]
fn rewritten_scripts_parse_and_keep_no_convertible_call() {
    let scripts = corpus().join("scripts");
    let migrated = corpus().join("migrated");
    for name in files(&migrated) {
        let before = syntax_errors(&decode(&read(&scripts.join(&name))));
        let after = syntax_errors(&decode(&read(&migrated.join(&name))));
        assert!(
            after <= before,
            "{name}: {after} syntax errors after, {before} before"
        );
        if before == 0 {
            assert_eq!(after, 0, "{name} no longer parses");
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_graphmail"))
        .args(["scan", "--format", "json", "-q"])
        .arg(&migrated)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let convertible: Vec<&Value> = findings
        .iter()
        .filter(|f| f["kind"] == "send-mailmessage" && f["convertible"] == true)
        .collect();
    assert!(convertible.is_empty(), "still convertible: {convertible:?}");
    let graph = findings
        .iter()
        .filter(|f| f["command"] == "Send-GraphMail")
        .count();
    // 22 converted calls plus the one already there (15-other-forms.ps1).
    assert_eq!(graph, 23);
}

#[test]
fn drop_credential_converts_calls_that_pass_the_smtp_account() {
    let dir = copy_corpus();
    let root = dir.path();
    let out = graphmail(
        root,
        &[
            "migrate",
            "--write",
            "--drop-credential",
            "scripts/05-abbreviations.ps1",
            "scripts/19-utf16-crlf.ps1",
            "scripts/12-unconvertible.ps1",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(read(&root.join("scripts/05-abbreviations.ps1"))).unwrap();
    assert!(
        text.ends_with("$smtpCredential = Import-Clixml -Path \"$PSScriptRoot\\smtp.cred.xml\"\n# GraphMail: -Credential (the SMTP account) removed: Send-GraphMail signs in as the application (run Connect-GraphMail first, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET)\nSend-GraphMail -From 'jobs@contoso.com' -To 'ops@contoso.com' -Sub 'With a credential' -SmtpServer smtp.office365.com -UseSsl\n"),
        "{text}"
    );
    let utf16 = decode(&read(&root.join("scripts/19-utf16-crlf.ps1")));
    assert!(utf16.contains("# GraphMail: -Credential (the SMTP account) removed"));
    assert!(utf16.contains("\r\nSend-GraphMail -To 'büro@contoso.com' -From 'bericht@contoso.com' -Subject $subject -SmtpServer smtp.office365.com\r\n"), "{utf16}");
    // A Credential key in a splatted hashtable is still left to a person.
    let unconvertible =
        String::from_utf8(read(&root.join("scripts/12-unconvertible.ps1"))).unwrap();
    assert!(unconvertible
        .contains("# GraphMail: not converted: passes Credential in a splatted hashtable"));
    assert!(unconvertible
        .contains("Send-MailMessage @withCredential -Subject 'Credential in the splat'"));
    // And a second run with the same flags changes nothing.
    let again = graphmail(root, &["migrate", "--drop-credential", "scripts"]);
    let diff = String::from_utf8_lossy(&again.stdout);
    assert!(
        !diff.contains("05-abbreviations") && !diff.contains("19-utf16"),
        "{diff}"
    );
}

#[test]
fn errors_use_sysexits_codes_and_leave_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(graphmail(dir.path(), &["migrate"]).status.code(), Some(64));
    assert_eq!(
        graphmail(dir.path(), &["migrate", "nothing-here"])
            .status
            .code(),
        Some(66)
    );
    std::fs::write(dir.path().join("broken.ps1"), [0xFF, 0xFE, 0x41]).unwrap();
    std::fs::write(
        dir.path().join("ok.ps1"),
        "Send-MailMessage -To a@contoso.com -From b@contoso.com\n",
    )
    .unwrap();
    let out = graphmail(dir.path(), &["migrate", "--write", "."]);
    assert_eq!(
        out.status.code(),
        Some(65),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read(&dir.path().join("broken.ps1")), [0xFF, 0xFE, 0x41]);
    assert_eq!(
        read(&dir.path().join("ok.ps1")),
        b"Send-GraphMail -To a@contoso.com -From b@contoso.com\n",
        "the other files are still converted"
    );
}
