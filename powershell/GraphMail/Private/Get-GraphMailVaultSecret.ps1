function Get-GraphMailVaultSecret {
    <#
    .SYNOPSIS
    Reads a client secret from a SecretManagement vault (Microsoft.PowerShell.SecretManagement's
    Get-Secret), as a SecureString; a stored PSCredential also gives the application id.

    .DESCRIPTION
    Returns an object with Secret (a SecureString) and UserName (the PSCredential's user name, or
    $null). The secret never becomes a plain string: Get-Secret is called without -AsPlainText.
    Terminating errors: SecretManagementNotInstalled when the module is not available,
    Get-Secret's own error when the secret or vault does not exist, and
    UnsupportedSecretType for a secret that is not a string or a PSCredential.

    .PARAMETER Cmdlet
    The calling command's $PSCmdlet, for its terminating errors.

    .PARAMETER Name
    The secret's name.

    .PARAMETER Vault
    The vault's name, or an empty string for every registered vault.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet] $Cmdlet,

        [Parameter(Mandatory = $true)]
        [string] $Name,

        [AllowNull()]
        [AllowEmptyString()]
        [string] $Vault
    )

    # Module-qualified: loads the module when it is installed, finds nothing when it is not.
    $getSecret = Microsoft.PowerShell.Core\Get-Command -Name 'Microsoft.PowerShell.SecretManagement\Get-Secret' -ErrorAction Ignore
    if ($null -eq $getSecret) {
        $exception = [System.InvalidOperationException]::new(
            '-ClientSecretName reads the secret with the Microsoft.PowerShell.SecretManagement module, which is not installed. ' +
            'Install it and a vault (Install-Module Microsoft.PowerShell.SecretManagement, Microsoft.PowerShell.SecretStore; ' +
            'Register-SecretVault), or give the secret with -ClientSecret or -Credential.')
        $Cmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                $exception, 'SecretManagementNotInstalled', [System.Management.Automation.ErrorCategory]::NotInstalled, $Name))
    }
    $arguments = @{ Name = $Name; ErrorAction = 'Stop' }
    if (-not [string]::IsNullOrEmpty($Vault)) {
        $arguments['Vault'] = $Vault
    }
    try {
        $value = & $getSecret @arguments
    }
    catch {
        $Cmdlet.ThrowTerminatingError($_)
    }
    if ($value -is [System.Security.SecureString]) {
        return [pscustomobject]@{ Secret = $value; UserName = $null }
    }
    if ($value -is [System.Management.Automation.PSCredential]) {
        return [pscustomobject]@{ Secret = $value.Password; UserName = $value.UserName }
    }
    $type = 'nothing'
    if ($null -ne $value) {
        $type = 'a ' + $value.GetType().Name
    }
    $exception = [System.ArgumentException]::new(
        "The secret '$Name' is $type; store the client secret as a string (Set-Secret -Name $Name -Secret (Read-Host -AsSecureString)) or as a PSCredential whose user name is the application id.",
        'ClientSecretName')
    $Cmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
            $exception, 'UnsupportedSecretType', [System.Management.Automation.ErrorCategory]::InvalidType, $Name))
}
