//! The parameters of the commands the scanner reads, and how PowerShell resolves a parameter name
//! written in a script to one of them.
//!
//! Send-MailMessage's parameters, positions and aliases are those of PowerShell 7
//! (`Send-MailMessage.cs`, transcribed in shared/docs/peers.md section 2). Name resolution
//! follows PowerShell's `MergedCommandParameterMetadata.GetMatchingParameter`: every parameter
//! whose name or alias starts with the written name (case-insensitive) matches, counted once per
//! parameter; an exact name or alias wins outright; of several matches, the one declared by the
//! command wins over common parameters (`-Pr` is `-Priority`, not `-ProgressAction`); otherwise
//! the name is ambiguous and PowerShell refuses the call.

use serde::Serialize;

/// How a Send-MailMessage parameter carries over to Send-GraphMail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mapping {
    /// Same name, same meaning.
    Yes,
    /// Accepted so scripts keep working, and ignored: Graph has no SMTP server, port, STARTTLS
    /// or encoding choice (-Verbose says so).
    Ignored,
    /// Accepted, but only part of it has a Graph equivalent (-DeliveryNotificationOption: only
    /// OnSuccess, as a delivery receipt).
    Partial,
    /// Same name, different meaning: -Credential is the SMTP account for Send-MailMessage but the
    /// application (client id and secret) for Send-GraphMail.
    No,
    /// Not a parameter of Send-MailMessage: the original call fails too.
    Unknown,
    /// An abbreviation that matches more than one parameter: the original call fails too.
    Ambiguous,
}

impl Mapping {
    /// Words for people: "yes", "accepted, ignored", ...
    pub fn describe(self) -> &'static str {
        match self {
            Mapping::Yes => "yes",
            Mapping::Ignored => "accepted, ignored",
            Mapping::Partial => "partial",
            Mapping::No => "no",
            Mapping::Unknown => "unknown parameter",
            Mapping::Ambiguous => "ambiguous",
        }
    }

    /// The short form used in tables and CSV.
    pub fn short(self) -> &'static str {
        match self {
            Mapping::Yes => "yes",
            Mapping::Ignored => "ignored",
            Mapping::Partial => "partial",
            Mapping::No => "no",
            Mapping::Unknown => "unknown",
            Mapping::Ambiguous => "ambiguous",
        }
    }
}

/// One parameter of a command.
#[derive(Debug)]
pub struct ParameterSpec {
    /// The parameter's name, as the command declares it.
    pub name: &'static str,
    /// Its aliases.
    pub aliases: &'static [&'static str],
    /// Its position, for positional arguments.
    pub position: Option<usize>,
    /// A switch takes no argument unless one is attached with a colon (`-UseSsl:$false`).
    pub switch: bool,
    /// How it maps to Send-GraphMail (for Send-MailMessage's parameters).
    pub mapping: Mapping,
    /// Declared by the command (true) or a common parameter (false).
    pub declared: bool,
}

const fn p(
    name: &'static str,
    aliases: &'static [&'static str],
    mapping: Mapping,
) -> ParameterSpec {
    ParameterSpec {
        name,
        aliases,
        position: None,
        switch: false,
        mapping,
        declared: true,
    }
}

const fn at(position: usize, spec: ParameterSpec) -> ParameterSpec {
    ParameterSpec {
        position: Some(position),
        ..spec
    }
}

const fn switch(spec: ParameterSpec) -> ParameterSpec {
    ParameterSpec {
        switch: true,
        ..spec
    }
}

const fn common(spec: ParameterSpec) -> ParameterSpec {
    ParameterSpec {
        declared: false,
        ..spec
    }
}

/// A command: its declared parameters and the common ones it takes.
#[derive(Debug)]
pub struct Cmdlet {
    /// Declared parameters.
    pub declared: &'static [ParameterSpec],
    /// Common parameters (and -WhatIf/-Confirm for commands that support ShouldProcess).
    pub common: &'static [&'static [ParameterSpec]],
}

use Mapping::{Ignored, No, Partial, Yes};

/// The common parameters of every cmdlet and advanced function (PowerShell 7.4 added
/// -ProgressAction).
pub const COMMON_PARAMETERS: &[ParameterSpec] = &[
    common(switch(p("Verbose", &["vb"], Yes))),
    common(switch(p("Debug", &["db"], Yes))),
    common(p("ErrorAction", &["ea"], Yes)),
    common(p("WarningAction", &["wa"], Yes)),
    common(p("InformationAction", &["infa"], Yes)),
    common(p("ProgressAction", &["proga"], Yes)),
    common(p("ErrorVariable", &["ev"], Yes)),
    common(p("WarningVariable", &["wv"], Yes)),
    common(p("InformationVariable", &["iv"], Yes)),
    common(p("OutVariable", &["ov"], Yes)),
    common(p("OutBuffer", &["ob"], Yes)),
    common(p("PipelineVariable", &["pv"], Yes)),
];

/// -WhatIf and -Confirm, of commands that support ShouldProcess (Send-GraphMail does,
/// Send-MailMessage does not).
pub const SHOULD_PROCESS_PARAMETERS: &[ParameterSpec] = &[
    common(switch(p("WhatIf", &["wi"], Yes))),
    common(switch(p("Confirm", &["cf"], Yes))),
];

const SEND_MAILMESSAGE_PARAMETERS: &[ParameterSpec] = &[
    at(0, p("To", &[], Yes)),
    at(1, p("Subject", &["sub"], Yes)),
    at(2, p("Body", &[], Yes)),
    at(3, p("SmtpServer", &["ComputerName"], Ignored)),
    p("From", &[], Yes),
    p("Attachments", &["PsPath"], Yes),
    p("Bcc", &[], Yes),
    p("Cc", &[], Yes),
    p("ReplyTo", &[], Yes),
    switch(p("BodyAsHtml", &["BAH"], Yes)),
    p("Encoding", &["BE"], Ignored),
    p("Priority", &[], Yes),
    p("DeliveryNotificationOption", &["DNO"], Partial),
    p("Credential", &[], No),
    switch(p("UseSsl", &[], Ignored)),
    p("Port", &[], Ignored),
];

/// Send-MailMessage (PowerShell 7; Windows PowerShell 5.1 lacks -ReplyTo).
pub const SEND_MAILMESSAGE: Cmdlet = Cmdlet {
    declared: SEND_MAILMESSAGE_PARAMETERS,
    common: &[COMMON_PARAMETERS],
};

const GRAPH_EXTRAS: &[ParameterSpec] = &[
    p("TenantId", &[], Yes),
    p("Headers", &[], Yes),
    p("InlineAttachments", &[], Yes),
    p("SaveToSentItems", &[], Yes),
    switch(p("PassThru", &[], Yes)),
];

/// Send-GraphMail's parameters besides Send-MailMessage's (powershell/GraphMail/Public/
/// Send-GraphMail.ps1): -TenantId, -Headers, -InlineAttachments, -SaveToSentItems, -PassThru.
pub const SEND_GRAPHMAIL_EXTRAS: Cmdlet = Cmdlet {
    declared: GRAPH_EXTRAS,
    common: &[],
};

/// ConvertTo-SecureString (the parameters that matter for a plain-text secret).
pub const CONVERTTO_SECURESTRING: Cmdlet = Cmdlet {
    declared: &[
        at(0, p("String", &[], Yes)),
        switch(p("AsPlainText", &[], Yes)),
        switch(p("Force", &[], Yes)),
        p("SecureKey", &[], Yes),
        p("Key", &[], Yes),
    ],
    common: &[COMMON_PARAMETERS],
};

/// New-Object.
pub const NEW_OBJECT: Cmdlet = Cmdlet {
    declared: &[
        at(0, p("TypeName", &[], Yes)),
        at(1, p("ArgumentList", &["Args"], Yes)),
        p("ComObject", &[], Yes),
        p("Property", &[], Yes),
        switch(p("Strict", &[], Yes)),
    ],
    common: &[COMMON_PARAMETERS],
};

/// Set-Alias and New-Alias.
pub const SET_ALIAS: Cmdlet = Cmdlet {
    declared: &[
        at(0, p("Name", &[], Yes)),
        at(1, p("Value", &[], Yes)),
        p("Description", &[], Yes),
        p("Option", &[], Yes),
        switch(p("PassThru", &[], Yes)),
        p("Scope", &[], Yes),
        switch(p("Force", &[], Yes)),
        switch(p("WhatIf", &["wi"], Yes)),
        switch(p("Confirm", &["cf"], Yes)),
    ],
    common: &[COMMON_PARAMETERS],
};

/// What a written parameter name resolves to.
#[derive(Debug, Clone, Copy)]
pub enum Resolution {
    /// The parameter's own name.
    Name(&'static ParameterSpec),
    /// One of its aliases.
    Alias(&'static ParameterSpec),
    /// A unique prefix of its name or of an alias.
    Prefix(&'static ParameterSpec),
    /// A prefix of several parameters' names or aliases.
    Ambiguous,
    /// Matches nothing.
    Unknown,
}

impl Resolution {
    /// The parameter, when the name resolves to one.
    pub fn spec(self) -> Option<&'static ParameterSpec> {
        match self {
            Resolution::Name(s) | Resolution::Alias(s) | Resolution::Prefix(s) => Some(s),
            Resolution::Ambiguous | Resolution::Unknown => None,
        }
    }
}

impl Cmdlet {
    fn all(&self) -> impl Iterator<Item = &'static ParameterSpec> + '_ {
        self.declared
            .iter()
            .chain(self.common.iter().flat_map(|set| set.iter()))
    }

    /// Resolves a written parameter name (without the dash), as PowerShell does.
    pub fn resolve(&self, written: &str) -> Resolution {
        self.resolve_with(written, &[])
    }

    /// Resolves a written name against this command's parameters plus `extra` declared ones
    /// (Send-GraphMail is Send-MailMessage plus its extras, with -WhatIf and -Confirm).
    pub fn resolve_with(&self, written: &str, extra: &[&'static Cmdlet]) -> Resolution {
        if written.is_empty() {
            return Resolution::Unknown;
        }
        let specs: Vec<&'static ParameterSpec> = self
            .all()
            .chain(extra.iter().flat_map(|c| c.all()))
            .collect();
        for spec in &specs {
            if spec.name.eq_ignore_ascii_case(written) {
                return Resolution::Name(spec);
            }
        }
        for spec in &specs {
            if spec.aliases.iter().any(|a| a.eq_ignore_ascii_case(written)) {
                return Resolution::Alias(spec);
            }
        }
        let mut matches: Vec<&'static ParameterSpec> = Vec::new();
        for spec in &specs {
            let matched = starts_with_ci(spec.name, written)
                || spec.aliases.iter().any(|a| starts_with_ci(a, written));
            if matched && !matches.iter().any(|m| std::ptr::eq(*m, *spec)) {
                matches.push(spec);
            }
        }
        match matches.as_slice() {
            [] => Resolution::Unknown,
            [only] => Resolution::Prefix(only),
            several => {
                let declared: Vec<_> = several.iter().filter(|s| s.declared).collect();
                match declared.as_slice() {
                    [only] => Resolution::Prefix(only),
                    _ => Resolution::Ambiguous,
                }
            }
        }
    }

    /// The names of every parameter (and alias owner) a prefix matches, for messages.
    pub fn candidates(&self, written: &str) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for spec in self.all() {
            let matched = starts_with_ci(spec.name, written)
                || spec.aliases.iter().any(|a| starts_with_ci(a, written));
            if matched && !out.contains(&spec.name) {
                out.push(spec.name);
            }
        }
        out
    }

    /// The declared parameters that take positional arguments, in position order.
    pub fn positional(&self) -> Vec<&'static ParameterSpec> {
        let mut out: Vec<_> = self
            .declared
            .iter()
            .filter(|s| s.position.is_some())
            .collect();
        out.sort_by_key(|s| s.position);
        out
    }
}

/// Send-GraphMail's resolution of a name written for Send-MailMessage: the same parameters, plus
/// Send-GraphMail's extras, -WhatIf and -Confirm.
pub fn resolve_for_send_graphmail(written: &str) -> Resolution {
    SEND_MAILMESSAGE.resolve_with(written, &[&SEND_GRAPHMAIL_EXTRAS, &SHOULD_PROCESS_CMDLET])
}

const SHOULD_PROCESS_CMDLET: Cmdlet = Cmdlet {
    declared: &[],
    common: &[SHOULD_PROCESS_PARAMETERS],
};

fn starts_with_ci(name: &str, prefix: &str) -> bool {
    name.len() >= prefix.len()
        && name.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(written: &str) -> String {
        match SEND_MAILMESSAGE.resolve(written) {
            Resolution::Name(s) => format!("name {}", s.name),
            Resolution::Alias(s) => format!("alias {}", s.name),
            Resolution::Prefix(s) => format!("prefix {}", s.name),
            Resolution::Ambiguous => "ambiguous".into(),
            Resolution::Unknown => "unknown".into(),
        }
    }

    #[test]
    fn names_aliases_and_prefixes() {
        assert_eq!(resolved("to"), "name To");
        assert_eq!(resolved("Body"), "name Body");
        assert_eq!(resolved("BAH"), "alias BodyAsHtml");
        assert_eq!(resolved("dno"), "alias DeliveryNotificationOption");
        assert_eq!(resolved("ComputerName"), "alias SmtpServer");
        assert_eq!(resolved("Attach"), "prefix Attachments");
        assert_eq!(resolved("Cred"), "prefix Credential");
        assert_eq!(resolved("Comp"), "prefix SmtpServer");
        assert_eq!(resolved("su"), "prefix Subject");
        assert_eq!(resolved("BodyAs"), "prefix BodyAsHtml");
    }

    #[test]
    fn declared_parameters_win_over_common_ones() {
        // Priority against ProgressAction, DeliveryNotificationOption against Debug, Encoding
        // against ErrorAction and ErrorVariable.
        assert_eq!(resolved("Pr"), "prefix Priority");
        assert_eq!(resolved("D"), "prefix DeliveryNotificationOption");
        assert_eq!(resolved("E"), "prefix Encoding");
        assert_eq!(resolved("ea"), "alias ErrorAction");
        assert_eq!(resolved("Verb"), "prefix Verbose");
    }

    #[test]
    fn ambiguous_and_unknown_names() {
        assert_eq!(resolved("B"), "ambiguous");
        assert_eq!(resolved("C"), "ambiguous");
        assert_eq!(resolved("P"), "ambiguous");
        assert_eq!(resolved("S"), "ambiguous");
        assert_eq!(resolved("Importance"), "unknown");
        assert_eq!(resolved("WhatIf"), "unknown");
        let mut candidates = SEND_MAILMESSAGE.candidates("B");
        candidates.sort();
        assert_eq!(candidates, ["Bcc", "Body", "BodyAsHtml", "Encoding"]);
    }

    #[test]
    fn send_graphmail_makes_some_abbreviations_ambiguous() {
        // -T is -To for Send-MailMessage but also -TenantId for Send-GraphMail.
        assert_eq!(resolved("T"), "prefix To");
        assert!(matches!(
            resolve_for_send_graphmail("T"),
            Resolution::Ambiguous
        ));
        // -Pa means nothing to Send-MailMessage, -PassThru to Send-GraphMail.
        assert_eq!(resolved("Pa"), "unknown");
        assert!(matches!(
            resolve_for_send_graphmail("Attach"),
            Resolution::Prefix(s) if s.name == "Attachments"
        ));
        assert!(matches!(
            resolve_for_send_graphmail("W"),
            Resolution::Ambiguous
        ));
    }
}
