//! Upload sessions (`createUploadSession`): what each expects next, and their partial files
//! `uploads/<session id>.part` in the data folder.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::attachments::AttachmentMeta;
use crate::error::EmulatorError;

/// Name of the folder (inside the data folder) holding the partial files of open sessions.
pub const UPLOADS_DIR: &str = "uploads";
/// How long an upload URL stays valid.
pub(crate) const SESSION_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);
/// Smallest attachment an upload session accepts (3 MiB); smaller ones are posted directly.
pub const MIN_SESSION_BYTES: u64 = 3 * 1024 * 1024;
/// Largest attachment an upload session accepts (150 MiB).
pub const MAX_SESSION_BYTES: u64 = 150 * 1024 * 1024;
/// Largest chunk one `PUT` may carry (4 MiB).
pub const MAX_CHUNK_BYTES: u64 = 4 * 1024 * 1024;
/// The chunk size unit of Microsoft's SDKs (320 KiB); other chunk sizes are counted.
pub const CHUNK_ALIGNMENT: u64 = 320 * 1024;

/// One open upload session.
pub(crate) struct UploadSession {
    pub(crate) id: String,
    /// The secret of the upload URL (`?authtoken=`).
    pub(crate) authtoken: String,
    /// The mailbox as configured.
    pub(crate) mailbox: String,
    /// The app (client ID) that created the session: chunks count towards its throttling.
    pub(crate) client_id: String,
    pub(crate) draft_id: String,
    pub(crate) meta: AttachmentMeta,
    /// The attachment size announced at creation.
    pub(crate) size: u64,
    pub(crate) expires_at: OffsetDateTime,
    /// The partial file.
    pub(crate) path: PathBuf,
    /// Upload state; held while a chunk streams in, so chunks of one session never interleave.
    pub(crate) progress: tokio::sync::Mutex<Progress>,
}

impl std::fmt::Debug for UploadSession {
    // Never print the authtoken.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadSession")
            .field("id", &self.id)
            .field("authtoken", &"<redacted>")
            .field("mailbox", &self.mailbox)
            .field("draft_id", &self.draft_id)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// What a session has received so far.
#[derive(Debug)]
pub(crate) struct Progress {
    /// The next byte expected (= bytes stored).
    pub(crate) next: u64,
    /// Chunks stored.
    pub(crate) chunks: usize,
    /// SHA-256 of the bytes stored.
    pub(crate) hasher: Sha256,
    /// Set once the session completed or was cancelled; a waiting chunk then finds it gone.
    pub(crate) closed: bool,
}

/// What a new session is for.
pub(crate) struct NewSession {
    pub(crate) mailbox: String,
    pub(crate) client_id: String,
    pub(crate) draft_id: String,
    pub(crate) meta: AttachmentMeta,
    pub(crate) size: u64,
    pub(crate) now: OffsetDateTime,
}

/// The open upload sessions of one emulator.
pub(crate) struct UploadStore {
    dir: PathBuf,
    sessions: Mutex<HashMap<String, Arc<UploadSession>>>,
}

impl UploadStore {
    /// Open (creating) `data_dir/uploads`, deleting partial files of earlier runs (sessions
    /// do not survive a restart).
    pub(crate) fn open(data_dir: &Path) -> Result<Self, EmulatorError> {
        let dir = data_dir.join(UPLOADS_DIR);
        fs::create_dir_all(&dir)
            .map_err(|e| EmulatorError::io(format!("creating {}", dir.display()), e))?;
        let entries = fs::read_dir(&dir)
            .map_err(|e| EmulatorError::io(format!("reading {}", dir.display()), e))?;
        for entry in entries.filter_map(Result::ok) {
            if entry.file_name().to_string_lossy().ends_with(".part") {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(UploadStore {
            dir,
            sessions: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<UploadSession>>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Open a session.
    pub(crate) fn create(&self, new: NewSession) -> Arc<UploadSession> {
        let id = crate::random::session_id();
        let session = Arc::new(UploadSession {
            path: self.dir.join(format!("{id}.part")),
            id: id.clone(),
            authtoken: crate::random::access_token(),
            mailbox: new.mailbox,
            client_id: new.client_id,
            draft_id: new.draft_id,
            meta: new.meta,
            size: new.size,
            expires_at: new.now + SESSION_LIFETIME,
            progress: tokio::sync::Mutex::new(Progress {
                next: 0,
                chunks: 0,
                hasher: Sha256::new(),
                closed: false,
            }),
        });
        self.lock().insert(id, Arc::clone(&session));
        session
    }

    /// The open session `id`.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<UploadSession>> {
        self.lock().get(id).cloned()
    }

    /// Forget session `id`; `None` if it was already gone.
    pub(crate) fn remove(&self, id: &str) -> Option<Arc<UploadSession>> {
        self.lock().remove(id)
    }

    /// Forget the sessions of draft `draft_id`.
    pub(crate) fn remove_for_draft(&self, draft_id: &str) -> Vec<Arc<UploadSession>> {
        let mut sessions = self.lock();
        let ids: Vec<String> = sessions
            .values()
            .filter(|s| s.draft_id == draft_id)
            .map(|s| s.id.clone())
            .collect();
        ids.iter().filter_map(|id| sessions.remove(id)).collect()
    }

    /// Open sessions.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

/// Close a session that was removed from the store: wait for a chunk in flight, mark it
/// closed and delete its partial file.
pub(crate) async fn discard(session: &UploadSession) {
    let mut progress = session.progress.lock().await;
    progress.closed = true;
    let _ = tokio::fs::remove_file(&session.path).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sessions_are_created_found_and_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(UPLOADS_DIR)).expect("dir");
        let stale = dir.path().join(UPLOADS_DIR).join("old.part");
        std::fs::write(&stale, b"x").expect("stale");
        let store = UploadStore::open(dir.path()).expect("open");
        assert!(!stale.exists(), "partial files of earlier runs are deleted");
        let new = |draft: &str| NewSession {
            mailbox: "a@b.test".into(),
            client_id: "app".into(),
            draft_id: draft.into(),
            meta: AttachmentMeta::default(),
            size: MIN_SESSION_BYTES,
            now: OffsetDateTime::now_utc(),
        };
        let a = store.create(new("d1"));
        let b = store.create(new("d1"));
        let c = store.create(new("d2"));
        assert_ne!(a.id, b.id);
        assert_ne!(a.authtoken, b.authtoken);
        assert_eq!(store.len(), 3);
        assert!(store.get(&c.id).is_some());
        assert_eq!(store.remove_for_draft("d1").len(), 2);
        assert!(store.remove(&c.id).is_some());
        assert!(store.remove(&c.id).is_none());
        std::fs::write(&c.path, b"part").expect("part");
        discard(&c).await;
        assert!(!c.path.exists());
        assert!(c.progress.lock().await.closed);
        assert_eq!(store.len(), 0);
    }
}
