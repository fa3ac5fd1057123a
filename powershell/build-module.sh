#!/usr/bin/env bash
# Builds the GraphMail PowerShell module folder for this platform: compiles the native library
# with cargo, then writes <out>/ with the module files (GraphMail.psd1, GraphMail.psm1, the C#
# interop, Public/, Private/) and the library in runtimes/<rid>/native/.
#
#   powershell/build-module.sh [--profile release|debug|<cargo profile>] [--out DIR]
#
# Defaults: --profile release, --out target/powershell/GraphMail. Then, in PowerShell:
#   Import-Module ./target/powershell/GraphMail/GraphMail.psd1
# The PowerShell twin of this script is powershell/build-module.ps1.
set -euo pipefail

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

profile=release
out=""
while (($#)); do
    case "$1" in
        --profile) [ $# -ge 2 ] || { usage >&2; exit 64; }; profile="$2"; shift 2 ;;
        --profile=*) profile="${1#*=}"; shift ;;
        --out) [ $# -ge 2 ] || { usage >&2; exit 64; }; out="$2"; shift 2 ;;
        --out=*) out="${1#*=}"; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "build-module.sh: unknown argument '$1'" >&2; usage >&2; exit 64 ;;
    esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
module_src="$root/powershell/GraphMail"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
[ -n "$out" ] || out="$target_dir/powershell/GraphMail"

# cargo's own profile names: "debug" is the dev profile, built into target/debug.
case "$profile" in
    debug | dev) cargo_profile=dev; profile_dir=debug ;;
    release) cargo_profile=release; profile_dir=release ;;
    *) cargo_profile="$profile"; profile_dir="$profile" ;;
esac

case "$(uname -s)" in
    Linux) os=linux; lib=libgraphmail.so; cli=graphmail ;;
    Darwin) os=osx; lib=libgraphmail.dylib; cli=graphmail ;;
    MINGW* | MSYS* | CYGWIN*) os=win; lib=graphmail.dll; cli=graphmail.exe ;;
    *) echo "build-module.sh: unsupported operating system $(uname -s)" >&2; exit 69 ;;
esac
case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "build-module.sh: unsupported architecture $(uname -m): GraphMail ships x64 and arm64 libraries" >&2; exit 69 ;;
esac
rid="$os-$arch"

# $CARGO is set when this runs under cargo (tests/powershell_build.rs).
cargo="${CARGO:-cargo}"
if ! command -v "$cargo" >/dev/null 2>&1; then
    echo "build-module.sh: cargo not found: install Rust (https://rustup.rs) first" >&2
    exit 69
fi

echo "build-module.sh: cargo build --profile $cargo_profile (native library and CLI for $rid)" >&2
# The CLI goes next to the library: Find-GraphMailLegacySender runs its `scan`.
(cd "$root" && "$cargo" build --profile "$cargo_profile" --package graphmail --lib --bin graphmail >&2)

built="$target_dir/$profile_dir/$lib"
built_cli="$target_dir/$profile_dir/$cli"
for f in "$built" "$built_cli"; do
    if [ ! -f "$f" ]; then
        echo "build-module.sh: cargo did not produce $f" >&2
        exit 70
    fi
done

# Replace an earlier build, but never delete a folder that is not one.
if [ -e "$out" ]; then
    if [ -f "$out/GraphMail.psd1" ] || [ -z "$(ls -A "$out")" ]; then
        rm -rf "$out"
    else
        echo "build-module.sh: $out exists and is not a GraphMail module folder: choose another --out" >&2
        exit 73
    fi
fi
mkdir -p "$out"

# The module files only: no contract notes, no stray native builds.
cp "$module_src/GraphMail.psd1" "$module_src/GraphMail.psm1" "$module_src"/*.cs "$out/"
mkdir -p "$out/Public" "$out/Private" "$out/runtimes/$rid/native"
cp "$module_src"/Public/*.ps1 "$out/Public/"
cp "$module_src"/Private/*.ps1 "$out/Private/"
cp "$module_src/runtimes/README.md" "$out/runtimes/"
cp "$built" "$out/runtimes/$rid/native/$lib"
cp "$built_cli" "$out/runtimes/$rid/native/$cli"

echo "$out"
