function ConvertTo-GraphMailMessage {
    <#
    .SYNOPSIS
    Maps Send-GraphMail's bound parameters, or the fields of one message of Send-GraphMailBatch,
    to the message keys of the native library.

    .DESCRIPTION
    The one mapping from PowerShell names to message JSON keys, used by Send-GraphMail and
    Send-GraphMailBatch. Only parameters that were given become keys, so the library applies its
    own defaults. Enums are passed by name (priority "High", deliveryNotificationOption
    "OnSuccess, OnFailure"), the encoding by its WebName. smtpServer, port, useSsl and encoding do
    not affect Graph: the library accepts them and returns a verbose note for each. Checking the
    values is the library's job: a value of another type (a string 'False' for BodyAsHtml, a
    string for Headers, as Import-Csv gives) is passed on as it is, for the library to refuse
    with an error naming the key, never reinterpreted ([bool]'False' would be $true).

    .PARAMETER Parameter
    The parameters of Send-GraphMail, by name, as bound on the command line and from the pipeline;
    or the fields of one Send-GraphMailBatch message (Get-GraphMailMessageField).

    .PARAMETER Attachment
    The full paths of the attachments.

    .PARAMETER InlineAttachment
    The inline images: content id to full path (a dictionary). Anything else is passed on for the
    library to refuse.

    .PARAMETER DefaultSmtpServer
    $PSEmailServer, used as smtpServer when -SmtpServer was not given.
    #>
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Collections.IDictionary] $Parameter,

        [AllowNull()]
        [AllowEmptyCollection()]
        [string[]] $Attachment,

        [AllowNull()]
        [object] $InlineAttachment,

        [AllowNull()]
        [AllowEmptyString()]
        [string] $DefaultSmtpServer
    )

    $message = [ordered]@{}
    $names = [ordered]@{
        From    = 'from'
        To      = 'to'
        Cc      = 'cc'
        Bcc     = 'bcc'
        ReplyTo = 'replyTo'
        Subject = 'subject'
        Body    = 'body'
    }
    foreach ($entry in $names.GetEnumerator()) {
        if ($Parameter.Contains($entry.Key) -and $null -ne $Parameter[$entry.Key]) {
            $message[$entry.Value] = $Parameter[$entry.Key]
        }
    }
    foreach ($entry in ([ordered]@{ BodyAsHtml = 'bodyAsHtml'; SaveToSentItems = 'saveToSentItems' }).GetEnumerator()) {
        if ($Parameter.Contains($entry.Key) -and $null -ne $Parameter[$entry.Key]) {
            $value = $Parameter[$entry.Key]
            if ($value -is [bool] -or $value -is [System.Management.Automation.SwitchParameter]) {
                $value = [bool]$value
            }
            $message[$entry.Value] = $value
        }
    }
    foreach ($entry in ([ordered]@{ Priority = 'priority'; DeliveryNotificationOption = 'deliveryNotificationOption' }).GetEnumerator()) {
        if ($Parameter.Contains($entry.Key) -and $null -ne $Parameter[$entry.Key]) {
            $value = $Parameter[$entry.Key]
            if ($value -is [System.Enum]) {
                $value = $value.ToString()
            }
            $message[$entry.Value] = $value
        }
    }
    if ($Parameter.Contains('Headers') -and $null -ne $Parameter['Headers']) {
        $message['headers'] = ConvertTo-GraphMailDictionary -InputObject $Parameter['Headers'] -AsString
    }
    if ($null -ne $Attachment -and $Attachment.Count -gt 0) {
        $message['attachments'] = $Attachment
    }
    if ($null -ne $InlineAttachment) {
        $inline = ConvertTo-GraphMailDictionary -InputObject $InlineAttachment
        if (-not ($inline -is [System.Collections.IDictionary]) -or $inline.Count -gt 0) {
            $message['inlineAttachments'] = $inline
        }
    }

    if ($Parameter.Contains('SmtpServer')) {
        $message['smtpServer'] = [string]$Parameter['SmtpServer']
    }
    elseif (-not [string]::IsNullOrEmpty($DefaultSmtpServer)) {
        $message['smtpServer'] = $DefaultSmtpServer
    }
    if ($Parameter.Contains('Port')) {
        $message['port'] = [int]$Parameter['Port']
    }
    if ($Parameter.Contains('UseSsl')) {
        $message['useSsl'] = [bool]$Parameter['UseSsl']
    }
    if ($Parameter.Contains('Encoding') -and $null -ne $Parameter['Encoding']) {
        $message['encoding'] = $Parameter['Encoding'].WebName
    }
    return $message
}

function ConvertTo-GraphMailDictionary {
    <#
    .SYNOPSIS
    A dictionary (Headers, InlineAttachments) as an ordered dictionary; an object's properties (as
    ConvertFrom-Json gives) as its entries; anything else unchanged, for the library to refuse.

    .PARAMETER InputObject
    A dictionary, a PSCustomObject, or another value.

    .PARAMETER AsString
    Writes each value as a string (header values).
    #>
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param(
        [AllowNull()]
        [AllowEmptyString()]
        [object] $InputObject,

        [switch] $AsString
    )

    $result = [ordered]@{}
    if ($InputObject -is [System.Collections.IDictionary]) {
        foreach ($entry in $InputObject.GetEnumerator()) {
            $result[[string]$entry.Key] = $entry.Value
        }
    }
    elseif ($InputObject -is [System.Management.Automation.PSCustomObject]) {
        foreach ($property in $InputObject.PSObject.Properties) {
            $result[[string]$property.Name] = $property.Value
        }
    }
    else {
        # Inside a one-element array, so that a collection is not unrolled on the way out.
        return , $InputObject
    }
    if ($AsString) {
        foreach ($key in @($result.Keys)) {
            $result[$key] = [string]$result[$key]
        }
    }
    return $result
}
