#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Send-GraphMail: the Send-MailMessage parameter surface (UnitTests), and sends through the local
# Graph emulator (IntegrationTests: `graphmail emulator --port 0`, configured from the
# `export NAME=VALUE` lines it prints).

BeforeDiscovery {
    # Send-MailMessage's parameters as shared/docs/peers.md section 2 lists them (PowerShell 7:
    # every parameter binds ByPropertyName, Attachments also ByValue). $null position = named.
    $sendMailMessage = @(
        @{ Name = 'To'; Type = [string[]]; Position = 0; Mandatory = $true; Aliases = @(); ByValue = $false }
        @{ Name = 'Subject'; Type = [string]; Position = 1; Mandatory = $false; Aliases = @('sub'); ByValue = $false }
        @{ Name = 'Body'; Type = [string]; Position = 2; Mandatory = $false; Aliases = @(); ByValue = $false }
        @{ Name = 'SmtpServer'; Type = [string]; Position = 3; Mandatory = $false; Aliases = @('ComputerName'); ByValue = $false }
        @{ Name = 'From'; Type = [string]; Position = $null; Mandatory = $true; Aliases = @(); ByValue = $false }
        @{ Name = 'Attachments'; Type = [string[]]; Position = $null; Mandatory = $false; Aliases = @('PsPath'); ByValue = $true }
        @{ Name = 'Bcc'; Type = [string[]]; Position = $null; Mandatory = $false; Aliases = @(); ByValue = $false }
        @{ Name = 'Cc'; Type = [string[]]; Position = $null; Mandatory = $false; Aliases = @(); ByValue = $false }
        @{ Name = 'ReplyTo'; Type = [string[]]; Position = $null; Mandatory = $false; Aliases = @(); ByValue = $false }
        @{ Name = 'BodyAsHtml'; Type = [switch]; Position = $null; Mandatory = $false; Aliases = @('BAH'); ByValue = $false }
        @{ Name = 'Encoding'; Type = [System.Text.Encoding]; Position = $null; Mandatory = $false; Aliases = @('BE'); ByValue = $false }
        @{ Name = 'Priority'; Type = [System.Net.Mail.MailPriority]; Position = $null; Mandatory = $false; Aliases = @(); ByValue = $false }
        @{ Name = 'DeliveryNotificationOption'; Type = [System.Net.Mail.DeliveryNotificationOptions]; Position = $null; Mandatory = $false; Aliases = @('DNO'); ByValue = $false }
        @{ Name = 'Credential'; Type = [pscredential]; Position = $null; Mandatory = $false; Aliases = @(); ByValue = $false }
        @{ Name = 'UseSsl'; Type = [switch]; Position = $null; Mandatory = $false; Aliases = @(); ByValue = $false }
        @{ Name = 'Port'; Type = [int]; Position = $null; Mandatory = $false; Aliases = @(); ByValue = $false }
    )
    $hasSendMailMessage = $null -ne (Get-Command -Name Send-MailMessage -ErrorAction SilentlyContinue)
}

BeforeAll {
    . ([System.IO.Path]::Combine($PSScriptRoot, 'GraphMail.TestHelpers.ps1'))
    Import-Module -Name (Get-GraphMailTestModule) -Force -ErrorAction Stop
    $script:Command = Get-Command -Name Send-GraphMail -Module GraphMail
}

AfterAll {
    Remove-Module -Name GraphMail -Force -ErrorAction SilentlyContinue
}

Describe 'Send-GraphMail parameters' -Tag 'UnitTests' {
    It '-<Name> is declared as in Send-MailMessage' -ForEach $sendMailMessage {
        $parameter = $Command.Parameters[$Name]
        $parameter | Should -Not -BeNullOrEmpty
        $parameter.ParameterType | Should -Be $Type
        @($parameter.Aliases | Sort-Object) | Should -Be @($Aliases | Sort-Object)
        $attribute = $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
        $wantPosition = if ($null -eq $Position) { [int]::MinValue } else { $Position }
        $attribute.Position | Should -Be $wantPosition
        $attribute.Mandatory | Should -Be $Mandatory
        $attribute.ValueFromPipeline | Should -Be $ByValue
        $attribute.ValueFromPipelineByPropertyName | Should -BeTrue
    }

    It '-<Name> matches Send-MailMessage of this PowerShell' -ForEach $sendMailMessage -Skip:(-not $hasSendMailMessage) {
        $ours = $Command.Parameters[$Name]
        $theirs = (Get-Command -Name Send-MailMessage).Parameters[$Name]
        if ($null -eq $theirs) {
            # -ReplyTo arrived in PowerShell 6.2.
            Set-ItResult -Skipped -Because "this PowerShell's Send-MailMessage has no -$Name"
            return
        }
        $ours.ParameterType | Should -Be $theirs.ParameterType
        @($ours.Aliases | Sort-Object) | Should -Be @($theirs.Aliases | Sort-Object)
        $ourSet = $ours.ParameterSets['__AllParameterSets']
        $theirSet = $theirs.ParameterSets['__AllParameterSets']
        $ourSet.Position | Should -Be $theirSet.Position
        $ourSet.ValueFromPipeline | Should -Be $theirSet.ValueFromPipeline
        if ($PSVersionTable.PSEdition -eq 'Core') {
            # Windows PowerShell 5.1 made Subject mandatory and bound nothing by property name.
            $ourSet.IsMandatory | Should -Be $theirSet.IsMandatory
            $ourSet.ValueFromPipelineByPropertyName | Should -Be $theirSet.ValueFromPipelineByPropertyName
        }
    }

    # Discovery-time data reaches the run phase only through -ForEach.
    It 'has only the Send-MailMessage parameters and the Graph extras' -ForEach @{ SendMailMessageNames = @($sendMailMessage | ForEach-Object { $_.Name }) } {
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $names = @($Command.Parameters.Keys | Where-Object { $common -notcontains $_ } | Sort-Object)
        $expected = @($SendMailMessageNames + @('TenantId', 'Headers', 'InlineAttachments', 'SaveToSentItems', 'PassThru') | Sort-Object)
        $names | Should -Be $expected
    }

    It '-InlineAttachments is a named hashtable that binds by property name' {
        $parameter = $Command.Parameters['InlineAttachments']
        $parameter.ParameterType | Should -Be ([hashtable])
        $attribute = $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
        $attribute.Position | Should -Be ([int]::MinValue)
        $attribute.Mandatory | Should -BeFalse
        $attribute.ValueFromPipelineByPropertyName | Should -BeTrue
    }

    It 'supports -WhatIf and -Confirm' {
        $Command.Parameters.ContainsKey('WhatIf') | Should -BeTrue
        $Command.Parameters.ContainsKey('Confirm') | Should -BeTrue
    }

    It 'takes -Encoding as a name or a code page, as Send-MailMessage does' {
        $transformation = $Command.Parameters['Encoding'].Attributes | Where-Object { $_ -is [GraphMail.EncodingTransformationAttribute] }
        $transformation | Should -Not -BeNullOrEmpty
        $transformation.Transform($ExecutionContext, 'utf8').WebName | Should -Be 'utf-8'
        $transformation.Transform($ExecutionContext, 'ASCII').WebName | Should -Be 'us-ascii'
        $transformation.Transform($ExecutionContext, 'unicode').WebName | Should -Be 'utf-16'
        $transformation.Transform($ExecutionContext, 65001).WebName | Should -Be 'utf-8'
        { $transformation.Transform($ExecutionContext, 'no-such-encoding') } | Should -Throw '*not an encoding*'
    }
}

Describe 'Send-GraphMail through the emulator' -Tag 'IntegrationTests' {
    BeforeAll {
        $emulator = Start-GraphMailTestEmulator -DataDir (Join-Path $TestDrive 'emulator')
        $savedEnvironment = @{}
        foreach ($name in $emulator.Environment.Keys) {
            $savedEnvironment[$name] = [System.Environment]::GetEnvironmentVariable($name)
            [System.Environment]::SetEnvironmentVariable($name, $emulator.Environment[$name])
        }
        $from = 'alerts@contoso.test'
        $to = 'Ops <reports@contoso.test>'
    }

    AfterAll {
        Disconnect-GraphMail
        foreach ($name in $savedEnvironment.Keys) {
            [System.Environment]::SetEnvironmentVariable($name, $savedEnvironment[$name])
        }
        Stop-GraphMailTestEmulator -Emulator $emulator
    }

    It 'sends a message from the environment settings and writes nothing to the output' {
        $before = @(Get-GraphMailStoredMessage -Emulator $emulator).Count
        $output = Send-GraphMail -From $from -To $to -Subject 'Hello from Pester' -Body 'Plain text.'
        $output | Should -BeNullOrEmpty
        $stored = @(Get-GraphMailStoredMessage -Emulator $emulator)
        $stored.Count | Should -Be ($before + 1)
        $stored[-1].message.subject | Should -Be 'Hello from Pester'
    }

    It 'takes a Send-MailMessage splat and says what does not apply with -Verbose' {
        $splat = @{
            From       = $from
            To         = $to
            Subject    = 'Splat'
            Body       = '<p>HTML</p>'
            BodyAsHtml = $true
            Priority   = 'High'
            SmtpServer = 'smtp.office365.com'
            Port       = 587
            UseSsl     = $true
            Encoding   = 'utf8'
        }
        $verbose = Send-GraphMail @splat -Verbose 4>&1 | Out-String
        foreach ($word in 'SmtpServer', 'Port', 'UseSsl', 'Encoding') {
            $verbose | Should -Match $word
        }
        $stored = @(Get-GraphMailStoredMessage -Emulator $emulator)[-1]
        $stored.message.importance | Should -Be 'high'
        $stored.message.body.contentType | Should -Be 'html'
    }

    It 'sends ONE message for piped files, with every file attached' {
        $folder = Join-Path $TestDrive 'reports'
        New-Item -ItemType Directory -Path $folder | Out-Null
        'a,b' | Set-Content -LiteralPath (Join-Path $folder 'one.csv')
        'c,d' | Set-Content -LiteralPath (Join-Path $folder 'two.csv')
        $before = @(Get-GraphMailStoredMessage -Emulator $emulator).Count
        $result = Get-ChildItem -LiteralPath $folder -Filter '*.csv' | Send-GraphMail -From $from -To $to -Subject 'Reports' -PassThru
        @(Get-GraphMailStoredMessage -Emulator $emulator).Count | Should -Be ($before + 1)
        @($result).Count | Should -Be 1
        @($result.attachments | ForEach-Object { $_.name } | Sort-Object) | Should -Be @('one.csv', 'two.csv')
    }

    It 'resolves a relative attachment path against the PowerShell location, not the process directory' {
        $folder = Join-Path $TestDrive 'relative'
        New-Item -ItemType Directory -Path $folder | Out-Null
        'x' | Set-Content -LiteralPath (Join-Path $folder 'note.txt')
        $processDirectory = [System.Environment]::CurrentDirectory
        Push-Location -LiteralPath $folder
        try {
            [System.Environment]::CurrentDirectory = [System.IO.Path]::GetTempPath()
            $result = Send-GraphMail -From $from -To $to -Subject 'Relative' -Attachments 'note.txt' -PassThru
        }
        finally {
            Pop-Location
            [System.Environment]::CurrentDirectory = $processDirectory
        }
        $result.attachments[0].name | Should -Be 'note.txt'
    }

    It 'sends -InlineAttachments as inline images with their content ids, paths resolved against the PowerShell location' {
        $folder = Join-Path $TestDrive 'inline'
        New-Item -ItemType Directory -Path $folder | Out-Null
        New-GraphMailTestFile -Path (Join-Path $folder 'logo.png') -Length 2000
        $processDirectory = [System.Environment]::CurrentDirectory
        Push-Location -LiteralPath $folder
        try {
            [System.Environment]::CurrentDirectory = [System.IO.Path]::GetTempPath()
            $result = Send-GraphMail -From $from -To $to -Subject 'Inline' -BodyAsHtml -Body '<p><img src="cid:logo"></p>' -InlineAttachments @{ logo = 'logo.png' } -PassThru
        }
        finally {
            Pop-Location
            [System.Environment]::CurrentDirectory = $processDirectory
        }
        $result.path | Should -Be 'sendMail'
        $stored = @(Get-GraphMailStoredMessage -Emulator $emulator)[-1]
        $stored.message.subject | Should -Be 'Inline'
        $attachment = @($stored.message.attachments)[0]
        $attachment.name | Should -Be 'logo.png'
        $attachment.isInline | Should -BeTrue
        $attachment.contentId | Should -Be 'logo'
    }

    It 'sends a large attachment through an upload session, byte-identical, with an inline image' {
        $large = Join-Path $TestDrive 'large.bin'
        New-GraphMailTestFile -Path $large -Length (5 * 1024 * 1024 + 12345)
        $logo = Join-Path $TestDrive 'large-logo.png'
        New-GraphMailTestFile -Path $logo -Length 1000
        $expected = (Get-FileHash -LiteralPath $large -Algorithm SHA256).Hash.ToLowerInvariant()
        $result = Send-GraphMail -From $from -To $to -Subject 'Large' -BodyAsHtml -Body '<img src="cid:logo">' -Attachments $large -InlineAttachments @{ logo = $logo } -PassThru
        $result.status | Should -Be 'sent'
        $result.path | Should -Be 'draft'
        @($result.attachments).Count | Should -Be 2
        @(Get-GraphMailStoredMessage -Emulator $emulator)[-1].message.subject | Should -Be 'Large'
        @(Get-GraphMailStoredAttachmentHash -Emulator $emulator) | Should -Contain $expected
    }

    It 'completes its progress bar after a send' {
        $send = Start-GraphMailBackgroundSend -Mail @{ From = $from; To = $to; Subject = 'Progress completed' }
        try {
            [void]$send.Shell.EndInvoke($send.Handle)
            $send.Shell.HadErrors | Should -BeFalse
            $records = @($send.Shell.Streams.Progress.ReadAll())
            $records.Count | Should -BeGreaterThan 0
            $records[-1].Activity | Should -Be 'Send-GraphMail'
            $records[-1].RecordType | Should -Be 'Completed'
        }
        finally {
            $send.Shell.Dispose()
        }
    }

    It 'shows Write-Progress while uploading, and a stop (Ctrl+C) cancels: the draft is deleted, nothing is sent' {
        $big = Join-Path $TestDrive 'stopped.bin'
        New-GraphMailTestFile -Path $big -Length (100 * 1024 * 1024) -Sparse
        $before = @(Get-GraphMailStoredMessage -Emulator $emulator).Count
        $send = Start-GraphMailBackgroundSend -Mail @{ From = $from; To = $to; Subject = 'Stopped'; Attachments = $big }
        try {
            $records = [System.Collections.Generic.List[System.Management.Automation.ProgressRecord]]::new()
            $deadline = [System.DateTime]::UtcNow.AddMinutes(2)
            while (-not ($records | Where-Object { $_.PercentComplete -gt 0 })) {
                if ($send.Handle.IsCompleted) {
                    throw "Send-GraphMail ended before it reported upload progress: $($send.Shell.Streams.Error | Out-String)"
                }
                [System.DateTime]::UtcNow | Should -BeLessThan $deadline -Because 'an upload reports its progress'
                Start-Sleep -Milliseconds 20
                $records.AddRange($send.Shell.Streams.Progress.ReadAll())
            }
            # What Ctrl+C does. Stop() returns once Send-GraphMail's finally has cancelled the send
            # and the library has deleted the upload session and the draft.
            $send.Shell.Stop()
            $send.Shell.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            $send.Shell.Dispose()
        }
        $uploading = @($records | Where-Object { $_.PercentComplete -gt 0 })[0]
        $uploading.Activity | Should -Be 'Send-GraphMail'
        $uploading.PercentComplete | Should -BeLessThan 100
        $uploading.StatusDescription | Should -BeLike 'uploading*MB'
        @(Get-GraphMailStoredMessage -Emulator $emulator).Count | Should -Be $before
        if ($PSVersionTable.PSEdition -eq 'Core') {
            $stats = Get-GraphMailEmulatorStats -Emulator $emulator
            $stats.openDrafts | Should -Be 0
            $stats.openUploadSessions | Should -Be 0
            $stats.draftsDeleted | Should -BeGreaterThan 0
        }
    }

    It 'sends custom headers and keeps no Sent Items copy with -SaveToSentItems:$false' {
        $result = Send-GraphMail -From $from -To $to -Subject 'Headers' -Headers @{ 'x-ticket' = '4711' } -SaveToSentItems:$false -PassThru
        $result.saveToSentItems | Should -BeFalse
        $stored = @(Get-GraphMailStoredMessage -Emulator $emulator)[-1]
        $stored.saveToSentItems | Should -BeFalse
        @($stored.message.internetMessageHeaders | Where-Object { $_.name -eq 'x-ticket' }).Count | Should -Be 1
    }

    It '-WhatIf sends nothing and writes nothing to the output' {
        $before = @(Get-GraphMailStoredMessage -Emulator $emulator).Count
        $output = Send-GraphMail -From $from -To $to -Subject 'Not sent' -WhatIf
        $output | Should -BeNullOrEmpty
        @(Get-GraphMailStoredMessage -Emulator $emulator).Count | Should -Be $before
    }

    It 'stops on a bad From (a terminating error)' {
        { Send-GraphMail -From 'not an address' -To $to -Subject 'x' -ErrorAction Continue } |
            Should -Throw -ErrorId 'InvalidAddress'
    }

    It 'stops on a missing attachment (a terminating error)' {
        { Send-GraphMail -From $from -To $to -Subject 'x' -Attachments (Join-Path $TestDrive 'missing.csv') -ErrorAction Continue } |
            Should -Throw -ErrorId 'AttachmentNotFound'
    }

    It 'reports a failed send as a non-terminating error with the library code and goes on' {
        $secret = ConvertTo-SecureString -String 'not-the-secret' -AsPlainText -Force
        $app = [pscredential]::new($emulator.Environment['AZURE_CLIENT_ID'], $secret)
        $reached = $false
        . {
            Send-GraphMail -From $from -To $to -Subject 'x' -Credential $app -ErrorAction SilentlyContinue -ErrorVariable failures
            $reached = $true
        }
        $reached | Should -BeTrue
        @($failures).Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'InvalidClientSecret,Send-GraphMail'
        $failures[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
    }

    It 'sends with the Connect-GraphMail connection and gets a token for Invoke-RestMethod' {
        Connect-GraphMail -TenantId $emulator.Environment['AZURE_TENANT_ID'] -CaCertificatePath $emulator.Environment['GRAPHMAIL_CA_FILE']
        try {
            $token = Get-GraphMailToken
            $token.AccessToken | Should -Not -BeNullOrEmpty
            $token.TokenType | Should -Be 'Bearer'
            $token.ExpiresOn | Should -BeGreaterThan ([System.DateTimeOffset]::UtcNow)
            Send-GraphMail -From $from -To $to -Subject 'Connected' -PassThru | Should -Not -BeNullOrEmpty
        }
        finally {
            Disconnect-GraphMail
        }
    }
}
