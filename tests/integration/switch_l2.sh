#!/usr/bin/env bash
# nfvisor-switch L2 behaviour with four testpmd "VMs" on vhost-user ports:
#   vm1, vm2: access VLAN 10    vm3: access VLAN 20    vm4: trunk 10,20
# Flooding of broadcast/unknown unicast (not back to the sender, only within
# the VLAN), learning then unicast only to the learned port, VLAN isolation,
# tag push toward the trunk, FDB surviving a port flap, and exact counters.
# (Tagged ingress on a trunk is covered by switch_tap.sh with kernel VLANs.)
. "$(dirname "$0")/switch_common.bash"
sw_need 400
echo "1..27"

M1=52:54:00:00:00:01 M2=52:54:00:00:00:02 M3=52:54:00:00:00:03
sw_start \
	--port "name=vm1,type=vhost-user,path=$TEST_TMP/vm1.sock,vlan=access:10" \
	--port "name=vm2,type=vhost-user,path=$TEST_TMP/vm2.sock,vlan=access:10" \
	--port "name=vm3,type=vhost-user,path=$TEST_TMP/vm3.sock,vlan=access:20" \
	--port "name=vm4,type=vhost-user,path=$TEST_TMP/vm4.sock,vlan=trunk:10+20" ||
	{ tap_fail "switch starts"; tap_done; }
for i in 1 2 3 4; do vm_start vm$i "$TEST_TMP/vm$i.sock" "52:54:00:00:00:0$i"; done
if wait_up vm1 vm2 vm3 vm4; then tap_ok "four vhost-user peers connect"; else
	tap_fail "four vhost-user peers connect" "$(ctl '{"cmd":"ports"}')"; tap_done; fi
for i in 1 2 3 4; do vm_start_fwd vm$i; done
settle 1

# 1. broadcast from vm1: vm2 (untagged) and vm4 (tagged), never vm3 or vm1.
vm_send vm1 ff:ff:ff:ff:ff:ff 5
expect_rx "broadcast reaches the same-VLAN access port untagged" vm2 5 \
	"dst=FF:FF:FF:FF:FF:FF .*type=0x0800 - length=64"
expect_rx "broadcast reaches the trunk with an 802.1Q tag (68 B)" vm4 5 \
	"dst=FF:FF:FF:FF:FF:FF .*type=0x8100 - length=68"
settle 0.3
expect_eq "broadcast does not cross into VLAN 20" "$(vm_rx vm3)" 0
expect_eq "no hair-pin back to the sender" "$(vm_rx vm1)" 0

# 2. unknown unicast floods the same way.
vm_send vm1 52:54:00:00:00:99 3
expect_rx "unknown unicast flooded to vm2" vm2 8
expect_rx "unknown unicast flooded to the trunk" vm4 8
expect_eq "the FDB learned vm1 on VLAN 10" \
	"$(ctl '{"cmd":"fdb-show","vlan":10}' | jq -r --arg m "$M1" '.entries[] | select(.mac==$m) | .port')" vm1

# 3. vm2 -> vm1 (learned): unicast to vm1 only.
vm_send vm2 "$M1" 4
expect_rx "learned unicast reaches vm1" vm1 4 "$M2 - dst=$M1"
# 4. vm1 -> vm2 (learned from step 3).
vm_send vm1 "$M2" 2
expect_rx "reply unicast reaches vm2" vm2 10
settle 0.3
expect_eq "learned unicast is never flooded to the trunk" "$(vm_rx vm4)" 8

# 5. VLAN isolation: vm3 (VLAN 20) to vm1's MAC is unknown on VLAN 20.
vm_send vm3 "$M1" 3
expect_rx "VLAN 20 unknown unicast reaches the trunk (tagged)" vm4 11
settle 0.3
expect_eq "...but not vm1, which is on VLAN 10" "$(vm_rx vm1)" 4
expect_eq "...nor vm2" "$(vm_rx vm2)" 10
expect_eq "the trunk copies of VLAN 20 traffic are tagged" "$(vm_rx vm4 "$M3 .*type=0x8100 - length=68")" 3

# 6. vm3 restarts (vhost disconnect + reconnect): others keep working and
#    the FDB keeps vm1/vm2 (learned on other ports) and vm3's own entry.
vm_kill vm3
for i in $(seq 50); do [ "$(port_state vm3)" = down ] && break; sleep 0.1; done
expect_eq "vm3's port goes down when its peer dies" "$(port_state vm3)" down
vm_send vm2 "$M1" 2
expect_rx "traffic between vm2 and vm1 continues meanwhile" vm1 6
vm_start vm3 "$TEST_TMP/vm3.sock" "$M3"
if wait_up vm3; then tap_ok "vm3 reconnects to its server socket"; else tap_fail "vm3 reconnects to its server socket"; fi
vm_start_fwd vm3
settle 0.5
expect_eq "FDB still maps vm3's MAC to vm3 after the flap" \
	"$(ctl '{"cmd":"fdb-show","vlan":20}' | jq -r --arg m "$M3" '.entries[] | select(.mac==$m) | .port')" vm3
vm_send vm1 ff:ff:ff:ff:ff:ff 1
expect_rx "restarted vm3 does not get VLAN 10 broadcasts but vm2 does" vm2 11
settle 0.3
expect_eq "(vm3 count)" "$(vm_rx vm3)" 0

# 7. exact counters: switch rx = frames each VM sent; tx = frames it received.
ok=1
for i in 1 2 4; do
	srx=$(sw_stat vm$i .rx_packets) stx=$(sw_stat vm$i .tx_packets)
	vtx=${VM_SENT[vm$i]:-0} vrx=$(vm_rx vm$i)
	[ "$srx" = "$vtx" ] && [ "$stx" = "$vrx" ] ||
		{ ok=0; echo "# vm$i: switch rx/tx $srx/$stx, vm tx/rx $vtx/$vrx"; }
done
[ $ok = 1 ] && tap_ok "switch per-port counters equal the peers' frame counts" ||
	tap_fail "switch per-port counters equal the peers' frame counts"
expect_eq "rx bytes exact (vm1 sent 11 frames of 64 B)" "$(sw_stat vm1 .rx_bytes)" 704
expect_eq "trunk tx bytes include the pushed tags (12 x 68 B)" "$(sw_stat vm4 .tx_bytes)" 816
expect_eq "per-queue counters sum to the port's" \
	"$(sw_stat vm2 '.queues | map(.tx_packets) | add')" "$(sw_stat vm2 .tx_packets)"
expect_eq "the PMD lcore reports busy and idle cycles" \
	"$(ctl '{"cmd":"lcores"}' | jq '.lcores[0].busy_cycles > 0 and .lcores[0].idle_cycles > 0')" true
sw_stop
expect_eq "SIGTERM: clean exit status" "$?" 0
tap_done
