function Disconnect-GraphMail {
    <#
    .SYNOPSIS
    Ends the connection made by Connect-GraphMail and frees its client.

    .DESCRIPTION
    Disconnect-GraphMail disposes the client kept by Connect-GraphMail (its cached token and its
    connection pool are freed). Later Send-GraphMail and Get-GraphMailToken calls use -Credential
    or the environment variables again. Running it without a connection does nothing. Removing the
    module (Remove-Module GraphMail) disconnects too.

    .EXAMPLE
    Disconnect-GraphMail

    Ends the connection.

    .EXAMPLE
    Connect-GraphMail -TenantId 'contoso.onmicrosoft.com' -Credential $app
    try {
        Send-GraphMail -From 'alerts@contoso.com' -To 'ops@contoso.com' -Subject 'Nightly job' -Body 'Done.'
    }
    finally {
        Disconnect-GraphMail
    }

    Connects for one block of work and always disconnects afterwards.

    .INPUTS
    None

    .OUTPUTS
    None

    .LINK
    Connect-GraphMail
    #>
    [CmdletBinding()]
    param()

    $connection = $script:GraphMailConnection
    $script:GraphMailConnection = $null
    if ($null -eq $connection) {
        $PSCmdlet.WriteVerbose('GraphMail: not connected; nothing to do.')
        return
    }
    $connection.Client.Dispose()
    $PSCmdlet.WriteVerbose('GraphMail: disconnected.')
}
