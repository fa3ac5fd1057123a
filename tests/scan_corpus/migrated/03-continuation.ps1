# Backtick continuations across lines, with a colon-bound switch.
$recipients = 'ops@contoso.com', 'dba@contoso.com'
Send-GraphMail `
    -From 'sql@contoso.com' `
    -To $recipients `
    -Subject 'Index maintenance done' `
    -Body 'All indexes rebuilt.' `
    -BodyAsHtml:$false `
    -SmtpServer relay.contoso.local
