function Connect-GraphMail {
    <#
    .SYNOPSIS
    Connects the GraphMail module to a tenant with an application (client) id and client secret,
    for the commands that follow in this session.

    .DESCRIPTION
    Connect-GraphMail creates one GraphMail client, gets an access token to check the settings
    and the secret, and keeps the client for Send-GraphMail and Get-GraphMailToken in this session:
    later sends reuse its token (refreshed before it expires) and its HTTP/2 connection pool. Use
    it when a script sends many messages. A new Connect-GraphMail replaces the connection;
    Disconnect-GraphMail ends it.

    Every setting not given here is read from the environment, as the library does:
    AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, GRAPHMAIL_CLOUD, AZURE_AUTHORITY_HOST,
    GRAPHMAIL_GRAPH_ENDPOINT, GRAPHMAIL_CA_FILE, GRAPHMAIL_PROXY and GRAPHMAIL_TIMEOUT_SECONDS. So
    Connect-GraphMail without parameters connects with the environment's application.

    The client secret is passed to the library as a SecureString and never becomes a plain string
    in PowerShell. The application needs the Mail.Send application permission on Microsoft Graph,
    with admin consent.

    Failures stop the command (terminating errors) with GraphMail's error code as ErrorId, for
    example MissingSetting, InvalidClientSecret or UnknownCloud, and a message that says what to
    fix; the previous connection, if any, is kept.

    .PARAMETER TenantId
    The directory (tenant) id (a GUID) or a verified domain such as contoso.onmicrosoft.com.
    Defaults to AZURE_TENANT_ID.

    .PARAMETER ClientId
    The application (client) id of the app registration. Defaults to AZURE_CLIENT_ID.

    .PARAMETER ClientSecret
    The client secret's Value (not its Secret ID), as a SecureString, for example from
    Read-Host -AsSecureString or a secret vault. Defaults to AZURE_CLIENT_SECRET.

    .PARAMETER Credential
    The application id as user name and the client secret as password, instead of -ClientId and
    -ClientSecret.

    .PARAMETER Cloud
    The national cloud: Global (the default), USGov, USGovDoD or China. Picks the sign-in host,
    the Graph host and the token scope together.

    .PARAMETER AuthorityHost
    A sign-in host to use instead of the cloud's (https:// only), for example the local GraphMail
    emulator's URL.

    .PARAMETER GraphEndpoint
    A Graph service root to use instead of the cloud's (https:// only), for example the local
    GraphMail emulator's URL.

    .PARAMETER CaCertificatePath
    A PEM file of extra certificate authorities to trust (a TLS-inspecting proxy, the local
    emulator's ca.pem), added to the system and Mozilla roots; certificate validation is never
    turned off. Relative paths resolve against the current PowerShell location.

    .PARAMETER Proxy
    The proxy: a URL (http://[user:pass@]host:port), "system" for the operating system's settings
    or "none". Defaults to GRAPHMAIL_PROXY, then HTTPS_PROXY/HTTP_PROXY/NO_PROXY and the operating
    system's settings.

    .PARAMETER TimeoutSeconds
    The timeout of each HTTP request, in seconds (default 60).

    .PARAMETER PassThru
    Returns the connection's settings (never the secret nor a token).

    .EXAMPLE
    Connect-GraphMail -TenantId 'contoso.onmicrosoft.com' -ClientId '3c9e2d41-7b8a-4f60-9e15-a2b3c4d5e6f7' -ClientSecret (Read-Host -AsSecureString -Prompt 'Client secret')
    Send-GraphMail -From 'alerts@contoso.com' -To 'ops@contoso.com' -Subject 'Hello'

    Connects with an application id and a secret typed at the prompt, then sends.

    .EXAMPLE
    Connect-GraphMail -Credential (Import-Clixml -Path "$env:LOCALAPPDATA\graphmail-app.xml")
    Get-Content .\recipients.txt | ForEach-Object {
        Send-GraphMail -From 'news@contoso.com' -To $_ -Subject 'Newsletter' -Body 'Hello'
    }
    Disconnect-GraphMail

    Connects with a PSCredential saved with Export-Clixml (protected with DPAPI for this user on
    this computer) and sends many messages with one token and one connection pool.

    .EXAMPLE
    Connect-GraphMail

    Connects with the application in AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET and
    checks it by getting a token.

    .EXAMPLE
    Connect-GraphMail -AuthorityHost 'https://127.0.0.1:8443' -GraphEndpoint 'https://127.0.0.1:8443' -CaCertificatePath ./emulator/ca.pem -PassThru

    Connects to the local GraphMail emulator (graphmail emulator --data-dir ./emulator), with the
    tenant, client id and secret from the environment lines it prints.

    .INPUTS
    None

    .OUTPUTS
    None, or a GraphMail.Connection object with -PassThru.

    .LINK
    Disconnect-GraphMail

    .LINK
    Send-GraphMail

    .LINK
    Get-GraphMailToken
    #>
    [CmdletBinding(DefaultParameterSetName = 'ClientSecret')]
    [OutputType('GraphMail.Connection')]
    param(
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string]
        $TenantId,

        [Parameter(ParameterSetName = 'ClientSecret', Position = 1)]
        [ValidateNotNullOrEmpty()]
        [string]
        $ClientId,

        [Parameter(ParameterSetName = 'ClientSecret')]
        [ValidateNotNull()]
        [System.Security.SecureString]
        $ClientSecret,

        [Parameter(ParameterSetName = 'Credential', Mandatory = $true)]
        [System.Management.Automation.PSCredential]
        [System.Management.Automation.Credential()]
        $Credential,

        [ValidateSet('Global', 'USGov', 'USGovDoD', 'China')]
        [string]
        $Cloud,

        [ValidateNotNullOrEmpty()]
        [string]
        $AuthorityHost,

        [ValidateNotNullOrEmpty()]
        [string]
        $GraphEndpoint,

        [ValidateNotNullOrEmpty()]
        [string]
        $CaCertificatePath,

        [ValidateNotNullOrEmpty()]
        [string]
        $Proxy,

        [int]
        $TimeoutSeconds,

        [switch]
        $PassThru
    )

    # The environment's settings (as PowerShell sees them), overridden by the parameters given.
    $config = Get-GraphMailEnvironmentConfig
    $secret = $null
    if ($PSBoundParameters.ContainsKey('TenantId')) {
        $config['tenantId'] = $TenantId
    }
    if ($PSCmdlet.ParameterSetName -eq 'Credential') {
        $config['clientId'] = $Credential.UserName
        $secret = $Credential.Password
    }
    else {
        if ($PSBoundParameters.ContainsKey('ClientId')) {
            $config['clientId'] = $ClientId
        }
        $secret = $ClientSecret
    }
    if ($PSBoundParameters.ContainsKey('Cloud')) {
        $config['cloud'] = $Cloud
    }
    if ($PSBoundParameters.ContainsKey('AuthorityHost')) {
        $config['authorityHost'] = $AuthorityHost
    }
    if ($PSBoundParameters.ContainsKey('GraphEndpoint')) {
        $config['graphEndpoint'] = $GraphEndpoint
    }
    if ($PSBoundParameters.ContainsKey('CaCertificatePath')) {
        try {
            # Against the caller's current PowerShell location, not the process directory.
            $config['caCertificatePath'] = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($CaCertificatePath)
        }
        catch {
            $PSCmdlet.ThrowTerminatingError($_)
        }
    }
    if ($PSBoundParameters.ContainsKey('Proxy')) {
        $config['proxy'] = $Proxy
    }
    if ($PSBoundParameters.ContainsKey('TimeoutSeconds')) {
        $config['timeoutSeconds'] = $TimeoutSeconds
    }

    $client = $null
    try {
        if ($null -ne $secret) {
            $config.Remove('clientSecret')
            $client = [GraphMail.GraphMailClient]::Create((ConvertTo-GraphMailJson -InputObject $config), $secret)
        }
        else {
            $client = [GraphMail.GraphMailClient]::Create((ConvertTo-GraphMailJson -InputObject $config))
        }
        # Checks the settings and the secret now rather than at the first send; the token is
        # cached in the client for the sends that follow, and not kept here.
        $tokenExpiresOn = (ConvertFrom-GraphMailTokenJson -Json ($client.AcquireTokenJson())).ExpiresOn
    }
    catch {
        if ($null -ne $client) {
            $client.Dispose()
        }
        $PSCmdlet.ThrowTerminatingError((ConvertTo-GraphMailErrorRecord -ErrorRecord $_))
    }
    # Kept for clients made later with -Credential: never the secret.
    $config.Remove('clientSecret')

    $connection = [pscustomobject]@{
        PSTypeName        = 'GraphMail.Connection'
        TenantId          = $config['tenantId']
        ClientId          = $config['clientId']
        Cloud             = $config['cloud']
        AuthorityHost     = $config['authorityHost']
        GraphEndpoint     = $config['graphEndpoint']
        CaCertificatePath = $config['caCertificatePath']
        Proxy             = $config['proxy']
        TokenExpiresOn    = $tokenExpiresOn
    }
    $previous = $script:GraphMailConnection
    $script:GraphMailConnection = [pscustomobject]@{
        Client   = $client
        Config   = $config
        TenantId = [string]$config['tenantId']
    }
    if ($null -ne $previous) {
        $previous.Client.Dispose()
    }
    $PSCmdlet.WriteVerbose('GraphMail: connected; Send-GraphMail and Get-GraphMailToken use this connection until Disconnect-GraphMail.')
    if ($PassThru) {
        $connection
    }
}
