//! Drafts (`POST /users/{id}/messages`): kept in memory until sent or deleted; their
//! attachment bytes are files under `attachments/<draft id>/`.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Map, Value};

use crate::attachments::StoredAttachment;
use crate::message::{Attachment, AttachmentContent};

/// One attachment of a draft.
#[derive(Clone, Debug)]
pub(crate) struct DraftAttachment {
    /// The bytes on disk.
    pub(crate) stored: StoredAttachment,
    /// `#microsoft.graph.fileAttachment` or `#microsoft.graph.itemAttachment`.
    pub(crate) odata_type: String,
    /// An item attachment's item (rendered as JSON in the `.eml`).
    pub(crate) item: Option<Value>,
    /// When it was added (RFC 3339).
    pub(crate) added: String,
}

impl DraftAttachment {
    /// The attachment as Graph lists it (no content).
    pub(crate) fn graph_json(&self) -> Value {
        crate::attachments::graph_json(&self.stored, &self.odata_type, &self.added)
    }

    /// The attachment for the `.eml` writer: stored bytes are streamed from their file.
    pub(crate) fn outgoing(&self) -> Attachment {
        let stored = &self.stored;
        Attachment {
            name: Some(stored.name.clone()).filter(|n| !n.is_empty()),
            content_type: stored.content_type.clone(),
            is_inline: stored.is_inline,
            content_id: stored.content_id.clone(),
            content: match &self.item {
                Some(item) => AttachmentContent::Item(item.clone()),
                None => AttachmentContent::Stored(Box::new(stored.clone())),
            },
        }
    }
}

/// A draft message.
#[derive(Clone, Debug)]
pub(crate) struct Draft {
    pub(crate) id: String,
    /// The mailbox as configured.
    pub(crate) mailbox: String,
    /// When it was created (RFC 3339).
    pub(crate) created: String,
    /// The create request's message as received (MIME mode: the parsed message).
    pub(crate) raw_message: Value,
    /// The normalized message without its attachments.
    pub(crate) message: Map<String, Value>,
    pub(crate) attachments: Vec<DraftAttachment>,
    /// The RFC 5322 bytes of a MIME draft, kept as its `.eml` until an attachment is added.
    pub(crate) original_eml: Option<Vec<u8>>,
    /// Created in MIME mode.
    pub(crate) mime: bool,
}

impl Draft {
    /// `hasAttachments`: any attachment that is not inline.
    pub(crate) fn has_attachments(&self) -> bool {
        self.attachments.iter().any(|a| !a.stored.is_inline)
    }

    /// The draft as `POST /messages` and `GET /messages/{id}` return it.
    pub(crate) fn graph_json(&self, origin: &str) -> Value {
        let mut message = self.message.clone();
        message.insert(
            "@odata.context".into(),
            json!(format!(
                "{origin}/v1.0/$metadata#users('{}')/messages/$entity",
                self.mailbox
            )),
        );
        message.insert("id".into(), json!(self.id));
        let modified = self
            .attachments
            .last()
            .map_or(self.created.as_str(), |a| a.added.as_str());
        message.insert("createdDateTime".into(), json!(self.created));
        message.insert("lastModifiedDateTime".into(), json!(modified));
        message.insert("isDraft".into(), json!(true));
        message.insert("isRead".into(), json!(true));
        message.insert("hasAttachments".into(), json!(self.has_attachments()));
        message.insert("parentFolderId".into(), json!("Drafts"));
        message.entry("importance").or_insert(json!("normal"));
        message
            .entry("body")
            .or_insert(json!({"contentType": "text", "content": ""}));
        for key in ["toRecipients", "ccRecipients", "bccRecipients", "replyTo"] {
            message.entry(key).or_insert(json!([]));
        }
        Value::Object(message)
    }
}

/// The open drafts of one emulator.
#[derive(Default)]
pub(crate) struct DraftStore {
    drafts: Mutex<HashMap<String, Draft>>,
}

impl DraftStore {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Draft>> {
        self.drafts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keep a new draft.
    pub(crate) fn insert(&self, draft: Draft) {
        self.lock().insert(draft.id.clone(), draft);
    }

    /// A copy of draft `id` of `mailbox`.
    pub(crate) fn get(&self, mailbox: &str, id: &str) -> Option<Draft> {
        self.lock()
            .get(id)
            .filter(|d| d.mailbox.eq_ignore_ascii_case(mailbox))
            .cloned()
    }

    /// Whether draft `id` of `mailbox` exists.
    pub(crate) fn contains(&self, mailbox: &str, id: &str) -> bool {
        self.lock()
            .get(id)
            .is_some_and(|d| d.mailbox.eq_ignore_ascii_case(mailbox))
    }

    /// Remove draft `id` of `mailbox` (to delete or send it).
    pub(crate) fn take(&self, mailbox: &str, id: &str) -> Option<Draft> {
        let mut drafts = self.lock();
        if !drafts
            .get(id)
            .is_some_and(|d| d.mailbox.eq_ignore_ascii_case(mailbox))
        {
            return None;
        }
        drafts.remove(id)
    }

    /// Add an attachment to draft `id` (the caller checked its mailbox); `false` when the
    /// draft is gone (sent or deleted meanwhile).
    pub(crate) fn add_attachment(&self, id: &str, attachment: DraftAttachment) -> bool {
        let mut drafts = self.lock();
        let Some(draft) = drafts.get_mut(id) else {
            return false;
        };
        draft.attachments.push(attachment);
        draft.original_eml = None;
        true
    }

    /// IDs of the open drafts.
    pub(crate) fn ids(&self) -> HashSet<String> {
        self.lock().keys().cloned().collect()
    }

    /// Open drafts.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(id: &str) -> Draft {
        Draft {
            id: id.into(),
            mailbox: "alerts@contoso.test".into(),
            created: "2026-01-01T00:00:00Z".into(),
            raw_message: json!({}),
            message: Map::new(),
            attachments: Vec::new(),
            original_eml: Some(b"x".to_vec()),
            mime: true,
        }
    }

    fn attachment(inline: bool) -> DraftAttachment {
        DraftAttachment {
            stored: StoredAttachment {
                id: "a".into(),
                name: "n".into(),
                content_type: None,
                size: 1,
                sha256: String::new(),
                is_inline: inline,
                content_id: None,
                uploaded: false,
                path: "p".into(),
            },
            odata_type: crate::attachments::FILE_ATTACHMENT.into(),
            item: None,
            added: "2026-01-01T00:00:01Z".into(),
        }
    }

    #[test]
    fn store_and_json() {
        let store = DraftStore::default();
        store.insert(draft("d1"));
        assert!(store.contains("ALERTS@contoso.test", "d1"));
        assert!(!store.contains("other@contoso.test", "d1"));
        assert!(store.take("other@contoso.test", "d1").is_none());
        assert!(store.add_attachment("d1", attachment(true)));
        let d = store.get("alerts@contoso.test", "d1").expect("draft");
        assert!(
            d.original_eml.is_none(),
            "an added attachment invalidates the MIME .eml"
        );
        assert!(!d.has_attachments(), "inline attachments do not count");
        let json = d.graph_json("https://h");
        assert_eq!(json["isDraft"], true);
        assert_eq!(json["id"], "d1");
        assert_eq!(json["lastModifiedDateTime"], "2026-01-01T00:00:01Z");
        assert_eq!(json["toRecipients"], json!([]));
        assert!(store.add_attachment("d1", attachment(false)));
        assert!(store
            .get("alerts@contoso.test", "d1")
            .expect("d")
            .has_attachments());
        assert_eq!(store.ids().len(), 1);
        assert!(store.take("alerts@contoso.test", "d1").is_some());
        assert_eq!(store.len(), 0);
        assert!(!store.add_attachment("d1", attachment(false)));
    }
}
