#!/usr/bin/env bash
# make check-nested: the nested tier.  Runs on the host (no /dev/kvm needed):
#   1. host-side tests/nested/*.sh (selftest.sh checks l1run.sh itself; others,
#      e.g. the VFIO ones, boot their own L1 with the options they need)
#   2. one L1 boot (l1run.sh --qemu --dpdk) running `tests/run.sh kvm` (the KVM
#      tests that skip on this host) and tests/nested/l1-linux-boot.sh (stock
#      Linux as L2 under nfvisor-vmm)
# Ends with one line "N passed, N failed, N skipped"; exit 1 if anything failed.
#   tests/nested/run.sh [--build DIR]
# Env: NESTED_L2_VMM=nfvisor|qemu (default nfvisor) picks the L2 VMM for the
# Linux boot tests; NESTED_TIMEOUT (default 2400) bounds the L1 run.
set -u
cd "$(dirname "$0")/../.."
BUILD=build
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	*) echo "nested/run.sh: unknown option '$1' (usage: tests/nested/run.sh [--build DIR])" >&2; exit 2 ;;
	esac
done
VMM=${NESTED_L2_VMM:-nfvisor}
pass=0 fail=0 skip=0
add_summary() { # add_summary FILE: add the last "N passed, N failed, N skipped" line
	local l
	l=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$1" | tail -n1)
	if [ -z "$l" ]; then
		fail=$((fail + 1))
		return 1
	fi
	set -- $l
	pass=$((pass + $1)); fail=$((fail + $3)); skip=$((skip + $5))
}
LOGS=$BUILD/test-logs
mkdir -p "$LOGS" "$BUILD/nested/assets"

# L2 assets: the vmlinux inside Debian's bzImage and the busybox initramfs.
KVER=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V -r | head -n1)
if [ -z "$KVER" ]; then
	echo "nested: no /boot/vmlinuz-* (install linux-image-amd64: scripts/install-deps.sh)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
A=$BUILD/nested/assets
if [ ! -s "$A/vmlinux-$KVER" ] || [ "/boot/vmlinuz-$KVER" -nt "$A/vmlinux-$KVER" ]; then
	rm -f "$A"/vmlinux-*
	tests/tools/extract-vmlinux.sh "/boot/vmlinuz-$KVER" "$A/vmlinux-$KVER" || fail=$((fail + 1))
fi
if [ ! -s "$A/l2-initrd.gz" ] || [ tests/nested/mk-l2-initrd.sh -nt "$A/l2-initrd.gz" ]; then
	tests/nested/mk-l2-initrd.sh "$A/l2-initrd.gz" || fail=$((fail + 1))
fi

# Host-side nested tests: every tests/nested/*.sh except the tools and the
# l1-*.sh scripts (those run inside the shared L1 below).  Each boots its own
# L1 through l1run.sh (e.g. with --vfio).
HOST_TESTS=()
for t in tests/nested/*.sh; do
	case ${t##*/} in
	l1run.sh|run.sh|mk-l2-initrd.sh|l1-*.sh) ;;
	# runs tests/kvm/virtio_net_*.sh in an L1 of its own; the shared L1 below
	# ships DPDK and already runs every tests/kvm script
	net_vhost_user.sh) ;;
	*) HOST_TESTS+=("$t") ;;
	esac
done
echo "== nested: host-side tests (${HOST_TESTS[*]##*/})"
tests/run.sh --build "$BUILD" "${HOST_TESTS[@]}" | tee "$LOGS/nested-host.out"
add_summary "$LOGS/nested-host.out"

echo "== nested: KVM tests and stock Linux L2 inside a TCG L1 (L2 VMM: $VMM)"
# QEMU, DPDK's testpmd and valgrind ride along: KVM tests use them as peers
# (vhost-user backends, QEMU as an L2 VMM to compare with) and to check the
# VMM (tests/kvm/vmm_valgrind.sh).
# gnuplot draws the charts of tests/kvm/bench_vm_smoke.sh (nfvisor bench).
EXTRA=()
if command -v gnuplot >/dev/null; then EXTRA+=(--add "$(command -v gnuplot)"); fi
# A frozen L1 (no heartbeat for 300 s: seen once in the TCG tier, with no
# kernel message) is rerun once, saying so; a second freeze fails the stage.
for attempt in 1 2; do
	start=$(date +%s)
	tests/nested/l1run.sh --build "$BUILD" --smp 2 --mem 2560 --hugepages 512 \
		--timeout "${NESTED_TIMEOUT:-2400}" --qemu --dpdk --valgrind "${EXTRA[@]}" -- \
		"TEST_VERBOSE=1 TEST_TIMEOUT=600 NESTED_L2_VMM=$VMM tests/run.sh --build '$BUILD' kvm tests/nested/l1-linux-boot.sh" \
		2>&1 | tee "$LOGS/nested-l1.out"
	rc=${PIPESTATUS[0]}
	echo "== nested: L1 run took $(($(date +%s) - start)) s, exit $rc"
	[ "$rc" = 126 ] && [ $attempt = 1 ] || break
	echo "== nested: L1 FROZE (exit 126: no heartbeat for 300 s; log above, last test"
	echo "   line: $(grep -E '^(PASS|FAIL|SKIP) ' "$LOGS/nested-l1.out" | tail -n1)); rerunning the L1 stage once"
done
if ! add_summary "$LOGS/nested-l1.out"; then
	echo "nested: the L1 run printed no summary (exit $rc; 124 = timeout, 125 = L1 failed, 126 = L1 froze)"
elif [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
	fail=$((fail + 1)) # summary printed but the run ended abnormally
fi
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
