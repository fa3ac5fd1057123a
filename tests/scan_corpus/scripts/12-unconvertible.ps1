# Calls graphmail migrate leaves alone, with a comment saying why.
Send-MailMessage -To 'ops@contoso.com' -From 'jobs@contoso.com' -Subject 'Unknown parameter' -Importance High
Send-MailMessage -B 'ambiguous: Body, Bcc, BodyAsHtml or Encoding' -To 'ops@contoso.com' -From 'jobs@contoso.com'
Send-MailMessage 'ops@contoso.com' 'Subject' 'Body' relay.contoso.local 'one too many' -From 'jobs@contoso.com'
Send-MailMessage -To 'ops@contoso.com' -To 'dba@contoso.com' -From 'jobs@contoso.com'

function Send-Forwarded {
    [CmdletBinding()]
    param($To, $From, $Subject)
    Send-MailMessage @PSBoundParameters -SmtpServer relay.contoso.local
}

$settings = Import-PowerShellDataFile -Path .\mail.psd1
Send-MailMessage @settings -Subject 'From a data file'

$withCredential = @{
    To         = 'ops@contoso.com'
    From       = 'jobs@contoso.com'
    Credential = $smtpCredential
    SmtpServer = 'smtp.office365.com'
}
Send-MailMessage @withCredential -Subject 'Credential in the splat'
