function Write-GraphMailWarning {
    <#
    .SYNOPSIS
    Writes the warnings of a library result through the calling command: level "warning" with
    WriteWarning, level "verbose" with WriteVerbose.

    .DESCRIPTION
    The warnings are written with the caller's $PSCmdlet, so -WarningAction, -WarningVariable and
    -Verbose given to the public command apply to them.

    .PARAMETER Cmdlet
    The $PSCmdlet of the public command.

    .PARAMETER Warning
    The warnings array of a result or preview ({"code","message","level"} objects, or
    GraphMail.GraphMailWarning objects).

    .PARAMETER Prefix
    Text put before each warning, e.g. "Message 3: " for one message of a batch.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet] $Cmdlet,

        [AllowNull()]
        [object[]] $Warning,

        [AllowEmptyString()]
        [string] $Prefix = ''
    )

    foreach ($item in @($Warning)) {
        if ($null -eq $item) {
            continue
        }
        $level = $item.PSObject.Properties['level']
        $message = $item.PSObject.Properties['message']
        $text = if ($null -ne $message) { [string]$message.Value } else { [string]$item }
        $text = $Prefix + $text
        if ($null -ne $level -and [string]$level.Value -eq 'verbose') {
            $Cmdlet.WriteVerbose($text)
        }
        else {
            $Cmdlet.WriteWarning($text)
        }
    }
}
