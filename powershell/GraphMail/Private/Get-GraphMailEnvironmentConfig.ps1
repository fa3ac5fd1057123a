function Get-GraphMailEnvironmentConfig {
    <#
    .SYNOPSIS
    Returns a configuration with useEnvironment = $true plus the GraphMail environment variables
    as PowerShell sees them, as configuration keys.

    .DESCRIPTION
    On Linux and macOS, .NET keeps its own copy of the environment: a variable set in the session
    ($env:AZURE_TENANT_ID = ...) is not seen by the native library, which reads the process
    environment. So the module passes the documented variables itself, as the keys they stand for
    (README.md "Configuration"); useEnvironment = $true still lets the library read anything not
    given. On Windows both see the same environment and this changes nothing.

    .PARAMETER WithoutSecret
    Leaves out AZURE_CLIENT_SECRET, for a configuration whose secret is passed as a SecureString
    or must not be kept.
    #>
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param(
        [switch] $WithoutSecret
    )

    $variables = [ordered]@{
        tenantId          = 'AZURE_TENANT_ID'
        clientId          = 'AZURE_CLIENT_ID'
        clientSecret      = 'AZURE_CLIENT_SECRET'
        cloud             = 'GRAPHMAIL_CLOUD'
        authorityHost     = 'AZURE_AUTHORITY_HOST'
        graphEndpoint     = 'GRAPHMAIL_GRAPH_ENDPOINT'
        caCertificatePath = 'GRAPHMAIL_CA_FILE'
        proxy             = 'GRAPHMAIL_PROXY'
        timeoutSeconds    = 'GRAPHMAIL_TIMEOUT_SECONDS'
    }
    $config = [ordered]@{ useEnvironment = $true }
    foreach ($entry in $variables.GetEnumerator()) {
        if ($WithoutSecret -and $entry.Key -eq 'clientSecret') {
            continue
        }
        $value = [System.Environment]::GetEnvironmentVariable($entry.Value)
        if ([string]::IsNullOrEmpty($value)) {
            continue
        }
        $number = 0
        if ($entry.Key -eq 'timeoutSeconds' -and [int]::TryParse($value, [ref]$number)) {
            $config[$entry.Key] = $number
        }
        else {
            $config[$entry.Key] = $value
        }
    }
    return $config
}
