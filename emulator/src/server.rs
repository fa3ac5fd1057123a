//! The HTTPS server: accept loop, TLS, HTTP/1.1 + HTTP/2 connections, request counting,
//! common response headers, and the top-level router.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, HOST};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::attachments::AttachmentFiles;
use crate::certificates::CertificateRegistry;
use crate::config::EmulatorConfig;
use crate::device_codes::DeviceCodeStore;
use crate::drafts::DraftStore;
use crate::faults::{fault_reply, Decision, FaultAction, FaultTarget, Faults, RequestFaults};
use crate::federation::FederationIssuer;
use crate::http::{is, path_segments, read_body, ApiRequest, Ctx, Reply, RequestBody};
use crate::managed_identity_routes::{self as mi_routes, ArcKeys};
use crate::refresh_tokens::RefreshTokenStore;
use crate::schema::SendMailSchema;
use crate::stats::{Counters, Stats};
use crate::store::MessageStore;
use crate::throttling::{Permit, Throttle};
use crate::token::{self, TokenCheck, TokenStore};
use crate::upload::UploadStore;
use crate::{device_code_routes, graph, inbox, upload_routes};

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// How long a connection keeps writing after its last request finished during shutdown.
const FLUSH_GRACE: Duration = Duration::from_millis(50);

/// Everything the request handlers share.
pub(crate) struct State {
    pub(crate) config: EmulatorConfig,
    /// `https://127.0.0.1:PORT` (or the bind address).
    pub(crate) base_url: String,
    pub(crate) tokens: TokenStore,
    pub(crate) store: MessageStore,
    pub(crate) counters: Counters,
    pub(crate) schema: &'static SendMailSchema,
    /// Open drafts.
    pub(crate) drafts: DraftStore,
    /// Open upload sessions.
    pub(crate) uploads: UploadStore,
    /// Attachment bytes of drafts and stored messages.
    pub(crate) files: AttachmentFiles,
    /// Upload faults not fired yet.
    pub(crate) faults: Faults,
    /// Request faults (replaceable at run time).
    pub(crate) request_faults: RequestFaults,
    /// Registered app certificates, read at start.
    pub(crate) certificates: CertificateRegistry,
    /// The workload identity federation issuer.
    pub(crate) federation: FederationIssuer,
    /// Device codes of device code sign-ins.
    pub(crate) device_codes: DeviceCodeStore,
    /// Refresh tokens of delegated sign-ins.
    pub(crate) refresh_tokens: RefreshTokenStore,
    /// The App Service `X-IDENTITY-HEADER` secret.
    pub(crate) identity_header: String,
    /// Azure Arc challenge key files.
    pub(crate) arc_keys: ArcKeys,
    /// Outlook's per app and mailbox limits (switchable at run time).
    pub(crate) throttle: Throttle,
    /// Turns `true` when the emulator shuts down (ends the web inbox's long polls).
    pub(crate) stopping: watch::Receiver<bool>,
}

impl State {
    /// The counters, with the gauges read from the draft and session stores.
    pub(crate) fn stats(&self) -> Stats {
        let mut stats = self.counters.snapshot();
        stats.open_drafts = self.drafts.len() as u64;
        stats.open_upload_sessions = self.uploads.len() as u64;
        stats
    }

    /// Forget the accepted messages and delete their files and attachments (open drafts
    /// keep theirs).
    pub(crate) fn clear_messages(&self) -> std::io::Result<()> {
        self.store.clear()?;
        self.files.clear_except(&self.drafts.ids())
    }
}

/// Accept connections until `shutdown` turns `true`, then give in-flight requests a moment.
pub(crate) async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => accepted,
        };
        let tcp = match accepted {
            Ok((tcp, _peer)) => tcp,
            Err(_) => {
                // e.g. too many open files: back off briefly instead of spinning.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let refused = state.request_faults.refuse_connection();
        if refused > 0 {
            // Fault injection: reset the connection before the TLS handshake.
            Counters::add(&state.counters.faults_injected, refused);
            let _ = tcp.set_zero_linger();
            drop(tcp);
            continue;
        }
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let state = Arc::clone(&state);
        let shutdown = shutdown.clone();
        connections.spawn(serve_connection(tcp, acceptor, state, shutdown));
    }
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.shutdown().await;
}

async fn serve_connection(
    tcp: tokio::net::TcpStream,
    acceptor: TlsAcceptor,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await else {
        return;
    };
    Counters::bump(&state.counters.connections);
    let activity = Arc::new(Activity::default());
    let service_activity = Arc::clone(&activity);
    // Fault injection: a handler may ask for the connection to be closed without an answer.
    let kill = Arc::new(Notify::new());
    let service_kill = Arc::clone(&kill);
    let service = service_fn(move |req| {
        let state = Arc::clone(&state);
        let activity = Arc::clone(&service_activity);
        let kill = Arc::clone(&service_kill);
        async move {
            let _busy = activity.begin();
            let (response, close) = handle(&state, req).await;
            if close {
                kill.notify_one();
                // The connection task drops this request (and the connection) now.
                std::future::pending::<()>().await;
            }
            Ok::<_, Infallible>(response)
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    let connection = builder.serve_connection(TokioIo::new(tls), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = kill.notified() => return,
        _ = shutdown.changed() => {}
    }
    // Shutting down: stop taking requests, let the ones in flight finish and their responses
    // go out, then close. An HTTP/2 graceful close would also wait for the client to
    // acknowledge a PING, which a client sharing a thread with the caller of
    // `Emulator::shutdown` never can, so an idle connection is closed without waiting for it.
    connection.as_mut().graceful_shutdown();
    let idle_then_flush = async {
        activity.wait_idle().await;
        tokio::time::sleep(FLUSH_GRACE).await;
    };
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = kill.notified() => {}
        _ = idle_then_flush => {}
    }
}

/// Requests in progress on one connection.
#[derive(Default)]
struct Activity {
    active: AtomicUsize,
    idle: Notify,
}

/// Marks one request in progress until dropped.
struct Busy<'a>(&'a Activity);

impl Activity {
    fn begin(&self) -> Busy<'_> {
        self.active.fetch_add(1, Ordering::SeqCst);
        Busy(self)
    }

    async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.active.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// Handle one request: read the body (upload URLs stream it instead), route, count, add the
/// common headers. The flag asks to close the connection without answering.
async fn handle(state: &State, req: Request<Incoming>) -> (Response<Full<Bytes>>, bool) {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let segments = path_segments(&path);
    let test_route = segments.first().is_some_and(|s| s == "_emulator");
    if !test_route {
        Counters::bump(&state.counters.requests);
        if parts.version == hyper::Version::HTTP_2 {
            Counters::bump(&state.counters.http2_requests);
        }
    }
    let ctx = Ctx {
        request_id: crate::random::uuid(),
        client_request_id: parts
            .headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= 256)
            .map_or_else(crate::random::uuid, str::to_string),
        origin: origin(state, &parts),
        now: OffsetDateTime::now_utc(),
    };

    let method = parts.method.clone();
    let mut discarded = String::new();
    let mut injected = false;
    let reply = if upload_routes::is_upload_path(&segments) {
        Counters::bump(&state.counters.upload_requests);
        upload_routes::handle(state, &parts, body, &segments, &ctx).await
    } else {
        let declared = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let body = read_body(body, declared, state.config.max_request_bytes).await;
        if let RequestBody::TooLarge { received } = body {
            discarded = format!(", {received} body bytes discarded");
        }
        let request = ApiRequest {
            method: parts.method,
            segments,
            query: parts.uri.query().map(str::to_string),
            headers: parts.headers,
            body,
        };
        let (reply, fired) = route_with_faults(state, &request, &ctx).await;
        injected = fired;
        reply
    };

    if !test_route
        && !reply.close_connection
        && (reply.status.is_client_error() || reply.status.is_server_error())
    {
        Counters::bump(&state.counters.rejected_requests);
    }
    if state.config.request_log {
        let outcome = if reply.close_connection {
            "connection closed (injected fault)".to_string()
        } else if injected {
            format!("{} (injected fault)", reply.status.as_u16())
        } else {
            reply.status.as_u16().to_string()
        };
        eprintln!(
            "graphmail-emulator: {method} {path} -> {outcome} ({} ms{discarded})",
            started.elapsed().as_millis()
        );
    }
    let close = reply.close_connection;
    let mut response = Response::new(Full::new(reply.body));
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        headers.append(name, value);
    }
    for (name, value) in [
        ("request-id", &ctx.request_id),
        ("client-request-id", &ctx.client_request_id),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    (response, close)
}

/// Check the request faults, then answer as they decide (normally: [`route`]). Returns the
/// reply and whether a fault fired.
async fn route_with_faults(state: &State, req: &ApiRequest, ctx: &Ctx) -> (Reply, bool) {
    let target = FaultTarget::classify(&req.method, &req.segments, || {
        match state.tokens.check(graph::bearer_token(req)) {
            TokenCheck::Valid(issued) => issued.user,
            _ => None,
        }
    });
    if target.send_mail {
        Counters::bump(&state.counters.send_mail_requests);
    }
    let decision = if target.is_unmatched() {
        Decision::none()
    } else {
        state.request_faults.decide(&target)
    };
    Counters::add(&state.counters.faults_injected, decision.fired);
    let process = matches!(
        decision.action,
        FaultAction::Process | FaultAction::ProcessThenClose
    );
    let permit = if process {
        match admit(state, req, ctx, &target) {
            Ok(permit) => permit,
            Err(reply) => return (reply, decision.fired > 0),
        }
    } else {
        None
    };
    // An injected delay is part of the handling: the request holds its throttling place.
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let reply = match &decision.action {
        FaultAction::Process => route(state, req, ctx).await,
        FaultAction::ProcessThenClose => {
            let mut reply = route(state, req, ctx).await;
            reply.close_connection = true;
            reply
        }
        action => {
            // Not routed: count the request as `route` would have.
            if target.graph {
                Counters::bump(&state.counters.graph_requests);
            }
            if target.token {
                Counters::bump(&state.counters.token_requests);
            }
            match fault_reply(action, &target, ctx) {
                Some(reply) => reply,
                None => {
                    let mut reply = Reply::empty(StatusCode::OK);
                    reply.close_connection = true;
                    reply
                }
            }
        }
    };
    let fired = decision.fired > 0;
    // `decision` and `permit` (the concurrency places they hold) live until the reply is made.
    drop((decision, permit));
    (reply, fired)
}

/// Check Outlook's per app and mailbox limits for a Graph request with a valid token naming
/// a mailbox: a permit to keep until the reply is made, or the `429` reply.
fn admit(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    target: &FaultTarget,
) -> Result<Option<Permit>, Reply> {
    let Some(mailbox) = target.mailbox.as_deref().filter(|_| target.graph) else {
        return Ok(None);
    };
    if state.throttle.limits().is_none() {
        return Ok(None);
    }
    let TokenCheck::Valid(issued) = state.tokens.check(graph::bearer_token(req)) else {
        return Ok(None); // answered 401 by the route
    };
    let upload_bytes = match req.method {
        Method::POST | Method::PUT | Method::PATCH => match &req.body {
            RequestBody::Complete(bytes) => bytes.len() as u64,
            RequestBody::TooLarge { received } => *received,
            RequestBody::Failed => 0,
        },
        _ => 0,
    };
    state
        .throttle
        .admit(&issued.client_id, mailbox, upload_bytes, Instant::now())
        .map_err(|throttled| {
            Counters::bump(&state.counters.graph_requests);
            Counters::bump(&state.counters.throttled_requests);
            crate::throttling::reply(ctx, &throttled)
        })
}

/// `https://<authority the client used>` when it is a plausible host[:port], else the base URL.
fn origin(state: &State, parts: &hyper::http::request::Parts) -> String {
    let authority = parts
        .uri
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            parts
                .headers
                .get(HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        });
    match authority {
        Some(a)
            if !a.is_empty()
                && a.len() <= 255
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)) =>
        {
            format!("https://{a}")
        }
        _ => state.base_url.clone(),
    }
}

async fn route(state: &State, req: &ApiRequest, ctx: &Ctx) -> Reply {
    let segments: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        [] => match req.method {
            Method::GET | Method::HEAD if inbox::wants_html(req) => inbox::redirect_to_inbox(),
            Method::GET | Method::HEAD => home(state, ctx),
            _ => graph::method_not_allowed(ctx, &req.method, "GET"),
        },
        [page] if is(page, "inbox") => inbox::page(req, ctx, None),
        [page, asset] if is(page, "inbox") => inbox::page(req, ctx, Some(asset)),
        ["_emulator", rest @ ..] => test_route(state, req, ctx, rest).await,
        [version, ..] if is(version, "v1.0") => {
            Counters::bump(&state.counters.graph_requests);
            graph::route(state, req, ctx, &req.segments[1..]).await
        }
        [common, discovery, instance]
            if is(common, "common") && is(discovery, "discovery") && is(instance, "instance") =>
        {
            token::instance_discovery(req, ctx)
        }
        [metadata, identity, oauth2, token]
            if is(metadata, "metadata")
                && is(identity, "identity")
                && is(oauth2, "oauth2")
                && is(token, "token") =>
        {
            managed_identity(state, req, ctx, mi_routes::imds)
        }
        [msi, token] if is(msi, "msi") && is(token, "token") => {
            managed_identity(state, req, ctx, mi_routes::app_service)
        }
        [arc, metadata, identity, oauth2, token]
            if is(arc, "arc")
                && is(metadata, "metadata")
                && is(identity, "identity")
                && is(oauth2, "oauth2")
                && is(token, "token") =>
        {
            managed_identity(state, req, ctx, mi_routes::arc)
        }
        [federation, well_known, openid]
            if is(federation, "federation")
                && is(well_known, ".well-known")
                && is(openid, "openid-configuration") =>
        {
            match req.method {
                Method::GET => state.federation.discovery(),
                _ => graph::method_not_allowed(ctx, &req.method, "GET"),
            }
        }
        [federation, jwks] if is(federation, "federation") && is(jwks, "jwks") => {
            match req.method {
                Method::GET => state.federation.jwks(),
                _ => graph::method_not_allowed(ctx, &req.method, "GET"),
            }
        }
        [devicelogin] if is(devicelogin, "devicelogin") => {
            device_code_routes::device_login(state, req, ctx)
        }
        [tenant, oauth2, v2, endpoint]
            if is(oauth2, "oauth2") && is(v2, "v2.0") && is(endpoint, "token") =>
        {
            if req.method == Method::POST {
                Counters::bump(&state.counters.token_requests);
            }
            token::token_endpoint(state, req, ctx, tenant)
        }
        [tenant, oauth2, v2, endpoint]
            if is(oauth2, "oauth2") && is(v2, "v2.0") && is(endpoint, "devicecode") =>
        {
            device_code_routes::device_authorization(state, req, ctx, tenant)
        }
        [tenant, v2, well_known, openid]
            if is(v2, "v2.0")
                && is(well_known, ".well-known")
                && is(openid, "openid-configuration") =>
        {
            match req.method {
                Method::GET => token::openid_configuration(state, ctx, tenant),
                _ => graph::method_not_allowed(ctx, &req.method, "GET"),
            }
        }
        [tenant, discovery, v2, keys]
            if is(discovery, "discovery") && is(v2, "v2.0") && is(keys, "keys") =>
        {
            match req.method {
                Method::GET => token::jwks(state, ctx, tenant),
                _ => graph::method_not_allowed(ctx, &req.method, "GET"),
            }
        }
        _ => graph::not_found(ctx, segments.last().copied().unwrap_or("/")),
    }
}

/// A managed identity endpoint: counted, or `404` while no managed identity is configured.
fn managed_identity(
    state: &State,
    req: &ApiRequest,
    ctx: &Ctx,
    handler: fn(&State, &ApiRequest, &Ctx) -> Reply,
) -> Reply {
    if state.config.managed_identities.is_empty() {
        return graph::not_found(ctx, req.segments.last().map_or("/", String::as_str));
    }
    Counters::bump(&state.counters.token_requests);
    Counters::bump(&state.counters.managed_identity_requests);
    handler(state, req, ctx)
}

/// `/_emulator/*`: test routes (no authentication, not counted).
async fn test_route(state: &State, req: &ApiRequest, ctx: &Ctx, rest: &[&str]) -> Reply {
    match (rest, &req.method) {
        (["inbox", api @ ..], _) => inbox::api(state, req, ctx, api).await,
        (["stats"], &Method::GET) => Reply::json(
            StatusCode::OK,
            &serde_json::to_value(state.stats()).unwrap_or_default(),
        ),
        (["messages"], &Method::GET) => Reply::json(
            StatusCode::OK,
            &serde_json::to_value(state.store.list()).unwrap_or_default(),
        ),
        (["messages"], &Method::DELETE) => match state.clear_messages() {
            Ok(()) => Reply::empty(StatusCode::NO_CONTENT),
            Err(e) => graph::graph_error(
                ctx,
                StatusCode::INTERNAL_SERVER_ERROR,
                "ErrorInternalServerError",
                &format!("Could not delete the stored messages: {e}"),
            ),
        },
        (["stats"], method) => graph::method_not_allowed(ctx, method, "GET"),
        (["messages"], method) => graph::method_not_allowed(ctx, method, "GET, DELETE"),
        _ => graph::not_found(ctx, rest.last().copied().unwrap_or("_emulator")),
    }
}

/// `GET /`: a short text page naming the emulator and its endpoints.
fn home(state: &State, ctx: &Ctx) -> Reply {
    let tenant = state.config.tenants.first().map_or("", String::as_str);
    let stats = state.stats();
    let page = format!(
        "GraphMail emulator (local Microsoft Graph + identity platform for testing)\n\
         \n\
         Token endpoint:  {origin}/{tenant}/oauth2/v2.0/token\n\
         Device code:     {origin}/{tenant}/oauth2/v2.0/devicecode (sign in at {origin}/devicelogin)\n\
         Federation:      {origin}/federation (workload identity token issuer)\n\
         Managed identity: {mi}\n\
         Graph endpoint:  {origin}/v1.0\n\
         sendMail:        POST {origin}/v1.0/users/{{mailbox}}/sendMail (JSON or MIME)\n\
         Drafts:          POST {origin}/v1.0/users/{{mailbox}}/messages, then .../attachments,\n\
         \x20                .../attachments/createUploadSession and .../send\n\
         Sent Items:      GET  {origin}/v1.0/users/{{mailbox}}/mailFolders/sentItems/messages\n\
         Mailboxes:       {mailboxes}\n\
         Accepted:        {accepted} message(s)\n\
         Web inbox:       {origin}/inbox\n\
         \n\
         Test routes: GET /_emulator/stats, GET /_emulator/messages, DELETE /_emulator/messages\n",
        origin = ctx.origin,
        mailboxes = state.config.mailboxes.join(", "),
        mi = if state.config.managed_identities.is_empty() {
            "off".to_string()
        } else {
            format!(
                "IMDS {origin}/metadata/identity/oauth2/token, App Service {origin}/msi/token, \
                 Arc {origin}/arc/metadata/identity/oauth2/token",
                origin = ctx.origin
            )
        },
        accepted = stats.accepted_messages,
    );
    Reply::text(StatusCode::OK, "text/plain; charset=utf-8", page)
}
