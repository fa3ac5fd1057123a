//! Writing a scan report: a table for people, JSON and CSV for tools.

mod csv;
mod table;

use std::io::{self, Write};
use std::str::FromStr;

use crate::finding::{ParameterUse, Via};
use crate::scan::Report;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Findings grouped by file, then the summary line.
    Table,
    /// One JSON document: `summary`, `findings`, `errors`.
    Json,
    /// One line per finding, with a header line.
    Csv,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(format!(
                "unknown format '{other}': expected table, json or csv"
            )),
        }
    }
}

/// Writes a report. The table ends with the summary line; JSON holds the summary; CSV does not
/// (print [`crate::Summary::line`] elsewhere, e.g. to standard error).
pub fn write(report: &Report, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Table => table::write(report, out),
        Format::Json => {
            serde_json::to_writer(&mut *out, report)?;
            writeln!(out)
        }
        Format::Csv => csv::write(report, out),
    }
}

/// A parameter for people: `-To`, `-BAH (BodyAsHtml)`, `#1 (Subject)`, `@mail:From`, with
/// `[ignored]`-style notes for parameters that do not map as is.
pub fn describe_parameter(parameter: &ParameterUse) -> String {
    let mut out = match (&parameter.via, &parameter.name) {
        (Via::Name, _) | (_, None) => parameter.written.clone(),
        (Via::Splat, Some(name)) if parameter.written.ends_with(&format!(":{name}")) => {
            parameter.written.clone()
        }
        (_, Some(name)) => format!("{} ({name})", parameter.written),
    };
    if parameter.maps != crate::Mapping::Yes {
        out.push_str(&format!(" [{}]", parameter.maps.short()));
    }
    out
}
