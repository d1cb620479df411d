#!/usr/bin/env bash
# The README's "main job" command, as root on Debian 12.  Installs packages,
# prepares hugepages, builds, then boots nfguest (our freestanding test guest)
# with 2 vCPUs pinned to host CPUs 0 and 1, guest RAM on 2 MiB hugepages,
# through nfvisor-vmm, and prints a short summary.  On hosts without a
# working /dev/kvm (like this project's build machines) it runs the VMM inside
# the nested tier: a pure-TCG QEMU L1 with its own KVM (tests/nested/l1run.sh).
# (The appliance orchestrator will replace this with the demo appliance.)
#   scripts/demo.sh [--no-setup]     --no-setup skips install/host setup/build
set -uo pipefail
cd "$(dirname "$0")/.."
die() { echo "demo: $*" >&2; exit 1; }
SETUP=1
[ "${1:-}" = --no-setup ] && SETUP=0
[ "$(id -u)" = 0 ] || die "run as root (installs packages, reserves hugepages)"

if [ $SETUP = 1 ]; then
	scripts/install-deps.sh || die "installing packages failed (see above)"
	scripts/setup-host.sh || die "host setup failed (see above)"
	echo "demo: building (make -j2)"
	mkdir -p build
	make -j2 >build/demo-build.log 2>&1 || { tail -n 30 build/demo-build.log >&2; die "build failed; full log in build/demo-build.log"; }
fi
VMM=build/nfvisor-vmm
GUEST=build/guest/nfguest.elf
[ -x "$VMM" ] || die "$VMM was not built (make failed or vmm/ is missing)"
[ -f "$GUEST" ] || die "$GUEST was not built (make failed or guest/ is missing)"

CMD="$VMM --kernel $GUEST --cmdline 'mode=hello' --memory 256M --vcpus 2 --pin 0,1 --hugepages 2M"
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
t0=$(date +%s.%N)
if [ -c /dev/kvm ] && [ -z "${DEMO_NESTED:-}" ]; then
	where="this host's /dev/kvm"
	echo "demo: $CMD"
	eval "timeout -k 5 120 $CMD" </dev/null 2>&1 | tee "$OUT"
	rc=${PIPESTATUS[0]}
else
	where="a pure-TCG QEMU L1 (no /dev/kvm on this host)"
	echo "demo: no /dev/kvm here; running inside the nested tier: $CMD"
	tests/nested/l1run.sh --smp 2 --hugepages 256 --timeout 300 -- "$CMD" 2>&1 | tee "$OUT"
	rc=${PIPESTATUS[0]}
fi
secs=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{printf "%.1f", a-b}')
ready=$(tr -d '\r' <"$OUT" | grep -m1 '^nfguest: ready' || true)
echo
echo "=== demo summary ==="
echo "VMM:      $VMM (KVM from $where)"
echo "guest:    $GUEST, 2 vCPUs pinned to CPUs 0,1, 256 MiB on 2 MiB hugepages"
echo "guest:    ${ready:-no ready line printed}"
echo "VMM exit: $rc (0 = guest powered off cleanly); wall time ${secs}s"
[ "$rc" = 0 ] && [ -n "$ready" ]
