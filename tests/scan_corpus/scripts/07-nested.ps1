# Calls inside functions, loops, script blocks, try/catch, switch and a sub-expression.
function Send-Notification {
    param([string] $To, [string] $Message)
    try {
        Send-MailMessage -To $To -From 'noreply@contoso.com' -Subject 'Notice' -Body $Message -SmtpServer relay.contoso.local
    }
    catch {
        Write-Warning "Mail failed: $_"
    }
}

foreach ($user in Get-ADUser -Filter 'Enabled -eq $true' -Properties mail) {
    if ($user.PasswordExpiresSoon) {
        Send-MailMessage -To $user.mail -From 'it@contoso.com' -Subject 'Password expires soon' -SmtpServer relay.contoso.local
    }
}

$servers | ForEach-Object {
    Invoke-Command -ComputerName $_ -ScriptBlock {
        Send-MailMessage -To 'ops@contoso.com' -From "$env:COMPUTERNAME@contoso.com" -Subject 'Reboot pending' -SmtpServer relay.contoso.local
    }
}

switch ($status) {
    'Failed' { Send-MailMessage -To 'ops@contoso.com' -From 'jobs@contoso.com' -Subject 'Job failed' -SmtpServer relay.contoso.local }
}

Write-Output "Sent: $(Send-MailMessage -To 'ops@contoso.com' -From 'jobs@contoso.com' -Subject 'Inline' -SmtpServer relay.contoso.local)"
