function ConvertTo-GraphMailJson {
    <#
    .SYNOPSIS
    Serializes a message or configuration (dictionaries, strings, string arrays, booleans, whole
    numbers) as compact JSON for the native library.

    .DESCRIPTION
    ConvertTo-Json is not used: on Windows PowerShell 5.1 a string that carries extended
    properties (for example the output of Get-Content, which has PSPath and ReadCount) is written
    as an object instead of a string, and enums are written as numbers. This writer only knows the
    few shapes the library accepts and writes every string as a JSON string.

    .PARAMETER InputObject
    The value to write: usually an ordered dictionary of message or configuration keys.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [AllowNull()]
        [object] $InputObject
    )

    $builder = [System.Text.StringBuilder]::new()
    Add-GraphMailJsonValue -Builder $builder -Value $InputObject
    return $builder.ToString()
}

function Add-GraphMailJsonValue {
    <#
    .SYNOPSIS
    Appends one value to the JSON being built by ConvertTo-GraphMailJson.

    .PARAMETER Builder
    The StringBuilder that receives the JSON text.

    .PARAMETER Value
    The value to append.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Text.StringBuilder] $Builder,

        [AllowNull()]
        [object] $Value
    )

    if ($null -eq $Value) {
        [void]$Builder.Append('null')
    }
    elseif ($Value -is [string] -or $Value -is [char] -or $Value -is [System.Enum]) {
        [void]$Builder.Append((ConvertTo-GraphMailJsonString -Value ([string]$Value)))
    }
    elseif ($Value -is [bool] -or $Value -is [System.Management.Automation.SwitchParameter]) {
        if ([bool]$Value) { [void]$Builder.Append('true') } else { [void]$Builder.Append('false') }
    }
    elseif ($Value -is [int] -or $Value -is [long]) {
        [void]$Builder.Append(([long]$Value).ToString([System.Globalization.CultureInfo]::InvariantCulture))
    }
    elseif ($Value -is [System.Collections.IDictionary]) {
        [void]$Builder.Append('{')
        $first = $true
        # GetEnumerator, not .Keys: a hashtable key named 'Keys' would hide the property.
        foreach ($entry in $Value.GetEnumerator()) {
            if (-not $first) { [void]$Builder.Append(',') }
            $first = $false
            [void]$Builder.Append((ConvertTo-GraphMailJsonString -Value ([string]$entry.Key)))
            [void]$Builder.Append(':')
            Add-GraphMailJsonValue -Builder $Builder -Value $entry.Value
        }
        [void]$Builder.Append('}')
    }
    elseif ($Value -is [System.Collections.IEnumerable]) {
        [void]$Builder.Append('[')
        $first = $true
        foreach ($item in $Value) {
            if (-not $first) { [void]$Builder.Append(',') }
            $first = $false
            Add-GraphMailJsonValue -Builder $Builder -Value $item
        }
        [void]$Builder.Append(']')
    }
    else {
        # Anything else (a number of another type, an object) is written as its text; the library
        # refuses a value of the wrong type with an InvalidMessage error that names the key.
        [void]$Builder.Append((ConvertTo-GraphMailJsonString -Value ([string]$Value)))
    }
}

function ConvertTo-GraphMailJsonString {
    <#
    .SYNOPSIS
    Quotes and escapes a string as a JSON string (RFC 8259).

    .PARAMETER Value
    The string to quote.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [AllowEmptyString()]
        [string] $Value
    )

    $escaped = $Value.Replace('\', '\\').Replace('"', '\"').Replace("`r", '\r').Replace("`n", '\n').Replace("`t", '\t')
    # The remaining control characters (rare) as \u00XX.
    $evaluator = [System.Text.RegularExpressions.MatchEvaluator] {
        param($match)
        '\u{0:x4}' -f [int][char]$match.Value
    }
    $escaped = [System.Text.RegularExpressions.Regex]::Replace($escaped, '[\x00-\x1f]', $evaluator)
    return '"' + $escaped + '"'
}
