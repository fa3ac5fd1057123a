//! A command invocation as written: its name and its elements (parameters, arguments, splats),
//! and how the elements bind to a command's parameters.

use tree_sitter::Node;

use crate::cmdlets::{Cmdlet, ParameterSpec, Resolution};
use crate::syntax::{child_of_kind, literal_value, named_children, text};

/// One `command` node, read.
#[derive(Debug)]
pub struct Invocation<'t> {
    /// The `command` node.
    pub node: Node<'t>,
    /// The node holding the name: `command_name`, or the string after `&` / `.`.
    pub name_node: Node<'t>,
    /// The command name without a module qualifier and without quotes; `None` when computed
    /// (`& $command`).
    pub name: Option<String>,
    /// The module qualifier (`Microsoft.PowerShell.Utility` in
    /// `Microsoft.PowerShell.Utility\Send-MailMessage`).
    pub module: Option<String>,
    /// The elements after the name, in order.
    pub elements: Vec<Element<'t>>,
    /// The command receives pipeline input (it is not the first element of its pipeline).
    pub piped: bool,
}

/// A parameter name as written (`-Attach`, `-From:`).
#[derive(Debug, Clone, Copy)]
pub struct ParameterToken<'t> {
    /// The `command_parameter` node.
    pub node: Node<'t>,
    /// Where the separator before it starts (the element's start when there is none).
    pub separator_start: usize,
    /// The argument is attached with a colon (`-UseSsl:$false`).
    pub colon: bool,
}

impl ParameterToken<'_> {
    /// The name without the dash and colon.
    pub fn name<'s>(&self, source: &'s str) -> &'s str {
        text(self.node, source)
            .trim_start_matches(['-', '\u{2013}', '\u{2014}'])
            .trim_end_matches(':')
    }
}

/// An argument: one or more value nodes that PowerShell reads as one argument (`a.txt, b.txt`).
#[derive(Debug, Clone)]
pub struct Argument<'t> {
    /// The value nodes.
    pub parts: Vec<Node<'t>>,
}

impl<'t> Argument<'t> {
    /// The start byte.
    pub fn start(&self) -> usize {
        self.parts[0].start_byte()
    }

    /// The end byte.
    pub fn end(&self) -> usize {
        self.parts[self.parts.len() - 1].end_byte()
    }

    /// The literal value of a single-part argument.
    pub fn literal(&self, source: &str) -> Option<String> {
        match self.parts.as_slice() {
            [only] => literal_value(*only, source),
            _ => None,
        }
    }

    /// The literal values of a comma list (`'u', 'p'`), or of the arguments in parentheses
    /// after a type name (`Net.NetworkCredential('u', 'p')`).
    pub fn list_items(&self) -> Vec<Node<'t>> {
        let mut out = Vec::new();
        for part in &self.parts {
            collect_items(*part, &mut out);
        }
        out
    }
}

fn collect_items<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>) {
    let inner = crate::syntax::unwrap(node);
    match inner.kind() {
        "argument_list" => {
            if let Some(list) = child_of_kind(inner, "argument_expression_list") {
                out.extend(named_children(list));
            }
        }
        "array_literal_expression" | "expression_with_unary_operator" => {
            for child in named_children(inner) {
                collect_items(child, out);
            }
        }
        "parenthesized_expression" => {
            for child in named_children(inner) {
                collect_items(child, out);
            }
        }
        _ => out.push(inner),
    }
}

/// One element after the command name.
#[derive(Debug, Clone)]
pub enum Element<'t> {
    /// `-Name`, with the argument PowerShell gives it (bound later, see [`bind`]).
    Parameter(ParameterToken<'t>),
    /// A value: a positional argument, or a parameter's argument.
    Value(Argument<'t>),
    /// `@name`: splatting a variable.
    Splat {
        /// The variable name without `@`.
        variable: String,
    },
}

/// Reads a `command` node.
pub fn read<'t>(node: Node<'t>, source: &str) -> Option<Invocation<'t>> {
    let (name_node, name, module) = if let Some(name_node) = child_of_kind(node, "command_name") {
        let full = text(name_node, source);
        let (module, name) = match full.rsplit_once('\\') {
            Some((module, name)) if !module.is_empty() => (Some(module.to_string()), name),
            _ => (None, full),
        };
        (name_node, Some(name.to_string()), module)
    } else {
        let expr = child_of_kind(node, "command_name_expr")?;
        let value = literal_value(expr, source).or_else(|| {
            named_children(expr)
                .first()
                .and_then(|n| literal_value(*n, source))
        });
        (expr, value, None)
    };
    let piped = node
        .prev_sibling()
        .is_some_and(|s| !s.is_named() && s.kind() == "|");
    let elements = child_of_kind(node, "command_elements")
        .map(|e| elements(e, source))
        .unwrap_or_default();
    Some(Invocation {
        node,
        name_node,
        name,
        module,
        elements,
        piped,
    })
}

fn elements<'t>(list: Node<'t>, source: &str) -> Vec<Element<'t>> {
    let mut out: Vec<Element<'t>> = Vec::new();
    let mut separator_start: Option<usize> = None;
    let mut colon = false;
    // Whether the next value continues the previous argument (after `,` or with no separator).
    let mut joins = false;
    let mut cursor = list.walk();
    for child in list.children(&mut cursor) {
        match child.kind() {
            "command_argument_sep" => {
                if text(child, source).contains(':') {
                    colon = true;
                } else {
                    joins = false;
                }
                separator_start.get_or_insert(child.start_byte());
            }
            "," => joins = true,
            "command_parameter" => {
                let start = separator_start.take().unwrap_or(child.start_byte());
                let token_colon = text(child, source).ends_with(':');
                out.push(Element::Parameter(ParameterToken {
                    node: child,
                    separator_start: start,
                    colon: token_colon,
                }));
                colon = false;
                joins = false;
            }
            "redirection" | "comment" | "stop_parsing" => {
                separator_start = None;
                joins = false;
            }
            _ if child.is_named() => {
                let value_text = text(child, source);
                if let Some(variable) = splat_name(child, source) {
                    out.push(Element::Splat { variable });
                    separator_start = None;
                    joins = false;
                    continue;
                }
                // `Net.Mail.SmtpClient('host')`: the parenthesized list is an argument of its
                // own, as PowerShell reads it.
                let continues = child.kind() != "argument_list"
                    && (joins || value_text.starts_with(',') || separator_start.is_none());
                match out.last_mut() {
                    Some(Element::Value(arg)) if continues => arg.parts.push(child),
                    Some(Element::Parameter(token)) if colon => {
                        token.colon = true;
                        out.push(Element::Value(Argument { parts: vec![child] }));
                    }
                    _ => out.push(Element::Value(Argument { parts: vec![child] })),
                }
                colon = false;
                separator_start = None;
                joins = false;
            }
            _ => {}
        }
    }
    out
}

/// `@name` as a command element: the splatted variable's name.
fn splat_name(node: Node<'_>, source: &str) -> Option<String> {
    let inner = crate::syntax::unwrap(node);
    if inner.kind() != "variable" {
        return None;
    }
    let t = text(inner, source);
    let name = t.strip_prefix('@')?;
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    Some(name.to_string())
}

/// How one element bound.
#[derive(Debug, Clone)]
pub enum Bound<'t> {
    /// A named parameter and its argument.
    Named {
        /// The name as written.
        token: ParameterToken<'t>,
        /// What the name resolves to.
        resolution: Resolution,
        /// Its argument (none for a switch without a colon, or at the end).
        argument: Option<Argument<'t>>,
    },
    /// A positional argument and the parameter it binds to (`None`: no parameter left).
    Positional {
        /// The argument.
        argument: Argument<'t>,
        /// The parameter it binds to.
        spec: Option<&'static ParameterSpec>,
    },
    /// A splatted variable.
    Splat {
        /// The variable's name.
        variable: String,
    },
}

/// Binds an invocation's elements to a command's parameters: named parameters take their
/// arguments (switches only with a colon), then positional arguments go to the positional
/// parameters not bound by name or by `splat_names`, in position order.
pub fn bind<'t>(
    invocation: &Invocation<'t>,
    cmdlet: &'static Cmdlet,
    source: &str,
    splat_names: &[&'static str],
) -> Vec<Bound<'t>> {
    let mut out = Vec::new();
    let mut elements = invocation.elements.iter().peekable();
    while let Some(element) = elements.next() {
        match element {
            Element::Parameter(token) => {
                let resolution = cmdlet.resolve(token.name(source));
                let takes_argument = token.colon || !resolution.spec().is_some_and(|s| s.switch);
                let argument = match elements.peek() {
                    Some(Element::Value(arg)) if takes_argument => {
                        let arg = arg.clone();
                        elements.next();
                        Some(arg)
                    }
                    _ => None,
                };
                out.push(Bound::Named {
                    token: *token,
                    resolution,
                    argument,
                });
            }
            Element::Value(argument) => out.push(Bound::Positional {
                argument: argument.clone(),
                spec: None,
            }),
            Element::Splat { variable, .. } => out.push(Bound::Splat {
                variable: variable.clone(),
            }),
        }
    }
    let taken: Vec<&str> = out
        .iter()
        .filter_map(|b| match b {
            Bound::Named { resolution, .. } => resolution.spec().map(|s| s.name),
            _ => None,
        })
        .chain(splat_names.iter().copied())
        .collect();
    let mut free = cmdlet
        .positional()
        .into_iter()
        .filter(|s| !taken.contains(&s.name));
    for bound in &mut out {
        if let Bound::Positional { spec, .. } = bound {
            *spec = free.next();
        }
    }
    out
}

/// The argument bound to a parameter (by its declared name), if any.
pub fn argument_of<'a, 't>(bound: &'a [Bound<'t>], name: &str) -> Option<&'a Argument<'t>> {
    bound.iter().find_map(|b| match b {
        Bound::Named {
            resolution,
            argument,
            ..
        } if resolution.spec().is_some_and(|s| s.name == name) => argument.as_ref(),
        Bound::Positional { argument, spec } if spec.is_some_and(|s| s.name == name) => {
            Some(argument)
        }
        _ => None,
    })
}

/// Whether a switch parameter is given (and not `:$false`).
pub fn has_switch(bound: &[Bound<'_>], name: &str, source: &str) -> bool {
    bound.iter().any(|b| match b {
        Bound::Named {
            resolution,
            argument,
            ..
        } if resolution.spec().is_some_and(|s| s.name == name) => argument
            .as_ref()
            .is_none_or(|a| !text(a.parts[0], source).eq_ignore_ascii_case("$false")),
        _ => false,
    })
}
