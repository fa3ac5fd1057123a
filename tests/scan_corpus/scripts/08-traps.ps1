# Send-MailMessage -To 'nobody@contoso.com' -From 'x@contoso.com' (a comment, not a call)
<#
    Block comment: Send-MailMessage -To 'ops@contoso.com' -SmtpServer smtp.office365.com
    New-Object Net.Mail.SmtpClient
#>
$help = 'Send-MailMessage -To ops@contoso.com'
$doc = "Use Send-MailMessage -From x -To y, or New-Object System.Net.Mail.SmtpClient"
$template = @"
Send-MailMessage -To `$to -From `$from -Subject 'Here-string'
"@
$verbatim = @'
Send-MailMessage -To $to -From $from
'@
${Send-MailMessage} = 'a variable, not a call'
$SendMailMessage = $true
$commands = @{ 'Send-MailMessage' = 'key'; SmtpServer = 'relay.contoso.local' }
Get-Help Send-MailMessage -Full
Get-Command -Name Send-MailMessage
Send-MailMessageEx -To 'ops@contoso.com'
Send-MailMessages -To 'ops@contoso.com'
Send-Mail -To 'ops@contoso.com'
MyModule\Send-MailMessage -To 'ops@contoso.com'
function Send-MailMessageWrapper {
    param($To)
    Write-Output $To
}
Send-MailMessageWrapper -To 'ops@contoso.com'
$client.SendMailMessage('x')
Write-Host "smtp.office365.com is only named in this sentence"
$smtpHelp = 'See smtp.office365.com for details'
