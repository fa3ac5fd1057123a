function Resolve-GraphMailNativeLibrary {
    <#
    .SYNOPSIS
    Returns the full path of the native GraphMail library to load, or throws a message that says
    how to get one.

    .DESCRIPTION
    GRAPHMAIL_NATIVE_LIBRARY, when set, names a custom build (a full path). Otherwise the library
    is runtimes/<rid>/native/<file> in the module folder: graphmail.dll on Windows,
    libgraphmail.so on Linux, libgraphmail.dylib on macOS.

    .PARAMETER RuntimeId
    The runtime identifier from Get-GraphMailRuntimeId, e.g. win-x64.

    .PARAMETER ModuleRoot
    The module folder (the one holding GraphMail.psd1).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [string] $RuntimeId,

        [Parameter(Mandatory = $true)]
        [string] $ModuleRoot
    )

    if ($RuntimeId.StartsWith('win-')) {
        $fileName = 'graphmail.dll'
    }
    elseif ($RuntimeId.StartsWith('osx-')) {
        $fileName = 'libgraphmail.dylib'
    }
    else {
        $fileName = 'libgraphmail.so'
    }

    $override = [System.Environment]::GetEnvironmentVariable('GRAPHMAIL_NATIVE_LIBRARY')
    if (-not [string]::IsNullOrEmpty($override)) {
        if (-not [System.IO.Path]::IsPathRooted($override)) {
            throw "GRAPHMAIL_NATIVE_LIBRARY must be the full path of a GraphMail native library ($fileName); it is '$override'."
        }
        if (-not [System.IO.File]::Exists($override)) {
            throw "GRAPHMAIL_NATIVE_LIBRARY points to '$override', which does not exist. Set it to the full path of a GraphMail build ($fileName, e.g. target/release/$fileName) or remove it to use the library shipped in the module."
        }
        return $override
    }

    $runtimes = [System.IO.Path]::Combine($ModuleRoot, 'runtimes')
    $path = [System.IO.Path]::Combine($runtimes, $RuntimeId, 'native', $fileName)
    if ([System.IO.File]::Exists($path)) {
        return $path
    }

    $shipped = [System.Collections.Generic.List[string]]::new()
    if ([System.IO.Directory]::Exists($runtimes)) {
        foreach ($folder in [System.IO.Directory]::GetDirectories($runtimes)) {
            $shipped.Add([System.IO.Path]::GetFileName($folder))
        }
    }
    $have = 'none'
    if ($shipped.Count -gt 0) {
        $have = $shipped -join ', '
    }
    throw ("GraphMail has no native library for this platform ($RuntimeId): '$path' does not exist (this module folder has runtimes for: $have). " +
        "Build the module for this platform with powershell/build-module.ps1 (it runs cargo build --release), " +
        "or set GRAPHMAIL_NATIVE_LIBRARY to the full path of a $fileName built from the same GraphMail release.")
}
