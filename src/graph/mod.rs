//! Microsoft Graph: wire types ([`wire`]), the sendMail request ([`send`]), and turning Graph's
//! error responses into [`Error`]s whose messages say what to fix.

pub(crate) mod draft;
pub(crate) mod request;
pub mod send;
pub mod upload;
pub mod wire;

use reqwest::header::HeaderMap;

use crate::error::{Error, ErrorCode};

/// What a Graph error is about, for the user-facing hint.
pub(crate) struct GraphContext<'a> {
    /// The mailbox in the request path.
    pub mailbox: &'a str,
    /// The application (client) id.
    pub client_id: &'a str,
}

/// The `request-id` of a response, from its header.
pub(crate) fn request_id_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get("request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Builds the error for a Graph HTTP error response.
pub(crate) fn graph_error(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    ctx: &GraphContext<'_>,
) -> Error {
    let envelope: Option<wire::ErrorEnvelope> = serde_json::from_slice(body).ok();
    let (graph_code, graph_message, body_request_id) = match &envelope {
        Some(e) => (
            e.error.code.clone(),
            e.error.message.clone(),
            e.error
                .inner_error
                .as_ref()
                .and_then(|i| i.request_id.clone()),
        ),
        None => (String::new(), String::new(), None),
    };
    let request_id = request_id_header(headers).or(body_request_id);
    let said = if graph_message.is_empty() {
        format!("HTTP {status}")
    } else {
        format!(
            "{graph_code}: {}",
            crate::config::truncate_for_message(&graph_message)
        )
    };
    let mailbox = ctx.mailbox;
    // With only an access token there is no configured client id.
    let app = if ctx.client_id.is_empty() {
        "(the token's application)"
    } else {
        ctx.client_id
    };
    let (code, hint) = match (status, graph_code.as_str()) {
        // ErrorInvalidUser, ResourceNotFound, MailboxNotEnabledForRESTAPI, ...
        (404, _) => (
            ErrorCode::MailboxNotFound,
            format!("The sender mailbox '{mailbox}' was not found. Check that From is the primary SMTP address of a licensed Exchange Online mailbox (user or shared) in this tenant."),
        ),
        (403, "ErrorSendAsDenied") => (
            ErrorCode::SendAsDenied,
            format!("Application '{app}' may not send as '{mailbox}'. Send from the mailbox itself, or grant SendAs on it."),
        ),
        (403, _) if graph_message.contains("[RAOP]") || graph_message.contains("AccessPolicy") => (
            ErrorCode::AccessDenied,
            format!("An application access policy blocked application '{app}' from mailbox '{mailbox}' (the app's permission is not the problem). To allow it, add the mailbox to the group the policy scopes (Add-DistributionGroupMember -Identity <policy group> -Member {mailbox}) or change the policy (Set-ApplicationAccessPolicy); with Exchange RBAC for Applications, widen the scope (New-ManagementRoleAssignment -App {app} -Role \"Application Mail.Send\" -CustomResourceScope <scope>). Check with Test-ApplicationAccessPolicy -Identity {mailbox} -AppId {app}; policy changes can take an hour or more to apply."),
        ),
        (403, _) => (
            ErrorCode::AccessDenied,
            format!("Access to mailbox '{mailbox}' was denied for application '{app}'. Grant the app the Mail.Send application permission with admin consent; if an application access policy or Exchange RBAC for Applications limits the app, add '{mailbox}' to its scope (check with Test-ApplicationAccessPolicy -Identity {mailbox} -AppId {app})."),
        ),
        (401, _) => (
            ErrorCode::InvalidAuthenticationToken,
            format!("Graph rejected the access token for application '{app}'. Check that the token is for the same cloud as the Graph endpoint and has not expired."),
        ),
        (400, "ErrorInvalidRecipients") => (
            ErrorCode::InvalidRecipients,
            "Graph rejected a recipient. Check every To, Cc and Bcc address.".to_string(),
        ),
        (413, _) => (
            ErrorCode::RequestTooLarge,
            "Graph rejected the request as too large (4 MB limit). Send fewer or smaller attachments.".to_string(),
        ),
        (429, _) => (
            ErrorCode::Throttled,
            format!("Graph throttled requests for mailbox '{mailbox}'. Wait and try again later."),
        ),
        (500..=599, _) => (
            ErrorCode::GraphServiceUnavailable,
            "Microsoft Graph is unavailable right now. Try again later.".to_string(),
        ),
        _ => (
            ErrorCode::GraphRequestRejected,
            "Graph rejected the request.".to_string(),
        ),
    };
    let mut err = Error::new(code, format!("{hint} (Graph said {said})"))
        .with_http_status(status)
        .with_request_id(request_id);
    if !graph_code.is_empty() {
        err = err.with_graph_code(graph_code);
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> GraphContext<'static> {
        GraphContext {
            mailbox: "alerts@contoso.com",
            client_id: "app-1",
        }
    }

    #[test]
    fn known_graph_errors_get_actionable_messages() {
        let body = br#"{"error":{"code":"ErrorAccessDenied","message":"Access to OData is disabled.","innerError":{"request-id":"rid-9","date":"2024-01-01T00:00:00"}}}"#;
        let e = graph_error(403, &HeaderMap::new(), body, &ctx());
        assert_eq!(e.code(), ErrorCode::AccessDenied);
        assert_eq!(e.http_status(), Some(403));
        assert_eq!(e.graph_code(), Some("ErrorAccessDenied"));
        assert_eq!(e.request_id(), Some("rid-9"));
        assert!(e.message().contains("Mail.Send"));
        assert!(e.message().contains("app-1"));
        assert!(e.message().contains("alerts@contoso.com"));

        let mut h = HeaderMap::new();
        h.insert("request-id", "hdr-1".parse().unwrap());
        let body = br#"{"error":{"code":"ErrorInvalidUser","message":"The requested user 'x' is invalid."}}"#;
        let e = graph_error(404, &h, body, &ctx());
        assert_eq!(e.code(), ErrorCode::MailboxNotFound);
        assert_eq!(e.request_id(), Some("hdr-1"));
        assert!(e.message().contains("primary SMTP address"));
    }

    #[test]
    fn a_non_json_body_still_gives_a_clear_error() {
        let e = graph_error(502, &HeaderMap::new(), b"<html>bad gateway</html>", &ctx());
        assert_eq!(e.code(), ErrorCode::GraphServiceUnavailable);
        assert!(e.graph_code().is_none());
    }
}
