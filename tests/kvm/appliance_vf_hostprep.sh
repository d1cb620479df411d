#!/usr/bin/env bash
# Host preparation on a real SR-IOV PF (the nested L1 of `l1run.sh --vfio`:
# an NVMe PF with 2 VFs behind an IOMMU): `nfvisor up` of an appliance whose
# switch port is VF 1 of that PF creates the VFs (sriov_numvfs 0 -> 2,
# autoprobe off) and binds VF 1 to vfio-pci; the switch then fails (an
# NVMe function is no NIC), so up must roll back: VF unbound,
# sriov_numvfs and sriov_drivers_autoprobe as before, nothing left. Skips
# where no SR-IOV PF, IOMMU or vfio-pci is present (everywhere but that L1).
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/orch_common.bash
need_root
[ -x "$NFV" ] && [ -x "$BUILD/nfvisor-switch" ] || skip_all "nfvisor/nfvisor-switch not built (make)"
[ -d /sys/bus/pci/drivers/vfio-pci ] || skip_all "vfio-pci not loaded (l1run.sh --vfio loads it)"
PF=
for d in /sys/bus/pci/devices/*; do
	[ -e "$d/sriov_totalvfs" ] && [ "$(cat "$d/sriov_numvfs")" = 0 ] && [ "$(cat "$d/sriov_totalvfs")" -ge 2 ] &&
		[ -e "$d/iommu_group" ] && { PF=${d##*/}; break; }
done
[ -n "$PF" ] || skip_all "no SR-IOV PF with 2 free VFs behind an IOMMU"
orch_l1_prepare
D=/sys/bus/pci/devices/$PF
ap0=$(cat $D/sriov_drivers_autoprobe)
NAME=vfprep
cat >"$TEST_TMP/app.yaml" <<EOF2
name: $NAME
pfs:
  - {name: pf0, pci: "$PF", numvfs: 2}
switch:
  pmd_cores: "1"
  memory: 64M
  ports:
    - {name: vf1, type: vf, pf: pf0, index: 1}
EOF2
orch_cleanup_on_exit $NAME
"$NFV" plan "$TEST_TMP/app.yaml" 2>&1 | tap_diag
hp0=$(cat $HP_NR)
# Watch the host in the middle of up: right before the switch starts.
hook="[ \"\$NFV_STEP\" != switch ] || { cat $D/sriov_numvfs $D/sriov_drivers_autoprobe; basename \$(readlink $D/virtfn1/driver); } >$TEST_TMP/mid"
NFV_SWITCH_TIMEOUT=120 "$NFV" up --test-hook "$hook" "$TEST_TMP/app.yaml" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
rc=$?
tap_diag <"$TEST_TMP/out"
tap_diag <"$TEST_TMP/err"
tap_check "up fails at the switch step (exit $rc)" [ $rc = 1 ]
tap_check "step: VFs created ($PF: 0 -> 2 VFs)" grep -q "creating SR-IOV VFs ... ok ($PF: 0 -> 2 VFs)" "$TEST_TMP/out"
tap_check "step: VF bound to vfio-pci" grep -q 'binding devices to vfio-pci ... ok (1 bound' "$TEST_TMP/out"
tap_check "mid-up: 2 VFs, autoprobe 0, VF 1 on vfio-pci" [ "$(tr '\n' ' ' <"$TEST_TMP/mid")" = "2 0 vfio-pci " ]
tap_check "the switch step failed and up rolled back" grep -q '^rollback complete' "$TEST_TMP/out"
tap_check "sriov_numvfs back to 0" [ "$(cat $D/sriov_numvfs)" = 0 ]
tap_check "sriov_drivers_autoprobe back to $ap0" [ "$(cat $D/sriov_drivers_autoprobe)" = "$ap0" ]
orch_check_clean $NAME "$hp0" "rolled back"
tap_done
