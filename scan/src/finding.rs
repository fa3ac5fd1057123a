//! What a scan reports: findings, one per place in a script.

use std::str::FromStr;

use serde::Serialize;

use crate::cmdlets::Mapping;
use crate::Error;

/// The kind of a finding. The names (`send-mailmessage`, ...) are what `--fail-on` takes and what
/// JSON and CSV output carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Kind {
    /// A `Send-MailMessage` call.
    #[serde(rename = "send-mailmessage")]
    SendMailMessage,
    /// `System.Net.Mail.SmtpClient` created (`New-Object`, `::new()`).
    #[serde(rename = "smtpclient")]
    SmtpClient,
    /// `System.Net.Mail.MailMessage` created.
    #[serde(rename = "mailmessage")]
    MailMessage,
    /// Another way of sending mail, for context: `Send-MgUserMail`, `Send-EmailMessage`,
    /// `Send-GraphMail`, ...
    #[serde(rename = "other-sender")]
    OtherSender,
    /// The script forces TLS 1.2 (`[Net.ServicePointManager]::SecurityProtocol`).
    #[serde(rename = "tls12")]
    Tls12,
    /// The script sends mail over SMTP without forcing TLS 1.2.
    #[serde(rename = "no-tls12")]
    NoTls12,
    /// The script names `smtp.office365.com` (SMTP AUTH, which Microsoft is retiring).
    #[serde(rename = "smtp-auth")]
    SmtpAuth,
    /// A secret written in the script (never printed).
    #[serde(rename = "secret")]
    Secret,
    /// The file has syntax errors (what could be read is still reported).
    #[serde(rename = "parse-error")]
    ParseError,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 9] = [
        Kind::SendMailMessage,
        Kind::SmtpClient,
        Kind::MailMessage,
        Kind::OtherSender,
        Kind::Tls12,
        Kind::NoTls12,
        Kind::SmtpAuth,
        Kind::Secret,
        Kind::ParseError,
    ];

    /// Every kind's name.
    pub const NAMES: [&'static str; 9] = [
        "send-mailmessage",
        "smtpclient",
        "mailmessage",
        "other-sender",
        "tls12",
        "no-tls12",
        "smtp-auth",
        "secret",
        "parse-error",
    ];

    /// The kind's name.
    pub fn name(self) -> &'static str {
        let index = Kind::ALL
            .iter()
            .position(|k| *k == self)
            .expect("every kind is in ALL");
        Kind::NAMES[index]
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Kind::NAMES
            .iter()
            .position(|n| *n == wanted)
            .map(|i| Kind::ALL[i])
            .ok_or_else(|| Error::UnknownKind(s.to_string()))
    }
}

/// How a parameter was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// By its full name (`-Attachments`).
    Name,
    /// By an alias (`-BAH`).
    Alias,
    /// By an abbreviation (`-Attach`).
    Prefix,
    /// By position (`Send-MailMessage ops@contoso.com 'Subject'`).
    Position,
    /// As a key of a splatted hashtable.
    Splat,
}

/// One parameter a `Send-MailMessage` call passes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParameterUse {
    /// As written: `-Attach`, `@mail:From` for a splatted key, `#1` for the second positional
    /// argument.
    pub written: String,
    /// The parameter it binds to, when it resolves to one.
    pub name: Option<String>,
    /// How it was given.
    pub via: Via,
    /// Whether Send-GraphMail does the same with it.
    pub maps: Mapping,
}

/// One finding: a place in a script and what is there.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The script, as found under the scanned path.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What was found.
    pub kind: Kind,
    /// The command or type involved (`Send-MailMessage`, `System.Net.Mail.SmtpClient`), if any.
    pub command: Option<String>,
    /// For `send-mailmessage`: whether `graphmail migrate` converts the call.
    pub convertible: Option<bool>,
    /// For `send-mailmessage`: the parameters the call passes.
    pub parameters: Vec<ParameterUse>,
    /// For `send-mailmessage`: the call receives pipeline input.
    pub pipeline_input: bool,
    /// Why a call is not convertible (empty when it is).
    pub reasons: Vec<String>,
    /// What was found, in words (never a secret's value).
    pub message: String,
}

impl Finding {
    /// A finding with no call details.
    pub(crate) fn new(kind: Kind, (line, column): (usize, usize), message: String) -> Self {
        Finding {
            path: String::new(),
            line,
            column,
            kind,
            command: None,
            convertible: None,
            parameters: Vec::new(),
            pipeline_input: false,
            reasons: Vec::new(),
            message,
        }
    }

    /// The same finding naming a command or type.
    pub(crate) fn with_command(mut self, command: impl Into<String>) -> Self {
        self.command = Some(command.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_from_their_names() {
        for kind in Kind::ALL {
            assert_eq!(kind.name().parse::<Kind>().unwrap(), kind);
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.name().to_string())
            );
        }
        assert_eq!(" No-TLS12 ".parse::<Kind>().unwrap(), Kind::NoTls12);
        assert!(matches!("smtp".parse::<Kind>(), Err(Error::UnknownKind(_))));
    }
}
