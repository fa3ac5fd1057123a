//! [`graph_client`] and the calls made with it: create, send, get a token, free.

use std::ffi::c_char;

use crate::client::Client;
use crate::config::ClientConfig;
use crate::error::{Error, ErrorCode, Result};
use crate::ffi::panic::boundary;
use crate::ffi::status::graph_status;
use crate::ffi::strings::borrow_str;
use crate::message::Message;

/// An opaque GraphMail client: configuration, credential, token cache and one HTTP connection
/// pool. Create with [`graph_client_new`], free with [`graph_client_free`]. Safe to use from
/// several threads at once.
#[allow(non_camel_case_types)]
pub struct graph_client {
    client: Client,
}

/// Checks `client_out` and sets `*client_out` to NULL.
///
/// # Safety
/// `client_out` must be NULL or valid for a pointer write.
pub(crate) unsafe fn clear_client_out(client_out: *mut *mut graph_client) -> Result<()> {
    if client_out.is_null() {
        return Err(Error::new(
            ErrorCode::NullArgument,
            "The argument 'client_out' is NULL.",
        )
        .with_field("client_out"));
    }
    // SAFETY: checked non-NULL; the caller guarantees it is valid for a write.
    unsafe { *client_out = std::ptr::null_mut() };
    Ok(())
}

impl graph_client {
    /// Boxes a client for the caller, who frees it with [`graph_client_free`].
    pub(crate) fn into_raw(client: Client) -> *mut graph_client {
        Box::into_raw(Box::new(graph_client { client }))
    }
}

/// # Safety
/// `client` must be NULL or a live pointer from `graph_client_new`.
pub(crate) unsafe fn client_ref<'a>(client: *const graph_client) -> Result<&'a Client> {
    if client.is_null() {
        return Err(
            Error::new(ErrorCode::NullArgument, "The argument 'client' is NULL.")
                .with_field("client"),
        );
    }
    // SAFETY: the caller guarantees a live client.
    Ok(unsafe { &(*client).client })
}

/// Creates a client from a JSON configuration.
///
/// `config_json`: a JSON object with camelCase keys `tenantId`, `clientId`, at most one
/// credential (`clientSecret`; or `certificatePath` with `certificatePassword`,
/// `sendCertificateChain`, `certificateAlgorithm`; or `clientAssertion`; or
/// `clientAssertionFile`; or `accessToken`; or `managedIdentity` (`true` or
/// `{"clientId"|"objectId"|"resourceId": ...}`); or `deviceCode` (`true`) with `scopes`,
/// `tokenCachePath`, `deviceCodePrompt`; `signingCertificate` needs
/// `graph_client_new_with_signer`), `cloud` (`Global`, `USGov`, `USGovDoD`, `China`),
/// `authorityHost`, `graphEndpoint`, `caCertificatePath`, `proxy`, `timeoutSeconds`,
/// `connectTimeoutSeconds`, `maxMessageBytes`, `useEnvironment` (see README "Configuration").
/// A certificate file is read here. NULL or an empty string reads the environment instead
/// (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, `AZURE_AUTHORITY_HOST`,
/// `GRAPHMAIL_GRAPH_ENDPOINT`, `GRAPHMAIL_CA_FILE`, ...). Without a credential (in the JSON or
/// NULL), the environment's is used (a secret, else `AZURE_CLIENT_CERTIFICATE_PATH`, else
/// `AZURE_FEDERATED_TOKEN_FILE`), else the host's managed identity; when none works, the
/// first token request fails with `CredentialUnavailable`, listing what each source said.
/// No request is made here.
///
/// On success `*client_out` receives the client (free it with `graph_client_free`) and
/// `*error_json_out` is NULL. On failure `*client_out` is NULL and `*error_json_out` (if
/// `error_json_out` is not NULL) receives error JSON to free with `graph_string_free`.
///
/// # Safety
/// `config_json` must be NULL or a NUL-terminated string; `client_out` must be valid for a
/// pointer write; `error_json_out` must be NULL or valid for a pointer write.
#[no_mangle]
pub unsafe extern "C" fn graph_client_new(
    config_json: *const c_char,
    client_out: *mut *mut graph_client,
    error_json_out: *mut *mut c_char,
) -> graph_status {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        boundary(error_json_out, || {
            clear_client_out(client_out)?;
            let config = if config_json.is_null() {
                ClientConfig::from_env()?
            } else {
                ClientConfig::from_json(borrow_str(config_json, "config_json")?)?
            };
            let client = Client::new(config)?;
            *client_out = graph_client::into_raw(client);
            Ok(None)
        })
    }
}

/// Frees a client. NULL is allowed and does nothing. The client must not be in use by another
/// thread, and must not be used or freed again afterwards.
///
/// # Safety
/// `client` must be NULL or a pointer from `graph_client_new` that has not been freed.
#[no_mangle]
pub unsafe extern "C" fn graph_client_free(client: *mut graph_client) {
    if client.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the pointer came from Box::into_raw in graph_client_new and is freed once.
        drop(unsafe { Box::from_raw(client) });
    }));
}

/// Sends a message through Microsoft Graph `sendMail`.
///
/// `message_json`: a JSON object with the camelCase keys `from`, `to`, `cc`, `bcc`, `replyTo`
/// (each a string or array of strings: `"Name <addr>"` or bare addresses), `subject`, `body`,
/// `bodyAsHtml`, `priority` (`Normal`/`Low`/`High`), `deliveryNotificationOption`, `headers`
/// (object of `x-` header names to values, at most 5), `saveToSentItems` (default true) and
/// `attachments` (file paths). Invalid input is reported before any request is made.
///
/// `*result_json_out` receives, on success, a JSON report (`status` "sent", `requestId`, what
/// was sent, `warnings`), and on failure error JSON. Free it with `graph_string_free`.
/// If `result_json_out` is NULL the call is refused with `GRAPH_STATUS_INVALID_ARGUMENT` and
/// nothing is sent.
///
/// # Safety
/// `client` must be NULL or a live client; `message_json` must be NULL or a NUL-terminated
/// string; `result_json_out` must be NULL or valid for a pointer write.
#[no_mangle]
pub unsafe extern "C" fn graph_send_mail(
    client: *mut graph_client,
    message_json: *const c_char,
    result_json_out: *mut *mut c_char,
) -> graph_status {
    if result_json_out.is_null() {
        return graph_status::InvalidArgument;
    }
    // SAFETY: forwarded from this function's contract.
    unsafe {
        boundary(result_json_out, || {
            let client = client_ref(client)?;
            let message = Message::from_json(borrow_str(message_json, "message_json")?)?;
            let report = client.send_mail_blocking(&message)?;
            Ok(Some(report.to_json().to_string()))
        })
    }
}

/// Sends many messages in one call: concurrently across mailboxes, at most 4 requests in
/// flight per mailbox (Exchange Online's limit), throttling handled per mailbox.
///
/// `messages_json`: a JSON array of message objects, each as for `graph_send_mail` (at most
/// 100,000). Each message is validated on its own: an invalid one gets its error and is not
/// sent; the others are. `*results_json_out` receives a JSON array with one entry per message,
/// in input order: the send report (`"status": "sent"`, ...) or `{"error": {...}}`. Free it
/// with `graph_string_free`.
///
/// Returns `GRAPH_STATUS_OK` when every message was sent, else the status of the first failed
/// message (in input order); the results array is written either way. If `messages_json` is not
/// a JSON array (or is NULL, or not UTF-8), nothing is sent and `*results_json_out` receives
/// error JSON instead. A NULL `results_json_out` is refused with
/// `GRAPH_STATUS_INVALID_ARGUMENT` and nothing is sent.
///
/// # Safety
/// `client` must be NULL or a live client; `messages_json` must be NULL or a NUL-terminated
/// string; `results_json_out` must be NULL or valid for a pointer write.
#[no_mangle]
pub unsafe extern "C" fn graph_send_mail_batch(
    client: *mut graph_client,
    messages_json: *const c_char,
    results_json_out: *mut *mut c_char,
) -> graph_status {
    if results_json_out.is_null() {
        return graph_status::InvalidArgument;
    }
    let mut first_failure = graph_status::Ok;
    // SAFETY: forwarded from this function's contract.
    let status = unsafe {
        boundary(results_json_out, || {
            let client = client_ref(client)?;
            let messages = Message::list_from_json(borrow_str(messages_json, "messages_json")?)?;
            let results = client.send_many_blocking(messages);
            if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
                first_failure = graph_status::for_error(e);
            }
            let json: Vec<serde_json::Value> =
                results.iter().map(crate::bulk::result_json).collect();
            Ok(Some(serde_json::Value::Array(json).to_string()))
        })
    };
    if status == graph_status::Ok {
        first_failure
    } else {
        status
    }
}

/// Gets an access token for Graph (from the client's cache while it has more than 5 minutes
/// left). `*token_json_out` receives `{"accessToken", "expiresOn", "expiresOnUnix",
/// "tokenType"}` or error JSON; free it with `graph_string_free` (which wipes it). The token is
/// a bearer secret: do not log it.
///
/// # Safety
/// `client` must be NULL or a live client; `token_json_out` must be NULL or valid for a
/// pointer write.
#[no_mangle]
pub unsafe extern "C" fn graph_acquire_token(
    client: *mut graph_client,
    token_json_out: *mut *mut c_char,
) -> graph_status {
    if token_json_out.is_null() {
        return graph_status::InvalidArgument;
    }
    // SAFETY: forwarded from this function's contract.
    unsafe {
        boundary(token_json_out, || {
            let client = client_ref(client)?;
            let token = client.acquire_token_blocking()?;
            Ok(Some(token.to_json().to_string()))
        })
    }
}

/// Shows what `graph_send_mail` would send, and sends nothing (no token request either): the
/// message is validated exactly as for a send, then `*preview_json_out` receives
/// `{"method": "POST", "url", "body", "attachments", "warnings"}`, where `body` is the sendMail
/// JSON with each attachment's `contentBytes` replaced by a placeholder, or error JSON. Free it
/// with `graph_string_free`.
///
/// `client` may be NULL: the URL then uses the Global cloud's Graph endpoint.
///
/// # Safety
/// `client` must be NULL or a live client; `message_json` must be NULL or a NUL-terminated
/// string; `preview_json_out` must be NULL or valid for a pointer write.
#[no_mangle]
pub unsafe extern "C" fn graph_send_mail_preview(
    client: *mut graph_client,
    message_json: *const c_char,
    preview_json_out: *mut *mut c_char,
) -> graph_status {
    if preview_json_out.is_null() {
        return graph_status::InvalidArgument;
    }
    // SAFETY: forwarded from this function's contract.
    unsafe {
        boundary(preview_json_out, || {
            let message = Message::from_json(borrow_str(message_json, "message_json")?)?;
            let preview = if client.is_null() {
                crate::graph::send::preview_send_mail(
                    &message.validate()?,
                    crate::Cloud::Global.graph_endpoint(),
                    crate::config::DEFAULT_MAX_MESSAGE_BYTES,
                )?
            } else {
                client_ref(client)?.preview_send_mail(&message)?
            };
            Ok(Some(preview.to_string()))
        })
    }
}
