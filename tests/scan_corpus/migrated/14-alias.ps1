# Send-MailMessage through an alias set in the script.
Set-Alias -Name mail -Value Send-MailMessage
# GraphMail: not converted: calls Send-MailMessage through the alias 'mail' (set on line 2): point the alias at Send-GraphMail instead
mail -To 'ops@contoso.com' -From 'jobs@contoso.com' -Subject 'Through an alias' -SmtpServer relay.contoso.local
