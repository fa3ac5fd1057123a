function ConvertTo-GraphMailMessage {
    <#
    .SYNOPSIS
    Maps Send-GraphMail's bound parameters to the message keys of the native library.

    .DESCRIPTION
    Only parameters that were given become keys, so the library applies its own defaults. Enums
    are passed by name (priority "High", deliveryNotificationOption "OnSuccess, OnFailure"), the
    encoding by its WebName. smtpServer, port, useSsl and encoding do not affect Graph: the library
    accepts them and returns a verbose note for each. Checking the values is the library's job.

    .PARAMETER Parameter
    The parameters of Send-GraphMail, by name, as bound on the command line and from the pipeline.

    .PARAMETER Attachment
    The full paths of the attachments.

    .PARAMETER InlineAttachment
    The inline images: content id to full path.

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
        [System.Collections.IDictionary] $InlineAttachment,

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
    if ($Parameter.Contains('BodyAsHtml')) {
        $message['bodyAsHtml'] = [bool]$Parameter['BodyAsHtml']
    }
    if ($Parameter.Contains('Priority')) {
        $message['priority'] = $Parameter['Priority'].ToString()
    }
    if ($Parameter.Contains('DeliveryNotificationOption')) {
        $message['deliveryNotificationOption'] = $Parameter['DeliveryNotificationOption'].ToString()
    }
    if ($Parameter.Contains('Headers') -and $null -ne $Parameter['Headers']) {
        $headers = [ordered]@{}
        foreach ($entry in $Parameter['Headers'].GetEnumerator()) {
            $headers[[string]$entry.Key] = [string]$entry.Value
        }
        $message['headers'] = $headers
    }
    if ($Parameter.Contains('SaveToSentItems')) {
        $message['saveToSentItems'] = [bool]$Parameter['SaveToSentItems']
    }
    if ($null -ne $Attachment -and $Attachment.Count -gt 0) {
        $message['attachments'] = $Attachment
    }
    if ($null -ne $InlineAttachment -and $InlineAttachment.Count -gt 0) {
        $message['inlineAttachments'] = $InlineAttachment
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
