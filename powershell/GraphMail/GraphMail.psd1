#
# Module manifest for GraphMail: send mail through Microsoft Graph (sendMail) over TLS 1.2+,
# with Send-GraphMail taking Send-MailMessage's parameters.
#
# Exports are listed explicitly (no wildcards), so command discovery does not have to load the
# module. tests/powershell_scripts.rs checks FunctionsToExport against powershell/GraphMail/Public.
#

@{
    # The script module loaded on import: it loads the native library, compiles the C# interop
    # and dot-sources Private/*.ps1 and Public/*.ps1.
    RootModule = 'GraphMail.psm1'

    # Must equal the crate version (Cargo.toml) and graph_version() of the native library: the
    # module refuses to load a library of another version.
    ModuleVersion = '0.1.0'

    # Windows PowerShell 5.1 (Desktop) and PowerShell 7 (Core) on Windows, Linux and macOS.
    CompatiblePSEditions = @('Desktop', 'Core')

    # Unique identity of this module.
    GUID = '6c225ec5-19f3-46a9-b7d0-448f2902eb44'

    # Author of this module.
    Author = 'GraphMail contributors'

    # Company or vendor of this module.
    CompanyName = 'GraphMail contributors'

    # Copyright statement for this module.
    Copyright = '(c) GraphMail contributors. MIT License.'

    # What the module does.
    Description = 'Send mail through Microsoft Graph with app-only OAuth tokens over TLS 1.2 or newer. Send-GraphMail takes the parameters of Send-MailMessage, so an existing script changes one cmdlet name.'

    # Minimum PowerShell version: Windows PowerShell 5.1.
    PowerShellVersion = '5.1'

    # The public commands, one file each in Public/.
    FunctionsToExport = @(
        'Send-GraphMail'
        'Send-GraphMailBatch'
        'Connect-GraphMail'
        'Disconnect-GraphMail'
        'Get-GraphMailToken'
        'Find-GraphMailLegacySender'
    )

    # No compiled cmdlets: the commands are functions.
    CmdletsToExport = @()

    # No variables are exported; the connection is module-scoped.
    VariablesToExport = @()

    # No aliases: Send-MailMessage is left alone, never shadowed.
    AliasesToExport = @()

    # Data for the PowerShell Gallery.
    PrivateData = @{
        PSData = @{
            # Tags for discovery in the gallery.
            Tags = @('Mail', 'Email', 'MicrosoftGraph', 'Graph', 'SendMail', 'Send-MailMessage', 'OAuth', 'ExchangeOnline', 'TLS', 'Windows', 'Linux', 'MacOS', 'PSEdition_Desktop', 'PSEdition_Core')

            # The module and its native library are MIT licensed (Cargo.toml); LicenseUri and
            # ProjectUri are added when the project has a public home.

            # Release notes shown by the gallery.
            ReleaseNotes = 'First release: Send-GraphMail (the Send-MailMessage parameter surface), Send-GraphMailBatch (many messages from the pipeline in one bulk call, concurrently across mailboxes), Connect-GraphMail, Disconnect-GraphMail and Get-GraphMailToken. See CHANGELOG.md.'
        }
    }
}
