# A script with a syntax error: what parses is still reported.
Send-MailMessage -To 'ops@contoso.com' -From 'jobs@contoso.com' -Subject 'Before the error' -SmtpServer relay.contoso.local

if ($broken {
    Write-Output 'never closed'
