#!/bin/sh
# Install the system packages that the script tests need, on Debian or Ubuntu:
#   - the shellcheck package lints templates/scripts/*.sh
#   - busybox runs the scripts with the shell of the Job image
#   - pdns-server is PowerDNS, the target of dns-publish.sh
#   - pdns-backend-sqlite3 stores the zones of the test's PowerDNS
#   - sqlite3 creates that store from the schema pdns-backend-sqlite3 ships
#
# Installs only the missing packages, non-interactively, and is safe to run
# again. Needs root (or sudo) and access to the Debian package mirror.
#
# Debian's pdns-server package starts a pdns service on port 53 when it is
# installed. This script prevents that start instead of stopping the service
# afterwards: for the duration of the install it puts a policy-rc.d in place
# that exits with 101 ("action forbidden"), which invoke-rc.d and
# deb-systemd-invoke honour. Any policy-rc.d that was there before is put back.
# After the install it also disables the unit when systemd is running, so a
# reboot does not start it either.
set -eu

packages="shellcheck busybox pdns-server pdns-backend-sqlite3 sqlite3"

missing=""
for package in $packages; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $package"
    fi
done

if [ -z "$missing" ]; then
    echo "install-test-deps: all packages are installed: $packages"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
else
    as_root="sudo"
fi

policy=/usr/sbin/policy-rc.d
saved_policy=""
if [ -e "$policy" ]; then
    saved_policy="$(mktemp)"
    $as_root cp -p "$policy" "$saved_policy"
fi

restore_policy() {
    if [ -n "$saved_policy" ]; then
        $as_root cp -p "$saved_policy" "$policy"
        rm -f "$saved_policy"
    else
        $as_root rm -f "$policy"
    fi
}
trap restore_policy EXIT

printf '#!/bin/sh\nexit 101\n' | $as_root tee "$policy" >/dev/null
$as_root chmod 755 "$policy"

echo "install-test-deps: installing:$missing"
$as_root apt-get update -qq
# $missing is a space-separated list of package names and must be split.
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends $missing

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    $as_root systemctl disable --now pdns.service >/dev/null 2>&1 || true
fi

echo "install-test-deps: done"
