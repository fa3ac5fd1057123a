#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Comment-based help is complete for every exported command: synopsis, description, at least one
# example, and a description for every parameter (the Pester tst/Help.Tests.ps1 pattern).

BeforeDiscovery {
    . ([System.IO.Path]::Combine($PSScriptRoot, 'GraphMail.TestHelpers.ps1'))
    Import-Module -Name (Get-GraphMailTestModule) -Force -ErrorAction Stop
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    $commands = foreach ($command in Get-Command -Module GraphMail) {
        @{
            Name       = $command.Name
            Parameters = @($command.Parameters.Keys | Where-Object { $common -notcontains $_ } | Sort-Object)
        }
    }
}

AfterAll {
    Remove-Module -Name GraphMail -Force -ErrorAction SilentlyContinue
}

Describe 'Help of <Name>' -Tag 'UnitTests' -ForEach $commands {
    BeforeAll {
        $help = Get-Help -Name $Name -Full
    }

    It 'has a synopsis of its own' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        # Without comment-based help, PowerShell shows the syntax as the synopsis.
        $help.Synopsis | Should -Not -BeLike "*$Name *"
    }

    It 'has a description' {
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least one example with code' {
        $examples = @($help.Examples.Example)
        $examples.Count | Should -BeGreaterThan 0
        $examples[0].Code | Should -Not -BeNullOrEmpty
    }

    It 'has a related link' {
        @($help.relatedLinks.navigationLink).Count | Should -BeGreaterThan 0
    }

    It 'describes -<_>' -ForEach $Parameters {
        $parameterName = $_
        $parameter = $help.Parameters.Parameter | Where-Object { $_.Name -eq $parameterName }
        ($parameter.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }
}
