# Sets the protocol, but not to TLS 1.2.
[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls
Send-GraphMail -To 'ops@contoso.com' -From 'legacy@contoso.com' -Subject 'Legacy' -SmtpServer smtp.office365.com -UseSsl
