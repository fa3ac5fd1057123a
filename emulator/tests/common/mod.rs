//! Shared helpers: start an emulator in a temporary folder and talk to it with reqwest over
//! real TLS, trusting only the emulator's CA.
#![allow(dead_code)] // each test binary uses a different subset

use std::sync::Arc;

use base64::Engine as _;
use graphmail_emulator::{Emulator, EmulatorConfig, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::CertificateDer;
use serde_json::{json, Value};

pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
pub const SENDER: &str = "alerts@contoso.test";

/// An emulator in its own temporary folder plus a client trusting its CA.
pub struct Harness {
    pub emu: Emulator,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
}

impl Harness {
    pub fn start() -> Harness {
        Self::start_with(|c| c)
    }

    pub fn start_with(configure: impl FnOnce(EmulatorConfig) -> EmulatorConfig) -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let emu = Emulator::start(configure(EmulatorConfig::new(dir.path()))).expect("start");
        let client = client_for(&std::fs::read(emu.ca_certificate_path()).expect("ca.pem"));
        Harness { emu, client, dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.base_url())
    }

    pub fn token_url(&self) -> String {
        self.url(&format!("/{}/oauth2/v2.0/token", self.emu.tenant_id()))
    }

    /// POST a form to the token endpoint; returns status, headers, JSON body.
    pub async fn token_request(&self, form: &[(&str, &str)]) -> Reply {
        self.token_request_with(form, |r| r).await
    }

    pub async fn token_request_with(
        &self,
        form: &[(&str, &str)],
        customize: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let req = self
            .client
            .post(self.token_url())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        Reply::from(customize(req).send().await.expect("token request")).await
    }

    /// A fresh access token for the default app.
    pub async fn token(&self) -> String {
        let reply = self
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", DEFAULT_CLIENT_SECRET),
                ("scope", GRAPH_SCOPE),
            ])
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        reply.json["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// POST a JSON sendMail body for `user` (path-encoded by the caller if needed).
    pub async fn send(&self, token: &str, user: &str, body: &Value) -> Reply {
        self.send_raw(
            Some(token),
            user,
            "application/json",
            serde_json::to_vec(body).expect("json"),
        )
        .await
    }

    pub async fn send_raw(
        &self,
        token: Option<&str>,
        user: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let mut req = self
            .client
            .post(self.url(&format!("/v1.0/users/{user}/sendMail")))
            .header("content-type", content_type)
            .header("client-request-id", "11111111-2222-4333-8444-555555555555")
            .body(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        Reply::from(req.send().await.expect("sendMail request")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut req = self.client.get(self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        Reply::from(req.send().await.expect("GET")).await
    }

    /// Files in the messages folder, sorted.
    pub fn message_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.emu.messages_dir())
            .expect("messages dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// A response with its body read.
pub struct Reply {
    pub status: StatusCode,
    pub version: reqwest::Version,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub json: Value,
}

impl Reply {
    pub async fn from(response: reqwest::Response) -> Reply {
        let status = response.status();
        let version = response.version();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("body").to_vec();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Reply {
            status,
            version,
            headers,
            body,
            json,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Assert a Graph error envelope with `status` and `code`; returns the message.
    pub fn assert_graph_error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.json);
        assert_eq!(self.json["error"]["code"], code, "body: {}", self.json);
        assert_eq!(self.header("content-type"), Some("application/json"));
        let inner = &self.json["error"]["innerError"];
        let request_id = self.header("request-id").expect("request-id header");
        assert_eq!(inner["request-id"], request_id);
        assert_eq!(
            inner["client-request-id"].as_str(),
            self.header("client-request-id")
        );
        let date = inner["date"].as_str().expect("date");
        assert_eq!(date.len(), 19, "{date}");
        assert_eq!(&date[10..11], "T");
        assert!(!date.ends_with('Z'));
        self.json["error"]["message"]
            .as_str()
            .expect("message")
            .to_string()
    }
}

/// Check the identity platform's error shape; returns the text after `AADSTSnnnn: `.
pub fn assert_aad_error(reply: &Reply, status: u16, error: &str, code: u64) -> String {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.json);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let j = &reply.json;
    assert_eq!(j["error"], error, "{j}");
    assert_eq!(j["error_codes"], serde_json::json!([code]), "{j}");
    assert_eq!(
        j["error_uri"],
        format!("https://login.microsoftonline.com/error?code={code}")
    );
    let trace = j["trace_id"].as_str().expect("trace_id");
    let correlation = j["correlation_id"].as_str().expect("correlation_id");
    let timestamp = j["timestamp"].as_str().expect("timestamp");
    assert!(uuid::Uuid::parse_str(trace).is_ok());
    assert!(uuid::Uuid::parse_str(correlation).is_ok());
    // YYYY-MM-DD HH:MM:SSZ
    assert_eq!(timestamp.len(), 20, "{timestamp}");
    assert_eq!(&timestamp[10..11], " ");
    assert!(timestamp.ends_with('Z'));
    let description = j["error_description"].as_str().expect("description");
    let prefix = format!("AADSTS{code}: ");
    assert!(description.starts_with(&prefix), "{description}");
    let suffix =
        format!("\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}");
    assert!(description.ends_with(&suffix), "{description:?}");
    description[prefix.len()..description.len() - suffix.len()].to_string()
}

impl Harness {
    /// POST a form to a path (or absolute URL).
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.call(
            reqwest::Method::POST,
            path,
            None,
            Some(("application/x-www-form-urlencoded", body.into_bytes())),
        )
        .await
    }

    /// GET a path (or absolute URL) with extra headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let url = if path.starts_with("https://") {
            path.to_string()
        } else {
            self.url(path)
        };
        let mut req = self.client.get(url);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        Reply::from(req.send().await.expect("GET")).await
    }
}

/// A reqwest client (ring provider, ALPN h2 + http/1.1) trusting only the given CA PEM.
pub fn client_for(ca_pem: &[u8]) -> reqwest::Client {
    client_with(ca_pem, &[b"h2", b"http/1.1"], rustls::DEFAULT_VERSIONS)
}

pub fn client_with(
    ca_pem: &[u8],
    alpn: &[&[u8]],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.expect("CA PEM")).expect("add CA");
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(versions)
    .expect("protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .build()
        .expect("client")
}

/// `Authorization: Basic` value per RFC 6749 section 2.3.1 (form-encoded id and secret).
pub fn basic_auth(client_id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            enc(client_id),
            enc(secret)
        ))
    )
}

/// A valid sendMail body to `to`.
pub fn simple_mail(to: &str) -> Value {
    json!({
        "message": {
            "subject": "Test",
            "body": {"contentType": "text", "content": "Hello"},
            "toRecipients": [{"emailAddress": {"address": to}}]
        }
    })
}

/// A draft message (create-message body) to `to`.
pub fn draft_message(to: &str) -> Value {
    json!({
        "subject": "Draft",
        "body": {"contentType": "html", "content": "<p>Hi <img src=\"cid:logo\"></p>"},
        "toRecipients": [{"emailAddress": {"address": to}}],
        "internetMessageHeaders": [{"name": "x-job-id", "value": "7"}]
    })
}

/// `count` bytes of a fixed pseudo-random pattern.
pub fn pattern(count: usize) -> Vec<u8> {
    let mut state: u32 = 0x1234_5678;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Standard base64.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Harness {
    /// A request with an optional bearer token and body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Reply {
        let url = if path.starts_with("https://") {
            path.to_string()
        } else {
            self.url(path)
        };
        let mut req = self.client.request(method, url);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some((content_type, body)) = body {
            req = req.header("content-type", content_type).body(body);
        }
        Reply::from(req.send().await.expect("request")).await
    }

    /// POST JSON to a path.
    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Reply {
        let bytes = serde_json::to_vec(body).expect("json");
        self.call(
            reqwest::Method::POST,
            path,
            Some(token),
            Some(("application/json", bytes)),
        )
        .await
    }

    /// Create a draft in the sender's mailbox; returns its id.
    pub async fn create_draft(&self, token: &str, message: &Value) -> String {
        let reply = self
            .post_json(&format!("/v1.0/users/{SENDER}/messages"), token, message)
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
        reply.json["id"].as_str().expect("draft id").to_string()
    }

    /// Path of a draft (or a sub-path of it).
    pub fn draft_path(&self, id: &str, rest: &str) -> String {
        format!("/v1.0/users/{SENDER}/messages/{id}{rest}")
    }

    /// Create an upload session for `size` bytes on draft `id`; returns the upload URL.
    pub async fn upload_session(&self, token: &str, id: &str, name: &str, size: usize) -> String {
        let reply = self
            .post_json(
                &self.draft_path(id, "/attachments/createUploadSession"),
                token,
                &json!({"AttachmentItem": {"attachmentType": "file", "name": name, "size": size,
                    "contentType": "application/octet-stream"}}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
        reply.json["uploadUrl"]
            .as_str()
            .expect("uploadUrl")
            .to_string()
    }

    /// PUT one chunk (`bytes` = the whole file, `start..=end` of it) to an upload URL, with
    /// the headers a correct client sends and no Authorization header.
    pub async fn put_chunk(&self, url: &str, file: &[u8], start: usize, end: usize) -> Reply {
        let response = self
            .put_chunk_raw(url, file, start, end)
            .await
            .expect("PUT chunk");
        Reply::from(response).await
    }

    /// Like [`put_chunk`](Self::put_chunk) but returns the transport error, if any.
    pub async fn put_chunk_raw(
        &self,
        url: &str,
        file: &[u8],
        start: usize,
        end: usize,
    ) -> reqwest::Result<reqwest::Response> {
        self.client
            .put(url)
            .header("content-type", "application/octet-stream")
            .header(
                "content-range",
                format!("bytes {start}-{end}/{}", file.len()),
            )
            .body(file[start..=end].to_vec())
            .send()
            .await
    }

    /// Upload `file` in chunks of `chunk` bytes; returns the last reply (201).
    pub async fn upload_all(&self, url: &str, file: &[u8], chunk: usize) -> Reply {
        let mut start = 0;
        loop {
            let end = (start + chunk).min(file.len()) - 1;
            let reply = self.put_chunk(url, file, start, end).await;
            if end + 1 == file.len() {
                assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
                return reply;
            }
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
            assert_eq!(
                reply.json["nextExpectedRanges"],
                json!([(end + 1).to_string()])
            );
            start = end + 1;
        }
    }

    /// Send raw HTTP/1.1 bytes over TLS (connection closed after one response); returns the
    /// status code and the whole response text.
    pub async fn raw_http1(&self, request: &[u8]) -> (u16, String) {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let ca = std::fs::read(self.emu.ca_certificate_path()).expect("ca");
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&ca) {
            roots.add(cert.expect("CA PEM")).expect("add CA");
        }
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.emu.port()))
            .await
            .expect("connect");
        let name = rustls_pki_types::ServerName::try_from("127.0.0.1").expect("name");
        let mut tls = connector.connect(name, tcp).await.expect("tls");
        tls.write_all(request).await.expect("write");
        tls.flush().await.expect("flush");
        let mut response = Vec::new();
        let _ = tls.read_to_end(&mut response).await;
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, text)
    }
}
