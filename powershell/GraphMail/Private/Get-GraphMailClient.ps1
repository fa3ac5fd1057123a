function Get-GraphMailClient {
    <#
    .SYNOPSIS
    Picks the GraphMail client for one command: a new one for -Credential, else the
    Connect-GraphMail connection, else a new one from the environment.

    .DESCRIPTION
    Returns an object with Client (a GraphMail.GraphMailClient) and Owned: when Owned is true the
    caller created the client for this call only and must dispose it; the connection's client is
    never disposed here.

    - Credential: the user name is the application (client) id and the password the client
      secret (passed as a SecureString, never a managed string). The tenant is -TenantId, else the
      connection's, else AZURE_TENANT_ID; every other setting comes from the connection when there
      is one, else from the environment.
    - Connection: used as it is. A -TenantId that differs from the connection's tenant is refused
      rather than silently ignored.
    - Environment: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and the other variables
      the library reads, as PowerShell sees them (Get-GraphMailEnvironmentConfig); -TenantId
      replaces AZURE_TENANT_ID.

    .PARAMETER Credential
    The application id (user name) and client secret (password), or $null.

    .PARAMETER TenantId
    The directory (tenant) id or domain, or an empty string.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [AllowNull()]
        [System.Management.Automation.PSCredential] $Credential,

        [AllowNull()]
        [AllowEmptyString()]
        [string] $TenantId
    )

    $connection = $script:GraphMailConnection
    $hasTenant = -not [string]::IsNullOrEmpty($TenantId)

    if ($null -ne $Credential -and $Credential -ne [System.Management.Automation.PSCredential]::Empty) {
        # The connection's settings (kept without a secret), else the environment's.
        $config = [ordered]@{}
        if ($null -ne $connection) {
            foreach ($entry in $connection.Config.GetEnumerator()) {
                $config[$entry.Key] = $entry.Value
            }
        }
        else {
            $config = Get-GraphMailEnvironmentConfig -WithoutSecret
        }
        $config['useEnvironment'] = $true
        $config['clientId'] = $Credential.UserName
        if ($hasTenant) {
            $config['tenantId'] = $TenantId
        }
        $client = [GraphMail.GraphMailClient]::Create((ConvertTo-GraphMailJson -InputObject $config), $Credential.Password)
        return [pscustomobject]@{ Client = $client; Owned = $true }
    }

    if ($null -ne $connection) {
        if ($hasTenant -and -not [string]::Equals($TenantId, [string]$connection.TenantId, [System.StringComparison]::OrdinalIgnoreCase)) {
            $connected = 'the tenant from AZURE_TENANT_ID'
            if (-not [string]::IsNullOrEmpty($connection.TenantId)) {
                $connected = "tenant '$($connection.TenantId)'"
            }
            $message = "-TenantId '$TenantId' differs from the Connect-GraphMail connection, which uses $connected. " +
                'Run Connect-GraphMail -TenantId to change the connection, add -Credential to send as another application, or run Disconnect-GraphMail.'
            $exception = [System.ArgumentException]::new($message, 'TenantId')
            $record = [System.Management.Automation.ErrorRecord]::new($exception, 'TenantIdConflict', [System.Management.Automation.ErrorCategory]::InvalidArgument, $TenantId)
            $PSCmdlet.ThrowTerminatingError($record)
        }
        return [pscustomobject]@{ Client = $connection.Client; Owned = $false }
    }

    $config = Get-GraphMailEnvironmentConfig
    if ($hasTenant) {
        $config['tenantId'] = $TenantId
    }
    $client = [GraphMail.GraphMailClient]::Create((ConvertTo-GraphMailJson -InputObject $config))
    return [pscustomobject]@{ Client = $client; Owned = $true }
}
