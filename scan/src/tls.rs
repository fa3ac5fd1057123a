//! TLS 1.2: `[Net.ServicePointManager]::SecurityProtocol = ...` and whether the value includes
//! `Tls12` (or `Tls13`): `[Net.SecurityProtocolType]::Tls12`, `'Tls12'`, `3072`, combined with
//! `-bor` or a comma.

use tree_sitter::Node;

use crate::syntax::{child_of_kind, literal_value, text, type_literal_name, unwrap};

/// An assignment to `[Net.ServicePointManager]::SecurityProtocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolSetting {
    /// Where the assignment starts.
    pub start: usize,
    /// The value includes TLS 1.2 or 1.3.
    pub tls12: bool,
}

/// Reads an `assignment_expression`: `Some` when it sets the security protocol.
pub fn protocol_setting(assignment: Node<'_>, source: &str) -> Option<ProtocolSetting> {
    let left = assignment.named_child(0)?;
    let target = unwrap(left);
    if target.kind() != "member_access" {
        return None;
    }
    let receiver = target.named_child(0)?;
    let type_name = type_literal_name(receiver, source)?;
    if type_name != "net.servicepointmanager" {
        return None;
    }
    let member = child_of_kind(target, "member_name")?;
    if !text(member, source).eq_ignore_ascii_case("SecurityProtocol") {
        return None;
    }
    let last = assignment.named_child_count().checked_sub(1)?;
    let value = assignment.named_child(u32::try_from(last).ok()?)?;
    Some(ProtocolSetting {
        start: assignment.start_byte(),
        tls12: names_tls12(value, source),
    })
}

fn names_tls12(value: Node<'_>, source: &str) -> bool {
    let mut cursor = value.walk();
    let mut stack = vec![value];
    while let Some(node) = stack.pop() {
        let word = match node.kind() {
            "simple_name" | "generic_token" => Some(text(node, source).to_string()),
            "string_literal" => literal_value(node, source),
            "decimal_integer_literal" | "hexadecimal_integer_literal" => {
                let t = text(node, source).to_ascii_lowercase();
                let number = match t.strip_prefix("0x") {
                    Some(hex) => u64::from_str_radix(hex, 16).ok(),
                    None => t.parse::<u64>().ok(),
                };
                // Tls12 = 3072, Tls13 = 12288 (flags: a sum of protocols includes them too).
                if number.is_some_and(|n| n & (3072 | 12288) != 0) {
                    return true;
                }
                None
            }
            _ => None,
        };
        if let Some(word) = word {
            if word
                .split(|c: char| c == ',' || c.is_whitespace())
                .any(|w| w.eq_ignore_ascii_case("tls12") || w.eq_ignore_ascii_case("tls13"))
            {
                return true;
            }
        }
        stack.extend(node.named_children(&mut cursor));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{parse, parser};

    fn setting(source: &str) -> Option<bool> {
        let mut parser = parser().unwrap();
        let tree = parse(&mut parser, source);
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            if node.kind() == "assignment_expression" {
                return protocol_setting(node, source).map(|s| s.tls12);
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        None
    }

    #[test]
    fn tls12_in_every_spelling() {
        for source in [
            "[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12",
            "[System.Net.ServicePointManager]::SecurityProtocol = 'Tls12'",
            "[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12",
            "[Net.ServicePointManager]::SecurityProtocol = 'Tls11, Tls12'",
            "[Net.ServicePointManager]::SecurityProtocol = 3072",
            "[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls13",
        ] {
            assert_eq!(setting(source), Some(true), "{source}");
        }
    }

    #[test]
    fn other_protocols_and_other_assignments() {
        assert_eq!(
            setting(
                "[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls"
            ),
            Some(false)
        );
        assert_eq!(setting("$protocol = 'Tls12'"), None);
        assert_eq!(
            setting("[Net.ServicePointManager]::Expect100Continue = $false"),
            None
        );
    }
}
