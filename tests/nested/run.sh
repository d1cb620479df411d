#!/usr/bin/env bash
# make check-nested: the nested tier.  Runs on the host (no /dev/kvm needed):
#   1. tests/nested/selftest.sh — l1run.sh itself (KVM works in L1, status, timeout)
#   2. one L1 boot (l1run.sh) running `tests/run.sh kvm` (the KVM tests that
#      skip on this host) and tests/nested/l1-linux-boot.sh (stock Linux L2)
# Ends with one line "N passed, N failed, N skipped"; exit 1 if anything failed.
#   tests/nested/run.sh [--build DIR]
# Env: NESTED_L2_VMM=nfvisor|qemu (default nfvisor) picks the L2 VMM for the
# Linux boot tests; NESTED_TIMEOUT (default 1500) bounds the L1 run.
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
	tests/nested/extract-vmlinux.sh "/boot/vmlinuz-$KVER" "$A/vmlinux-$KVER" || fail=$((fail + 1))
fi
if [ ! -s "$A/l2-initrd.gz" ] || [ tests/nested/mk-l2-initrd.sh -nt "$A/l2-initrd.gz" ]; then
	tests/nested/mk-l2-initrd.sh "$A/l2-initrd.gz" || fail=$((fail + 1))
fi

echo "== nested: l1run self-test"
tests/run.sh --build "$BUILD" tests/nested/selftest.sh | tee "$LOGS/nested-selftest.out"
add_summary "$LOGS/nested-selftest.out"

echo "== nested: KVM tests and stock Linux L2 inside a TCG L1 (L2 VMM: $VMM)"
qemu_opt=()
[ "$VMM" = qemu ] && qemu_opt=(--qemu)
start=$(date +%s)
tests/nested/l1run.sh --build "$BUILD" --smp 2 --mem 2560 --hugepages 512 \
	--timeout "${NESTED_TIMEOUT:-1500}" "${qemu_opt[@]+"${qemu_opt[@]}"}" -- \
	"TEST_VERBOSE=1 TEST_TIMEOUT=600 NESTED_L2_VMM=$VMM tests/run.sh --build '$BUILD' kvm tests/nested/l1-linux-boot.sh" \
	2>&1 | tee "$LOGS/nested-l1.out"
rc=${PIPESTATUS[0]}
echo "== nested: L1 run took $(($(date +%s) - start)) s, exit $rc"
if ! add_summary "$LOGS/nested-l1.out"; then
	echo "nested: the L1 run printed no summary (exit $rc; 124 = timeout, 125 = L1 failed)"
elif [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
	fail=$((fail + 1)) # summary printed but the run ended abnormally
fi
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
