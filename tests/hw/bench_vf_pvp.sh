#!/usr/bin/env bash
# Opt-in hardware test (make check-hw): `nfvisor bench vf-pvp --quick` on the
# SR-IOV PF named by NFV_HW_PF=BDF (4 of its VFs: two passed into an nfguest
# fwd VM, two for nfv-trafgen), 64-byte frames. Asserts the outputs agree as
# the emulated smokes do, the line-rate baseline is reported, and the VF
# count and drivers are as before. A VF that is not virtio-net (the only
# NIC nfguest drives) makes the scenario skip with that reason.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/bench_check.bash
[ -n "${NFV_HW_PF:-}" ] || skip_all "set NFV_HW_PF=BDF (an SR-IOV NIC PF with 4 VFs) to run"
need_root
need_kvm
need_cmd jq
NFV=$BUILD/nfvisor
[ -x "$NFV" ] || skip_all "$NFV not built (run make)"
export NFV_BENCH_DIR=$PWD
D=/sys/bus/pci/devices/$NFV_HW_PF
n0=$(cat "$D/sriov_numvfs" 2>/dev/null)
O=$TEST_TMP/out
"$NFV" bench vf-pvp --quick --sizes 64 --out "$O" >"$TEST_TMP/out.txt" 2>"$TEST_TMP/err.txt"
rc=$?
if [ $rc -ne 0 ] && grep -q 'vf-pvp skipped:' "$TEST_TMP/err.txt"; then
	skip_all "$(grep -o 'vf-pvp skipped:.*' "$TEST_TMP/err.txt" | head -1)"
fi
echo "1..9"
[ $rc -eq 0 ] && tap_ok "bench vf-pvp --quick runs" || { tap_fail "bench vf-pvp --quick runs" "rc=$rc"; tap_diag <"$TEST_TMP/err.txt"; }
bench_check vf-pvp "$O" vf
lr=$(jq '[.points[] | .line_rate_pps] | min' "$O/results.json" 2>/dev/null)
grep -q "NDR against the port's line rate" "$O/report.md" 2>/dev/null && [ "${lr:-0}" -gt 0 ] 2>/dev/null &&
	tap_ok "line-rate baseline reported ($lr pps at 64 B)" || tap_fail "line-rate baseline reported" "line_rate_pps=$lr"
[ "$(cat "$D/sriov_numvfs" 2>/dev/null)" = "$n0" ] && tap_ok "VF count restored ($n0)" ||
	tap_fail "VF count restored" "was $n0, now $(cat "$D/sriov_numvfs" 2>/dev/null)"
tap_done
