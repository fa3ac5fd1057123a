//! The one error type of the scanner and the migrator.

use std::path::PathBuf;

/// What can stop a scan or a migration, or a single file in one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path given on the command line does not exist.
    #[error("{}: no such file or directory", path.display())]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A file starts with a UTF-16 byte order mark but is not valid UTF-16.
    #[error("{}: not valid UTF-16 text (it starts with a UTF-16 byte order mark)", path.display())]
    Encoding {
        /// The file.
        path: PathBuf,
    },
    /// tree-sitter-powershell could not be loaded into the parser (a version mismatch).
    #[error("the PowerShell grammar could not be loaded: {0}")]
    Grammar(String),
    /// A rewrite would leave a script that no longer parses; the file was left alone.
    #[error("{}: the converted script would not parse (line {line}); the file was left unchanged", path.display())]
    RewriteBroken {
        /// The file.
        path: PathBuf,
        /// The first line with a syntax error in the converted text.
        line: usize,
    },
    /// A finding kind that does not exist (in `--fail-on`).
    #[error("unknown finding kind '{0}': expected one of {kinds}", kinds = crate::Kind::NAMES.join(", "))]
    UnknownKind(String),
}

impl Error {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
