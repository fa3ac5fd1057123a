//! The PowerShell module, checked without PowerShell (there is none in CI): every `.ps1`, `.psm1`
//! and `.psd1` under `powershell/` and `tests/powershell/` is parsed with tree-sitter-powershell,
//! and the checks below read the syntax trees, never the raw text:
//!
//! * no file has a syntax error (an `ERROR` or `MISSING` node);
//! * `Send-GraphMail`'s parameter block matches `Send-MailMessage` parameter by parameter (name,
//!   type, position, aliases, Mandatory, pipeline binding, validation), as transcribed from
//!   `shared/docs/peers.md` section 2, plus the Graph extras; mutated copies prove the check fails
//!   when a parameter is renamed, an alias dropped, a position moved or a type changed;
//! * `Send-GraphMail` sends in the background and polls (`StartSend`, `Wait` in a loop that writes
//!   `Write-Progress`), and its `finally` cancels, waits for the cleanup and disposes the send
//!   (Ctrl+C), then completes the progress bar;
//! * `Connect-GraphMail` has one parameter set per credential (client secret, `-Credential`, a
//!   SecretManagement secret, a store certificate, a certificate file, managed identity, device
//!   code, access token) with the parameters of each, secrets as SecureStrings; it creates the
//!   client from `GraphMailConnectOptions` and signs in through `Wait-GraphMailSignIn`, which polls
//!   the sign-in, shows the device code prompt, and cancels and disposes it in a `finally`;
//!   mutated copies prove the checks fail;
//! * `Send-GraphMailBatch` takes `-InputObject` from the pipeline and Send-GraphMail's message
//!   parameters (same types) as defaults, the fields `Get-GraphMailMessageField` reads; it maps
//!   each input with `ConvertTo-GraphMailMessage` (Send-GraphMail's mapping) in `process`, sends
//!   once with `SendBatch` in `end`, previews each message under `-WhatIf` without sending, and
//!   writes a failed message as a non-terminating error; mutated copies prove the checks fail;
//! * no expandable string names a variable by accident (`"$x?"` is the variable `x?`);
//! * no module script turns a SecureString into plain text;
//! * the manifest exports exactly the public functions, each in `Public/<Name>.ps1` with
//!   comment-based help (.SYNOPSIS, .DESCRIPTION, .PARAMETER for every parameter, .EXAMPLE, .LINK);
//! * module code calls built-in commands by module-qualified name;
//! * `GraphMail.Transforms.cs` compiles as C# 5 (with mono's `mcs`).

#[path = "support/powershell_tree.rs"]
mod powershell_tree;

use std::path::{Path, PathBuf};
use std::process::Command;

use powershell_tree::{
    assigned_variables, attribute_of, child_of_kind, descendants, function_in, is_true,
    manifest_entries, named_children, normalize_type, parse, syntax_errors, text, unquote, Param,
};
use tree_sitter::Node;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn module_dir() -> PathBuf {
    Path::new(ROOT).join("powershell").join("GraphMail")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// Syntax

fn powershell_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("ps1" | "psm1" | "psd1")
            ) {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&Path::new(ROOT).join("powershell"), &mut files);
    walk(
        &Path::new(ROOT).join("tests").join("powershell"),
        &mut files,
    );
    files.sort();
    files
}

#[test]
fn every_powershell_file_parses() {
    let files = powershell_files();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "GraphMail.psd1",
        "GraphMail.psm1",
        "Send-GraphMail.ps1",
        "Send-GraphMailBatch.ps1",
        "build-module.ps1",
        "Send-GraphMail.Tests.ps1",
        "Send-GraphMailBatch.Tests.ps1",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} not found");
    }
    let errors: Vec<String> = files
        .iter()
        .flat_map(|f| syntax_errors(f, &read(f)))
        .collect();
    assert!(errors.is_empty(), "syntax errors:\n{}", errors.join("\n"));
}

#[test]
fn a_syntax_error_is_reported_with_its_line() {
    let source = "function Send-X {\n    param([string] $To\n    if ($To { }\n}\n";
    let errors = syntax_errors(Path::new("broken.ps1"), source);
    assert!(!errors.is_empty(), "the broken script parsed cleanly");
    assert!(
        errors.iter().all(|e| e.starts_with("broken.ps1:")),
        "{errors:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Parameter blocks

// ---------------------------------------------------------------------------------------------
// Send-GraphMail against Send-MailMessage

/// A Send-MailMessage parameter as peers.md section 2 lists it (PowerShell 7: every parameter
/// binds ByPropertyName; only Attachments binds ByValue).
struct Expected {
    name: &'static str,
    type_name: &'static str,
    position: Option<i64>,
    mandatory: bool,
    aliases: &'static [&'static str],
    not_null_or_empty: bool,
    from_pipeline: bool,
}

const fn p(
    name: &'static str,
    type_name: &'static str,
    position: Option<i64>,
    mandatory: bool,
    aliases: &'static [&'static str],
    not_null_or_empty: bool,
) -> Expected {
    Expected {
        name,
        type_name,
        position,
        mandatory,
        aliases,
        not_null_or_empty,
        from_pipeline: false,
    }
}

const SEND_MAILMESSAGE: &[Expected] = &[
    p("To", "string[]", Some(0), true, &[], true),
    p("Subject", "string", Some(1), false, &["sub"], false),
    p("Body", "string", Some(2), false, &[], true),
    p(
        "SmtpServer",
        "string",
        Some(3),
        false,
        &["ComputerName"],
        true,
    ),
    p("From", "string", None, true, &[], true),
    Expected {
        from_pipeline: true,
        ..p("Attachments", "string[]", None, false, &["PsPath"], true)
    },
    p("Bcc", "string[]", None, false, &[], true),
    p("Cc", "string[]", None, false, &[], true),
    p("ReplyTo", "string[]", None, false, &[], false),
    p("BodyAsHtml", "switch", None, false, &["BAH"], false),
    p(
        "Encoding",
        "System.Text.Encoding",
        None,
        false,
        &["BE"],
        false,
    ),
    p(
        "Priority",
        "System.Net.Mail.MailPriority",
        None,
        false,
        &[],
        true,
    ),
    p(
        "DeliveryNotificationOption",
        "System.Net.Mail.DeliveryNotificationOptions",
        None,
        false,
        &["DNO"],
        false,
    ),
    p(
        "Credential",
        "System.Management.Automation.PSCredential",
        None,
        false,
        &[],
        false,
    ),
    p("UseSsl", "switch", None, false, &[], false),
    p("Port", "int", None, false, &[], false),
];

/// The Graph extras: name, type, bound by property name.
const EXTRAS: &[(&str, &str, bool)] = &[
    ("TenantId", "string", true),
    ("Headers", "hashtable", true),
    ("InlineAttachments", "hashtable", true),
    ("SaveToSentItems", "bool", true),
    ("PassThru", "switch", false),
];

fn check_param(param: &Param, expected: &Expected) -> Vec<String> {
    let mut problems = Vec::new();
    let mut fail =
        |what: String| problems.push(format!("-{} (line {}): {what}", param.name, param.line));
    let want_type = normalize_type(expected.type_name);
    if param.type_name.as_deref() != Some(want_type.as_str()) {
        fail(format!("type {:?}, want {want_type}", param.type_name));
    }
    if param.position != expected.position {
        fail(format!(
            "position {:?}, want {:?}",
            param.position, expected.position
        ));
    }
    if param.mandatory != expected.mandatory {
        fail(format!(
            "Mandatory {}, want {}",
            param.mandatory, expected.mandatory
        ));
    }
    if !param.by_property_name {
        fail("not ValueFromPipelineByPropertyName".to_string());
    }
    if param.from_pipeline != expected.from_pipeline {
        fail(format!(
            "ValueFromPipeline {}, want {}",
            param.from_pipeline, expected.from_pipeline
        ));
    }
    let mut have: Vec<String> = param
        .aliases
        .iter()
        .map(|a| a.to_ascii_lowercase())
        .collect();
    let mut want: Vec<String> = expected
        .aliases
        .iter()
        .map(|a| a.to_ascii_lowercase())
        .collect();
    have.sort();
    want.sort();
    if have != want {
        fail(format!(
            "aliases {:?}, want {:?}",
            param.aliases, expected.aliases
        ));
    }
    let has_not_null_or_empty = param
        .attributes
        .iter()
        .any(|a| a == "validatenotnullorempty");
    if has_not_null_or_empty != expected.not_null_or_empty {
        fail(format!(
            "ValidateNotNullOrEmpty {has_not_null_or_empty}, want {}",
            expected.not_null_or_empty
        ));
    }
    let required: &[&[&str]] = match expected.name {
        "Credential" => &[&["credential"]],
        "Port" => &[&[
            "validaterange(0,[int]::maxvalue)",
            "validaterange(0,[int32]::maxvalue)",
            "validaterange(0,[system.int32]::maxvalue)",
            "validaterange(0,2147483647)",
        ]],
        "Encoding" => &[&["graphmail.encodingtransformation"]],
        _ => &[],
    };
    for any_of in required {
        if !param
            .attributes
            .iter()
            .any(|a| any_of.contains(&a.as_str()))
        {
            fail(format!("lacks [{}]", any_of[0]));
        }
    }
    problems
}

/// Every difference between Send-GraphMail's parameter block and Send-MailMessage plus the extras.
fn send_graphmail_problems(source: &str) -> Vec<String> {
    let function = match function_in(source, "Send-GraphMail") {
        Ok(f) => f,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    if !function.cmdlet_binding.iter().any(|(k, v)| {
        k.as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case("SupportsShouldProcess"))
            && is_true(v)
    }) {
        problems.push("[CmdletBinding(SupportsShouldProcess = $true)] is missing".to_string());
    }
    let find = |name: &str| {
        function
            .params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    };
    for expected in SEND_MAILMESSAGE {
        match find(expected.name) {
            Some(param) => {
                if param.name != expected.name {
                    problems.push(format!(
                        "-{} is spelled -{} in Send-MailMessage",
                        param.name, expected.name
                    ));
                }
                problems.extend(check_param(param, expected));
            }
            None => problems.push(format!(
                "Send-MailMessage parameter -{} is missing",
                expected.name
            )),
        }
    }
    for (name, type_name, by_property_name) in EXTRAS {
        match find(name) {
            Some(param) => {
                if param.type_name.as_deref() != Some(normalize_type(type_name).as_str()) {
                    problems.push(format!("-{name}: type {:?}", param.type_name));
                }
                if param.by_property_name != *by_property_name {
                    problems.push(format!(
                        "-{name}: ValueFromPipelineByPropertyName {}",
                        param.by_property_name
                    ));
                }
            }
            None => problems.push(format!("Graph parameter -{name} is missing")),
        }
    }
    if find("SaveToSentItems").and_then(|p| p.default.as_deref()) != Some("$true") {
        problems.push("-SaveToSentItems must default to $true".to_string());
    }
    for param in &function.params {
        let known = SEND_MAILMESSAGE
            .iter()
            .any(|e| e.name.eq_ignore_ascii_case(&param.name))
            || EXTRAS.iter().any(|e| e.0.eq_ignore_ascii_case(&param.name));
        if !known {
            problems.push(format!(
                "-{} is neither Send-MailMessage's nor a Graph extra",
                param.name
            ));
        }
        if SEND_MAILMESSAGE
            .iter()
            .all(|e| !e.name.eq_ignore_ascii_case(&param.name))
            && param.position.is_some()
        {
            problems.push(format!("-{} must not take a position", param.name));
        }
    }
    problems
}

fn send_graphmail_source() -> String {
    read(&module_dir().join("Public").join("Send-GraphMail.ps1"))
}

#[test]
fn send_graphmail_has_the_send_mailmessage_parameters() {
    let problems = send_graphmail_problems(&send_graphmail_source());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Replaces exactly one occurrence, so a mutation never silently stops applying.
fn mutate(source: &str, from: &str, to: &str) -> String {
    assert_eq!(
        source.matches(from).count(),
        1,
        "the mutation target {from:?} must occur exactly once in the script"
    );
    source.replacen(from, to, 1)
}

#[test]
fn the_parameter_check_catches_drift() {
    let source = send_graphmail_source();
    let mutants = [
        ("a renamed parameter", mutate(&source, "$Subject,", "$Subjekt,"), "Subject"),
        ("a dropped alias", mutate(&source, "[Alias('sub')]", ""), "Subject"),
        ("a moved position", mutate(&source, "Position = 3", "Position = 4"), "SmtpServer"),
        (
            "a changed type",
            mutate(&source, "[System.Net.Mail.MailPriority]", "[string]"),
            "Priority",
        ),
        (
            "a lost ByValue binding",
            mutate(
                &source,
                "ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true",
                "ValueFromPipelineByPropertyName = $true",
            ),
            "Attachments",
        ),
        (
            "an optional From",
            mutate(
                &source,
                "[Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]\n        [ValidateNotNullOrEmpty()]\n        [string]\n        $From",
                "[Parameter(ValueFromPipelineByPropertyName = $true)]\n        [ValidateNotNullOrEmpty()]\n        [string]\n        $From",
            ),
            "From",
        ),
        (
            "a renamed Graph extra",
            mutate(&source, "$InlineAttachments,", "$InlineImages,"),
            "InlineAttachments",
        ),
        (
            "InlineAttachments as a string",
            mutate(
                &source,
                "[hashtable]\n        $InlineAttachments",
                "[string]\n        $InlineAttachments",
            ),
            "InlineAttachments",
        ),
        (
            "InlineAttachments not bound by property name",
            mutate(
                &source,
                "[Parameter(ValueFromPipelineByPropertyName = $true)]\n        [hashtable]\n        $InlineAttachments",
                "[hashtable]\n        $InlineAttachments",
            ),
            "InlineAttachments",
        ),
    ];
    for (what, mutant, parameter) in mutants {
        let problems = send_graphmail_problems(&mutant);
        assert!(
            problems.iter().any(|p| p.contains(parameter)),
            "{what} was not caught: {problems:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Send-GraphMail's background send: progress, and cancel on Ctrl+C

/// The methods called in a subtree, in source order, as (receiver, method): `$send.Wait(250)` is
/// `("$send", "Wait")`.
fn method_calls<'s>(node: Node<'_>, source: &'s str) -> Vec<(&'s str, &'s str)> {
    descendants(node)
        .into_iter()
        .filter(|n| n.kind() == "invokation_expression")
        .filter_map(|n| {
            let receiver = n.named_child(0)?;
            let method = child_of_kind(n, "member_name")?;
            Some((text(receiver, source).trim(), text(method, source)))
        })
        .collect()
}

/// The commands in a subtree: the name without its module qualifier, and its parameters
/// (lower case, without the dash).
fn commands_in(node: Node<'_>, source: &str) -> Vec<(String, Vec<String>)> {
    descendants(node)
        .into_iter()
        .filter(|n| n.kind() == "command")
        .filter_map(|n| {
            let name = text(child_of_kind(n, "command_name")?, source);
            let name = name
                .rsplit('\\')
                .next()
                .unwrap_or(name)
                .to_ascii_lowercase();
            let parameters = child_of_kind(n, "command_elements")
                .map(|e| {
                    descendants(e)
                        .into_iter()
                        .filter(|p| p.kind() == "command_parameter")
                        .map(|p| {
                            text(p, source)
                                .trim_start_matches('-')
                                .trim_end_matches(':')
                                .to_ascii_lowercase()
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some((name, parameters))
        })
        .collect()
}

fn has_write_progress(commands: &[(String, Vec<String>)], parameters: &[&str]) -> bool {
    commands.iter().any(|(name, given)| {
        name == "write-progress" && parameters.iter().all(|p| given.iter().any(|g| g == p))
    })
}

/// Whether `variable` calls the `wanted` methods in this order (not necessarily adjacent).
fn calls_in_order(calls: &[(&str, &str)], variable: &str, wanted: &[&str]) -> bool {
    let mut at = 0;
    for (receiver, method) in calls {
        if at < wanted.len()
            && receiver.eq_ignore_ascii_case(variable)
            && method.eq_ignore_ascii_case(wanted[at])
        {
            at += 1;
        }
    }
    at == wanted.len()
}

/// What is missing from Send-GraphMail's background send: assign StartSend's send to a variable
/// (never the blocking SendMail), poll its Wait in a loop that writes Write-Progress with a status
/// and a percentage, and in a finally Cancel, Wait (the library deletes the upload session and the
/// draft) and Dispose that send, and complete the progress bar.
fn background_send_problems(source: &str) -> Vec<String> {
    let tree = parse(source);
    let root = tree.root_node();
    let mut problems = Vec::new();
    let all = descendants(root);
    if method_calls(root, source)
        .iter()
        .any(|(_, m)| m.eq_ignore_ascii_case("SendMail"))
    {
        problems.push("Send-GraphMail calls the blocking SendMail (no progress, no cancel)".into());
    }
    let started = all.iter().find_map(|n| {
        if n.kind() != "assignment_expression" {
            return None;
        }
        let left = child_of_kind(*n, "left_assignment_expression")?;
        method_calls(*n, source)
            .iter()
            .any(|(_, m)| *m == "StartSend")
            .then(|| text(left, source).trim())
    });
    let Some(send) = started else {
        problems.push("Send-GraphMail does not assign the result of StartSend".into());
        return problems;
    };
    let polls = all.iter().any(|n| {
        n.kind() == "while_statement"
            && child_of_kind(*n, "while_condition")
                .is_some_and(|c| calls_in_order(&method_calls(c, source), send, &["Wait"]))
            && has_write_progress(
                &commands_in(*n, source),
                &["activity", "status", "percentcomplete"],
            )
    });
    if !polls {
        problems.push(format!(
            "no `while (-not {send}.Wait(...)) {{ ... Write-Progress -Activity -Status -PercentComplete }}` loop"
        ));
    }
    let cleans_up = all.iter().any(|n| {
        n.kind() == "finally_clause"
            && calls_in_order(
                &method_calls(*n, source),
                send,
                &["Cancel", "Wait", "Dispose"],
            )
            && has_write_progress(&commands_in(*n, source), &["activity", "completed"])
    });
    if !cleans_up {
        problems.push(format!(
            "no finally that calls {send}.Cancel(), .Wait(...) and .Dispose(), and Write-Progress -Completed"
        ));
    }
    problems
}

#[test]
fn send_graphmail_shows_progress_and_cancels_in_finally() {
    let problems = background_send_problems(&send_graphmail_source());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_background_send_check_catches_a_broken_send() {
    let source = send_graphmail_source();
    let mutants = [
        (
            "the blocking send",
            mutate(
                &source,
                "$lease.Client.StartSend($messageJson)",
                "$lease.Client.SendMail($messageJson)",
            ),
        ),
        ("no cancel", mutate(&source, "$send.Cancel()", "")),
        (
            "no wait for the cleanup",
            mutate(&source, "[void]$send.Wait(30000, [ref]$cancelled)", ""),
        ),
        ("no dispose", mutate(&source, "$send.Dispose()", "")),
        (
            "no -Completed",
            mutate(
                &source,
                "-Activity 'Send-GraphMail' -Completed",
                "-Activity 'Send-GraphMail'",
            ),
        ),
        (
            "no percentage",
            mutate(&source, " -PercentComplete $percent", ""),
        ),
    ];
    for (what, mutant) in mutants {
        assert!(
            every_error_free(&mutant) && !background_send_problems(&mutant).is_empty(),
            "{what} was not caught"
        );
    }
}

fn every_error_free(source: &str) -> bool {
    syntax_errors(Path::new("mutant.ps1"), source).is_empty()
}

// ---------------------------------------------------------------------------------------------
// Send-GraphMailBatch: many messages from the pipeline in one bulk call

/// The message fields of a batch input, each also a parameter of Send-GraphMailBatch (a default
/// for every message) with Send-GraphMail's type, in this order.
const BATCH_FIELDS: &[&str] = &[
    "From",
    "To",
    "Cc",
    "Bcc",
    "ReplyTo",
    "Subject",
    "Body",
    "BodyAsHtml",
    "Attachments",
    "InlineAttachments",
    "Priority",
    "DeliveryNotificationOption",
    "Headers",
    "SaveToSentItems",
];

fn send_graphmail_batch_source() -> String {
    read(&module_dir().join("Public").join("Send-GraphMailBatch.ps1"))
}

fn message_field_source() -> String {
    read(
        &module_dir()
            .join("Private")
            .join("Get-GraphMailMessageField.ps1"),
    )
}

/// The strings of `$names = @(...)` in Get-GraphMailMessageField: the fields it reads.
fn message_field_names(source: &str) -> Vec<String> {
    let tree = parse(source);
    descendants(tree.root_node())
        .into_iter()
        .find(|n| {
            n.kind() == "assignment_expression"
                && child_of_kind(*n, "left_assignment_expression")
                    .is_some_and(|l| text(l, source).trim().eq_ignore_ascii_case("$names"))
        })
        .map(|n| {
            descendants(n)
                .into_iter()
                .filter(|s| s.kind() == "string_literal")
                .map(|s| unquote(text(s, source)))
                .collect()
        })
        .unwrap_or_default()
}

/// What differs between Send-GraphMailBatch's parameters and the expected ones: -InputObject from
/// the pipeline, then BATCH_FIELDS with Send-GraphMail's types (never mandatory, positional or
/// bound from the pipeline: they are defaults), then -Credential and -TenantId; the fields equal
/// the ones Get-GraphMailMessageField reads.
fn batch_parameter_problems(batch: &str, send: &str, fields: &str) -> Vec<String> {
    let function = match function_in(batch, "Send-GraphMailBatch") {
        Ok(f) => f,
        Err(e) => return vec![e],
    };
    let send = match function_in(send, "Send-GraphMail") {
        Ok(f) => f,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    if !function.cmdlet_binding.iter().any(|(k, v)| {
        k.as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case("SupportsShouldProcess"))
            && is_true(v)
    }) {
        problems.push("[CmdletBinding(SupportsShouldProcess = $true)] is missing".to_string());
    }
    let names: Vec<&str> = function.params.iter().map(|p| p.name.as_str()).collect();
    let mut want = vec!["InputObject"];
    want.extend(BATCH_FIELDS);
    want.extend(["Credential", "TenantId"]);
    if names != want {
        problems.push(format!("parameters {names:?}, want {want:?}"));
    }
    let read = message_field_names(fields);
    if read != BATCH_FIELDS {
        problems.push(format!(
            "Get-GraphMailMessageField reads {read:?}, want {BATCH_FIELDS:?}"
        ));
    }
    for param in &function.params {
        let mut fail = |what: String| problems.push(format!("-{}: {what}", param.name));
        if param.name == "InputObject" {
            if param.type_name.as_deref() != Some("system.object[]") {
                fail(format!("type {:?}, want object[]", param.type_name));
            }
            if !param.mandatory || !param.from_pipeline || param.by_property_name {
                fail("must be Mandatory and ValueFromPipeline, not by property name".into());
            }
            for allow in ["allownull", "allowemptystring", "allowemptycollection"] {
                if !param.attributes.iter().any(|a| a == allow) {
                    // Every input gets a result: a blank line fails as a message, it is not
                    // dropped by the parameter binder.
                    fail(format!("lacks [{allow}]"));
                }
            }
            continue;
        }
        if param.mandatory
            || param.position.is_some()
            || param.from_pipeline
            || param.by_property_name
        {
            fail(
                "a default for every message: not Mandatory, positional or from the pipeline"
                    .into(),
            );
        }
        if param.default.is_some() {
            fail(format!(
                "default {:?}: an unset parameter must leave the library's default",
                param.default
            ));
        }
        let want_type = match send.params.iter().find(|p| p.name == param.name) {
            Some(p) => p.type_name.clone(),
            None => {
                fail("Send-GraphMail has no such parameter".into());
                continue;
            }
        };
        if param.type_name != want_type {
            fail(format!(
                "type {:?}, want Send-GraphMail's {want_type:?}",
                param.type_name
            ));
        }
        if param.name == "Credential" && !param.attributes.iter().any(|a| a == "credential") {
            fail("lacks [Credential()]".into());
        }
    }
    problems
}

#[test]
fn send_graphmail_batch_takes_the_pipeline_and_send_graphmails_message_parameters() {
    let problems = batch_parameter_problems(
        &send_graphmail_batch_source(),
        &send_graphmail_source(),
        &message_field_source(),
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_batch_parameter_check_catches_drift() {
    let batch = send_graphmail_batch_source();
    let send = send_graphmail_source();
    let fields = message_field_source();
    let cases = [
        (
            "To as a single string",
            mutate(&batch, "[string[]]\n        $To,", "[string]\n        $To,"),
            fields.clone(),
            "-To",
        ),
        (
            "a mandatory From",
            mutate(
                &batch,
                "        [ValidateNotNullOrEmpty()]\n        [string]\n        $From,",
                "        [Parameter(Mandatory = $true)]\n        [string]\n        $From,",
            ),
            fields.clone(),
            "-From",
        ),
        (
            "Subject bound by property name",
            mutate(
                &batch,
                "        [string]\n        $Subject,",
                "        [Parameter(ValueFromPipelineByPropertyName = $true)]\n        [string]\n        $Subject,",
            ),
            fields.clone(),
            "-Subject",
        ),
        (
            "SaveToSentItems defaulting to $true",
            mutate(&batch, "$SaveToSentItems,", "$SaveToSentItems = $true,"),
            fields.clone(),
            "-SaveToSentItems",
        ),
        (
            "no pipeline input",
            mutate(
                &batch,
                "[Parameter(Mandatory = $true, ValueFromPipeline = $true)]",
                "[Parameter(Mandatory = $true)]",
            ),
            fields.clone(),
            "-InputObject",
        ),
        (
            "blank lines dropped by the binder",
            mutate(&batch, "        [AllowEmptyString()]\n        [AllowEmptyCollection()]", "        [AllowEmptyCollection()]"),
            fields.clone(),
            "allowemptystring",
        ),
        (
            "a field the batch does not offer as a default",
            batch.clone(),
            mutate(&fields, "'Headers', 'SaveToSentItems'", "'Headers', 'SaveToSentItems', 'Sensitivity'"),
            "Get-GraphMailMessageField reads",
        ),
        (
            "a field the inputs cannot set",
            batch.clone(),
            mutate(&fields, "'Priority', ", ""),
            "Get-GraphMailMessageField reads",
        ),
    ];
    for (what, batch, fields, needle) in cases {
        assert!(
            every_error_free(&batch) && every_error_free(&fields),
            "{what}: the mutant does not parse"
        );
        let problems = batch_parameter_problems(&batch, &send, &fields);
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "{what} was not caught: {problems:?}"
        );
    }
}

/// The statement block of the function's `begin`, `process` or `end` block.
fn named_block<'t>(root: Node<'t>, source: &str, name: &str) -> Option<Node<'t>> {
    descendants(root).into_iter().find(|n| {
        n.kind() == "named_block"
            && child_of_kind(*n, "block_name")
                .is_some_and(|b| text(b, source).eq_ignore_ascii_case(name))
    })
}

/// The commands (without module qualifier, lower case) called in a subtree.
fn command_names(node: Node<'_>, source: &str) -> Vec<String> {
    commands_in(node, source)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// What is wrong with Send-GraphMailBatch's flow: `process` maps each input with
/// Get-GraphMailMessageField, ConvertTo-GraphMailMessage (the mapping Send-GraphMail uses too) and
/// ConvertTo-GraphMailJson and sends nothing; `end` sends everything with one SendBatch (never a
/// send per message); under -WhatIf it previews each message with PreviewMail and returns before
/// SendBatch; and it writes each failed result with Write-GraphMailBatchError (non-terminating)
/// in a loop that outputs the results.
fn batch_flow_problems(batch: &str, send: &str) -> Vec<String> {
    let tree = parse(batch);
    let root = tree.root_node();
    let mut problems = Vec::new();
    let (Some(process), Some(end)) = (
        named_block(root, batch, "process"),
        named_block(root, batch, "end"),
    ) else {
        return vec!["Send-GraphMailBatch needs a process and an end block".into()];
    };
    let process_commands = command_names(process, batch);
    for wanted in [
        "get-graphmailmessagefield",
        "convertto-graphmailmessage",
        "convertto-graphmailjson",
    ] {
        if !process_commands.iter().any(|c| c == wanted) {
            problems.push(format!("process does not call {wanted}"));
        }
    }
    let send_tree = parse(send);
    if !command_names(send_tree.root_node(), send)
        .iter()
        .any(|c| c == "convertto-graphmailmessage")
    {
        problems.push("Send-GraphMail does not map with ConvertTo-GraphMailMessage".into());
    }
    let sending = ["SendBatch", "SendMail", "StartSend"];
    if method_calls(process, batch)
        .iter()
        .any(|(_, m)| sending.iter().any(|s| s.eq_ignore_ascii_case(m)))
    {
        problems.push("process sends: collect there, send once in end".into());
    }
    let end_calls = method_calls(end, batch);
    let batches = end_calls
        .iter()
        .filter(|(_, m)| m.eq_ignore_ascii_case("SendBatch"))
        .count();
    if batches != 1 {
        problems.push(format!("end calls SendBatch {batches} times, want once"));
    }
    if end_calls
        .iter()
        .any(|(_, m)| m.eq_ignore_ascii_case("SendMail") || m.eq_ignore_ascii_case("StartSend"))
    {
        problems.push("end sends message by message".into());
    }
    // if ($WhatIfPreference) { ... PreviewMail ... return } before SendBatch.
    let send_batch_at = descendants(end)
        .into_iter()
        .find(|n| {
            n.kind() == "invokation_expression"
                && child_of_kind(*n, "member_name")
                    .is_some_and(|m| text(m, batch).eq_ignore_ascii_case("SendBatch"))
        })
        .map(|n| n.start_byte());
    let previews = descendants(end).into_iter().any(|n| {
        n.kind() == "if_statement"
            && n.child_by_field_name("condition")
                .is_some_and(|c| text(c, batch).eq_ignore_ascii_case("$WhatIfPreference"))
            && calls_in_order(&method_calls(n, batch), "$lease.Client", &["PreviewMail"])
            && calls_in_order(&method_calls(n, batch), "$PSCmdlet", &["ShouldProcess"])
            && child_of_kind(n, "statement_block").is_some_and(|b| {
                named_children(b)
                    .into_iter()
                    .filter(|l| l.kind() == "statement_list")
                    .flat_map(named_children)
                    .any(|s| {
                        s.kind() == "flow_control_statement" && text(s, batch).trim() == "return"
                    })
            })
            && send_batch_at.is_some_and(|at| n.end_byte() < at)
    });
    if !previews {
        problems.push(
            "no `if ($WhatIfPreference) { ... $lease.Client.PreviewMail(...) ... $PSCmdlet.ShouldProcess(...) ... return }` before SendBatch".into(),
        );
    }
    let reports = descendants(end).into_iter().any(|n| {
        n.kind() == "foreach_statement"
            && text(n, batch).contains("$results")
            && command_names(n, batch)
                .iter()
                .any(|c| c == "write-graphmailbatcherror")
            && !method_calls(n, batch)
                .iter()
                .any(|(_, m)| m.eq_ignore_ascii_case("ThrowTerminatingError"))
    });
    if !reports {
        problems.push(
            "no `foreach (... in $results)` writing failures with Write-GraphMailBatchError (and never ThrowTerminatingError)".into(),
        );
    }
    problems
}

#[test]
fn send_graphmail_batch_collects_in_process_and_sends_once_in_end() {
    let problems = batch_flow_problems(&send_graphmail_batch_source(), &send_graphmail_source());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_batch_flow_check_catches_a_broken_batch() {
    let batch = send_graphmail_batch_source();
    let send = send_graphmail_source();
    let cases = [
        (
            "a send per message",
            mutate(
                &batch,
                "$results = $lease.Client.SendBatch($messages)",
                "$results = foreach ($m in $messages) { $lease.Client.SendMail($m) }",
            ),
            send.clone(),
        ),
        (
            "a second mapping",
            mutate(
                &batch,
                "$message = ConvertTo-GraphMailMessage -Parameter $fields",
                "$message = ConvertTo-GraphMailBatchMessage -Parameter $fields",
            ),
            send.clone(),
        ),
        (
            "Send-GraphMail maps on its own",
            batch.clone(),
            mutate(
                &send,
                "$message = ConvertTo-GraphMailMessage -Parameter $fields",
                "$message = New-GraphMailOwnMessage -Parameter $fields",
            ),
        ),
        (
            "-WhatIf sends",
            mutate(
                &batch,
                "                }\n                return\n            }",
                "                }\n            }",
            ),
            send.clone(),
        ),
        (
            "no preview",
            mutate(
                &batch,
                "($lease.Client.PreviewMail($messages[$index]))",
                "($messages[$index])",
            ),
            send.clone(),
        ),
        (
            "a failed message stops the rest",
            mutate(
                &batch,
                "Write-GraphMailBatchError -Cmdlet $PSCmdlet -ErrorRecord $record -Index $result.Index -TargetObject $item",
                "$PSCmdlet.ThrowTerminatingError($record)",
            ),
            send.clone(),
        ),
    ];
    for (what, batch, send) in cases {
        assert!(
            every_error_free(&batch) && every_error_free(&send),
            "{what}: the mutant does not parse"
        );
        assert!(
            !batch_flow_problems(&batch, &send).is_empty(),
            "{what} was not caught"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Variables in expandable strings

/// `"... $name?"` expands the variable `name?` ('?' belongs to a variable name in PowerShell),
/// and `"... $name: ..."` is a drive-qualified reference with no name: both are almost always a
/// mistake for `$name` followed by punctuation. Returns each as `file:line: $name?`.
fn accidental_variable_problems(file: &str, source: &str) -> Vec<String> {
    let tree = parse(source);
    let mut problems = Vec::new();
    for node in descendants(tree.root_node()) {
        if !matches!(
            node.kind(),
            "expandable_string_literal" | "expandable_here_string_literal"
        ) {
            continue;
        }
        let literal = text(node, source);
        let chars: Vec<char> = literal.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '`' {
                i += 2;
                continue;
            }
            if chars[i] != '$' {
                i += 1;
                continue;
            }
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            if i == start + 1 || i >= chars.len() {
                continue;
            }
            let after = chars.get(i + 1).copied().unwrap_or('"');
            let accidental = chars[i] == '?'
                || (chars[i] == ':' && !(after.is_alphanumeric() || after == '_' || after == '{'));
            if accidental {
                let name: String = chars[start..=i].iter().collect();
                problems.push(format!(
                    "{file}:{}: {name} in {literal}: write ${{{}}} or use -f",
                    node.start_position().row + 1,
                    &name[1..name.len() - 1]
                ));
            }
        }
    }
    problems
}

#[test]
fn no_string_expands_a_variable_by_accident() {
    let problems: Vec<String> = powershell_files()
        .into_iter()
        .flat_map(|f| accidental_variable_problems(&f.display().to_string(), &read(&f)))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The check bites, and leaves the correct forms alone.
    for bad in [
        "$a = \"Send mail $summary?\"",
        "$a = \"Message $index: failed\"",
        "$a = @\"\nDone $name?\n\"@",
    ] {
        assert!(
            !accidental_variable_problems("mutant", bad).is_empty(),
            "{bad} was not caught"
        );
    }
    for good in [
        "$a = \"Send mail ${summary}?\"",
        "$a = \"$env:LOCALAPPDATA\\x\"",
        "$a = \"Message ${index}: failed\"",
        "$a = \"cost `$5?\"",
        "$a = 'Send mail $summary?'",
        "$a = \"$($x.y)?\"",
    ] {
        assert!(
            accidental_variable_problems("good", good).is_empty(),
            "{good} was reported: {:?}",
            accidental_variable_problems("good", good)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Connect-GraphMail: one parameter set per credential

/// A parameter as declared, with every `[Parameter()]` attribute: a parameter may belong to
/// several parameter sets (the shared `param_of` allows one attribute only).
#[derive(Debug, Default)]
struct DeclaredParam {
    name: String,
    type_name: Option<String>,
    /// Each `[Parameter(...)]`: its ParameterSetName (None: every set), Mandatory and Position.
    /// No attribute at all is one membership of every set.
    memberships: Vec<(Option<String>, bool, Option<i64>)>,
    /// The other attributes, as `param_of` normalizes them (`validateset('a','b')`).
    attributes: Vec<String>,
    default: Option<String>,
}

struct DeclaredFunction {
    cmdlet_binding: Vec<(Option<String>, String)>,
    params: Vec<DeclaredParam>,
    help: Option<String>,
}

fn declared_param(node: Node<'_>, source: &str) -> Result<DeclaredParam, String> {
    let variable = child_of_kind(node, "variable").ok_or("a parameter without a variable")?;
    let mut param = DeclaredParam {
        name: text(variable, source).trim_start_matches('$').to_string(),
        default: child_of_kind(node, "script_parameter_default")
            .and_then(|d| child_of_kind(d, "logical_expression"))
            .map(|d| text(d, source).to_string()),
        ..DeclaredParam::default()
    };
    let attributes = child_of_kind(node, "attribute_list")
        .map(named_children)
        .unwrap_or_default();
    for attribute in attributes.into_iter().filter(|a| a.kind() == "attribute") {
        if let Some(type_literal) = child_of_kind(attribute, "type_literal") {
            let spec = child_of_kind(type_literal, "type_spec").unwrap_or(type_literal);
            param.type_name = Some(normalize_type(text(spec, source)));
            continue;
        }
        let Some(attr) = attribute_of(attribute, source) else {
            continue;
        };
        if attr.name == "parameter" {
            let (mut set, mut mandatory, mut position) = (None, false, None);
            for (key, value) in &attr.arguments {
                match key.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    Some("parametersetname") => set = Some(unquote(value)),
                    Some("mandatory") => mandatory = is_true(value),
                    Some("position") => {
                        position = Some(value.trim().parse().map_err(|_| {
                            format!("${}: Position {value} is not a number", param.name)
                        })?)
                    }
                    _ => {}
                }
            }
            param.memberships.push((set, mandatory, position));
        } else if attr.name != "alias" {
            let args: Vec<String> = attr
                .arguments
                .iter()
                .map(|(_, v)| {
                    v.chars()
                        .filter(|c| !c.is_whitespace())
                        .collect::<String>()
                        .to_ascii_lowercase()
                })
                .collect();
            param.attributes.push(if args.is_empty() {
                attr.name.clone()
            } else {
                format!("{}({})", attr.name, args.join(","))
            });
        }
    }
    if param.memberships.is_empty() {
        param.memberships.push((None, false, None));
    }
    Ok(param)
}

fn declared_function(source: &str, name: &str) -> Result<DeclaredFunction, String> {
    let tree = parse(source);
    let function = descendants(tree.root_node())
        .into_iter()
        .find(|n| {
            n.kind() == "function_statement"
                && child_of_kind(*n, "function_name")
                    .is_some_and(|f| text(f, source).eq_ignore_ascii_case(name))
        })
        .ok_or_else(|| format!("no function {name}"))?;
    let block = child_of_kind(function, "script_block")
        .and_then(|b| child_of_kind(b, "param_block"))
        .ok_or_else(|| format!("{name} has no param block"))?;
    let help = descendants(function)
        .into_iter()
        .find(|n| {
            n.kind() == "comment"
                && n.start_byte() < block.start_byte()
                && text(*n, source).starts_with("<#")
        })
        .map(|n| text(n, source).to_string());
    let cmdlet_binding = child_of_kind(block, "attribute_list")
        .map(named_children)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| attribute_of(a, source))
        .find(|a| a.name == "cmdletbinding")
        .map(|a| a.arguments)
        .ok_or_else(|| format!("{name} has no [CmdletBinding()]"))?;
    let params = child_of_kind(block, "parameter_list")
        .map(named_children)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.kind() == "script_parameter")
        .map(|p| declared_param(p, source))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DeclaredFunction {
        cmdlet_binding,
        params,
        help,
    })
}

/// declared_function reads what function_in reads, where both apply (one [Parameter] per
/// parameter): the same names, types, defaults and help.
#[test]
fn declared_function_agrees_with_the_shared_parser() {
    for name in [
        "Send-GraphMail",
        "Send-GraphMailBatch",
        "Disconnect-GraphMail",
        "Get-GraphMailToken",
    ] {
        let source = read(&module_dir().join("Public").join(format!("{name}.ps1")));
        let shared = function_in(&source, name).unwrap();
        let declared = declared_function(&source, name).unwrap();
        assert_eq!(shared.help, declared.help, "{name}: help");
        assert!(shared.help.is_some(), "{name} has help");
        let view = |p: (&str, &Option<String>, &Option<String>)| {
            (p.0.to_string(), p.1.clone(), p.2.clone())
        };
        let a: Vec<_> = shared
            .params
            .iter()
            .map(|p| view((&p.name, &p.type_name, &p.default)))
            .collect();
        let b: Vec<_> = declared
            .params
            .iter()
            .map(|p| view((&p.name, &p.type_name, &p.default)))
            .collect();
        assert_eq!(a, b, "{name}: parameters");
        for (p, d) in shared.params.iter().zip(&declared.params) {
            assert_eq!(
                d.memberships,
                [(None, p.mandatory, p.position)],
                "-{}: membership",
                p.name
            );
        }
    }
}

/// Connect-GraphMail's parameter sets: the default (a client secret, or the environment's
/// credential) and one per other credential.
const CONNECT_SETS: &[&str] = &[
    "ClientSecret",
    "Credential",
    "ClientSecretName",
    "CertificateThumbprint",
    "CertificatePath",
    "ManagedIdentity",
    "DeviceCode",
    "AccessToken",
];

/// A Connect-GraphMail parameter: name, type, and its sets as (set, Mandatory, Position); an
/// empty list is every set, never mandatory, with `position` for all.
struct ConnectParam {
    name: &'static str,
    type_name: &'static str,
    sets: &'static [(&'static str, bool, Option<i64>)],
    position: Option<i64>,
    /// An attribute that must be there (e.g. the ValidateSet), normalized, or "".
    attribute: &'static str,
    default: Option<&'static str>,
}

const fn cp(
    name: &'static str,
    type_name: &'static str,
    sets: &'static [(&'static str, bool, Option<i64>)],
) -> ConnectParam {
    ConnectParam {
        name,
        type_name,
        sets,
        position: None,
        attribute: "",
        default: None,
    }
}

const CONNECT_GRAPHMAIL: &[ConnectParam] = &[
    ConnectParam {
        position: Some(0),
        ..cp("TenantId", "string", &[])
    },
    cp(
        "ClientId",
        "string",
        &[
            ("ClientSecret", false, Some(1)),
            ("ClientSecretName", false, None),
            ("CertificateThumbprint", false, None),
            ("CertificatePath", false, None),
            ("ManagedIdentity", false, None),
            ("DeviceCode", false, None),
        ],
    ),
    cp(
        "ClientSecret",
        "securestring",
        &[("ClientSecret", false, None)],
    ),
    cp("Credential", "pscredential", &[("Credential", true, None)]),
    cp(
        "ClientSecretName",
        "string",
        &[("ClientSecretName", true, None)],
    ),
    cp("Vault", "string", &[("ClientSecretName", false, None)]),
    cp(
        "CertificateThumbprint",
        "string",
        &[("CertificateThumbprint", true, None)],
    ),
    ConnectParam {
        attribute: "validateset('currentuser','localmachine')",
        default: Some("'CurrentUser'"),
        ..cp(
            "CertificateStoreLocation",
            "string",
            &[("CertificateThumbprint", false, None)],
        )
    },
    cp(
        "CertificatePath",
        "string",
        &[("CertificatePath", true, None)],
    ),
    cp(
        "CertificatePassword",
        "securestring",
        &[("CertificatePath", false, None)],
    ),
    cp(
        "SendCertificateChain",
        "switch",
        &[
            ("CertificateThumbprint", false, None),
            ("CertificatePath", false, None),
        ],
    ),
    cp(
        "ManagedIdentity",
        "switch",
        &[("ManagedIdentity", true, None)],
    ),
    cp("ObjectId", "string", &[("ManagedIdentity", false, None)]),
    cp("ResourceId", "string", &[("ManagedIdentity", false, None)]),
    cp("DeviceCode", "switch", &[("DeviceCode", true, None)]),
    cp("Scopes", "string[]", &[("DeviceCode", false, None)]),
    cp("TokenCachePath", "string", &[("DeviceCode", false, None)]),
    cp(
        "AccessToken",
        "securestring",
        &[("AccessToken", true, None)],
    ),
    ConnectParam {
        attribute: "validateset('global','usgov','usgovdod','china')",
        ..cp("Cloud", "string", &[])
    },
    cp("AuthorityHost", "string", &[]),
    cp("GraphEndpoint", "string", &[]),
    cp("CaCertificatePath", "string", &[]),
    cp("Proxy", "string", &[]),
    cp("TimeoutSeconds", "int", &[]),
    cp("PassThru", "switch", &[]),
];

fn connect_graphmail_source() -> String {
    read(&module_dir().join("Public").join("Connect-GraphMail.ps1"))
}

/// What differs between Connect-GraphMail's param block and CONNECT_GRAPHMAIL.
fn connect_parameter_problems(source: &str) -> Vec<String> {
    let function = match declared_function(source, "Connect-GraphMail") {
        Ok(f) => f,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    let default_set = function
        .cmdlet_binding
        .iter()
        .find(|(k, _)| {
            k.as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("DefaultParameterSetName"))
        })
        .map(|(_, v)| unquote(v));
    if default_set.as_deref() != Some("ClientSecret") {
        problems.push(format!(
            "DefaultParameterSetName is {default_set:?}, want ClientSecret (no parameter: the environment)"
        ));
    }
    let names: Vec<&str> = function.params.iter().map(|p| p.name.as_str()).collect();
    let want: Vec<&str> = CONNECT_GRAPHMAIL.iter().map(|p| p.name).collect();
    if names != want {
        problems.push(format!("parameters {names:?}, want {want:?}"));
    }
    for expected in CONNECT_GRAPHMAIL {
        let Some(param) = function.params.iter().find(|p| p.name == expected.name) else {
            continue;
        };
        let mut fail = |what: String| problems.push(format!("-{}: {what}", expected.name));
        let want_type = normalize_type(expected.type_name);
        if param.type_name.as_deref() != Some(want_type.as_str()) {
            fail(format!("type {:?}, want {want_type}", param.type_name));
        }
        let mut got: Vec<(String, bool, Option<i64>)> = param
            .memberships
            .iter()
            .map(|(set, m, p)| (set.clone().unwrap_or_else(|| "*".into()), *m, *p))
            .collect();
        let mut wanted: Vec<(String, bool, Option<i64>)> = if expected.sets.is_empty() {
            vec![("*".into(), false, expected.position)]
        } else {
            expected
                .sets
                .iter()
                .map(|(set, m, p)| (set.to_string(), *m, *p))
                .collect()
        };
        got.sort();
        wanted.sort();
        if got != wanted {
            fail(format!(
                "parameter sets (set, Mandatory, Position) {got:?}, want {wanted:?}"
            ));
        }
        if !expected.attribute.is_empty()
            && !param.attributes.iter().any(|a| a == expected.attribute)
        {
            fail(format!(
                "lacks {}: {:?}",
                expected.attribute, param.attributes
            ));
        }
        if param.default.as_deref() != expected.default {
            fail(format!(
                "default {:?}, want {:?}",
                param.default, expected.default
            ));
        }
    }
    // Every set but the default is chosen by a mandatory parameter of its own.
    for set in CONNECT_SETS.iter().filter(|s| **s != "ClientSecret") {
        let own = function.params.iter().any(|p| {
            p.memberships.len() == 1
                && p.memberships[0].0.as_deref() == Some(*set)
                && p.memberships[0].1
        });
        if !own {
            problems.push(format!(
                "parameter set {set} has no mandatory parameter of its own"
            ));
        }
    }
    problems
}

#[test]
fn connect_graphmail_has_one_parameter_set_per_credential() {
    let problems = connect_parameter_problems(&connect_graphmail_source());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_connect_parameter_check_catches_drift() {
    let source = connect_graphmail_source();
    let cases = [
        (
            "ClientId dropped from the DeviceCode set",
            mutate(
                &source,
                "        [Parameter(ParameterSetName = 'DeviceCode')]\n        [ValidateNotNullOrEmpty()]\n        [string]\n        $ClientId,",
                "        [ValidateNotNullOrEmpty()]\n        [string]\n        $ClientId,",
            ),
            "ClientId",
        ),
        (
            "a plain-text access token",
            mutate(
                &source,
                "[System.Security.SecureString]\n        $AccessToken",
                "[string]\n        $AccessToken",
            ),
            "AccessToken",
        ),
        (
            "an optional -DeviceCode",
            mutate(
                &source,
                "[Parameter(ParameterSetName = 'DeviceCode', Mandatory = $true)]\n        [switch]\n        $DeviceCode",
                "[Parameter(ParameterSetName = 'DeviceCode')]\n        [switch]\n        $DeviceCode",
            ),
            "DeviceCode",
        ),
        (
            "another default set",
            mutate(
                &source,
                "DefaultParameterSetName = 'ClientSecret'",
                "DefaultParameterSetName = 'DeviceCode'",
            ),
            "DefaultParameterSetName",
        ),
        (
            "LocalMachine by default",
            mutate(
                &source,
                "$CertificateStoreLocation = 'CurrentUser'",
                "$CertificateStoreLocation = 'LocalMachine'",
            ),
            "CertificateStoreLocation",
        ),
    ];
    for (what, mutant, parameter) in cases {
        assert!(
            every_error_free(&mutant),
            "{what}: the mutant does not parse"
        );
        let problems = connect_parameter_problems(&mutant);
        assert!(
            problems.iter().any(|p| p.contains(parameter)),
            "{what} was not caught: {problems:?}"
        );
    }
}

/// What is missing from Connect-GraphMail's sign-in: the client comes from
/// GraphMailConnectOptions (CreateFromOptions), with deviceCodePrompt "none", and is signed in with
/// Wait-GraphMailSignIn; that helper assigns StartSignIn's operation, polls its Wait in a loop that
/// takes the prompt (TakeSignInPrompt), shows it with Write-Host and writes Write-Progress, and
/// in a finally cancels, waits for and disposes it and completes the progress bar.
fn sign_in_problems(connect: &str, wait: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let tree = parse(connect);
    let root = tree.root_node();
    let calls = method_calls(root, connect);
    if !calls.iter().any(|(_, m)| *m == "CreateFromOptions") {
        problems.push("Connect-GraphMail does not create its client with CreateFromOptions".into());
    }
    let prompt_none = descendants(root).into_iter().any(|n| {
        n.kind() == "assignment_expression"
            && text(n, connect).contains(".DeviceCodePrompt")
            && text(n, connect).contains("'none'")
    });
    if !prompt_none {
        problems.push(
            "Connect-GraphMail does not set DeviceCodePrompt = 'none' (it shows the prompt itself)"
                .into(),
        );
    }
    if !commands_in(root, connect)
        .iter()
        .any(|(name, _)| name == "wait-graphmailsignin")
    {
        problems.push("Connect-GraphMail does not sign in with Wait-GraphMailSignIn".into());
    }

    let tree = parse(wait);
    let root = tree.root_node();
    let all = descendants(root);
    let started = all.iter().find_map(|n| {
        if n.kind() != "assignment_expression" {
            return None;
        }
        let left = child_of_kind(*n, "left_assignment_expression")?;
        method_calls(*n, wait)
            .iter()
            .any(|(_, m)| *m == "StartSignIn")
            .then(|| text(left, wait).trim())
    });
    let Some(sign_in) = started else {
        problems.push("Wait-GraphMailSignIn does not assign the result of StartSignIn".into());
        return problems;
    };
    let polls = all.iter().any(|n| {
        n.kind() == "while_statement"
            && child_of_kind(*n, "while_condition")
                .is_some_and(|c| calls_in_order(&method_calls(c, wait), sign_in, &["Wait"]))
            && calls_in_order(&method_calls(*n, wait), sign_in, &["TakeSignInPrompt"])
            && commands_in(*n, wait)
                .iter()
                .any(|(name, _)| name == "write-host")
            && has_write_progress(&commands_in(*n, wait), &["activity", "status"])
    });
    if !polls {
        problems.push(format!(
            "no `while (-not {sign_in}.Wait(...)) {{ {sign_in}.TakeSignInPrompt() ... Write-Host ... Write-Progress }}` loop"
        ));
    }
    let cleans_up = all.iter().any(|n| {
        n.kind() == "finally_clause"
            && calls_in_order(
                &method_calls(*n, wait),
                sign_in,
                &["Cancel", "Wait", "Dispose"],
            )
            && has_write_progress(&commands_in(*n, wait), &["activity", "completed"])
    });
    if !cleans_up {
        problems.push(format!(
            "no finally that calls {sign_in}.Cancel(), .Wait(...) and .Dispose(), and Write-Progress -Completed"
        ));
    }
    problems
}

fn wait_graphmail_sign_in_source() -> String {
    read(
        &module_dir()
            .join("Private")
            .join("Wait-GraphMailSignIn.ps1"),
    )
}

#[test]
fn connect_graphmail_signs_in_showing_the_device_code_prompt() {
    let problems = sign_in_problems(
        &connect_graphmail_source(),
        &wait_graphmail_sign_in_source(),
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // A send that has to sign a device code user in again shows the prompt too.
    let send = send_graphmail_source();
    let tree = parse(&send);
    let shows = descendants(tree.root_node()).into_iter().any(|n| {
        n.kind() == "while_statement"
            && calls_in_order(&method_calls(n, &send), "$send", &["TakeSignInPrompt"])
            && commands_in(n, &send)
                .iter()
                .any(|(name, _)| name == "write-host")
    });
    assert!(
        shows,
        "Send-GraphMail's polling loop does not show $send.TakeSignInPrompt()"
    );
}

#[test]
fn the_sign_in_check_catches_a_broken_sign_in() {
    let connect = connect_graphmail_source();
    let wait = wait_graphmail_sign_in_source();
    let cases = [
        (
            "a blocking token request instead",
            mutate(
                &connect,
                "[GraphMail.GraphMailClient]::CreateFromOptions($options)",
                "[GraphMail.GraphMailClient]::Create($options)",
            ),
            wait.clone(),
        ),
        (
            "the library prints the prompt",
            mutate(&connect, "$options.DeviceCodePrompt = 'none'", ""),
            wait.clone(),
        ),
        (
            "no prompt shown",
            connect.clone(),
            mutate(
                &wait,
                "$prompt = $signIn.TakeSignInPrompt()",
                "$prompt = $null",
            ),
        ),
        (
            "no cancel on Ctrl+C",
            connect.clone(),
            mutate(&wait, "$signIn.Cancel()", ""),
        ),
        (
            "no dispose",
            connect.clone(),
            mutate(&wait, "$signIn.Dispose()", ""),
        ),
    ];
    for (what, connect, wait) in cases {
        assert!(
            every_error_free(&connect) && every_error_free(&wait),
            "{what}: the mutant does not parse"
        );
        assert!(
            !sign_in_problems(&connect, &wait).is_empty(),
            "{what} was not caught"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Secrets stay SecureStrings

/// Where a script makes plain text of a SecureString: ConvertFrom-SecureString,
/// `-AsPlainText` (e.g. Get-Secret's), GetNetworkCredential(), or Marshal's BSTR/unicode copies.
fn plain_text_secret_problems(file: &str, source: &str) -> Vec<String> {
    let tree = parse(source);
    let root = tree.root_node();
    let mut problems = Vec::new();
    for (name, _) in commands_in(root, source) {
        if name == "convertfrom-securestring" {
            problems.push(format!("{file}: {name} makes plain text of a secret"));
        }
    }
    // Any command's -AsPlainText, also of a command invoked with & (Get-Secret found by Get-Command).
    for node in descendants(root) {
        if node.kind() == "command_parameter"
            && text(node, source)
                .trim_start_matches('-')
                .trim_end_matches(':')
                .eq_ignore_ascii_case("AsPlainText")
        {
            problems.push(format!(
                "{file}:{}: -AsPlainText makes plain text of a secret",
                node.start_position().row + 1
            ));
        }
    }
    for (receiver, method) in method_calls(root, source) {
        if [
            "GetNetworkCredential",
            "SecureStringToBSTR",
            "SecureStringToGlobalAllocUnicode",
            "SecureStringToCoTaskMemUnicode",
            "PtrToStringBSTR",
            "PtrToStringAuto",
            "PtrToStringUni",
        ]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
        {
            problems.push(format!(
                "{file}: {receiver}.{method}() makes plain text of a secret"
            ));
        }
    }
    problems
}

#[test]
fn no_module_script_makes_plain_text_of_a_secret() {
    let problems: Vec<String> = powershell_files()
        .into_iter()
        .filter(|f| f.starts_with(Path::new(ROOT).join("powershell")))
        .flat_map(|f| plain_text_secret_problems(&f.display().to_string(), &read(&f)))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The check bites.
    let connect = connect_graphmail_source();
    for (from, to) in [
        (
            "$options.ClientSecret = $Credential.Password",
            "$options.ClientSecret = $Credential.GetNetworkCredential().Password",
        ),
        (
            "$value = & $getSecret @arguments",
            "$value = & $getSecret @arguments -AsPlainText",
        ),
    ] {
        let source = if connect.contains(from) {
            mutate(&connect, from, to)
        } else {
            mutate(
                &read(
                    &module_dir()
                        .join("Private")
                        .join("Get-GraphMailVaultSecret.ps1"),
                ),
                from,
                to,
            )
        };
        assert!(
            !plain_text_secret_problems("mutant", &source).is_empty(),
            "{to} was not caught"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Manifest and help

const EXPORTED: &[&str] = &[
    "Send-GraphMail",
    "Send-GraphMailBatch",
    "Connect-GraphMail",
    "Disconnect-GraphMail",
    "Get-GraphMailToken",
    "Find-GraphMailLegacySender",
];

#[test]
fn the_manifest_exports_exactly_the_public_functions() {
    let entries = manifest_entries(&read(&module_dir().join("GraphMail.psd1")));
    let get = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("GraphMail.psd1 has no {key}"))
    };
    assert_eq!(get("ModuleVersion"), [env!("CARGO_PKG_VERSION")]);
    assert_eq!(get("RootModule"), ["GraphMail.psm1"]);
    assert_eq!(get("PowerShellVersion"), ["5.1"]);
    assert_eq!(get("CompatiblePSEditions"), ["Desktop", "Core"]);
    assert_eq!(get("FunctionsToExport"), EXPORTED);
    for key in ["CmdletsToExport", "VariablesToExport", "AliasesToExport"] {
        assert!(get(key).is_empty(), "{key} must be @()");
    }

    let mut public: Vec<String> = std::fs::read_dir(module_dir().join("Public"))
        .expect("Public/ exists")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    public.sort();
    let mut want: Vec<String> = EXPORTED.iter().map(|n| format!("{n}.ps1")).collect();
    want.sort();
    assert_eq!(public, want, "Public/ holds one file per exported function");
}

/// The help problems of one public function: missing sections or undocumented parameters.
fn help_problems(name: &str) -> Vec<String> {
    let source = read(&module_dir().join("Public").join(format!("{name}.ps1")));
    // declared_function, not function_in: a parameter may be in several parameter sets.
    let function = match declared_function(&source, name) {
        Ok(f) => f,
        Err(e) => return vec![e],
    };
    let Some(help) = function.help else {
        return vec![format!("{name} has no comment-based help")];
    };
    let lines: Vec<String> = help
        .lines()
        .map(|l| l.trim().to_ascii_uppercase())
        .collect();
    let mut problems = Vec::new();
    for section in [".SYNOPSIS", ".DESCRIPTION", ".EXAMPLE", ".LINK"] {
        if !lines.iter().any(|l| l == section) {
            problems.push(format!("{name}: help lacks {section}"));
        }
    }
    for param in &function.params {
        let header = format!(".PARAMETER {}", param.name.to_ascii_uppercase());
        if !lines.contains(&header) {
            problems.push(format!("{name}: help lacks .PARAMETER {}", param.name));
        }
    }
    problems
}

#[test]
fn every_public_function_has_complete_help() {
    let problems: Vec<String> = EXPORTED.iter().flat_map(|n| help_problems(n)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Module-qualified built-ins

/// Built-in commands the module must call by module-qualified name, so that a user's alias or
/// proxy function cannot take their place.
const BUILT_INS: &[&str] = &[
    "Add-Type",
    "ConvertFrom-Json",
    "ConvertTo-Json",
    "Export-ModuleMember",
    "ForEach-Object",
    "Get-ChildItem",
    "Get-Command",
    "Get-Content",
    "Get-Item",
    "Get-Variable",
    "Import-PowerShellDataFile",
    "Join-Path",
    "New-Object",
    "Out-Host",
    "Out-Null",
    "Out-String",
    "Pop-Location",
    "Push-Location",
    "Resolve-Path",
    "Select-Object",
    "Set-StrictMode",
    "Sort-Object",
    "Split-Path",
    "Test-Path",
    "Where-Object",
    "Write-Debug",
    "Write-Error",
    "Write-Host",
    "Write-Information",
    "Write-Output",
    "Write-Progress",
    "Write-Verbose",
    "Write-Warning",
];

#[test]
fn module_code_calls_built_ins_by_qualified_name() {
    let mut problems = Vec::new();
    for file in powershell_files()
        .into_iter()
        .filter(|f| f.starts_with(Path::new(ROOT).join("powershell")))
    {
        let source = read(&file);
        let tree = parse(&source);
        for node in descendants(tree.root_node()) {
            if node.kind() != "command_name" {
                continue;
            }
            let name = text(node, &source);
            if BUILT_INS.iter().any(|b| b.eq_ignore_ascii_case(name)) {
                problems.push(format!(
                    "{}:{}: call {name} by its module-qualified name",
                    file.display(),
                    node.start_position().row + 1
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// PowerShell's automatic variables: assigning one (`$isWindows = ...` is `$IsWindows`, names are
/// case-insensitive) fails on a read-only one or silently breaks the engine's use of it.
const AUTOMATIC_VARIABLES: &[&str] = &[
    "_",
    "args",
    "ConsoleFileName",
    "Error",
    "Event",
    "EventArgs",
    "EventSubscriber",
    "ExecutionContext",
    "false",
    "foreach",
    "HOME",
    "Host",
    "input",
    "IsCoreCLR",
    "IsLinux",
    "IsMacOS",
    "IsWindows",
    "Matches",
    "MyInvocation",
    "NestedPromptLevel",
    "null",
    "PID",
    "PROFILE",
    "PSBoundParameters",
    "PSCmdlet",
    "PSCommandPath",
    "PSCulture",
    "PSDebugContext",
    "PSEdition",
    "PSHOME",
    "PSItem",
    "PSScriptRoot",
    "PSSenderInfo",
    "PSUICulture",
    "PSVersionTable",
    "PWD",
    "Sender",
    "ShellId",
    "StackTrace",
    "switch",
    "this",
    "true",
];

#[test]
fn no_script_assigns_an_automatic_variable() {
    let mut problems = Vec::new();
    for file in powershell_files() {
        for (name, line) in assigned_variables(&read(&file)) {
            if AUTOMATIC_VARIABLES
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&name))
            {
                problems.push(format!(
                    "{}:{line}: ${name} is an automatic variable",
                    file.display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_automatic_variable_check_sees_assignments() {
    let found = assigned_variables(
        "$isWindows = 1\n$a, $b = 1, 2\n[int]$c = 3\n$d.e = 4\n$f[0] = 5\nforeach ($input in $x) { }\nfunction g { param($Args) }\n",
    );
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["isWindows", "a", "b", "c", "input", "Args"]);
}

// ---------------------------------------------------------------------------------------------
// The C# argument transformation

/// GraphMail.Transforms.cs compiles as C# 5 without warnings against a stub of the few
/// System.Management.Automation types it uses. Needs mono's mcs (tests/run.sh installs it);
/// fails, never skips, without it.
#[test]
fn the_encoding_transformation_compiles_as_csharp_5() {
    assert!(
        Command::new("mcs").arg("--version").output().is_ok(),
        "mcs not found: install mono-mcs (tests/run.sh does)"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let stub = dir.path().join("System.Management.Automation.dll");
    let compile = |args: &[&str]| {
        let out = Command::new("mcs")
            .args([
                "-langversion:5",
                "-warnaserror+",
                "-target:library",
                "-nologo",
            ])
            .args(args)
            .output()
            .expect("mcs runs");
        assert!(
            out.status.success(),
            "mcs {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let stub_source =
        Path::new(ROOT).join("tests/powershell/stubs/System.Management.Automation.cs");
    compile(&[
        &format!("-out:{}", stub.display()),
        &stub_source.display().to_string(),
    ]);
    compile(&[
        &format!("-out:{}", dir.path().join("Transforms.dll").display()),
        &format!("-r:{}", stub.display()),
        &module_dir()
            .join("GraphMail.Transforms.cs")
            .display()
            .to_string(),
    ]);
}
