# An ordinary maintenance script: nothing to report.
param(
    [string] $Path = 'C:\Temp',
    [int] $Days = 30
)
$limit = (Get-Date).AddDays(-$Days)
Get-ChildItem -Path $Path -Recurse -File |
    Where-Object { $_.LastWriteTime -lt $limit } |
    Remove-Item -WhatIf
