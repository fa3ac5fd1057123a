# The cmdlet by its module-qualified name and through the call operator, plus other senders.
Microsoft.PowerShell.Utility\Send-MailMessage -To 'ops@contoso.com' -From 'jobs@contoso.com' -Subject 'Qualified' -SmtpServer relay.contoso.local
& 'Send-MailMessage' -To 'ops@contoso.com' -From 'jobs@contoso.com' -Subject 'Call operator' -SmtpServer relay.contoso.local
& $sender -To 'ops@contoso.com'

Send-MgUserMail -UserId 'jobs@contoso.com' -BodyParameter $params
Send-EmailMessage -From 'jobs@contoso.com' -To 'ops@contoso.com' -Server 'smtp.office365.com' -Graph
Send-GraphMail -From 'jobs@contoso.com' -To 'ops@contoso.com' -Subject 'Already migrated'
Send-PnPMail -To 'ops@contoso.com' -Subject 'PnP'
