# Secrets written in the script (reported, never printed), and names that only look like them.
$AppSecret = 'kX8~Q.abcdefghijklmnopqrstuvwx'
$env:AZURE_CLIENT_SECRET = "c2VjcmV0LXZhbHVl"
[string] $SmtpPassword = 'Summer2024!'
$securePassword = ConvertTo-SecureString -String 'P@ssw0rd1' -AsPlainText -Force
$fromPipeline = 'Pipe-Secret-1' | ConvertTo-SecureString -AsPlainText -Force
$cred = New-Object System.Management.Automation.PSCredential('svc-mail', (ConvertTo-SecureString 'Hunter2!' -AsPlainText -Force))
$api = @{ Uri = 'https://api.contoso.com'; ApiKey = 'abc123def456' }
Connect-Something -ClientSecret 'literal-secret-value' -TenantId 'contoso.onmicrosoft.com'

# Not secrets: empty values, computed values, names of files and vault entries, $PWD.
$Password = ''
$PasswordFile = 'C:\secure\password.txt'
$SecretName = 'SmtpRelay'
$ClientSecretId = '3c9e2d41-7b8a-4f60-9e15-a2b3c4d5e6f7'
$PassThru = 'yes'
$Token = $response.access_token
$apiKey = Get-Secret -Name 'ApiKey' -AsPlainText
$prompted = Read-Host -Prompt 'Password' -AsSecureString
$fromVariable = ConvertTo-SecureString $plain -AsPlainText -Force
Set-Location $PWD
