#!/usr/bin/env bash
# Fuzzes GraphMail's parsers for a bounded time (README, "Fuzzing and memory checks").
#
#   bash fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60); targets default to all: message_json, config_json, mime.
# Each target first replays its committed seeds (fuzz/corpus/<target>/) and any reproducer
# under fuzz/artifacts/<target>/ (a fixed crash stays fixed), then fuzzes. New corpus entries
# go to fuzz/corpus-work/<target>/ (not committed); a crash writes its input to
# fuzz/artifacts/<target>/ and makes the script exit 1 after the other targets ran.
#
# Works on stable Rust: cargo-fuzz builds with `--sanitizer none` (AddressSanitizer needs a
# nightly compiler; the targets call only safe Rust, where panics and failed assertions are the
# findings). Installs cargo-fuzz with `cargo install --locked` when it is missing; libFuzzer
# needs a C++ compiler (Debian: g++).
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
shift || true
if ! [[ $seconds =~ ^[0-9]+$ ]]; then
    echo "usage: bash fuzz/run.sh [SECONDS] [TARGET...]" >&2
    exit 64
fi
targets=("$@")
((${#targets[@]})) || targets=(message_json config_json mime)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked --version '^0.13'
fi
if ! command -v c++ >/dev/null 2>&1; then
    echo "fuzz/run.sh: libFuzzer needs a C++ compiler: install g++ (tests/run.sh does)" >&2
    exit 69
fi

# Built once for all targets: optimised, with debug assertions and overflow checks (cargo-fuzz's
# default), without a sanitizer.
build=(--sanitizer none)
cargo fuzz build "${build[@]}"

# The targets write attachment files under TMPDIR: give them a folder removed on exit.
work_tmp=$(mktemp -d)
trap 'rm -rf "$work_tmp"' EXIT

failed=()
for target in "${targets[@]}"; do
    mkdir -p "corpus-work/$target"
    log="$work_tmp/$target.log"
    reproducers=()
    for f in "artifacts/$target"/*; do
        [ -f "$f" ] && reproducers+=("$f")
    done
    if ((${#reproducers[@]})); then
        echo "fuzz/run.sh: $target: replaying ${#reproducers[@]} reproducer(s) from fuzz/artifacts/$target/" >&2
        # libFuzzer runs each file given as an argument once; the first failure stops it.
        if ! TMPDIR="$work_tmp" cargo fuzz run "${build[@]}" "$target" "${reproducers[@]}" \
            >"$log" 2>&1; then
            echo "fuzz/run.sh: $target: a reproducer still fails:" >&2
            grep -E -A6 'panicked at|Running: ' "$log" | grep -v '^ *[0-9]*: \|^ *at ' >&2 || tail -20 "$log" >&2
            failed+=("$target")
            continue
        fi
    fi
    echo "fuzz/run.sh: $target: seeds from fuzz/corpus/$target/, fuzzing for ${seconds}s" >&2
    if ! TMPDIR="$work_tmp" cargo fuzz run "${build[@]}" "$target" \
        "corpus-work/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -max_len=16384 -print_final_stats=1 \
        >"$log" 2>&1; then
        echo "fuzz/run.sh: $target: crash; the input is saved under fuzz/artifacts/$target/:" >&2
        grep -E -A6 'panicked at|Test unit written' "$log" | grep -v '^ *[0-9]*: \|^ *at ' >&2 || tail -40 "$log" >&2
        failed+=("$target")
        continue
    fi
    grep -E '^stat::number_of_executed_units|^Done' "$log" | tr '\n' ' ' >&2 || true
    echo >&2
done

if ((${#failed[@]})); then
    echo "fuzz/run.sh: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz/run.sh: ${targets[*]}: no crash in ${seconds}s each" >&2
