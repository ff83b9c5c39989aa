#!/bin/sh
# Runs the whole test suite: installs the system packages the script tests
# need (shellcheck, busybox, PowerDNS), then runs every cargo test.
# Safe to run again; it installs only what is missing.
set -eu

cd "$(dirname "$0")/.."

sh scripts/install-test-deps.sh
cargo test --locked --all-targets
