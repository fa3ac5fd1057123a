//! `graphmail migrate PATH... [--write]`: convert the Send-MailMessage calls that map fully into
//! Send-GraphMail and comment the rest; prints a unified diff, and changes files only with
//! `--write` (keeping a `.bak` backup). The logic is in the `graphmail-scan` crate.
//!
//! Exit codes: 0 = done (whether or not something changed); 64 = usage; 66 = a path does not
//! exist; 74 = a file could not be read or written; 65 = a file is not valid text; 70 = a
//! conversion would not parse (that file is left unchanged). Files with errors are left
//! unchanged; the others are still converted.

use std::io::Write;
use std::path::PathBuf;

use graphmail_scan::migrate::{migrate_paths, MigrateOptions};

use crate::exit;
use crate::scan::fail;

/// `graphmail migrate` flags.
#[derive(clap::Args, Debug)]
pub struct MigrateArgs {
    /// Scripts or folders to convert (folders are walked for .ps1, .psm1 and .psd1 files).
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Change the files (each original is kept as <file>.bak); without it only the diff is
    /// printed.
    #[arg(long)]
    write: bool,
    /// Also convert calls that pass -Credential (the SMTP account), removing it: Send-GraphMail
    /// signs in as the application (Connect-GraphMail or the AZURE_* variables).
    #[arg(long)]
    drop_credential: bool,
    /// No summary line on standard error.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// Runs the command.
pub fn run(args: MigrateArgs) -> u8 {
    let options = MigrateOptions {
        write: args.write,
        drop_credential: args.drop_credential,
    };
    let migration = match migrate_paths(&args.paths, options) {
        Ok(migration) => migration,
        Err(e) => return fail(&e),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut written = Ok(());
    for change in &migration.changes {
        written = written.and_then(|()| out.write_all(&change.diff));
    }
    if let Err(e) = written.and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("graphmail: error: writing the diff: {e}");
            return exit::IOERR;
        }
    }
    drop(out);
    let mut code = 0;
    for error in &migration.errors {
        let error_code = fail(error);
        if code == 0 {
            code = error_code;
        }
    }
    if !args.quiet {
        eprintln!("{}", migration.line(args.write));
    }
    code
}
