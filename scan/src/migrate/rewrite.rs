//! Converting one script's text: the edits for each Send-MailMessage call that converts, a
//! `# GraphMail:` comment above each call or SmtpClient that does not, and a check that the
//! result still parses.

use tree_sitter::{Node, Tree};

use crate::analyze::{analyze, ClientSite, MARKER};
use crate::call::{CallSite, Credential};
use crate::edit::{apply, Edit};
use crate::lines::{line_ending_at, LineIndex};
use crate::senders::MailType;
use crate::syntax::{error_count, first_error, parse, parser};
use crate::Error;

/// How to convert.
#[derive(Debug, Clone, Copy, Default)]
pub struct RewriteOptions {
    /// Remove a `-Credential` parameter (the SMTP account) and convert the call, leaving a
    /// comment; without it such calls are left as they are, with a comment.
    pub drop_credential: bool,
}

/// The result of converting one script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// The converted text (the original when nothing changed).
    pub text: String,
    /// Calls converted to Send-GraphMail.
    pub converted: usize,
    /// Calls left as they are (with a comment saying why, unless one was already there).
    pub not_converted: usize,
    /// SmtpClient objects left as they are (with a comment).
    pub smtp_clients: usize,
    /// Comments added.
    pub comments: usize,
}

/// Why an SmtpClient is not converted.
const SMTP_CLIENT_COMMENT: &str = "not converted: System.Net.Mail.SmtpClient sends over SMTP (SMTP AUTH is being retired); rewrite this code with Send-GraphMail -From -To -Subject -Body -Attachments";

/// The comment left where -Credential was removed.
const CREDENTIAL_REMOVED: &str = "-Credential (the SMTP account) removed: Send-GraphMail signs in as the application (run Connect-GraphMail first, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET)";

/// Converts a script's text. `path` is only for the error message.
pub fn rewrite(
    path: &std::path::Path,
    text: &str,
    options: RewriteOptions,
) -> Result<Rewrite, Error> {
    let mut parser = parser()?;
    let tree = parse(&mut parser, text);
    let analysis = analyze(text, &tree);
    let lines = LineIndex::new(text);
    let mut edits: Vec<Edit> = Vec::new();
    // Comments, by the line start they go above.
    let mut comments: Vec<(usize, String)> = Vec::new();
    let mut result = Rewrite {
        text: String::new(),
        converted: 0,
        not_converted: 0,
        smtp_clients: 0,
        comments: 0,
    };

    for call in &analysis.calls {
        match plan_call(call, options) {
            Plan::Convert {
                edits: call_edits,
                note,
            } => {
                edits.extend(call_edits);
                if let Some(note) = note {
                    comments.push((call.statement_start, note));
                }
                result.converted += 1;
            }
            Plan::Leave(reason) => {
                comments.push((call.statement_start, format!("not converted: {reason}")));
                result.not_converted += 1;
            }
        }
    }
    for client in analysis
        .clients
        .iter()
        .filter(|c: &&ClientSite| c.mail_type == MailType::SmtpClient)
    {
        comments.push((client.statement_start, SMTP_CLIENT_COMMENT.to_string()));
        result.smtp_clients += 1;
    }

    // One comment line per place, above the statement, unless one is already there.
    let mut placed: Vec<(usize, Vec<String>)> = Vec::new();
    for (statement_start, message) in comments {
        let Some(at) = comment_position(&tree, text, &lines, statement_start) else {
            continue;
        };
        let line = lines.line_of(at);
        if line > 0 && analysis.marker_lines.contains(&(line - 1)) {
            continue;
        }
        match placed.iter_mut().find(|(p, _)| *p == at) {
            Some((_, messages)) => {
                if !messages.contains(&message) {
                    messages.push(message);
                }
            }
            None => placed.push((at, vec![message])),
        }
    }
    for (at, messages) in placed {
        let indent: String = text[at..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        let eol = line_ending_at(text, at);
        edits.push(Edit::insert(
            at,
            format!("{indent}{MARKER} {}{eol}", messages.join("; ")),
        ));
        result.comments += 1;
    }

    if edits.is_empty() {
        result.text = text.to_string();
        return Ok(result);
    }
    let new_text = apply(text, &edits).ok_or_else(|| Error::RewriteBroken {
        path: path.to_path_buf(),
        line: 1,
    })?;
    let new_tree = parse(&mut parser, &new_text);
    if error_count(&new_tree) > analysis.error_count {
        let at = first_error(new_tree.root_node()).unwrap_or(0);
        return Err(Error::RewriteBroken {
            path: path.to_path_buf(),
            line: LineIndex::new(&new_text).line_of(at) + 1,
        });
    }
    result.text = new_text;
    Ok(result)
}

enum Plan {
    Convert {
        edits: Vec<Edit>,
        note: Option<String>,
    },
    Leave(String),
}

fn plan_call(call: &CallSite, options: RewriteOptions) -> Plan {
    let mut reasons = call.reasons.clone();
    let mut edits = call.edits.clone();
    let mut note = None;
    match &call.credential {
        Credential::None => {}
        Credential::Direct { start, end, .. } if options.drop_credential => {
            edits.push(Edit::replace(*start, *end, ""));
            note = Some(CREDENTIAL_REMOVED.to_string());
        }
        Credential::Direct { .. } => reasons.push(crate::call::CREDENTIAL_REASON.to_string()),
        Credential::Splat => reasons.push(
            "passes Credential in a splatted hashtable (the SMTP account; Send-GraphMail's -Credential is the application): remove the key and sign in with Connect-GraphMail or the AZURE_* variables".to_string(),
        ),
    }
    if reasons.is_empty() {
        Plan::Convert { edits, note }
    } else {
        Plan::Leave(reasons.join("; "))
    }
}

/// Nodes between which a line may start without changing what the code means.
fn is_statement_container(kind: &str) -> bool {
    matches!(
        kind,
        "program"
            | "statement_list"
            | "script_block"
            | "script_block_body"
            | "statement_block"
            | "named_block"
            | "named_block_list"
            | "switch_body"
            | "switch_clauses"
            | "hash_literal_body"
    )
}

/// The start of the line a comment above a statement goes on: the statement's line, moved up
/// while that line starts inside something else (a multi-line string, a line continued with a
/// backtick, a pipeline split after `|`). `None` if there is no such place.
fn comment_position(
    tree: &Tree,
    text: &str,
    lines: &LineIndex,
    statement_start: usize,
) -> Option<usize> {
    let mut at = lines.start_of(lines.line_of(statement_start));
    for _ in 0..64 {
        if at == 0 {
            return Some(0);
        }
        // The smallest node holding the line break before `at` and the line's first character.
        let end = (at + 1).min(text.len());
        let spanning: Node<'_> = tree.root_node().descendant_for_byte_range(at - 1, end)?;
        if is_statement_container(spanning.kind()) || spanning.start_byte() >= at {
            return Some(at);
        }
        let earlier = lines.start_of(lines.line_of(spanning.start_byte()));
        if earlier >= at {
            return None;
        }
        at = earlier;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(text: &str) -> Rewrite {
        rewrite(
            std::path::Path::new("t.ps1"),
            text,
            RewriteOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_plain_call_is_renamed() {
        let r = convert("Send-MailMessage -To a@contoso.com -From b@contoso.com -Subject Hi\n");
        assert_eq!(
            r.text,
            "Send-GraphMail -To a@contoso.com -From b@contoso.com -Subject Hi\n"
        );
        assert_eq!((r.converted, r.not_converted, r.comments), (1, 0, 0));
    }

    #[test]
    fn positional_arguments_are_named_and_abbreviations_spelled_out() {
        let r = convert("Send-MailMessage a@contoso.com 'Hi' -From b@contoso.com -Attach x.txt\n");
        assert_eq!(
            r.text,
            "Send-GraphMail -To a@contoso.com -Subject 'Hi' -From b@contoso.com -Attach x.txt\n"
        );
        // -T is -To for Send-MailMessage and also -TenantId for Send-GraphMail; -Attach is unique.
        let r = convert("Send-MailMessage -T:a@contoso.com -From b@contoso.com\n");
        assert_eq!(
            r.text,
            "Send-GraphMail -To:a@contoso.com -From b@contoso.com\n"
        );
    }

    #[test]
    fn a_call_that_does_not_convert_gets_one_comment() {
        let source = "if ($x) {\r\n    Send-MailMessage -To a -From b -Credential $c\r\n}\r\n";
        let r = convert(source);
        assert_eq!(r.not_converted, 1);
        assert!(
            r.text
                .starts_with("if ($x) {\r\n    # GraphMail: not converted: passes -Credential"),
            "{}",
            r.text
        );
        assert_eq!(
            convert(&r.text).text,
            r.text,
            "a second run changes nothing"
        );
    }

    #[test]
    fn drop_credential_removes_the_parameter() {
        let source = "Send-MailMessage -To a -From b `\n  -Credential $cred `\n  -Subject s\n";
        let r = rewrite(
            std::path::Path::new("t.ps1"),
            source,
            RewriteOptions {
                drop_credential: true,
            },
        )
        .unwrap();
        assert_eq!(
            r.text,
            format!(
                "{MARKER} {CREDENTIAL_REMOVED}\nSend-GraphMail -To a -From b `\n  -Subject s\n"
            )
        );
    }

    #[test]
    fn comments_go_above_a_continued_line() {
        let source = "Get-ChildItem *.log |\n    Send-MailMessage -To a -From b -Credential $c\n";
        let r = convert(source);
        assert!(
            r.text.starts_with("# GraphMail: not converted"),
            "{}",
            r.text
        );
        let source = "$x = @'\nhere\n'@; Send-MailMessage -To a -From b -Cred $c\n";
        let r = convert(source);
        assert!(
            r.text.starts_with("# GraphMail: not converted"),
            "{}",
            r.text
        );
    }
}
