# Aliases: -BAH (BodyAsHtml), -DNO (DeliveryNotificationOption), -sub (Subject),
# -ComputerName (SmtpServer), -BE (Encoding), -PsPath (Attachments).
Send-MailMessage -From 'web@contoso.com' -To 'web-team@contoso.com' -sub 'Site check' -Body '<b>OK</b>' -BAH -DNO OnFailure, Delay -ComputerName relay.contoso.local -BE utf8 -PsPath .\check.html
