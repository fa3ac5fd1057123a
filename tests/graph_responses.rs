//! Responses the emulator never gives, from a canned HTTPS server: redirects are not followed,
//! and Graph's error statuses become the right codes with actionable messages. Also checks the
//! exact requests the library sends.

mod support;

use graphmail::ffi::graph_status;
use serde_json::{json, Value};
use support::{assert_error, http_response, CannedServer, FfiClient, SeenRequest, TOKEN_OK};

fn message() -> Value {
    json!({"from": "alerts@contoso.com", "to": "ops@contoso.com", "subject": "s"})
}

/// A server whose token endpoint works and whose sendMail answers `graph`.
fn graph_answers(graph: String) -> CannedServer {
    CannedServer::start(move |r: &SeenRequest| {
        if r.line.contains("/oauth2/v2.0/token") {
            http_response("200 OK", &[], TOKEN_OK)
        } else {
            graph.clone()
        }
    })
}

#[test]
fn the_requests_on_the_wire_are_exactly_as_documented() {
    let server = graph_answers(http_response("202 Accepted", &["request-id: rid-202"], ""));
    let (status, report) = FfiClient::new(&server.config()).send(&message());
    assert_eq!(status, graph_status::Ok, "{report}");
    assert_eq!(report["requestId"], "rid-202");
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    let token = &seen[0];
    assert_eq!(
        token.line,
        "POST /contoso.onmicrosoft.com/oauth2/v2.0/token HTTP/1.1"
    );
    let form: Vec<(String, String)> = form_urlencoded::parse(&token.body).into_owned().collect();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("grant_type"), Some("client_credentials"));
    assert_eq!(get("client_id"), Some("app-123"));
    assert_eq!(get("scope"), Some("https://graph.microsoft.com/.default"));
    assert_eq!(get("client_secret"), Some("s"));
    let send = &seen[1];
    assert_eq!(
        send.line,
        "POST /v1.0/users/alerts@contoso.com/sendMail HTTP/1.1"
    );
    let header = |k: &str| {
        send.headers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        header("authorization"),
        Some("Bearer canned-access-token-0123456789")
    );
    assert_eq!(header("content-type"), Some("application/json"));
    assert_eq!(
        header("client-request-id"),
        report["clientRequestId"].as_str()
    );
    assert!(header("user-agent").unwrap().starts_with("graphmail/"));
    let body: Value = serde_json::from_slice(&send.body).unwrap();
    support::assert_valid_send_mail(&body);
}

#[test]
fn redirects_are_never_followed() {
    let server = CannedServer::start(|_| {
        http_response(
            "302 Found",
            &["Location: https://127.0.0.1:9/elsewhere"],
            "",
        )
    });
    let r = FfiClient::new(&server.config()).token();
    assert_error(&r, graph_status::Auth, "AuthenticationFailed");
    assert_eq!(r.1["error"]["httpStatus"], 302);
    assert_eq!(
        server.seen.lock().unwrap().len(),
        1,
        "the redirect was not followed"
    );

    let server = graph_answers(http_response(
        "307 Temporary Redirect",
        &["Location: https://127.0.0.1:9/x"],
        "",
    ));
    let r = FfiClient::new(&server.config()).send(&message());
    assert_error(&r, graph_status::Graph, "GraphRequestRejected");
    assert_eq!(r.1["error"]["httpStatus"], 307);
    assert_eq!(
        server.seen.lock().unwrap().len(),
        2,
        "token + sendMail, no redirect"
    );
}

#[test]
fn access_denied_by_policy_says_how_to_fix_it() {
    let server = graph_answers(http_response(
        "403 Forbidden",
        &["request-id: rid-403"],
        r#"{"error":{"code":"ErrorAccessDenied","message":"Access to OData is disabled.","innerError":{"request-id":"rid-403","date":"2026-01-01T00:00:00"}}}"#,
    ));
    let r = FfiClient::new(&server.config()).send(&message());
    assert_error(&r, graph_status::Graph, "AccessDenied");
    let e = &r.1["error"];
    assert_eq!(e["httpStatus"], 403);
    assert_eq!(e["graphCode"], "ErrorAccessDenied");
    assert_eq!(e["requestId"], "rid-403");
    let msg = e["message"].as_str().unwrap();
    for needle in [
        "app-123",
        "alerts@contoso.com",
        "Mail.Send",
        "application access policy",
    ] {
        assert!(msg.contains(needle), "'{needle}' missing from: {msg}");
    }
}

#[test]
fn other_statuses_map_to_stable_codes() {
    let cases = [
        (http_response("200 OK", &[], ""), "UnexpectedResponse"),
        (
            http_response(
                "429 Too Many Requests",
                &["Retry-After: 2"],
                r#"{"error":{"code":"TooManyRequests","message":"Please retry again later."}}"#,
            ),
            "Throttled",
        ),
        (
            http_response("502 Bad Gateway", &[], "<html>bad gateway</html>"),
            "GraphServiceUnavailable",
        ),
        (
            http_response(
                "400 Bad Request",
                &[],
                r#"{"error":{"code":"ErrorInvalidRecipients","message":"At least one recipient isn't valid."}}"#,
            ),
            "InvalidRecipients",
        ),
    ];
    for (response, code) in cases {
        let server = graph_answers(response);
        let r = FfiClient::new(&server.config()).send(&message());
        assert_error(&r, graph_status::Graph, code);
    }
}

#[test]
fn a_blocking_access_policy_is_named_with_the_commands_that_fix_it() {
    let server = graph_answers(http_response(
        "403 Forbidden",
        &["request-id: rid-raop"],
        r#"{"error":{"code":"ErrorAccessDenied","message":"Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."}}"#,
    ));
    let r = FfiClient::new(&server.config()).send(&message());
    assert_error(&r, graph_status::Graph, "AccessDenied");
    let msg = r.1["error"]["message"].as_str().unwrap();
    for needle in [
        "application access policy blocked",
        "app-123",
        "alerts@contoso.com",
        "Add-DistributionGroupMember",
        "Set-ApplicationAccessPolicy",
        "New-ManagementRoleAssignment",
        "Test-ApplicationAccessPolicy",
        "[RAOP]",
    ] {
        assert!(msg.contains(needle), "'{needle}' missing from: {msg}");
    }
}
