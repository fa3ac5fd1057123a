//! Delegated scopes: parsing the `scope` of device code and refresh token requests into Graph
//! permissions and OpenID Connect scopes, consent, and the `scope` of token responses.

use crate::config::AppRegistration;
use crate::token::GRAPH_RESOURCES;

/// Graph delegated permissions the emulator knows (canonical spelling).
pub(crate) const KNOWN_GRAPH_PERMISSIONS: &[&str] = &[
    "Mail.Send",
    "Mail.Send.Shared",
    "Mail.ReadWrite",
    "Mail.ReadWrite.Shared",
    "Mail.Read",
    "Mail.Read.Shared",
    "User.Read",
    "User.ReadBasic.All",
];

/// OpenID Connect scopes (not Graph permissions).
const OIDC_SCOPES: &[&str] = &["openid", "profile", "email"];

/// A parsed delegated `scope` parameter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DelegatedScopes {
    /// Graph permissions asked for by name (canonical spelling, no duplicates).
    pub(crate) graph: Vec<String>,
    /// `<graph>/.default`: every consented delegated permission.
    pub(crate) default: bool,
    /// `offline_access`: a refresh token is wanted.
    pub(crate) offline_access: bool,
    /// `openid`, `profile`, `email` as asked for.
    pub(crate) oidc: Vec<String>,
}

impl DelegatedScopes {
    /// Parse a space-separated `scope`: Graph permissions in short form (`Mail.Send`) or with
    /// a Graph resource prefix (`https://graph.microsoft.com/Mail.Send`, also the emulator's
    /// own origins in `own_origins`), `<graph>/.default`, `offline_access` and OpenID scopes.
    /// Returns the first scope that is none of these as the error. At least one Graph scope
    /// is required.
    pub(crate) fn parse(scope: &str, own_origins: &[&str]) -> Result<DelegatedScopes, String> {
        let mut parsed = DelegatedScopes::default();
        for item in scope.split_whitespace() {
            if item.eq_ignore_ascii_case("offline_access") {
                parsed.offline_access = true;
                continue;
            }
            if let Some(oidc) = OIDC_SCOPES.iter().find(|s| s.eq_ignore_ascii_case(item)) {
                if !parsed.oidc.iter().any(|s| s == oidc) {
                    parsed.oidc.push(oidc.to_string());
                }
                continue;
            }
            let name = strip_graph_prefix(item, own_origins).unwrap_or(item);
            if name == ".default" {
                parsed.default = true;
                continue;
            }
            match KNOWN_GRAPH_PERMISSIONS
                .iter()
                .find(|p| p.eq_ignore_ascii_case(name))
            {
                Some(permission) => {
                    if !parsed.graph.iter().any(|p| p == permission) {
                        parsed.graph.push(permission.to_string());
                    }
                }
                None => return Err(item.to_string()),
            }
        }
        if parsed.graph.is_empty() && !parsed.default {
            return Err(scope.trim().to_string());
        }
        Ok(parsed)
    }

    /// The Graph permissions a token for `app` gets, or the first one not consented.
    pub(crate) fn granted(&self, app: &AppRegistration) -> Result<Vec<String>, String> {
        if let Some(missing) = self.graph.iter().find(|p| !app.has_delegated_permission(p)) {
            return Err(missing.clone());
        }
        if !self.default {
            return Ok(self.graph.clone());
        }
        let mut granted = app.delegated_permissions.clone();
        for p in &self.graph {
            if !granted.iter().any(|g| g.eq_ignore_ascii_case(p)) {
                granted.push(p.clone());
            }
        }
        Ok(granted)
    }
}

/// The `scope` of a token response: the granted Graph permissions in short form (as Entra
/// answers for Graph), then the OpenID scopes asked for (`offline_access` is not echoed).
pub(crate) fn response_scope(granted: &[String], requested: &DelegatedScopes) -> String {
    granted
        .iter()
        .chain(requested.oidc.iter())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `Mail.Send` of `https://graph.microsoft.com/Mail.Send` (any Graph resource, or one of the
/// emulator's origins).
fn strip_graph_prefix<'a>(scope: &'a str, own_origins: &[&str]) -> Option<&'a str> {
    GRAPH_RESOURCES
        .iter()
        .chain(own_origins.iter())
        .find_map(|resource| {
            let prefix = scope.get(..resource.len())?;
            if !prefix.eq_ignore_ascii_case(resource) {
                return None;
            }
            scope[resource.len()..].strip_prefix('/')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        let s = DelegatedScopes::parse(
            "https://graph.microsoft.com/Mail.Send mail.send offline_access openid Profile",
            &[],
        )
        .expect("parse");
        assert_eq!(s.graph, vec!["Mail.Send"]);
        assert!(s.offline_access && !s.default);
        assert_eq!(s.oidc, vec!["openid", "profile"]);
        let own = DelegatedScopes::parse("https://127.0.0.1:9/User.Read", &["https://127.0.0.1:9"])
            .expect("own origin");
        assert_eq!(own.graph, vec!["User.Read"]);
        let default =
            DelegatedScopes::parse("https://graph.microsoft.com/.default", &[]).expect("default");
        assert!(default.default && default.graph.is_empty());
        assert_eq!(
            DelegatedScopes::parse("Mail.Send Calendars.Read", &[]),
            Err("Calendars.Read".into())
        );
        assert_eq!(
            DelegatedScopes::parse("https://management.azure.com/user_impersonation", &[]),
            Err("https://management.azure.com/user_impersonation".into())
        );
        assert_eq!(
            DelegatedScopes::parse("openid offline_access", &[]),
            Err("openid offline_access".into())
        );
        assert!(DelegatedScopes::parse("", &[]).is_err());
    }

    #[test]
    fn consent() {
        let app = AppRegistration::public_client("c")
            .with_delegated_permissions(&["Mail.Send", "User.Read"]);
        let asked = DelegatedScopes::parse("Mail.Send openid", &[]).expect("parse");
        assert_eq!(asked.granted(&app), Ok(vec!["Mail.Send".to_string()]));
        assert_eq!(
            response_scope(&asked.granted(&app).expect("granted"), &asked),
            "Mail.Send openid"
        );
        let too_much = DelegatedScopes::parse("Mail.ReadWrite", &[]).expect("parse");
        assert_eq!(too_much.granted(&app), Err("Mail.ReadWrite".into()));
        let default =
            DelegatedScopes::parse("https://graph.microsoft.com/.default", &[]).expect("parse");
        assert_eq!(
            default.granted(&app),
            Ok(vec!["Mail.Send".to_string(), "User.Read".to_string()])
        );
    }
}
