function Wait-GraphMailSignIn {
    <#
    .SYNOPSIS
    Signs a client in (GraphMailClient.StartSignIn) and waits for it on this thread, showing the
    device code instructions once and a progress bar; returns the result JSON
    ({"status":"signedIn","tokenType","expiresOn","expiresOnUnix"}, never the token).

    .DESCRIPTION
    The library signs in on its own thread; this thread polls it every 250 ms, so the device code
    message is written here (Write-Host: the information stream, shown on the console and
    captured with 6>) and Ctrl+C stops the wait at once: the finally block cancels the sign-in
    and frees it. A failed sign-in throws the GraphMailException (InvalidClientSecret,
    SignerFailed, DeviceCodeExpired, ...).

    .PARAMETER Client
    The GraphMail.GraphMailClient to sign in.

    .PARAMETER Activity
    The Write-Progress activity: the calling command's name.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [object] $Client,

        [Parameter(Mandatory = $true)]
        [string] $Activity
    )

    $signIn = $Client.StartSignIn()
    try {
        $status = 'Signing in'
        $resultJson = $null
        while (-not $signIn.Wait(250, [ref]$resultJson)) {
            $prompt = $signIn.TakeSignInPrompt()
            if ($null -ne $prompt) {
                # Once per code: the user has to read it, and act on it, before the sign-in goes on.
                Microsoft.PowerShell.Utility\Write-Host $prompt.Message
                $status = 'Waiting for the sign-in with code {0} at {1}' -f $prompt.UserCode, $prompt.VerificationUri
            }
            Microsoft.PowerShell.Utility\Write-Progress -Activity $Activity -Status $status
        }
        return $resultJson
    }
    finally {
        try {
            if (-not $signIn.Progress().Done) {
                # Stopped (Ctrl+C): stop polling the identity platform, and wait briefly for it.
                $signIn.Cancel()
                $cancelled = $null
                [void]$signIn.Wait(5000, [ref]$cancelled)
            }
        }
        catch {
            # Wait reports the cancel as a Cancelled error: expected, the command is stopping.
            [void]$_
        }
        finally {
            $signIn.Dispose()
            Microsoft.PowerShell.Utility\Write-Progress -Activity $Activity -Completed
        }
    }
}
