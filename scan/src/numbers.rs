//! A work-around for the grammar: tree-sitter-powershell 0.26 reads numeric literals only in
//! lower case (`1gb`, `0x1f`, `1e3`, `10l`), while PowerShell takes any case, and scripts write
//! `1GB`. Before parsing, such literals are lowercased in a copy of the text: the same length, so
//! every position stays where it was, and findings still read the original text. Without this,
//! each `1GB` is a syntax error, and error recovery makes the file several times slower to parse.

use std::borrow::Cow;

/// The text with numeric literals in lower case (borrowed when there is none to change).
pub fn lowercase_numbers(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut changes: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit() && (i == 0 || !continues_word(bytes[i - 1]));
        if !starts_number {
            i += 1;
            continue;
        }
        let end = token_end(bytes, i);
        if bytes[i..end].iter().any(u8::is_ascii_uppercase) && is_number(&bytes[i..end]) {
            changes.push((i, end));
        }
        i = end.max(i + 1);
    }
    if changes.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = bytes.to_vec();
    for (start, end) in changes {
        out[start..end].make_ascii_lowercase();
    }
    // Only ASCII letters changed case: still UTF-8.
    Cow::Owned(String::from_utf8(out).expect("ASCII case changes keep UTF-8 valid"))
}

/// Bytes that make a digit part of a word or a longer token (`$disk1GB`, `v1.2GB`, `a_1GB`,
/// `C:\Logs\2024GB`).
fn continues_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(byte, b'_' | b'$' | b'.' | b':' | b'@' | b'\\')
        || byte >= 0x80
}

/// The end of the token starting at `start`: letters, digits, `.`, and a sign right after an
/// exponent `e`.
fn token_end(bytes: &[u8], start: usize) -> usize {
    let mut end = start;
    while end < bytes.len() {
        let b = bytes[end];
        let sign_after_e = matches!(b, b'+' | b'-')
            && end > start
            && bytes[end - 1].eq_ignore_ascii_case(&b'e')
            && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
            && !bytes[start..end]
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&b'x'));
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || sign_after_e {
            end += 1;
        } else {
            break;
        }
    }
    // A trailing `.` is the member-access or range operator, not part of the number.
    while end > start + 1 && bytes[end - 1] == b'.' {
        end -= 1;
    }
    end
}

/// Whether a token (any case) is a PowerShell numeric literal: decimal or hex integer with an
/// optional `l`/`d` type suffix, or a real with an optional exponent; then an optional `kb`..`pb`
/// multiplier.
fn is_number(token: &[u8]) -> bool {
    let lower: Vec<u8> = token.iter().map(u8::to_ascii_lowercase).collect();
    let mut t: &[u8] = &lower;
    for suffix in [b"kb", b"mb", b"gb", b"tb", b"pb"] {
        if let Some(rest) = t.strip_suffix(suffix.as_slice()) {
            t = rest;
            break;
        }
    }
    if let Some(hex) = t.strip_prefix(b"0x") {
        let hex = hex.strip_suffix(b"l").unwrap_or(hex);
        return !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit);
    }
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if let Some(body) = t.strip_suffix(b"l").or_else(|| t.strip_suffix(b"d")) {
        if digits(body) {
            return true;
        }
    }
    let (mantissa, exponent) = match t.iter().position(|&c| c == b'e') {
        Some(at) => (&t[..at], Some(&t[at + 1..])),
        None => (t, None),
    };
    let mantissa_ok = match mantissa.iter().position(|&c| c == b'.') {
        Some(at) => digits(&mantissa[..at]) && digits(&mantissa[at + 1..]),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e
            .strip_prefix(b"+")
            .or_else(|| e.strip_prefix(b"-"))
            .unwrap_or(e);
        digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_lowercased_in_place() {
        let text = "$free = $disk.FreeSpace / 1GB; $max = 0x1FKB + 2.5MB + 1E3 + 10L\n";
        let lowered = lowercase_numbers(text);
        assert_eq!(
            lowered,
            "$free = $disk.FreeSpace / 1gb; $max = 0x1fkb + 2.5mb + 1e3 + 10l\n"
        );
        assert_eq!(lowered.len(), text.len());
    }

    #[test]
    fn words_and_other_tokens_are_left_alone() {
        for text in [
            "$disk1GB = 1\n",
            "Get-Item C:\\Logs\\2024GB\n",
            "$v = 'v1.2GB'\n",
            "Send-MailMessage -To a@b -Subject 'Quota 1gb'\n",
            "$ip = 10.0.0.1\n",
            "$x = 12ABC\n",
        ] {
            assert!(
                matches!(lowercase_numbers(text), Cow::Borrowed(_)),
                "{text} changed"
            );
        }
    }

    #[test]
    fn the_grammar_then_parses_them() {
        let mut parser = crate::syntax::parser().unwrap();
        let text = "$size = [math]::Round($disk.Size / 1GB, 1)\n";
        let tree = crate::syntax::parse(&mut parser, text);
        assert!(
            !tree.root_node().has_error(),
            "{}",
            tree.root_node().to_sexp()
        );
    }
}
