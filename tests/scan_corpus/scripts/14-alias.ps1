# Send-MailMessage through an alias set in the script.
Set-Alias -Name mail -Value Send-MailMessage
mail -To 'ops@contoso.com' -From 'jobs@contoso.com' -Subject 'Through an alias' -SmtpServer relay.contoso.local
