//! Benchmark (not a test): `graphmail scan` on a generated tree of 10,000 PowerShell scripts
//! (about 100 MB), run as its own process like an admin would run it, with the JSON report
//! written to a pipe and read.
//!
//! ```text
//! cargo bench --bench scan                 # 10,000 files
//! cargo bench --bench scan -- 2000         # another number of files
//! ```
//! The scripts are made of the blocks of ordinary admin scripts (comment-based help, param
//! blocks, functions, pipelines, hashtables, here-string HTML reports, try/catch, switch) of
//! varying sizes (2 to 30 KB); one in five also sends mail (Send-MailMessage in its various
//! forms, splatted hashtables, SmtpClient, TLS settings, a written password), and one in six
//! others mentions a password or a token; all use words like `-PassThru` and `$PWD`, and half
//! divide by `1GB`. Besides the wall time, the table shows the scan's CPU time (user + system),
//! which other work on the machine does not inflate, and the load average around the runs. Two runs are timed: the default (files without any
//! word a finding needs are not parsed) and `--all` (every file parsed: the worst case). After a
//! warm-up, each is run RUNS times; the table shows the median.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 3;
const DEFAULT_FILES: usize = 10_000;

/// A small deterministic generator (64-bit LCG), so every run scans the same tree.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn help_block(out: &mut String, i: usize) {
    let _ = write!(
        out,
        "<#\n.SYNOPSIS\n    Maintenance task {i}: collects the state of the servers and writes a report.\n\n.DESCRIPTION\n    Runs every night from the task scheduler. Reads the server list, checks services,\n    disks and certificates, and writes a CSV and an HTML report to the share.\n\n.PARAMETER ComputerName\n    The servers to check.\n\n.PARAMETER ReportPath\n    Where the reports go.\n\n.EXAMPLE\n    .\\Task{i}.ps1 -ComputerName srv01, srv02 -ReportPath \\\\fs01\\reports\n#>\n"
    );
}

fn param_block(out: &mut String) {
    out.push_str("[CmdletBinding()]\nparam(\n    [Parameter(Mandatory = $true)]\n    [string[]] $ComputerName,\n\n    [ValidateScript({ Test-Path $_ })]\n    [string] $ReportPath = 'C:\\Reports',\n\n    [int] $Days = 30,\n\n    [switch] $Force\n)\n\nSet-StrictMode -Version Latest\n$ErrorActionPreference = 'Stop'\n\n");
}

fn log_function(out: &mut String, i: usize) {
    let _ = write!(
        out,
        "function Write-Log{i} {{\n    param(\n        [Parameter(Mandatory = $true)] [string] $Message,\n        [ValidateSet('Info', 'Warning', 'Error')] [string] $Level = 'Info'\n    )\n    $line = '{{0:u}} [{{1}}] {{2}}' -f (Get-Date), $Level, $Message\n    Add-Content -Path (Join-Path $ReportPath 'task{i}.log') -Value $line\n    if ($Level -eq 'Error') {{ Write-Warning $Message }}\n}}\n\n"
    );
}

fn service_check(out: &mut String, i: usize) {
    let _ = write!(
        out,
        "$results = foreach ($computer in $ComputerName) {{\n    try {{\n        $services = Get-Service -ComputerName $computer -Name 'W3SVC', 'MSSQLSERVER', 'Spooler' -ErrorAction Stop\n        foreach ($service in $services) {{\n            [PSCustomObject]@{{\n                Computer = $computer\n                Service  = $service.Name\n                Status   = $service.Status.ToString()\n                Checked  = Get-Date -Format 'yyyy-MM-dd HH:mm'\n                Run      = {i}\n            }}\n        }}\n    }}\n    catch {{\n        Write-Log{i} -Message \"Cannot reach $computer : $($_.Exception.Message)\" -Level Error\n    }}\n}}\n$results | Sort-Object Computer, Service | Export-Csv -Path (Join-Path $ReportPath \"services-{i}.csv\") -NoTypeInformation\n\n"
    );
}

fn disk_check(out: &mut String, i: usize, suffixes: bool) {
    // Half the scripts divide by 1GB (the grammar reads it only in lower case: the scanner
    // lowercases numeric literals before parsing), the others by the number.
    let gb = if suffixes { "1GB" } else { "1073741824" };
    let _ = write!(
        out,
        "# Disks under 15 % free, per server.\n$disks = Get-CimInstance -ClassName Win32_LogicalDisk -Filter 'DriveType = 3' -ComputerName $ComputerName |\n    Where-Object {{ $_.Size -gt 0 -and ($_.FreeSpace / $_.Size) -lt 0.15 }} |\n    Select-Object PSComputerName, DeviceID,\n        @{{ Name = 'SizeGB'; Expression = {{ [math]::Round($_.Size / {gb}, 1) }} }},\n        @{{ Name = 'FreeGB'; Expression = {{ [math]::Round($_.FreeSpace / {gb}, 1) }} }}\nforeach ($disk in $disks) {{\n    switch ($disk.FreeGB) {{\n        {{ $_ -lt 5 }} {{ Write-Log{i} -Message \"$($disk.PSComputerName) $($disk.DeviceID) critical\" -Level Error; break }}\n        {{ $_ -lt 20 }} {{ Write-Log{i} -Message \"$($disk.PSComputerName) $($disk.DeviceID) low\" -Level Warning; break }}\n        default {{ Write-Log{i} -Message \"$($disk.PSComputerName) $($disk.DeviceID) ok\" }}\n    }}\n}}\n\n"
    );
}

fn cleanup(out: &mut String, i: usize) {
    let _ = write!(
        out,
        "# Remove old exports (task {i}).\n$limit = (Get-Date).AddDays(-$Days)\nGet-ChildItem -Path $ReportPath -Filter '*.csv' -Recurse -File |\n    Where-Object {{ $_.LastWriteTime -lt $limit }} |\n    ForEach-Object {{\n        Write-Verbose \"Removing $($_.FullName)\"\n        Remove-Item -LiteralPath $_.FullName -Force:$Force -WhatIf:(-not $Force)\n    }}\n$archive = Join-Path $ReportPath 'archive'\nPush-Location -Path $PWD\nGet-ChildItem -Path $ReportPath -Filter '*.html' | Copy-Item -Destination $archive -PassThru | Out-Null\nPop-Location\n\n"
    );
}

fn html_report(out: &mut String, i: usize, rows: u64) {
    let _ = write!(
        out,
        "$style = @'\n<style>\n  body {{ font-family: Segoe UI, sans-serif; font-size: 10pt; }}\n  table {{ border-collapse: collapse; }}\n  th, td {{ border: 1px solid #ccc; padding: 4px 8px; }}\n  th {{ background: #eee; }}\n  .bad {{ color: #b00; font-weight: bold; }}\n</style>\n'@\n$rows = foreach ($r in $results) {{\n    $class = if ($r.Status -ne 'Running') {{ 'bad' }} else {{ '' }}\n    \"<tr class='$class'><td>$($r.Computer)</td><td>$($r.Service)</td><td>$($r.Status)</td></tr>\"\n}}\n$html = @\"\n<html><head><title>Report {i}</title>$style</head><body>\n<h1>Service report {i}</h1>\n<p>Generated on $(Get-Date) by $env:USERNAME on $env:COMPUTERNAME.</p>\n<table><tr><th>Computer</th><th>Service</th><th>Status</th></tr>\n$($rows -join \"`n\")\n</table>\n"
    );
    for row in 0..rows {
        let _ = writeln!(
            out,
            "<p class='note'>Note {row}: maintenance window for group {} is Sunday 02:00 to 04:00.</p>",
            row % 7
        );
    }
    out.push_str("</body></html>\n\"@\n$html | Set-Content -Path (Join-Path $ReportPath 'report.html') -Encoding UTF8\n\n");
}

fn users(out: &mut String, i: usize) {
    let _ = write!(
        out,
        "Import-Module ActiveDirectory\n$inactive = Get-ADUser -Filter {{ Enabled -eq $true }} -Properties LastLogonDate, Department |\n    Where-Object {{ $_.LastLogonDate -lt (Get-Date).AddDays(-90) }}\n$byDepartment = $inactive | Group-Object -Property Department | Sort-Object Count -Descending\nforeach ($group in $byDepartment) {{\n    Write-Output ('{{0,-30}} {{1,5}}' -f $group.Name, $group.Count)\n}}\n$summary{i} = @{{\n    Total    = @($inactive).Count\n    Groups   = @($byDepartment).Count\n    Computed = [datetime]::UtcNow\n}}\n\n"
    );
}

fn mail(out: &mut String, i: usize, form: u64) {
    match form {
        0 => {
            let _ = write!(
                out,
                "[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12\nSend-MailMessage -From 'task{i}@contoso.com' -To 'ops@contoso.com' -Subject \"Report {i}\" -Body $html -BodyAsHtml -Attachments (Join-Path $ReportPath \"services-{i}.csv\") -SmtpServer 'smtp.office365.com' -Port 587 -UseSsl -Credential $smtpCredential\n\n"
            );
        }
        1 => {
            let _ = write!(
                out,
                "$mail = @{{\n    From       = 'task{i}@contoso.com'\n    To         = 'ops@contoso.com', 'dba@contoso.com'\n    Subject    = \"Disk report {i}\"\n    Body       = $html\n    BodyAsHtml = $true\n    SmtpServer = 'relay.contoso.local'\n}}\nif ($disks) {{ $mail.Priority = 'High' }}\nSend-MailMessage @mail\n\n"
            );
        }
        2 => {
            let _ = write!(
                out,
                "$smtpPassword = 'Task{i}-Secret!'\n$smtp = New-Object Net.Mail.SmtpClient('smtp.office365.com', 587)\n$smtp.EnableSsl = $true\n$smtp.Credentials = New-Object System.Net.NetworkCredential('task{i}@contoso.com', $smtpPassword)\n$message = New-Object System.Net.Mail.MailMessage('task{i}@contoso.com', 'ops@contoso.com', 'Report {i}', $html)\n$message.IsBodyHtml = $true\n$smtp.Send($message)\n\n"
            );
        }
        _ => {
            let _ = write!(
                out,
                "Send-MailMessage 'ops@contoso.com' \"Cleanup {i} done\" `\n    -From 'task{i}@contoso.com' `\n    -SmtpServer relay.contoso.local `\n    -Attach (Join-Path $ReportPath 'task{i}.log')\n\n"
            );
        }
    }
}

/// One script: about `target` bytes.
fn script(i: usize, rng: &mut Lcg, target: usize) -> String {
    let mut out = String::with_capacity(target + 4096);
    help_block(&mut out, i);
    param_block(&mut out);
    log_function(&mut out, i);
    let sends_mail = rng.below(5) == 0;
    let mentions_secret = !sends_mail && rng.below(6) == 0;
    if mentions_secret {
        out.push_str("# The service account's password is rotated by the vault; the token is read at run time.\n$credential = Get-StoredCredential -Target 'svc-report'\n\n");
    }
    let mut block = rng.below(5);
    while out.len() < target {
        match block % 5 {
            0 => service_check(&mut out, i),
            1 => disk_check(&mut out, i, i % 2 == 0),
            2 => cleanup(&mut out, i),
            3 => html_report(&mut out, i, 5 + rng.below(20)),
            _ => users(&mut out, i),
        }
        block += 1 + rng.below(2);
    }
    if sends_mail {
        mail(&mut out, i, rng.below(4));
    }
    out
}

/// Writes `count` scripts in folders of 100; returns the total size in bytes.
fn generate(root: &Path, count: usize) -> u64 {
    let mut rng = Lcg(0x5EED_6A11);
    let mut total = 0u64;
    for i in 0..count {
        let folder = root
            .join(format!("site{:02}", i / 1000))
            .join(format!("team{:02}", (i / 100) % 10));
        if i % 100 == 0 {
            std::fs::create_dir_all(&folder).unwrap();
        }
        // 2 to 30 KB, about 10 KB on average.
        let target = 2_000
            + (rng.below(1000) * rng.below(1000) / 40_000) as usize * 1_000
            + rng.below(4_000) as usize;
        let text = script(i, &mut rng, target);
        let extension = match i % 20 {
            0 => "psm1",
            _ => "ps1",
        };
        std::fs::write(folder.join(format!("task{i:05}.{extension}")), &text).unwrap();
        total += text.len() as u64;
    }
    total
}

struct Run {
    elapsed: Duration,
    /// User plus system CPU time of the scan process.
    cpu: Duration,
    summary: serde_json::Value,
}

/// User plus system CPU time of this process's waited-for children so far.
fn children_cpu() -> Duration {
    // SAFETY: an all-zero rusage is valid; getrusage fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let done = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(done, 0, "getrusage failed");
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The 1-minute load average (other work on the machine slows the wall time, not the CPU time).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

fn scan(binary: &Path, root: &Path, all: bool) -> Run {
    let mut command = Command::new(binary);
    command.args(["scan", "--format", "json", "--quiet"]);
    if all {
        command.arg("--all");
    }
    command.arg(root);
    let cpu_before = children_cpu();
    let started = Instant::now();
    let output = command.output().expect("graphmail runs");
    let elapsed = started.elapsed();
    let cpu = children_cpu() - cpu_before;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    Run {
        elapsed,
        cpu,
        summary: report["summary"].clone(),
    }
}

fn main() {
    let count = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(DEFAULT_FILES);
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_graphmail"));
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let bytes = generate(dir.path(), count);
    let mb = bytes as f64 / 1_000_000.0;
    println!(
        "generated {count} scripts, {mb:.1} MB, in {:.1} s ({})",
        started.elapsed().as_secs_f64(),
        dir.path().display()
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "graphmail scan --format json, {cores} cores, median of {RUNS} runs after a warm-up (load average {} before):\n",
        load_average()
    );
    println!("| run | files parsed | with syntax errors | seconds | files/s | MB/s | CPU seconds | calls | convertible | SmtpClient | secrets |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (label, all) in [("default", false), ("--all (every file parsed)", true)] {
        scan(&binary, dir.path(), all);
        let mut runs: Vec<Run> = (0..RUNS).map(|_| scan(&binary, dir.path(), all)).collect();
        runs.sort_by_key(|r| r.elapsed);
        let median = &runs[RUNS / 2];
        let seconds = median.elapsed.as_secs_f64();
        let s = &median.summary;
        assert_eq!(s["files"], count);
        println!(
            "| {label} | {} | {} | {seconds:.2} | {:.0} | {:.1} | {:.2} | {} | {} | {} | {} |",
            s["parsed"],
            s["parseErrors"],
            count as f64 / seconds,
            mb / seconds,
            median.cpu.as_secs_f64(),
            s["calls"],
            s["convertible"],
            s["smtpClients"],
            s["secrets"]
        );
    }
    println!("\nload average after: {}", load_average());
}
