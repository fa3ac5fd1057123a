//! `graphmail scan PATH...`: inventory the scripts that send mail the old way (Send-MailMessage,
//! System.Net.Mail.SmtpClient), with TLS 1.2, SMTP AUTH and written secrets; the logic is in the
//! `graphmail-scan` crate.
//!
//! Exit codes: 0 = scanned; 1 = findings of a `--fail-on` kind exist (for CI pipelines);
//! 64 = usage; 66 = a path does not exist; 74 = a file or folder could not be read, 65 = a file
//! is not valid text (the others are still scanned and reported).

use std::io::Write;
use std::path::PathBuf;

use graphmail_scan::output::{self, Format};
use graphmail_scan::{Error, FileErrorKind, Kind, ScanOptions};

use crate::exit;

/// Output formats of `graphmail scan`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum OutputFormat {
    /// Findings grouped by file, then a summary line.
    Table,
    /// One JSON document: summary, findings, errors.
    Json,
    /// One line per finding (the summary line goes to standard error).
    Csv,
}

/// `graphmail scan` flags.
#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Scripts or folders to scan (folders are walked for .ps1, .psm1 and .psd1 files).
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Exit with code 1 when findings of these kinds exist (comma-separated): send-mailmessage,
    /// smtpclient, mailmessage, other-sender, no-tls12, smtp-auth, secret, parse-error.
    #[arg(long, value_name = "KINDS", value_delimiter = ',', value_parser = parse_kind)]
    fail_on: Vec<Kind>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Parse every file, also those without any word a finding needs (slower; syntax errors of
    /// every file are then reported).
    #[arg(long)]
    all: bool,
    /// No summary line on standard error (with --format json or csv).
    #[arg(long, short = 'q')]
    quiet: bool,
}

fn parse_kind(value: &str) -> Result<Kind, String> {
    value.parse::<Kind>().map_err(|e| e.to_string())
}

/// Runs the command.
pub fn run(args: ScanArgs) -> u8 {
    let options = ScanOptions {
        threads: args.threads.map(usize::from),
        prefilter: !args.all && !args.fail_on.contains(&Kind::ParseError),
    };
    let report = match graphmail_scan::scan_paths(&args.paths, &options) {
        Ok(report) => report,
        Err(e) => return fail(&e),
    };
    let format = match args.format {
        OutputFormat::Table => Format::Table,
        OutputFormat::Json => Format::Json,
        OutputFormat::Csv => Format::Csv,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = output::write(&report, format, &mut out).and_then(|()| out.flush());
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return 0;
        }
        eprintln!("graphmail: error: writing the report: {e}");
        return exit::IOERR;
    }
    drop(out);
    if !matches!(format, Format::Table) {
        for error in &report.errors {
            eprintln!("graphmail: error: {}", error.message);
        }
        if !args.quiet {
            eprintln!("{}", report.summary.line());
        }
    }
    if let Some(error) = report.errors.first() {
        return match error.kind {
            FileErrorKind::Io => exit::IOERR,
            FileErrorKind::Encoding => exit::DATAERR,
        };
    }
    let failing: Vec<String> = args
        .fail_on
        .iter()
        .filter(|k| report.summary.count(**k) > 0)
        .map(|k| format!("{} {k}", report.summary.count(*k)))
        .collect();
    if failing.is_empty() {
        0
    } else {
        eprintln!("graphmail: scan: --fail-on: found {}", failing.join(", "));
        1
    }
}

/// Prints a scan or migration error and returns its exit code.
pub fn fail(error: &Error) -> u8 {
    eprintln!("graphmail: error: {error}");
    match error {
        Error::NotFound { .. } => exit::NOINPUT,
        Error::Io { .. } => exit::IOERR,
        Error::Encoding { .. } => exit::DATAERR,
        Error::UnknownKind(_) => exit::USAGE,
        Error::Grammar(_) | Error::RewriteBroken { .. } => exit::SOFTWARE,
    }
}
