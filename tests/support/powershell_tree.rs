//! Reading PowerShell with tree-sitter-powershell, for tests/powershell_scripts.rs: parsing,
//! syntax errors, a function's param block (parameters with their type, [Parameter] arguments,
//! aliases and other attributes) and the top-level keys of a .psd1 manifest.

use std::path::Path;

use tree_sitter::{Node, Parser, Tree};

pub fn parse(source: &str) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("tree-sitter-powershell loads");
    parser
        .parse(source, None)
        .expect("the parser returns a tree")
}

pub fn text<'a>(node: Node<'_>, source: &'a str) -> &'a str {
    &source[node.byte_range()]
}

pub fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

pub fn child_of_kind<'t>(node: Node<'t>, kind: &str) -> Option<Node<'t>> {
    named_children(node).into_iter().find(|c| c.kind() == kind)
}

/// Every node of the subtree, depth first, in source order.
pub fn descendants(node: Node<'_>) -> Vec<Node<'_>> {
    let mut out = vec![node];
    let mut i = 0;
    while i < out.len() {
        let mut cursor = out[i].walk();
        let children: Vec<_> = out[i].children(&mut cursor).collect();
        out.extend(children);
        i += 1;
    }
    out.sort_by_key(|n| (n.start_byte(), std::cmp::Reverse(n.end_byte())));
    out
}

pub fn unquote(value: &str) -> String {
    let v = value.trim();
    if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
        v[1..v.len() - 1].replace("''", "'")
    } else if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

/// `file:line:column` of every ERROR or MISSING node.
pub fn syntax_errors(path: &Path, source: &str) -> Vec<String> {
    let tree = parse(source);
    if !tree.root_node().has_error() {
        return Vec::new();
    }
    descendants(tree.root_node())
        .into_iter()
        .filter(|n| n.is_error() || n.is_missing())
        .map(|n| {
            let at = n.start_position();
            let snippet: String = text(n, source).chars().take(60).collect();
            format!(
                "{}:{}:{}: {} near `{}`",
                path.display(),
                at.row + 1,
                at.column + 1,
                if n.is_missing() {
                    format!("missing {}", n.kind())
                } else {
                    "syntax error".to_string()
                },
                snippet.replace('\n', "\\n")
            )
        })
        .collect()
}

/// One parameter of a param block, as declared.
#[derive(Debug, Default)]
pub struct Param {
    pub name: String,
    pub line: usize,
    /// The type constraint, normalized (`system.string[]`).
    pub type_name: Option<String>,
    pub position: Option<i64>,
    pub mandatory: bool,
    pub from_pipeline: bool,
    pub by_property_name: bool,
    pub aliases: Vec<String>,
    /// Other attributes, normalized: `validatenotnullorempty`, `credential`,
    /// `validaterange(0,[int]::maxvalue)`.
    pub attributes: Vec<String>,
    pub default: Option<String>,
}

/// One attribute: its name (normalized) and arguments as (name, value) pairs; a positional
/// argument has no name, a named one without a value (`Mandatory`) has the value `$true`.
pub struct Attribute {
    pub name: String,
    pub arguments: Vec<(Option<String>, String)>,
}

/// Lower case, no `System.Management.Automation.` prefix, no `Attribute` suffix.
pub fn normalize_attribute(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    let short = lower
        .strip_prefix("system.management.automation.")
        .unwrap_or(&lower);
    short.strip_suffix("attribute").unwrap_or(short).to_string()
}

/// Full .NET names, lower case: `string[]` and `System.String[]` are the same type.
pub fn normalize_type(name: &str) -> String {
    let compact: String = name
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let (base, array) = match compact.strip_suffix("[]") {
        Some(b) => (b.to_string(), "[]"),
        None => (compact, ""),
    };
    let full = match base.as_str() {
        "string" => "system.string".to_string(),
        "int" | "int32" => "system.int32".to_string(),
        "bool" | "boolean" => "system.boolean".to_string(),
        "switch" | "switchparameter" => "system.management.automation.switchparameter".to_string(),
        "pscredential" => "system.management.automation.pscredential".to_string(),
        "securestring" => "system.security.securestring".to_string(),
        "hashtable" => "system.collections.hashtable".to_string(),
        other if other.starts_with("system.") => other.to_string(),
        other => format!("system.{other}"),
    };
    format!("{full}{array}")
}

pub fn attribute_of(node: Node<'_>, source: &str) -> Option<Attribute> {
    let name = child_of_kind(node, "attribute_name")?;
    let mut arguments = Vec::new();
    if let Some(args) = child_of_kind(node, "attribute_arguments") {
        for arg in named_children(args)
            .into_iter()
            .filter(|a| a.kind() == "attribute_argument")
        {
            let key = child_of_kind(arg, "simple_name").map(|k| text(k, source).to_string());
            let value = child_of_kind(arg, "logical_expression")
                .map(|v| text(v, source).to_string())
                .unwrap_or_else(|| "$true".to_string());
            arguments.push((key, value));
        }
    }
    Some(Attribute {
        name: normalize_attribute(text(name, source)),
        arguments,
    })
}

pub fn is_true(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("$true")
}

pub fn param_of(node: Node<'_>, source: &str) -> Result<Param, String> {
    let variable = child_of_kind(node, "variable").ok_or("a parameter without a variable")?;
    let mut param = Param {
        name: text(variable, source).trim_start_matches('$').to_string(),
        line: node.start_position().row + 1,
        default: child_of_kind(node, "script_parameter_default")
            .and_then(|d| child_of_kind(d, "logical_expression"))
            .map(|d| text(d, source).to_string()),
        ..Param::default()
    };
    let attributes = child_of_kind(node, "attribute_list")
        .map(named_children)
        .unwrap_or_default();
    let mut parameter_attributes = 0;
    for attribute in attributes.into_iter().filter(|a| a.kind() == "attribute") {
        if let Some(type_literal) = child_of_kind(attribute, "type_literal") {
            if param.type_name.is_some() {
                return Err(format!("${} has two type constraints", param.name));
            }
            let spec = child_of_kind(type_literal, "type_spec").unwrap_or(type_literal);
            param.type_name = Some(normalize_type(text(spec, source)));
            continue;
        }
        let Some(attr) = attribute_of(attribute, source) else {
            continue;
        };
        match attr.name.as_str() {
            "parameter" => {
                parameter_attributes += 1;
                for (key, value) in &attr.arguments {
                    let Some(key) = key else {
                        return Err(format!("${}: positional [Parameter] argument", param.name));
                    };
                    match key.to_ascii_lowercase().as_str() {
                        "mandatory" => param.mandatory = is_true(value),
                        "valuefrompipeline" => param.from_pipeline = is_true(value),
                        "valuefrompipelinebypropertyname" => {
                            param.by_property_name = is_true(value)
                        }
                        "position" => {
                            param.position = Some(value.trim().parse().map_err(|_| {
                                format!("${}: Position {value} is not a number", param.name)
                            })?)
                        }
                        _ => {}
                    }
                }
            }
            "alias" => param
                .aliases
                .extend(attr.arguments.iter().map(|(_, v)| unquote(v))),
            other => {
                let args: Vec<String> = attr
                    .arguments
                    .iter()
                    .map(|(_, v)| {
                        v.chars()
                            .filter(|c| !c.is_whitespace())
                            .collect::<String>()
                            .to_ascii_lowercase()
                    })
                    .collect();
                param.attributes.push(if args.is_empty() {
                    other.to_string()
                } else {
                    format!("{other}({})", args.join(","))
                });
            }
        }
    }
    if parameter_attributes > 1 {
        return Err(format!(
            "${} has {parameter_attributes} [Parameter] attributes",
            param.name
        ));
    }
    Ok(param)
}

/// The function's param block: its [CmdletBinding] arguments and its parameters.
pub struct Function {
    pub cmdlet_binding: Vec<(Option<String>, String)>,
    pub params: Vec<Param>,
    pub help: Option<String>,
}

pub fn function_in(source: &str, name: &str) -> Result<Function, String> {
    let tree = parse(source);
    let function = descendants(tree.root_node())
        .into_iter()
        .find(|n| {
            n.kind() == "function_statement"
                && child_of_kind(*n, "function_name")
                    .is_some_and(|f| text(f, source).eq_ignore_ascii_case(name))
        })
        .ok_or_else(|| format!("no function {name}"))?;
    let block = child_of_kind(function, "script_block")
        .and_then(|b| child_of_kind(b, "param_block"))
        .ok_or_else(|| format!("{name} has no param block"))?;
    let help = descendants(function)
        .into_iter()
        .find(|n| {
            n.kind() == "comment"
                && n.start_byte() < block.start_byte()
                && text(*n, source).starts_with("<#")
        })
        .map(|n| text(n, source).to_string());
    let cmdlet_binding = child_of_kind(block, "attribute_list")
        .map(named_children)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| attribute_of(a, source))
        .find(|a| a.name == "cmdletbinding")
        .map(|a| a.arguments)
        .ok_or_else(|| format!("{name} has no [CmdletBinding()]"))?;
    let params = child_of_kind(block, "parameter_list")
        .map(named_children)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.kind() == "script_parameter")
        .map(|p| param_of(p, source))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Function {
        cmdlet_binding,
        params,
        help,
    })
}

/// The top-level keys of a .psd1 and the strings in each value (`@()` gives none).
pub fn manifest_entries(source: &str) -> Vec<(String, Vec<String>)> {
    let tree = parse(source);
    let root = tree.root_node();
    let Some(hash) = descendants(root)
        .into_iter()
        .find(|n| n.kind() == "hash_literal_body")
    else {
        return Vec::new();
    };
    named_children(hash)
        .into_iter()
        .filter(|e| e.kind() == "hash_entry")
        .filter_map(|entry| {
            let key = child_of_kind(entry, "key_expression")?;
            let value = named_children(entry)
                .into_iter()
                .find(|c| c.kind() != "key_expression" && c.kind() != "comment")?;
            let strings = descendants(value)
                .into_iter()
                .filter(|n| n.kind() == "string_literal")
                .map(|n| unquote(text(n, source)))
                .collect();
            Some((unquote(text(key, source)), strings))
        })
        .collect()
}

/// Every variable a script assigns, declares as a parameter or uses as a foreach variable, with
/// its line: `$x = ...`, `$a, $b = ...`, `[int]$x = ...`, `param($x)`, `foreach ($x in ...)`.
/// Assignments to a member or an element (`$a.b = ...`, `$a[0] = ...`) are not included.
pub fn assigned_variables(source: &str) -> Vec<(String, usize)> {
    let tree = parse(source);
    let mut out = Vec::new();
    for node in descendants(tree.root_node()) {
        let targets: Vec<Node<'_>> = match node.kind() {
            "left_assignment_expression" => descendants(node)
                .into_iter()
                .filter(|v| v.kind() == "variable" && is_whole_target(*v, node))
                .collect(),
            "foreach_statement" | "script_parameter" => {
                child_of_kind(node, "variable").into_iter().collect()
            }
            _ => Vec::new(),
        };
        for variable in targets {
            out.push((
                text(variable, source).trim_start_matches('$').to_string(),
                variable.start_position().row + 1,
            ));
        }
    }
    out
}

/// False when the variable is only the object of a member or element assignment.
fn is_whole_target(variable: Node<'_>, left: Node<'_>) -> bool {
    let mut node = variable;
    while let Some(parent) = node.parent() {
        if parent.id() == left.id() {
            return true;
        }
        if matches!(
            parent.kind(),
            "member_access" | "element_access" | "invokation_expression"
        ) {
            return false;
        }
        node = parent;
    }
    true
}
