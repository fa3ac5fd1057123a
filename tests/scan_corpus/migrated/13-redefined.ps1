# This script defines its own Send-MailMessage: its calls may not reach the cmdlet.
function Send-MailMessage {
    param($To, $Subject)
    Write-Host "Would send '$Subject' to $To"
}

# GraphMail: not converted: this script defines its own Send-MailMessage function (line 2), which calls may run instead of the cmdlet
Send-MailMessage -To 'ops@contoso.com' -Subject 'Test run'
