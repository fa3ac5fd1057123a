#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Find-GraphMailLegacySender: the parameters (UnitTests), and scans of the corpus in
# tests/scan_corpus/scripts through the graphmail CLI (IntegrationTests; GRAPHMAIL_CLI points at
# target/debug/graphmail, built with cargo on first use). Not run in CI (no PowerShell there):
# run with Invoke-Pester -Path tests/powershell.

BeforeAll {
    . ([System.IO.Path]::Combine($PSScriptRoot, 'GraphMail.TestHelpers.ps1'))
    Import-Module -Name (Get-GraphMailTestModule) -Force -ErrorAction Stop
    $script:Command = Get-Command -Name Find-GraphMailLegacySender -Module GraphMail
    $script:Corpus = [System.IO.Path]::Combine((Get-GraphMailRepositoryRoot), 'tests', 'scan_corpus', 'scripts')
    $script:PreviousCli = $env:GRAPHMAIL_CLI
    $env:GRAPHMAIL_CLI = Get-GraphMailCli
}

AfterAll {
    $env:GRAPHMAIL_CLI = $script:PreviousCli
    Remove-Module -Name GraphMail -Force -ErrorAction SilentlyContinue
}

Describe 'Find-GraphMailLegacySender parameters' -Tag 'UnitTests' {
    It 'is exported with an approved verb' {
        $script:Command | Should -Not -BeNullOrEmpty
        (Get-Verb -Verb 'Find') | Should -Not -BeNullOrEmpty
    }

    It 'takes -Path (position 0, mandatory, from the pipeline, alias FullName), -Kind and -All' {
        $path = $script:Command.Parameters['Path']
        $path.ParameterType | Should -Be ([string[]])
        $path.Aliases | Should -Contain 'FullName'
        $attribute = $path.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
        $attribute.Mandatory | Should -BeTrue
        $attribute.Position | Should -Be 0
        $attribute.ValueFromPipeline | Should -BeTrue
        $attribute.ValueFromPipelineByPropertyName | Should -BeTrue
        $script:Command.Parameters['Kind'].ParameterType | Should -Be ([string[]])
        $script:Command.Parameters['All'].SwitchParameter | Should -BeTrue
    }

    It 'has help with examples' {
        $help = Get-Help -Name Find-GraphMailLegacySender -Full
        $help.Synopsis | Should -Match 'Send-MailMessage'
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
    }
}

Describe 'Find-GraphMailLegacySender scans' -Tag 'IntegrationTests' {
    It 'returns the findings of a script as objects' {
        $findings = @(Find-GraphMailLegacySender -Path ([System.IO.Path]::Combine($script:Corpus, '01-direct.ps1')))
        $findings.Kind | Should -Be @('send-mailmessage', 'no-tls12', 'smtp-auth')
        $call = $findings[0]
        $call.PSObject.TypeNames | Should -Contain 'GraphMail.LegacySenderFinding'
        $call.Line | Should -Be 4
        $call.Convertible | Should -BeTrue
        ($call.Parameters | Where-Object { $_.Name -eq 'SmtpServer' }).Maps | Should -Be 'ignored'
        ($call.Parameters | Where-Object { $_.Name -eq 'Attachments' }).Maps | Should -Be 'yes'
    }

    It 'says why a call does not convert' {
        $calls = @(Find-GraphMailLegacySender -Path ([System.IO.Path]::Combine($script:Corpus, '05-abbreviations.ps1')) -Kind send-mailmessage)
        $calls.Count | Should -Be 2
        $calls[1].Convertible | Should -BeFalse
        $calls[1].Reasons[0] | Should -Match '-Credential'
        ($calls[0].Parameters | Where-Object { $_.Written -eq '-Attach' }).Name | Should -Be 'Attachments'
    }

    It 'filters by -Kind and takes folders and files from the pipeline' {
        $secrets = @(Get-ChildItem -Path $script:Corpus -Filter '11-secrets.ps1' | Find-GraphMailLegacySender -Kind secret)
        $secrets.Count | Should -Be 8
        $secrets.Message -join ' ' | Should -Not -Match 'Hunter2'
        $all = @(Find-GraphMailLegacySender -Path $script:Corpus)
        ($all | Where-Object Kind -EQ 'send-mailmessage').Count | Should -BeGreaterOrEqual 30
        ($all | Where-Object { $_.Path -like '*08-traps.ps1' }).Count | Should -Be 0
    }

    It 'writes a non-terminating error for a path that does not exist' {
        $found = Find-GraphMailLegacySender -Path ([System.IO.Path]::Combine($script:Corpus, 'no-such-file.ps1')) -ErrorVariable problems -ErrorAction SilentlyContinue
        $found | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -Match 'GraphMailScanPathNotFound'
    }

    It 'stops with a clear error when the command-line tool is missing' {
        $saved = $env:GRAPHMAIL_CLI
        try {
            $env:GRAPHMAIL_CLI = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'no-graphmail-here')
            { Find-GraphMailLegacySender -Path $script:Corpus -ErrorAction Stop } |
                Should -Throw -ErrorId 'GraphMailCliNotFound,Find-GraphMailLegacySender'
            $env:GRAPHMAIL_CLI = $null
            # The built module folder ships no CLI unless one was copied there.
            $shipped = [System.IO.Path]::Combine((Split-Path -Path (Get-GraphMailTestModule) -Parent), 'runtimes')
            if (-not (Get-ChildItem -Path $shipped -Recurse -Filter 'graphmail*' | Where-Object { $_.Name -in 'graphmail', 'graphmail.exe' })) {
                { Find-GraphMailLegacySender -Path $script:Corpus -ErrorAction Stop } |
                    Should -Throw -ExpectedMessage '*runtimes*graphmail*GRAPHMAIL_CLI*'
            }
        }
        finally {
            $env:GRAPHMAIL_CLI = $saved
        }
    }
}
