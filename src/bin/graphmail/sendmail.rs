//! `graphmail sendmail`: read a message on standard input with sendmail's common flags, so
//! cron's MAILTO and other programs that pipe mail to `sendmail` can send through Graph.
//! Also used when the binary is invoked under the name `sendmail`.
//!
//! Flags: `-t` (recipients from the To/Cc/Bcc headers), `-f ADDR` / `-fADDR` (send as ADDR),
//! `-F NAME` (display name when a From header is added), `-i` / `-oi` (a line with a single dot
//! does not end the message), recipients as arguments; other common flags (`-oem`, `-B8BITMIME`,
//! `-v`, `-bm`, `-N...`) are accepted and ignored.

use std::io::Read;
use std::path::PathBuf;

use graphmail::mime::{prepare_mime, MimeOptions};

use crate::exit;
use crate::ConfigArgs;

/// The parsed command line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SendmailArgs {
    options: MimeOptions,
    ignore_dots: bool,
    config: Option<PathBuf>,
}

/// Parses sendmail-style arguments (after the command name).
pub fn parse(args: &[String]) -> Result<SendmailArgs, String> {
    let mut out = SendmailArgs::default();
    let mut i = 0;
    let value = |i: &mut usize, flag: &str, attached: &str| -> Result<String, String> {
        if !attached.is_empty() {
            return Ok(attached.to_string());
        }
        *i += 1;
        args.get(*i)
            .cloned()
            .ok_or_else(|| format!("{flag} needs a value"))
    };
    while i < args.len() {
        let a = args[i].as_str();
        if a == "--" {
            out.options.recipients.extend(args[i + 1..].iter().cloned());
            break;
        }
        if a == "--config" {
            out.config = Some(PathBuf::from(value(&mut i, "--config", "")?));
        } else if let Some(flag) = a.strip_prefix('-').filter(|f| !f.is_empty()) {
            match flag {
                "t" => out.options.recipients_from_headers = true,
                "i" | "oi" => out.ignore_dots = true,
                "v" | "bm" | "oem" | "om" | "odi" | "odb" | "U" => {}
                f if f.starts_with('f') => out.options.sender = Some(value(&mut i, "-f", &f[1..])?),
                f if f.starts_with('F') => {
                    out.options.sender_name = Some(value(&mut i, "-F", &f[1..])?)
                }
                f if f.starts_with('B')
                    || f.starts_with('N')
                    || f.starts_with('R')
                    || f.starts_with('V') =>
                {
                    if f.len() == 1 {
                        value(&mut i, a, "")?;
                    }
                }
                f if f.starts_with('o') => {}
                f if f.starts_with('b') => {
                    return Err(format!(
                        "sendmail mode -{f} is not supported: only sending (-bm) is"
                    ))
                }
                f => return Err(format!("unknown sendmail flag -{f}")),
            }
        } else {
            out.options.recipients.push(a.to_string());
        }
        i += 1;
    }
    Ok(out)
}

/// Without `-i`, a line holding a single dot ends the message (classic sendmail).
fn cut_at_dot_line(raw: &mut Vec<u8>) {
    let mut start = 0;
    while start < raw.len() {
        let end = raw[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(raw.len(), |p| start + p + 1);
        let line = &raw[start..end];
        let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        if trimmed == b"." {
            raw.truncate(start);
            return;
        }
        start = end;
    }
}

/// Runs the command with the raw arguments after `sendmail`.
pub fn run(args: &[String]) -> u8 {
    let parsed = match parse(args) {
        Ok(p) => p,
        Err(why) => {
            eprintln!("graphmail sendmail: {why}");
            return exit::USAGE;
        }
    };
    let mut raw = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut raw) {
        eprintln!("graphmail sendmail: cannot read the message from standard input: {e}");
        return exit::IOERR;
    }
    if !parsed.ignore_dots {
        cut_at_dot_line(&mut raw);
    }
    let result = prepare_mime(raw, &parsed.options).and_then(|prepared| {
        let config = ConfigArgs::from_file(parsed.config.clone()).load()?;
        let client = graphmail::Client::new(config)?;
        client.send_mime_blocking(prepared)
    });
    match result {
        Ok(_) => 0,
        Err(e) => exit::report(&e, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn cron_style_invocations_parse() {
        let p = parse(&args("-FCronDaemon -i -B8BITMIME -oem root@contoso.com")).unwrap();
        assert_eq!(p.options.sender_name.as_deref(), Some("CronDaemon"));
        assert!(p.ignore_dots);
        assert_eq!(p.options.recipients, vec!["root@contoso.com"]);
        let p = parse(&args("-t -f alerts@contoso.com -oi")).unwrap();
        assert!(p.options.recipients_from_headers);
        assert_eq!(p.options.sender.as_deref(), Some("alerts@contoso.com"));
        let p = parse(&args("-falerts@contoso.com -- -weird@contoso.com")).unwrap();
        assert_eq!(p.options.recipients, vec!["-weird@contoso.com"]);
        assert!(parse(&args("-bp")).is_err());
        assert!(parse(&args("-f")).is_err());
        assert!(parse(&args("-Q")).is_err());
    }

    #[test]
    fn a_dot_line_ends_the_message_without_i() {
        let mut raw = b"Subject: x\n\nline\n.\nafter\n".to_vec();
        cut_at_dot_line(&mut raw);
        assert_eq!(raw, b"Subject: x\n\nline\n");
        let mut raw = b"Subject: x\r\n\r\n..not a dot line\r\n".to_vec();
        cut_at_dot_line(&mut raw);
        assert_eq!(raw, b"Subject: x\r\n\r\n..not a dot line\r\n");
    }
}
