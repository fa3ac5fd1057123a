#!/usr/bin/env bash
# Runs every GraphMail test. Installs missing system packages first (Debian/Ubuntu, apt-get):
# openssl (TLS and certificate tests), gcc (the C ABI test), python3 (the ctypes example),
# mono-mcs and mono-runtime (the PowerShell module's C# interop, compiled as C# 5 and run under mono),
# chromium, nodejs and npm (the emulator's web inbox in a headless browser, tests/emulator_web.rs),
# python3-venv (Microsoft's Python SDK in a virtual environment, tests/sdk_python.rs),
# valgrind (the C ABI test also runs under memcheck) and g++ (libFuzzer, for fuzz/run.sh).
# Then the npm packages of tests/browser (npm ci) and the PyPI packages of
# tests/python/requirements.txt (into target/sdk-venv), each only when missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
{ command -v mcs && command -v mono; } >/dev/null 2>&1 || missing+=(mono-mcs mono-runtime)
[ -x /usr/bin/chromium ] || missing+=(chromium)
{ command -v node && command -v npm; } >/dev/null 2>&1 || missing+=(nodejs npm)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v c++ >/dev/null 2>&1 || missing+=(g++)
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

# playwright-core for the browser test (drives Debian's Chromium; downloads no browser).
if ! cmp -s tests/browser/package-lock.json tests/browser/node_modules/.installed-lock.json; then
    echo "tests/run.sh: npm ci in tests/browser" >&2
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error &&
        cp package-lock.json node_modules/.installed-lock.json)
fi
# msgraph-sdk and azure-identity for the Python SDK test.
venv=target/sdk-venv
if ! cmp -s tests/python/requirements.txt "$venv/requirements.txt" ||
    ! "$venv/bin/python" -c 'import msgraph, azure.identity' >/dev/null 2>&1; then
    echo "tests/run.sh: installing tests/python/requirements.txt into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
    cp tests/python/requirements.txt "$venv/requirements.txt"
fi

cargo fmt --all -- --check
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The C and Python tests load the cdylib, which `cargo test` alone does not build.
cargo build --workspace
cargo test --workspace
# A short fuzz run of every parser (README, "Fuzzing and memory checks"): installs cargo-fuzz if
# missing, builds the instrumented targets, replays fuzz/artifacts/, fuzzes 20 s per target.
# GRAPHMAIL_FUZZ_SECONDS=0 skips it.
fuzz_seconds=${GRAPHMAIL_FUZZ_SECONDS:-20}
if [ "$fuzz_seconds" != 0 ]; then
    bash fuzz/run.sh "$fuzz_seconds"
fi
