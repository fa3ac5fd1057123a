//! Reading tree-sitter-powershell syntax trees: the parser, node helpers, literal values and type
//! names.

use tree_sitter::{Node, Parser, Tree};

use crate::Error;

/// A parser for PowerShell (one per thread: parsers are not shared).
pub fn parser() -> Result<Parser, Error> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .map_err(|e| Error::Grammar(e.to_string()))?;
    Ok(parser)
}

/// Parses a script. tree-sitter always returns a tree (with ERROR nodes where the text is not
/// PowerShell) unless parsing was cancelled, which this crate never does. Numeric literals are
/// lowercased first (see the numbers module); node positions are those of `text`.
pub fn parse(parser: &mut Parser, text: &str) -> Tree {
    let text = crate::numbers::lowercase_numbers(text);
    parser
        .parse(text.as_ref(), None)
        .expect("a parser with a language and no cancellation returns a tree")
}

/// The source text of a node.
pub fn text<'s>(node: Node<'_>, source: &'s str) -> &'s str {
    &source[node.byte_range()]
}

/// The named children of a node.
pub fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// The first named child of a kind.
pub fn child_of_kind<'t>(node: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let mut cursor = node.walk();
    let found = node.named_children(&mut cursor).find(|c| c.kind() == kind);
    found
}

/// Expression kinds that wrap a single operand when there is no operator: `'a'` is a
/// `string_literal` inside a chain of these.
fn is_wrapper(kind: &str) -> bool {
    matches!(
        kind,
        "pipeline"
            | "left_assignment_expression"
            | "pipeline_chain"
            | "logical_expression"
            | "bitwise_expression"
            | "comparison_expression"
            | "additive_expression"
            | "multiplicative_expression"
            | "format_expression"
            | "range_expression"
            | "array_literal_expression"
            | "unary_expression"
            | "argument_expression"
            | "logical_argument_expression"
            | "bitwise_argument_expression"
            | "comparison_argument_expression"
            | "additive_argument_expression"
            | "multiplicative_argument_expression"
            | "format_argument_expression"
            | "range_argument_expression"
            | "statement_list"
    )
}

/// Strips single-operand wrappers: the node that carries the value.
pub fn unwrap(mut node: Node<'_>) -> Node<'_> {
    while is_wrapper(node.kind()) && node.child_count() == 1 {
        match node.child(0) {
            Some(child) => node = child,
            None => break,
        }
    }
    node
}

/// Like [`unwrap`], and also through parentheses, casts (`[ordered]@{...}`) and `$( )`.
pub fn unwrap_deep(node: Node<'_>) -> Node<'_> {
    let mut node = unwrap(node);
    loop {
        let next = match node.kind() {
            "parenthesized_expression" | "sub_expression" => {
                match named_children(node).as_slice() {
                    [only] => *only,
                    _ => return node,
                }
            }
            "expression_with_unary_operator" if node.child_count() == 1 => match node.child(0) {
                Some(child) => child,
                None => return node,
            },
            "cast_expression" => match named_children(node).last() {
                Some(operand) if operand.kind() != "type_literal" => *operand,
                _ => return node,
            },
            _ => return node,
        };
        node = unwrap(next);
    }
}

/// The value of a literal: a quoted string or here-string with no variable or sub-expression in
/// it, or a bare word (`smtp.office365.com` as a command argument) without `$`. `None` for
/// anything computed.
pub fn literal_value(node: Node<'_>, source: &str) -> Option<String> {
    let node = unwrap(node);
    match node.kind() {
        "string_literal" => match named_children(node).as_slice() {
            [inner] => literal_value(*inner, source),
            _ => None,
        },
        "verbatim_string_characters" => {
            let t = text(node, source);
            let inner = strip_quotes(t, '\'')?;
            Some(inner.replace("''", "'"))
        }
        "expandable_string_literal" => {
            if node.named_child_count() > 0 {
                return None;
            }
            let t = text(node, source);
            Some(unescape(strip_quotes(t, '"')?))
        }
        "verbatim_here_string_characters" => here_string_body(text(node, source), '\''),
        "expandable_here_string_literal" => {
            if node.named_child_count() > 0 {
                return None;
            }
            here_string_body(text(node, source), '"').map(|b| unescape(&b))
        }
        "generic_token" => {
            let t = text(node, source);
            (!t.contains('$') && !t.contains('`')).then(|| t.to_string())
        }
        _ => None,
    }
}

fn strip_quotes(t: &str, quote: char) -> Option<&str> {
    let inner = t.strip_prefix(quote)?;
    inner.strip_suffix(quote)
}

fn here_string_body(t: &str, quote: char) -> Option<String> {
    let opening = format!("@{quote}");
    let closing = format!("{quote}@");
    let body = t.strip_prefix(&opening)?.strip_suffix(&closing)?;
    // The opening line ends right after @' and the closing '@ starts its own line.
    let body = body
        .strip_prefix("\r\n")
        .or_else(|| body.strip_prefix('\n'))
        .unwrap_or(body);
    let body = body
        .strip_suffix("\r\n")
        .or_else(|| body.strip_suffix('\n'))
        .unwrap_or(body);
    Some(body.to_string())
}

/// Backtick escapes of a double-quoted string (enough to compare values, not to run them).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '`' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out.replace("\"\"", "\"")
}

/// A .NET type name, compared loosely: lower case, no spaces, no `System.` prefix.
pub fn normalize_type(name: &str) -> String {
    let compact: String = name
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    compact
        .strip_prefix("system.")
        .map(str::to_string)
        .unwrap_or(compact)
}

/// The type named by a `type_literal` (`[Net.Mail.SmtpClient]`), normalized.
pub fn type_literal_name(node: Node<'_>, source: &str) -> Option<String> {
    if node.kind() != "type_literal" {
        return None;
    }
    let spec = child_of_kind(node, "type_spec")?;
    Some(normalize_type(text(spec, source)))
}

/// True for the names of `System.Net.Mail.<class_name>` as scripts write them: the full name,
/// without `System.`, or the bare class name (after `using namespace System.Net.Mail`).
pub fn is_mail_type(normalized: &str, class_name: &str) -> bool {
    let class_name = class_name.to_ascii_lowercase();
    normalized == class_name
        || normalized
            .strip_suffix(&class_name)
            .is_some_and(|ns| ns == "net.mail." || ns == "mail.")
}

/// Whether a subtree has ERROR or MISSING nodes, and the first one's start byte.
pub fn first_error(node: Node<'_>) -> Option<usize> {
    if !node.has_error() {
        return None;
    }
    let mut cursor = node.walk();
    loop {
        let current = cursor.node();
        if current.is_error() || current.is_missing() {
            return Some(current.start_byte());
        }
        if current.has_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return Some(node.start_byte());
            }
        }
    }
}

/// The number of ERROR and MISSING nodes in a tree.
pub fn error_count(tree: &Tree) -> usize {
    let root = tree.root_node();
    if !root.has_error() {
        return 0;
    }
    let mut count = 0;
    let mut cursor = root.walk();
    let mut descend = true;
    loop {
        let node = cursor.node();
        if descend {
            if node.is_error() || node.is_missing() {
                count += 1;
            }
            if node.has_error() && cursor.goto_first_child() {
                continue;
            }
        }
        if cursor.goto_next_sibling() {
            descend = true;
            continue;
        }
        if !cursor.goto_parent() {
            return count;
        }
        descend = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_value(source: &str) -> Option<String> {
        let mut parser = parser().unwrap();
        let tree = parse(&mut parser, source);
        // The right-hand side of `$x = <value>`.
        let root = tree.root_node();
        let mut found = None;
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            if node.kind() == "assignment_expression" {
                found = named_children(node).last().copied();
                break;
            }
            stack.extend(named_children(node).into_iter().rev());
        }
        found.and_then(|n| literal_value(n, source))
    }

    #[test]
    fn literals_and_computed_values() {
        assert_eq!(first_value("$x = 'it''s'"), Some("it's".into()));
        assert_eq!(first_value("$x = \"plain\""), Some("plain".into()));
        assert_eq!(first_value("$x = \"a `\"b`\"\""), Some("a \"b\"".into()));
        assert_eq!(first_value("$x = \"with $var\""), None);
        assert_eq!(first_value("$x = \"$(Get-Date)\""), None);
        assert_eq!(first_value("$x = @'\nline\n'@\n"), Some("line".into()));
        assert_eq!(first_value("$x = @\"\r\nline $y\r\n\"@\r\n"), None);
        assert_eq!(first_value("$x = 42"), None);
        assert_eq!(first_value("$x = Get-Secret"), None);
    }

    #[test]
    fn mail_type_names() {
        assert!(is_mail_type(
            &normalize_type("System.Net.Mail.SmtpClient"),
            "SmtpClient"
        ));
        assert!(is_mail_type(
            &normalize_type("Net.Mail.SmtpClient"),
            "SmtpClient"
        ));
        assert!(is_mail_type(&normalize_type("SmtpClient"), "SmtpClient"));
        assert!(!is_mail_type(
            &normalize_type("MailKit.Net.Smtp.SmtpClient"),
            "SmtpClient"
        ));
        assert!(!is_mail_type(
            &normalize_type("Net.Mail.MailMessage"),
            "SmtpClient"
        ));
    }

    #[test]
    fn errors_are_counted() {
        let mut parser = parser().unwrap();
        assert_eq!(error_count(&parse(&mut parser, "Get-Date\n")), 0);
        let broken = parse(&mut parser, "if ($x { }\n");
        assert!(error_count(&broken) > 0);
        assert!(first_error(broken.root_node()).is_some());
    }
}
