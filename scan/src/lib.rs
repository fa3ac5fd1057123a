//! `graphmail-scan`: inventory and convert PowerShell scripts that send mail the old way.
//!
//! The scanner ([`scan_paths`]) walks folders for `.ps1`, `.psm1` and `.psd1` files, parses each
//! with tree-sitter-powershell (in parallel, one parser per thread) and reports, per file and
//! line ([`Finding`]):
//!
//! * every `Send-MailMessage` call, however written — splatted hashtables built in the same
//!   script, backtick continuations, positional parameters, abbreviations (`-Attach`, `-Cred`),
//!   aliases (`-BAH`, `-DNO`), inside functions, loops and script blocks — with the parameters it
//!   passes and whether each maps to Send-GraphMail ([`Mapping`]);
//! * `System.Net.Mail.SmtpClient` and `MailMessage` objects, and other senders
//!   (`Send-MgUserMail`, ...) for context;
//! * whether the script forces TLS 1.2, and whether it connects to `smtp.office365.com`
//!   (SMTP AUTH, which Microsoft is retiring);
//! * secrets written in the script, never printing them.
//!
//! Everything comes from the syntax tree: the name in a comment, a string, a here-string or a
//! variable is not a call. The migrator ([`migrate::migrate_paths`]) rewrites the calls that map
//! fully into `Send-GraphMail`, leaves a comment at the others, and prints a unified diff.
//!
//! ```
//! let findings = graphmail_scan::scan_text(
//!     "backup.ps1",
//!     "# Send-MailMessage in a comment is not a call\n\
//!      Send-MailMessage -To ops@contoso.com -From backup@contoso.com -Subject Done -SmtpServer smtp.office365.com\n",
//! )
//! .unwrap();
//! let kinds: Vec<&str> = findings.iter().map(|f| f.kind.name()).collect();
//! assert_eq!(kinds, ["send-mailmessage", "no-tls12", "smtp-auth"]);
//! assert_eq!(findings[0].line, 2);
//! assert_eq!(findings[0].convertible, Some(true));
//! ```

mod analyze;
mod call;
mod cmdlets;
mod edit;
mod encoding;
mod error;
mod finding;
mod invocation;
mod lines;
pub mod migrate;
mod numbers;
pub mod output;
mod prefilter;
mod scan;
mod secrets;
mod senders;
mod splat;
mod syntax;
mod tls;
mod walk;

pub use cmdlets::Mapping;
pub use encoding::TextEncoding;
pub use error::Error;
pub use finding::{Finding, Kind, ParameterUse, Via};
pub use scan::{scan_paths, scan_text, FileError, FileErrorKind, Report, ScanOptions, Summary};
pub use walk::EXTENSIONS;
