//! One Send-MailMessage call: the parameters it passes (by name, alias, abbreviation, position or
//! splatted hashtable), how each maps to Send-GraphMail, whether the call converts, and the edits
//! that convert it.
//!
//! A call converts when every parameter maps (`yes`, `accepted, ignored` or `partial`). It does
//! not when it passes -Credential (Send-MailMessage's is the SMTP account, Send-GraphMail's is the
//! application: see [`Credential`]), a parameter Send-MailMessage does not have, an ambiguous
//! abbreviation, more positional arguments than positions, a parameter twice, or a splatted
//! variable whose keys the script does not show; nor when the script defines its own
//! Send-MailMessage function or calls it through an alias.

use tree_sitter::Node;

use crate::analyze::Context;
use crate::cmdlets::{resolve_for_send_graphmail, Mapping, Resolution, SEND_MAILMESSAGE};
use crate::edit::Edit;
use crate::finding::{Finding, Kind, ParameterUse, Via};
use crate::invocation::{bind, Bound, Element, Invocation};
use crate::splat::{self, Splat};
use crate::syntax::text;

/// How a call passes -Credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// It does not.
    None,
    /// As a parameter: `graphmail migrate --drop-credential` removes `start..end` (the
    /// separator before it, the name and the argument).
    Direct {
        /// First byte to remove.
        start: usize,
        /// One past the last byte to remove.
        end: usize,
        /// The parameter and argument as written, for the comment left behind.
        written: String,
    },
    /// In a splatted hashtable: left for a person to change.
    Splat,
}

/// What `graphmail migrate` needs to know about a call.
#[derive(Debug, Clone)]
pub struct CallSite {
    /// Where the statement holding the call starts (comments go on the line above).
    pub statement_start: usize,
    /// Why the call cannot be converted, -Credential aside.
    pub reasons: Vec<String>,
    /// -Credential, if passed.
    pub credential: Credential,
    /// The edits that convert the call: the command name, positional arguments named,
    /// abbreviations Send-GraphMail would read differently spelled out.
    pub edits: Vec<Edit>,
}

/// The reason given for -Credential.
pub const CREDENTIAL_REASON: &str = "passes -Credential: Send-MailMessage's is the SMTP account, Send-GraphMail's is the application (client id and secret); remove it and sign in with Connect-GraphMail or the AZURE_* variables (graphmail migrate --drop-credential does this for a -Credential parameter)";

/// Reads a Send-MailMessage call. `alias` is the alias it was called through, if any.
pub fn analyze<'t>(
    invocation: &Invocation<'t>,
    alias: Option<(&str, usize)>,
    context: &Context<'t>,
) -> (Finding, CallSite) {
    let source = context.source;
    let mut uses: Vec<ParameterUse> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    let mut edits: Vec<Edit> = Vec::new();
    let mut credential = Credential::None;

    // Keys of splatted hashtables bind by name: resolve them first.
    let mut splats: Vec<(String, Splat<'t>)> = Vec::new();
    let mut splat_names: Vec<&'static str> = Vec::new();
    for element in &invocation.elements {
        if let Element::Splat { variable, .. } = element {
            let resolved = splat::resolve(
                variable,
                invocation.node.start_byte(),
                &context.assignments,
                &context.additions,
                source,
                &context.lines,
            );
            if let Splat::Keys(keys) = &resolved {
                splat_names.extend(
                    keys.iter()
                        .filter_map(|k| SEND_MAILMESSAGE.resolve(&k.name).spec().map(|s| s.name)),
                );
            }
            splats.push((variable.clone(), resolved));
        }
    }

    let bound = bind(invocation, &SEND_MAILMESSAGE, source, &splat_names);
    let mut positional_index = 0;
    let mut names: Vec<&'static str> = Vec::new();
    for item in &bound {
        match item {
            Bound::Named {
                token,
                resolution,
                argument,
            } => {
                let written = token.name(source).to_string();
                let (parameter_use, reason) =
                    parameter_use(format!("-{written}"), *resolution, Via::Name, &written);
                reasons.extend(reason);
                if let Some(spec) = resolution.spec() {
                    names.push(spec.name);
                    if argument.is_none() && !spec.switch {
                        reasons.push(format!("-{written} has no argument"));
                    }
                    if spec.name == "Credential" {
                        let end = argument.as_ref().map_or(token.node.end_byte(), |a| a.end());
                        credential = Credential::Direct {
                            start: token.separator_start,
                            end,
                            written: source[token.node.start_byte()..end].to_string(),
                        };
                    } else if spelled_out(&written, spec.name) {
                        let colon = if text(token.node, source).ends_with(':') {
                            ":"
                        } else {
                            ""
                        };
                        edits.push(Edit::replace(
                            token.node.start_byte(),
                            token.node.end_byte(),
                            format!("-{}{colon}", spec.name),
                        ));
                    }
                }
                uses.push(parameter_use);
            }
            Bound::Positional { argument, spec } => {
                match spec {
                    Some(spec) => {
                        names.push(spec.name);
                        uses.push(ParameterUse {
                            written: format!("#{}", spec.position.unwrap_or(positional_index)),
                            name: Some(spec.name.to_string()),
                            via: Via::Position,
                            maps: spec.mapping,
                        });
                        edits.push(Edit::insert(argument.start(), format!("-{} ", spec.name)));
                    }
                    None => {
                        uses.push(ParameterUse {
                            written: format!("#{positional_index}"),
                            name: None,
                            via: Via::Position,
                            maps: Mapping::Unknown,
                        });
                        reasons.push(format!(
                            "has more positional arguments than Send-MailMessage takes (argument #{positional_index} binds to no parameter)"
                        ));
                    }
                }
                positional_index += 1;
            }
            Bound::Splat { variable } => {
                let Some((_, resolved)) = splats.iter().find(|(v, _)| v == variable) else {
                    continue;
                };
                match resolved {
                    Splat::Keys(keys) => {
                        for key in keys {
                            let resolution = SEND_MAILMESSAGE.resolve(&key.name);
                            let (parameter_use, reason) = parameter_use(
                                format!("@{variable}:{}", key.name),
                                resolution,
                                Via::Splat,
                                &key.name,
                            );
                            reasons.extend(reason);
                            if let Some(spec) = resolution.spec() {
                                names.push(spec.name);
                                if spec.name == "Credential" {
                                    credential = Credential::Splat;
                                } else if spelled_out(&key.name, spec.name) {
                                    edits.push(rename_key(key.node, spec.name, source));
                                }
                            }
                            uses.push(parameter_use);
                        }
                    }
                    Splat::Unresolved(why) => {
                        uses.push(ParameterUse {
                            written: format!("@{variable}"),
                            name: None,
                            via: Via::Splat,
                            maps: Mapping::Unknown,
                        });
                        reasons.push(why.clone());
                    }
                }
            }
        }
    }

    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    for name in sorted {
        if names.iter().filter(|n| **n == name).count() > 1 {
            reasons.push(format!("gives -{name} more than once"));
        }
    }
    if let Some(line) = context.redefinitions.first() {
        reasons.push(format!(
            "this script defines its own Send-MailMessage function (line {line}), which calls may run instead of the cmdlet"
        ));
    }
    if let Some((alias, line)) = alias {
        reasons.push(format!(
            "calls Send-MailMessage through the alias '{alias}' (set on line {line}): point the alias at Send-GraphMail instead"
        ));
    }

    let position = context.lines.position(source, invocation.node.start_byte());
    let convertible = reasons.is_empty() && credential == Credential::None;
    let mut all_reasons = reasons.clone();
    match credential {
        Credential::None => {}
        Credential::Direct { .. } => all_reasons.push(CREDENTIAL_REASON.to_string()),
        Credential::Splat => all_reasons.push(
            "passes Credential in a splatted hashtable: Send-MailMessage's is the SMTP account, Send-GraphMail's is the application; remove the key and sign in with Connect-GraphMail or the AZURE_* variables".to_string(),
        ),
    }
    edits.insert(0, rename(invocation, source));

    let written_name = text(invocation.name_node, source).to_string();
    let message = if convertible {
        "Send-MailMessage call: converts to Send-GraphMail".to_string()
    } else {
        format!(
            "Send-MailMessage call: not converted: {}",
            all_reasons.join("; ")
        )
    };
    let finding = Finding {
        command: Some(written_name),
        convertible: Some(convertible),
        parameters: uses,
        pipeline_input: invocation.piped,
        reasons: all_reasons,
        ..Finding::new(Kind::SendMailMessage, position, message)
    };
    let site = CallSite {
        statement_start: statement_start(invocation.node),
        reasons,
        credential,
        edits,
    };
    (finding, site)
}

/// A parameter use and, when it does not map, why.
fn parameter_use(
    written: String,
    resolution: Resolution,
    via: Via,
    name: &str,
) -> (ParameterUse, Option<String>) {
    let (spec_name, via, maps, reason) = match resolution {
        Resolution::Name(spec) => (Some(spec.name), via, spec.mapping, None),
        Resolution::Alias(spec) => (
            Some(spec.name),
            if via == Via::Splat { via } else { Via::Alias },
            spec.mapping,
            None,
        ),
        Resolution::Prefix(spec) => (
            Some(spec.name),
            if via == Via::Splat { via } else { Via::Prefix },
            spec.mapping,
            None,
        ),
        Resolution::Ambiguous => (
            None,
            via,
            Mapping::Ambiguous,
            Some(format!(
                "-{name} is ambiguous (it could be {}): PowerShell refuses the call",
                SEND_MAILMESSAGE
                    .candidates(name)
                    .iter()
                    .map(|c| format!("-{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        ),
        Resolution::Unknown => (
            None,
            via,
            Mapping::Unknown,
            Some(format!("-{name} is not a parameter of Send-MailMessage")),
        ),
    };
    (
        ParameterUse {
            written,
            name: spec_name.map(str::to_string),
            via,
            maps,
        },
        reason,
    )
}

/// Whether a name written for Send-MailMessage must be spelled out for Send-GraphMail: it is an
/// abbreviation that Send-GraphMail resolves differently or finds ambiguous (`-T` is also
/// `-TenantId`).
fn spelled_out(written: &str, name: &str) -> bool {
    match resolve_for_send_graphmail(written) {
        Resolution::Name(_) | Resolution::Alias(_) => false,
        Resolution::Prefix(spec) => spec.name != name,
        Resolution::Ambiguous | Resolution::Unknown => true,
    }
}

/// Renames a hashtable key to a parameter's full name, keeping its quotes.
fn rename_key(node: Node<'_>, name: &str, source: &str) -> Edit {
    let written = text(node, source);
    let quote = match written.chars().next() {
        Some(q @ ('\'' | '"')) => q.to_string(),
        _ => String::new(),
    };
    Edit::replace(
        node.start_byte(),
        node.end_byte(),
        format!("{quote}{name}{quote}"),
    )
}

/// Replaces the command name with Send-GraphMail (a module qualifier goes too; a quoted name
/// after `&` keeps its quotes).
fn rename(invocation: &Invocation<'_>, source: &str) -> Edit {
    let node = invocation.name_node;
    let written = text(node, source);
    let new = match written.chars().next() {
        Some(q @ ('\'' | '"')) => format!("{q}Send-GraphMail{q}"),
        _ => "Send-GraphMail".to_string(),
    };
    Edit::replace(node.start_byte(), node.end_byte(), new)
}

/// Where the statement holding a node starts: the ancestor that is an element of a statement
/// list (or the outermost one).
pub fn statement_start(node: Node<'_>) -> usize {
    let mut current = node;
    while let Some(parent) = current.parent() {
        if matches!(parent.kind(), "statement_list" | "program") {
            return current.start_byte();
        }
        current = parent;
    }
    current.start_byte()
}
