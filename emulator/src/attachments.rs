//! Attachment bytes on disk, `attachments/<message id>/<attachment id>` in the data folder,
//! with their SHA-256; and the Graph JSON shape of a stored attachment.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::error::EmulatorError;

/// Name of the folder (inside the data folder) holding attachment bytes, one sub-folder per
/// message (draft or sent).
pub const ATTACHMENTS_DIR: &str = "attachments";

/// `@odata.type` of a file attachment.
pub(crate) const FILE_ATTACHMENT: &str = "#microsoft.graph.fileAttachment";

/// One attachment of a stored message or draft, its bytes in a file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredAttachment {
    /// The attachment ID (as listed by Graph and used in the upload `Location`).
    pub id: String,
    /// The file name (`name`); empty when the request gave none.
    pub name: String,
    /// The MIME type the request gave (`contentType`), if any.
    pub content_type: Option<String>,
    /// Size of the stored bytes.
    pub size: u64,
    /// SHA-256 of the stored bytes, lower-case hex.
    pub sha256: String,
    /// `isInline`.
    pub is_inline: bool,
    /// `contentId` (the `cid:` an HTML body refers to), if any.
    pub content_id: Option<String>,
    /// Whether the bytes arrived through an upload session (rather than inline JSON or MIME).
    pub uploaded: bool,
    /// The file holding the bytes (item attachments: the item's JSON).
    pub path: PathBuf,
}

/// What describes an attachment besides its bytes.
#[derive(Clone, Debug, Default)]
pub(crate) struct AttachmentMeta {
    pub(crate) name: String,
    pub(crate) content_type: Option<String>,
    pub(crate) is_inline: bool,
    pub(crate) content_id: Option<String>,
}

/// The attachment folder of one emulator.
pub(crate) struct AttachmentFiles {
    root: PathBuf,
}

impl AttachmentFiles {
    /// Open (creating) `data_dir/attachments`.
    pub(crate) fn open(data_dir: &Path) -> Result<Self, EmulatorError> {
        let root = data_dir.join(ATTACHMENTS_DIR);
        fs::create_dir_all(&root)
            .map_err(|e| EmulatorError::io(format!("creating {}", root.display()), e))?;
        Ok(AttachmentFiles { root })
    }

    fn dir(&self, message_id: &str) -> PathBuf {
        self.root.join(message_id)
    }

    /// Write `bytes` as attachment `id` of message `message_id`.
    pub(crate) async fn write(
        &self,
        message_id: &str,
        id: String,
        meta: AttachmentMeta,
        bytes: &[u8],
    ) -> io::Result<StoredAttachment> {
        let dir = self.dir(message_id);
        tokio::fs::create_dir_all(&dir).await?;
        let path = dir.join(&id);
        tokio::fs::write(&path, bytes).await?;
        Ok(stored(
            id,
            meta,
            bytes.len() as u64,
            sha256_hex(bytes),
            false,
            path,
        ))
    }

    /// Move a finished upload (`from`, already hashed) into place as attachment `id` of message
    /// `message_id`.
    pub(crate) async fn adopt(
        &self,
        message_id: &str,
        id: String,
        meta: AttachmentMeta,
        from: &Path,
        size: u64,
        sha256: String,
    ) -> io::Result<StoredAttachment> {
        let dir = self.dir(message_id);
        tokio::fs::create_dir_all(&dir).await?;
        let path = dir.join(&id);
        tokio::fs::rename(from, &path).await?;
        Ok(stored(id, meta, size, sha256, true, path))
    }

    /// Delete the attachments of message `message_id`.
    pub(crate) async fn remove_message(&self, message_id: &str) -> io::Result<()> {
        match tokio::fs::remove_dir_all(self.dir(message_id)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Delete the attachments of every message except those in `keep` (open drafts), also
    /// those left by earlier runs.
    pub(crate) fn clear_except(&self, keep: &HashSet<String>) -> io::Result<()> {
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            if keep.contains(entry.file_name().to_string_lossy().as_ref()) {
                continue;
            }
            let removed = if entry.file_type()?.is_dir() {
                fs::remove_dir_all(entry.path())
            } else {
                fs::remove_file(entry.path())
            };
            match removed {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}

fn stored(
    id: String,
    meta: AttachmentMeta,
    size: u64,
    sha256: String,
    uploaded: bool,
    path: PathBuf,
) -> StoredAttachment {
    StoredAttachment {
        id,
        name: meta.name,
        content_type: meta.content_type,
        size,
        sha256,
        is_inline: meta.is_inline,
        content_id: meta.content_id,
        uploaded,
        path,
    }
}

/// SHA-256 of `bytes`, lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The attachment as Graph lists it (no content): `@odata.type`, `id`, `name`,
/// `contentType`, `size`, `isInline`, `contentId`, `lastModifiedDateTime`.
pub(crate) fn graph_json(stored: &StoredAttachment, odata_type: &str, modified: &str) -> Value {
    json!({
        "@odata.type": odata_type,
        "id": stored.id,
        "name": stored.name,
        "contentType": stored.content_type,
        "size": stored.size,
        "isInline": stored.is_inline,
        "contentId": stored.content_id,
        "lastModifiedDateTime": modified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_lower_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex(&[0, 255, 16]), "00ff10");
    }

    #[tokio::test]
    async fn write_adopt_remove_and_clear() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = AttachmentFiles::open(dir.path()).expect("open");
        let meta = AttachmentMeta {
            name: "a.txt".into(),
            ..AttachmentMeta::default()
        };
        let a = files
            .write("m1", "a1".into(), meta.clone(), b"abc")
            .await
            .expect("write");
        assert_eq!(a.size, 3);
        assert_eq!(std::fs::read(&a.path).expect("read"), b"abc");
        let part = dir.path().join("part");
        std::fs::write(&part, b"xyz").expect("part");
        let b = files
            .adopt("m2", "b1".into(), meta, &part, 3, "h".into())
            .await
            .expect("adopt");
        assert!(b.uploaded && b.path.exists() && !part.exists());
        files.remove_message("m1").await.expect("remove");
        files.remove_message("m1").await.expect("remove twice");
        assert!(!a.path.exists());
        files
            .clear_except(&HashSet::from(["m2".to_string()]))
            .expect("clear");
        assert!(b.path.exists());
        files.clear_except(&HashSet::new()).expect("clear all");
        assert!(!b.path.exists());
    }
}
