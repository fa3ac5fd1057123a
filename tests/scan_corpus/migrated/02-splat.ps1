# The splatted hashtable is built in the same script: its keys are the parameters.
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12

$mailParams = @{
    From       = 'reports@contoso.com'
    To         = 'finance@contoso.com', 'audit@contoso.com'
    'Subject'  = "Monthly report $(Get-Date -Format 'yyyy-MM')"
    Body       = '<h1>Report</h1>'
    BodyAsHtml = $true
    SmtpServer = 'mail.contoso.local'
    Encoding   = 'UTF8'
}
if ($env:REPORT_CC) {
    $mailParams.Cc = $env:REPORT_CC
}
$mailParams['Priority'] = 'High'
$mailParams.Add('Attachments', 'C:\Reports\month.xlsx')

Send-GraphMail @mailParams

# An ordered dictionary, extended with +=.
$alert = [ordered]@{ From = 'alerts@contoso.com'; To = 'oncall@contoso.com' }
$alert += @{ Subject = 'Disk almost full' }
Send-GraphMail @alert -Body "Free: $free GB"

# Keys may be abbreviated too. Send-GraphMail would find "T" ambiguous (-To, -TenantId).
$short = @{ To = 'ops@contoso.com'; Fr = 'jobs@contoso.com'; 'Sub' = 'Short keys' }
Send-GraphMail @short
