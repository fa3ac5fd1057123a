# PowerShell accepts any unambiguous prefix of a parameter name.
Send-MailMessage -Fr 'jobs@contoso.com' -T 'ops@contoso.com' -Su 'Abbreviated' -Attach .\out.csv, .\err.csv -Pr High -Deliv OnSuccess -Comp relay.contoso.local

# -Pr is -Priority (the cmdlet's own parameters win over the common -ProgressAction);
# -Cred is -Credential: the SMTP account.
$smtpCredential = Import-Clixml -Path "$PSScriptRoot\smtp.cred.xml"
Send-MailMessage -From 'jobs@contoso.com' -To 'ops@contoso.com' -Sub 'With a credential' -Cred $smtpCredential -SmtpServer smtp.office365.com -UseSsl
