//! CSV: `path,line,column,kind,command,convertible,parameters,message`, one finding a line.
//! Parameters are `name=maps` pairs separated by `;` (the written form when it resolves to no
//! parameter). Fields are quoted when they hold a comma, a quote or a line break.

use std::io::{self, Write};

use crate::scan::Report;

const HEADER: &str = "path,line,column,kind,command,convertible,parameters,message";

pub(super) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{HEADER}")?;
    for finding in &report.findings {
        let parameters: Vec<String> = finding
            .parameters
            .iter()
            .map(|p| {
                format!(
                    "{}={}",
                    p.name.as_deref().unwrap_or(&p.written),
                    p.maps.short()
                )
            })
            .collect();
        let convertible = match finding.convertible {
            Some(true) => "true",
            Some(false) => "false",
            None => "",
        };
        let fields = [
            finding.path.as_str(),
            &finding.line.to_string(),
            &finding.column.to_string(),
            finding.kind.name(),
            finding.command.as_deref().unwrap_or(""),
            convertible,
            &parameters.join(";"),
            &finding.message,
        ];
        let line: Vec<String> = fields.iter().map(|f| field(f)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

fn field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
