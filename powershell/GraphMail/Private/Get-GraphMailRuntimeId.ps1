function Get-GraphMailRuntimeId {
    <#
    .SYNOPSIS
    Returns the .NET runtime identifier (RID) of this process: win-x64, win-arm64, linux-x64,
    linux-arm64, osx-x64 or osx-arm64.

    .DESCRIPTION
    The RID names the folder runtimes/<rid>/native/ that holds the native GraphMail library for
    this operating system and process architecture. Windows PowerShell 5.1 (Desktop) only runs on
    Windows; on .NET Framework builds without RuntimeInformation.ProcessArchitecture the
    architecture comes from [Environment]::Is64BitProcess and PROCESSOR_ARCHITECTURE. Any other
    architecture (x86, arm) is refused with a message that says what is supported.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()

    if ($PSVersionTable.PSEdition -eq 'Desktop') {
        $os = 'win'
    }
    elseif ($IsWindows) {
        $os = 'win'
    }
    elseif ($IsMacOS) {
        $os = 'osx'
    }
    elseif ($IsLinux) {
        $os = 'linux'
    }
    else {
        throw 'GraphMail supports Windows, Linux and macOS only: this operating system is none of them.'
    }

    $architecture = $null
    $runtimeInformation = 'System.Runtime.InteropServices.RuntimeInformation' -as [type]
    if ($null -ne $runtimeInformation) {
        $architecture = [string]$runtimeInformation::ProcessArchitecture
    }
    elseif ([System.Environment]::Is64BitProcess) {
        # .NET Framework before 4.7.1: an x64 or ARM64 process on Windows.
        $architecture = [string]$env:PROCESSOR_ARCHITECTURE
    }
    else {
        $architecture = 'X86'
    }

    # switch compares case-insensitively: X64 and AMD64 are x64, Arm64 is arm64.
    switch ($architecture) {
        'X64' { return "$os-x64" }
        'AMD64' { return "$os-x64" }
        'Arm64' { return "$os-arm64" }
    }
    $message = "GraphMail ships native libraries for x64 and arm64 processes only; this PowerShell process is '{0}'. On Windows, start the 64-bit PowerShell." -f $architecture
    throw $message
}
