function ConvertTo-GraphMailErrorRecord {
    <#
    .SYNOPSIS
    Turns a failure of the GraphMail library into an ErrorRecord: ErrorId is the library's stable
    error code, the category fits the failure, and the message says what to fix.

    .DESCRIPTION
    A .NET exception thrown by a method call reaches PowerShell wrapped in a
    MethodInvocationException; this finds the GraphMail.GraphMailException inside. Any other error
    record is returned unchanged. The caller decides how to write it: ThrowTerminatingError when
    the exception's IsTerminating is true (a bad From, a missing attachment, as
    Send-MailMessage does), WriteError otherwise.

    .PARAMETER ErrorRecord
    The error record caught ($_ in a catch block).

    .PARAMETER TargetObject
    The object the command was working on (the message, the configuration).
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.ErrorRecord] $ErrorRecord,

        [AllowNull()]
        [object] $TargetObject
    )

    $exception = $ErrorRecord.Exception
    while ($null -ne $exception -and -not ($exception -is [GraphMail.GraphMailException])) {
        $exception = $exception.InnerException
    }
    if ($null -eq $exception) {
        return $ErrorRecord
    }

    $category = [System.Management.Automation.ErrorCategory]::NotSpecified
    if (-not [string]::IsNullOrEmpty($exception.CategoryName) -and
        [System.Enum]::IsDefined([System.Management.Automation.ErrorCategory], $exception.CategoryName)) {
        $category = [System.Enum]::Parse([System.Management.Automation.ErrorCategory], $exception.CategoryName)
    }

    $record = [System.Management.Automation.ErrorRecord]::new($exception, $exception.ErrorCode, $category, $TargetObject)
    if (-not [string]::IsNullOrEmpty($exception.RequestId)) {
        # Shown instead of the exception message: the request id is what Microsoft support asks for.
        $details = '{0} (request-id {1})' -f $exception.Message, $exception.RequestId
        $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new($details)
    }
    return $record
}
