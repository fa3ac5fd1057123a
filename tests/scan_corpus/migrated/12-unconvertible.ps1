# Calls graphmail migrate leaves alone, with a comment saying why.
# GraphMail: not converted: -Importance is not a parameter of Send-MailMessage
Send-MailMessage -To 'ops@contoso.com' -From 'jobs@contoso.com' -Subject 'Unknown parameter' -Importance High
# GraphMail: not converted: -B is ambiguous (it could be -Body, -Bcc, -BodyAsHtml, -Encoding): PowerShell refuses the call
Send-MailMessage -B 'ambiguous: Body, Bcc, BodyAsHtml or Encoding' -To 'ops@contoso.com' -From 'jobs@contoso.com'
# GraphMail: not converted: has more positional arguments than Send-MailMessage takes (argument #4 binds to no parameter)
Send-MailMessage 'ops@contoso.com' 'Subject' 'Body' relay.contoso.local 'one too many' -From 'jobs@contoso.com'
# GraphMail: not converted: gives -To more than once
Send-MailMessage -To 'ops@contoso.com' -To 'dba@contoso.com' -From 'jobs@contoso.com'

function Send-Forwarded {
    [CmdletBinding()]
    param($To, $From, $Subject)
    # GraphMail: not converted: splats $PSBoundParameters, whose keys depend on the caller
    Send-MailMessage @PSBoundParameters -SmtpServer relay.contoso.local
}

$settings = Import-PowerShellDataFile -Path .\mail.psd1
# GraphMail: not converted: splats $settings, which is not built from a hashtable literal (assigned on line 13)
Send-MailMessage @settings -Subject 'From a data file'

$withCredential = @{
    To         = 'ops@contoso.com'
    From       = 'jobs@contoso.com'
    Credential = $smtpCredential
    SmtpServer = 'smtp.office365.com'
}
# GraphMail: not converted: passes Credential in a splatted hashtable (the SMTP account; Send-GraphMail's -Credential is the application): remove the key and sign in with Connect-GraphMail or the AZURE_* variables
Send-MailMessage @withCredential -Subject 'Credential in the splat'
