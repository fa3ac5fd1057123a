function Import-GraphMailNative {
    <#
    .SYNOPSIS
    Loads the native GraphMail library and compiles the C# interop; refuses a library of another
    version.

    .DESCRIPTION
    Runs once per import of the module, and is idempotent: each Add-Type is guarded by a check that
    its type does not exist yet (types cannot be unloaded, so a re-import reuses them).

    - Windows (Windows PowerShell 5.1 and PowerShell 7): the library is preloaded by full path
      (LoadLibraryW), so DllImport("graphmail") binds to the module already loaded under that name.
    - PowerShell 7 on Linux and macOS: a DllImport resolver (GraphMail.NativeResolver.cs) loads the
      full path.

    Then graph_version() must equal the module version.

    .PARAMETER ModuleRoot
    The module folder (the one holding GraphMail.psd1 and the .cs files).

    .PARAMETER ModuleVersion
    The version of the module (GraphMail.psd1 ModuleVersion), e.g. 0.1.0.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [string] $ModuleRoot,

        [Parameter(Mandatory = $true)]
        [string] $ModuleVersion
    )

    $runtimeId = Get-GraphMailRuntimeId
    $libraryPath = Resolve-GraphMailNativeLibrary -RuntimeId $runtimeId -ModuleRoot $ModuleRoot
    Microsoft.PowerShell.Utility\Write-Verbose "GraphMail: loading the native library $libraryPath ($runtimeId)."

    # One compilation for the C# this session does not have yet (types cannot be unloaded, so a
    # re-import reuses them). The resolver is for PowerShell 7 outside Windows only: NativeLibrary
    # does not exist on .NET Framework (Windows PowerShell 5.1 runs only on Windows).
    $onWindows = $runtimeId.StartsWith('win-')
    $sources = [System.Collections.Generic.List[string]]::new()
    if (-not ('GraphMail.Native' -as [type])) {
        # One assembly: the credentials code uses the interop's internal types.
        $sources.Add([System.IO.Path]::Combine($ModuleRoot, 'GraphMail.Native.cs'))
        $sources.Add([System.IO.Path]::Combine($ModuleRoot, 'GraphMail.Credentials.cs'))
    }
    if (-not ('GraphMail.EncodingTransformationAttribute' -as [type])) {
        $sources.Add([System.IO.Path]::Combine($ModuleRoot, 'GraphMail.Transforms.cs'))
    }
    if (-not $onWindows -and -not ('GraphMail.NativeResolver' -as [type])) {
        $sources.Add([System.IO.Path]::Combine($ModuleRoot, 'GraphMail.NativeResolver.cs'))
    }
    if ($sources.Count -gt 0) {
        # -IgnoreWarnings: a compiler warning from a newer .NET must not stop the module from
        # loading (PowerShell 7's Add-Type otherwise treats warnings as errors).
        Microsoft.PowerShell.Utility\Add-Type -Path $sources.ToArray() -IgnoreWarnings
    }

    if ($onWindows) {
        if (-not [GraphMail.Native]::PreloadWindows($libraryPath)) {
            throw ("GraphMail could not load '$libraryPath'. Check that it is a $runtimeId build of graphmail.dll " +
                '(a 64-bit PowerShell needs a 64-bit library), that the Microsoft Visual C++ runtime is installed, ' +
                'and that the file is not blocked (Unblock-File).')
        }
    }
    else {
        [GraphMail.NativeResolver]::Register([GraphMail.Native].Assembly, $libraryPath)
    }

    $nativeVersion = [GraphMail.Native]::Version()
    if ($nativeVersion -ne $ModuleVersion) {
        throw ("The GraphMail module $ModuleVersion cannot use the native library '$libraryPath': its version is $nativeVersion. " +
            'Use the library built from the same GraphMail release (powershell/build-module.ps1 builds both together), ' +
            'then start a new PowerShell session: a native library stays loaded until the process ends.')
    }
    return $libraryPath
}
