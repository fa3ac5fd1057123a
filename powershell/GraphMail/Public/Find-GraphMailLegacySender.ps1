function Find-GraphMailLegacySender {
    <#
    .SYNOPSIS
    Finds the scripts that send mail the old way: Send-MailMessage calls, System.Net.Mail.SmtpClient,
    SMTP AUTH, missing TLS 1.2 and secrets written in scripts.

    .DESCRIPTION
    Find-GraphMailLegacySender runs GraphMail's scanner (graphmail scan --format json) on files
    and folders and returns one object per finding. Folders are searched recursively for .ps1,
    .psm1 and .psd1 files. The scripts are parsed, not searched as text: Send-MailMessage in a
    comment, a string or a variable name is not reported.

    Each finding has a Kind:
    - send-mailmessage: a Send-MailMessage call, however written (splatted hashtables built in the
      script, positional parameters, abbreviated names, aliases, inside functions and script
      blocks), with the Parameters it passes, whether each maps to Send-GraphMail (yes, ignored,
      partial, no), and whether graphmail migrate converts the call (Convertible) or why not
      (Reasons);
    - smtpclient and mailmessage: System.Net.Mail objects the script creates;
    - other-sender: Send-MgUserMail, Send-EmailMessage, Send-GraphMail and other senders, for
      context;
    - tls12 and no-tls12: whether a script that sends over SMTP forces TLS 1.2
      ([Net.ServicePointManager]::SecurityProtocol);
    - smtp-auth: the script names smtp.office365.com (SMTP AUTH, which Microsoft is retiring);
    - secret: a password or secret written in the script (its value is never shown);
    - parse-error: the script has syntax errors (what parses is still reported).

    The scanner is the graphmail command-line tool shipped with the module, in the module folder's
    runtimes/<rid>/native/ next to the native library (graphmail.exe on Windows, graphmail
    elsewhere). GRAPHMAIL_CLI, when set, names another build (a full path). To convert the calls,
    run graphmail migrate on the same paths (it prints a diff; --write changes the files).

    .PARAMETER Path
    The scripts or folders to scan. Wildcards are expanded. Accepts files and folders from the
    pipeline (Get-ChildItem output binds through its FullName).

    .PARAMETER Kind
    Returns only findings of these kinds (send-mailmessage, smtpclient, mailmessage, other-sender,
    tls12, no-tls12, smtp-auth, secret, parse-error).

    .PARAMETER All
    Parses every file, also those that hold none of the words a finding needs (slower; syntax
    errors of every file are then reported).

    .EXAMPLE
    Find-GraphMailLegacySender -Path D:\Scripts | Format-Table Path, Line, Kind, Convertible

    Lists every finding under D:\Scripts.

    .EXAMPLE
    Find-GraphMailLegacySender -Path D:\Scripts -Kind send-mailmessage |
        Where-Object { -not $_.Convertible } |
        Select-Object Path, Line, @{ Name = 'Why'; Expression = { $_.Reasons -join '; ' } }

    Shows the Send-MailMessage calls that graphmail migrate cannot convert, and why.

    .EXAMPLE
    Get-ChildItem -Path D:\Tasks -Filter *.ps1 | Find-GraphMailLegacySender -Kind secret, smtp-auth

    Finds the scheduled-task scripts that hold a password or use SMTP AUTH.

    .INPUTS
    System.String
    Paths, or objects with a FullName property (files and folders from Get-ChildItem).

    .OUTPUTS
    GraphMail.LegacySenderFinding

    .LINK
    Send-GraphMail

    .LINK
    Connect-GraphMail
    #>
    [CmdletBinding()]
    [OutputType('GraphMail.LegacySenderFinding')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [Alias('FullName')]
        [ValidateNotNullOrEmpty()]
        [string[]]
        $Path,

        [ValidateSet('send-mailmessage', 'smtpclient', 'mailmessage', 'other-sender', 'tls12', 'no-tls12', 'smtp-auth', 'secret', 'parse-error')]
        [string[]]
        $Kind,

        [switch]
        $All
    )

    begin {
        $paths = [System.Collections.Generic.List[string]]::new()
    }

    process {
        foreach ($item in $Path) {
            try {
                $provider = $null
                $resolved = $PSCmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath($item, [ref]$provider)
                if ($provider.Name -ne 'FileSystem') {
                    throw [System.ArgumentException]::new("'$item' is not a file or folder.")
                }
                foreach ($one in $resolved) {
                    $paths.Add($one)
                }
            }
            catch {
                $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new(
                        $_.Exception, 'GraphMailScanPathNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $item))
            }
        }
    }

    end {
        if ($paths.Count -eq 0) {
            return
        }

        # The command-line tool: GRAPHMAIL_CLI, or the one shipped next to the native library.
        $cli = [System.Environment]::GetEnvironmentVariable('GRAPHMAIL_CLI')
        if (-not [string]::IsNullOrEmpty($cli)) {
            if (-not ([System.IO.Path]::IsPathRooted($cli) -and [System.IO.File]::Exists($cli))) {
                $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                        [System.IO.FileNotFoundException]::new("GRAPHMAIL_CLI must be the full path of the graphmail command-line tool; '$cli' does not exist."),
                        'GraphMailCliNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $cli))
            }
        }
        else {
            $runtimeId = Get-GraphMailRuntimeId
            $fileName = 'graphmail'
            if ($runtimeId.StartsWith('win-')) {
                $fileName = 'graphmail.exe'
            }
            $moduleRoot = $MyInvocation.MyCommand.Module.ModuleBase
            $cli = [System.IO.Path]::Combine($moduleRoot, 'runtimes', $runtimeId, 'native', $fileName)
            if (-not [System.IO.File]::Exists($cli)) {
                $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                        [System.IO.FileNotFoundException]::new("Find-GraphMailLegacySender needs GraphMail's command-line tool, and '$cli' does not exist. Copy $fileName from a build of the same GraphMail release (cargo build --release --bin graphmail writes target/release/$fileName) into that folder, or set GRAPHMAIL_CLI to its full path."),
                        'GraphMailCliNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $cli))
            }
        }

        $arguments = [System.Collections.Generic.List[string]]::new()
        $arguments.AddRange([string[]]@('scan', '--format', 'json', '--quiet'))
        if ($All) {
            $arguments.Add('--all')
        }
        $arguments.Add('--')
        $arguments.AddRange($paths)

        # The report is UTF-8 JSON on standard output; messages go to standard error.
        $ErrorActionPreference = 'Continue'
        $previousEncoding = $null
        try {
            $previousEncoding = [System.Console]::OutputEncoding
            [System.Console]::OutputEncoding = [System.Text.UTF8Encoding]::new($false)
        }
        catch {
            $previousEncoding = $null
        }
        try {
            $lines = & $cli $arguments.ToArray() 2>&1
            $exitCode = $LASTEXITCODE
        }
        finally {
            if ($null -ne $previousEncoding) {
                [System.Console]::OutputEncoding = $previousEncoding
            }
        }

        $json = [System.Text.StringBuilder]::new()
        $messages = [System.Collections.Generic.List[string]]::new()
        foreach ($line in $lines) {
            if ($line -is [System.Management.Automation.ErrorRecord]) {
                $messages.Add($line.ToString())
            }
            else {
                [void]$json.AppendLine([string]$line)
            }
        }
        # 0: scanned; 65 and 74: some files could not be read (listed in the report's errors).
        if ($exitCode -ne 0 -and $exitCode -ne 65 -and $exitCode -ne 74) {
            $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                    [System.InvalidOperationException]::new("graphmail scan failed (exit code $exitCode): $($messages -join ' ')"),
                    'GraphMailScanFailed', [System.Management.Automation.ErrorCategory]::InvalidOperation, $cli))
        }

        $report = Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject $json.ToString()
        foreach ($problem in $report.errors) {
            $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new(
                    [System.IO.IOException]::new($problem.message), 'GraphMailScanUnreadable', [System.Management.Automation.ErrorCategory]::ReadError, $problem.path))
        }
        $summary = $report.summary
        $PSCmdlet.WriteVerbose("GraphMail: $($summary.files) files, $($summary.calls) Send-MailMessage calls, $($summary.convertible) convertible, $($summary.smtpClients) SmtpClient, $($summary.noTls12) without TLS 1.2, $($summary.smtpAuth) SMTP AUTH, $($summary.secrets) secrets.")

        foreach ($finding in $report.findings) {
            if ($null -ne $Kind -and $Kind.Count -gt 0 -and $Kind -notcontains $finding.kind) {
                continue
            }
            $parameters = foreach ($parameter in $finding.parameters) {
                [PSCustomObject]@{
                    Written = $parameter.written
                    Name    = $parameter.name
                    Via     = $parameter.via
                    Maps    = $parameter.maps
                }
            }
            [PSCustomObject]@{
                PSTypeName    = 'GraphMail.LegacySenderFinding'
                Path          = $finding.path
                Line          = [int]$finding.line
                Column        = [int]$finding.column
                Kind          = $finding.kind
                Command       = $finding.command
                Convertible   = $finding.convertible
                Parameters    = @($parameters)
                PipelineInput = [bool]$finding.pipelineInput
                Reasons       = @($finding.reasons)
                Message       = $finding.message
            }
        }
    }
}
