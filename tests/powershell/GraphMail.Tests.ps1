#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# The module manifest and loading, on Windows PowerShell 5.1 and PowerShell 7:
#   Invoke-Pester -Path tests/powershell
# (Not run in CI, which has no PowerShell; tests/powershell_scripts.rs checks the scripts there.)

BeforeAll {
    . ([System.IO.Path]::Combine($PSScriptRoot, 'GraphMail.TestHelpers.ps1'))
    $script:Manifest = Get-GraphMailTestModule
    $script:Exported = @('Connect-GraphMail', 'Disconnect-GraphMail', 'Get-GraphMailToken', 'Send-GraphMail', 'Send-GraphMailBatch')
}

Describe 'GraphMail.psd1' -Tag 'UnitTests' {
    It 'is a valid module manifest' {
        $info = Test-ModuleManifest -Path $Manifest -ErrorAction Stop
        $info.Name | Should -Be 'GraphMail'
        $info.RootModule | Should -Be 'GraphMail.psm1'
    }

    It 'has the version of the crate' {
        (Test-ModuleManifest -Path $Manifest).Version.ToString() | Should -Be (Get-GraphMailCrateVersion)
    }

    It 'supports Windows PowerShell 5.1 and PowerShell 7' {
        $data = Import-PowerShellDataFile -LiteralPath $Manifest
        $data.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $data.PowerShellVersion | Should -Be '5.1'
    }

    It 'exports the five functions explicitly and nothing else' {
        $data = Import-PowerShellDataFile -LiteralPath $Manifest
        @($data.FunctionsToExport | Sort-Object) | Should -Be $Exported
        @($data.CmdletsToExport).Count | Should -Be 0
        @($data.VariablesToExport).Count | Should -Be 0
        @($data.AliasesToExport).Count | Should -Be 0
    }
}

Describe 'Import-Module GraphMail' -Tag 'UnitTests' {
    BeforeAll {
        Import-Module -Name $Manifest -Force -ErrorAction Stop
    }

    AfterAll {
        Remove-Module -Name GraphMail -Force -ErrorAction SilentlyContinue
    }

    It 'exports the five functions and no helper' {
        @(Get-Command -Module GraphMail | ForEach-Object Name | Sort-Object) | Should -Be $Exported
    }

    It 'loads the native library of the module version' {
        [GraphMail.Native]::Version() | Should -Be (Get-Module -Name GraphMail).Version.ToString()
    }

    It 'can be imported again in the same session' {
        { Import-Module -Name $Manifest -Force -ErrorAction Stop } | Should -Not -Throw
        { Remove-Module -Name GraphMail -ErrorAction Stop; Import-Module -Name $Manifest -ErrorAction Stop } | Should -Not -Throw
        Get-Command -Name Send-GraphMail -Module GraphMail | Should -Not -BeNullOrEmpty
    }

    It 'disconnects when the module is removed' {
        Import-Module -Name $Manifest -Force
        & (Get-Module -Name GraphMail) { $script:GraphMailConnection = [pscustomobject]@{ Client = [GraphMail.GraphMailClient]::Create('{"tenantId":"t","clientId":"c","clientSecret":"s"}') } }
        $client = & (Get-Module -Name GraphMail) { $script:GraphMailConnection.Client }
        Remove-Module -Name GraphMail
        { $client.AcquireTokenJson() } | Should -Throw '*disposed*'
        Import-Module -Name $Manifest -Force
    }
}

Describe 'Loading in a new process' -Tag 'UnitTests' {
    It 'refuses a native library of another version with a clear message' {
        $copy = Join-Path $TestDrive 'GraphMail'
        Copy-Item -Path (Split-Path -Parent $Manifest) -Destination $copy -Recurse
        $psd1 = Join-Path $copy 'GraphMail.psd1'
        (Get-Content -LiteralPath $psd1 -Raw) -replace "ModuleVersion = '[^']+'", "ModuleVersion = '99.0.0'" | Set-Content -LiteralPath $psd1
        $result = Invoke-GraphMailChildPowerShell -Command "Import-Module '$psd1' -ErrorAction Stop"
        $result.ExitCode | Should -Not -Be 0
        $result.Output | Should -Match 'cannot use the native library'
        $result.Output | Should -Match '99\.0\.0'
    }

    It 'refuses a GRAPHMAIL_NATIVE_LIBRARY that does not exist' {
        $missing = Join-Path $TestDrive 'no-such-graphmail-library'
        $result = Invoke-GraphMailChildPowerShell -Command "Import-Module '$Manifest' -ErrorAction Stop" -Environment @{ GRAPHMAIL_NATIVE_LIBRARY = $missing }
        $result.ExitCode | Should -Not -Be 0
        $result.Output | Should -Match 'GRAPHMAIL_NATIVE_LIBRARY'
    }

    It 'imports in Windows PowerShell 5.1' -Skip:(-not (Get-Command -Name powershell.exe -CommandType Application -ErrorAction SilentlyContinue)) {
        $result = Invoke-GraphMailChildPowerShell -Executable 'powershell.exe' -Command "Import-Module '$Manifest' -ErrorAction Stop; Import-Module '$Manifest' -Force -ErrorAction Stop; [GraphMail.Native]::Version(); `$PSVersionTable.PSEdition"
        $result.ExitCode | Should -Be 0
        $result.Output | Should -Match ([regex]::Escape((Get-GraphMailCrateVersion)))
        $result.Output | Should -Match 'Desktop'
    }

    It 'imports in PowerShell 7' -Skip:(-not (Get-Command -Name pwsh -CommandType Application -ErrorAction SilentlyContinue)) {
        $result = Invoke-GraphMailChildPowerShell -Executable 'pwsh' -Command "Import-Module '$Manifest' -ErrorAction Stop; Import-Module '$Manifest' -Force -ErrorAction Stop; [GraphMail.Native]::Version(); `$PSVersionTable.PSEdition"
        $result.ExitCode | Should -Be 0
        $result.Output | Should -Match ([regex]::Escape((Get-GraphMailCrateVersion)))
        $result.Output | Should -Match 'Core'
    }
}
