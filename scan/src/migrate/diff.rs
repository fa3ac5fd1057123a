//! A unified diff of two texts, line by line (Myers' shortest edit script), with three lines of
//! context, as `diff -u` and `git diff` print it.

const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// Line `old` equals line `new`.
    Equal(usize, usize),
    /// Old line removed.
    Delete(usize),
    /// New line added.
    Insert(usize),
}

/// Lines with their terminators, so a missing final newline is a difference.
fn split_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The shortest edit script from `a` to `b`.
fn edit_script(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m) as usize;
    let offset = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    // trace[d] = v[-(d+1) ..= d+1] before round d.
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let mut end_d = 0;
    'rounds: for d in 0..=max as isize {
        let lo = (offset - d - 1) as usize;
        let hi = (offset + d + 1) as usize;
        trace.push(v[lo..=hi].to_vec());
        let mut k = -d;
        while k <= d {
            let index = (offset + k) as usize;
            let mut x = if k == -d || (k != d && v[index - 1] < v[index + 1]) {
                v[index + 1]
            } else {
                v[index - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[index] = x;
            if x >= n && y >= m {
                end_d = d;
                break 'rounds;
            }
            k += 2;
        }
    }
    // Walk back from (n, m).
    let mut ops = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (0..=end_d).rev() {
        let snapshot = &trace[d as usize];
        let at = |k: isize| snapshot[(k + d + 1) as usize];
        let k = x - y;
        let (prev_x, prev_y) = if d == 0 {
            (0, 0)
        } else {
            let prev_k = if k == -d || (k != d && at(k - 1) < at(k + 1)) {
                k + 1
            } else {
                k - 1
            };
            let prev_x = at(prev_k);
            (prev_x, prev_x - prev_k)
        };
        while x > prev_x && y > prev_y {
            x -= 1;
            y -= 1;
            ops.push(Op::Equal(x as usize, y as usize));
        }
        if d > 0 {
            if x == prev_x {
                ops.push(Op::Insert(prev_y as usize));
            } else {
                ops.push(Op::Delete(prev_x as usize));
            }
            x = prev_x;
            y = prev_y;
        }
    }
    ops.reverse();
    ops
}

/// A unified diff from `old` to `new`, with `---`/`+++` headers naming `old_name` and
/// `new_name`; empty when the texts are equal.
pub fn unified(old_name: &str, new_name: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a = split_lines(old);
    let b = split_lines(new);
    let ops = edit_script(&a, &b);
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    // Group changes that are within 2 * CONTEXT equal lines of each other.
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| !matches!(op, Op::Equal(..)))
        .map(|(i, _)| i)
        .collect();
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for &i in &changed {
        match groups.last_mut() {
            Some((_, last)) if i - *last <= 2 * CONTEXT + 1 => *last = i,
            _ => groups.push((i, i)),
        }
    }
    for (first, last) in groups {
        let start = first.saturating_sub(CONTEXT);
        let end = (last + CONTEXT + 1).min(ops.len());
        let hunk = &ops[start..end];
        let (old_start, new_start) = starts(&ops, start);
        let old_count = hunk.iter().filter(|o| !matches!(o, Op::Insert(_))).count();
        let new_count = hunk.iter().filter(|o| !matches!(o, Op::Delete(_))).count();
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(old_start, old_count),
            range(new_start, new_count)
        ));
        for op in hunk {
            let (marker, line) = match *op {
                Op::Equal(i, _) => (' ', a[i]),
                Op::Delete(i) => ('-', a[i]),
                Op::Insert(j) => ('+', b[j]),
            };
            out.push(marker);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

/// The 0-based old and new line numbers where op `index` starts.
fn starts(ops: &[Op], index: usize) -> (usize, usize) {
    let mut old = 0;
    let mut new = 0;
    for op in &ops[..index] {
        match op {
            Op::Equal(..) => {
                old += 1;
                new += 1;
            }
            Op::Delete(_) => old += 1,
            Op::Insert(_) => new += 1,
        }
    }
    (old, new)
}

/// `start,count` as a hunk header writes it (1-based; an empty range names the line before).
fn range(start: usize, count: usize) -> String {
    match count {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{count}", start + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply_ops(a: &[&str], b: &[&str]) -> Vec<String> {
        edit_script(a, b)
            .into_iter()
            .filter_map(|op| match op {
                Op::Equal(i, _) => Some(a[i].to_string()),
                Op::Insert(j) => Some(b[j].to_string()),
                Op::Delete(_) => None,
            })
            .collect()
    }

    #[test]
    fn the_script_turns_one_text_into_the_other() {
        let cases: [(&str, &str); 6] = [
            ("", "a\n"),
            ("a\n", ""),
            ("a\nb\nc\n", "a\nc\n"),
            ("a\nb\nc\n", "x\na\nb\ny\nc\nz\n"),
            ("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\nX\n4\n5\n6\n7\nY\n9\n"),
            ("same\nno newline", "same\nno newline\n"),
        ];
        for (old, new) in cases {
            let a = split_lines(old);
            let b = split_lines(new);
            assert_eq!(apply_ops(&a, &b).concat(), new, "{old:?} -> {new:?}");
        }
    }

    #[test]
    fn a_unified_diff_with_context() {
        let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 5\n", "line five\n")
            .replace("line 18\n", "# added\nline 18\n");
        let diff = unified("a/x.ps1", "b/x.ps1", &old, &new);
        assert_eq!(
            diff,
            "--- a/x.ps1\n+++ b/x.ps1\n@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+line five\n line 6\n line 7\n line 8\n@@ -15,6 +15,7 @@\n line 15\n line 16\n line 17\n+# added\n line 18\n line 19\n line 20\n"
        );
        assert_eq!(unified("a", "b", &old, &old), "");
    }

    #[test]
    fn a_missing_final_newline_is_shown() {
        let diff = unified("a", "b", "x", "y");
        assert_eq!(
            diff,
            "--- a\n+++ b\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+y\n\\ No newline at end of file\n"
        );
    }
}
