#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time and fails on a crash,
# a timeout or an out-of-memory input. This is the fuzzing step CI runs.
#
# Usage: scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]   (default 20)
# Crashing inputs are left in fuzz/artifacts/<target>/; turn each into a
# regression test before fixing it.
set -euo pipefail

seconds="${1:-${FUZZ_SECONDS:-20}}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo/fuzz"

# cargo-fuzz needs unstable compiler flags. A nightly toolchain gives them;
# without one, the stable compiler allows them with RUSTC_BOOTSTRAP=1. The
# project forbids unsafe code, so the targets look for panics, hangs and
# memory blow-ups, and run without a sanitizer, which also builds faster.
if cargo +nightly --version >/dev/null 2>&1; then
    toolchain=(+nightly)
else
    echo "fuzz-smoke: no nightly toolchain; using the stable one with RUSTC_BOOTSTRAP=1" >&2
    toolchain=()
    export RUSTC_BOOTSTRAP=1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: cargo-fuzz is missing; installing it" >&2
    cargo install cargo-fuzz --locked
fi

cargo "${toolchain[@]}" fuzz build -O --sanitizer none

failed=()
for target in $(cargo "${toolchain[@]}" fuzz list); do
    corpus="corpus/$target"
    mkdir -p "$corpus"
    seeds=()
    if [ -d "seeds/$target" ]; then
        seeds=("seeds/$target")
    fi
    echo "fuzz-smoke: running $target for ${seconds}s" >&2
    # -timeout makes an input that runs longer than 10 s a failure (a hang);
    # -rss_limit_mb does the same for one that needs more than 2 GiB.
    if ! cargo "${toolchain[@]}" fuzz run -O --sanitizer none "$target" "$corpus" "${seeds[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048; then
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz-smoke: error: these targets failed: ${failed[*]}; inputs are in fuzz/artifacts/" >&2
    exit 1
fi
echo "fuzz-smoke: every target ran ${seconds}s without a failure" >&2
