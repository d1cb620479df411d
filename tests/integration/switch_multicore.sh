#!/usr/bin/env bash
# nfvisor-switch with two PMD lcores (both on CPU 1: a functional test of
# the multi-lcore paths, not of speed), given through raw EAL arguments:
# receive queues are spread over both lcores and rebalanced when ports come
# and go; a two-queue vhost port is sent to from both lcores (one guest queue
# each); counters stay exact.
. "$(dirname "$0")/switch_common.bash"
sw_need 400
echo "1..11"

sw_start -- --lcores "0@0,1@1,2@1" --file-prefix "${SW_PREFIX}sw" -m 256 --in-memory --no-pci \
	--log-level=lib.eal:warning || { tap_fail "switch starts with EAL arguments"; tap_done; }
expect_eq "two PMD lcores from the EAL core list" "$(ctl '{"cmd":"lcores"}' | jq -c '[.lcores[].lcore]')" "[1,2]"
add() { ctl "{\"cmd\":\"port-add\",\"spec\":\"$1\"}" | jq -r .ok; }
# No queues= here: every queue pair the guest brings is served.
add "name=vm1,type=vhost-user,path=$TEST_TMP/vm1.sock,vlan=access:7" >/dev/null
add "name=vm2,type=vhost-user,path=$TEST_TMP/vm2.sock,vlan=access:7" >/dev/null
vm_start vm1 "$TEST_TMP/vm1.sock" 52:54:00:00:07:01 ",queues=2" "--rxq=2 --txq=2"
vm_start vm2 "$TEST_TMP/vm2.sock" 52:54:00:00:07:02
wait_up vm1 vm2 || echo "# $(ctl '{"cmd":"ports"}')"
vm_start_fwd vm1
vm_start_fwd vm2
settle 1

lc=$(ctl '{"cmd":"lcores"}')
expect_eq "three receive queues spread 2+1 over the lcores" \
	"$(echo "$lc" | jq -c '[.lcores[].rx_queues | length] | sort')" "[1,2]"
expect_eq "vm1's two queues are on different lcores" \
	"$(echo "$lc" | jq -c '[.lcores[] | [.rx_queues[] | select(.port=="vm1")] | length]')" "[1,1]"

vm_send vm1 52:54:00:00:07:02 5 # 5 per guest queue: 10 frames, both lcores
VM_SENT[vm1]=10
expect_rx "frames received on both lcores reach vm2" vm2 10
vm_send vm2 52:54:00:00:07:01 6
expect_rx "vm2 -> vm1 unicast after learning" vm1 6

add "name=vm3,type=vhost-user,path=$TEST_TMP/vm3.sock,vlan=access:7" >/dev/null
vm_start vm3 "$TEST_TMP/vm3.sock" 52:54:00:00:07:03
wait_up vm3 >/dev/null
vm_start_fwd vm3
settle 0.5
expect_eq "a new port's queue joins the assignment (2+2)" \
	"$(ctl '{"cmd":"lcores"}' | jq -c '[.lcores[].rx_queues | length] | sort')" "[2,2]"
vm_send vm3 ff:ff:ff:ff:ff:ff 3
expect_rx "broadcast from the new port reaches vm1" vm1 9
expect_rx "...and vm2" vm2 13
ctl '{"cmd":"port-del","name":"vm2"}' >/dev/null
expect_eq "port-del rebalances (3 queues left)" \
	"$(ctl '{"cmd":"lcores"}' | jq '[.lcores[].rx_queues | length] | add')" 3
ok=1
for i in 1 3; do
	srx=$(sw_stat vm$i .rx_packets) stx=$(sw_stat vm$i .tx_packets)
	vtx=${VM_SENT[vm$i]:-0} vrx=$(vm_rx vm$i)
	[ "$srx" = "$vtx" ] && [ "$stx" = "$vrx" ] ||
		{ ok=0; echo "# vm$i: switch rx/tx $srx/$stx, vm tx/rx $vtx/$vrx"; }
done
[ $ok = 1 ] && tap_ok "counters summed over both lcores equal the peers' counts" ||
	tap_fail "counters summed over both lcores equal the peers' counts"
sw_stop
expect_eq "clean shutdown with two PMD lcores" "$?" 0
tap_done
