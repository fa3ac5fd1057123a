@{
    RootModule        = 'MailTools.psm1'
    ModuleVersion     = '1.0.0'
    FunctionsToExport = @('Send-Alert')
    PrivateData       = @{
        SmtpServer   = 'smtp.office365.com'
        SmtpPassword = 'Autumn2024!'
    }
}
