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
