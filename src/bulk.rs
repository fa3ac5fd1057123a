//! Bulk sending: many messages in one call, sent concurrently across mailboxes with at most
//! [`MAX_IN_FLIGHT_PER_MAILBOX`] requests in flight per mailbox (Exchange Online's limit) and
//! throttling handled per mailbox (a 429 holds back that mailbox's other sends, not the
//! others). Results come back in input order, one per message.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::client::Client;
use crate::error::{Error, ErrorCode, Result};
use crate::graph::send::SendReport;
use crate::message::Message;
use crate::progress::SendControl;
use crate::retry::ThrottleGate;

/// Requests in flight per mailbox at most (Outlook's concurrency limit for an app and mailbox).
pub const MAX_IN_FLIGHT_PER_MAILBOX: usize = 4;
/// Sends in flight in all, across mailboxes.
pub const MAX_IN_FLIGHT: usize = 32;
/// Messages per bulk call at most.
pub const MAX_BATCH: usize = 100_000;

/// One mailbox's share of a bulk send.
struct Mailbox {
    permits: Arc<Semaphore>,
    gate: Arc<ThrottleGate>,
}

impl Client {
    /// Sends `messages`, concurrently across mailboxes (at most 4 requests in flight per
    /// mailbox, 32 in all), and returns one result per message, in input order. Each message
    /// is validated on its own: an invalid one gets its error and is not sent, the others are.
    pub async fn send_many(&self, messages: Vec<Message>) -> Vec<Result<SendReport>> {
        self.send_each(messages.into_iter().map(Ok).collect()).await
    }

    /// [`Client::send_many`] for messages parsed one by one: a message that could not be
    /// parsed keeps its error in its place.
    pub async fn send_each(&self, messages: Vec<Result<Message>>) -> Vec<Result<SendReport>> {
        if messages.len() > MAX_BATCH {
            let e = Error::new(
                ErrorCode::InvalidMessage,
                format!("A bulk send takes at most {MAX_BATCH} messages; split the list."),
            );
            return messages.iter().map(|_| Err(e.duplicate())).collect();
        }
        let all = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let mut mailboxes: HashMap<String, Mailbox> = HashMap::new();
        let mut results: Vec<Option<Result<SendReport>>> = Vec::new();
        results.resize_with(messages.len(), || None);
        let mut tasks = tokio::task::JoinSet::new();
        for (index, message) in messages.into_iter().enumerate() {
            let validated = match message.and_then(|m| m.validate()) {
                Ok(v) => v,
                Err(e) => {
                    results[index] = Some(Err(e));
                    continue;
                }
            };
            let mailbox = mailboxes
                .entry(validated.from.address.to_ascii_lowercase())
                .or_insert_with(|| Mailbox {
                    permits: Arc::new(Semaphore::new(MAX_IN_FLIGHT_PER_MAILBOX)),
                    gate: Arc::new(ThrottleGate::default()),
                });
            let (client, all, permits, gate) = (
                self.clone(),
                Arc::clone(&all),
                Arc::clone(&mailbox.permits),
                Arc::clone(&mailbox.gate),
            );
            tasks.spawn(async move {
                // Closed semaphores cannot happen (never closed); a failure still sends.
                let _mailbox_turn = permits.acquire_owned().await.ok();
                let _turn = all.acquire_owned().await.ok();
                let control = SendControl::with_gate(gate);
                (index, client.send_validated_with(validated, &control).await)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((index, result)) => results[index] = Some(result),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => {}
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(Error::new(
                        ErrorCode::Internal,
                        "A message of the bulk send was lost before its result came back.",
                    ))
                })
            })
            .collect()
    }

    /// Blocking [`Client::send_each`], on the shared runtime (what the C ABI and CLI use).
    pub fn send_many_blocking(&self, messages: Vec<Result<Message>>) -> Vec<Result<SendReport>> {
        let (client, count) = (self.clone(), messages.len());
        match crate::runtime::block_on(async move { Ok(client.send_each(messages).await) }) {
            Ok(results) => results,
            Err(e) => (0..count).map(|_| Err(e.duplicate())).collect(),
        }
    }
}

/// The JSON of one bulk result: the report, or `{"error": {...}}`.
pub fn result_json(result: &Result<SendReport>) -> serde_json::Value {
    match result {
        Ok(report) => report.to_json(),
        Err(e) => e.to_json(),
    }
}
