//! Finding the scripts under the given paths: `.ps1`, `.psm1` and `.psd1` files in folders,
//! recursively (not following symbolic links to folders, skipping `.git`), and files named
//! directly whatever their extension.

use std::path::{Path, PathBuf};

use crate::Error;

/// The extensions of PowerShell scripts, modules and data files.
pub const EXTENSIONS: &[&str] = &["ps1", "psm1", "psd1"];

/// Whether a path has a PowerShell extension (any case).
pub fn is_script(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// The scripts under `paths`, sorted, without duplicates. A path that does not exist is an
/// error; a folder that cannot be read is reported in `unreadable` and skipped.
pub fn scripts(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<Error>), Error> {
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound { path: path.clone() },
            _ => Error::io(path, e),
        })?;
        if metadata.is_dir() {
            walk(path, &mut files, &mut unreadable);
        } else {
            files.push(path.clone());
        }
    }
    files.sort();
    files.dedup();
    Ok((files, unreadable))
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, unreadable: &mut Vec<Error>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            unreadable.push(Error::io(dir, e));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                unreadable.push(Error::io(dir, e));
                continue;
            }
        };
        let path = entry.path();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            if entry.file_name() != ".git" {
                walk(&path, files, unreadable);
            }
        } else if is_script(&path) && (file_type.is_file() || path.is_file()) {
            files.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_walked_for_scripts() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        for file in [
            "a/one.ps1",
            "a/b/two.PSM1",
            "a/data.psd1",
            "a/notes.txt",
            ".git/x.ps1",
        ] {
            std::fs::write(root.join(file), "").unwrap();
        }
        std::fs::write(root.join("direct.txt"), "").unwrap();
        let (files, unreadable) = scripts(&[root.to_path_buf(), root.join("direct.txt")]).unwrap();
        assert!(unreadable.is_empty());
        let names: Vec<String> = files
            .iter()
            .map(|f| {
                f.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        assert_eq!(
            names,
            ["a/b/two.PSM1", "a/data.psd1", "a/one.ps1", "direct.txt"]
        );
    }

    #[test]
    fn a_missing_path_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            scripts(&[dir.path().join("nope")]),
            Err(Error::NotFound { .. })
        ));
    }
}
