# This script defines its own Send-MailMessage: its calls may not reach the cmdlet.
function Send-MailMessage {
    param($To, $Subject)
    Write-Host "Would send '$Subject' to $To"
}

Send-MailMessage -To 'ops@contoso.com' -Subject 'Test run'
