#!/usr/bin/env bash
# nfvisor-switch at run time: bad control requests get error replies and the
# switch keeps running; ports added and removed through the control socket
# while traffic flows; per-port MAC limit and flood limit drops; the switch
# as vhost-user client reconnecting to a virtio-user server after the switch
# restarts and after the peer restarts.
. "$(dirname "$0")/switch_common.bash"
sw_need 400
echo "1..39"

sw_start || { tap_fail "switch starts without ports"; tap_done; }
tap_ok "switch starts without ports"

# --- malformed / wrong requests -------------------------------------------
bad() { # bad NAME REQUEST ERROR-SUBSTRING
	local r
	r=$(ctl "$2")
	if [ "$(echo "$r" | jq -r .ok)" = false ] && echo "$r" | jq -r .error | grep -qi -- "$3"; then
		tap_ok "$1"
	else
		tap_fail "$1" "reply: $r"
	fi
}
bad "garbage is a malformed request" 'this is not json' "malformed JSON"
bad "a request without cmd" '{"foo":1}' 'field "cmd"'
bad "an unknown command" '{"cmd":"reboot"}' "unknown command"
bad "port-add with a bad spec names the bad value" \
	'{"cmd":"port-add","spec":"name=x,type=vhost-user,path=/tmp/x.sock,vlan=access:5000"}' "vlan=access:5000"
bad "port-add of a vdev DPDK cannot probe" \
	'{"cmd":"port-add","spec":"name=bad,type=vdev,dev=net_nosuchdriver0"}' "cannot probe"
bad "port-del of an unknown port" '{"cmd":"port-del","name":"nope"}' "no port named"
bad "fdb-add with a bad MAC" '{"cmd":"fdb-add","vlan":1,"mac":"zz","port":"x"}' "bad mac"
bad "fdb-add with a string VLAN" '{"cmd":"fdb-add","vlan":"1","mac":"52:54:00:00:00:01","port":"x"}' 'non-integer field "vlan"'
bad "a request over 64 KiB is refused" "{\"cmd\":\"$(head -c 70000 /dev/zero | tr '\0' a)\"}" "longer than 64 KiB"
expect_eq "the switch still answers after bad requests" "$(ctl '{"cmd":"ports"}' | jq -c .ports)" "[]"

# --- ports added at run time ---------------------------------------------
add() { ctl "{\"cmd\":\"port-add\",\"spec\":\"$1\"}" | jq -r .ok; }
expect_eq "port-add vm1 (vhost-user server)" \
	"$(add "name=vm1,type=vhost-user,path=$TEST_TMP/vm1.sock,vlan=access:10")" true
expect_eq "port-add vm2" "$(add "name=vm2,type=vhost-user,path=$TEST_TMP/vm2.sock,vlan=access:10")" true
bad "a second port on the same socket is refused" \
	"{\"cmd\":\"port-add\",\"spec\":\"name=vm9,type=vhost-user,path=$TEST_TMP/vm1.sock\"}" "already used"
expect_eq "port-add vm3 with mac-limit=1 and flood-limit=1" \
	"$(add "name=vm3,type=vhost-user,path=$TEST_TMP/vm3.sock,vlan=access:10,mac-limit=1,flood-limit=1")" true
for i in 1 2 3; do vm_start vm$i "$TEST_TMP/vm$i.sock" "52:54:00:00:00:0$i"; done
wait_up vm1 vm2 vm3 || echo "# ports: $(ctl '{"cmd":"ports"}')"
for i in 1 2 3; do vm_start_fwd vm$i; done
settle 1
vm_send vm1 ff:ff:ff:ff:ff:ff 4
expect_rx "traffic flows between run-time added ports" vm2 4

# Flood limit: vm3 floods 100 broadcasts; 1 flooded frame/s is allowed with
# a 32-frame burst allowance.
vm_send vm3 ff:ff:ff:ff:ff:ff 100
for i in $(seq 100); do [ "$(sw_stat vm3 .rx_packets)" -ge 100 ] && break; sleep 0.1; done
fl=$(sw_stat vm3 .drops.flood_limit)
settle 0.3
got=$(vm_rx vm1)
if [ "$fl" -ge 60 ] && [ $((fl + got)) -eq 100 ]; then
	tap_ok "flood limit: $fl of 100 broadcasts dropped, $got delivered"
else
	tap_fail "flood limit" "flood_limit drops $fl, delivered to vm1 $got"
fi

# MAC limit: vm3's MAC is learned; the VM restarts with another MAC (the
# FDB keeps the old entry across the flap), which exceeds mac-limit=1.
vm_send vm3 52:54:00:00:00:01 2
expect_rx "vm3's first MAC is learned and forwarded" vm1 $((got + 2))
vm_kill vm3
vm_start vm3 "$TEST_TMP/vm3.sock" 52:54:00:00:00:33
wait_up vm3 >/dev/null
vm_start_fwd vm3
settle 0.5
vm_send vm3 52:54:00:00:00:01 3
for i in $(seq 50); do [ "$(sw_stat vm3 .drops.mac_limit)" -ge 3 ] && break; sleep 0.1; done
expect_eq "frames from a second MAC on vm3 are dropped (mac_limit)" "$(sw_stat vm3 .drops.mac_limit)" 3
expect_eq "...and never reach vm1" "$(vm_rx vm1)" $((got + 2))

# --- port removal while the others keep forwarding ------------------------
ctl '{"cmd":"fdb-add","vlan":10,"mac":"52:54:00:00:00:22","port":"vm2"}' >/dev/null
expect_eq "port-del vm2" "$(ctl '{"cmd":"port-del","name":"vm2"}' | jq -r .ok)" true
expect_eq "vm2 is gone from the port list" "$(ctl '{"cmd":"ports"}' | jq -c '[.ports[].name]')" '["vm1","vm3"]'
expect_eq "vm2's FDB entries (dynamic and static) are flushed" \
	"$(ctl '{"cmd":"fdb-show"}' | jq '[.entries[] | select(.port=="vm2")] | length')" 0
[ ! -e "$TEST_TMP/vm2.sock" ] && tap_ok "vm2's server socket is removed" || tap_fail "vm2's server socket is removed"
r0=$(vm_rx vm3)
vm_send vm1 52:54:00:00:00:03 5
expect_rx "vm1 -> vm3 keeps working after vm2's removal" vm3 $((r0 + 5))
vm_kill vm2

# --- aging: dynamic entries go after the aging time, static ones stay ----
ctl '{"cmd":"fdb-add","vlan":10,"mac":"52:54:00:00:00:55","port":"vm1"}' >/dev/null
expect_eq "fdb-aging 1 s accepted" "$(ctl '{"cmd":"fdb-aging","seconds":1}' | jq -r .ok)" true
for i in $(seq 40); do
	[ "$(ctl '{"cmd":"fdb-show"}' | jq '[.entries[] | select(.static | not)] | length')" = 0 ] && break
	sleep 0.1
done
expect_eq "learned entries aged out, the static one stays" \
	"$(ctl '{"cmd":"fdb-show"}' | jq -c '[.entries[] | .mac]')" '["52:54:00:00:00:55"]'
ctl '{"cmd":"fdb-aging","seconds":300}' >/dev/null

# --- multiqueue: two queue pairs, both polled, per-queue counters --------
expect_eq "port-add vmq with queues=2" \
	"$(add "name=vmq,type=vhost-user,path=$TEST_TMP/vmq.sock,vlan=access:10,queues=2")" true
vm_start vmq "$TEST_TMP/vmq.sock" 52:54:00:00:00:0e ",queues=2" "--rxq=2 --txq=2"
wait_up vmq >/dev/null
vm_start_fwd vmq
settle 0.5
r0=$(vm_rx vm1)
vm_send vmq 52:54:00:00:00:01 4 # 4 frames per tx queue
expect_rx "frames from both guest queues reach vm1" vm1 $((r0 + 8))
expect_eq "the switch polls both queue pairs (per-queue rx 4/4)" \
	"$(sw_stat vmq '.queues | map(.rx_packets) | map(tostring) | join("/")')" 4/4
expect_eq "both guest rx queues are enabled and used as tx queues" \
	"$(ctl '{"cmd":"ports"}' | jq -r '.ports[] | select(.name=="vmq") | "\(.rx_queues)/\(.tx_queues)"')" 2/2
vm_kill vmq

# --- switch as vhost-user client, peers as virtio-user servers -----------
vm_kill vm1
vm_kill vm3
vm_start vmc "$TEST_TMP/vmc.sock" 52:54:00:00:00:0c ",server=1"
vm_start vmd "$TEST_TMP/vmd.sock" 52:54:00:00:00:0d ",server=1"
sleep 1
expect_eq "port-add vmc and vmd in client mode" \
	"$(add "name=vmc,type=vhost-user,path=$TEST_TMP/vmc.sock,mode=client,vlan=access:10")$(add "name=vmd,type=vhost-user,path=$TEST_TMP/vmd.sock,mode=client,vlan=access:10")" truetrue
if wait_up vmc vmd; then tap_ok "client-mode ports connect to the VMs' sockets"; else
	tap_fail "client-mode ports connect to the VMs' sockets" "$(ctl '{"cmd":"ports"}')"; fi
vm_start_fwd vmc
vm_start_fwd vmd
settle 0.5
vm_send vmd 52:54:00:00:00:0c 3
expect_rx "traffic between client-mode ports" vmc 3

# The switch restarts: the VMs keep their sockets, the new switch reconnects.
sw_stop
sw_start --port "name=vmc,type=vhost-user,path=$TEST_TMP/vmc.sock,mode=client,vlan=access:10" \
	--port "name=vmd,type=vhost-user,path=$TEST_TMP/vmd.sock,mode=client,vlan=access:10"
if wait_up vmc vmd; then tap_ok "after a switch restart both client ports reconnect"; else
	tap_fail "after a switch restart both client ports reconnect" "$(ctl '{"cmd":"ports"}')"; fi
vm_send vmd 52:54:00:00:00:0c 2
expect_rx "traffic flows again after the switch restart" vmc 5

# The VM behind vmc restarts: the switch (client) reconnects by itself.
vm_kill vmc
rm -f "$TEST_TMP/vmc.sock" # what a VMM does before listening again
vm_start vmc "$TEST_TMP/vmc.sock" 52:54:00:00:00:0c ",server=1"
sleep 1.5
if wait_up vmc; then tap_ok "client port reconnects after the VM restarts"; else
	tap_fail "client port reconnects after the VM restarts" "$(ctl '{"cmd":"ports"}')"; fi
vm_start_fwd vmc
settle 0.5
vm_send vmd 52:54:00:00:00:0c 2
expect_rx "traffic reaches the restarted VM" vmc 2
sw_stop
expect_eq "clean shutdown" "$?" 0
tap_done
