# System.Net.Mail directly: SmtpClient, MailMessage and a NetworkCredential with a literal password.
[System.Net.ServicePointManager]::SecurityProtocol = 'Tls12'
$smtp = New-Object Net.Mail.SmtpClient('smtp.office365.com', 587)
$smtp.EnableSsl = $true
$smtp.Credentials = New-Object System.Net.NetworkCredential('alerts@contoso.com', 'Spring2024!')
$message = New-Object -TypeName System.Net.Mail.MailMessage -ArgumentList 'alerts@contoso.com', 'ops@contoso.com'
$message.Subject = 'Disk space'
$smtp.Send($message)

$other = [System.Net.Mail.SmtpClient]::new('relay.contoso.local')
$note = [Net.Mail.MailMessage]::new('a@contoso.com', 'b@contoso.com', 'Hello', 'Body')
$other.Send($note)
