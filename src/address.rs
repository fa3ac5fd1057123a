//! E-mail address parsing: `"Name <addr>"`, `"\"Last, First\" <addr>"`, `<addr>` or a bare
//! address, and comma/semicolon-separated lists of them, as `Send-MailMessage` accepts.

use std::fmt;

/// One parsed address: an optional display name and the address itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Display name, if one was given.
    pub name: Option<String>,
    /// The address (`local@domain`).
    pub address: String,
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            // Quoted (with `"` and `\` escaped) when the name holds a character that would
            // otherwise change how the text parses back (a list separator, a quote, brackets).
            Some(n) if n.contains([',', ';', '<', '>', '"', '\\', '@', ':']) => {
                let escaped = n.replace('\\', "\\\\").replace('"', "\\\"");
                write!(f, "\"{escaped}\" <{}>", self.address)
            }
            Some(n) => write!(f, "{n} <{}>", self.address),
            None => f.write_str(&self.address),
        }
    }
}

/// Why an address could not be parsed (a short reason, used inside a longer message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressError(pub &'static str);

impl Mailbox {
    /// Parses one address: `Name <a@b.c>`, `"Name, Q" <a@b.c>`, `<a@b.c>` or `a@b.c`.
    pub fn parse(input: &str) -> Result<Mailbox, AddressError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(AddressError("it is empty"));
        }
        let (name, address) = match (s.rfind('<'), s.ends_with('>')) {
            (Some(open), true) => {
                let name = parse_display_name(s[..open].trim())?;
                (name, s[open + 1..s.len() - 1].trim())
            }
            (None, false) => (None, s),
            _ => return Err(AddressError("its angle brackets do not match")),
        };
        if address.contains('<') || address.contains('>') {
            return Err(AddressError("its angle brackets do not match"));
        }
        validate_address(address)?;
        Ok(Mailbox {
            name,
            address: address.to_string(),
        })
    }

    /// Parses a list separated by `,` or `;` (outside quotes and angle brackets). Empty items
    /// between separators are ignored; a list with no address at all is an error.
    pub fn parse_list(input: &str) -> Result<Vec<Mailbox>, AddressError> {
        let items = split_list(input)?;
        let mut out = Vec::new();
        for item in items {
            if !item.trim().is_empty() {
                out.push(Mailbox::parse(&item)?);
            }
        }
        if out.is_empty() {
            return Err(AddressError("it is empty"));
        }
        Ok(out)
    }
}

fn parse_display_name(raw: &str) -> Result<Option<String>, AddressError> {
    let name = if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
        let inner = &raw[1..raw.len() - 1];
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.push(
                    chars
                        .next()
                        .ok_or(AddressError("its quoted name ends in a backslash"))?,
                ),
                '"' => return Err(AddressError("its display name has an unescaped quote")),
                c => out.push(c),
            }
        }
        out
    } else {
        if raw.contains('"') {
            return Err(AddressError("its display name has unbalanced quotes"));
        }
        raw.to_string()
    };
    if name.chars().any(|c| c.is_control()) {
        return Err(AddressError("its display name contains control characters"));
    }
    let name = name.trim().to_string();
    Ok(if name.is_empty() { None } else { Some(name) })
}

fn split_list(input: &str) -> Result<Vec<String>, AddressError> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let (mut in_quotes, mut in_angle, mut escaped) = (false, false, false);
    for c in input.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => {
                escaped = true;
                cur.push(c);
            }
            '"' => {
                in_quotes = !in_quotes;
                cur.push(c);
            }
            '<' if !in_quotes => {
                in_angle = true;
                cur.push(c);
            }
            '>' if !in_quotes => {
                in_angle = false;
                cur.push(c);
            }
            ',' | ';' if !in_quotes && !in_angle => items.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if in_quotes {
        return Err(AddressError("it has an unterminated quote"));
    }
    items.push(cur);
    Ok(items)
}

const LOCAL_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";

/// Checks `local@domain` with the rules Exchange Online accepts in practice: a dot-atom local
/// part (letters, digits, `!#$%&'*+-/=?^_`{|}~`, non-ASCII letters), a domain of at least two
/// labels of letters, digits and hyphens.
fn validate_address(addr: &str) -> Result<(), AddressError> {
    if addr.is_empty() {
        return Err(AddressError("it is empty"));
    }
    if addr.chars().count() > 254 {
        return Err(AddressError("it is longer than 254 characters"));
    }
    let mut parts = addr.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(AddressError("it must contain exactly one '@'"));
    };
    if local.is_empty() || local.chars().count() > 64 {
        return Err(AddressError(
            "the part before '@' must be 1 to 64 characters",
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(AddressError("the part before '@' has a misplaced dot"));
    }
    if !local
        .chars()
        .all(|c| c.is_alphanumeric() || LOCAL_SPECIALS.contains(c))
    {
        return Err(AddressError(
            "the part before '@' contains a character that is not allowed (spaces, quotes, commas...)",
        ));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(AddressError(
            "the domain must have at least one dot (e.g. contoso.com)",
        ));
    }
    for label in labels {
        if label.is_empty() || label.chars().count() > 63 {
            return Err(AddressError("the domain has an empty or over-long label"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(AddressError("a domain label starts or ends with '-'"));
        }
        if !label.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return Err(AddressError(
                "the domain contains a character that is not allowed",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(name: Option<&str>, addr: &str) -> Mailbox {
        Mailbox {
            name: name.map(str::to_string),
            address: addr.to_string(),
        }
    }

    #[test]
    fn display_parses_back_to_the_same_mailbox() {
        for name in [
            "Ops Team",
            "Doe, Jane",
            "Jane \"JD\" Doe",
            "back\\slash",
            "a;b",
            "x@y <z>",
            "Zoë: Ops",
        ] {
            let m = mb(Some(name), "jane@contoso.com");
            let text = m.to_string();
            assert_eq!(Mailbox::parse(&text).unwrap(), m, "{text}");
            assert_eq!(
                Mailbox::parse_list(&text).unwrap(),
                vec![m.clone()],
                "{text}"
            );
        }
        assert_eq!(
            mb(Some("Ops Team"), "o@c.com").to_string(),
            "Ops Team <o@c.com>"
        );
        assert_eq!(mb(None, "o@c.com").to_string(), "o@c.com");
    }

    #[test]
    fn parses_the_forms_send_mailmessage_accepts() {
        assert_eq!(Mailbox::parse("a@b.com").unwrap(), mb(None, "a@b.com"));
        assert_eq!(Mailbox::parse(" <a@b.com> ").unwrap(), mb(None, "a@b.com"));
        assert_eq!(
            Mailbox::parse("Ops Team <ops@contoso.com>").unwrap(),
            mb(Some("Ops Team"), "ops@contoso.com")
        );
        assert_eq!(
            Mailbox::parse("\"Doe, Jane \\\"JD\\\"\" <jane@contoso.com>").unwrap(),
            mb(Some("Doe, Jane \"JD\""), "jane@contoso.com")
        );
        assert_eq!(
            Mailbox::parse("Zoë Ünal <zoë@exämple.de>").unwrap(),
            mb(Some("Zoë Ünal"), "zoë@exämple.de")
        );
    }

    #[test]
    fn splits_lists_outside_quotes() {
        let l = Mailbox::parse_list("\"Doe, Jane\" <j@x.com>, b@y.org; c@z.net,").unwrap();
        assert_eq!(
            l,
            vec![
                mb(Some("Doe, Jane"), "j@x.com"),
                mb(None, "b@y.org"),
                mb(None, "c@z.net")
            ]
        );
    }

    #[test]
    fn rejects_bad_addresses_with_a_reason() {
        for bad in [
            "",
            "plainaddress",
            "a@b@c.com",
            "@contoso.com",
            "user@",
            "user@localhost",
            "us er@contoso.com",
            "user@contoso..com",
            "user@-contoso.com",
            ".user@contoso.com",
            "Name <user@contoso.com",
            "Name user@contoso.com>",
            "\"Name <a@b.com>",
        ] {
            assert!(
                Mailbox::parse_list(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
