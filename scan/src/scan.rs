//! Scanning many scripts: in parallel, one parser per thread, results in path order.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde::Serialize;

use crate::analyze::analyze;
use crate::encoding::decode;
use crate::finding::{Finding, Kind};
use crate::prefilter::Prefilter;
use crate::syntax::{parse, parser};
use crate::{walk, Error};

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Worker threads; `None` = one per core.
    pub threads: Option<usize>,
    /// Skip files that cannot hold a finding without parsing them (see the prefilter module).
    pub prefilter: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            threads: None,
            prefilter: true,
        }
    }
}

/// Why a file could not be scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileErrorKind {
    /// It could not be read.
    Io,
    /// It is not valid text (a UTF-16 byte order mark, then invalid UTF-16).
    Encoding,
}

/// A file that could not be scanned.
#[derive(Debug, Clone, Serialize)]
pub struct FileError {
    /// The file or folder.
    pub path: String,
    /// Why.
    pub kind: FileErrorKind,
    /// What went wrong.
    pub message: String,
}

/// Totals of a scan.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Scripts found.
    pub files: usize,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Scripts parsed (the others held none of the prefilter's words).
    pub parsed: usize,
    /// Scripts with at least one finding.
    pub files_with_findings: usize,
    /// Send-MailMessage calls.
    pub calls: usize,
    /// Of those, the ones `graphmail migrate` converts.
    pub convertible: usize,
    /// SmtpClient objects created.
    pub smtp_clients: usize,
    /// MailMessage objects created.
    pub mail_messages: usize,
    /// Other senders' calls.
    pub other_senders: usize,
    /// Places that force TLS 1.2.
    pub tls12: usize,
    /// Scripts sending over SMTP without forcing TLS 1.2.
    pub no_tls12: usize,
    /// Lines naming an SMTP AUTH host.
    pub smtp_auth: usize,
    /// Secrets written in scripts.
    pub secrets: usize,
    /// Scripts with syntax errors.
    pub parse_errors: usize,
    /// Files or folders that could not be read.
    pub unreadable: usize,
    /// Wall time of the scan.
    pub seconds: f64,
}

impl Summary {
    /// The number of findings of a kind.
    pub fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::SendMailMessage => self.calls,
            Kind::SmtpClient => self.smtp_clients,
            Kind::MailMessage => self.mail_messages,
            Kind::OtherSender => self.other_senders,
            Kind::Tls12 => self.tls12,
            Kind::NoTls12 => self.no_tls12,
            Kind::SmtpAuth => self.smtp_auth,
            Kind::Secret => self.secrets,
            Kind::ParseError => self.parse_errors,
        }
    }

    /// The summary line: "12 files, 7 calls, 4 convertible, ...".
    pub fn line(&self) -> String {
        let mb = self.bytes as f64 / 1_000_000.0;
        format!(
            "{} files, {} calls, {} convertible, {} SmtpClient, {} MailMessage, {} other senders, {} without TLS 1.2, {} SMTP AUTH, {} secrets, {} with syntax errors, {} unreadable ({:.1} MB in {:.2} s)",
            self.files,
            self.calls,
            self.convertible,
            self.smtp_clients,
            self.mail_messages,
            self.other_senders,
            self.no_tls12,
            self.smtp_auth,
            self.secrets,
            self.parse_errors,
            self.unreadable,
            mb,
            self.seconds
        )
    }
}

/// What a scan found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The totals.
    pub summary: Summary,
    /// Every finding, by path, line and column.
    pub findings: Vec<Finding>,
    /// Files and folders that could not be read.
    pub errors: Vec<FileError>,
}

/// Reads and scans one script's text (for tests and tools that already hold the text).
pub fn scan_text(path: &str, text: &str) -> Result<Vec<Finding>, Error> {
    let mut parser = parser()?;
    let tree = parse(&mut parser, text);
    let mut findings = analyze(text, &tree).findings;
    for finding in &mut findings {
        finding.path = path.to_string();
    }
    Ok(findings)
}

struct Outcome {
    bytes: u64,
    parsed: bool,
    findings: Vec<Finding>,
    error: Option<Error>,
}

fn scan_file(
    path: &Path,
    parser: &mut tree_sitter::Parser,
    prefilter: Option<&mut Prefilter>,
) -> Outcome {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            return Outcome {
                bytes: 0,
                parsed: false,
                findings: Vec::new(),
                error: Some(Error::io(path, e)),
            }
        }
    };
    let size = bytes.len() as u64;
    let text = match decode(&bytes) {
        Ok((text, _)) => text,
        Err(_) => {
            return Outcome {
                bytes: size,
                parsed: false,
                findings: Vec::new(),
                error: Some(Error::Encoding {
                    path: path.to_path_buf(),
                }),
            }
        }
    };
    drop(bytes);
    if let Some(prefilter) = prefilter {
        if !prefilter.may_match(&text) {
            return Outcome {
                bytes: size,
                parsed: false,
                findings: Vec::new(),
                error: None,
            };
        }
    }
    let tree = parse(parser, &text);
    let display = path.display().to_string();
    let mut findings = analyze(&text, &tree).findings;
    for finding in &mut findings {
        finding.path.clone_from(&display);
    }
    Outcome {
        bytes: size,
        parsed: true,
        findings,
        error: None,
    }
}

/// Scans the scripts under `paths` (see the walk module for which files).
pub fn scan_paths(paths: &[PathBuf], options: &ScanOptions) -> Result<Report, Error> {
    let started = Instant::now();
    let (files, walk_errors) = walk::scripts(paths)?;
    // Fail early, on this thread, if the grammar cannot be loaded.
    parser()?;
    let threads = options
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, files.len().max(1));
    let next = AtomicUsize::new(0);
    let mut outcomes: Vec<(usize, Outcome)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut parser = parser().expect("the grammar loaded on the main thread");
                    let mut prefilter = options.prefilter.then(Prefilter::new);
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(index) else {
                            break;
                        };
                        done.push((index, scan_file(path, &mut parser, prefilter.as_mut())));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a scan worker panicked"))
            .collect()
    });
    outcomes.sort_by_key(|(index, _)| *index);

    let mut report = Report::default();
    for error in walk_errors {
        report.errors.push(file_error(&error));
    }
    for (_, outcome) in outcomes {
        let summary = &mut report.summary;
        summary.files += 1;
        summary.bytes += outcome.bytes;
        summary.parsed += usize::from(outcome.parsed);
        summary.files_with_findings += usize::from(!outcome.findings.is_empty());
        if let Some(error) = outcome.error {
            report.errors.push(file_error(&error));
        }
        for finding in &outcome.findings {
            match finding.kind {
                Kind::SendMailMessage => {
                    summary.calls += 1;
                    summary.convertible += usize::from(finding.convertible == Some(true));
                }
                Kind::SmtpClient => summary.smtp_clients += 1,
                Kind::MailMessage => summary.mail_messages += 1,
                Kind::OtherSender => summary.other_senders += 1,
                Kind::Tls12 => summary.tls12 += 1,
                Kind::NoTls12 => summary.no_tls12 += 1,
                Kind::SmtpAuth => summary.smtp_auth += 1,
                Kind::Secret => summary.secrets += 1,
                Kind::ParseError => summary.parse_errors += 1,
            }
        }
        report.findings.extend(outcome.findings);
    }
    report.summary.unreadable = report.errors.len();
    report.summary.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn file_error(error: &Error) -> FileError {
    let path = match error {
        Error::Io { path, .. } | Error::Encoding { path } | Error::NotFound { path } => {
            path.display().to_string()
        }
        _ => String::new(),
    };
    FileError {
        path,
        kind: match error {
            Error::Encoding { .. } => FileErrorKind::Encoding,
            _ => FileErrorKind::Io,
        },
        message: error.to_string(),
    }
}
