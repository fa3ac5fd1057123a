//! The ways scripts send mail: which command names are Send-MailMessage and which are other
//! senders, and which .NET types are System.Net.Mail's.

/// Send-MailMessage's module, the only qualifier that still means the built-in cmdlet.
const UTILITY_MODULE: &str = "microsoft.powershell.utility";

/// Whether a command name (without qualifier) and its module qualifier name the built-in
/// Send-MailMessage.
pub fn is_send_mailmessage(name: &str, module: Option<&str>) -> bool {
    name.eq_ignore_ascii_case("Send-MailMessage")
        && module.is_none_or(|m| m.eq_ignore_ascii_case(UTILITY_MODULE))
}

/// Other commands that send mail, reported for context, with what they are.
const OTHER_SENDERS: &[(&str, &str)] = &[
    (
        "Send-MgUserMail",
        "Microsoft Graph PowerShell SDK: already sends through Graph",
    ),
    (
        "Send-MgUserMessage",
        "Microsoft Graph PowerShell SDK: already sends through Graph",
    ),
    ("Send-GraphMail", "GraphMail: already sends through Graph"),
    (
        "Send-EmailMessage",
        "Mailozaurr: SMTP, or Graph with -Graph/-MgGraphRequest",
    ),
    (
        "Send-MailKitMessage",
        "Send-MailKitMessage: SMTP through MailKit",
    ),
    (
        "Send-PnPMail",
        "PnP PowerShell: Graph, or SMTP with -Server",
    ),
];

/// The canonical name and description of another mail sender.
pub fn other_sender(name: &str) -> Option<(&'static str, &'static str)> {
    OTHER_SENDERS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .copied()
}

/// A System.Net.Mail type a script creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailType {
    /// `System.Net.Mail.SmtpClient`.
    SmtpClient,
    /// `System.Net.Mail.MailMessage`.
    MailMessage,
}

/// Which System.Net.Mail type a normalized type name is (see `syntax::normalize_type`).
pub fn mail_type(normalized: &str) -> Option<MailType> {
    if crate::syntax::is_mail_type(normalized, "SmtpClient") {
        Some(MailType::SmtpClient)
    } else if crate::syntax::is_mail_type(normalized, "MailMessage") {
        Some(MailType::MailMessage)
    } else {
        None
    }
}

/// Whether a normalized type name is `System.Net.NetworkCredential`.
pub fn is_network_credential(normalized: &str) -> bool {
    normalized == "net.networkcredential" || normalized == "networkcredential"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_builtin_is_send_mailmessage() {
        assert!(is_send_mailmessage("send-mailmessage", None));
        assert!(is_send_mailmessage(
            "Send-MailMessage",
            Some("Microsoft.PowerShell.Utility")
        ));
        assert!(!is_send_mailmessage("Send-MailMessage", Some("MyModule")));
        assert!(!is_send_mailmessage("Send-MailMessageEx", None));
        assert_eq!(
            other_sender("send-mgusermail").unwrap().0,
            "Send-MgUserMail"
        );
        assert_eq!(other_sender("Send-MailMessage"), None);
    }
}
