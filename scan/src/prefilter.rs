//! Skipping files that cannot hold a finding, before parsing them.
//!
//! Every finding needs one of a few words in the file's text: a sender's command name starts
//! with `Send-` (aliases of Send-MailMessage are set with its name), SmtpClient and the SMTP AUTH
//! hosts contain `smtp`, MailMessage is `mailmessage`, TLS is `securityprotocol`, and every secret
//! rule involves `pass`, `pwd`, `secret`, `token`, `apikey`, `api_key`, `accesskey`, `access_key`,
//! `securestring` or `networkcredential`. A file with none of them (compared without case) is
//! not parsed: the parser could not find anything in it. The prefilter only decides what to
//! parse; every finding still comes from the syntax tree. Syntax errors are only reported for
//! the files that are parsed, so `--fail-on parse-error` turns the prefilter off.

use memchr::memmem::Finder;

const ANCHORS: &[&str] = &[
    "send-",
    "smtp",
    "mailmessage",
    "securityprotocol",
    "pass",
    "pwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "accesskey",
    "access_key",
    "securestring",
    "networkcredential",
];

/// The anchor words, ready to search (one per thread: finders are cheap to share too).
pub struct Prefilter {
    finders: Vec<Finder<'static>>,
    lowered: Vec<u8>,
}

impl Default for Prefilter {
    fn default() -> Self {
        Self::new()
    }
}

impl Prefilter {
    /// Builds the finders.
    pub fn new() -> Self {
        Prefilter {
            finders: ANCHORS.iter().map(|a| Finder::new(a.as_bytes())).collect(),
            lowered: Vec::new(),
        }
    }

    /// Whether `text` holds an anchor word (ASCII case-insensitive). UTF-16 text is decoded
    /// first, so this sees the characters.
    pub fn may_match(&mut self, text: &str) -> bool {
        self.lowered.clear();
        self.lowered
            .extend(text.as_bytes().iter().map(u8::to_ascii_lowercase));
        self.finders.iter().any(|f| f.find(&self.lowered).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_found_in_any_case() {
        let mut filter = Prefilter::new();
        assert!(filter.may_match("SEND-MAILMESSAGE -To x"));
        assert!(filter.may_match("$c = New-Object Net.Mail.SmtpClient"));
        assert!(filter.may_match("$AppSecret = 'x'"));
        assert!(filter.may_match("[Net.ServicePointManager]::SecurityProtocol = 'Tls12'"));
        assert!(!filter.may_match("Get-ChildItem -Path C:\\Logs | Remove-Item -WhatIf\n"));
    }
}
