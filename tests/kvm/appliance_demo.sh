#!/usr/bin/env bash
# The demo appliance for real: `nfvisor up examples/demo.yaml` starts the
# switch and two nfguest VMs (vm1 generates to vm2, vm2 reflects) and the
# switch counters prove traffic both ways; `status --json` reports it; kill -9
# of the switch and then of a VM: the supervisor restarts each and traffic
# resumes; `down` leaves no process, socket, state dir, hugepage file or tap
# interface, and nr_hugepages as before. Needs KVM (make check-nested runs it
# in the TCG L1), root, DPDK plugins, /dev/net/tun, 128 2M hugepages.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/orch_common.bash
need_vm_switch "$NFV"
orch_l1_prepare
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun (the demo's uplink is a tap port; modprobe tun)"
[ -e /run/nfvisor/demo ] && skip_all "an appliance \"demo\" is already up here"
export NFV_SWITCH_TIMEOUT=180 NFV_VM_TIMEOUT=180 # TCG L1 is slow
# The demo names build/guest/nfguest.elf relative to the repo.
if [ "$BUILD" != build ]; then
	sed "s|build/guest/nfguest.elf|$BUILD/guest/nfguest.elf|" examples/demo.yaml >"$TEST_TMP/demo.yaml"
	FILE=$TEST_TMP/demo.yaml
else
	FILE=examples/demo.yaml
fi
orch_cleanup_on_exit demo
hp0=$(cat $HP_NR)

"$NFV" up "$FILE" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
rc=$?
tap_check "nfvisor up $FILE exits 0 (got $rc)" [ $rc = 0 ]
tap_diag <"$TEST_TMP/out"
[ $rc = 0 ] || { tap_diag <"$TEST_TMP/err"; tap_done; }
tap_check "every step reported ok" grep -q '^\[5/5\] starting VM vm2 ... ok (pid [0-9]*)' "$TEST_TMP/out"

j() { orch_json_get demo "$1"; }
tap_check "status --json: appliance running" [ "$(j '$a.state')" = running ]
tap_check "status --json: switch, vm1, vm2 running with pids" \
	[ "$(j '[$c.switch, $c.vm1, $c.vm2] | all(.state == "running" and .pid > 0)')" = true ]
tap_check "status --json: vm2's vCPU0 thread really runs on CPU 0 only" \
	[ "$(j '$c.vm2.vcpus[0].host_cpus')" = 0 ]
tap_check "status --json: vm1 vCPU0 on CPU 0, PMD on CPU 1" \
	[ "$(j '"\($c.vm1.vcpus[0].cpu) \($c.switch.pmd_cores | tostring)"')" = "0 [1]" ]

# traffic_both_ways MIN: vm1's frames reach the switch, go out to vm2, and
# vm2's reflections come back into the switch. (vm1, a generator, never reads
# its RX ring: the switch delivers one ring's worth to it, then counts drops.)
traffic_both_ways() {
	[ "$(j "\$p[\"vm1-eth0\"].rx_packets >= $1 and \$p[\"vm2-eth0\"].tx_packets >= $1 and \$p[\"vm2-eth0\"].rx_packets >= $1")" = true ]
}
if orch_wait 90 traffic_both_ways 1000; then tap_ok "traffic flows vm1 -> switch -> vm2 -> switch"; else
	tap_fail "traffic flows vm1 -> switch -> vm2 -> switch" "$("$NFV" status demo | tr '\n' ';')"; fi
"$NFV" status demo | tap_diag

# Kill the switch: restarted, traffic resumes (its counters start at 0).
old=$(j '$c.switch.pid')
kill -9 "$old"
switch_back() { [ "$(j "\$c.switch.restarts == 1 and \$c.switch.state == \"running\" and \$c.switch.pid != $old")" = true ]; }
if orch_wait 240 switch_back; then tap_ok "kill -9 switch: the supervisor restarted it"; else
	tap_fail "kill -9 switch: the supervisor restarted it" "$(tail -5 /run/nfvisor/demo/events.log | tr '\n' ';')"; fi
if orch_wait 120 traffic_both_ways 1000; then tap_ok "traffic resumes through the new switch"; else
	tap_fail "traffic resumes through the new switch" "$("$NFV" status demo | tr '\n' ';')"; fi

# Kill a VM: restarted, traffic resumes.
old=$(j '$c.vm2.pid')
kill -9 "$old"
vm_back() { [ "$(j "\$c.vm2.restarts == 1 and \$c.vm2.state == \"running\" and \$c.vm2.pid != $old")" = true ]; }
if orch_wait 240 vm_back; then tap_ok "kill -9 vm2: the supervisor restarted it"; else
	tap_fail "kill -9 vm2: the supervisor restarted it" "$(tail -5 /run/nfvisor/demo/events.log | tr '\n' ';')"; fi
base=$(j '$p["vm2-eth0"].rx_packets')
if orch_wait 120 traffic_both_ways $((base + 1000)); then tap_ok "traffic resumes through the new vm2"; else
	tap_fail "traffic resumes through the new vm2" "$("$NFV" status demo | tr '\n' ';')"; fi
tap_check "events.log records both restarts" \
	bash -c "grep -q 'restarted switch' /run/nfvisor/demo/events.log && grep -q 'restarted vm.vm2' /run/nfvisor/demo/events.log"
"$NFV" status demo | tap_diag
tap_diag </run/nfvisor/demo/events.log

"$NFV" down demo >"$TEST_TMP/out" 2>&1
rc=$?
tap_check "nfvisor down demo exits 0 (got $rc)" [ $rc = 0 ]
tap_diag <"$TEST_TMP/out"
orch_check_clean demo "$hp0" "down"
tap_check "the tap uplink nfv-demo0 is gone" bash -c '! ip link show nfv-demo0 >/dev/null 2>&1'
"$NFV" down demo >"$TEST_TMP/out" 2>&1
tap_check "down again: exit 0, not up" bash -c "[ $? = 0 ] && grep -q 'is not up' '$TEST_TMP/out'"
tap_done
