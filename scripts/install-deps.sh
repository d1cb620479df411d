#!/usr/bin/env bash
# Install every Debian 12 package nfvisor's build, tests, nested tier and
# benchmarks need.  Idempotent: when all packages are present it only checks
# (no apt-get update).  Run as root.  Services shipped by packages (Open
# vSwitch) are not started: tests and benchmarks start their own instances.
set -euo pipefail

# One package list; other engineers append names to this array.
PACKAGES=(
	build-essential pkg-config git clang clang-format lld libclang-rt-14-dev
	libcmocka-dev libyaml-dev libcyaml-dev libjson-c-dev libseccomp-dev
	libnl-3-dev libnl-route-3-dev libnl-genl-3-dev
	libdpdk-dev dpdk dpdk-dev openvswitch-switch-dpdk
	qemu-system-x86 qemu-system-data qemu-utils seabios
	linux-image-amd64 busybox-static cpio gzip xz-utils zstd kmod nvme-cli
	iproute2 jq gnuplot-nox procps util-linux coreutils iputils-ping python3
	valgrind libc6-dbg
	fio
)

die() { echo "install-deps: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (apt-get needs it); try: sudo $0"
command -v dpkg-query >/dev/null && command -v apt-get >/dev/null ||
	die "this script needs a Debian system (dpkg-query and apt-get not found)"

# missing_of PKG...: those not fully installed (one dpkg-query for all).
missing_of() {
	local ok
	ok=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null | awk '/^ii/ {printf "%s ", $2}') "
	for p in "$@"; do
		case $ok in *" $p "*) ;; *) echo "$p" ;; esac
	done
}
mapfile -t missing < <(missing_of "${PACKAGES[@]}")
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PACKAGES[@]} packages already installed"
	exit 0
fi

echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Keep package maintainer scripts from starting daemons (e.g. ovs-vswitchd):
# a temporary policy-rc.d that denies every service start, if none exists.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$POLICY"
	chmod 755 "$POLICY"
	trap 'rm -f "$POLICY"' EXIT
fi
echo "install-deps: apt-get update"
apt-get update -qq || die "apt-get update failed; check network access to the Debian mirror"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/install-deps.log 2>&1 || {
	tail -n 30 /tmp/install-deps.log >&2
	die "apt-get install failed for: ${missing[*]} (full log: /tmp/install-deps.log)"
}
mapfile -t still < <(missing_of "${missing[@]}")
[ ${#still[@]} -eq 0 ] || die "still not installed after apt-get: ${still[*]}"
echo "install-deps: done"
