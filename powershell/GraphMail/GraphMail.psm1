# GraphMail.psm1: loads the GraphMail module.
#
# 1. Dot-sources Private/*.ps1 (helpers, not exported).
# 2. Loads the native library for this platform, runtimes/<rid>/native/ or GRAPHMAIL_NATIVE_LIBRARY,
#    compiles the C# interop (guarded Add-Type: a re-import reuses the types) and refuses a library
#    whose graph_version() differs from the module version (Private/Import-GraphMailNative.ps1).
# 3. Dot-sources Public/*.ps1, one exported function per file.
#
# The scripts only declare parameters, build the message and configuration, call the C# interop
# (GraphMail.Native.cs; GraphMail.Credentials.cs for Connect-GraphMail's credentials and the
# certificate-store signer) and turn its results into PowerShell output, warnings and errors;
# checking and mapping belong to the native library (or to the interop, where it must be .NET). Built-in commands are called by module-qualified name
# so that a user's alias or proxy function of the same name cannot take their place.

#Requires -Version 5.1

Microsoft.PowerShell.Core\Set-StrictMode -Version 2.0

# The connection made by Connect-GraphMail (client, configuration without the secret, settings),
# or $null. Module-scoped: never exported.
$script:GraphMailConnection = $null

function Get-GraphMailScriptFile {
    # The .ps1 files of one folder of the module, in ordinal name order.
    param([string] $Folder)
    $files = [System.IO.Directory]::GetFiles([System.IO.Path]::Combine($PSScriptRoot, $Folder), '*.ps1')
    [System.Array]::Sort($files, [System.StringComparer]::Ordinal)
    return $files
}

foreach ($file in (Get-GraphMailScriptFile -Folder 'Private')) {
    . $file
}

$manifest = Microsoft.PowerShell.Utility\Import-PowerShellDataFile -LiteralPath ([System.IO.Path]::Combine($PSScriptRoot, 'GraphMail.psd1'))
$script:GraphMailModuleVersion = [string]$manifest.ModuleVersion
$script:GraphMailNativeLibrary = Import-GraphMailNative -ModuleRoot $PSScriptRoot -ModuleVersion $script:GraphMailModuleVersion

$publicFunctions = [System.Collections.Generic.List[string]]::new()
foreach ($file in (Get-GraphMailScriptFile -Folder 'Public')) {
    . $file
    $publicFunctions.Add([System.IO.Path]::GetFileNameWithoutExtension($file))
}

# Remove-Module GraphMail: free the connection's native client (its token and connection pool).
# The native library and the compiled types stay loaded until the process ends; a re-import
# reuses them.
$ExecutionContext.SessionState.Module.OnRemove = {
    $connection = $script:GraphMailConnection
    $script:GraphMailConnection = $null
    if ($null -ne $connection) {
        $connection.Client.Dispose()
    }
}

Microsoft.PowerShell.Core\Export-ModuleMember -Function $publicFunctions.ToArray() -Cmdlet @() -Variable @() -Alias @()
