function Get-GraphMailMessageField {
    <#
    .SYNOPSIS
    The fields of one Send-GraphMailBatch message: the command's defaults, overridden by the
    input's properties (or keys) of the same names.

    .DESCRIPTION
    The fields are Send-GraphMail's message parameter names (matched without regard to case): From, To, Cc, Bcc, ReplyTo, Subject,
    Body, BodyAsHtml, Attachments, InlineAttachments, Priority, DeliveryNotificationOption,
    Headers and SaveToSentItems. The input is a dictionary (a hashtable: its keys) or any object
    (its properties, as Import-Csv and ConvertFrom-Json give): a field it has overrides the
    default, unless its value is $null or an empty string (an empty CSV cell). Other keys and
    properties are ignored. A string input is the recipients (To), so that piped addresses become
    one message each ($null counts as an empty string). Values are passed on unconverted: ConvertTo-GraphMailMessage maps them and
    the library checks them.

    .PARAMETER Default
    The parameters bound on the command (its $PSBoundParameters); only the message fields are read.

    .PARAMETER InputObject
    One input of the pipeline.
    #>
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Collections.IDictionary] $Default,

        [AllowNull()]
        [object] $InputObject
    )

    $names = @(
        'From', 'To', 'Cc', 'Bcc', 'ReplyTo', 'Subject', 'Body', 'BodyAsHtml', 'Attachments',
        'InlineAttachments', 'Priority', 'DeliveryNotificationOption', 'Headers', 'SaveToSentItems'
    )
    # Through GetEnumerator into hashtables (case-insensitive keys): $PSBoundParameters and
    # Dictionary[string, object] have no public Contains, an OrderedDictionary no ContainsKey.
    $defaults = @{}
    foreach ($entry in $Default.GetEnumerator()) {
        $defaults[[string]$entry.Key] = $entry.Value
    }
    $fields = [ordered]@{}
    foreach ($name in $names) {
        if ($defaults.ContainsKey($name)) {
            $fields[$name] = $defaults[$name]
        }
    }
    if ($null -eq $InputObject -or $InputObject -is [string]) {
        # Always, even when empty: a blank line (or $null) fails as a message without a recipient
        # instead of silently sending the default -To once more.
        $fields['To'] = [string]$InputObject
        return $fields
    }
    $keys = $null
    if ($InputObject -is [System.Collections.IDictionary]) {
        $keys = @{}
        foreach ($entry in $InputObject.GetEnumerator()) {
            if ($entry.Key -is [string]) {
                $keys[$entry.Key] = $entry.Value
            }
        }
    }
    foreach ($name in $names) {
        $value = $null
        if ($null -ne $keys) {
            if ($keys.ContainsKey($name)) {
                $value = $keys[$name]
            }
        }
        else {
            # Case-insensitive, as parameter binding by property name is.
            $property = $InputObject.PSObject.Properties[$name]
            if ($null -ne $property) {
                $value = $property.Value
            }
        }
        if ($null -ne $value -and -not ($value -is [string] -and $value.Length -eq 0)) {
            $fields[$name] = $value
        }
    }
    return $fields
}
