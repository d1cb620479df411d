#!/usr/bin/env bash
# Opt-in hardware test (make check-hw): `nfvisor bench nvme --quick` on the
# NVMe controller named by NFV_HW_NVME=BDF: fio in a stock guest through
# VFIO passthrough (a VF of an SR-IOV controller, else the whole controller)
# against QEMU's virtio-blk on the same namespace, read-only. Asserts the
# outputs agree (tests/bench_check.bash, as the nested-tier run does), and
# that the host is as found: the controller back on the driver it had, the
# same VF count and the same /dev/nvme* nodes. Use a controller whose
# namespace may be read (never written) and that nothing else uses during
# the run: a whole controller is unbound from its driver meanwhile.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/bench_check.bash
[ -n "${NFV_HW_NVME:-}" ] || skip_all "set NFV_HW_NVME=BDF (an NVMe controller whose namespace may be read) to run"
need_root
need_kvm
need_cmd jq
need_cmd qemu-system-x86_64
need_cmd fio
need_built "$BUILD/nfvisor" "$BUILD/nfvisor-vmm"
export NFV_BENCH_DIR=$PWD
D=/sys/bus/pci/devices/$NFV_HW_NVME
[ -e "$D" ] || skip_all "NFV_HW_NVME=$NFV_HW_NVME: no such PCI device"
state() { # driver, VF count, NVMe device nodes
	echo "$(basename "$(readlink "$D/driver" 2>/dev/null)") $(cat "$D/sriov_numvfs" 2>/dev/null || echo -) $(ls /dev/nvme* 2>/dev/null | tr '\n' ' ')"
}
before=$(state)
O=$TEST_TMP/out
"$BUILD/nfvisor" bench nvme --quick --out "$O" >"$TEST_TMP/out.txt" 2>"$TEST_TMP/err.txt"
rc=$?
if [ $rc -ne 0 ] && grep -q 'nvme skipped:' "$TEST_TMP/err.txt"; then
	skip_all "$(grep -o 'nvme skipped:.*' "$TEST_TMP/err.txt" | head -1)"
fi
echo "1..6"
[ $rc -eq 0 ] && tap_ok "bench nvme --quick runs" || { tap_fail "bench nvme --quick runs" "rc=$rc"; tap_diag <"$TEST_TMP/err.txt"; }
bench_nvme_check "$O"
after=$(state)
[ "$before" = "$after" ] && grep -q 'Host restored: yes' "$O/report.md" 2>/dev/null &&
	tap_ok "host restored: $after" || tap_fail "host restored" "before '$before' after '$after'"
tap_done
