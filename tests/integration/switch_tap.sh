#!/usr/bin/env bash
# nfvisor-switch with net_tap ports moved into network namespaces (the OVS
# check-dpdk pattern) plus a testpmd icmpecho "VM" on a vhost-user port:
#   t1: access 10 -> ns1 10.0.10.1      t2: access 10 -> ns2 10.0.10.2
#   t3: access 20 -> ns3 10.0.10.3 (same subnet, other VLAN)
#   vm1: vhost-user access 20, testpmd answering ARP/ICMP for any address
#   t4: trunk 10,20 -> ns4, where a raw socket sends 802.1Q frames (this
#       kernel has no 8021q module, so no VLAN interfaces)
. "$(dirname "$0")/switch_common.bash"
sw_need 300
need_cmd ip
need_cmd ping
[ -x /usr/bin/python3 ] || skip_all "python3 not installed (scripts/install-deps.sh installs it)"
echo "1..15"

NS="nfvsw$$"
IF1="nfa$$" IF2="nfb$$" IF3="nfc$$" IF4="nfd$$"
tap_ns_cleanup() {
	local n
	for n in 1 2 3 4 5; do ip netns del "$NS$n" 2>/dev/null; done
	ip link del "nfe$$" 2>/dev/null
	sw_cleanup
}
trap tap_ns_cleanup EXIT

sw_start \
	--port "name=t1,type=vdev,dev=net_tap0,iface=$IF1,vlan=access:10" \
	--port "name=t2,type=vdev,dev=net_tap1,iface=$IF2,vlan=access:10" \
	--port "name=t3,type=vdev,dev=net_tap2,iface=$IF3,vlan=access:20" \
	--port "name=t4,type=vdev,dev=net_tap3,iface=$IF4,vlan=trunk:10+20" \
	--port "name=vm1,type=vhost-user,path=$TEST_TMP/vm1.sock,vlan=access:20" ||
	{ tap_fail "switch starts with four net_tap ports"; tap_done; }
tap_ok "switch starts with four net_tap ports"

# mkns N IF [ADDR]: a namespace without IPv6 chatter holding the tap.
mkns() {
	local ns=$NS$1 ifc=$2
	ip netns add "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip link set "$ifc" netns "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "$ifc" up
	[ -z "${3:-}" ] || ip -n "$ns" addr add "$3" dev "$ifc"
}
mkns 1 "$IF1" 10.0.10.1/24
mkns 2 "$IF2" 10.0.10.2/24
mkns 3 "$IF3" 10.0.10.3/24
mkns 4 "$IF4"

vm_start vm1 "$TEST_TMP/vm1.sock" 52:54:00:00:20:09
vm_cmd vm1 "set fwd icmpecho"
wait_up vm1 >/dev/null
vm_cmd vm1 "start"
settle 1

p() { ip netns exec "$NS$1" ping -n -q -c "${3:-3}" -i 0.2 -W 2 "$2" >/dev/null 2>&1; }
if p 1 10.0.10.2; then tap_ok "netns ping across the switch (VLAN 10, tap to tap)"; else
	tap_fail "netns ping across the switch (VLAN 10, tap to tap)"; fi
if p 3 10.0.10.9; then tap_ok "netns ping to a vhost-user testpmd (VLAN 20, tap to vhost)"; else
	tap_fail "netns ping to a vhost-user testpmd (VLAN 20, tap to vhost)"; fi
if p 1 10.0.10.3 2; then tap_fail "VLAN isolation: VLAN 10 cannot reach VLAN 20's 10.0.10.3" "ping succeeded"; else
	tap_ok "VLAN isolation: VLAN 10 cannot reach VLAN 20's 10.0.10.3"; fi
if p 1 10.0.10.9 2; then tap_fail "VLAN isolation: VLAN 10 cannot reach the VLAN 20 VM" "ping succeeded"; else
	tap_ok "VLAN isolation: VLAN 10 cannot reach the VLAN 20 VM"; fi

mac1=$(ip -n "${NS}1" -br link show "$IF1" | awk '{print $3}')
expect_eq "FDB: ns1's MAC learned on t1, VLAN 10" \
	"$(ctl '{"cmd":"fdb-show","vlan":10}' | jq -r --arg m "$mac1" '.entries[] | select(.mac==$m) | .port')" t1

# Trunk ingress: a tagged ARP request for 10.0.10.1 on VLAN 10 from MAC X.
# ns1 answers only if the tag was popped (this kernel drops tagged frames),
# and the answer goes back to the trunk, tagged.
X=02:00:00:00:00:44
rawsend() { # rawsend VLAN|none COUNT
	ip netns exec "${NS}4" /usr/bin/python3 - "$IF4" "$1" "$2" "$X" <<'EOF'
import socket, struct, sys
ifc, vlan, count, src = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
mac = bytes.fromhex(src.replace(':', ''))
arp = struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 1, mac, bytes([10, 0, 10, 44]),
                  b'\0' * 6, bytes([10, 0, 10, 1]))
tag = b'' if vlan == 'none' else struct.pack('!HH', 0x8100, int(vlan))
frame = b'\xff' * 6 + mac + tag + b'\x08\x06' + arp
frame += b'\0' * max(0, 60 - len(frame))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifc, 0))
for _ in range(count):
    s.send(frame)
EOF
}
t4tx0=$(sw_stat t4 .tx_packets)
rawsend 10 1
for i in $(seq 50); do
	[ "$(sw_stat t4 .tx_packets)" -gt "$t4tx0" ] && break
	sleep 0.1
done
expect_eq "tagged VLAN 10 ARP from the trunk is answered by ns1 (reply sent to the trunk)" \
	"$(( $(sw_stat t4 .tx_packets) - t4tx0 ))" 1
expect_eq "FDB: the trunk host is learned on t4, VLAN 10" \
	"$(ctl '{"cmd":"fdb-show","vlan":10}' | jq -r --arg m "$X" '.entries[] | select(.mac==$m) | .port')" t4
expect_eq "ns1 resolved the trunk host (tag popped on the way in)" \
	"$(ip -n "${NS}1" neigh show 10.0.10.44 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2)" "$X"

f0=$(sw_stat t4 .drops.vlan_filter)
rawsend 30 4
rawsend none 3
for i in $(seq 50); do
	[ "$(sw_stat t4 .drops.vlan_filter)" -ge $((f0 + 7)) ] && break
	sleep 0.1
done
expect_eq "trunk drops VID 30 (not allowed) and untagged frames: vlan_filter +7" \
	"$(( $(sw_stat t4 .drops.vlan_filter) - f0 ))" 7

# A second vdev driver at run time: net_af_packet on one end of a veth pair
# whose other end lives in ns5 (VLAN 10).
VE="nfe$$"
ip netns add "${NS}5"
ip netns exec "${NS}5" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add "$VE" type veth peer name "${VE}p"
sysctl -qw "net.ipv6.conf.$VE.disable_ipv6=1"
ip link set "${VE}p" netns "${NS}5"
ip link set "$VE" up
ip -n "${NS}5" link set "${VE}p" up
ip -n "${NS}5" addr add 10.0.10.5/24 dev "${VE}p"
expect_eq "port-add of a net_af_packet port at run time" \
	"$(ctl "{\"cmd\":\"port-add\",\"spec\":\"name=af0,type=vdev,dev=net_af_packet0,iface=$VE,vlan=access:10\"}" | jq -r .ok)" true
if p 1 10.0.10.5; then tap_ok "netns (tap) <-> netns (veth via af_packet): ping"; else
	tap_fail "netns (tap) <-> netns (veth via af_packet): ping"; fi
expect_eq "port-del of the af_packet port" "$(ctl '{"cmd":"port-del","name":"af0"}' | jq -r .ok)" true
ip link del "$VE" 2>/dev/null

rx=$(sw_stat t1 .rx_packets) tx=$(sw_stat t1 .tx_packets)
if [ "$rx" -ge 8 ] && [ "$tx" -ge 6 ]; then tap_ok "tap port counters count the pings (rx $rx, tx $tx)"; else
	tap_fail "tap port counters count the pings" "rx $rx tx $tx"; fi
sw_stop
expect_eq "SIGTERM with tap ports: clean exit" "$?" 0
tap_done
