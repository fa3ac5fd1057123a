# Piped files become the attachments of one message.
Get-ChildItem -Path 'C:\Logs' -Filter *.log |
    Send-MailMessage -From 'logs@contoso.com' -To 'ops@contoso.com' -Subject 'Logs' -SmtpServer relay.contoso.local
