//! Lines of a script: from a byte offset to a line and column, and back to a line's start.

/// The start offsets of every line of a text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text` (lines end with `\n`; a `\r` before it belongs to the line).
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// The 0-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// The byte offset where 0-based `line` starts.
    pub fn start_of(&self, line: usize) -> usize {
        self.starts[line.min(self.starts.len() - 1)]
    }

    /// The 1-based line and 1-based column (in characters) of byte `offset` of `text`.
    pub fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = self.line_of(offset);
        let start = self.starts[line];
        let column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, column + 1)
    }
}

/// The line ending used by the line that starts at `line_start` (`\r\n` or `\n`).
pub fn line_ending_at(text: &str, line_start: usize) -> &'static str {
    let rest = &text.as_bytes()[line_start..];
    match memchr::memchr(b'\n', rest) {
        Some(i) if i > 0 && rest[i - 1] == b'\r' => "\r\n",
        Some(_) => "\n",
        // The last line: follow the first line ending of the file.
        None => match memchr::memchr(b'\n', text.as_bytes()) {
            Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let text = "a\r\nsüß = 1\nlast";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 0), (1, 1));
        assert_eq!(index.position(text, 3), (2, 1));
        let eq = text.find('=').unwrap();
        assert_eq!(index.position(text, eq), (2, 5));
        assert_eq!(index.position(text, text.len()), (3, 5));
        assert_eq!(index.start_of(2), text.find("last").unwrap());
    }

    #[test]
    fn line_endings_follow_the_file() {
        assert_eq!(line_ending_at("a\r\nb\r\n", 0), "\r\n");
        assert_eq!(line_ending_at("a\nb", 2), "\n");
        assert_eq!(line_ending_at("a\r\nb", 3), "\r\n");
    }
}
