//! Edits of a script's text: replacing a byte range, inserting at an offset.

/// Replaces `start..end` of the text with `text` (an insertion when the range is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// First byte replaced.
    pub start: usize,
    /// One past the last byte replaced.
    pub end: usize,
    /// The new text.
    pub text: String,
}

impl Edit {
    /// Replaces `start..end`.
    pub fn replace(start: usize, end: usize, text: impl Into<String>) -> Self {
        Edit {
            start,
            end,
            text: text.into(),
        }
    }

    /// Inserts at `at`.
    pub fn insert(at: usize, text: impl Into<String>) -> Self {
        Edit::replace(at, at, text)
    }
}

/// Applies edits to `text`. Edits are sorted by position; insertions at the same offset keep
/// their order. `None` if two edits overlap.
pub fn apply(text: &str, edits: &[Edit]) -> Option<String> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len() + 256);
    let mut at = 0;
    for edit in sorted {
        if edit.start < at || edit.end < edit.start || edit.end > text.len() {
            return None;
        }
        out.push_str(&text[at..edit.start]);
        out.push_str(&edit.text);
        at = edit.end;
    }
    out.push_str(&text[at..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_order() {
        let text = "Send-MailMessage a b";
        let edits = [
            Edit::insert(19, "-Subject "),
            Edit::replace(0, 16, "Send-GraphMail"),
            Edit::insert(17, "-To "),
        ];
        assert_eq!(
            apply(text, &edits).unwrap(),
            "Send-GraphMail -To a -Subject b"
        );
    }

    #[test]
    fn overlapping_edits_are_refused() {
        let edits = [Edit::replace(0, 5, "x"), Edit::replace(3, 8, "y")];
        assert_eq!(apply("0123456789", &edits), None);
    }
}
