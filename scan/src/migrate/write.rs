//! Writing a converted script: a backup of the original first (`x.ps1.bak`, or `x.ps1.bak.1`,
//! ... when one exists), then the new bytes to a temporary file in the same folder, renamed over
//! the original, so the script is never half written.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Error;

/// The first free backup name for `path`.
fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".bak");
    let first = PathBuf::from(&name);
    if !first.exists() {
        return first;
    }
    (1..)
        .map(|i| {
            let mut numbered = name.clone();
            numbered.push(format!(".{i}"));
            PathBuf::from(numbered)
        })
        .find(|p| !p.exists())
        .expect("some backup name is free")
}

/// Replaces `path`'s content with `bytes`, keeping a backup; returns the backup's path.
pub fn write_with_backup(path: &Path, bytes: &[u8]) -> Result<PathBuf, Error> {
    let backup = backup_path(path);
    std::fs::copy(path, &backup).map_err(|e| Error::io(&backup, e))?;
    let permissions = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .permissions();
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = folder.join(format!(".{file_name}.graphmail-{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::set_permissions(&temporary, permissions)?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(Error::io(path, e));
    }
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_is_kept_in_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("send.ps1");
        std::fs::write(&script, b"old").unwrap();
        let backup = write_with_backup(&script, b"new").unwrap();
        assert_eq!(backup, dir.path().join("send.ps1.bak"));
        assert_eq!(std::fs::read(&script).unwrap(), b"new");
        assert_eq!(std::fs::read(&backup).unwrap(), b"old");
        let second = write_with_backup(&script, b"newer").unwrap();
        assert_eq!(second, dir.path().join("send.ps1.bak.1"));
        assert_eq!(std::fs::read(&second).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "no temporary file left: {names:?}");
    }
}
