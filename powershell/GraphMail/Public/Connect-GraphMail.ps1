function Connect-GraphMail {
    <#
    .SYNOPSIS
    Connects the GraphMail module to a tenant, for the commands that follow in this session: with a
    client secret, a certificate (Windows certificate store or file), a managed identity, a user's
    device code sign-in or an access token.

    .DESCRIPTION
    Connect-GraphMail creates one GraphMail client, signs in to check the settings and the
    credential, and keeps the client for Send-GraphMail and Get-GraphMailToken in this session:
    later sends reuse its token (refreshed before it expires) and its HTTP/2 connection pool. Use
    it when a script sends many messages. A new Connect-GraphMail replaces the connection;
    Disconnect-GraphMail ends it.

    The credential is one of:

    - a client secret: -ClientSecret (a SecureString), -Credential (application id and secret), or
      -ClientSecretName, read from a SecretManagement vault;
    - a certificate in the Windows certificate store: -CertificateThumbprint (with
      -CertificateStoreLocation). The module signs the sign-in assertion with the certificate's
      key in .NET, so a key marked non-exportable, or kept on a smart card or TPM, works; the key
      never leaves the store;
    - a certificate file: -CertificatePath (PEM with its key, or PFX with -CertificatePassword);
    - the managed identity of the Azure VM, App Service, Functions or Arc server it runs on:
      -ManagedIdentity, with -ClientId, -ObjectId or -ResourceId for a user-assigned identity;
    - a user: -DeviceCode signs in with the device code flow. The command shows "To sign in, use a
      web browser to open the page https://microsoft.com/devicelogin and enter the code ..." and
      waits for the sign-in; mail is then sent as that user (/me/sendMail). With -TokenCachePath
      later sessions sign in without asking, until the refresh token expires;
    - a pre-acquired access token: -AccessToken, used until it expires.

    Without any of them, the credential comes from the environment, as the library reads it:
    AZURE_CLIENT_SECRET, else AZURE_CLIENT_CERTIFICATE_PATH, else AZURE_FEDERATED_TOKEN_FILE, else
    a managed identity. Every other setting not given here is read from the environment too:
    AZURE_TENANT_ID, AZURE_CLIENT_ID, GRAPHMAIL_CLOUD, AZURE_AUTHORITY_HOST,
    GRAPHMAIL_GRAPH_ENDPOINT, GRAPHMAIL_CA_FILE, GRAPHMAIL_PROXY and GRAPHMAIL_TIMEOUT_SECONDS. So
    Connect-GraphMail without parameters connects with the environment's application.

    Secrets (client secret, PFX password, access token) are passed to the library as SecureStrings
    and never become plain strings in PowerShell. An application needs the Mail.Send application
    permission on Microsoft Graph, with admin consent; a device code sign-in needs the delegated
    Mail.Send permission.

    Failures stop the command (terminating errors) with GraphMail's error code as ErrorId, for
    example MissingSetting, InvalidClientSecret, CertificateNotFound, ClientAssertionRejected,
    ManagedIdentityUnavailable or DeviceCodeExpired, and a message that says what to fix; the
    previous connection, if any, is kept.

    .PARAMETER TenantId
    The directory (tenant) id (a GUID) or a verified domain such as contoso.onmicrosoft.com.
    Defaults to AZURE_TENANT_ID.

    .PARAMETER ClientId
    The application (client) id of the app registration. Defaults to AZURE_CLIENT_ID. With
    -DeviceCode, a public client application ("Allow public client flows"). With
    -ManagedIdentity, the client id of a user-assigned managed identity.

    .PARAMETER ClientSecret
    The client secret's Value (not its Secret ID), as a SecureString, for example from
    Read-Host -AsSecureString. Defaults to AZURE_CLIENT_SECRET.

    .PARAMETER Credential
    The application id as user name and the client secret as password, instead of -ClientId and
    -ClientSecret.

    .PARAMETER ClientSecretName
    The name of a secret in a SecretManagement vault (Microsoft.PowerShell.SecretManagement, with
    a vault such as SecretStore or Azure Key Vault) that holds the client secret: a string, or a
    PSCredential whose user name is the application id.

    .PARAMETER Vault
    The SecretManagement vault that holds -ClientSecretName; by default every registered vault is
    searched.

    .PARAMETER CertificateThumbprint
    The thumbprint of a certificate in the My (Personal) store, with its private key, that is
    registered on the application (Certificates & secrets). Spaces and the invisible character
    that certmgr.msc copies are ignored. Windows; on other systems, the .NET certificate store.

    .PARAMETER CertificateStoreLocation
    The store of -CertificateThumbprint: CurrentUser (the default: Cert:\CurrentUser\My) or
    LocalMachine (Cert:\LocalMachine\My; the account needs permission to the key).

    .PARAMETER CertificatePath
    A certificate file registered on the application, with its private key: PEM (certificate and
    unencrypted key) or PFX/PKCS#12. Relative paths resolve against the current PowerShell
    location.

    .PARAMETER CertificatePassword
    The password of the -CertificatePath PFX file, as a SecureString.

    .PARAMETER SendCertificateChain
    Sends the certificate chain (x5c) with the sign-in, for subject name and issuer
    authentication.

    .PARAMETER ManagedIdentity
    Signs in as the managed identity of the Azure resource this runs on: system-assigned, or
    user-assigned with -ClientId, -ObjectId or -ResourceId.

    .PARAMETER ObjectId
    The object (principal) id of a user-assigned managed identity.

    .PARAMETER ResourceId
    The Azure resource id of a user-assigned managed identity
    (/subscriptions/.../providers/Microsoft.ManagedIdentity/userAssignedIdentities/...).

    .PARAMETER DeviceCode
    Signs in as a user with the device code flow: the command shows where to enter which code and
    waits until the user has signed in (or the code expires).

    .PARAMETER Scopes
    The delegated scopes of -DeviceCode (default: Mail.Send and offline_access on the cloud's
    Graph).

    .PARAMETER TokenCachePath
    A file that keeps the -DeviceCode refresh token between sessions (created readable only by
    the user), so that later connections do not ask again. Relative paths resolve against the
    current PowerShell location.

    .PARAMETER AccessToken
    A Microsoft Graph access token acquired elsewhere, as a SecureString; used until it expires.
    -TenantId and -ClientId are then not needed.

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
    Returns the connection's settings (never a secret nor a token).

    .EXAMPLE
    Connect-GraphMail -TenantId 'contoso.onmicrosoft.com' -ClientId '3c9e2d41-7b8a-4f60-9e15-a2b3c4d5e6f7' -ClientSecret (Read-Host -AsSecureString -Prompt 'Client secret')
    Send-GraphMail -From 'alerts@contoso.com' -To 'ops@contoso.com' -Subject 'Hello'

    Connects with an application id and a secret typed at the prompt, then sends.

    .EXAMPLE
    Connect-GraphMail -TenantId 'contoso.onmicrosoft.com' -ClientId '3c9e2d41-7b8a-4f60-9e15-a2b3c4d5e6f7' -CertificateThumbprint 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678'

    Connects with a certificate of Cert:\CurrentUser\My registered on the application. Its key
    signs in .NET, so it may be non-exportable (Import-PfxCertificate without -Exportable).

    .EXAMPLE
    Connect-GraphMail -TenantId 'contoso.onmicrosoft.com' -ClientId '3c9e2d41-7b8a-4f60-9e15-a2b3c4d5e6f7' -CertificateThumbprint 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678' -CertificateStoreLocation LocalMachine

    A scheduled task running as a service account, with the certificate in the computer's store
    (grant the account read access to the key: certlm.msc, All Tasks > Manage Private Keys).

    .EXAMPLE
    Connect-GraphMail -TenantId 'contoso.onmicrosoft.com' -ClientId '3c9e2d41-7b8a-4f60-9e15-a2b3c4d5e6f7' -CertificatePath ./graphmail.pfx -CertificatePassword (Read-Host -AsSecureString -Prompt 'PFX password')

    Connects with a certificate file.

    .EXAMPLE
    Connect-GraphMail -TenantId 'contoso.onmicrosoft.com' -ClientId '3c9e2d41-7b8a-4f60-9e15-a2b3c4d5e6f7' -ClientSecretName 'GraphMailSecret' -Vault 'SecretStore'

    Reads the client secret from a SecretManagement vault (Install-Module
    Microsoft.PowerShell.SecretManagement, Microsoft.PowerShell.SecretStore; Set-Secret -Name
    GraphMailSecret -Vault SecretStore).

    .EXAMPLE
    Connect-GraphMail -ManagedIdentity
    Send-GraphMail -From 'alerts@contoso.com' -To 'ops@contoso.com' -Subject 'From Azure'

    On an Azure VM, App Service, Functions or Arc server: signs in as its system-assigned managed
    identity (grant the identity Mail.Send). Add -ClientId '<client id>' for a user-assigned one.

    .EXAMPLE
    Connect-GraphMail -TenantId 'contoso.onmicrosoft.com' -ClientId '9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' -DeviceCode -TokenCachePath "$env:LOCALAPPDATA\graphmail-token.json"

    Shows "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and
    enter the code ..." and waits; mail is then sent as the user who signed in. Later sessions
    with the same -TokenCachePath sign in without asking.

    .EXAMPLE
    Connect-GraphMail -AccessToken (Get-Secret -Name GraphToken)

    Uses an access token acquired elsewhere (as a SecureString) until it expires.

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

    Connects with the application and credential in the environment (AZURE_TENANT_ID,
    AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or the other variables above) and checks them by
    signing in.

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
        [Parameter(ParameterSetName = 'ClientSecretName')]
        [Parameter(ParameterSetName = 'CertificateThumbprint')]
        [Parameter(ParameterSetName = 'CertificatePath')]
        [Parameter(ParameterSetName = 'ManagedIdentity')]
        [Parameter(ParameterSetName = 'DeviceCode')]
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

        [Parameter(ParameterSetName = 'ClientSecretName', Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $ClientSecretName,

        [Parameter(ParameterSetName = 'ClientSecretName')]
        [ValidateNotNullOrEmpty()]
        [string]
        $Vault,

        [Parameter(ParameterSetName = 'CertificateThumbprint', Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $CertificateThumbprint,

        [Parameter(ParameterSetName = 'CertificateThumbprint')]
        [ValidateSet('CurrentUser', 'LocalMachine')]
        [string]
        $CertificateStoreLocation = 'CurrentUser',

        [Parameter(ParameterSetName = 'CertificatePath', Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $CertificatePath,

        [Parameter(ParameterSetName = 'CertificatePath')]
        [ValidateNotNull()]
        [System.Security.SecureString]
        $CertificatePassword,

        [Parameter(ParameterSetName = 'CertificateThumbprint')]
        [Parameter(ParameterSetName = 'CertificatePath')]
        [switch]
        $SendCertificateChain,

        [Parameter(ParameterSetName = 'ManagedIdentity', Mandatory = $true)]
        [switch]
        $ManagedIdentity,

        [Parameter(ParameterSetName = 'ManagedIdentity')]
        [ValidateNotNullOrEmpty()]
        [string]
        $ObjectId,

        [Parameter(ParameterSetName = 'ManagedIdentity')]
        [ValidateNotNullOrEmpty()]
        [string]
        $ResourceId,

        [Parameter(ParameterSetName = 'DeviceCode', Mandatory = $true)]
        [switch]
        $DeviceCode,

        [Parameter(ParameterSetName = 'DeviceCode')]
        [ValidateNotNullOrEmpty()]
        [string[]]
        $Scopes,

        [Parameter(ParameterSetName = 'DeviceCode')]
        [ValidateNotNullOrEmpty()]
        [string]
        $TokenCachePath,

        [Parameter(ParameterSetName = 'AccessToken', Mandatory = $true)]
        [ValidateNotNull()]
        [System.Security.SecureString]
        $AccessToken,

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

    # The parameters as GraphMail.GraphMailConnectOptions: the C# interop maps them to the
    # library's configuration (GraphMail.Credentials.cs); the environment's settings fill the rest.
    $options = [GraphMail.GraphMailConnectOptions]::new()
    $options.Defaults = Get-GraphMailEnvironmentConfig
    $options.DeviceCodePrompt = 'none' # this command shows the instructions itself
    try {
        # Paths against the caller's current PowerShell location, not the process directory.
        foreach ($name in 'CaCertificatePath', 'CertificatePath', 'TokenCachePath') {
            if ($PSBoundParameters.ContainsKey($name)) {
                $options.$name = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($PSBoundParameters[$name])
            }
        }
    }
    catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
    foreach ($name in 'TenantId', 'ClientId', 'ClientSecret', 'CertificateThumbprint', 'CertificateStoreLocation',
        'CertificatePassword', 'Scopes', 'AccessToken', 'Cloud', 'AuthorityHost', 'GraphEndpoint', 'Proxy', 'TimeoutSeconds') {
        if ($PSBoundParameters.ContainsKey($name)) {
            $options.$name = $PSBoundParameters[$name]
        }
    }
    foreach ($name in 'SendCertificateChain', 'ManagedIdentity', 'DeviceCode') {
        if ($PSBoundParameters.ContainsKey($name)) {
            $options.$name = $PSBoundParameters[$name].IsPresent
        }
    }
    if ($PSBoundParameters.ContainsKey('ObjectId')) {
        $options.ManagedIdentityObjectId = $ObjectId
    }
    if ($PSBoundParameters.ContainsKey('ResourceId')) {
        $options.ManagedIdentityResourceId = $ResourceId
    }
    if ($PSCmdlet.ParameterSetName -eq 'Credential') {
        $options.ClientId = $Credential.UserName
        $options.ClientSecret = $Credential.Password
    }
    elseif ($PSCmdlet.ParameterSetName -eq 'ClientSecretName') {
        $secret = Get-GraphMailVaultSecret -Cmdlet $PSCmdlet -Name $ClientSecretName -Vault $Vault
        $options.ClientSecret = $secret.Secret
        if (-not $PSBoundParameters.ContainsKey('ClientId') -and -not [string]::IsNullOrEmpty($secret.UserName)) {
            $options.ClientId = $secret.UserName
        }
    }

    $client = $null
    try {
        $client = [GraphMail.GraphMailClient]::CreateFromOptions($options)
        # Checks the settings and the credential now rather than at the first send (and signs a
        # -DeviceCode user in, showing the instructions); the token is cached in the client for
        # the sends that follow, and not kept here.
        $signedIn = Wait-GraphMailSignIn -Client $client -Activity 'Connect-GraphMail'
        $tokenExpiresOn = (ConvertFrom-GraphMailTokenJson -Json $signedIn).ExpiresOn
    }
    catch [System.Management.Automation.PipelineStoppedException] {
        # Ctrl+C while waiting for a device code sign-in: not a failure of the credential.
        if ($null -ne $client) {
            $client.Dispose()
        }
        throw
    }
    catch {
        if ($null -ne $client) {
            $client.Dispose()
        }
        $PSCmdlet.ThrowTerminatingError((ConvertTo-GraphMailErrorRecord -ErrorRecord $_ -TargetObject $options.CredentialName))
    }
    # Kept for clients made later with -Credential: the settings without any credential.
    $config = $options.GetSettings()

    $connection = [pscustomobject]@{
        PSTypeName        = 'GraphMail.Connection'
        TenantId          = $config['tenantId']
        ClientId          = $config['clientId']
        Credential        = $options.CredentialName
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
    $PSCmdlet.WriteVerbose("GraphMail: connected ($($options.CredentialName)); Send-GraphMail and Get-GraphMailToken use this connection until Disconnect-GraphMail.")
    if ($PassThru) {
        $connection
    }
}
