# Piped files become the attachments of one message.
Get-ChildItem -Path 'C:\Logs' -Filter *.log |
    Send-GraphMail -From 'logs@contoso.com' -To 'ops@contoso.com' -Subject 'Logs' -SmtpServer relay.contoso.local
