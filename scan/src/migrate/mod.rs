//! Converting scripts from Send-MailMessage to Send-GraphMail.
//!
//! Each call that converts (see the call module) gets minimal edits: the command name becomes
//! `Send-GraphMail`, positional arguments are named (`-To a@contoso.com`), and an abbreviation
//! that Send-GraphMail would read differently is spelled out (`-T` is also `-TenantId` there).
//! Splatted hashtables keep their keys, which Send-GraphMail takes by the same names. A call that
//! does not convert, and every SmtpClient, gets a `# GraphMail: ...` comment on the line above
//! saying why. Every other byte stays as it was (the file's encoding and line endings too), a
//! second run changes nothing, and a result that would not parse is never written.

mod diff;
mod rewrite;
mod write;

use std::path::{Path, PathBuf};

pub use diff::unified;
pub use rewrite::{rewrite, Rewrite, RewriteOptions};
pub use write::write_with_backup;

use crate::encoding::{decode, encode, TextEncoding};
use crate::{walk, Error};

/// How to migrate.
#[derive(Debug, Clone, Copy, Default)]
pub struct MigrateOptions {
    /// Change the files (with a backup); without it, only the diff is produced.
    pub write: bool,
    /// Remove -Credential parameters (see [`RewriteOptions::drop_credential`]).
    pub drop_credential: bool,
}

/// One script that changes.
#[derive(Debug, Clone)]
pub struct FileChange {
    /// The script.
    pub path: PathBuf,
    /// The unified diff of the change, as bytes to print: UTF-8, except for a script in a legacy
    /// 8-bit code page, whose lines keep their bytes (so `patch` and `git apply` take the diff).
    pub diff: Vec<u8>,
    /// The backup, when the file was written.
    pub backup: Option<PathBuf>,
}

/// What a migration did.
#[derive(Debug, Default)]
pub struct Migration {
    /// Scripts read.
    pub files: usize,
    /// Scripts that change (or changed, with `write`).
    pub changes: Vec<FileChange>,
    /// Calls converted.
    pub converted: usize,
    /// Calls left with a comment.
    pub not_converted: usize,
    /// SmtpClient objects left with a comment.
    pub smtp_clients: usize,
    /// Files that could not be read, converted or written (left unchanged).
    pub errors: Vec<Error>,
}

impl Migration {
    /// The summary line.
    pub fn line(&self, write: bool) -> String {
        let changed = if write {
            format!(
                "{} files changed (originals kept as .bak)",
                self.changes.len()
            )
        } else {
            format!(
                "{} files would change (run with --write to change them)",
                self.changes.len()
            )
        };
        format!(
            "{} files, {} calls converted, {} not converted and {} SmtpClient left as they are (see the # GraphMail comments); {changed}{}",
            self.files,
            self.converted,
            self.not_converted,
            self.smtp_clients,
            if self.errors.is_empty() {
                String::new()
            } else {
                format!("; {} files left unchanged because of errors", self.errors.len())
            }
        )
    }
}

/// Migrates the scripts under `paths`.
pub fn migrate_paths(paths: &[PathBuf], options: MigrateOptions) -> Result<Migration, Error> {
    let (files, walk_errors) = walk::scripts(paths)?;
    let mut migration = Migration {
        errors: walk_errors,
        ..Migration::default()
    };
    for path in files {
        migration.files += 1;
        match migrate_file(&path, options) {
            Ok((rewrite, change)) => {
                migration.converted += rewrite.converted;
                migration.not_converted += rewrite.not_converted;
                migration.smtp_clients += rewrite.smtp_clients;
                migration.changes.extend(change);
            }
            Err(e) => migration.errors.push(e),
        }
    }
    Ok(migration)
}

fn migrate_file(
    path: &Path,
    options: MigrateOptions,
) -> Result<(Rewrite, Option<FileChange>), Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let (text, encoding) = decode(&bytes).map_err(|_| Error::Encoding {
        path: path.to_path_buf(),
    })?;
    let rewrite = rewrite(
        path,
        &text,
        RewriteOptions {
            drop_credential: options.drop_credential,
        },
    )?;
    if rewrite.text == text {
        return Ok((rewrite, None));
    }
    let shown = path.display().to_string().replace('\\', "/");
    let shown = shown
        .strip_prefix("./")
        .unwrap_or(&shown)
        .trim_start_matches('/');
    let diff = unified(
        &format!("a/{shown}"),
        &format!("b/{shown}"),
        &text,
        &rewrite.text,
    );
    let diff = match encoding {
        // The `---`/`+++` lines name the file (UTF-8); the lines are the file's own bytes.
        TextEncoding::Latin1 => {
            let body = diff.match_indices('\n').nth(1).map_or(0, |(i, _)| i + 1);
            let mut bytes = diff.as_bytes()[..body].to_vec();
            bytes.extend(encode(&diff[body..], TextEncoding::Latin1));
            bytes
        }
        _ => diff.into_bytes(),
    };
    let backup = if options.write {
        Some(write_with_backup(path, &encode(&rewrite.text, encoding))?)
    } else {
        None
    };
    Ok((
        rewrite,
        Some(FileChange {
            path: path.to_path_buf(),
            diff,
            backup,
        }),
    ))
}
