# A module: Send-MailMessage wrapped in an exported function; $PSEmailServer set to SMTP AUTH.
$PSEmailServer = 'smtp.office365.com'

function Send-Alert {
    param([Parameter(Mandatory)] [string] $Subject, [string] $Body = 'See the logs.')
    $alert = @{
        To      = 'oncall@contoso.com'
        From    = 'alerts@contoso.com'
        Subject = $Subject
        Body    = $Body
    }
    Send-MailMessage @alert -UseSsl -Port 587
}

Export-ModuleMember -Function Send-Alert
