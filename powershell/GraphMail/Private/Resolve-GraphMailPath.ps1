function Resolve-GraphMailPath {
    <#
    .SYNOPSIS
    The full path of an attachment of one Send-GraphMailBatch message, against the caller's
    current PowerShell location (not the process directory).

    .DESCRIPTION
    A FileInfo (from Get-Item or Get-ChildItem) gives its full name. A path PowerShell cannot
    resolve (e.g. on a drive that does not exist) is returned as given: the library then reports
    AttachmentNotFound for that message only, and the other messages are still sent.

    .PARAMETER Cmdlet
    The $PSCmdlet of the public command (its session state knows the current location).

    .PARAMETER Path
    The path as given: a string, or a FileSystemInfo.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet] $Cmdlet,

        [AllowNull()]
        [object] $Path
    )

    if ($Path -is [System.IO.FileSystemInfo]) {
        return $Path.FullName
    }
    $text = [string]$Path
    try {
        return $Cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($text)
    }
    catch {
        return $text
    }
}
