function Write-GraphMailBatchError {
    <#
    .SYNOPSIS
    Writes the failure of one Send-GraphMailBatch message as a non-terminating error of the
    command: ErrorId is the library's code, the message starts with the message's index.

    .PARAMETER Cmdlet
    The $PSCmdlet of the public command.

    .PARAMETER ErrorRecord
    The failure: a caught error ($_ of a preview), or a record made from a result's Error.

    .PARAMETER Index
    The message's position in the input, from 0.

    .PARAMETER TargetObject
    The input the message was made from.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet] $Cmdlet,

        [Parameter(Mandatory = $true)]
        [System.Management.Automation.ErrorRecord] $ErrorRecord,

        [Parameter(Mandatory = $true)]
        [int] $Index,

        [AllowNull()]
        [object] $TargetObject
    )

    $record = ConvertTo-GraphMailErrorRecord -ErrorRecord $ErrorRecord -TargetObject $TargetObject
    $text = $record.Exception.Message
    if ($null -ne $record.ErrorDetails -and -not [string]::IsNullOrEmpty($record.ErrorDetails.Message)) {
        $text = $record.ErrorDetails.Message
    }
    $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new(('Message {0}: {1}' -f $Index, $text))
    $Cmdlet.WriteError($record)
}
