# Shared setup of the Pester tests (dot-sourced in BeforeAll / BeforeDiscovery).
#
# The tests import the BUILT module, as a user would: $env:GRAPHMAIL_TEST_MODULE (the path of a
# GraphMail.psd1), else target/powershell/GraphMail/GraphMail.psd1, built on first use with
# powershell/build-module.ps1 -Configuration Debug. The emulator tests run the graphmail CLI from
# target/debug (built with cargo on first use).

function Get-GraphMailRepositoryRoot {
    [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
}

function Get-GraphMailCrateVersion {
    # The version line of the [package] section of Cargo.toml.
    $cargoToml = [System.IO.Path]::Combine((Get-GraphMailRepositoryRoot), 'Cargo.toml')
    foreach ($line in [System.IO.File]::ReadAllLines($cargoToml)) {
        if ($line -match '^version\s*=\s*"([^"]+)"') {
            return $Matches[1]
        }
    }
    throw "no version in $cargoToml"
}

function Get-GraphMailTestModule {
    if (-not [string]::IsNullOrEmpty($env:GRAPHMAIL_TEST_MODULE)) {
        return $env:GRAPHMAIL_TEST_MODULE
    }
    $root = Get-GraphMailRepositoryRoot
    $manifest = [System.IO.Path]::Combine($root, 'target', 'powershell', 'GraphMail', 'GraphMail.psd1')
    if (-not [System.IO.File]::Exists($manifest)) {
        & ([System.IO.Path]::Combine($root, 'powershell', 'build-module.ps1')) -Configuration Debug -OutputPath ([System.IO.Path]::GetDirectoryName($manifest)) | Out-Null
    }
    return $manifest
}

function Get-GraphMailCli {
    $root = Get-GraphMailRepositoryRoot
    $name = 'graphmail'
    if ([System.IO.Path]::DirectorySeparatorChar -eq '\') {
        $name = 'graphmail.exe'
    }
    $cli = [System.IO.Path]::Combine($root, 'target', 'debug', $name)
    if (-not [System.IO.File]::Exists($cli)) {
        Push-Location -LiteralPath $root
        try {
            & cargo build --bin graphmail | Out-Host
        }
        finally {
            Pop-Location
        }
    }
    return $cli
}

function Invoke-GraphMailChildPowerShell {
    # Runs a command in a new PowerShell process (this one, or -Executable) and returns its output
    # lines (errors included) and exit code. -Environment sets variables for the child only.
    param(
        [Parameter(Mandatory = $true)] [string] $Command,
        [string] $Executable = (Get-Process -Id $PID).Path,
        [hashtable] $Environment = @{}
    )
    # The child's error output is part of the result, never an error of this process.
    $ErrorActionPreference = 'Continue'
    $encoded = [System.Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($Command))
    $saved = @{}
    foreach ($name in $Environment.Keys) {
        $saved[$name] = [System.Environment]::GetEnvironmentVariable($name)
        [System.Environment]::SetEnvironmentVariable($name, $Environment[$name])
    }
    try {
        $output = & $Executable -NoProfile -NonInteractive -EncodedCommand $encoded 2>&1 | ForEach-Object { "$_" }
        [pscustomobject]@{ Output = ($output -join [System.Environment]::NewLine); ExitCode = $LASTEXITCODE }
    }
    finally {
        foreach ($name in $saved.Keys) {
            [System.Environment]::SetEnvironmentVariable($name, $saved[$name])
        }
    }
}

function Start-GraphMailTestEmulator {
    # Starts `graphmail emulator --port 0` and reads the `export NAME=VALUE` lines it prints.
    param([Parameter(Mandatory = $true)] [string] $DataDir)
    $info = [System.Diagnostics.ProcessStartInfo]::new((Get-GraphMailCli))
    $info.Arguments = "emulator --port 0 --data-dir `"$DataDir`""
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.CreateNoWindow = $true
    $process = [System.Diagnostics.Process]::Start($info)
    $environment = @{}
    while ($true) {
        $read = $process.StandardOutput.ReadLineAsync()
        if (-not $read.Wait(60000)) {
            $process.Kill()
            throw 'the emulator printed nothing for 60 seconds'
        }
        $line = $read.Result
        if ($null -eq $line) {
            throw "the emulator exited with code $($process.ExitCode)"
        }
        if ($line -match '^\s*export\s+([A-Z_]+)=(.*?)(\s+#.*)?$') {
            $environment[$Matches[1]] = $Matches[2]
        }
        if ($line -like 'Press Ctrl-C*') {
            break
        }
    }
    [pscustomobject]@{
        Process     = $process
        Environment = $environment
        Messages    = [System.IO.Path]::Combine($DataDir, 'messages')
    }
}

function Stop-GraphMailTestEmulator {
    param([Parameter(Mandatory = $true)] $Emulator)
    if (-not $Emulator.Process.HasExited) {
        $Emulator.Process.Kill()
        [void]$Emulator.Process.WaitForExit(10000)
    }
    $Emulator.Process.Dispose()
}

function Get-GraphMailStoredMessage {
    # The Graph request JSON of every message the emulator stored, oldest first.
    param([Parameter(Mandatory = $true)] $Emulator)
    if (-not [System.IO.Directory]::Exists($Emulator.Messages)) {
        return @()
    }
    $files = [System.IO.Directory]::GetFiles($Emulator.Messages, '*.json')
    [System.Array]::Sort($files, [System.StringComparer]::Ordinal)
    foreach ($file in $files) {
        [System.IO.File]::ReadAllText($file) | ConvertFrom-Json
    }
}
