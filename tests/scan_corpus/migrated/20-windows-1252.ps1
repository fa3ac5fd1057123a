# Windows-1252 (not UTF-8): the bytes around the edits must stay as they are.
$subject = 'Grüße aus der Buchhaltung'
Send-GraphMail -To 'ops@contoso.com' -From 'buchhaltung@contoso.com' -Subject $subject -SmtpServer relay.contoso.local
