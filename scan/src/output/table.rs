//! The table for people: findings grouped by file, then the summary line.

use std::io::{self, Write};

use super::describe_parameter;
use crate::finding::Kind;
use crate::scan::Report;

pub(super) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut current: Option<&str> = None;
    for finding in &report.findings {
        if current != Some(finding.path.as_str()) {
            if current.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{}", finding.path)?;
            current = Some(finding.path.as_str());
        }
        let at = format!("{}:{}", finding.line, finding.column);
        let detail = match finding.kind {
            Kind::SendMailMessage => {
                let parameters: Vec<String> =
                    finding.parameters.iter().map(describe_parameter).collect();
                let mut parameters = parameters.join(" ");
                if finding.pipeline_input {
                    parameters.push_str(" <pipeline input>");
                }
                let verdict = if finding.convertible == Some(true) {
                    "convertible"
                } else {
                    "not convertible"
                };
                format!("{verdict}: {}", parameters.trim())
            }
            _ => finding.message.clone(),
        };
        writeln!(out, "  {at:<9} {:<17} {detail}", finding.kind.name())?;
        if finding.kind == Kind::SendMailMessage {
            for reason in &finding.reasons {
                writeln!(out, "  {:<9} {:<17} - {reason}", "", "")?;
            }
        }
    }
    for error in &report.errors {
        writeln!(out, "{}: error: {}", error.path, error.message)?;
    }
    if !report.findings.is_empty() || !report.errors.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}", report.summary.line())
}
