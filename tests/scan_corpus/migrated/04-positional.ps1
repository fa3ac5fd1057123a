# To, Subject, Body and SmtpServer are positions 0 to 3.
$body = "Job $env:COMPUTERNAME finished"
Send-GraphMail -To 'ops@contoso.com' -Subject 'Job finished' -Body $body -SmtpServer relay.contoso.local -From 'jobs@contoso.com'

# A named -To moves the positional arguments along: here they are Subject and Body.
Send-GraphMail -To 'ops@contoso.com' -Subject 'Job started' -Body 'Started.' -From 'jobs@contoso.com'
