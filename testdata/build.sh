#!/usr/bin/env bash
# Compiles the BPF C sources of testdata/ into the committed .bpf.o files.
#
#   testdata/build.sh                  build every testdata/*.bpf.c
#   testdata/build.sh foo.bpf.c ...    build only these
#   testdata/build.sh --check [...]    rebuild into a temporary directory and fail if any
#                                      object differs from the committed one (a source
#                                      whose compiler is missing is skipped, and said so)
#
# Every source is compiled with
#   $compiler -target bpf -g -O2 -I/usr/include/x86_64-linux-gnu -fdebug-compilation-dir=. <extra>
# in testdata/ itself, so that the objects do not depend on where the checkout lives.
# The compiler defaults to clang-14 (Debian 12's clang). A source changes both with lines like
#   // build: -mcpu=v3
#   // build: compiler=clang-19 -mcpu=v4
#   // build: -target bpfeb            (a later -target overrides the default one)
# anywhere in the file; words of all such lines are joined.
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$dir"

check=0
if [[ ${1:-} == --check ]]; then
    check=1
    shift
fi
sources=("$@")
if [[ ${#sources[@]} -eq 0 ]]; then
    sources=(*.bpf.c)
fi

default_compiler() {
    if command -v clang-14 >/dev/null; then echo clang-14; else echo clang; fi
}

out_dir="$dir"
if [[ $check -eq 1 ]]; then
    out_dir="$(mktemp -d)"
    trap 'rm -rf "$out_dir"' EXIT
fi

failed=0
for src in "${sources[@]}"; do
    src="$(basename "$src")"
    obj="${src%.c}.o"
    compiler="$(default_compiler)"
    extra=()
    for word in $(sed -n 's|^// build:||p' "$src"); do
        case "$word" in
            compiler=*) compiler="${word#compiler=}" ;;
            *) extra+=("$word") ;;
        esac
    done
    if ! command -v "$compiler" >/dev/null; then
        if [[ $check -eq 1 ]]; then
            echo "skip $src: $compiler not found"
            continue
        fi
        echo "error: $src needs $compiler, which is not installed" >&2
        exit 1
    fi
    "$compiler" -target bpf -g -O2 -I/usr/include/x86_64-linux-gnu -fdebug-compilation-dir=. \
        "${extra[@]}" -c "$src" -o "$out_dir/$obj"
    if [[ $check -eq 1 ]]; then
        if cmp -s "$out_dir/$obj" "$obj"; then
            echo "same $obj"
        else
            echo "DIFFERENT $obj: rebuilding $src with $("$compiler" --version | head -n1) gives another object" >&2
            failed=1
        fi
    else
        echo "built $obj ($compiler ${extra[*]})"
    fi
done
exit $failed
