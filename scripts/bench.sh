#!/usr/bin/env bash
# Measures whole-process rendering with hyperfine and peak memory with
# GNU time, for one tenant and, when the binary can render many tenants
# into an output directory, for 1,000 generated tenants. The figures go
# into BENCHMARKS.md by hand; the in-process figures come from
# `cargo bench --bench render`.
#
# Usage: scripts/bench.sh   (installs hyperfine and time with apt-get if missing)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

apt_updated=0
install_package() {
    if [ "$apt_updated" = 0 ]; then
        apt-get update -qq
        apt_updated=1
    fi
    apt-get install -y -qq "$1" >/dev/null
}
command -v hyperfine >/dev/null || install_package hyperfine
[ -x /usr/bin/time ] || install_package time
command -v python3 >/dev/null || install_package python3

cargo build --release --quiet
binary="${CARGO_TARGET_DIR:-$repo/target}/release/stalwart-tenant"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "## Machine"
echo "date: $(date -u +%Y-%m-%d)"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "hyperfine: $(hyperfine --version)"
echo

median() {
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"][0]; print("median %.2f ms, mean %.2f ms, min %.2f ms, max %.2f ms, %d runs" % (r["median"] * 1e3, r["mean"] * 1e3, r["min"] * 1e3, r["max"] * 1e3, len(r["times"])))' "$1"
}

# The median of a --parameter-scan export with one run per parameter.
median_of_scan() {
    python3 -c 'import json, statistics, sys; t = [r["mean"] for r in json.load(open(sys.argv[1]))["results"]]; print("median %.2f s, min %.2f s, max %.2f s, %d runs" % (statistics.median(t), min(t), max(t), len(t)))' "$1"
}

peak_kib() {
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}'
}

echo "## One tenant: render -f examples/acme.yaml -n acme > /dev/null"
hyperfine --shell=none --warmup 10 --runs 100 --output=null \
    --export-json "$work/one.json" \
    "$binary render -f examples/acme.yaml -n acme" >&2
echo "time: $(median "$work/one.json")"
echo "peak memory: $(peak_kib "$binary" render -f examples/acme.yaml -n acme) KiB"
echo

help="$("$binary" render --help)"
if grep -q -- '--output-dir' <<<"$help" && grep -q -- '--tenants-dir' <<<"$help"; then
    tenants="$work/tenants"
    mkdir -p "$tenants"
    for index in $(seq -w 1 1000); do
        sed -e "s/acme\.omantel\.omani\.works/t$index.omantel.omani.works/g" \
            -e "s#/acme/#/t$index/#g" examples/acme.yaml >"$tenants/t$index.yaml"
    done
    many_into() {
        echo "$binary render --tenants-dir $tenants --namespace-from-file-stem --output-dir $1"
    }
    filesystem="$(df --output=fstype "$work" | tail -1)"
    # Each run writes into a directory that has never existed, and nothing
    # is deleted between runs. On ext4 without a journal (this machine's
    # root file system), the inode allocator skips every inode freed in the
    # last 60 to 360 seconds. A run right after `rm -rf` of a large tree
    # therefore measures that scan, not the renderer; the last measurement
    # below shows that case.
    echo "## 1,000 tenants, first write into a new directory on $filesystem: $(many_into OUT)"
    hyperfine --shell=none --runs 1 --output=null --parameter-scan run 1 10 \
        --export-json "$work/first.json" "$(many_into "$work/first-{run}")" >&2
    echo "time: $(median_of_scan "$work/first.json")"
    echo
    echo "## 1,000 tenants again, into the unchanged directory"
    hyperfine --shell=none --warmup 1 --runs 10 --output=null \
        --export-json "$work/again.json" "$(many_into "$work/first-1")" >&2
    echo "time: $(median "$work/again.json")"
    echo
    # The same first write into a tmpfs separates the renderer's own cost
    # from the file system's cost of creating some 17,000 files.
    if [ -d /dev/shm ]; then
        shm="$(mktemp -d /dev/shm/stalwart-bench.XXXXXX)"
        trap 'rm -rf "$work" "$shm"' EXIT
        echo "## 1,000 tenants, first write into a tmpfs ($shm/out)"
        hyperfine --shell=none --warmup 1 --runs 10 --output=null \
            --prepare "rm -rf $shm/out" \
            --export-json "$work/tmpfs.json" "$(many_into "$shm/out")" >&2
        echo "time: $(median "$work/tmpfs.json")"
        echo
    fi
    # shellcheck disable=SC2046 # the command is split into words on purpose
    echo "## 1,000 tenants, peak memory: $(peak_kib $(many_into "$work/memory")) KiB"
    echo
    echo "## 1,000 tenants, first write on $filesystem right after rm -rf of the previous tree"
    hyperfine --shell=none --warmup 1 --runs 5 --output=null \
        --prepare "rm -rf $work/after-rm" \
        --export-json "$work/after-rm.json" "$(many_into "$work/after-rm")" >&2
    echo "time: $(median "$work/after-rm.json")"
    echo "for comparison, cp -r of the same tree right after rm -rf: $( { rm -rf "$work/after-rm"; /usr/bin/time -f %e cp -r "$work/first-2" "$work/after-rm"; } 2>&1 ) s"
else
    echo "## 1,000 tenants: not measured yet"
    echo "render --help lists no --output-dir and --tenants-dir in this build."
fi
