//! Skipping files that cannot hold a finding, before parsing them.
//!
//! Every finding needs one of a few words in the file's text: a sender's command name starts
//! with `Send-` (aliases of Send-MailMessage are set with its name), SmtpClient and the SMTP AUTH
//! hosts contain `smtp`, MailMessage is `mailmessage`, TLS is `securityprotocol`, and every secret
//! rule (see the secrets module) involves `password`, `passwd`, `passphrase`, `secret`, `apikey`,
//! `api_key`, `accesskey`, `access_key`, `securestring` or `networkcredential`, or a name that
//! ends with `token`, `pwd` (after another letter: `$PWD` is not a secret) or the word `pass` (not
//! `-PassThru`). A file with none of them (compared without case) is not parsed: the parser could
//! not find anything in it. The prefilter only decides what to parse; every finding still comes
//! from the syntax tree. Syntax errors are only reported for the files that are parsed, so
//! `--fail-on parse-error` turns the prefilter off.

use memchr::memmem::Finder;

/// Where an anchor must sit to count.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Anywhere.
    Anywhere,
    /// At the end of a name (not followed by a letter, digit or `_`).
    NameEnd,
    /// At the end of a name and after another letter, digit, `_` or `-` (`adminPwd`, not `$PWD`).
    NameEndAfterLetter,
}

const ANCHORS: &[(&str, Place)] = &[
    ("send-", Place::Anywhere),
    ("smtp", Place::Anywhere),
    ("mailmessage", Place::Anywhere),
    ("securityprotocol", Place::Anywhere),
    ("password", Place::Anywhere),
    ("passwd", Place::Anywhere),
    ("passphrase", Place::Anywhere),
    ("secret", Place::Anywhere),
    ("apikey", Place::Anywhere),
    ("api_key", Place::Anywhere),
    ("accesskey", Place::Anywhere),
    ("access_key", Place::Anywhere),
    ("securestring", Place::Anywhere),
    ("networkcredential", Place::Anywhere),
    ("token", Place::NameEnd),
    ("pass", Place::NameEnd),
    ("pwd", Place::NameEndAfterLetter),
];

fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// The anchor words, ready to search, and a buffer for the lowercased text (one per thread).
pub struct Prefilter {
    finders: Vec<(Finder<'static>, Place)>,
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
            finders: ANCHORS
                .iter()
                .map(|(a, place)| (Finder::new(a.as_bytes()), *place))
                .collect(),
            lowered: Vec::new(),
        }
    }

    /// Whether `text` holds an anchor word in its place (ASCII case-insensitive). UTF-16 text is
    /// decoded first, so this sees the characters.
    pub fn may_match(&mut self, text: &str) -> bool {
        self.lowered.clear();
        self.lowered
            .extend(text.as_bytes().iter().map(u8::to_ascii_lowercase));
        let lowered = &self.lowered;
        self.finders.iter().any(|(finder, place)| {
            let length = finder.needle().len();
            finder.find_iter(lowered).any(|at| {
                let after = lowered.get(at + length).copied();
                let ends_name = !after.is_some_and(is_name_byte);
                match place {
                    Place::Anywhere => true,
                    Place::NameEnd => ends_name,
                    Place::NameEndAfterLetter => {
                        ends_name
                            && at > 0
                            && (is_name_byte(lowered[at - 1]) || lowered[at - 1] == b'-')
                    }
                }
            })
        })
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
        assert!(filter.may_match("$mailPass = 'x'"));
        assert!(filter.may_match("$adminPwd = 'x'"));
        assert!(filter.may_match("$admin_pwd = 'x'"));
        assert!(filter.may_match("$AccessToken = 'x'"));
        assert!(!filter.may_match("Get-ChildItem -Path C:\\Logs | Remove-Item -WhatIf\n"));
        assert!(!filter.may_match("Copy-Item a b -PassThru; Set-Location $PWD; $tokens = 1\n"));
    }
}
