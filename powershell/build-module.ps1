<#
.SYNOPSIS
Builds the GraphMail PowerShell module folder for this platform from a local cargo build.

.DESCRIPTION
Runs cargo build for the native library, then writes a module folder with GraphMail.psd1,
GraphMail.psm1, the C# interop, Public/ and Private/, and the library for this platform in
runtimes/<rid>/native/ (graphmail.dll, libgraphmail.so or libgraphmail.dylib). Works in Windows
PowerShell 5.1 and PowerShell 7 on Windows, Linux and macOS; needs Rust (cargo) on the PATH.
The bash twin of this script is powershell/build-module.sh.

.PARAMETER Configuration
Release (the default, cargo build --release) or Debug (cargo's dev profile).

.PARAMETER OutputPath
The module folder to write. Defaults to target/powershell/GraphMail under the repository (or
under CARGO_TARGET_DIR). An earlier build there is replaced; a folder that is not a GraphMail
module folder is never deleted.

.EXAMPLE
./powershell/build-module.ps1
Import-Module ./target/powershell/GraphMail/GraphMail.psd1

Builds a release module for this platform and imports it.

.EXAMPLE
./powershell/build-module.ps1 -Configuration Debug -OutputPath "$HOME/Modules/GraphMail"

Builds a debug module into a folder of your own.
#>
[CmdletBinding()]
param(
    [ValidateSet('Release', 'Debug')]
    [string]
    $Configuration = 'Release',

    [string]
    $OutputPath
)

Microsoft.PowerShell.Core\Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$root = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..'))
$moduleSource = [System.IO.Path]::Combine($root, 'powershell', 'GraphMail')

# The same RID logic as the module itself.
. ([System.IO.Path]::Combine($moduleSource, 'Private', 'Get-GraphMailRuntimeId.ps1'))
$rid = Get-GraphMailRuntimeId
if ($rid.StartsWith('win-')) {
    $libraryName = 'graphmail.dll'
}
elseif ($rid.StartsWith('osx-')) {
    $libraryName = 'libgraphmail.dylib'
}
else {
    $libraryName = 'libgraphmail.so'
}

$targetDir = [System.Environment]::GetEnvironmentVariable('CARGO_TARGET_DIR')
if ([string]::IsNullOrEmpty($targetDir)) {
    $targetDir = [System.IO.Path]::Combine($root, 'target')
}
elseif (-not [System.IO.Path]::IsPathRooted($targetDir)) {
    $targetDir = [System.IO.Path]::Combine($root, $targetDir)
}
if ([string]::IsNullOrEmpty($OutputPath)) {
    $OutputPath = [System.IO.Path]::Combine($targetDir, 'powershell', 'GraphMail')
}
else {
    $OutputPath = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputPath)
}

if ($null -eq (Microsoft.PowerShell.Core\Get-Command -Name 'cargo' -CommandType Application -ErrorAction SilentlyContinue)) {
    throw 'cargo was not found: install Rust (https://rustup.rs) first.'
}
if ($Configuration -eq 'Release') {
    $cargoProfile = 'release'
    $profileDir = 'release'
}
else {
    $cargoProfile = 'dev'
    $profileDir = 'debug'
}

Microsoft.PowerShell.Utility\Write-Host "build-module.ps1: cargo build --profile $cargoProfile (native library for $rid)"
Microsoft.PowerShell.Management\Push-Location -LiteralPath $root
# cargo reports progress on stderr, which some hosts (the ISE, remoting) turn into error
# records: they must not stop the script; the exit code says whether the build failed.
$ErrorActionPreference = 'Continue'
try {
    # The CLI goes next to the library: Find-GraphMailLegacySender runs its `scan`.
    & cargo build --profile $cargoProfile --package graphmail --lib --bin graphmail | Microsoft.PowerShell.Core\Out-Host
    $cargoExitCode = $LASTEXITCODE
}
finally {
    Microsoft.PowerShell.Management\Pop-Location
    $ErrorActionPreference = 'Stop'
}
if ($cargoExitCode -ne 0) {
    throw "cargo build failed with exit code $cargoExitCode."
}

$built = [System.IO.Path]::Combine($targetDir, $profileDir, $libraryName)
if (-not [System.IO.File]::Exists($built)) {
    throw "cargo did not produce $built."
}

# Replace an earlier build, but never delete a folder that is not one.
if ([System.IO.Directory]::Exists($OutputPath)) {
    $isModule = [System.IO.File]::Exists([System.IO.Path]::Combine($OutputPath, 'GraphMail.psd1'))
    $isEmpty = @([System.IO.Directory]::GetFileSystemEntries($OutputPath)).Count -eq 0
    if (-not ($isModule -or $isEmpty)) {
        throw "$OutputPath exists and is not a GraphMail module folder: choose another -OutputPath."
    }
    try {
        [System.IO.Directory]::Delete($OutputPath, $true)
    }
    catch {
        throw "Cannot replace ${OutputPath}: $($_.Exception.Message) Close the PowerShell sessions that imported the module from there (a loaded native library stays locked) and run the build again."
    }
}

# The module files only: no contract notes, no stray native builds.
$nativeDir = [System.IO.Path]::Combine($OutputPath, 'runtimes', $rid, 'native')
foreach ($folder in @('Public', 'Private')) {
    [void][System.IO.Directory]::CreateDirectory([System.IO.Path]::Combine($OutputPath, $folder))
    foreach ($file in [System.IO.Directory]::GetFiles([System.IO.Path]::Combine($moduleSource, $folder), '*.ps1')) {
        [System.IO.File]::Copy($file, [System.IO.Path]::Combine($OutputPath, $folder, [System.IO.Path]::GetFileName($file)))
    }
}
[void][System.IO.Directory]::CreateDirectory($nativeDir)
$files = @(
    [System.IO.Path]::Combine($moduleSource, 'GraphMail.psd1')
    [System.IO.Path]::Combine($moduleSource, 'GraphMail.psm1')
) + [System.IO.Directory]::GetFiles($moduleSource, '*.cs')
foreach ($file in $files) {
    [System.IO.File]::Copy($file, [System.IO.Path]::Combine($OutputPath, [System.IO.Path]::GetFileName($file)))
}
[System.IO.File]::Copy([System.IO.Path]::Combine($moduleSource, 'runtimes', 'README.md'), [System.IO.Path]::Combine($OutputPath, 'runtimes', 'README.md'))
[System.IO.File]::Copy($built, [System.IO.Path]::Combine($nativeDir, $libraryName))
$cliName = if ($rid.StartsWith('win-')) { 'graphmail.exe' } else { 'graphmail' }
$builtCli = [System.IO.Path]::Combine($targetDir, $profileDir, $cliName)
if (-not [System.IO.File]::Exists($builtCli)) {
    throw "cargo did not produce $builtCli."
}
[System.IO.File]::Copy($builtCli, [System.IO.Path]::Combine($nativeDir, $cliName))

Microsoft.PowerShell.Utility\Write-Host "build-module.ps1: wrote $OutputPath; import it with: Import-Module '$([System.IO.Path]::Combine($OutputPath, 'GraphMail.psd1'))'"
