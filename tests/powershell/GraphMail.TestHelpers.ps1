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

function Get-GraphMailStoredAttachmentHash {
    # The SHA-256 (lower-case hex) of every attachment file of the newest stored message. The
    # emulator keeps the bytes in <data folder>/attachments/<message id>/; the message id is the
    # part of the stored JSON file name after its sequence number (000007-<id>.json).
    param([Parameter(Mandatory = $true)] $Emulator)
    $files = [System.IO.Directory]::GetFiles($Emulator.Messages, '*.json')
    [System.Array]::Sort($files, [System.StringComparer]::Ordinal)
    $stem = [System.IO.Path]::GetFileNameWithoutExtension($files[-1])
    $id = $stem.Substring($stem.IndexOf('-') + 1)
    $folder = [System.IO.Path]::Combine([System.IO.Path]::GetDirectoryName($Emulator.Messages), 'attachments', $id)
    foreach ($file in [System.IO.Directory]::GetFiles($folder)) {
        (Get-FileHash -LiteralPath $file -Algorithm SHA256).Hash.ToLowerInvariant()
    }
}

function Get-GraphMailEmulatorStats {
    # The emulator's counters (GET /_emulator/stats): openDrafts, openUploadSessions, draftsDeleted...
    # PowerShell 7 only: Windows PowerShell 5.1's Invoke-RestMethod cannot trust the emulator's
    # certificate for one request.
    param([Parameter(Mandatory = $true)] $Emulator)
    $uri = $Emulator.Environment['GRAPHMAIL_GRAPH_ENDPOINT'].TrimEnd('/') + '/_emulator/stats'
    Invoke-RestMethod -Uri $uri -SkipCertificateCheck
}

function Start-GraphMailBackgroundSend {
    # Runs `Send-GraphMail @Mail` in a new runspace of this process (importing the module there
    # too), so that a test can read its progress records ($Shell.Streams.Progress) and stop it as
    # Ctrl+C does ($Shell.Stop(): a PipelineStoppedException inside Send-GraphMail). The caller
    # disposes $Shell.
    param([Parameter(Mandatory = $true)] [hashtable] $Mail)
    $shell = [powershell]::Create()
    [void]$shell.AddScript('param($Manifest, $Mail) Import-Module -Name $Manifest -ErrorAction Stop; Send-GraphMail @Mail')
    [void]$shell.AddArgument((Get-GraphMailTestModule))
    [void]$shell.AddArgument($Mail)
    [pscustomobject]@{
        Shell  = $shell
        Handle = $shell.BeginInvoke()
    }
}

function New-GraphMailTestFile {
    # A file of $Length bytes: pseudo-random ones (seeded, so the hash is stable), or with -Sparse
    # zeros written as a sparse file in no time.
    param(
        [Parameter(Mandatory = $true)] [string] $Path,
        [Parameter(Mandatory = $true)] [long] $Length,
        [switch] $Sparse
    )
    $stream = [System.IO.File]::Create($Path)
    try {
        if ($Sparse) {
            $stream.SetLength($Length)
            return
        }
        $random = [System.Random]::new(4711)
        $buffer = [byte[]]::new(65536)
        $left = $Length
        while ($left -gt 0) {
            $count = [int][System.Math]::Min($left, $buffer.Length)
            $random.NextBytes($buffer)
            $stream.Write($buffer, 0, $count)
            $left -= $count
        }
    }
    finally {
        $stream.Dispose()
    }
}
