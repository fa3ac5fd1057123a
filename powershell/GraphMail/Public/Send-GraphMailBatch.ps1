function Send-GraphMailBatch {
    <#
    .SYNOPSIS
    Sends many email messages through Microsoft Graph in one bulk call: one message per pipeline
    input, concurrently across mailboxes, with one result per message in input order.

    .DESCRIPTION
    Send-GraphMailBatch collects the messages piped to it and, after the last one, sends them all
    with one call of the GraphMail native library (graph_send_mail_batch). The library sends
    messages of different mailboxes concurrently, at most 4 requests in flight per mailbox (the
    limit of Exchange Online), and when Graph throttles one mailbox (429) only that mailbox waits.
    One token and one connection pool serve the whole batch.

    Each input is one message: a hashtable, or any object (Import-Csv rows, ConvertFrom-Json
    output, [pscustomobject]s) whose keys or properties are named like Send-GraphMail's message
    parameters: From, To, Cc, Bcc, ReplyTo, Subject, Body, BodyAsHtml, Attachments,
    InlineAttachments, Priority, DeliveryNotificationOption, Headers and SaveToSentItems. Other
    keys and properties are ignored. A string input is the recipient (To). The same parameters
    given to Send-GraphMailBatch are the defaults of every message: an input's own value wins,
    unless it is $null or an empty string (an empty CSV cell).

    Every message is checked on its own, before any request: a message that is invalid (no
    recipient, a bad address, a missing attachment) or that Graph refuses (an unknown mailbox,
    access denied) fails alone, and the others are still sent. For each failed message a
    non-terminating error is written whose ErrorId is GraphMail's error code (InvalidAddress,
    MailboxNotFound, Throttled, ...) and whose message starts with "Message <index>:".

    The output is one GraphMail.GraphMailBatchResult per input, in input order, sent or not:
    Index (the input's position, from 0), Succeeded, From, To and Subject (the message's), Path,
    HttpStatus, RequestId, ClientRequestId, Warnings, and for a failed message ErrorCode and Error
    (the GraphMail.GraphMailException, with Message, HttpStatus, GraphCode and RequestId).

    Which application signs in is decided as for Send-GraphMail: -Credential, else the
    Connect-GraphMail connection, else the environment variables AZURE_TENANT_ID, AZURE_CLIENT_ID,
    AZURE_CLIENT_SECRET and the other variables the library reads.

    Relative attachment paths (and inline image paths) resolve against the current PowerShell
    location. The batch is sent in one blocking call: Ctrl+C takes effect once it has ended.

    .PARAMETER InputObject
    The messages: hashtables or objects with properties named like the message parameters, or
    strings (each one the To of a message). Usually from the pipeline.

    .PARAMETER From
    The default sender of every message: "Name <address>" or address of a mailbox in the tenant.

    .PARAMETER To
    The default recipients of every message, in the forms Send-GraphMail takes.

    .PARAMETER Cc
    The default carbon copy recipients of every message.

    .PARAMETER Bcc
    The default blind carbon copy recipients of every message.

    .PARAMETER ReplyTo
    The default addresses replies go to.

    .PARAMETER Subject
    The default subject of every message.

    .PARAMETER Body
    The default body of every message: plain text, or HTML with -BodyAsHtml.

    .PARAMETER BodyAsHtml
    Sends the body as HTML by default. An input's BodyAsHtml must be a boolean ($true or $false;
    a string such as 'True' from a CSV file is refused for that message with InvalidMessage).

    .PARAMETER Attachments
    The default attachments of every message: file paths, relative ones resolved against the
    current PowerShell location. An input's Attachments replace them.

    .PARAMETER InlineAttachments
    The default inline images for HTML bodies, as a hashtable of content id to file path
    (@{ logo = '.\logo.png' }, referenced as <img src="cid:logo">).

    .PARAMETER Priority
    The default importance: Normal, Low or High.

    .PARAMETER DeliveryNotificationOption
    The default delivery notification: OnSuccess requests a delivery receipt; None, OnFailure,
    Delay and Never have no Graph equivalent (a warning says so).

    .PARAMETER Headers
    The default custom internet message headers, as a hashtable of name to value (names start
    with x-, at most 5).

    .PARAMETER SaveToSentItems
    Whether Graph keeps a copy in the sender's Sent Items; $true unless given.

    .PARAMETER Credential
    The application that sends: user name = application (client) id, password = client secret.
    Without it, the Connect-GraphMail connection or the environment variables are used.

    .PARAMETER TenantId
    The directory (tenant) id or domain for -Credential or the environment, instead of
    AZURE_TENANT_ID.

    .PARAMETER WhatIf
    Checks every message as a send would and shows the Graph request of each valid one (method,
    URL and JSON body, attachment contents left out); invalid messages are written as errors.
    Nothing is sent and nothing is written to the output.

    .PARAMETER Confirm
    Asks once for confirmation before sending the batch.

    .EXAMPLE
    Import-Csv -Path .\recipients.csv | Send-GraphMailBatch -From 'news@contoso.com' -Subject 'Hello' -Body 'Hi there.'

    Sends one message per CSV row: each row's To column is the recipient; From, Subject and Body
    are the same for all. A row with its own Subject column value sends that subject instead.

    .EXAMPLE
    $messages = @(
        @{ From = 'alerts@contoso.com'; To = 'ops@contoso.com'; Subject = 'Disk full on web01' }
        @{ From = 'reports@contoso.com'; To = 'finance@contoso.com'; Subject = 'Monthly report'; Attachments = '.\report.xlsx' }
    )
    $results = $messages | Send-GraphMailBatch -ErrorAction SilentlyContinue
    $results | Where-Object { -not $_.Succeeded } | Select-Object Index, To, ErrorCode

    Sends two messages from two mailboxes concurrently and lists the ones that failed.

    .EXAMPLE
    Get-Content -Path .\addresses.txt | Send-GraphMailBatch -From 'it@contoso.com' -Subject 'Maintenance tonight' -Body 'Systems are down from 22:00.'

    Sends one message to each address of the file.

    .EXAMPLE
    Import-Csv -Path .\recipients.csv | Send-GraphMailBatch -From 'news@contoso.com' -Subject 'Hello' -WhatIf

    Checks every message and shows the request of each; sends nothing.

    .INPUTS
    System.Object
    Hashtables, objects with properties named like the message parameters, or strings (To).

    .OUTPUTS
    GraphMail.GraphMailBatchResult
    One per input, in input order.

    .NOTES
    The messages are collected in memory and sent when the input ends; for very large mailings,
    pipe them in chunks (for example 1,000 at a time). With -ErrorAction Stop the whole batch is
    still sent; the command then stops at the first failed message's error, and the results after
    it are not written. Attachments of 3 MB or more go through a
    draft and upload sessions, as with Send-GraphMail (Mail.ReadWrite permission).

    .LINK
    Send-GraphMail

    .LINK
    Connect-GraphMail

    .LINK
    https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits
    #>
    [CmdletBinding(SupportsShouldProcess = $true)]
    [OutputType('GraphMail.GraphMailBatchResult')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipeline = $true)]
        [AllowNull()]
        [AllowEmptyString()]
        [AllowEmptyCollection()]
        [object[]]
        $InputObject,

        [ValidateNotNullOrEmpty()]
        [string]
        $From,

        [ValidateNotNullOrEmpty()]
        [string[]]
        $To,

        [ValidateNotNullOrEmpty()]
        [string[]]
        $Cc,

        [ValidateNotNullOrEmpty()]
        [string[]]
        $Bcc,

        [string[]]
        $ReplyTo,

        [string]
        $Subject,

        [string]
        $Body,

        [switch]
        $BodyAsHtml,

        [ValidateNotNullOrEmpty()]
        [string[]]
        $Attachments,

        [hashtable]
        $InlineAttachments,

        [System.Net.Mail.MailPriority]
        $Priority,

        [System.Net.Mail.DeliveryNotificationOptions]
        $DeliveryNotificationOption,

        [hashtable]
        $Headers,

        [bool]
        $SaveToSentItems,

        [System.Management.Automation.PSCredential]
        [System.Management.Automation.Credential()]
        $Credential,

        [ValidateNotNullOrEmpty()]
        [string]
        $TenantId
    )

    begin {
        # The message JSON of each input, and the input itself (the target of its error), in order.
        $messages = [System.Collections.Generic.List[string]]::new()
        $inputs = [System.Collections.Generic.List[object]]::new()
    }

    process {
        foreach ($item in $InputObject) {
            $fields = Get-GraphMailMessageField -Default $PSBoundParameters -InputObject $item
            # Paths against the caller's current PowerShell location, not the process directory.
            $attachmentPaths = [System.Collections.Generic.List[string]]::new()
            if ($fields.Contains('Attachments')) {
                foreach ($path in @($fields['Attachments'])) {
                    $attachmentPaths.Add((Resolve-GraphMailPath -Cmdlet $PSCmdlet -Path $path))
                }
            }
            $inline = $null
            if ($fields.Contains('InlineAttachments')) {
                $inline = ConvertTo-GraphMailDictionary -InputObject $fields['InlineAttachments']
                if ($inline -is [System.Collections.IDictionary]) {
                    foreach ($contentId in @($inline.Keys)) {
                        $inline[$contentId] = Resolve-GraphMailPath -Cmdlet $PSCmdlet -Path $inline[$contentId]
                    }
                }
            }
            $message = ConvertTo-GraphMailMessage -Parameter $fields -Attachment $attachmentPaths.ToArray() -InlineAttachment $inline
            $messages.Add((ConvertTo-GraphMailJson -InputObject $message))
            $inputs.Add($item)
        }
    }

    end {
        if ($messages.Count -eq 0) {
            return
        }
        $lease = $null
        try {
            $lease = Get-GraphMailClient -Credential $Credential -TenantId $TenantId
        }
        catch {
            $PSCmdlet.ThrowTerminatingError((ConvertTo-GraphMailErrorRecord -ErrorRecord $_ -TargetObject $null))
        }

        $results = @()
        $progress = $false
        try {
            if ($WhatIfPreference) {
                # Each message checked by the library as a send would, and its request shown.
                for ($index = 0; $index -lt $messages.Count; $index++) {
                    try {
                        $preview = Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject ($lease.Client.PreviewMail($messages[$index]))
                    }
                    catch [System.Management.Automation.PipelineStoppedException] {
                        throw
                    }
                    catch {
                        Write-GraphMailBatchError -Cmdlet $PSCmdlet -ErrorRecord $_ -Index $index -TargetObject $inputs[$index]
                        continue
                    }
                    Write-GraphMailWarning -Cmdlet $PSCmdlet -Warning $preview.warnings -Prefix ('Message {0}: ' -f $index)
                    $body = Microsoft.PowerShell.Utility\ConvertTo-Json -InputObject $preview.body -Depth 20
                    $description = 'Message {0}: {1} {2}{3}{4}' -f $index, $preview.method, $preview.url, [System.Environment]::NewLine, $body
                    [void]$PSCmdlet.ShouldProcess($description, ('Send message {0}?' -f $index), 'Send-GraphMailBatch')
                }
                return
            }
            if (-not $PSCmdlet.ShouldProcess("$($messages.Count) messages", 'Send through Microsoft Graph')) {
                return
            }

            # One blocking call for the whole batch: the library sends concurrently across mailboxes.
            $progress = $true
            Microsoft.PowerShell.Utility\Write-Progress -Activity 'Send-GraphMailBatch' -Status ('Sending {0} messages' -f $messages.Count)
            try {
                $results = $lease.Client.SendBatch($messages)
            }
            catch [System.Management.Automation.PipelineStoppedException] {
                throw
            }
            catch {
                # The whole call was refused (nothing was sent), e.g. the client was disposed.
                $PSCmdlet.ThrowTerminatingError((ConvertTo-GraphMailErrorRecord -ErrorRecord $_ -TargetObject $null))
            }
        }
        finally {
            if ($null -ne $lease -and $lease.Owned) {
                $lease.Client.Dispose()
            }
            if ($progress) {
                Microsoft.PowerShell.Utility\Write-Progress -Activity 'Send-GraphMailBatch' -Completed
            }
        }

        # One result per input, in input order, each failed one followed by its error record (so
        # that with -ErrorAction Stop the failed message's result is still written).
        foreach ($result in $results) {
            $item = $inputs[$result.Index]
            if ($result.Succeeded) {
                Write-GraphMailWarning -Cmdlet $PSCmdlet -Warning $result.Warnings -Prefix ('Message {0}: ' -f $result.Index)
                $result
            }
            else {
                $result
                $record = [System.Management.Automation.ErrorRecord]::new($result.Error, $result.ErrorCode, [System.Management.Automation.ErrorCategory]::NotSpecified, $item)
                Write-GraphMailBatchError -Cmdlet $PSCmdlet -ErrorRecord $record -Index $result.Index -TargetObject $item
            }
        }
    }
}
