function Get-GraphMailToken {
    <#
    .SYNOPSIS
    Gets a Microsoft Graph access token for the GraphMail application, for Invoke-RestMethod and
    other Graph calls.

    .DESCRIPTION
    Get-GraphMailToken returns an object with AccessToken (the bearer token), TokenType (Bearer)
    and ExpiresOn (a DateTimeOffset, UTC). The token is app-only, for the Graph of the configured
    cloud, with the permissions granted to the application (for example Mail.Send).

    The application is chosen as Send-GraphMail chooses it: -Credential, else the
    Connect-GraphMail connection (whose token is cached and reused until 5 minutes before it
    expires; with Connect-GraphMail -DeviceCode, a delegated token of the signed-in user), else
    the environment variables AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET.

    AccessToken is a secret: anyone who has it can call Graph as the application until ExpiresOn.
    Do not write it to logs, transcripts or files, and do not leave the object on the screen.

    A failure stops the command (a terminating error) with GraphMail's error code as ErrorId, for
    example InvalidClientSecret or MissingSetting, and a message that says what to fix.

    .PARAMETER Credential
    The application id as user name and the client secret as password. Without it, the
    Connect-GraphMail connection or the environment variables are used.

    .PARAMETER TenantId
    The directory (tenant) id or domain for -Credential or the environment, instead of
    AZURE_TENANT_ID.

    .EXAMPLE
    $token = Get-GraphMailToken
    $headers = @{ Authorization = "$($token.TokenType) $($token.AccessToken)" }
    Invoke-RestMethod -Uri 'https://graph.microsoft.com/v1.0/users/alerts@contoso.com/mailFolders/SentItems/messages?$top=5' -Headers $headers

    Gets a token from the environment's application and lists the last messages in a mailbox's
    Sent Items (the application needs Mail.Read for that).

    .EXAMPLE
    (Get-GraphMailToken).ExpiresOn

    Shows when the current token expires.

    .INPUTS
    None

    .OUTPUTS
    GraphMail.AccessToken

    .LINK
    Connect-GraphMail

    .LINK
    Send-GraphMail
    #>
    [CmdletBinding()]
    [OutputType('GraphMail.AccessToken')]
    param(
        [System.Management.Automation.PSCredential]
        [System.Management.Automation.Credential()]
        $Credential,

        [ValidateNotNullOrEmpty()]
        [string]
        $TenantId
    )

    $lease = $null
    try {
        $lease = Get-GraphMailClient -Credential $Credential -TenantId $TenantId
        if (-not $lease.Owned) {
            # The connection may be a -DeviceCode user whose refresh token has expired: sign in
            # first, showing the instructions, rather than block silently in AcquireTokenJson.
            [void](Wait-GraphMailSignIn -Client $lease.Client -Activity 'Get-GraphMailToken')
        }
        ConvertFrom-GraphMailTokenJson -Json ($lease.Client.AcquireTokenJson())
    }
    catch {
        $PSCmdlet.ThrowTerminatingError((ConvertTo-GraphMailErrorRecord -ErrorRecord $_))
    }
    finally {
        if ($null -ne $lease -and $lease.Owned) {
            $lease.Client.Dispose()
        }
    }
}
