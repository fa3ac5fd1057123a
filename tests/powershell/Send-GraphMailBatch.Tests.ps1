#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Send-GraphMailBatch: its parameters (UnitTests), and bulk sends through the local Graph emulator
# (IntegrationTests: `graphmail emulator --port 0`, configured from the `export NAME=VALUE` lines
# it prints). Not run in CI, which has no PowerShell; tests/powershell_scripts.rs checks the
# script there and tests/csharp_interop.rs drives GraphMailClient.SendBatch under mono.

BeforeDiscovery {
    # The message parameters: defaults for every message, typed as Send-GraphMail's.
    $messageParameters = @(
        'From', 'To', 'Cc', 'Bcc', 'ReplyTo', 'Subject', 'Body', 'BodyAsHtml', 'Attachments',
        'InlineAttachments', 'Priority', 'DeliveryNotificationOption', 'Headers', 'SaveToSentItems'
    ) | ForEach-Object { @{ Name = $_ } }
}

BeforeAll {
    . ([System.IO.Path]::Combine($PSScriptRoot, 'GraphMail.TestHelpers.ps1'))
    Import-Module -Name (Get-GraphMailTestModule) -Force -ErrorAction Stop
    $script:Command = Get-Command -Name Send-GraphMailBatch -Module GraphMail
    $script:SendCommand = Get-Command -Name Send-GraphMail -Module GraphMail
}

AfterAll {
    Remove-Module -Name GraphMail -Force -ErrorAction SilentlyContinue
}

Describe 'Send-GraphMailBatch parameters' -Tag 'UnitTests' {
    It 'takes -InputObject from the pipeline, blank and null inputs included' {
        $parameter = $Command.Parameters['InputObject']
        $parameter.ParameterType | Should -Be ([object[]])
        $attribute = $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
        $attribute.Mandatory | Should -BeTrue
        $attribute.ValueFromPipeline | Should -BeTrue
        $attribute.ValueFromPipelineByPropertyName | Should -BeFalse
        foreach ($allow in [System.Management.Automation.AllowNullAttribute], [System.Management.Automation.AllowEmptyStringAttribute], [System.Management.Automation.AllowEmptyCollectionAttribute]) {
            @($parameter.Attributes | Where-Object { $_ -is $allow }).Count | Should -Be 1
        }
    }

    It '-<Name> is a default for every message, typed as in Send-GraphMail' -ForEach $messageParameters {
        $parameter = $Command.Parameters[$Name]
        $parameter | Should -Not -BeNullOrEmpty
        $parameter.ParameterType | Should -Be $SendCommand.Parameters[$Name].ParameterType
        $attribute = $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
        $attribute.Mandatory | Should -BeFalse
        $attribute.Position | Should -Be ([int]::MinValue)
        $attribute.ValueFromPipeline | Should -BeFalse
        $attribute.ValueFromPipelineByPropertyName | Should -BeFalse
    }

    It 'has only -InputObject, the message parameters, -Credential and -TenantId' -ForEach @{ MessageNames = @($messageParameters | ForEach-Object { $_.Name }) } {
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $names = @($Command.Parameters.Keys | Where-Object { $common -notcontains $_ } | Sort-Object)
        $names | Should -Be @(@('InputObject', 'Credential', 'TenantId') + $MessageNames | Sort-Object)
    }

    It 'supports -WhatIf and -Confirm and declares its output type' {
        $Command.Parameters.ContainsKey('WhatIf') | Should -BeTrue
        $Command.Parameters.ContainsKey('Confirm') | Should -BeTrue
        $Command.OutputType.Name | Should -Contain 'GraphMail.GraphMailBatchResult'
    }

    It 'sends nothing and needs no connection for empty input' {
        $output = @() | Send-GraphMailBatch -From 'alerts@contoso.test' -ErrorAction Stop
        $output | Should -BeNullOrEmpty
    }
}

Describe 'Send-GraphMailBatch through the emulator' -Tag 'IntegrationTests' {
    BeforeAll {
        $emulator = Start-GraphMailTestEmulator -DataDir (Join-Path $TestDrive 'emulator')
        $savedEnvironment = @{}
        foreach ($name in $emulator.Environment.Keys) {
            $savedEnvironment[$name] = [System.Environment]::GetEnvironmentVariable($name)
            [System.Environment]::SetEnvironmentVariable($name, $emulator.Environment[$name])
        }
        function Get-StoredSubject {
            @(Get-GraphMailStoredMessage -Emulator $emulator | ForEach-Object { $_.message.subject })
        }
    }

    AfterAll {
        Disconnect-GraphMail
        foreach ($name in $savedEnvironment.Keys) {
            [System.Environment]::SetEnvironmentVariable($name, $savedEnvironment[$name])
        }
        Stop-GraphMailTestEmulator -Emulator $emulator
    }

    It 'sends hashtables across three mailboxes: one result per input in input order, a non-terminating error per failed message' {
        $inputs = @(
            @{ From = 'alerts@contoso.test'; To = 'ops@fabrikam.test'; Subject = 'Batch alerts' }
            @{ From = 'reports@contoso.test'; To = 'ops@fabrikam.test'; Subject = 'Batch reports' }
            @{ From = 'noreply@contoso.test'; To = 'ops@fabrikam.test'; Subject = 'Batch noreply' }
            @{ From = 'alerts@contoso.test'; To = 'not an address'; Subject = 'Batch invalid' }
            @{ From = 'ghost@contoso.test'; To = 'ops@fabrikam.test'; Subject = 'Batch ghost' }
            @{ From = 'noreply@contoso.test'; To = 'ops@fabrikam.test'; Subject = 'Batch last' }
        )
        $reached = $false
        . {
            $results = $inputs | Send-GraphMailBatch -ErrorAction SilentlyContinue -ErrorVariable failures
            $reached = $true
        }
        $reached | Should -BeTrue -Because 'failed messages are non-terminating errors'
        @($results).Count | Should -Be 6
        @($results | ForEach-Object { $_.Index }) | Should -Be @(0, 1, 2, 3, 4, 5)
        @($results | ForEach-Object { $_.Subject }) | Should -Be @($inputs | ForEach-Object { $_.Subject })
        @($results | ForEach-Object { $_.Succeeded }) | Should -Be @($true, $true, $true, $false, $false, $true)
        $results[0] | Should -BeOfType ([GraphMail.GraphMailBatchResult])
        $results[0].RequestId | Should -Not -BeNullOrEmpty
        $results[0].HttpStatus | Should -Be 202
        $results[3].ErrorCode | Should -Be 'InvalidAddress'
        $results[4].ErrorCode | Should -Be 'MailboxNotFound'
        $results[4].HttpStatus | Should -Be 404
        $results[4].Error.RequestId | Should -Not -BeNullOrEmpty

        @($failures).Count | Should -Be 2
        $failures[0].FullyQualifiedErrorId | Should -Be 'InvalidAddress,Send-GraphMailBatch'
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failures[0].TargetObject.Subject | Should -Be 'Batch invalid'
        $failures[0].ErrorDetails.Message | Should -BeLike 'Message 3: *'
        $failures[1].FullyQualifiedErrorId | Should -Be 'MailboxNotFound,Send-GraphMailBatch'
        $failures[1].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failures[1].ErrorDetails.Message | Should -BeLike 'Message 4: *request-id*'

        $stored = Get-StoredSubject
        foreach ($subject in 'Batch alerts', 'Batch reports', 'Batch noreply', 'Batch last') {
            @($stored | Where-Object { $_ -eq $subject }).Count | Should -Be 1 -Because "$subject is delivered exactly once"
        }
        $stored | Should -Not -Contain 'Batch invalid'
        $stored | Should -Not -Contain 'Batch ghost'
        $mailboxes = @(Get-GraphMailStoredMessage -Emulator $emulator | Where-Object { $_.message.subject -like 'Batch *' } | ForEach-Object { $_.message.from.emailAddress.address } | Sort-Object -Unique)
        $mailboxes | Should -Be @('alerts@contoso.test', 'noreply@contoso.test', 'reports@contoso.test')
    }

    It 'takes the command parameters as defaults and Import-Csv rows as messages, a non-empty cell winning' {
        $csv = Join-Path $TestDrive 'recipients.csv'
        @(
            'To,Subject,Name'
            'jane@fabrikam.test,,Jane'
            'john@fabrikam.test,Personal subject,John'
        ) | Set-Content -LiteralPath $csv
        $results = Import-Csv -LiteralPath $csv | Send-GraphMailBatch -From 'reports@contoso.test' -Subject 'CSV default' -Body 'Hello' -ErrorAction Stop
        @($results).Count | Should -Be 2
        $results[0].To | Should -Be @('jane@fabrikam.test')
        $results[0].Subject | Should -Be 'CSV default'
        $results[1].Subject | Should -Be 'Personal subject'
        $results[1].From | Should -Be 'reports@contoso.test'
        $stored = @(Get-GraphMailStoredMessage -Emulator $emulator | Where-Object { $_.message.subject -in 'CSV default', 'Personal subject' })
        $stored.Count | Should -Be 2
        @($stored | ForEach-Object { $_.message.toRecipients[0].emailAddress.address } | Sort-Object) | Should -Be @('jane@fabrikam.test', 'john@fabrikam.test')
    }

    It 'sends one message per piped address, and a blank line fails instead of sending the default To again' {
        $before = @(Get-StoredSubject | Where-Object { $_ -eq 'Per address' }).Count
        $results = 'a@fabrikam.test', '', 'b@fabrikam.test' | Send-GraphMailBatch -From 'alerts@contoso.test' -To 'default@fabrikam.test' -Subject 'Per address' -ErrorAction SilentlyContinue -ErrorVariable failures
        @($results).Count | Should -Be 3
        @($results | ForEach-Object { $_.Succeeded }) | Should -Be @($true, $false, $true)
        $results[0].To | Should -Be @('a@fabrikam.test')
        @($failures).Count | Should -Be 1
        @(Get-StoredSubject | Where-Object { $_ -eq 'Per address' }).Count | Should -Be ($before + 2)
        $addresses = @(Get-GraphMailStoredMessage -Emulator $emulator | Where-Object { $_.message.subject -eq 'Per address' } | ForEach-Object { $_.message.toRecipients[0].emailAddress.address })
        $addresses | Should -Not -Contain 'default@fabrikam.test'
    }

    It 'resolves relative attachment paths against the PowerShell location, per message' {
        $folder = Join-Path $TestDrive 'batch-attachments'
        New-Item -ItemType Directory -Path $folder | Out-Null
        'one' | Set-Content -LiteralPath (Join-Path $folder 'one.txt')
        'two' | Set-Content -LiteralPath (Join-Path $folder 'two.txt')
        $processDirectory = [System.Environment]::CurrentDirectory
        Push-Location -LiteralPath $folder
        try {
            [System.Environment]::CurrentDirectory = [System.IO.Path]::GetTempPath()
            $results = @(
                @{ Subject = 'Attachment one'; Attachments = 'one.txt' }
                [pscustomobject]@{ Subject = 'Attachment two'; Attachments = @('one.txt', (Get-Item -LiteralPath 'two.txt')) }
                @{ Subject = 'Attachment missing'; Attachments = 'missing.txt' }
            ) | Send-GraphMailBatch -From 'alerts@contoso.test' -To 'ops@fabrikam.test' -ErrorAction SilentlyContinue -ErrorVariable failures
        }
        finally {
            Pop-Location
            [System.Environment]::CurrentDirectory = $processDirectory
        }
        @($results | ForEach-Object { $_.Succeeded }) | Should -Be @($true, $true, $false)
        $results[2].ErrorCode | Should -Be 'AttachmentNotFound'
        $failures[0].FullyQualifiedErrorId | Should -Be 'AttachmentNotFound,Send-GraphMailBatch'
        $two = @(Get-GraphMailStoredMessage -Emulator $emulator | Where-Object { $_.message.subject -eq 'Attachment two' })[0]
        @($two.message.attachments | ForEach-Object { $_.name }) | Should -Be @('one.txt', 'two.txt')
    }

    It 'refuses a string BodyAsHtml (as a CSV gives) for that message only, never reading "False" as $true' {
        $results = @(
            @{ Subject = 'String flag'; BodyAsHtml = 'False' }
            @{ Subject = 'Real flag'; BodyAsHtml = $true; Body = '<p>HTML</p>' }
        ) | Send-GraphMailBatch -From 'alerts@contoso.test' -To 'ops@fabrikam.test' -ErrorAction SilentlyContinue
        $results[0].Succeeded | Should -BeFalse
        $results[0].ErrorCode | Should -Be 'InvalidMessage'
        $results[0].Error.Message | Should -Match 'bodyAsHtml'
        $results[1].Succeeded | Should -BeTrue
        @(Get-GraphMailStoredMessage -Emulator $emulator | Where-Object { $_.message.subject -eq 'Real flag' })[0].message.body.contentType | Should -Be 'html'
    }

    It 'reads ConvertFrom-Json objects, with Headers as an object' {
        $json = '[{"From":"reports@contoso.test","To":["ops@fabrikam.test"],"Subject":"From JSON","Headers":{"x-ticket":"4711"},"Priority":"High"}]'
        $results = $json | ConvertFrom-Json | ForEach-Object { $_ } | Send-GraphMailBatch -ErrorAction Stop
        $results[0].Succeeded | Should -BeTrue
        $stored = @(Get-GraphMailStoredMessage -Emulator $emulator | Where-Object { $_.message.subject -eq 'From JSON' })[0]
        $stored.message.importance | Should -Be 'high'
        @($stored.message.internetMessageHeaders | Where-Object { $_.name -eq 'x-ticket' -and $_.value -eq '4711' }).Count | Should -Be 1
    }

    It 'writes the library warnings with the index of their message' {
        $warnings = @(@{ Subject = 'With warning'; DeliveryNotificationOption = 'OnFailure' }) |
            Send-GraphMailBatch -From 'alerts@contoso.test' -To 'ops@fabrikam.test' 3>&1 |
            Where-Object { $_ -is [System.Management.Automation.WarningRecord] }
        @($warnings).Count | Should -Be 1
        $warnings[0].Message | Should -BeLike 'Message 0: *OnFailure*'
    }

    It '-WhatIf checks and previews every message, reports the invalid ones, sends nothing and outputs nothing' {
        $before = @(Get-GraphMailStoredMessage -Emulator $emulator).Count
        $output = @(
            @{ Subject = 'WhatIf one' }
            @{ Subject = 'WhatIf bad'; To = 'not an address' }
        ) | Send-GraphMailBatch -From 'alerts@contoso.test' -To 'ops@fabrikam.test' -WhatIf -ErrorAction SilentlyContinue -ErrorVariable failures
        $output | Should -BeNullOrEmpty
        @($failures).Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'InvalidAddress,Send-GraphMailBatch'
        $failures[0].ErrorDetails.Message | Should -BeLike 'Message 1: *'
        @(Get-GraphMailStoredMessage -Emulator $emulator).Count | Should -Be $before
    }

    It 'sends through the Connect-GraphMail connection with one token' {
        Connect-GraphMail -TenantId $emulator.Environment['AZURE_TENANT_ID'] -CaCertificatePath $emulator.Environment['GRAPHMAIL_CA_FILE']
        try {
            $results = 1..9 | ForEach-Object {
                @{ From = @('alerts@contoso.test', 'reports@contoso.test', 'noreply@contoso.test')[$_ % 3]; Subject = ('Connected {0:00}' -f $_) }
            } | Send-GraphMailBatch -To 'ops@fabrikam.test' -ErrorAction Stop
            @($results | Where-Object { $_.Succeeded }).Count | Should -Be 9
            @($results | ForEach-Object { $_.Subject }) | Should -Be @(1..9 | ForEach-Object { 'Connected {0:00}' -f $_ })
        }
        finally {
            Disconnect-GraphMail
        }
    }

    It 'stops, sending nothing, when there is no usable configuration' {
        $saved = [System.Environment]::GetEnvironmentVariable('AZURE_TENANT_ID')
        [System.Environment]::SetEnvironmentVariable('AZURE_TENANT_ID', $null)
        try {
            { @{ Subject = 'No tenant' } | Send-GraphMailBatch -From 'alerts@contoso.test' -To 'ops@fabrikam.test' -ErrorAction Continue } | Should -Throw
        }
        finally {
            [System.Environment]::SetEnvironmentVariable('AZURE_TENANT_ID', $saved)
        }
        Get-StoredSubject | Should -Not -Contain 'No tenant'
    }
}
