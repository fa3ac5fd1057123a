function Send-GraphMail {
    <#
    .SYNOPSIS
    Sends an email message through Microsoft Graph: a drop-in for Send-MailMessage.

    .DESCRIPTION
    Send-GraphMail takes the parameters of Send-MailMessage (same names, types, positions, aliases
    and pipeline binding), so an existing script changes one cmdlet name and keeps working. The
    message is sent by the GraphMail native library with Graph's sendMail, using an app-only OAuth
    token, over TLS 1.2 or newer: no SMTP AUTH, no basic authentication.

    The sender (-From) is the mailbox the message is sent from (/users/{from}/sendMail): a user or
    shared mailbox of the tenant that the application may send as (Mail.Send application
    permission, limited with Exchange RBAC for Applications or an application access policy).

    Which application signs in, in this order:
    - -Credential: the user name is the application (client) id and the password is the client
      secret; the tenant comes from -TenantId, Connect-GraphMail or AZURE_TENANT_ID.
    - the connection made by Connect-GraphMail (reuses one token and one connection pool: use it
      when a script sends many messages), with any of its credentials: client secret, certificate
      (store or file), managed identity, device code sign-in (the message is then sent as that
      user; if the user must sign in again, the instructions are shown) or access token;
    - the environment variables AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (and
      GRAPHMAIL_CLOUD, AZURE_AUTHORITY_HOST, GRAPHMAIL_GRAPH_ENDPOINT, GRAPHMAIL_CA_FILE,
      GRAPHMAIL_PROXY), so a scheduled task needs no code beyond the renamed cmdlet.

    As with Send-MailMessage, files piped to Send-GraphMail (Get-ChildItem *.csv | Send-GraphMail
    ...) are collected and ONE message is sent, after the last file. Relative attachment paths are
    resolved against the current PowerShell location.

    Attachments of 3 MB or more (up to 150 MB each) are uploaded through a draft and upload
    sessions, streamed from disk. While a send runs, Write-Progress shows the step and, with
    attachments, the share of bytes uploaded. Ctrl+C cancels the send cleanly: the upload session
    and the draft are deleted before the command returns, and nothing is sent.

    -SmtpServer, -Port, -UseSsl, -Encoding and $PSEmailServer are accepted so existing scripts and
    splats keep working; they do not affect Graph, and -Verbose says so. The subject and body are
    always sent as UTF-8.

    Errors behave like Send-MailMessage's: a bad or missing From and a missing or unreadable
    attachment stop the command (terminating errors); a failed send writes a non-terminating error
    whose ErrorId is GraphMail's stable error code (for example MailboxNotFound, AccessDenied,
    Throttled) and whose message says what to fix. A configuration that cannot be used (for
    example no AZURE_TENANT_ID) also stops the command, as Send-MailMessage does without an SMTP
    server. Nothing is written to the output unless -PassThru is given.

    .PARAMETER To
    The recipients: "Name <address>" or address, one per array element (a comma or semicolon
    separated list in one string is accepted too). Required.

    .PARAMETER Subject
    The subject of the message.

    .PARAMETER Body
    The body of the message: plain text, or HTML with -BodyAsHtml.

    .PARAMETER SmtpServer
    Accepted for compatibility with Send-MailMessage and ignored: the message goes through
    Microsoft Graph over HTTPS. Defaults to $PSEmailServer. -Verbose reports that it was not used.

    .PARAMETER From
    The sender: "Name <address>" or address of a mailbox in the tenant. The message is sent from
    this mailbox. Required.

    .PARAMETER Attachments
    Paths of files to attach. Accepts files from the pipeline (their PSPath binds to this
    parameter through the PsPath alias). Relative paths resolve against the current PowerShell
    location; wildcards are not expanded. Each file may be up to 150 MB; files of 3 MB or more, or
    a message over Graph's 4 MB request limit, go through a draft and upload sessions (this needs
    the Mail.ReadWrite application permission besides Mail.Send, and Graph then always keeps a copy
    in Sent Items).

    .PARAMETER Bcc
    Blind carbon copy recipients, in the same forms as -To.

    .PARAMETER Cc
    Carbon copy recipients, in the same forms as -To.

    .PARAMETER ReplyTo
    The addresses replies go to, in the same forms as -To.

    .PARAMETER BodyAsHtml
    Sends the body as HTML instead of plain text.

    .PARAMETER Encoding
    Accepted for compatibility with Send-MailMessage (an encoding, or a name such as utf8, ascii or
    unicode, or a code page) and ignored: GraphMail always sends UTF-8. -Verbose reports it.

    .PARAMETER Priority
    The importance of the message: Normal, Low or High.

    .PARAMETER DeliveryNotificationOption
    OnSuccess requests a delivery receipt. None, OnFailure, Delay and Never have no Graph
    equivalent (Exchange Online sends non-delivery reports to the sender on its own); a warning
    says so.

    .PARAMETER Credential
    The application that sends: user name = application (client) id, password = client secret.
    Without it, the Connect-GraphMail connection or the environment variables are used. Unlike
    Send-MailMessage, Windows integrated authentication is never used.

    .PARAMETER UseSsl
    Accepted for compatibility with Send-MailMessage: Microsoft Graph is always reached over TLS
    1.2 or newer. -Verbose reports it.

    .PARAMETER Port
    Accepted for compatibility with Send-MailMessage and ignored: Microsoft Graph is reached over
    HTTPS. -Verbose reports it.

    .PARAMETER TenantId
    The directory (tenant) id or domain (contoso.onmicrosoft.com) for -Credential or the
    environment, instead of AZURE_TENANT_ID. With a Connect-GraphMail connection it must name the
    connection's tenant unless -Credential is given.

    .PARAMETER Headers
    Custom internet message headers, as a hashtable of name to value. Names must start with x-
    (at most 5 headers).

    .PARAMETER InlineAttachments
    Inline images for an HTML body, as a hashtable of content id to file path: @{ logo = '.\logo.png' }
    is referenced from the body as <img src="cid:logo">. Relative paths resolve against the current
    PowerShell location, as for -Attachments; the same size limits apply.

    .PARAMETER SaveToSentItems
    Whether Graph keeps a copy in the sender's Sent Items. Defaults to $true; use
    -SaveToSentItems:$false to keep none.

    .PARAMETER PassThru
    Returns the result of the send: request id, recipients, attachments, size and warnings.
    Without it nothing is written to the output.

    .PARAMETER WhatIf
    Shows the Graph request that would be sent (method, URL and JSON body, attachment contents
    left out) and sends nothing. The message is checked as for a real send.

    .PARAMETER Confirm
    Asks for confirmation before sending.

    .EXAMPLE
    Send-GraphMail -From 'alerts@contoso.com' -To 'ops@contoso.com' -Subject 'Backup finished' -Body 'All volumes backed up.'

    Sends a plain text message as alerts@contoso.com, with the application from AZURE_TENANT_ID,
    AZURE_CLIENT_ID and AZURE_CLIENT_SECRET.

    .EXAMPLE
    $mail = @{
        From       = 'Reports <reports@contoso.com>'
        To         = 'ops@contoso.com', 'Jane Doe <jane@contoso.com>'
        Cc         = 'audit@contoso.com'
        Subject    = 'Daily report'
        Body       = '<h1>Daily report</h1><p>See the attachment.</p>'
        BodyAsHtml = $true
        Priority   = 'High'
        SmtpServer = 'smtp.office365.com'
        Port       = 587
        UseSsl     = $true
    }
    Send-GraphMail @mail -Attachments .\report.csv

    An existing Send-MailMessage splat, unchanged: SmtpServer, Port and UseSsl are accepted and
    ignored (-Verbose says so). .\report.csv resolves against the current PowerShell location.

    .EXAMPLE
    Get-ChildItem -Path .\logs -Filter *.log | Send-GraphMail -From 'alerts@contoso.com' -To 'ops@contoso.com' -Subject 'Logs'

    Sends ONE message with every .log file attached, as Send-MailMessage does with piped files.

    .EXAMPLE
    $app = Get-Credential -UserName '3c9e2d41-7b8a-4f60-9e15-a2b3c4d5e6f7' -Message 'Client secret'
    Send-GraphMail -Credential $app -TenantId 'contoso.onmicrosoft.com' -From 'alerts@contoso.com' -To 'ops@contoso.com' -Subject 'Hello'

    Signs in with an application id and client secret given as a PSCredential.

    .EXAMPLE
    Send-GraphMail -From 'alerts@contoso.com' -To 'ops@contoso.com' -Subject 'Test' -Headers @{ 'x-ticket' = '4711' } -SaveToSentItems:$false -WhatIf

    Shows the Graph request that would be sent, with the custom header and saveToSentItems false,
    and sends nothing.

    .EXAMPLE
    Send-GraphMail -From 'reports@contoso.com' -To 'ops@contoso.com' -Subject 'Status' -BodyAsHtml -Body '<p><img src="cid:logo"></p><p>All systems normal.</p>' -InlineAttachments @{ logo = '.\logo.png' }

    Sends an HTML message that shows logo.png inside the body: the image is attached inline with
    the content id "logo", which the body refers to as cid:logo.

    .EXAMPLE
    Send-GraphMail -From 'backup@contoso.com' -To 'ops@contoso.com' -Subject 'Database dump' -Attachments D:\Backup\db.bak

    Sends a large attachment (up to 150 MB) through an upload session, with a progress bar. Press
    Ctrl+C to cancel: the draft is deleted and nothing is sent.

    .EXAMPLE
    $result = Send-GraphMail -From 'alerts@contoso.com' -To 'ops@contoso.com' -Subject 'Done' -PassThru
    $result.requestId

    Returns the result of the send and shows Graph's request id.

    .INPUTS
    System.String
    Paths of attachments. Objects with properties named like the parameters (PSPath for
    -Attachments) bind by property name.

    .OUTPUTS
    None, or a GraphMail.SendResult object with -PassThru.

    .NOTES
    GraphMail always checks the message (addresses, headers, attachments, sizes) before any
    request. A file over 150 MB is refused with AttachmentTooLarge, and attachments over 150 MB in
    total with MessageTooLarge. If a send through a draft fails, the draft is deleted and the error
    names the step that failed.

    .LINK
    Connect-GraphMail

    .LINK
    Get-GraphMailToken

    .LINK
    https://learn.microsoft.com/graph/api/user-sendmail

    .LINK
    https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/send-mailmessage
    #>
    [CmdletBinding(SupportsShouldProcess = $true)]
    [OutputType('GraphMail.SendResult')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string[]]
        $To,

        [Parameter(Position = 1, ValueFromPipelineByPropertyName = $true)]
        [Alias('sub')]
        [string]
        $Subject,

        [Parameter(Position = 2, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $Body,

        [Parameter(Position = 3, ValueFromPipelineByPropertyName = $true)]
        [Alias('ComputerName')]
        [ValidateNotNullOrEmpty()]
        [string]
        $SmtpServer,

        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $From,

        [Parameter(ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [Alias('PsPath')]
        [ValidateNotNullOrEmpty()]
        [string[]]
        $Attachments,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string[]]
        $Bcc,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string[]]
        $Cc,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [string[]]
        $ReplyTo,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [Alias('BAH')]
        [switch]
        $BodyAsHtml,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [Alias('BE')]
        [GraphMail.EncodingTransformation()]
        [System.Text.Encoding]
        $Encoding,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [System.Net.Mail.MailPriority]
        $Priority,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [Alias('DNO')]
        [System.Net.Mail.DeliveryNotificationOptions]
        $DeliveryNotificationOption,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [System.Management.Automation.PSCredential]
        [System.Management.Automation.Credential()]
        $Credential,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [switch]
        $UseSsl,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [ValidateRange(0, [int]::MaxValue)]
        [int]
        $Port,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $TenantId,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [hashtable]
        $Headers,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [hashtable]
        $InlineAttachments,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [bool]
        $SaveToSentItems = $true,

        [switch]
        $PassThru
    )

    begin {
        # Send-MailMessage builds the message in begin, adds attachments in process and sends once
        # in end. Parameters can also bind from the pipeline by property name, which happens per
        # record, so the fields are collected as bound: command line first, then each record (the
        # last record wins for everything but attachments, which accumulate).
        $fields = @{}
        foreach ($entry in $PSBoundParameters.GetEnumerator()) {
            $fields[$entry.Key] = $entry.Value
        }
        $attachmentPaths = [System.Collections.Generic.List[string]]::new()
        $attachmentsFromCommandLine = $PSBoundParameters.ContainsKey('Attachments')
        $records = 0
        # $PSEmailServer is a preference variable of the caller's session; absent is fine.
        $defaultSmtpServer = [string]$PSCmdlet.SessionState.PSVariable.GetValue('PSEmailServer')
    }

    process {
        $records++
        foreach ($entry in $PSBoundParameters.GetEnumerator()) {
            $fields[$entry.Key] = $entry.Value
        }
        # Command-line attachments once; piped ones (a path, or a file's PSPath) for every record.
        if ($PSBoundParameters.ContainsKey('Attachments') -and ($records -eq 1 -or -not $attachmentsFromCommandLine)) {
            foreach ($path in $Attachments) {
                try {
                    # Against the caller's current PowerShell location, not the process directory.
                    $attachmentPaths.Add($PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($path))
                }
                catch {
                    $PSCmdlet.ThrowTerminatingError($_)
                }
            }
        }
    }

    end {
        $inlinePaths = [ordered]@{}
        if ($null -ne $fields['InlineAttachments']) {
            foreach ($entry in $fields['InlineAttachments'].GetEnumerator()) {
                try {
                    # Against the caller's current PowerShell location, as for -Attachments.
                    $inlinePaths[[string]$entry.Key] = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath([string]$entry.Value)
                }
                catch {
                    $PSCmdlet.ThrowTerminatingError($_)
                }
            }
        }
        $message = ConvertTo-GraphMailMessage -Parameter $fields -Attachment $attachmentPaths.ToArray() -InlineAttachment $inlinePaths -DefaultSmtpServer $defaultSmtpServer
        $messageJson = ConvertTo-GraphMailJson -InputObject $message

        $lease = $null
        $send = $null
        try {
            $lease = Get-GraphMailClient -Credential $fields['Credential'] -TenantId ([string]$fields['TenantId'])
        }
        catch {
            $PSCmdlet.ThrowTerminatingError((ConvertTo-GraphMailErrorRecord -ErrorRecord $_ -TargetObject $message))
        }

        try {
            $summary = "from {0} to {1}" -f $message['from'], (@($message['to']) -join ', ')
            $description = "Sending mail $summary through Microsoft Graph."
            if ($WhatIfPreference) {
                $preview = Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject ($lease.Client.PreviewMail($messageJson))
                Write-GraphMailWarning -Cmdlet $PSCmdlet -Warning $preview.warnings
                $body = Microsoft.PowerShell.Utility\ConvertTo-Json -InputObject $preview.body -Depth 20
                $description = "{0} {1}{2}{3}" -f $preview.method, $preview.url, [System.Environment]::NewLine, $body
            }
            # Not "... $summary?": '?' belongs to a variable name, $summary? would be another variable.
            if (-not $PSCmdlet.ShouldProcess($description, ('Send mail {0}?' -f $summary), 'Send-GraphMail')) {
                return
            }

            # The library sends in the background; this thread polls it, so Write-Progress runs here
            # and Ctrl+C (a PipelineStoppedException) is seen within 250 ms.
            $send = $lease.Client.StartSend($messageJson)
            $resultJson = $null
            while (-not $send.Wait(250, [ref]$resultJson)) {
                $prompt = $send.TakeSignInPrompt()
                if ($null -ne $prompt) {
                    # A Connect-GraphMail -DeviceCode user must sign in again: show where, once.
                    Microsoft.PowerShell.Utility\Write-Host $prompt.Message
                }
                $progress = $send.Progress()
                $status = $progress.Step
                $percent = -1
                if ($progress.BytesTotal -gt 0) {
                    $status = '{0}: {1:N1} of {2:N1} MB' -f $progress.Step, ($progress.BytesSent / 1048576), ($progress.BytesTotal / 1048576)
                    $percent = [System.Math]::Min(100, [int][System.Math]::Floor(100 * [double]$progress.BytesSent / $progress.BytesTotal))
                }
                Microsoft.PowerShell.Utility\Write-Progress -Activity 'Send-GraphMail' -Status $status -PercentComplete $percent
            }
            $result = Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject $resultJson
            Write-GraphMailWarning -Cmdlet $PSCmdlet -Warning $result.warnings
            if ($PassThru) {
                $result.PSObject.TypeNames.Insert(0, 'GraphMail.SendResult')
                $result
            }
        }
        catch [System.Management.Automation.PipelineStoppedException] {
            # A downstream command (Select-Object -First 1) stopped the pipeline: not a failure.
            throw
        }
        catch {
            $record = ConvertTo-GraphMailErrorRecord -ErrorRecord $_ -TargetObject $message
            if ($record.Exception -is [GraphMail.GraphMailException] -and -not $record.Exception.IsTerminating) {
                $PSCmdlet.WriteError($record)
            }
            else {
                $PSCmdlet.ThrowTerminatingError($record)
            }
        }
        finally {
            if ($null -ne $send) {
                try {
                    if (-not $send.Progress().Done) {
                        # Stopped before the end (Ctrl+C): cancel, and let the library delete the
                        # upload session and the draft, which it cannot do once the process exits.
                        $send.Cancel()
                        $cancelled = $null
                        [void]$send.Wait(30000, [ref]$cancelled)
                    }
                }
                catch {
                    # Wait reports the cancel as a Cancelled error: expected, the command is stopping.
                    [void]$_
                }
                finally {
                    $send.Dispose()
                }
            }
            if ($null -ne $lease -and $lease.Owned) {
                $lease.Client.Dispose()
            }
            if ($null -ne $send) {
                Microsoft.PowerShell.Utility\Write-Progress -Activity 'Send-GraphMail' -Completed
            }
        }
    }
}
