function ConvertFrom-GraphMailTokenJson {
    <#
    .SYNOPSIS
    Turns the library's token JSON into a GraphMail.AccessToken object: AccessToken, TokenType and
    ExpiresOn (a DateTimeOffset in UTC).

    .DESCRIPTION
    ExpiresOn comes from expiresOnUnix, not from the expiresOn text: PowerShell 7's ConvertFrom-Json
    turns date strings into DateTime values and Windows PowerShell 5.1's does not, so the number
    gives the same result on both.

    .PARAMETER Json
    The JSON returned by GraphMailClient.AcquireTokenJson():
    {"accessToken","expiresOn","expiresOnUnix","tokenType"}.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Json
    )

    $token = Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject $Json
    $epoch = [System.DateTimeOffset]::new(1970, 1, 1, 0, 0, 0, [System.TimeSpan]::Zero)
    return [pscustomobject]@{
        PSTypeName  = 'GraphMail.AccessToken'
        TokenType   = [string]$token.tokenType
        ExpiresOn   = $epoch.AddSeconds([double]$token.expiresOnUnix)
        AccessToken = [string]$token.accessToken
    }
}
