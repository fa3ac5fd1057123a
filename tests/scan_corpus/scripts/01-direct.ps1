# Nightly backup report: the simplest form, every parameter by its full name.
$log = 'D:\Backup\nightly.log'

Send-MailMessage -From 'backup@contoso.com' -To 'ops@contoso.com' -Subject 'Backup finished' -Body (Get-Content $log -Raw) -Attachments $log -SmtpServer 'smtp.office365.com' -Port 587 -UseSsl
