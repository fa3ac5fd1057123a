//! Reading one script: every finding, and what `graphmail migrate` needs to convert it.
//!
//! Everything comes from the syntax tree: a `Send-MailMessage` inside a comment, a string, a
//! here-string or a variable name is not a `command` node, so it is not a call.

use std::collections::HashSet;
use std::sync::OnceLock;

use tree_sitter::{Node, Tree};

use crate::call::{self, CallSite};
use crate::cmdlets::{CONVERTTO_SECURESTRING, NEW_OBJECT, SET_ALIAS};
use crate::finding::{Finding, Kind};
use crate::invocation::{self, argument_of, bind, has_switch, Element, Invocation};
use crate::lines::LineIndex;
use crate::secrets::is_secret_name;
use crate::senders::{self, MailType};
use crate::splat::{self, Assignment, KeyAddition};
use crate::syntax::{
    child_of_kind, error_count, first_error, literal_value, named_children, normalize_type, text,
    type_literal_name,
};
use crate::tls::{self, ProtocolSetting};

/// The hosts of Microsoft's SMTP AUTH endpoints (client submission with basic authentication).
const SMTP_AUTH_HOSTS: &[&str] = &["smtp.office365.com", "smtp-mail.outlook.com"];

/// The comment `graphmail migrate` leaves; a line holding one is not commented again.
pub const MARKER: &str = "# GraphMail:";

/// Where a script creates a System.Net.Mail object.
#[derive(Debug, Clone)]
pub struct ClientSite {
    /// Which type.
    pub mail_type: MailType,
    /// Where the statement holding it starts.
    pub statement_start: usize,
}

/// Everything read from one script.
#[derive(Debug, Default)]
pub struct Analysis {
    /// The findings, by line and column (paths not filled in).
    pub findings: Vec<Finding>,
    /// The Send-MailMessage calls, in source order.
    pub calls: Vec<CallSite>,
    /// System.Net.Mail objects created, in source order.
    pub clients: Vec<ClientSite>,
    /// 0-based lines that hold a `# GraphMail:` comment.
    pub marker_lines: Vec<usize>,
    /// ERROR and MISSING nodes in the tree.
    pub error_count: usize,
}

/// What the call analysis needs from the whole script.
pub struct Context<'t> {
    /// The script.
    pub source: &'t str,
    /// Its lines.
    pub lines: LineIndex,
    /// Every `$variable = ...` and `$variable += ...`.
    pub assignments: Vec<Assignment<'t>>,
    /// Every key added to a hashtable variable.
    pub additions: Vec<KeyAddition<'t>>,
    /// Lines (1-based) where the script defines a function named Send-MailMessage.
    pub redefinitions: Vec<usize>,
}

/// The nodes of interest, gathered in one walk of the tree.
#[derive(Default)]
struct Nodes<'t> {
    commands: Vec<Node<'t>>,
    assignments: Vec<Node<'t>>,
    invocations: Vec<Node<'t>>,
    literals: Vec<Node<'t>>,
    hash_entries: Vec<Node<'t>>,
    functions: Vec<Node<'t>>,
    markers: Vec<Node<'t>>,
}

/// The node kinds [`gather`] collects.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Interest {
    None,
    Command,
    Assignment,
    Invocation,
    String,
    Token,
    HashEntry,
    Function,
    Comment,
}

/// Interest by grammar symbol id, so the walk compares numbers, not kind names. Built once from
/// the grammar (a kind name may have several symbol ids).
fn interests() -> &'static [Interest] {
    static TABLE: OnceLock<Vec<Interest>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let language: tree_sitter::Language = tree_sitter_powershell::LANGUAGE.into();
        (0..language.node_kind_count())
            .map(|id| {
                let id = id as u16;
                if !language.node_kind_is_named(id) {
                    return Interest::None;
                }
                match language.node_kind_for_id(id) {
                    Some("command") => Interest::Command,
                    Some("assignment_expression") => Interest::Assignment,
                    Some("invokation_expression") => Interest::Invocation,
                    Some("string_literal") => Interest::String,
                    Some("generic_token") => Interest::Token,
                    Some("hash_entry") => Interest::HashEntry,
                    Some("function_statement") => Interest::Function,
                    Some("comment") => Interest::Comment,
                    _ => Interest::None,
                }
            })
            .collect()
    })
}

fn gather<'t>(tree: &'t Tree, source: &str) -> Nodes<'t> {
    let table = interests();
    let mut nodes = Nodes::default();
    let mut cursor = tree.walk();
    'walk: loop {
        let node = cursor.node();
        let mut descend = true;
        let interest = table
            .get(usize::from(node.kind_id()))
            .copied()
            .unwrap_or(Interest::None);
        match interest {
            Interest::None => {}
            Interest::Command => nodes.commands.push(node),
            Interest::Assignment => nodes.assignments.push(node),
            Interest::Invocation => nodes.invocations.push(node),
            Interest::String => {
                nodes.literals.push(node);
                descend = node.named_child_count() > 0
                    && node
                        .named_child(0)
                        .is_some_and(|c| c.named_child_count() > 0);
            }
            Interest::Token => nodes.literals.push(node),
            Interest::HashEntry => nodes.hash_entries.push(node),
            Interest::Function => nodes.functions.push(node),
            Interest::Comment => {
                if text(node, source).starts_with(MARKER) {
                    nodes.markers.push(node);
                }
                descend = false;
            }
        }
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    nodes
}

/// Reads a parsed script.
pub fn analyze(source: &str, tree: &Tree) -> Analysis {
    let nodes = gather(tree, source);
    let lines = LineIndex::new(source);
    let mut findings: Vec<Finding> = Vec::new();
    let mut secrets_seen: HashSet<usize> = HashSet::new();
    let position = |offset: usize| lines.position(source, offset);

    // Assignments: splat sources, secrets, TLS settings.
    let mut assignments = Vec::new();
    let mut additions = Vec::new();
    let mut protocol_settings: Vec<ProtocolSetting> = Vec::new();
    for node in &nodes.assignments {
        let Some(left) = node.named_child(0) else {
            continue;
        };
        let Some(value) = node.named_child(node.named_child_count().saturating_sub(1) as u32)
        else {
            continue;
        };
        let operator = child_of_kind(*node, "assignement_operator")
            .map(|o| text(o, source).trim())
            .unwrap_or("=");
        if let Some(setting) = tls::protocol_setting(*node, source) {
            protocol_settings.push(setting);
            continue;
        }
        if let Some(variable) = splat::assigned_variable(left, source) {
            if operator == "=" || operator == "+=" {
                assignments.push(Assignment {
                    variable: splat::normalize_variable(variable),
                    start: node.start_byte(),
                    append: operator == "+=",
                    value,
                });
            }
            if operator == "=" && is_secret_name(variable) {
                if let Some(literal) = secret_literal(value, source) {
                    if secrets_seen.insert(literal.start_byte()) {
                        findings.push(Finding::new(
                            Kind::Secret,
                            position(literal.start_byte()),
                            format!("a literal secret is assigned to {variable}"),
                        ));
                    }
                }
            }
        } else if let Some((variable, key, key_node)) = splat::added_key(left, source) {
            additions.push(KeyAddition {
                variable,
                start: node.start_byte(),
                key,
                node: key_node,
            });
        }
    }

    // Method calls: $hash.Add('Key', ...), [Type]::new(...).
    let mut clients: Vec<ClientSite> = Vec::new();
    for node in &nodes.invocations {
        if let Some((variable, key, key_node)) = splat::added_by_method(*node, source) {
            additions.push(KeyAddition {
                variable,
                start: node.start_byte(),
                key,
                node: key_node,
            });
            continue;
        }
        let Some(receiver) = node.named_child(0) else {
            continue;
        };
        let Some(type_name) = type_literal_name(receiver, source) else {
            continue;
        };
        let is_new = child_of_kind(*node, "member_name")
            .is_some_and(|m| text(m, source).eq_ignore_ascii_case("new"));
        if !is_new {
            continue;
        }
        let arguments: Vec<Node<'_>> = child_of_kind(*node, "argument_list")
            .and_then(|l| child_of_kind(l, "argument_expression_list"))
            .map(named_children)
            .unwrap_or_default();
        created(
            &type_name,
            *node,
            &arguments,
            source,
            &lines,
            &mut findings,
            &mut clients,
            &mut secrets_seen,
        );
    }

    let redefinitions: Vec<usize> = nodes
        .functions
        .iter()
        .filter(|f| {
            child_of_kind(**f, "function_name")
                .is_some_and(|n| text(n, source).eq_ignore_ascii_case("Send-MailMessage"))
        })
        .map(|f| f.start_position().row + 1)
        .collect();

    // Aliases of Send-MailMessage: Set-Alias / New-Alias -Name x -Value Send-MailMessage.
    let alias_commands: Vec<Invocation<'_>> = nodes
        .commands
        .iter()
        .filter(|c| {
            quick_name(**c, source).is_none_or(|n| {
                n.eq_ignore_ascii_case("Set-Alias") || n.eq_ignore_ascii_case("New-Alias")
            })
        })
        .filter_map(|c| invocation::read(*c, source))
        .collect();
    let mut aliases: Vec<(String, usize)> = Vec::new();
    for invocation in &alias_commands {
        let Some(name) = invocation.name.as_deref() else {
            continue;
        };
        if !(name.eq_ignore_ascii_case("Set-Alias") || name.eq_ignore_ascii_case("New-Alias")) {
            continue;
        }
        let bound = bind(invocation, &SET_ALIAS, source, &[]);
        let value = argument_of(&bound, "Value").and_then(|a| a.literal(source));
        let alias = argument_of(&bound, "Name").and_then(|a| a.literal(source));
        if let (Some(value), Some(alias)) = (value, alias) {
            let (module, command) = match value.rsplit_once('\\') {
                Some((m, c)) => (Some(m), c),
                None => (None, value.as_str()),
            };
            if senders::is_send_mailmessage(command, module) {
                aliases.push((
                    alias.to_ascii_lowercase(),
                    invocation.node.start_position().row + 1,
                ));
            }
        }
    }

    // The commands worth reading in full: the ones named above, aliases, other senders, and any
    // command given a parameter named like a secret.
    let invocations: Vec<Invocation<'_>> = nodes
        .commands
        .iter()
        .filter(|c| match quick_name(**c, source) {
            None => true,
            Some(name) => {
                INTERESTING.iter().any(|n| n.eq_ignore_ascii_case(name))
                    || senders::other_sender(name).is_some()
                    || aliases.iter().any(|(a, _)| a.eq_ignore_ascii_case(name))
                    || has_secret_parameter(**c, source)
            }
        })
        .filter_map(|c| invocation::read(*c, source))
        .collect();

    let context = Context {
        source,
        lines: lines.clone(),
        assignments,
        additions,
        redefinitions,
    };

    let mut calls: Vec<CallSite> = Vec::new();
    for invocation in &invocations {
        let Some(name) = invocation.name.as_deref() else {
            continue;
        };
        let alias = aliases
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(name))
            .map(|(a, line)| (a.as_str(), *line));
        if senders::is_send_mailmessage(name, invocation.module.as_deref())
            || (alias.is_some() && invocation.module.is_none())
        {
            let via_alias = if senders::is_send_mailmessage(name, invocation.module.as_deref()) {
                None
            } else {
                alias
            };
            let (finding, site) = call::analyze(invocation, via_alias, &context);
            findings.push(finding);
            calls.push(site);
            continue;
        }
        if let Some((canonical, what)) = senders::other_sender(name) {
            findings.push(
                Finding::new(
                    Kind::OtherSender,
                    position(invocation.node.start_byte()),
                    format!("{canonical}: {what}"),
                )
                .with_command(canonical),
            );
            continue;
        }
        if name.eq_ignore_ascii_case("New-Object") {
            let bound = bind(invocation, &NEW_OBJECT, source, &[]);
            let type_name = argument_of(&bound, "TypeName").and_then(|a| a.literal(source));
            if let Some(type_name) = type_name {
                let arguments = argument_of(&bound, "ArgumentList")
                    .map(|a| a.list_items())
                    .unwrap_or_default();
                created(
                    &normalize_type(&type_name),
                    invocation.node,
                    &arguments,
                    source,
                    &lines,
                    &mut findings,
                    &mut clients,
                    &mut secrets_seen,
                );
            }
        }
        if name.eq_ignore_ascii_case("ConvertTo-SecureString") {
            let bound = bind(invocation, &CONVERTTO_SECURESTRING, source, &[]);
            if has_switch(&bound, "AsPlainText", source) {
                let literal = match argument_of(&bound, "String") {
                    Some(argument) if argument.parts.len() == 1 => {
                        secret_literal(argument.parts[0], source)
                    }
                    Some(_) => None,
                    None => piped_literal(invocation.node, source),
                };
                if let Some(literal) = literal {
                    if secrets_seen.insert(literal.start_byte()) {
                        findings.push(
                            Finding::new(
                                Kind::Secret,
                                position(literal.start_byte()),
                                "a literal secret is converted with ConvertTo-SecureString -AsPlainText".to_string(),
                            )
                            .with_command("ConvertTo-SecureString"),
                        );
                    }
                }
            }
        }
        // Any command: a literal given to a parameter named like a secret (-Password 'x').
        let mut elements = invocation.elements.iter().peekable();
        while let Some(element) = elements.next() {
            let Element::Parameter(token) = element else {
                continue;
            };
            let parameter = token.name(source);
            if !is_secret_name(parameter) {
                continue;
            }
            if let Some(Element::Value(argument)) = elements.peek() {
                if let Some(literal) = argument
                    .parts
                    .first()
                    .filter(|_| argument.parts.len() == 1)
                    .and_then(|p| secret_literal(*p, source))
                {
                    if secrets_seen.insert(literal.start_byte()) {
                        findings.push(
                            Finding::new(
                                Kind::Secret,
                                position(literal.start_byte()),
                                format!("a literal secret is passed to -{parameter} of {name}"),
                            )
                            .with_command(name),
                        );
                    }
                }
            }
        }
    }

    // Hashtable entries: @{ Password = 'x' }.
    for entry in &nodes.hash_entries {
        let Some(key) = child_of_kind(*entry, "key_expression") else {
            continue;
        };
        let key_name = literal_value(key, source)
            .or_else(|| child_of_kind(key, "simple_name").map(|s| text(s, source).to_string()));
        let Some(key_name) = key_name else {
            continue;
        };
        if !is_secret_name(&key_name) {
            continue;
        }
        let Some(value) = named_children(*entry)
            .into_iter()
            .find(|c| c.kind() != "key_expression" && c.kind() != "comment")
        else {
            continue;
        };
        if let Some(literal) = secret_literal(value, source) {
            if secrets_seen.insert(literal.start_byte()) {
                findings.push(Finding::new(
                    Kind::Secret,
                    position(literal.start_byte()),
                    format!("a literal secret is given for the key {key_name}"),
                ));
            }
        }
    }

    // SMTP AUTH hosts, wherever a literal names one.
    let mut auth_lines: HashSet<usize> = HashSet::new();
    let longest = SMTP_AUTH_HOSTS.iter().map(|h| h.len()).max().unwrap_or(0);
    let shortest = SMTP_AUTH_HOSTS.iter().map(|h| h.len()).min().unwrap_or(0);
    for node in &nodes.literals {
        // Quotes and here-string marks add at most 6 bytes; spaces around the value a few more.
        let length = node.end_byte() - node.start_byte();
        if length < shortest || length > longest + 16 {
            continue;
        }
        let Some(value) = literal_value(*node, source) else {
            continue;
        };
        let value = value.trim();
        let Some(host) = SMTP_AUTH_HOSTS
            .iter()
            .find(|h| h.eq_ignore_ascii_case(value))
        else {
            continue;
        };
        let at = position(node.start_byte());
        if auth_lines.insert(at.0) {
            findings.push(Finding::new(
                Kind::SmtpAuth,
                at,
                format!("connects to {host}: SMTP AUTH (basic authentication), which Microsoft is retiring in Exchange Online"),
            ).with_command(*host));
        }
    }

    // TLS 1.2.
    let sends_smtp =
        !calls.is_empty() || clients.iter().any(|c| c.mail_type == MailType::SmtpClient);
    for setting in protocol_settings.iter().filter(|s| s.tls12) {
        findings.push(Finding::new(
            Kind::Tls12,
            position(setting.start),
            "forces TLS 1.2: [Net.ServicePointManager]::SecurityProtocol includes Tls12"
                .to_string(),
        ));
    }
    if sends_smtp && !protocol_settings.iter().any(|s| s.tls12) {
        let finding = match protocol_settings.first() {
            Some(setting) => Finding::new(
                Kind::NoTls12,
                position(setting.start),
                "sets [Net.ServicePointManager]::SecurityProtocol without Tls12".to_string(),
            ),
            None => {
                let first_send = calls
                    .iter()
                    .map(|c| c.statement_start)
                    .chain(
                        clients
                            .iter()
                            .filter(|c| c.mail_type == MailType::SmtpClient)
                            .map(|c| c.statement_start),
                    )
                    .min()
                    .unwrap_or(0);
                let at = findings
                    .iter()
                    .filter(|f| matches!(f.kind, Kind::SendMailMessage | Kind::SmtpClient))
                    .map(|f| (f.line, f.column))
                    .min()
                    .unwrap_or_else(|| position(first_send));
                Finding::new(
                    Kind::NoTls12,
                    at,
                    "sends mail over SMTP without forcing TLS 1.2 ([Net.ServicePointManager]::SecurityProtocol is not set to Tls12)".to_string(),
                )
            }
        };
        findings.push(finding);
    }

    let errors = error_count(tree);
    if errors > 0 {
        let at = first_error(tree.root_node()).unwrap_or(0);
        findings.push(Finding::new(
            Kind::ParseError,
            position(at),
            format!(
                "{errors} syntax error{} (the first here): findings come from the parts that parse",
                if errors == 1 { "" } else { "s" }
            ),
        ));
    }

    findings.sort_by_key(|f| (f.line, f.column, f.kind));
    let marker_lines = nodes
        .markers
        .iter()
        .map(|m| m.start_position().row)
        .collect();
    Analysis {
        findings,
        calls,
        clients,
        marker_lines,
        error_count: errors,
    }
}

/// A System.Net.Mail object or a NetworkCredential created by `New-Object` or `::new()`:
/// records the finding (and, for NetworkCredential, a literal password).
#[allow(clippy::too_many_arguments)]
fn created(
    type_name: &str,
    node: Node<'_>,
    arguments: &[Node<'_>],
    source: &str,
    lines: &LineIndex,
    findings: &mut Vec<Finding>,
    clients: &mut Vec<ClientSite>,
    secrets_seen: &mut HashSet<usize>,
) {
    let position = lines.position(source, node.start_byte());
    if let Some(mail_type) = senders::mail_type(type_name) {
        let (kind, full, message) = match mail_type {
            MailType::SmtpClient => (
                Kind::SmtpClient,
                "System.Net.Mail.SmtpClient",
                "System.Net.Mail.SmtpClient: sends over SMTP; not converted automatically (rewrite with Send-GraphMail)",
            ),
            MailType::MailMessage => (
                Kind::MailMessage,
                "System.Net.Mail.MailMessage",
                "System.Net.Mail.MailMessage: a message for SmtpClient",
            ),
        };
        findings.push(Finding::new(kind, position, message.to_string()).with_command(full));
        clients.push(ClientSite {
            mail_type,
            statement_start: call::statement_start(node),
        });
    } else if senders::is_network_credential(type_name) {
        if let Some(password) = arguments.get(1) {
            if let Some(literal) = secret_literal(*password, source) {
                if secrets_seen.insert(literal.start_byte()) {
                    findings.push(
                        Finding::new(
                            Kind::Secret,
                            lines.position(source, literal.start_byte()),
                            "a literal password is given to System.Net.NetworkCredential"
                                .to_string(),
                        )
                        .with_command("System.Net.NetworkCredential"),
                    );
                }
            }
        }
    }
}

/// Commands read in full whatever their parameters.
const INTERESTING: &[&str] = &["Send-MailMessage", "New-Object", "ConvertTo-SecureString"];

/// A command's name without its module qualifier, when written as a plain name (`None` for
/// `& 'name'` and other computed forms, which are read in full).
fn quick_name<'s>(command: Node<'_>, source: &'s str) -> Option<&'s str> {
    let name = text(child_of_kind(command, "command_name")?, source);
    Some(name.rsplit('\\').next().unwrap_or(name))
}

/// Whether a command is given a parameter named like a secret (`-Password`).
fn has_secret_parameter(command: Node<'_>, source: &str) -> bool {
    let Some(elements) = child_of_kind(command, "command_elements") else {
        return false;
    };
    let mut cursor = elements.walk();
    let found = elements
        .named_children(&mut cursor)
        .filter(|e| e.kind() == "command_parameter")
        .any(|p| is_secret_name(text(p, source).trim_end_matches(':')));
    found
}

/// The node of a non-empty literal (a secret's value), if `value` is one.
fn secret_literal<'t>(value: Node<'t>, source: &str) -> Option<Node<'t>> {
    let node = crate::syntax::unwrap(value);
    let literal = literal_value(node, source)?;
    (!literal.is_empty()).then_some(node)
}

/// The literal piped into a command: `'secret' | ConvertTo-SecureString -AsPlainText -Force`.
fn piped_literal<'t>(command: Node<'t>, source: &str) -> Option<Node<'t>> {
    let pipe = command.prev_sibling()?;
    if pipe.kind() != "|" {
        return None;
    }
    let before = pipe.prev_sibling()?;
    secret_literal(before, source)
}
