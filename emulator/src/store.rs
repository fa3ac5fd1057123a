//! Accepted messages: in memory for listing, and on disk as
//! `messages/<seq:06>-<id>.json` (the request body as received, pretty-printed),
//! `messages/<seq:06>-<id>.eml` (an RFC 5322 rendering, or the original MIME) and
//! `attachments/<id>/<attachment id>` (attachment bytes).
//!
//! Memory holds the messages accepted by this run; numbering continues after files left by
//! earlier runs so file names keep sorting in acceptance order.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::attachments::{AttachmentFiles, AttachmentMeta, StoredAttachment};
use crate::eml;
use crate::error::EmulatorError;
use crate::message::{AttachmentContent, OutgoingMail, SendMailRequest};

/// What the web inbox shows of one accepted message (attachment bytes stay on disk).
#[derive(Debug)]
pub(crate) struct InboxItem {
    /// The message as stored (its `request` is left out: the inbox reads the `.json` file).
    pub(crate) stored: StoredMessage,
    /// The message in typed form, without attachment contents.
    pub(crate) mail: OutgoingMail,
    /// `Message-ID` of the `.eml` rendering (without angle brackets).
    pub(crate) internet_message_id: String,
    /// Size of the `.eml` file.
    pub(crate) size: u64,
    /// Lower-cased text the inbox search looks in.
    pub(crate) search_text: String,
}

/// Name of the folder (inside the data folder) holding stored messages.
pub const MESSAGES_DIR: &str = "messages";

/// One accepted message: a `sendMail` request (JSON or MIME mode) or a sent draft.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredMessage {
    /// The message ID (also part of the file names and the `sentItems` listing).
    pub id: String,
    /// The sending mailbox as configured (the `/users/{id}` of the request).
    pub mailbox: String,
    /// When the message was accepted (RFC 3339, UTC).
    pub received_at: String,
    /// The request's `saveToSentItems` (default `true`; always `true` for a sent draft).
    pub save_to_sent_items: bool,
    /// The `sendMail` body exactly as received. For a MIME mode message,
    /// `{"message": <the message parsed from the MIME>}` (attachments listed without bytes);
    /// for a sent draft, `{"message": <the create request's message as received>}` (added
    /// attachments are in [`attachments`](Self::attachments)).
    pub request: Value,
    /// The `.json` file (`request`, pretty-printed).
    pub json_path: PathBuf,
    /// The `.eml` file: an RFC 5322 / MIME rendering, or the original message in MIME mode.
    pub eml_path: PathBuf,
    /// The `request-id` the emulator answered the `sendMail` (or `send`) request with.
    pub request_id: String,
    /// The tenant of the access token the message was sent with.
    pub tenant_id: String,
    /// The app (client ID) of the access token the message was sent with.
    pub client_id: String,
    /// The file and item attachments with their stored bytes (reference attachments carry
    /// none and are not listed here).
    pub attachments: Vec<StoredAttachment>,
    /// Whether the message was a draft sent with `POST .../messages/{id}/send`.
    pub via_draft: bool,
    /// Whether the message arrived in MIME mode (`text/plain` base64).
    pub mime: bool,
}

/// A message being stored.
pub(crate) struct NewMessage<'a> {
    /// The message ID (a sent draft keeps its ID); `None` draws a new one.
    pub(crate) id: Option<String>,
    pub(crate) mailbox: &'a str,
    pub(crate) raw_request: Value,
    pub(crate) request: &'a SendMailRequest,
    /// Attachments already on disk (a sent draft's) with their Graph JSON. `None`: the
    /// request's file and item attachments are written now.
    pub(crate) stored_attachments: Option<(Vec<StoredAttachment>, Vec<Value>)>,
    /// The original RFC 5322 bytes (MIME mode), written as the `.eml` instead of a rendering.
    pub(crate) original_eml: Option<Vec<u8>>,
    pub(crate) via_draft: bool,
    pub(crate) mime: bool,
    pub(crate) request_id: &'a str,
    pub(crate) tenant_id: &'a str,
    pub(crate) client_id: &'a str,
}

struct Record {
    seq: u64,
    stored: StoredMessage,
    /// The message as Graph lists it in Sent Items.
    graph_message: Value,
    /// What the web inbox shows.
    inbox: Arc<InboxItem>,
}

struct Inner {
    next_seq: u64,
    records: Vec<Record>,
}

/// The message store of one emulator.
pub(crate) struct MessageStore {
    dir: PathBuf,
    inner: Mutex<Inner>,
    /// Bumped whenever a message is stored or the store is cleared (web inbox updates).
    version: tokio::sync::watch::Sender<u64>,
}

impl MessageStore {
    /// Open (creating) `data_dir/messages`.
    pub(crate) fn open(data_dir: &Path) -> Result<Self, EmulatorError> {
        let dir = data_dir.join(MESSAGES_DIR);
        fs::create_dir_all(&dir)
            .map_err(|e| EmulatorError::io(format!("creating {}", dir.display()), e))?;
        let last = fs::read_dir(&dir)
            .map_err(|e| EmulatorError::io(format!("reading {}", dir.display()), e))?
            .filter_map(Result::ok)
            .filter_map(|entry| stored_file_seq(&entry.file_name().to_string_lossy()))
            .max()
            .unwrap_or(0);
        Ok(MessageStore {
            dir,
            inner: Mutex::new(Inner {
                next_seq: last + 1,
                records: Vec::new(),
            }),
            version: tokio::sync::watch::Sender::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere must not take the store down with it.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Write the message's files (attachments, `.json`, `.eml`), then remember it.
    pub(crate) async fn store(
        &self,
        files: &AttachmentFiles,
        new: NewMessage<'_>,
    ) -> std::io::Result<StoredMessage> {
        let seq = {
            let mut inner = self.lock();
            let seq = inner.next_seq;
            inner.next_seq += 1;
            seq
        };
        let id = new.id.unwrap_or_else(crate::random::message_id);
        let now = OffsetDateTime::now_utc();
        let received_at = crate::timefmt::rfc3339(now);
        let (attachments, attachment_json) = match new.stored_attachments {
            Some(stored) => stored,
            None => {
                let attachments = write_attachments(files, &id, &new.request.mail).await?;
                let json = listed_attachments(new.request, &id, &received_at);
                (attachments, json)
            }
        };
        let domain = new.mailbox.rsplit_once('@').map_or("localhost", |(_, d)| d);
        let message_id = format!("{}@{domain}", uuid::Uuid::new_v4().simple());

        let stem = format!("{seq:06}-{id}");
        let json_path = self.dir.join(format!("{stem}.json"));
        let eml_path = self.dir.join(format!("{stem}.eml"));
        let json_text = serde_json::to_string_pretty(&new.raw_request)?;
        tokio::fs::write(&json_path, json_text).await?;
        match new.original_eml {
            Some(bytes) => tokio::fs::write(&eml_path, bytes).await?,
            None => {
                write_eml(
                    new.request.mail.clone(),
                    new.mailbox.to_string(),
                    now,
                    message_id.clone(),
                    eml_path.clone(),
                )
                .await?
            }
        }

        let graph_message = sent_item(
            new.request,
            &id,
            &received_at,
            new.mailbox,
            &message_id,
            attachment_json,
        );
        let size = tokio::fs::metadata(&eml_path)
            .await
            .map(|m| m.len())
            .unwrap_or(0);
        let stored = StoredMessage {
            id,
            mailbox: new.mailbox.to_string(),
            received_at,
            save_to_sent_items: new.request.save_to_sent_items,
            request: new.raw_request,
            json_path,
            eml_path,
            request_id: new.request_id.to_string(),
            tenant_id: new.tenant_id.to_string(),
            client_id: new.client_id.to_string(),
            attachments,
            via_draft: new.via_draft,
            mime: new.mime,
        };
        let mut mail = new.request.mail.clone();
        mail.attachments.clear();
        let search_text = search_text(&stored, &mail);
        let inbox = Arc::new(InboxItem {
            stored: StoredMessage {
                request: Value::Null,
                ..stored.clone()
            },
            mail,
            internet_message_id: message_id,
            size,
            search_text,
        });
        self.lock().records.push(Record {
            seq,
            stored: stored.clone(),
            graph_message,
            inbox,
        });
        self.version.send_modify(|v| *v += 1);
        Ok(stored)
    }

    /// All messages of this run, oldest first.
    pub(crate) fn list(&self) -> Vec<StoredMessage> {
        let inner = self.lock();
        let mut records: Vec<&Record> = inner.records.iter().collect();
        records.sort_by_key(|r| r.seq);
        records.iter().map(|r| r.stored.clone()).collect()
    }

    /// The Sent Items of `mailbox` (messages not sent with `saveToSentItems: false`) as Graph
    /// message objects, newest first.
    pub(crate) fn sent_items(&self, mailbox: &str) -> Vec<Value> {
        let inner = self.lock();
        let mut records: Vec<&Record> = inner
            .records
            .iter()
            .filter(|r| {
                r.stored.save_to_sent_items && r.stored.mailbox.eq_ignore_ascii_case(mailbox)
            })
            .collect();
        records.sort_by_key(|r| std::cmp::Reverse(r.seq));
        records.iter().map(|r| r.graph_message.clone()).collect()
    }

    /// The web inbox's view of the messages of this run, newest first.
    pub(crate) fn inbox(&self) -> Vec<Arc<InboxItem>> {
        let inner = self.lock();
        let mut records: Vec<&Record> = inner.records.iter().collect();
        records.sort_by_key(|r| std::cmp::Reverse(r.seq));
        records.iter().map(|r| Arc::clone(&r.inbox)).collect()
    }

    /// The web inbox's view of message `id`.
    pub(crate) fn inbox_item(&self, id: &str) -> Option<Arc<InboxItem>> {
        self.lock()
            .records
            .iter()
            .find(|r| r.stored.id == id)
            .map(|r| Arc::clone(&r.inbox))
    }

    /// The store's version: it changes whenever a message is stored or the store is cleared.
    pub(crate) fn version(&self) -> u64 {
        *self.version.borrow()
    }

    /// A receiver that sees every version change.
    pub(crate) fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// Forget all messages and delete all stored message files (also those of earlier runs).
    pub(crate) fn clear(&self) -> std::io::Result<()> {
        self.lock().records.clear();
        self.version.send_modify(|v| *v += 1);
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            if stored_file_seq(&entry.file_name().to_string_lossy()).is_some() {
                match fs::remove_file(entry.path()) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }
}

/// Write the file and item attachments of `mail` as attachments `<id>-att<index>` of message
/// `id`; attachments already stored are listed as they are.
async fn write_attachments(
    files: &AttachmentFiles,
    id: &str,
    mail: &OutgoingMail,
) -> std::io::Result<Vec<StoredAttachment>> {
    let mut stored = Vec::new();
    for (index, attachment) in mail.attachments.iter().enumerate() {
        let item_json;
        let bytes: &[u8] = match &attachment.content {
            AttachmentContent::File(bytes) => bytes,
            AttachmentContent::Item(item) => {
                item_json = item.to_string();
                item_json.as_bytes()
            }
            AttachmentContent::Stored(s) => {
                stored.push((**s).clone());
                continue;
            }
            AttachmentContent::Reference => continue,
        };
        let meta = AttachmentMeta {
            name: attachment.name.clone().unwrap_or_default(),
            content_type: attachment.content_type.clone(),
            is_inline: attachment.is_inline,
            content_id: attachment.content_id.clone(),
        };
        stored.push(
            files
                .write(id, format!("{id}-att{index}"), meta, bytes)
                .await?,
        );
    }
    Ok(stored)
}

/// The text the inbox search matches: subject, addresses and names, mailbox, app, body,
/// custom headers and attachment names, lower-cased.
fn search_text(stored: &StoredMessage, mail: &OutgoingMail) -> String {
    let mut parts: Vec<&str> = vec![&stored.mailbox, &stored.client_id, &stored.id, &mail.body];
    if let Some(subject) = &mail.subject {
        parts.push(subject);
    }
    for a in mail
        .from
        .iter()
        .chain(&mail.to)
        .chain(&mail.cc)
        .chain(&mail.bcc)
        .chain(&mail.reply_to)
    {
        parts.push(&a.address);
        if let Some(name) = &a.name {
            parts.push(name);
        }
    }
    for (name, value) in &mail.headers {
        parts.push(name);
        parts.push(value);
    }
    for a in &stored.attachments {
        parts.push(&a.name);
    }
    parts.join("\n").to_lowercase()
}

/// Render `mail` into `path` on a blocking thread, streaming stored attachments.
async fn write_eml(
    mail: OutgoingMail,
    mailbox: String,
    date: OffsetDateTime,
    message_id: String,
    path: PathBuf,
) -> std::io::Result<()> {
    let boundary = eml::boundary_for(&uuid::Uuid::new_v4().simple().to_string());
    tokio::task::spawn_blocking(move || {
        let file = fs::File::create(&path)?;
        let mut out = std::io::BufWriter::with_capacity(256 * 1024, file);
        let envelope = eml::Envelope {
            mailbox: &mailbox,
            date,
            message_id: &message_id,
            boundary: &boundary,
        };
        eml::write(&mail, &envelope, &mut out)?;
        std::io::Write::flush(&mut out)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// The sequence number of a stored message file name (`000012-<id>.json` / `.eml`).
fn stored_file_seq(name: &str) -> Option<u64> {
    let stem = name
        .strip_suffix(".json")
        .or_else(|| name.strip_suffix(".eml"))?;
    let (digits, id) = stem.split_once('-')?;
    if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) || id.is_empty() {
        return None;
    }
    digits.parse().ok()
}

/// The message as `GET /users/{id}/mailFolders/sentItems/messages` returns it: the request's
/// message plus the server-set properties and `attachments` (listed without content).
fn sent_item(
    request: &SendMailRequest,
    id: &str,
    sent: &str,
    mailbox: &str,
    internet_message_id: &str,
    attachments: Vec<Value>,
) -> Value {
    let mut message: Map<String, Value> = request.message.clone();
    let mailbox_recipient = json!({"emailAddress": {"address": mailbox}});
    message.insert("id".into(), json!(id));
    for key in [
        "createdDateTime",
        "lastModifiedDateTime",
        "sentDateTime",
        "receivedDateTime",
    ] {
        message.insert(key.into(), json!(sent));
    }
    message.insert("isDraft".into(), json!(false));
    message.insert("isRead".into(), json!(true));
    message.insert(
        "internetMessageId".into(),
        json!(format!("<{internet_message_id}>")),
    );
    message.insert("parentFolderId".into(), json!("SentItems"));
    let has_attachments = request.mail.attachments.iter().any(|a| !a.is_inline);
    message.insert("hasAttachments".into(), json!(has_attachments));
    message
        .entry("from")
        .or_insert_with(|| mailbox_recipient.clone());
    message.entry("sender").or_insert(mailbox_recipient);
    message.entry("importance").or_insert(json!("normal"));
    message
        .entry("body")
        .or_insert(json!({"contentType": "text", "content": ""}));
    for key in ["toRecipients", "ccRecipients", "bccRecipients", "replyTo"] {
        message.entry(key).or_insert(json!([]));
    }
    message.insert("attachments".into(), Value::Array(attachments));
    Value::Object(message)
}

/// The request message's attachments as listed: without `contentBytes` (or `item`), with
/// `id` (`<message id>-att<index>`), `size`, `isInline` and `lastModifiedDateTime`.
fn listed_attachments(request: &SendMailRequest, id: &str, sent: &str) -> Vec<Value> {
    request
        .message
        .get("attachments")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .zip(&request.mail.attachments)
        .enumerate()
        .map(|(index, (original, parsed))| {
            let mut a = original.as_object().cloned().unwrap_or_default();
            a.remove("contentBytes");
            if matches!(parsed.content, AttachmentContent::Item(_)) {
                a.remove("item");
            }
            a.insert("id".into(), json!(format!("{id}-att{index}")));
            a.insert("size".into(), json!(parsed.size()));
            a.insert("isInline".into(), json!(parsed.is_inline));
            a.insert("lastModifiedDateTime".into(), json!(sent));
            Value::Object(a)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_file_names() {
        assert_eq!(stored_file_seq("000012-AAMkAbc.json"), Some(12));
        assert_eq!(stored_file_seq("1234567-AAMkAbc.eml"), Some(1_234_567));
        assert_eq!(stored_file_seq("12-x.json"), None);
        assert_eq!(stored_file_seq("000001-.json"), None);
        assert_eq!(stored_file_seq("000001-x.txt"), None);
        assert_eq!(stored_file_seq("ca.pem"), None);
    }
}
