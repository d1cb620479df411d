#!/usr/bin/env bash
# A failure injected midway through `nfvisor up` of the demo: the second
# VM's kernel disappears just before its step (hidden --test-hook), so the
# switch and vm1 are up and vm2's VMM fails. up must say what failed and
# roll back completely: vm1 and the switch stopped, the hugepages it
# reserved given back, no state dir, socket or tap left. Needs KVM (make
# check-nested), root, DPDK plugins, /dev/net/tun.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/orch_common.bash
need_vm_switch "$NFV"
orch_l1_prepare
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun (modprobe tun)"
export NFV_SWITCH_TIMEOUT=180 NFV_VM_TIMEOUT=180
NAME=demorb
cp "$BUILD/guest/nfguest.elf" "$TEST_TMP/vm2.elf"
sed -e 's/^name: demo$/name: demorb/' -e 's/nfv-demo0/nfv-demorb0/' \
	-e "s|build/guest/nfguest.elf|$BUILD/guest/nfguest.elf|" \
	-e "s|^    cmdline: \"mode=reflect\"$|&\\n    kernel: $TEST_TMP/vm2.elf|" \
	examples/demo.yaml >"$TEST_TMP/app.yaml"
grep -q "kernel: $TEST_TMP/vm2.elf" "$TEST_TMP/app.yaml" || skip_all "examples/demo.yaml changed shape (no vm2 cmdline \"mode=reflect\")"
orch_cleanup_on_exit $NAME
hp0=$(cat $HP_NR)
"$NFV" up --test-hook "[ \"\$NFV_STEP\" != vm:vm2 ] || rm -f $TEST_TMP/vm2.elf" \
	"$TEST_TMP/app.yaml" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
rc=$?
tap_diag <"$TEST_TMP/out"
tap_diag <"$TEST_TMP/err"
tap_check "up exits 1 (got $rc)" [ $rc = 1 ]
tap_check "the switch and vm1 came up first" \
	bash -c "grep -q '^\[3/5\] starting switch ... ok' '$TEST_TMP/out' && grep -q '^\[4/5\] starting VM vm1 ... ok' '$TEST_TMP/out'"
tap_check "step 5 (vm2) is the one that failed" grep -q '^\[5/5\] starting VM vm2 ... FAILED' "$TEST_TMP/out"
tap_check "the error names vm2 and quotes its VMM's log" grep -q 'vm.vm2 (pid [0-9]*) exited while starting' "$TEST_TMP/err"
tap_check "vm1 was stopped in the rollback" grep -Eq 'stopping vm.vm1 \(pid [0-9]+\) ... ok' "$TEST_TMP/out"
tap_check "the switch was stopped in the rollback" grep -Eq 'stopping switch \(pid [0-9]+\) ... ok' "$TEST_TMP/out"
tap_check "rollback complete" grep -q '^rollback complete' "$TEST_TMP/out"
orch_check_clean $NAME "$hp0" "rolled back"
tap_check "the tap uplink is gone" bash -c '! ip link show nfv-demorb0 >/dev/null 2>&1'
tap_done
