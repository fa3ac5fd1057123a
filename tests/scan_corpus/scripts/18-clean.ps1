# An ordinary maintenance script: nothing to report.
param(
    [string] $Path = 'C:\Temp',
    [int] $Days = 30
)
$limit = (Get-Date).AddDays(-$Days)
$freeGB = [math]::Round((Get-PSDrive -Name C).Free / 1GB, 1)
Write-Verbose "Free on C: $freeGB GB (limit 2KB..1TB)"
Get-ChildItem -Path $Path -Recurse -File |
    Where-Object { $_.LastWriteTime -lt $limit } |
    Remove-Item -WhatIf
