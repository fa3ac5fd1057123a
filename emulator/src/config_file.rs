//! The emulator's configuration file (JSON): [`EmulatorConfig::from_file`].
//!
//! Every key is optional; a list given in the file replaces the built-in default list
//! (tenants, apps, mailboxes). Unknown keys are errors, so a typo does not go unnoticed.
//! Relative paths (`dataDir`, certificate files) are relative to the file's folder.
//!
//! ```json
//! {
//!   "port": 8443,
//!   "dataDir": "emulator-data",
//!   "tenants": ["contoso.onmicrosoft.com"],
//!   "apps": [
//!     {"clientId": "11111111-2222-3333-4444-555555555555", "clientSecret": "local-only-secret",
//!      "permissions": ["Mail.Send", "Mail.ReadWrite"]},
//!     {"clientId": "66666666-7777-8888-9999-000000000000", "certificates": ["app.cert.pem"]}
//!   ],
//!   "mailboxes": ["alerts@contoso.test", "reports@contoso.test", "ceo@contoso.test"],
//!   "groups": {"alert-senders@contoso.test": ["alerts@contoso.test", "reports@contoso.test"]},
//!   "accessPolicies": [
//!     {"appId": "11111111-2222-3333-4444-555555555555", "accessRight": "RestrictAccess",
//!      "scope": ["alert-senders@contoso.test"], "description": "alerting app"}
//!   ],
//!   "throttling": true,
//!   "faults": [{"scope": "sendMail", "type": "throttle", "every": 5, "retryAfterSeconds": 2}]
//! }
//! ```

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::config::{AppRegistration, EmulatorConfig};
use crate::error::EmulatorError;
use crate::faults::{FaultScope, RequestFault, RetryAfter, UploadFault};
use crate::policies::{AccessPolicy, AccessRight};
use crate::throttling::ThrottlingLimits;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileConfig {
    bind: Option<IpAddr>,
    port: Option<u16>,
    data_dir: Option<PathBuf>,
    tenants: Option<Vec<String>>,
    apps: Option<Vec<FileApp>>,
    mailboxes: Option<Vec<String>>,
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    groups: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    access_policies: Vec<FilePolicy>,
    throttling: Option<FileThrottling>,
    token_lifetime_seconds: Option<u64>,
    max_request_bytes: Option<usize>,
    request_log: Option<bool>,
    #[serde(default)]
    faults: Vec<FileFault>,
    #[serde(default)]
    upload_faults: Vec<FileUploadFault>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileApp {
    client_id: String,
    #[serde(default)]
    client_secret: String,
    permissions: Option<Vec<String>>,
    delegated_permissions: Option<Vec<String>>,
    #[serde(default)]
    certificates: Vec<PathBuf>,
    #[serde(default)]
    federated_subjects: Vec<String>,
    #[serde(default)]
    public_client: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FilePolicy {
    app_id: String,
    access_right: AccessRight,
    /// Mailbox or group addresses; `policyScopeGroupId` (one address, as the cmdlet takes
    /// it) is accepted too.
    #[serde(default)]
    scope: Vec<String>,
    policy_scope_group_id: Option<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FileThrottling {
    Switch(bool),
    Limits(FileLimits),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileLimits {
    concurrent_requests: Option<usize>,
    requests_per_window: Option<u64>,
    request_window_seconds: Option<u64>,
    upload_bytes_per_window: Option<u64>,
    upload_window_seconds: Option<u64>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
enum FileScope {
    SendMail,
    Graph,
    DraftSend,
    Token,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "type"
)]
enum FileFaultKind {
    Throttle {
        every: u32,
        retry_after_seconds: Option<f64>,
    },
    ConcurrencyLimit {
        per_mailbox: usize,
        retry_after_seconds: Option<f64>,
    },
    Status {
        status: u16,
        every: u32,
        retry_after_seconds: Option<f64>,
    },
    Delay {
        every: u32,
        delay_ms: u64,
    },
    ResetBeforeProcessing {
        every: u32,
    },
    ResetAfterStore {
        every: u32,
    },
    ExpiredToken {
        every: u32,
    },
    RefuseConnections {
        every: u32,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileFault {
    scope: FileScope,
    #[serde(flatten)]
    kind: FileFaultKind,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "type"
)]
enum FileUploadFault {
    FailChunkOnce { index: usize },
    LoseResponseOnce { index: usize },
    FailEveryChunk,
}

fn retry_after(seconds: Option<f64>) -> Result<RetryAfter, String> {
    match seconds {
        None => Ok(RetryAfter::None),
        Some(s) if !s.is_finite() || s < 0.0 => Err(format!(
            "retryAfterSeconds {s} is not a non-negative number"
        )),
        Some(s) if s.fract() == 0.0 && s <= u64::MAX as f64 => Ok(RetryAfter::Seconds(s as u64)),
        Some(s) => Ok(RetryAfter::FractionalSeconds(s)),
    }
}

impl FileFault {
    fn to_fault(&self) -> Result<(FaultScope, RequestFault), String> {
        let scope = match self.scope {
            FileScope::SendMail => FaultScope::SendMail,
            FileScope::Graph => FaultScope::Graph,
            FileScope::DraftSend => FaultScope::DraftSend,
            FileScope::Token => FaultScope::Token,
        };
        let fault = match self.kind {
            FileFaultKind::Throttle {
                every,
                retry_after_seconds,
            } => RequestFault::Throttle {
                every,
                retry_after: retry_after(retry_after_seconds)?,
            },
            FileFaultKind::ConcurrencyLimit {
                per_mailbox,
                retry_after_seconds,
            } => RequestFault::ConcurrencyLimit {
                per_mailbox,
                retry_after: retry_after(retry_after_seconds)?,
            },
            FileFaultKind::Status {
                status,
                every,
                retry_after_seconds,
            } => RequestFault::Status {
                status,
                every,
                retry_after: retry_after(retry_after_seconds)?,
            },
            FileFaultKind::Delay { every, delay_ms } => RequestFault::Delay {
                every,
                delay: Duration::from_millis(delay_ms),
            },
            FileFaultKind::ResetBeforeProcessing { every } => {
                RequestFault::ResetBeforeProcessing { every }
            }
            FileFaultKind::ResetAfterStore { every } => RequestFault::ResetAfterStore { every },
            FileFaultKind::ExpiredToken { every } => RequestFault::ExpiredToken { every },
            FileFaultKind::RefuseConnections { every } => RequestFault::RefuseConnections { every },
        };
        fault.check(scope)?;
        Ok((scope, fault))
    }
}

fn strings(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

impl EmulatorConfig {
    /// Read a JSON configuration file (see the crate's README for every key). Relative paths
    /// in it are relative to the file's folder. Without `dataDir` the data folder is
    /// `<temp dir>/graphmail-emulator`; without `port` the port is `0` (any free port).
    ///
    /// ```no_run
    /// use graphmail_emulator::{Emulator, EmulatorConfig};
    ///
    /// let config = EmulatorConfig::from_file("emulator/examples/emulator.json")?;
    /// let emulator = Emulator::start(config)?;
    /// # Ok::<(), graphmail_emulator::EmulatorError>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<EmulatorConfig, EmulatorError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| EmulatorError::io(format!("reading {}", path.display()), e))?;
        let base = path.parent().unwrap_or(Path::new("."));
        EmulatorConfig::from_json(&text, base)
            .map_err(|e| EmulatorError::Config(format!("{}: {e}", path.display())))
    }

    /// Parse the JSON of a configuration file; relative paths are resolved against `base`.
    /// The error says where (line and column) and what is wrong.
    pub fn from_json(text: &str, base: &Path) -> Result<EmulatorConfig, String> {
        let file: FileConfig = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let resolve = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };
        let data_dir = file
            .data_dir
            .as_deref()
            .map_or_else(|| std::env::temp_dir().join("graphmail-emulator"), &resolve);
        let mut config = EmulatorConfig::new(data_dir);
        if let Some(bind) = file.bind {
            config = config.with_bind(bind);
        }
        if let Some(port) = file.port {
            config = config.with_port(port);
        }
        if let Some(tenants) = file.tenants {
            config.tenants = tenants;
        }
        if let Some(apps) = file.apps {
            config.apps.clear();
            for app in apps {
                let mut registration = AppRegistration::new(app.client_id, app.client_secret)
                    .with_public_client_flows(app.public_client);
                if let Some(permissions) = &app.permissions {
                    registration = registration.with_permissions(&strings(permissions));
                }
                if let Some(permissions) = &app.delegated_permissions {
                    registration = registration.with_delegated_permissions(&strings(permissions));
                }
                for certificate in &app.certificates {
                    let certificate = resolve(certificate);
                    let bytes = std::fs::read(&certificate).map_err(|e| {
                        format!(
                            "app {}: reading the certificate {}: {e}",
                            registration.client_id,
                            certificate.display()
                        )
                    })?;
                    registration = registration.with_certificate(bytes);
                }
                for subject in app.federated_subjects {
                    registration = registration.with_federated_subject(subject);
                }
                config.apps.push(registration);
            }
        }
        if let Some(mailboxes) = file.mailboxes {
            config.mailboxes = mailboxes;
        }
        for user in file.users {
            config = config.with_user(user);
        }
        for (address, members) in file.groups {
            config = config.with_group(address, members);
        }
        for policy in file.access_policies {
            let mut scope = policy.scope;
            scope.extend(policy.policy_scope_group_id);
            if scope.is_empty() {
                return Err(format!(
                    "the access policy of app {} has an empty scope",
                    policy.app_id
                ));
            }
            config = config.with_access_policy(
                policy.app_id,
                AccessPolicy {
                    access_right: policy.access_right,
                    scope,
                    description: policy.description,
                },
            );
        }
        config.throttling = match file.throttling {
            None | Some(FileThrottling::Switch(false)) => None,
            Some(FileThrottling::Switch(true)) => Some(ThrottlingLimits::OUTLOOK),
            Some(FileThrottling::Limits(limits)) => {
                let outlook = ThrottlingLimits::OUTLOOK;
                Some(ThrottlingLimits {
                    concurrent_requests: limits
                        .concurrent_requests
                        .unwrap_or(outlook.concurrent_requests),
                    requests_per_window: limits
                        .requests_per_window
                        .unwrap_or(outlook.requests_per_window),
                    request_window: limits
                        .request_window_seconds
                        .map_or(outlook.request_window, Duration::from_secs),
                    upload_bytes_per_window: limits
                        .upload_bytes_per_window
                        .unwrap_or(outlook.upload_bytes_per_window),
                    upload_window: limits
                        .upload_window_seconds
                        .map_or(outlook.upload_window, Duration::from_secs),
                })
            }
        };
        if let Some(seconds) = file.token_lifetime_seconds {
            config = config.with_token_lifetime(Duration::from_secs(seconds));
        }
        if let Some(max) = file.max_request_bytes {
            config = config.with_max_request_bytes(max);
        }
        if let Some(on) = file.request_log {
            config = config.with_request_log(on);
        }
        for (index, fault) in file.faults.iter().enumerate() {
            let (scope, fault) = fault
                .to_fault()
                .map_err(|e| format!("faults[{index}]: {e}"))?;
            config = config.with_request_fault(scope, fault);
        }
        for fault in file.upload_faults {
            config = config.with_upload_fault(match fault {
                FileUploadFault::FailChunkOnce { index } => UploadFault::FailChunkOnce { index },
                FileUploadFault::LoseResponseOnce { index } => {
                    UploadFault::LoseResponseOnce { index }
                }
                FileUploadFault::FailEveryChunk => UploadFault::FailEveryChunk,
            });
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_is_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let text = std::fs::read_to_string(dir.join("emulator.json")).expect("example");
        let config = EmulatorConfig::from_json(&text, &dir).expect("parses");
        assert_eq!(config.port, 8443);
        assert_eq!(config.data_dir, dir.join("emulator-data"));
        assert_eq!(config.throttling, Some(ThrottlingLimits::OUTLOOK));
        assert!(!config.access_policies.is_empty());
        assert!(!config.groups.is_empty());
        assert!(config.apps.iter().all(|a| !a.client_id.is_empty()));
    }

    #[test]
    fn every_key() {
        let config = EmulatorConfig::from_json(
            r#"{
              "bind": "127.0.0.2", "port": 0, "dataDir": "/abs/data",
              "tenants": ["t1"],
              "apps": [{"clientId": "c1", "clientSecret": "s1", "permissions": ["Mail.Send"],
                        "delegatedPermissions": [], "federatedSubjects": ["sub"], "publicClient": true}],
              "mailboxes": ["a@x.test"], "users": ["u@x.test"],
              "groups": {"g@x.test": ["a@x.test"]},
              "accessPolicies": [
                {"appId": "c1", "accessRight": "DenyAccess", "policyScopeGroupId": "g@x.test"},
                {"appId": "c1", "accessRight": "allow", "scope": ["a@x.test", "u@x.test"]}
              ],
              "throttling": {"concurrentRequests": 2, "requestWindowSeconds": 60},
              "tokenLifetimeSeconds": 5, "maxRequestBytes": 100, "requestLog": true,
              "faults": [
                {"scope": "sendMail", "type": "throttle", "every": 2, "retryAfterSeconds": 0.5},
                {"scope": "graph", "type": "delay", "every": 1, "delayMs": 10},
                {"scope": "token", "type": "status", "status": 503, "every": 3}
              ],
              "uploadFaults": [{"type": "failChunkOnce", "index": 1}, {"type": "failEveryChunk"}]
            }"#,
            Path::new("/base"),
        )
        .expect("parses");
        assert_eq!(config.bind, "127.0.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(config.data_dir, PathBuf::from("/abs/data"));
        assert_eq!(config.tenants, ["t1"]);
        let app = config.app("c1").expect("app");
        assert!(app.public_client && app.has_permission("mail.send"));
        assert!(!app.has_permission("Mail.ReadWrite"));
        assert!(app.delegated_permissions.is_empty());
        assert_eq!(config.mailboxes, ["a@x.test", "u@x.test"]);
        assert_eq!(config.access_policies.len(), 2);
        assert_eq!(
            config.access_policies[0].1,
            AccessPolicy::deny(["g@x.test"])
        );
        assert_eq!(
            config.access_policies[1].1.access_right,
            AccessRight::RestrictAccess
        );
        let limits = config.throttling.expect("throttling");
        assert_eq!(limits.concurrent_requests, 2);
        assert_eq!(limits.request_window, Duration::from_secs(60));
        assert_eq!(limits.requests_per_window, 10_000);
        assert_eq!(config.token_lifetime, Duration::from_secs(5));
        assert!(config.request_log);
        assert_eq!(config.request_faults.len(), 3);
        assert_eq!(
            config.request_faults[0].1,
            RequestFault::Throttle {
                every: 2,
                retry_after: RetryAfter::FractionalSeconds(0.5)
            }
        );
        assert_eq!(config.upload_faults.len(), 2);
    }

    #[test]
    fn mistakes_are_reported_with_their_place() {
        let err = EmulatorConfig::from_json("{\n  \"mailbox\": []\n}", Path::new("."))
            .expect_err("unknown key");
        assert!(
            err.contains("unknown field `mailbox`") && err.contains("line 2"),
            "{err}"
        );
        let err = EmulatorConfig::from_json(
            r#"{"accessPolicies": [{"appId": "a", "accessRight": "Maybe", "scope": ["x"]}]}"#,
            Path::new("."),
        )
        .expect_err("bad right");
        assert!(err.contains("Maybe"), "{err}");
        let err = EmulatorConfig::from_json(
            r#"{"faults": [{"scope": "token", "type": "expiredToken", "every": 1}]}"#,
            Path::new("."),
        )
        .expect_err("not for tokens");
        assert!(err.starts_with("faults[0]:"), "{err}");
        let err = EmulatorConfig::from_json(
            r#"{"apps": [{"clientId": "a", "certificates": ["missing.pem"]}]}"#,
            Path::new("/nonexistent"),
        )
        .expect_err("missing certificate");
        assert!(err.contains("missing.pem"), "{err}");
    }
}
