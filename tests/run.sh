#!/usr/bin/env bash
# Runs every GraphMail test. Installs missing system packages first (Debian/Ubuntu, apt-get):
# openssl (TLS and certificate tests), gcc (the C ABI test), python3 (the ctypes example),
# mono-mcs and mono-runtime (the PowerShell module's C# interop, compiled as C# 5 and run under mono).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
{ command -v mcs && command -v mono; } >/dev/null 2>&1 || missing+=(mono-mcs mono-runtime)
if ((${#missing[@]})); then
    echo "tests/run.sh: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}"
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "tests/run.sh: cargo not found: install Rust (https://rustup.rs) first" >&2
    exit 69
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The C and Python tests load the cdylib, which `cargo test` alone does not build.
cargo build --workspace
cargo test --workspace
