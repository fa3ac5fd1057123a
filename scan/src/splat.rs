//! Splatting: which keys a hashtable splatted into a call (`Send-MailMessage @mail`) holds, when
//! the script builds it with a literal (`$mail = @{ To = ...; From = ... }`) and adds keys to it
//! (`$mail.Cc = ...`, `$mail['Bcc'] = ...`, `$mail.Add('Attachments', ...)`, `$mail += @{...}`).
//!
//! The hashtable is the last one assigned to the variable before the call, in source order; the
//! keys added between that assignment and the call count (including those added under a
//! condition: they may be there).

use tree_sitter::Node;

use crate::lines::LineIndex;

use crate::syntax::{child_of_kind, literal_value, named_children, text, unwrap, unwrap_deep};

/// `$name = <value>` or `$name += <value>`.
#[derive(Debug, Clone)]
pub struct Assignment<'t> {
    /// The variable, normalized (see [`normalize_variable`]).
    pub variable: String,
    /// Where the statement starts.
    pub start: usize,
    /// `+=` rather than `=`.
    pub append: bool,
    /// The assigned value.
    pub value: Node<'t>,
}

/// A key added to a hashtable variable outside its literal.
#[derive(Debug, Clone)]
pub struct KeyAddition<'t> {
    /// The variable, normalized.
    pub variable: String,
    /// Where the addition is.
    pub start: usize,
    /// The key.
    pub key: String,
    /// The node naming the key.
    pub node: Node<'t>,
}

/// One key of a splatted hashtable.
#[derive(Debug, Clone)]
pub struct SplatKey<'t> {
    /// The key as written, without quotes.
    pub name: String,
    /// The node holding the key (a `key_expression`, a member name or a string).
    pub node: Node<'t>,
}

/// What a splat resolves to.
#[derive(Debug, Clone)]
pub enum Splat<'t> {
    /// The keys the hashtable holds.
    Keys(Vec<SplatKey<'t>>),
    /// Why the keys are not known from this script.
    Unresolved(String),
}

/// A variable name as PowerShell compares it: lower case, without `$`/`@`, braces and the scope
/// prefixes `script:`, `global:`, `local:`, `private:` and `using:`.
pub fn normalize_variable(written: &str) -> String {
    let name = written.trim_start_matches(['$', '@']);
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    let lower = name.to_ascii_lowercase();
    for scope in ["script:", "global:", "local:", "private:", "using:"] {
        if let Some(rest) = lower.strip_prefix(scope) {
            return rest.to_string();
        }
    }
    lower
}

/// The keys of a hashtable literal; `None` if one is computed.
pub fn hash_literal_keys<'t>(node: Node<'t>, source: &str) -> Option<Vec<SplatKey<'t>>> {
    let body = match child_of_kind(node, "hash_literal_body") {
        Some(body) => body,
        None => return Some(Vec::new()),
    };
    let mut keys = Vec::new();
    for entry in named_children(body)
        .into_iter()
        .filter(|e| e.kind() == "hash_entry")
    {
        let key = child_of_kind(entry, "key_expression")?;
        let name = match named_children(key).as_slice() {
            [simple] if simple.kind() == "simple_name" => text(*simple, source).to_string(),
            [other] => literal_value(*other, source)?,
            _ => text(key, source).to_string(),
        };
        keys.push(SplatKey { name, node: key });
    }
    Some(keys)
}

/// The hashtable literal a value is (through casts like `[ordered]` and parentheses).
pub fn as_hash_literal(value: Node<'_>) -> Option<Node<'_>> {
    let inner = unwrap_deep(value);
    (inner.kind() == "hash_literal_expression").then_some(inner)
}

/// Resolves `@variable` in a call starting at byte `at`.
pub fn resolve<'t>(
    variable: &str,
    at: usize,
    assignments: &[Assignment<'t>],
    additions: &[KeyAddition<'t>],
    source: &str,
    lines: &LineIndex,
) -> Splat<'t> {
    let name = normalize_variable(variable);
    match name.as_str() {
        "psboundparameters" => {
            return Splat::Unresolved(
                "splats $PSBoundParameters, whose keys depend on the caller".to_string(),
            )
        }
        "args" => return Splat::Unresolved("splats $args, the caller's arguments".to_string()),
        _ => {}
    }
    let Some(base) = assignments
        .iter()
        .filter(|a| a.variable == name && !a.append && a.start < at)
        .max_by_key(|a| a.start)
    else {
        return Splat::Unresolved(format!(
            "splats ${variable}, which is not assigned before the call in this script"
        ));
    };
    let Some(hash) = as_hash_literal(base.value) else {
        return Splat::Unresolved(format!(
            "splats ${variable}, which is not built from a hashtable literal (assigned on line {})",
            lines.line_of(base.start) + 1
        ));
    };
    let Some(mut keys) = hash_literal_keys(hash, source) else {
        return Splat::Unresolved(format!(
            "splats ${variable}, whose hashtable has a computed key"
        ));
    };
    let between = |start: usize| start > base.start && start < at;
    for append in assignments
        .iter()
        .filter(|a| a.variable == name && a.append && between(a.start))
    {
        match as_hash_literal(append.value).and_then(|h| hash_literal_keys(h, source)) {
            Some(more) => keys.extend(more),
            None => {
                return Splat::Unresolved(format!(
                    "splats ${variable}, to which a computed value is added with +="
                ))
            }
        }
    }
    for addition in additions
        .iter()
        .filter(|a| a.variable == name && between(a.start))
    {
        keys.push(SplatKey {
            name: addition.key.clone(),
            node: addition.node,
        });
    }
    let mut seen: Vec<String> = Vec::new();
    keys.retain(|k| {
        let lower = k.name.to_ascii_lowercase();
        let fresh = !seen.contains(&lower);
        seen.push(lower);
        fresh
    });
    Splat::Keys(keys)
}

/// The variable assigned by the left side of an assignment: `$x`, `[hashtable]$x`.
pub fn assigned_variable<'s>(left: Node<'_>, source: &'s str) -> Option<&'s str> {
    let mut node = unwrap(left);
    loop {
        match node.kind() {
            "variable" => return Some(text(node, source)),
            "expression_with_unary_operator" | "cast_expression" => {
                node = unwrap(*named_children(node).last()?);
            }
            _ => return None,
        }
    }
}

/// A key added by the left side of an assignment: `$x.Key = ...` or `$x['Key'] = ...`; returns
/// the variable, the key and the key's node.
pub fn added_key<'t>(left: Node<'t>, source: &str) -> Option<(String, String, Node<'t>)> {
    let node = unwrap(left);
    match node.kind() {
        "member_access" => {
            let receiver = node.named_child(0)?;
            if receiver.kind() != "variable" {
                return None;
            }
            let member = child_of_kind(node, "member_name")?;
            let key = literal_value(member, source).or_else(|| {
                let simple = child_of_kind(member, "simple_name")?;
                Some(text(simple, source).to_string())
            })?;
            Some((normalize_variable(text(receiver, source)), key, member))
        }
        "element_access" => {
            let receiver = node.named_child(0)?;
            if receiver.kind() != "variable" {
                return None;
            }
            let index = node.named_child(1)?;
            let key = literal_value(index, source)?;
            Some((normalize_variable(text(receiver, source)), key, index))
        }
        _ => None,
    }
}

/// A key added by a method call: `$x.Add('Key', value)`.
pub fn added_by_method<'t>(call: Node<'t>, source: &str) -> Option<(String, String, Node<'t>)> {
    let receiver = call.named_child(0)?;
    if receiver.kind() != "variable" {
        return None;
    }
    let member = child_of_kind(call, "member_name")?;
    if !text(member, source).eq_ignore_ascii_case("Add") {
        return None;
    }
    let list = child_of_kind(call, "argument_list")
        .and_then(|l| child_of_kind(l, "argument_expression_list"))?;
    let first = *named_children(list).first()?;
    let key = literal_value(first, source)?;
    Some((normalize_variable(text(receiver, source)), key, first))
}
