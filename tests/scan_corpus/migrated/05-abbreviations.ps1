# PowerShell accepts any unambiguous prefix of a parameter name.
Send-GraphMail -Fr 'jobs@contoso.com' -To 'ops@contoso.com' -Su 'Abbreviated' -Attach .\out.csv, .\err.csv -Pr High -Deliv OnSuccess -Comp relay.contoso.local

# -Pr is -Priority (the cmdlet's own parameters win over the common -ProgressAction);
# -Cred is -Credential: the SMTP account.
$smtpCredential = Import-Clixml -Path "$PSScriptRoot\smtp.cred.xml"
# GraphMail: not converted: passes -Credential: Send-MailMessage's is the SMTP account, Send-GraphMail's is the application (client id and secret); remove it and sign in with Connect-GraphMail or the AZURE_* variables (graphmail migrate --drop-credential does this for a -Credential parameter)
Send-MailMessage -From 'jobs@contoso.com' -To 'ops@contoso.com' -Sub 'With a credential' -Cred $smtpCredential -SmtpServer smtp.office365.com -UseSsl
