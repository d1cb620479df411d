#!/usr/bin/env bash
# Nested tier: real kernel VFIO in a TCG L1 with intel-iommu and an SR-IOV
# NVMe (tests/nested/l1run.sh --vfio). Runs build/tests/vfio-nvme-check there:
# VF creation + `nvme virt-mgmt`, vfio-pci binding, our container/group/device
# code, NVMe Identify by DMA into guest RAM with MSI-X on an eventfd, the
# negative cases (VF count beyond total / while assigned, unmapped IOVA, group
# held by another process, the non-viable ICH9 group) and restoring the host;
# then whole-controller passthrough of the PF, the passthrough device model
# over real VFIO + KVM (vfio-vm-check), the memslot-vs-trap MMIO benchmark
# (vfio-mmio-bench) and scripts/hwcheck.sh.
# lpc_ich is shipped and loaded so the ICH9 group has a device on a host
# driver. Prints TAP (the program's). Runs on the host; inside L1 ($L1RUN=1)
# it runs the program directly.
cd "$(dirname "$0")/../.."
. tests/lib.sh
PROG=$BUILD/tests/vfio-nvme-check
[ -x "$PROG" ] || skip_all "$PROG not built (run make)"

if [ "${L1RUN:-0}" = 1 ]; then
	[ -c /dev/vfio/vfio ] || skip_all "no /dev/vfio/vfio in this L1 (needs l1run.sh --vfio)"
	for m in "$@"; do insmod "$m" 2>/dev/null || true; done
	"$PROG"
	rc=$?
	# Whole-controller passthrough of the PF itself (nvme -> vfio-pci -> nvme).
	pf=$(for d in /sys/bus/pci/devices/*; do [ "$(cat "$d/class")" = 0x010802 ] && [ -e "$d/sriov_totalvfs" ] && echo "${d##*/}" && break; done)
	[ -n "$pf" ] || { echo "not ok - no NVMe PF for the whole-controller test"; exit 1; }
	"$PROG" --nvme "$pf" || rc=1
	# The passthrough device model over real VFIO + KVM (no vCPU).
	"$BUILD/tests/vfio-vm-check" --nvme "$pf" --refused 0000:00:1f.2 || rc=1
	# Benchmark: guest reads of the passthrough BAR, memslot vs trapped.
	BENCH_TIMEOUT=300 "$BUILD/tests/vfio-mmio-bench" --nvme "$pf" 20000 500 || rc=1
	# The host readiness report must see this L1 as ready.
	out=$(scripts/hwcheck.sh 2>&1); hrc=$?
	echo "$out" | sed 's/^/# /'
	[ $hrc = 0 ] && echo "ok - hwcheck.sh: no failures in an L1 with IOMMU + vfio-pci" || { echo "not ok - hwcheck.sh failed in L1"; rc=1; }
	case $out in *"[WARN] acs"*"00:1f.0"*) echo "ok - hwcheck.sh reports the shared ICH9 IOMMU group" ;;
	*) echo "not ok - hwcheck.sh did not report the shared ICH9 group"; rc=1 ;; esac
	case $out in *"[ OK ] sriov-pf"*"$pf"*) echo "ok - hwcheck.sh lists SR-IOV PF $pf" ;;
	*) echo "not ok - hwcheck.sh did not list PF $pf"; rc=1 ;; esac
	exit $rc
fi

need_cmd qemu-system-x86_64
need_cmd nvme
[ -x tests/nested/l1run.sh ] || skip_all "tests/nested/l1run.sh missing"
KVER=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V -r | head -n1)
LPC=$(modinfo -k "$KVER" -n lpc_ich 2>/dev/null) || skip_all "lpc_ich module for $KVER not found"
out=$TEST_TMP/l1.out
tests/nested/l1run.sh --build "$BUILD" --vfio --smp 1 --mem 1536 --hugepages 128 \
	--timeout "${NESTED_VFIO_TIMEOUT:-900}" --add "$LPC" -- \
	"tests/nested/vfio_kernel.sh $LPC" >"$out" 2>&1
rc=$?
cat "$out"
# The TAP came from inside; make sure a silent failure still fails here.
if ! grep -qE '^(not )?ok ' "$out"; then
	echo "not ok 1 - vfio-nvme-check in L1 produced no results (l1run exit $rc)"
	exit 1
fi
exit $rc
