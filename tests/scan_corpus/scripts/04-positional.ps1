# To, Subject, Body and SmtpServer are positions 0 to 3.
$body = "Job $env:COMPUTERNAME finished"
Send-MailMessage 'ops@contoso.com' 'Job finished' $body relay.contoso.local -From 'jobs@contoso.com'

# A named -To moves the positional arguments along: here they are Subject and Body.
Send-MailMessage -To 'ops@contoso.com' 'Job started' 'Started.' -From 'jobs@contoso.com'
