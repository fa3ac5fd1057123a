#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Connect-GraphMail: one parameter set per credential (UnitTests), errors found before any request,
# and connections through the local Graph emulator (IntegrationTests: `graphmail emulator --port 0`,
# configured from the `export NAME=VALUE` lines it prints). The emulator of the CLI registers apps
# with secrets only, so certificates are checked up to the identity platform's answer: a
# certificate that is not registered is rejected with ClientAssertionRejected, which shows that the
# assertion was built, signed (in .NET for a store certificate) and verified by the library. The
# device code, managed identity and registered-certificate paths run under mono against the
# library's emulator (tests/csharp/CredentialTests.cs).

BeforeDiscovery {
    # Each parameter set and its parameters (common parameters aside); Mandatory ones in capitals.
    $parameterSets = @(
        @{ Set = 'ClientSecret'; Mandatory = @(); Optional = @('TenantId', 'ClientId', 'ClientSecret') }
        @{ Set = 'Credential'; Mandatory = @('Credential'); Optional = @('TenantId') }
        @{ Set = 'ClientSecretName'; Mandatory = @('ClientSecretName'); Optional = @('TenantId', 'ClientId', 'Vault') }
        @{ Set = 'CertificateThumbprint'; Mandatory = @('CertificateThumbprint'); Optional = @('TenantId', 'ClientId', 'CertificateStoreLocation', 'SendCertificateChain') }
        @{ Set = 'CertificatePath'; Mandatory = @('CertificatePath'); Optional = @('TenantId', 'ClientId', 'CertificatePassword', 'SendCertificateChain') }
        @{ Set = 'ManagedIdentity'; Mandatory = @('ManagedIdentity'); Optional = @('TenantId', 'ClientId', 'ObjectId', 'ResourceId') }
        @{ Set = 'DeviceCode'; Mandatory = @('DeviceCode'); Optional = @('TenantId', 'ClientId', 'Scopes', 'TokenCachePath') }
        @{ Set = 'AccessToken'; Mandatory = @('AccessToken'); Optional = @('TenantId') }
    )
    $everySet = @('Cloud', 'AuthorityHost', 'GraphEndpoint', 'CaCertificatePath', 'Proxy', 'TimeoutSeconds', 'PassThru')
    $canMakeCertificates = $null -ne ('System.Security.Cryptography.X509Certificates.CertificateRequest' -as [type])
}

BeforeAll {
    . ([System.IO.Path]::Combine($PSScriptRoot, 'GraphMail.TestHelpers.ps1'))
    Import-Module -Name (Get-GraphMailTestModule) -Force -ErrorAction Stop
    $script:Command = Get-Command -Name Connect-GraphMail -Module GraphMail
    $script:Common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

    function New-GraphMailTestCertificate {
        # A self-signed RSA certificate with its key, never registered in the emulator.
        $rsa = [System.Security.Cryptography.RSA]::Create(2048)
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new(
            'CN=graphmail-pester', $rsa, [System.Security.Cryptography.HashAlgorithmName]::SHA256,
            [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
        $now = [System.DateTimeOffset]::UtcNow
        $request.CreateSelfSigned($now.AddMinutes(-5), $now.AddDays(1))
    }

    function New-FakeSecretManagement {
        # A stand-in for Microsoft.PowerShell.SecretManagement: Get-Secret returns $Value and
        # records how it was called in $global:GraphMailFakeSecretCalls.
        param([object] $Value)
        Remove-Module -Name Microsoft.PowerShell.SecretManagement -Force -ErrorAction SilentlyContinue
        $global:GraphMailFakeSecretCalls = [System.Collections.Generic.List[hashtable]]::new()
        $global:GraphMailFakeSecretValue = $Value
        New-Module -Name Microsoft.PowerShell.SecretManagement -ScriptBlock {
            function Get-Secret {
                [CmdletBinding()]
                param([string] $Name, [string] $Vault, [switch] $AsPlainText)
                $global:GraphMailFakeSecretCalls.Add(@{ Name = $Name; Vault = $Vault; AsPlainText = [bool]$AsPlainText })
                if ($Name -eq 'missing') {
                    throw [System.Management.Automation.ItemNotFoundException]::new("The secret $Name was not found.")
                }
                $global:GraphMailFakeSecretValue
            }
            Export-ModuleMember -Function Get-Secret
        } | Import-Module -Global -Force
    }
}

AfterAll {
    Remove-Module -Name Microsoft.PowerShell.SecretManagement -Force -ErrorAction SilentlyContinue
    Remove-Module -Name GraphMail -Force -ErrorAction SilentlyContinue
}

Describe 'Connect-GraphMail parameter sets' -Tag 'UnitTests' {
    It 'has one parameter set per credential, ClientSecret by default' {
        @($Command.ParameterSets.Name | Sort-Object) | Should -Be @($parameterSets.Set | Sort-Object)
        $Command.DefaultParameterSet | Should -Be 'ClientSecret'
    }

    It 'set <Set> has its parameters' -ForEach $parameterSets {
        $set = $Command.ParameterSets | Where-Object Name -EQ $Set
        $names = @($set.Parameters | Where-Object { $Common -notcontains $_.Name } | ForEach-Object Name | Sort-Object)
        $names | Should -Be @(($Mandatory + $Optional + $everySet) | Sort-Object)
        $required = @($set.Parameters | Where-Object IsMandatory | ForEach-Object Name | Sort-Object)
        $required | Should -Be @($Mandatory | Sort-Object)
    }

    It 'takes every secret as a SecureString' {
        foreach ($name in 'ClientSecret', 'CertificatePassword', 'AccessToken') {
            $Command.Parameters[$name].ParameterType | Should -Be ([System.Security.SecureString])
        }
        $Command.Parameters['Credential'].ParameterType | Should -Be ([pscredential])
    }

    It 'keeps -TenantId and -ClientId at positions 0 and 1' {
        $set = $Command.ParameterSets | Where-Object Name -EQ 'ClientSecret'
        ($set.Parameters | Where-Object Name -EQ 'TenantId').Position | Should -Be 0
        ($set.Parameters | Where-Object Name -EQ 'ClientId').Position | Should -Be 1
    }

    It 'refuses two credentials at once when binding' {
        $secret = ConvertTo-SecureString -String 'x' -AsPlainText -Force
        { Connect-GraphMail -ClientSecret $secret -DeviceCode } | Should -Throw -ErrorId 'AmbiguousParameterSet'
        { Connect-GraphMail -ManagedIdentity -CertificatePath ./app.pem } | Should -Throw -ErrorId 'AmbiguousParameterSet'
        { Connect-GraphMail -AccessToken $secret -ClientId 'app' } | Should -Throw -ErrorId 'AmbiguousParameterSet'
        { Connect-GraphMail -CertificateThumbprint ('0' * 40) -CertificateStoreLocation 'Elsewhere' } | Should -Throw -ErrorId 'ParameterArgumentValidationError'
    }
}

Describe 'Connect-GraphMail errors before any request' -Tag 'UnitTests' {
    It 'refuses a thumbprint that is not one with InvalidConfig' {
        { Connect-GraphMail -TenantId 'contoso.onmicrosoft.com' -ClientId 'app' -CertificateThumbprint 'not-a-thumbprint' } |
            Should -Throw -ErrorId 'InvalidConfig,Connect-GraphMail'
    }

    It 'reports a certificate missing from the store with CertificateNotFound, naming the thumbprint and the store' {
        $thumbprint = '00112233445566778899AABBCCDDEEFF00112233'
        $failure = { Connect-GraphMail -TenantId 'contoso.onmicrosoft.com' -ClientId 'app' -CertificateThumbprint $thumbprint.ToLowerInvariant() } |
            Should -Throw -ErrorId 'CertificateNotFound,Connect-GraphMail' -PassThru
        $failure.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failure.Exception.Message | Should -BeLike "*$thumbprint*Cert:\CurrentUser\My*"
    }

    It 'refuses two managed identity ids with the library''s InvalidConfig' {
        { Connect-GraphMail -ManagedIdentity -ObjectId 'obj' -ResourceId '/subscriptions/x/uami' } |
            Should -Throw -ErrorId 'InvalidConfig,Connect-GraphMail'
    }

    It 'says that -ClientSecretName needs SecretManagement when it is not installed' -Skip:($null -ne (Get-Module -ListAvailable -Name Microsoft.PowerShell.SecretManagement)) {
        Remove-Module -Name Microsoft.PowerShell.SecretManagement -Force -ErrorAction SilentlyContinue
        $failure = { Connect-GraphMail -ClientSecretName 'GraphMail' } |
            Should -Throw -ErrorId 'SecretManagementNotInstalled,Connect-GraphMail' -PassThru
        $failure.CategoryInfo.Category | Should -Be 'NotInstalled'
        $failure.Exception.Message | Should -BeLike '*Install-Module Microsoft.PowerShell.SecretManagement*'
    }
}

Describe 'Connect-GraphMail through the emulator' -Tag 'IntegrationTests' {
    BeforeAll {
        $emulator = Start-GraphMailTestEmulator -DataDir (Join-Path $TestDrive 'emulator')
        $savedEnvironment = @{}
        foreach ($name in $emulator.Environment.Keys) {
            $savedEnvironment[$name] = [System.Environment]::GetEnvironmentVariable($name)
            [System.Environment]::SetEnvironmentVariable($name, $emulator.Environment[$name])
        }
        $tenant = $emulator.Environment['AZURE_TENANT_ID']
        $app = $emulator.Environment['AZURE_CLIENT_ID']
        $appSecret = ConvertTo-SecureString -String $emulator.Environment['AZURE_CLIENT_SECRET'] -AsPlainText -Force
        $from = 'alerts@contoso.test'
        $to = 'reports@contoso.test'
    }

    AfterEach {
        Disconnect-GraphMail
        Remove-Module -Name Microsoft.PowerShell.SecretManagement -Force -ErrorAction SilentlyContinue
    }

    AfterAll {
        foreach ($name in $savedEnvironment.Keys) {
            [System.Environment]::SetEnvironmentVariable($name, $savedEnvironment[$name])
        }
        Stop-GraphMailTestEmulator -Emulator $emulator
    }

    It 'connects with a client secret, returns the connection without secrets, and sends' {
        $connection = Connect-GraphMail -TenantId $tenant -ClientId $app -ClientSecret $appSecret -PassThru
        $connection.PSObject.TypeNames[0] | Should -Be 'GraphMail.Connection'
        $connection.Credential | Should -Be 'ClientSecret'
        $connection.ClientId | Should -Be $app
        $connection.TokenExpiresOn | Should -BeGreaterThan ([System.DateTimeOffset]::UtcNow)
        ($connection | Out-String) | Should -Not -BeLike "*$($emulator.Environment['AZURE_CLIENT_SECRET'])*"
        Send-GraphMail -From $from -To $to -Subject 'Connected with a secret'
        (@(Get-GraphMailStoredMessage -Emulator $emulator)[-1]).message.subject | Should -Be 'Connected with a secret'
    }

    It 'checks the secret at connect time: a wrong one fails with InvalidClientSecret' {
        $wrong = ConvertTo-SecureString -String 'not-the-secret' -AsPlainText -Force
        $failure = { Connect-GraphMail -TenantId $tenant -ClientId $app -ClientSecret $wrong } |
            Should -Throw -ErrorId 'InvalidClientSecret,Connect-GraphMail' -PassThru
        $failure.CategoryInfo.Category | Should -Be 'AuthenticationError'
    }

    It 'reads -ClientSecretName from SecretManagement as a SecureString, from the named vault' {
        New-FakeSecretManagement -Value $appSecret
        $connection = Connect-GraphMail -TenantId $tenant -ClientId $app -ClientSecretName 'GraphMailApp' -Vault 'TestVault' -PassThru
        $connection.Credential | Should -Be 'ClientSecret'
        $global:GraphMailFakeSecretCalls.Count | Should -Be 1
        $global:GraphMailFakeSecretCalls[0].Name | Should -Be 'GraphMailApp'
        $global:GraphMailFakeSecretCalls[0].Vault | Should -Be 'TestVault'
        $global:GraphMailFakeSecretCalls[0].AsPlainText | Should -BeFalse
        Send-GraphMail -From $from -To $to -Subject 'Connected with a vault secret'
        (@(Get-GraphMailStoredMessage -Emulator $emulator)[-1]).message.subject | Should -Be 'Connected with a vault secret'
    }

    It 'takes the application id from a PSCredential kept in the vault, over AZURE_CLIENT_ID' {
        New-FakeSecretManagement -Value ([pscredential]::new($app, $appSecret))
        $env:AZURE_CLIENT_ID = 'another-application'
        try {
            $connection = Connect-GraphMail -TenantId $tenant -ClientSecretName 'GraphMailApp' -PassThru
        }
        finally {
            $env:AZURE_CLIENT_ID = $app
        }
        $connection.ClientId | Should -Be $app
        $global:GraphMailFakeSecretCalls[0].Vault | Should -BeNullOrEmpty
    }

    It 'refuses a vault secret of another type, and passes on a missing one' {
        New-FakeSecretManagement -Value @{ not = 'a secret' }
        { Connect-GraphMail -TenantId $tenant -ClientId $app -ClientSecretName 'GraphMailApp' } |
            Should -Throw -ErrorId 'UnsupportedSecretType,Connect-GraphMail'
        { Connect-GraphMail -TenantId $tenant -ClientId $app -ClientSecretName 'missing' } | Should -Throw '*missing was not found*'
    }

    It 'connects with an access token (SecureString) and sends' {
        $token = Get-GraphMailToken
        $secureToken = ConvertTo-SecureString -String $token.AccessToken -AsPlainText -Force
        $connection = Connect-GraphMail -AccessToken $secureToken -PassThru
        $connection.Credential | Should -Be 'AccessToken'
        Send-GraphMail -From $from -To $to -Subject 'Connected with an access token'
        (@(Get-GraphMailStoredMessage -Emulator $emulator)[-1]).message.subject | Should -Be 'Connected with an access token'
    }

    It 'signs with -CertificatePath (relative to the PowerShell location) and -CertificatePassword: an unregistered certificate is rejected' -Skip:(-not $canMakeCertificates) {
        $certificate = New-GraphMailTestCertificate
        $folder = Join-Path $TestDrive 'certificates'
        [void][System.IO.Directory]::CreateDirectory($folder)
        [System.IO.File]::WriteAllBytes((Join-Path $folder 'app.pfx'),
            $certificate.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx, 'Pfx-Pass'))
        $password = ConvertTo-SecureString -String 'Pfx-Pass' -AsPlainText -Force
        Push-Location -LiteralPath $folder
        try {
            $failure = { Connect-GraphMail -TenantId $tenant -ClientId $app -CertificatePath './app.pfx' -CertificatePassword $password } |
                Should -Throw -ErrorId 'ClientAssertionRejected,Connect-GraphMail' -PassThru
            $failure.Exception.Message | Should -Not -BeLike '*Pfx-Pass*'
            $wrong = ConvertTo-SecureString -String 'Wrong-Pass' -AsPlainText -Force
            { Connect-GraphMail -TenantId $tenant -ClientId $app -CertificatePath './app.pfx' -CertificatePassword $wrong } |
                Should -Throw -ErrorId 'InvalidConfig,Connect-GraphMail'
        }
        finally {
            Pop-Location
        }
    }

    It 'signs with a CurrentUser\My certificate found by thumbprint (spaces, lower case, U+200E): an unregistered certificate is rejected' -Skip:(-not $canMakeCertificates) {
        $generated = New-GraphMailTestCertificate
        $flags = [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]'PersistKeySet, UserKeySet'
        $certificate = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new(
            $generated.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx, 'x'), 'x', $flags)
        $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
        $store.Open('ReadWrite')
        $store.Add($certificate)
        $store.Close()
        try {
            $pairs = for ($i = 0; $i -lt 40; $i += 2) { $certificate.Thumbprint.Substring($i, 2).ToLowerInvariant() }
            $copied = [string][char]0x200E + ($pairs -join ' ')
            # The identity platform rejects it (not registered): the library built the assertion,
            # the module signed it with the store key, and the library checked the signature.
            { Connect-GraphMail -TenantId $tenant -ClientId $app -CertificateThumbprint $copied } |
                Should -Throw -ErrorId 'ClientAssertionRejected,Connect-GraphMail'
        }
        finally {
            $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
            $store.Open('ReadWrite')
            $store.Remove($certificate)
            $store.Close()
        }
    }

    It 'replaces a connection with a new one and keeps it when the new one fails' {
        Connect-GraphMail -TenantId $tenant -ClientId $app -ClientSecret $appSecret
        { Connect-GraphMail -TenantId $tenant -ClientId $app -CertificateThumbprint ('0' * 40) } |
            Should -Throw -ErrorId 'CertificateNotFound,Connect-GraphMail'
        Send-GraphMail -From $from -To $to -Subject 'Still connected'
        (@(Get-GraphMailStoredMessage -Emulator $emulator)[-1]).message.subject | Should -Be 'Still connected'
    }
}
