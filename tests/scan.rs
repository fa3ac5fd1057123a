//! `graphmail scan`, run as a process on the corpus in `tests/scan_corpus/scripts/` (scripts
//! written for the purpose: every way of calling Send-MailMessage, SmtpClient, TLS 1.2, SMTP
//! AUTH, secrets, and the traps):
//!
//! * every script's findings equal `tests/scan_corpus/expected/<script>.json`: line, column,
//!   kind, command, convertible, each parameter as `written name via maps`, pipeline input, and
//!   the start of each reason;
//! * the name in comments, strings, here-strings, variables and similar command names is never a
//!   call;
//! * no secret's value appears in any output format;
//! * JSON, CSV and table agree; the summary line counts what the findings hold;
//! * `--fail-on` exits 1 when a listed kind is found and 0 otherwise; usage and input errors use
//!   the sysexits codes;
//! * the prefilter, `--all` and the thread count change nothing but speed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn corpus() -> PathBuf {
    Path::new(ROOT).join("tests").join("scan_corpus")
}

fn scripts() -> PathBuf {
    corpus().join("scripts")
}

fn graphmail(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_graphmail"))
        .args(args)
        .current_dir(corpus())
        .output()
        .expect("graphmail runs")
}

fn scan_json(args: &[&str]) -> Value {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = graphmail(&all);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "graphmail {all:?}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("scan --format json prints JSON")
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings is an array")
}

/// A finding as the expected files write it.
fn condensed(finding: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in ["line", "column", "kind"] {
        out.insert(key.to_string(), finding[key].clone());
    }
    if !finding["command"].is_null() {
        out.insert("command".into(), finding["command"].clone());
    }
    if !finding["convertible"].is_null() {
        out.insert("convertible".into(), finding["convertible"].clone());
    }
    if finding["kind"] == "send-mailmessage" {
        let parameters: Vec<Value> = finding["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                Value::String(format!(
                    "{} {} {} {}",
                    p["written"].as_str().unwrap(),
                    p["name"].as_str().unwrap_or("?"),
                    p["via"].as_str().unwrap(),
                    p["maps"].as_str().unwrap()
                ))
            })
            .collect();
        out.insert("parameters".into(), Value::Array(parameters));
    }
    if finding["pipelineInput"] == true {
        out.insert("pipelineInput".into(), Value::Bool(true));
    }
    Value::Object(out)
}

fn relative(path: &str) -> String {
    path.replace('\\', "/")
        .trim_start_matches("scripts/")
        .to_string()
}

fn corpus_files() -> Vec<String> {
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
    let mut files = Vec::new();
    walk(&scripts(), &scripts(), &mut files);
    files.sort();
    files
}

#[test]
fn every_corpus_script_has_exactly_the_expected_findings() {
    let report = scan_json(&["scripts"]);
    let files = corpus_files();
    assert!(files.len() >= 22, "the corpus lost scripts: {files:?}");
    let mut problems = Vec::new();
    for file in &files {
        let expected_path = corpus().join("expected").join(format!("{file}.json"));
        let expected: Vec<Value> = serde_json::from_str(
            &std::fs::read_to_string(&expected_path)
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display())),
        )
        .unwrap();
        let actual: Vec<&Value> = findings(&report)
            .iter()
            .filter(|f| relative(f["path"].as_str().unwrap()) == *file)
            .collect();
        let condensed_actual: Vec<Value> = actual.iter().map(|f| condensed(f)).collect();
        let condensed_expected: Vec<Value> = expected
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.as_object_mut().unwrap().remove("reasons");
                e
            })
            .collect();
        if condensed_actual != condensed_expected {
            problems.push(format!(
                "{file}:\n  expected {}\n  actual   {}",
                serde_json::to_string(&condensed_expected).unwrap(),
                serde_json::to_string(&condensed_actual).unwrap()
            ));
            continue;
        }
        for (finding, expected) in actual.iter().zip(&expected) {
            let reasons: Vec<&str> = finding["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            let wanted: Vec<&str> = expected["reasons"]
                .as_array()
                .map(|r| r.iter().map(|r| r.as_str().unwrap()).collect())
                .unwrap_or_default();
            let matches = reasons.len() == wanted.len()
                && reasons.iter().zip(&wanted).all(|(r, w)| r.starts_with(w));
            if !matches {
                problems.push(format!(
                    "{file}:{}: reasons {reasons:?}, want ones starting with {wanted:?}",
                    finding["line"]
                ));
            }
            // A convertible call has no reasons, one that is not has at least one.
            if finding["convertible"] == false && reasons.is_empty() {
                problems.push(format!(
                    "{file}:{}: not convertible without a reason",
                    finding["line"]
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_word_in_comments_strings_variables_and_similar_names_is_not_a_call() {
    let report = scan_json(&["scripts/08-traps.ps1", "scripts/18-clean.ps1"]);
    assert_eq!(findings(&report), &Vec::<Value>::new());
    // The traps file does hold the words: the prefilter let it through and the parser decided.
    assert_eq!(report["summary"]["parsed"], 1);
    let traps = std::fs::read_to_string(scripts().join("08-traps.ps1")).unwrap();
    assert!(traps.matches("Send-MailMessage").count() >= 10);
    assert!(traps.contains("smtp.office365.com"));
}

/// The literal secrets written in the corpus.
const SECRETS: &[&str] = &[
    "kX8~Q.abcdefghijklmnopqrstuvwx",
    "c2VjcmV0LXZhbHVl",
    "Summer2024!",
    "P@ssw0rd1",
    "Pipe-Secret-1",
    "Hunter2!",
    "abc123def456",
    "literal-secret-value",
    "Spring2024!",
    "Autumn2024!",
];

#[test]
fn secrets_are_reported_and_never_printed() {
    let report = scan_json(&["scripts"]);
    let secrets: Vec<String> = findings(&report)
        .iter()
        .filter(|f| f["kind"] == "secret")
        .map(|f| format!("{}:{}", relative(f["path"].as_str().unwrap()), f["line"]))
        .collect();
    assert_eq!(secrets.len(), SECRETS.len(), "{secrets:?}");
    for format in ["table", "json", "csv"] {
        let out = graphmail(&["scan", "--format", format, "scripts"]);
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for secret in SECRETS {
            assert!(
                !printed.contains(secret),
                "--format {format} printed the secret {secret}"
            );
        }
    }
}

#[test]
fn the_formats_agree_and_the_summary_counts_the_findings() {
    let report = scan_json(&["scripts"]);
    let all = findings(&report);
    let count = |kind: &str| all.iter().filter(|f| f["kind"] == kind).count();
    let summary = &report["summary"];
    assert_eq!(summary["files"], corpus_files().len());
    assert_eq!(summary["calls"], count("send-mailmessage"));
    assert_eq!(
        summary["convertible"],
        all.iter()
            .filter(|f| f["kind"] == "send-mailmessage" && f["convertible"] == true)
            .count()
    );
    assert_eq!(summary["smtpClients"], count("smtpclient"));
    assert_eq!(summary["noTls12"], count("no-tls12"));
    assert_eq!(summary["smtpAuth"], count("smtp-auth"));
    assert_eq!(summary["secrets"], count("secret"));
    assert_eq!(summary["unreadable"], 0);

    // CSV: a header, then one line per finding (fields may be quoted, with commas inside).
    let out = graphmail(&["scan", "--format", "csv", "scripts"]);
    assert_eq!(out.status.code(), Some(0));
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("path,line,column,kind,command,convertible,parameters,message")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), all.len());
    let first = &all[0];
    assert!(
        rows[0].starts_with(&format!(
            "{},{},{},{},",
            first["path"].as_str().unwrap(),
            first["line"],
            first["column"],
            first["kind"].as_str().unwrap()
        )),
        "{}",
        rows[0]
    );
    assert!(
        rows.iter().any(|r| r.contains(
            ",send-mailmessage,Send-MailMessage,true,From=yes;To=yes;Subject=yes;Body=yes;Attachments=yes;SmtpServer=ignored;Port=ignored;UseSsl=ignored,"
        )),
        "the CSV lists parameters as name=maps"
    );
    let summary_line = String::from_utf8(out.stderr).unwrap();
    assert!(
        summary_line.starts_with(&format!(
            "{} files, {} calls, {} convertible, ",
            summary["files"], summary["calls"], summary["convertible"]
        )),
        "{summary_line}"
    );

    // The table: grouped by file, a line per finding, the summary line last.
    let out = graphmail(&["scan", "scripts"]);
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("scripts/05-abbreviations.ps1\n  2:1       send-mailmessage  convertible: -Fr (From) -T (To) -Su (Subject) -Attach (Attachments) -Pr (Priority) -Deliv (DeliveryNotificationOption) [partial] -Comp (SmtpServer) [ignored]\n"), "{table}");
    assert!(table.contains("  - passes -Credential: "));
    let last = table.lines().last().unwrap();
    assert!(
        last.starts_with(&format!("{} files, ", summary["files"])),
        "{last}"
    );
    assert_eq!(out.stderr, b"", "the table prints nothing on stderr");
}

#[test]
fn fail_on_sets_the_exit_code_for_ci() {
    let run = |args: &[&str]| graphmail(args).status.code();
    assert_eq!(
        run(&["scan", "scripts", "--fail-on", "send-mailmessage"]),
        Some(1)
    );
    assert_eq!(
        run(&[
            "scan",
            "scripts/09-smtpclient.ps1",
            "--fail-on",
            "smtpclient"
        ]),
        Some(1)
    );
    assert_eq!(
        run(&["scan", "scripts/11-secrets.ps1", "--fail-on", "secret"]),
        Some(1)
    );
    assert_eq!(
        run(&[
            "scan",
            "scripts/10-tls-missing.ps1",
            "--fail-on",
            "no-tls12,smtp-auth"
        ]),
        Some(1)
    );
    // Nothing of the listed kinds: 0.
    assert_eq!(
        run(&[
            "scan",
            "scripts/01-direct.ps1",
            "--fail-on",
            "smtpclient,secret"
        ]),
        Some(0)
    );
    assert_eq!(
        run(&[
            "scan",
            "scripts/18-clean.ps1",
            "--fail-on",
            "send-mailmessage,smtpclient,no-tls12,smtp-auth,secret"
        ]),
        Some(0)
    );
    assert_eq!(
        run(&["scan", "scripts/09-smtpclient.ps1", "--fail-on", "no-tls12"]),
        Some(0),
        "09 forces TLS 1.2"
    );
    let out = graphmail(&[
        "scan",
        "--format",
        "json",
        "-q",
        "scripts",
        "--fail-on",
        "secret",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("--fail-on: found 10 secret"), "{stderr}");
}

#[test]
fn usage_and_input_errors_use_sysexits_codes() {
    let out = graphmail(&["scan", "scripts", "--fail-on", "smtp"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown finding kind 'smtp'"));
    assert_eq!(
        graphmail(&["scan"]).status.code(),
        Some(64),
        "a path is required"
    );
    assert_eq!(
        graphmail(&["scan", "--format", "xml", "scripts"])
            .status
            .code(),
        Some(64)
    );
    let out = graphmail(&["scan", "no/such/folder"]);
    assert_eq!(out.status.code(), Some(66));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no/such/folder: no such file or directory")
    );

    // A file that cannot be decoded is reported; the others are still scanned.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.ps1"), [0xFF, 0xFE, 0x41]).unwrap();
    std::fs::copy(scripts().join("01-direct.ps1"), dir.path().join("ok.ps1")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_graphmail"))
        .args(["scan", "--format", "json", "-q"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(65),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["unreadable"], 1);
    assert_eq!(report["summary"]["calls"], 1);
    assert!(report["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not valid UTF-16"));
}

#[test]
fn prefilter_threads_and_all_change_nothing_but_speed() {
    let strip = |mut report: Value| {
        report["summary"]["seconds"] = Value::Null;
        report["summary"]["parsed"] = Value::Null;
        report
    };
    let default = scan_json(&["scripts"]);
    let all = scan_json(&["scripts", "--all"]);
    assert_eq!(all["summary"]["parsed"], all["summary"]["files"]);
    assert!(default["summary"]["parsed"].as_u64() < all["summary"]["parsed"].as_u64());
    let default = strip(default);
    assert_eq!(default, strip(all));
    assert_eq!(default, strip(scan_json(&["scripts", "--threads", "1"])));
    assert_eq!(default, strip(scan_json(&["scripts", "--threads", "7"])));
}

#[test]
fn folders_give_scripts_modules_and_data_files_named_files_any_extension() {
    let dir = tempfile::tempdir().unwrap();
    let call = "Send-MailMessage -To a@contoso.com -From b@contoso.com -Subject x\n";
    for name in ["a.ps1", "b.PSM1", "c.psd1", "notes.txt", "d.ps1.bak"] {
        std::fs::write(dir.path().join(name), call).unwrap();
    }
    let named = dir.path().join("job.txt");
    std::fs::write(&named, call).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_graphmail"))
        .args(["scan", "--format", "json", "-q"])
        .arg(dir.path())
        .arg(&named)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut paths: Vec<String> = findings(&report)
        .iter()
        .filter(|f| f["kind"] == "send-mailmessage")
        .map(|f| {
            Path::new(f["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    paths.sort();
    assert_eq!(paths, ["a.ps1", "b.PSM1", "c.psd1", "job.txt"]);
}
