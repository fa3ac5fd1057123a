//! Validation of request bodies against the official Graph JSON schema subset.
//!
//! The schema (`schema/graph-v1.0-mail-subset.json` at the workspace root, embedded at build
//! time) is registered under its `$id` and bodies are validated against one of its components
//! (see [`Body`]): `sendMail` bodies against
//! `#/components/schemas/microsoft.graph.user.sendMail.requestBody`, drafts against
//! `microsoft.graph.message`, added attachments against `microsoft.graph.attachment`,
//! `createUploadSession` bodies against its request body and their item against
//! `microsoft.graph.attachmentItem.forUploadSession`. `format` is an annotation only: the
//! schema says `base64url` for `contentBytes`, Graph uses standard base64.
//!
//! Graph itself is more lenient than the schema: it matches property names and enum values
//! case-insensitively and accepts `"true"`/`"false"` strings for booleans (as its own
//! documentation examples send). [`SendMailSchema::normalize`] rewrites a body into the
//! canonical spelling before validation, so those inputs are accepted too.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Registry, ValidationError};
use serde_json::{Map, Value};

use crate::error::EmulatorError;

/// The schema file's `$id`.
pub const GRAPH_SCHEMA_ID: &str = "urn:graphmail:graph-schema:graph-v1.0-mail-subset";
/// The schema file (Microsoft Graph v1.0 mail subset, JSON Schema draft 2020-12).
pub const GRAPH_SCHEMA_JSON: &str = include_str!("../../schema/graph-v1.0-mail-subset.json");

/// A kind of request body and the schema component it is validated against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Body {
    /// `POST /users/{id}/sendMail` (JSON mode).
    SendMail,
    /// `POST /users/{id}/messages` (a draft, JSON mode).
    Message,
    /// `POST .../messages/{id}/attachments`.
    Attachment,
    /// `POST .../attachments/createUploadSession`.
    CreateUploadSession,
    /// The `AttachmentItem` of a `createUploadSession` body, with the documented requirements.
    UploadItem,
}

impl Body {
    const ALL: [Body; 5] = [
        Body::SendMail,
        Body::Message,
        Body::Attachment,
        Body::CreateUploadSession,
        Body::UploadItem,
    ];

    fn component(self) -> &'static str {
        match self {
            Body::SendMail => "microsoft.graph.user.sendMail.requestBody",
            Body::Message => "microsoft.graph.message",
            Body::Attachment => "microsoft.graph.attachment",
            Body::CreateUploadSession => {
                "microsoft.graph.attachment.createUploadSession.requestBody"
            }
            Body::UploadItem => "microsoft.graph.attachmentItem.forUploadSession",
        }
    }

    /// How error messages name the body.
    fn label(self) -> &'static str {
        match self {
            Body::SendMail => "sendMail request body",
            Body::Message => "message",
            Body::Attachment => "attachment",
            Body::CreateUploadSession => "createUploadSession request body",
            Body::UploadItem => "AttachmentItem",
        }
    }
}

/// Enum-typed message properties and their canonical values.
const MESSAGE_ENUMS: &[(&[&str], &[&str])] = &[
    (&["importance"], &["low", "normal", "high"]),
    (&["inferenceClassification"], &["focused", "other"]),
    (&["body", "contentType"], &["text", "html"]),
    (&["uniqueBody", "contentType"], &["text", "html"]),
    (
        &["flag", "flagStatus"],
        &["notFlagged", "complete", "flagged"],
    ),
];
/// Boolean message properties.
const MESSAGE_BOOLEANS: &[&str] = &[
    "isDeliveryReceiptRequested",
    "isReadReceiptRequested",
    "isRead",
    "isDraft",
    "hasAttachments",
];

/// Compiled request body validators.
pub(crate) struct SendMailSchema {
    /// One validator per [`Body`], in the order of [`Body::ALL`].
    validators: Vec<(Body, jsonschema::Validator)>,
    /// Every property name the schema declares, exactly as spelt.
    exact_names: HashSet<String>,
    /// Lower-cased property name -> canonical spelling, for every property in the schema.
    property_names: HashMap<String, String>,
}

/// Why a body does not match the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SchemaViolation {
    /// JSON pointer of the failing value (`""` for the whole body).
    pub(crate) instance_path: String,
    /// The failing schema keyword (`additionalProperties`, `type`, ...).
    pub(crate) keyword: String,
    /// A description that never includes the failing value itself.
    pub(crate) detail: String,
    /// What was validated.
    pub(crate) body: Body,
}

impl SchemaViolation {
    /// The text of the `RequestBodyRead` error.
    pub(crate) fn message(&self) -> String {
        let path = if self.instance_path.is_empty() {
            "/"
        } else {
            self.instance_path.as_str()
        };
        format!(
            "Invalid {} at '{path}' (schema keyword '{}'): {}",
            self.body.label(),
            self.keyword,
            self.detail
        )
    }
}

/// The process-wide validator, compiled on first use (a few milliseconds).
pub(crate) fn send_mail_schema() -> Result<&'static SendMailSchema, EmulatorError> {
    static SCHEMA: OnceLock<Result<SendMailSchema, String>> = OnceLock::new();
    SCHEMA
        .get_or_init(SendMailSchema::compile)
        .as_ref()
        .map_err(|e| EmulatorError::Schema(e.clone()))
}

impl SendMailSchema {
    fn compile() -> Result<SendMailSchema, String> {
        let document: Value = serde_json::from_str(GRAPH_SCHEMA_JSON)
            .map_err(|e| format!("schema file is not JSON: {e}"))?;
        let mut exact_names = HashSet::new();
        collect_property_names(&document, &mut exact_names);
        let mut property_names: HashMap<String, String> = HashMap::new();
        for name in &exact_names {
            let lower = name.to_ascii_lowercase();
            // Prefer the camelCase spelling when the schema has both (message/Message).
            let better = match property_names.get(&lower) {
                None => true,
                Some(existing) => existing.as_str() < name.as_str(),
            };
            if better {
                property_names.insert(lower, name.clone());
            }
        }
        let registry = Registry::new()
            .add(GRAPH_SCHEMA_ID, document)
            .and_then(|b| b.prepare())
            .map_err(|e| format!("registering the schema: {e}"))?;
        let mut validators = Vec::new();
        for body in Body::ALL {
            let wrapper = serde_json::json!({
                "$ref": format!("{GRAPH_SCHEMA_ID}#/components/schemas/{}", body.component())
            });
            let validator = jsonschema::options()
                .with_registry(&registry)
                .should_validate_formats(false)
                .build(&wrapper)
                .map_err(|e| format!("compiling the schema for {}: {e}", body.component()))?;
            validators.push((body, validator));
        }
        Ok(SendMailSchema {
            validators,
            exact_names,
            property_names,
        })
    }

    /// Rewrite `body` into the canonical spelling: property names matched case-insensitively
    /// against the schema's names, enum values case-insensitively against their members,
    /// `"true"`/`"false"` strings in boolean properties into booleans.
    pub(crate) fn normalize(&self, body: &mut Value) {
        self.normalize_names(body);
        let Value::Object(top) = body else {
            return;
        };
        for key in ["saveToSentItems", "SaveToSentItems"] {
            if let Some(v) = top.get_mut(key) {
                normalize_bool(v);
            }
        }
        for key in ["message", "Message"] {
            if let Some(Value::Object(message)) = top.get_mut(key) {
                normalize_message(message);
            }
        }
    }

    /// [`normalize`](Self::normalize) for a message object on its own (a draft body).
    pub(crate) fn normalize_message(&self, message: &mut Value) {
        self.normalize_names(message);
        if let Value::Object(map) = message {
            normalize_message(map);
        }
    }

    /// Normalize an attachment object (names, `isInline`).
    pub(crate) fn normalize_attachment(&self, attachment: &mut Value) {
        self.normalize_names(attachment);
        if let Some(v) = attachment.get_mut("isInline") {
            normalize_bool(v);
        }
        if let Some(v) = attachment.get_mut("@odata.type") {
            normalize_attachment_type(v);
        }
    }

    /// Normalize a `createUploadSession` body: names, then in its item `isInline` and the
    /// `attachmentType` enum.
    pub(crate) fn normalize_upload_session(&self, body: &mut Value) {
        self.normalize_names(body);
        let Value::Object(top) = body else {
            return;
        };
        for key in ["AttachmentItem", "attachmentItem"] {
            if let Some(Value::Object(item)) = top.get_mut(key) {
                if let Some(v) = item.get_mut("isInline") {
                    normalize_bool(v);
                }
                if let Some(Value::String(s)) = item.get_mut("attachmentType") {
                    let members = ["file", "item", "reference"];
                    if let Some(canonical) = members.iter().find(|m| m.eq_ignore_ascii_case(s)) {
                        *s = (*canonical).to_string();
                    }
                }
            }
        }
    }

    fn normalize_names(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                let renames: Vec<(String, String)> = map
                    .keys()
                    .filter(|k| !self.exact_names.contains(*k))
                    .filter_map(|k| {
                        let canonical = self.property_names.get(&k.to_ascii_lowercase())?;
                        (!map.contains_key(canonical)).then(|| (k.clone(), canonical.clone()))
                    })
                    .collect();
                for (from, to) in renames {
                    if map.contains_key(&to) {
                        continue; // two spellings of one name: leave both for the schema to reject
                    }
                    if let Some(v) = map.remove(&from) {
                        map.insert(to, v);
                    }
                }
                for v in map.values_mut() {
                    self.normalize_names(v);
                }
            }
            Value::Array(items) => {
                for v in items {
                    self.normalize_names(v);
                }
            }
            _ => {}
        }
    }

    /// Validate a (normalized) `sendMail` body; the most specific violation is reported.
    pub(crate) fn validate(&self, body: &Value) -> Result<(), SchemaViolation> {
        self.validate_as(Body::SendMail, body)
    }

    /// Validate a (normalized) body of the given kind; the most specific violation is
    /// reported.
    pub(crate) fn validate_as(&self, kind: Body, body: &Value) -> Result<(), SchemaViolation> {
        let Some((_, validator)) = self.validators.iter().find(|(k, _)| *k == kind) else {
            return Ok(()); // every kind is compiled in `compile`
        };
        match validator.iter_errors(body).next() {
            None => Ok(()),
            Some(error) => Err(describe(&error, kind)),
        }
    }
}

fn collect_property_names(schema: &Value, out: &mut HashSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                out.extend(props.keys().cloned());
            }
            for v in map.values() {
                collect_property_names(v, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                collect_property_names(v, out);
            }
        }
        _ => {}
    }
}

fn normalize_message(message: &mut Map<String, Value>) {
    for (path, members) in MESSAGE_ENUMS {
        if let Some(Value::String(s)) = lookup_mut(message, path) {
            if let Some(canonical) = members.iter().find(|m| m.eq_ignore_ascii_case(s)) {
                *s = (*canonical).to_string();
            }
        }
    }
    for key in MESSAGE_BOOLEANS {
        if let Some(v) = message.get_mut(*key) {
            normalize_bool(v);
        }
    }
    if let Some(Value::Array(attachments)) = message.get_mut("attachments") {
        for attachment in attachments {
            if let Some(v) = attachment.get_mut("isInline") {
                normalize_bool(v);
            }
            if let Some(v) = attachment.get_mut("@odata.type") {
                normalize_attachment_type(v);
            }
        }
    }
}

/// Attachment types, as `@odata.type` spells them (with or without the leading `#`).
const ATTACHMENT_TYPES: &[&str] = &[
    "microsoft.graph.fileAttachment",
    "microsoft.graph.itemAttachment",
    "microsoft.graph.referenceAttachment",
];

/// Rewrite an attachment's `@odata.type` matched case-insensitively (`#Microsoft.Graph.
/// FileAttachment`) into its canonical spelling, keeping a leading `#`.
fn normalize_attachment_type(value: &mut Value) {
    if let Value::String(s) = value {
        let (hash, name) = match s.strip_prefix('#') {
            Some(name) => ("#", name),
            None => ("", s.as_str()),
        };
        if let Some(canonical) = ATTACHMENT_TYPES
            .iter()
            .find(|t| t.eq_ignore_ascii_case(name))
        {
            *s = format!("{hash}{canonical}");
        }
    }
}

fn lookup_mut<'a>(map: &'a mut Map<String, Value>, path: &[&str]) -> Option<&'a mut Value> {
    let (first, rest) = path.split_first()?;
    let mut value = map.get_mut(*first)?;
    for key in rest {
        value = value.get_mut(*key)?;
    }
    Some(value)
}

fn normalize_bool(value: &mut Value) {
    if let Value::String(s) = value {
        if s.eq_ignore_ascii_case("true") {
            *value = Value::Bool(true);
        } else if s.eq_ignore_ascii_case("false") {
            *value = Value::Bool(false);
        }
    }
}

/// Describe the most specific cause of `error`: for `anyOf`/`oneOf` failures, the branch that
/// matched the value's `@odata.type` (or went deepest) is described instead of the union.
fn describe(error: &ValidationError<'_>, body: Body) -> SchemaViolation {
    let branches = match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            Some(context)
        }
        _ => None,
    };
    if let Some(branches) = branches {
        let best = branches
            .iter()
            .filter(|branch| !branch.is_empty() && !branch.iter().any(is_discriminator_mismatch))
            .filter_map(|branch| branch.first())
            .max_by_key(|e| {
                let depth = e.instance_path().as_str().matches('/').count();
                let not_type = !matches!(e.kind(), ValidationErrorKind::Type { .. });
                (depth, not_type)
            });
        if let Some(best) = best {
            return describe(best, body);
        }
    }
    SchemaViolation {
        instance_path: error.instance_path().as_str().to_string(),
        keyword: error.kind().keyword().to_string(),
        detail: error.masked().to_string(),
        body,
    }
}

/// Whether `error` says the value is a different attachment type than this `oneOf` branch.
fn is_discriminator_mismatch(error: &ValidationError<'_>) -> bool {
    error.instance_path().as_str().ends_with("/@odata.type")
        || matches!(error.kind(), ValidationErrorKind::Required { property }
            if property.as_str() == Some("@odata.type"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(mut body: Value) -> Result<Value, SchemaViolation> {
        let schema = send_mail_schema().expect("schema compiles");
        schema.normalize(&mut body);
        schema.validate(&body).map(|()| body)
    }

    #[test]
    fn documented_example_with_lenient_spellings_is_accepted() {
        let body = check(json!({
            "message": {
                "subject": "Meet for lunch?",
                "body": {"contentType": "Text", "content": "The new cafeteria is open."},
                "toRecipients": [{"emailAddress": {"address": "frannis@contoso.com"}}],
                "importance": "Low",
                "attachments": [{
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "name": "attachment.txt",
                    "contentType": "text/plain",
                    "contentBytes": "SGVsbG8gV29ybGQh",
                    "isInline": "false"
                }, {
                    "@odata.type": "#Microsoft.Graph.FILEATTACHMENT",
                    "Name": "b.txt",
                    "ContentBytes": "SGVsbG8="
                }]
            },
            "saveToSentItems": "false"
        }))
        .expect("valid");
        assert_eq!(body["saveToSentItems"], json!(false));
        assert_eq!(body["message"]["body"]["contentType"], "text");
        assert_eq!(body["message"]["importance"], "low");
        assert_eq!(body["message"]["attachments"][0]["isInline"], json!(false));
        assert_eq!(
            body["message"]["attachments"][1]["@odata.type"],
            "#microsoft.graph.fileAttachment"
        );
        assert_eq!(body["message"]["attachments"][1]["name"], "b.txt");
    }

    #[test]
    fn pascal_case_parameters_and_property_names_are_accepted() {
        let body = check(json!({
            "Message": {
                "@odata.type": "#microsoft.graph.message",
                "Subject": "x",
                "ToRecipients": [{"EmailAddress": {"Address": "a@b.test"}}]
            },
            "SaveToSentItems": false
        }))
        .expect("valid");
        assert_eq!(body["Message"]["subject"], "x");
        assert_eq!(
            body["Message"]["toRecipients"][0]["emailAddress"]["address"],
            "a@b.test"
        );
    }

    #[test]
    fn misspelt_member_names_path_and_keyword() {
        let err = check(json!({
            "message": {"toRecipient": [{"emailAddress": {"address": "a@b.test"}}]}
        }))
        .expect_err("invalid");
        assert_eq!(err.instance_path, "/message");
        assert_eq!(err.keyword, "additionalProperties");
        assert!(err.message().contains("toRecipient"), "{}", err.message());
    }

    #[test]
    fn wrong_type_names_path() {
        let err = check(json!({"message": {"subject": 5}})).expect_err("invalid");
        assert_eq!(err.instance_path, "/message/subject");
        assert_eq!(err.keyword, "type");
    }

    #[test]
    fn attachment_error_names_the_matching_branch() {
        let err = check(json!({"message": {"attachments": [{
            "@odata.type": "#microsoft.graph.fileAttachment",
            "name": "a.txt",
            "contentBytes": "AAAA",
            "bogus": 1
        }]}}))
        .expect_err("invalid");
        assert_eq!(err.instance_path, "/message/attachments/0");
        assert_eq!(err.keyword, "additionalProperties");
        assert!(err.detail.contains("bogus"));
    }

    #[test]
    fn other_bodies() {
        let schema = send_mail_schema().expect("schema compiles");
        let mut message =
            json!({"Subject": "x", "Importance": "HIGH", "isReadReceiptRequested": "true"});
        schema.normalize_message(&mut message);
        assert_eq!(message["importance"], "high");
        assert_eq!(message["isReadReceiptRequested"], json!(true));
        schema
            .validate_as(Body::Message, &message)
            .expect("message");
        let err = schema
            .validate_as(Body::Message, &json!({"subjekt": "x"}))
            .expect_err("misspelt");
        assert!(
            err.message().starts_with("Invalid message at '/'"),
            "{}",
            err.message()
        );

        let mut attachment = json!({"@odata.type": "#microsoft.graph.fileAttachment",
            "Name": "a", "contentBytes": "AAAA", "isInline": "TRUE"});
        schema.normalize_attachment(&mut attachment);
        assert_eq!(attachment["isInline"], json!(true));
        schema
            .validate_as(Body::Attachment, &attachment)
            .expect("attachment");

        let mut upload = json!({"AttachmentItem": {"AttachmentType": "File", "name": "a", "size": 5,
            "isInline": "false"}});
        schema.normalize_upload_session(&mut upload);
        assert_eq!(upload["AttachmentItem"]["attachmentType"], "file");
        schema
            .validate_as(Body::CreateUploadSession, &upload)
            .expect("body");
        schema
            .validate_as(Body::UploadItem, &upload["AttachmentItem"])
            .expect("item");
        let err = schema
            .validate_as(
                Body::UploadItem,
                &json!({"attachmentType": "file", "name": "a"}),
            )
            .expect_err("no size");
        assert_eq!(err.keyword, "required");
        assert!(err.message().contains("AttachmentItem"));
    }

    #[test]
    fn missing_message_and_base64url_format_not_asserted() {
        let err = check(json!({"saveToSentItems": true})).expect_err("invalid");
        assert_eq!(err.instance_path, "");
        // Standard base64 with '+' and '/' passes (format is an annotation only).
        check(json!({"message": {"attachments": [{
            "@odata.type": "#microsoft.graph.fileAttachment",
            "name": "a.bin",
            "contentBytes": "+/+/"
        }]}}))
        .expect("valid");
    }
}
