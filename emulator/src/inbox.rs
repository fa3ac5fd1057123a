//! The web inbox: a page at `/inbox` (HTML, JavaScript and CSS embedded in the binary) and
//! its JSON API under `/_emulator/inbox/`, on the emulator's HTTPS port.
//!
//! | route | answer |
//! |---|---|
//! | `GET /inbox` (and `GET /` from a browser) | the page |
//! | `GET /_emulator/inbox/info` | tenant, app, mailboxes, endpoints, whether throttling and access policies are on |
//! | `GET /_emulator/inbox/messages?q=&since=&wait=` | accepted messages, newest first, matching `q`; with `since` equal to the current `version`, held up to `wait` seconds (at most 30) until a message arrives or the store is cleared (long polling) |
//! | `DELETE /_emulator/inbox/messages` | clear the store |
//! | `GET /_emulator/inbox/messages/{id}` | one message: headers, custom `x-` headers, bodies, attachments, the Graph request JSON |
//! | `GET /_emulator/inbox/messages/{id}/body` | the HTML body as a document, `cid:` references rewritten, under `Content-Security-Policy: sandbox; default-src 'none'; img-src data: <this message's cid URLs>; style-src 'unsafe-inline'` |
//! | `GET /_emulator/inbox/messages/{id}/cid/{contentId}` | an inline attachment by content ID |
//! | `GET /_emulator/inbox/messages/{id}/attachments/{index}` | an attachment as a download |
//! | `GET /_emulator/inbox/messages/{id}/eml`, `.../request.json` | the stored files as downloads |
//!
//! The page builds its DOM with `textContent`, never `innerHTML`, so nothing a message holds
//! is interpreted as markup outside the sandboxed body frame.

use std::time::Duration;

use hyper::header::{HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use crate::attachments::StoredAttachment;
use crate::graph::{graph_error, method_not_allowed, not_found};
use crate::http::{ApiRequest, Ctx, Reply};
use crate::message::{Address, BodyKind, Importance, OutgoingMail};
use crate::server::State;
use crate::store::InboxItem;

const INDEX_HTML: &str = include_str!("inbox/index.html");
const APP_JS: &str = include_str!("inbox/app.js");
const APP_CSS: &str = include_str!("inbox/app.css");

/// The longest a long poll is held.
const MAX_WAIT: Duration = Duration::from_secs(30);
/// Strings of the Graph request longer than this are shortened in the message view.
const REQUEST_STRING_LIMIT: usize = 256;

/// The inbox page's own policy: its script, style and API only; frames from the emulator.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; frame-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

/// Headers every inbox answer carries.
fn hardened(mut reply: Reply) -> Reply {
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ] {
        reply = reply.with_header(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    reply.with_header(CACHE_CONTROL, HeaderValue::from_static("no-store"))
}

fn csp(value: &str) -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("sandbox")),
    )
}

/// `GET /inbox[/asset]`.
pub(crate) fn page(req: &ApiRequest, ctx: &Ctx, asset: Option<&str>) -> Reply {
    if req.method != Method::GET && req.method != Method::HEAD {
        return method_not_allowed(ctx, &req.method, "GET");
    }
    let (content_type, body) = match asset {
        None => ("text/html; charset=utf-8", INDEX_HTML),
        Some("app.js") => ("text/javascript; charset=utf-8", APP_JS),
        Some("app.css") => ("text/css; charset=utf-8", APP_CSS),
        Some(other) => return not_found(ctx, other),
    };
    let (name, value) = csp(PAGE_CSP);
    hardened(Reply::text(StatusCode::OK, content_type, body.to_string()))
        .with_header(name, value)
        .with_header(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        )
}

/// Whether a `GET /` comes from a browser (which gets the inbox instead of the text page).
pub(crate) fn wants_html(req: &ApiRequest) -> bool {
    req.header(hyper::header::ACCEPT)
        .is_some_and(|accept| accept.contains("text/html"))
}

/// `302` to the inbox.
pub(crate) fn redirect_to_inbox() -> Reply {
    Reply::empty(StatusCode::FOUND)
        .with_header(hyper::header::LOCATION, HeaderValue::from_static("/inbox"))
}

/// `/_emulator/inbox/...`; `rest` are the segments after `inbox`.
pub(crate) async fn api(state: &State, req: &ApiRequest, ctx: &Ctx, rest: &[&str]) -> Reply {
    let reply = match (rest, &req.method) {
        (["info"], &Method::GET) => info(state, ctx),
        (["messages"], &Method::GET) => list(state, req).await,
        (["messages"], &Method::DELETE) => match state.clear_messages() {
            Ok(()) => Reply::empty(StatusCode::NO_CONTENT),
            Err(e) => graph_error(
                ctx,
                StatusCode::INTERNAL_SERVER_ERROR,
                "ErrorInternalServerError",
                &format!("Could not delete the stored messages: {e}"),
            ),
        },
        ([_, ..], method) if *method != Method::GET => {
            let allow = if rest == ["messages"] {
                "GET, DELETE"
            } else {
                "GET"
            };
            method_not_allowed(ctx, method, allow)
        }
        (["messages", id, tail @ ..], _) => match state.store.inbox_item(id) {
            None => graph_error(
                ctx,
                StatusCode::NOT_FOUND,
                "ErrorItemNotFound",
                "The specified object was not found in the store.",
            ),
            Some(item) => message_route(&item, ctx, tail).await,
        },
        _ => not_found(ctx, rest.last().copied().unwrap_or("inbox")),
    };
    hardened(reply)
}

async fn message_route(item: &InboxItem, ctx: &Ctx, tail: &[&str]) -> Reply {
    match tail {
        [] => detail(item, ctx).await,
        ["body"] => body_document(item, ctx),
        ["cid", content_id] => match find_cid(&item.stored.attachments, content_id) {
            Some(a) => attachment_file(a, ctx, true).await,
            None => not_found(ctx, content_id),
        },
        ["attachments", index] => match index
            .parse::<usize>()
            .ok()
            .and_then(|i| item.stored.attachments.get(i))
        {
            Some(a) => attachment_file(a, ctx, false).await,
            None => not_found(ctx, index),
        },
        ["eml"] => {
            download(
                &item.stored.eml_path,
                "message/rfc822",
                &format!("{}.eml", item.stored.id),
                ctx,
            )
            .await
        }
        ["request.json"] => {
            download(
                &item.stored.json_path,
                "application/json",
                &format!("{}.json", item.stored.id),
                ctx,
            )
            .await
        }
        _ => not_found(ctx, tail.last().copied().unwrap_or("")),
    }
}

fn info(state: &State, ctx: &Ctx) -> Reply {
    let config = &state.config;
    Reply::json(
        StatusCode::OK,
        &json!({
            "graphEndpoint": format!("{}/v1.0", ctx.origin),
            "authorityHost": ctx.origin,
            "tenantId": config.tenants.first(),
            "clientIds": config.apps.iter().map(|a| &a.client_id).collect::<Vec<_>>(),
            "mailboxes": config.mailboxes,
            "throttling": state.throttle.limits().is_some(),
            "accessPolicies": config.access_policies.len(),
        }),
    )
}

/// `GET /_emulator/inbox/messages`.
async fn list(state: &State, req: &ApiRequest) -> Reply {
    let since = req.query_param("since").and_then(|v| v.parse::<u64>().ok());
    let wait = req
        .query_param("wait")
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(Duration::ZERO, |s| Duration::from_secs(s).min(MAX_WAIT));
    if since == Some(state.store.version()) && !wait.is_zero() {
        let mut changes = state.store.subscribe();
        changes.mark_unchanged();
        let mut stopping = state.stopping.clone();
        if since == Some(state.store.version()) && !*stopping.borrow() {
            tokio::select! {
                _ = changes.changed() => {}
                _ = stopping.changed() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
    let version = state.store.version();
    let items = state.store.inbox();
    let total = items.len();
    let query = req
        .query_param("q")
        .map(|q| q.trim().to_lowercase())
        .unwrap_or_default();
    let words: Vec<&str> = query.split_whitespace().collect();
    let messages: Vec<Value> = items
        .iter()
        .filter(|item| words.iter().all(|w| item.search_text.contains(w)))
        .map(|item| summary(item))
        .collect();
    Reply::json(
        StatusCode::OK,
        &json!({"version": version, "total": total, "messages": messages}),
    )
}

fn address_json(a: &Address) -> Value {
    json!({"name": a.name, "address": a.address})
}

fn addresses_json(list: &[Address]) -> Vec<Value> {
    list.iter().map(address_json).collect()
}

/// The sender shown: the message's `from`, else the mailbox it was sent from.
fn from_json(item: &InboxItem) -> Value {
    match &item.mail.from {
        Some(from) => address_json(from),
        None => json!({"name": null, "address": item.stored.mailbox}),
    }
}

fn attachments_json(item: &InboxItem) -> Vec<Value> {
    let base = format!("/_emulator/inbox/messages/{}", url_segment(&item.stored.id));
    item.stored
        .attachments
        .iter()
        .enumerate()
        .map(|(index, a)| {
            json!({
                "index": index,
                "name": a.name,
                "contentType": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "isInline": a.is_inline,
                "contentId": a.content_id,
                "uploaded": a.uploaded,
                "downloadUrl": format!("{base}/attachments/{index}"),
            })
        })
        .collect()
}

fn body_type(mail: &OutgoingMail) -> &'static str {
    match mail.body_kind {
        BodyKind::Html => "html",
        BodyKind::Text => "text",
    }
}

fn summary(item: &InboxItem) -> Value {
    let stored = &item.stored;
    json!({
        "id": stored.id,
        "receivedAt": stored.received_at,
        "mailbox": stored.mailbox,
        "from": from_json(item),
        "to": addresses_json(&item.mail.to),
        "cc": addresses_json(&item.mail.cc),
        "subject": item.mail.subject,
        "size": item.size,
        "bodyType": body_type(&item.mail),
        "attachments": attachments_json(item),
        "viaDraft": stored.via_draft,
        "mime": stored.mime,
        "clientId": stored.client_id,
    })
}

/// `GET /_emulator/inbox/messages/{id}`.
async fn detail(item: &InboxItem, ctx: &Ctx) -> Reply {
    let stored = &item.stored;
    let mail = &item.mail;
    let base = format!("/_emulator/inbox/messages/{}", url_segment(&stored.id));
    let request = match tokio::fs::read(&stored.json_path).await {
        Ok(bytes) => serde_json::from_slice::<Value>(&bytes)
            .map(shorten_strings)
            .unwrap_or(Value::Null),
        Err(e) => {
            return graph_error(
                ctx,
                StatusCode::INTERNAL_SERVER_ERROR,
                "ErrorInternalServerError",
                &format!("Could not read the stored request: {e}"),
            )
        }
    };
    let (html, text, text_derived) = match mail.body_kind {
        BodyKind::Html => (
            Some(mail.body.as_str()),
            mail_parser::decoders::html::html_to_text(&mail.body),
            true,
        ),
        BodyKind::Text => (None, mail.body.clone(), false),
    };
    let mut summary = summary(item);
    let extra = json!({
        "bcc": addresses_json(&mail.bcc),
        "replyTo": addresses_json(&mail.reply_to),
        "importance": match mail.importance {
            Importance::Low => "low",
            Importance::Normal => "normal",
            Importance::High => "high",
        },
        "internetMessageId": format!("<{}>", item.internet_message_id),
        "headers": mail.headers.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
        "isDeliveryReceiptRequested": mail.delivery_receipt_requested,
        "isReadReceiptRequested": mail.read_receipt_requested,
        "saveToSentItems": stored.save_to_sent_items,
        "tenantId": stored.tenant_id,
        "requestId": stored.request_id,
        "html": html,
        "bodyUrl": html.map(|_| format!("{base}/body")),
        "text": text,
        "textDerivedFromHtml": text_derived,
        "emlUrl": format!("{base}/eml"),
        "requestUrl": format!("{base}/request.json"),
        "request": request,
    });
    if let (Value::Object(summary), Value::Object(extra)) = (&mut summary, extra) {
        summary.extend(extra);
    }
    Reply::json(StatusCode::OK, &summary)
}

/// Strings longer than [`REQUEST_STRING_LIMIT`] (attachment contents) shortened, saying how
/// much was left out.
fn shorten_strings(value: Value) -> Value {
    match value {
        Value::String(s) if s.chars().count() > REQUEST_STRING_LIMIT => {
            let total = s.chars().count();
            let head: String = s.chars().take(64).collect();
            Value::String(format!(
                "{head}… ({} more characters; download the request for all of it)",
                total - 64
            ))
        }
        Value::Array(items) => Value::Array(items.into_iter().map(shorten_strings).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, shorten_strings(v)))
                .collect(),
        ),
        other => other,
    }
}

/// The inline attachment whose content ID is `cid` (angle brackets and case ignored).
fn find_cid<'a>(attachments: &'a [StoredAttachment], cid: &str) -> Option<&'a StoredAttachment> {
    let wanted = cid.trim_start_matches('<').trim_end_matches('>');
    attachments.iter().find(|a| {
        a.content_id.as_deref().is_some_and(|c| {
            c.trim_start_matches('<')
                .trim_end_matches('>')
                .eq_ignore_ascii_case(wanted)
        })
    })
}

/// `GET .../body`: the HTML body in a document only images of this message (and `data:`)
/// and inline styles may load into; no script runs (`sandbox` without `allow-scripts`).
fn body_document(item: &InboxItem, ctx: &Ctx) -> Reply {
    if item.mail.body_kind != BodyKind::Html {
        return not_found(ctx, "body");
    }
    let cid_base = format!(
        "/_emulator/inbox/messages/{}/cid/",
        url_segment(&item.stored.id)
    );
    let html = rewrite_cids(&item.mail.body, &item.stored.attachments, &cid_base);
    let policy = format!(
        "sandbox; default-src 'none'; img-src data: {}{cid_base}; style-src 'unsafe-inline'; \
         base-uri 'none'; form-action 'none'",
        ctx.origin
    );
    let (name, value) = csp(&policy);
    Reply::text(StatusCode::OK, "text/html; charset=utf-8", html).with_header(name, value)
}

/// Replace `cid:X` (in attribute values and `url(...)`) by `base` + X for the content IDs of
/// `attachments`; unknown content IDs stay as they are (and load nothing).
fn rewrite_cids(html: &str, attachments: &[StoredAttachment], base: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find("cid:") {
        let start = from + found;
        from = start + 4;
        let before = html[..start].chars().next_back();
        if !matches!(before, Some('"' | '\'' | '=' | '(')) {
            continue;
        }
        let rest = &html[start + 4..];
        let end = rest
            .find(|c: char| c == '"' || c == '\'' || c == ')' || c == '>' || c.is_whitespace())
            .unwrap_or(rest.len());
        let cid = &rest[..end];
        if cid.is_empty() || find_cid(attachments, cid).is_none() {
            continue;
        }
        out.push_str(&html[last..start]);
        out.push_str(base);
        out.push_str(&url_segment(cid));
        last = start + 4 + end;
        from = last;
    }
    out.push_str(&html[last..]);
    out
}

/// An attachment's bytes: `inline` for a `cid:` image (image types only), else a download.
async fn attachment_file(a: &StoredAttachment, ctx: &Ctx, inline: bool) -> Reply {
    let content_type = a
        .content_type
        .as_deref()
        .filter(|t| inline && t.to_ascii_lowercase().starts_with("image/"))
        .unwrap_or("application/octet-stream");
    let name = if a.name.is_empty() {
        "attachment"
    } else {
        &a.name
    };
    let mut reply = file_reply(&a.path, content_type, ctx).await;
    if reply.status == StatusCode::OK {
        let disposition = if inline {
            "inline".to_string()
        } else {
            content_disposition(name)
        };
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            reply = reply.with_header(CONTENT_DISPOSITION, value);
        }
    }
    reply
}

async fn download(path: &std::path::Path, content_type: &str, name: &str, ctx: &Ctx) -> Reply {
    let mut reply = file_reply(path, content_type, ctx).await;
    if reply.status == StatusCode::OK {
        if let Ok(value) = HeaderValue::from_str(&content_disposition(name)) {
            reply = reply.with_header(CONTENT_DISPOSITION, value);
        }
    }
    reply
}

/// A stored file with `content_type`, never run as a document (`sandbox`).
async fn file_reply(path: &std::path::Path, content_type: &str, ctx: &Ctx) -> Reply {
    match tokio::fs::read(path).await {
        Ok(bytes) => {
            let (name, value) = csp("sandbox; default-src 'none'");
            let mut reply = Reply::empty(StatusCode::OK).with_header(name, value);
            reply.body = bytes.into();
            if let Ok(value) = HeaderValue::from_str(content_type) {
                reply = reply.with_header(CONTENT_TYPE, value);
            }
            reply
        }
        Err(e) => graph_error(
            ctx,
            StatusCode::NOT_FOUND,
            "ErrorItemNotFound",
            &format!("The stored file could not be read: {e}"),
        ),
    }
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`.
fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        url_segment(name)
    )
}

/// Percent-encode everything but RFC 3986 unreserved characters.
fn url_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inline(cid: &str) -> StoredAttachment {
        StoredAttachment {
            id: "a".into(),
            name: "logo.png".into(),
            content_type: Some("image/png".into()),
            size: 1,
            sha256: String::new(),
            is_inline: true,
            content_id: Some(cid.into()),
            uploaded: false,
            path: "/nonexistent".into(),
        }
    }

    #[test]
    fn cid_references_are_rewritten_to_this_messages_urls() {
        let attachments = [inline("logo@x"), inline("<chart>")];
        let html = r#"<img src="cid:logo@x"><img src='CID:chart'><div style="background:url(cid:logo@x)">cid:logo@x</div><img src="cid:unknown">"#;
        let out = rewrite_cids(html, &attachments, "/m/1/cid/");
        assert_eq!(
            out,
            r#"<img src="/m/1/cid/logo%40x"><img src='/m/1/cid/chart'><div style="background:url(/m/1/cid/logo%40x)">cid:logo@x</div><img src="cid:unknown">"#
        );
        assert!(find_cid(&attachments, "CHART").is_some());
        assert!(find_cid(&attachments, "<logo@x>").is_some());
    }

    #[test]
    fn long_request_strings_are_shortened() {
        let long = "A".repeat(1000);
        let out = shorten_strings(json!({"a": [long], "b": "short"}));
        let shortened = out["a"][0].as_str().unwrap();
        assert!(shortened.starts_with(&"A".repeat(64)));
        assert!(shortened.contains("936 more characters"));
        assert_eq!(out["b"], "short");
    }

    #[test]
    fn download_names_are_safe() {
        assert_eq!(
            content_disposition("r\u{e9}sum\u{e9} \"1\".pdf"),
            "attachment; filename=\"r_sum_ _1_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.pdf"
        );
        assert_eq!(url_segment("a b/c"), "a%20b%2Fc");
    }
}
