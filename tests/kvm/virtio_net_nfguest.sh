#!/usr/bin/env bash
# nfguest traffic through nfvisor-vmm's virtio-net and dpdk-testpmd's vhost
# PMD, all real processes: VM "gen" on port 0 -> testpmd io forwarding ->
# port 1 -> VM "sink"; the sink counts and verifies every frame (counts must
# match exactly), in polling and in interrupt mode. Then testpmd is killed
# and restarted while traffic flows: both VMMs keep running (same pids) and
# traffic resumes. Needs /dev/kvm (nested tier), root, hugepages, dpdk-testpmd.
cd "$(dirname "$0")/../.."
. tests/lib.sh
VMM=$BUILD/nfvisor-vmm
GUEST=$BUILD/guest/nfguest.elf
need_testpmd_peer 100 "$VMM" "$GUEST"
S0=$TEST_TMP/p0.sock S1=$TEST_TMP/p1.sock
N=${NET_TEST_FRAMES:-3000}
RATE=${NET_TEST_RATE:-3000}

start_testpmd() { # two vhost-user servers, io forwarding 0 <-> 1
	rm -f "$S0" "$S1" # DPDK does not replace stale socket files of a killed testpmd
	dpdk-testpmd -l 0,1 --no-pci --in-memory -m 64 "${DLIBS[@]}" \
		--vdev "net_vhost0,iface=$S0" --vdev "net_vhost1,iface=$S1" -- \
		--forward-mode=io --auto-start --total-num-mbufs=8192 --stats-period 5 \
		>>"$TEST_TMP/testpmd.log" 2>&1 </dev/null &
	TPMD=$!
	track_pid $TPMD
	for _ in $(seq 150); do [ -S "$S0" ] && [ -S "$S1" ] && return 0; sleep 0.2; done
	return 1
}
# vm NAME SOCK MAC CMDLINE: start a VM in the background, pid in VMPID
vm() {
	"$VMM" --kernel "$GUEST" --memory 64M --hugepages 2M --cmdline "$4" \
		--net "vhost-user:$2,mac=$3" </dev/null >"$TEST_TMP/$1.log" 2>&1 &
	VMPID=$!
	track_pid $VMPID
}
# wait_exit PID SECONDS: 0 if it exited (status in RC), 1 if still running (killed)
wait_exit() {
	local n=0
	while kill -0 "$1" 2>/dev/null; do
		n=$((n + 1))
		if [ $n -gt $(($2 * 2)) ]; then kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 1; fi
		sleep 0.5
	done
	wait "$1"; RC=$?
	return 0
}
out() { tr -d '\r' <"$TEST_TMP/$1.log"; }

# run_pair TAG IRQ: sink + gen through testpmd; checks exact counts.
run_pair() {
	local tag=$1 irq=$2 spid gpid line rx bad
	vm "sink-$tag" "$S1" 52:54:00:00:00:02 "mode=sink count=$N idle_ms=20000 first_ms=120000 irq=$irq"
	spid=$VMPID
	sleep 3
	vm "gen-$tag" "$S0" 52:54:00:00:00:01 \
		"mode=gen count=$N size=64 rate=$RATE dst=52:54:00:00:00:02 tx_timeout_ms=60000 irq=$irq"
	gpid=$VMPID
	wait_exit $gpid 300 || true
	if out "gen-$tag" | grep -q "nfguest: gen tx=$N "; then
		tap_ok "$tag: gen sent $N frames ($(out "gen-$tag" | grep -m1 'nfguest: gen'))"
	else
		tap_fail "$tag: gen sent $N frames"; out "gen-$tag" | tail -n 15 | tap_diag
	fi
	wait_exit $spid 120 || true
	line=$(out "sink-$tag" | grep -a -m1 'nfguest: sink rx=' || true)
	rx=$(echo "$line" | sed -n 's/.*rx=\([0-9]*\).*/\1/p')
	bad=$(echo "$line" | sed -n 's/.*bad=\([0-9]*\).*/\1/p')
	if [ "$rx" = "$N" ] && [ "$bad" = 0 ]; then
		tap_ok "$tag: sink received all $N frames intact ($line)"
	else
		tap_fail "$tag: sink received all $N frames intact" "${line:-no sink result}"
		out "sink-$tag" | tail -n 15 | tap_diag
		cat "$TEST_TMP/sink-$tag.log" "$TEST_TMP/gen-$tag.log" | grep -a 'error\|warn' | tap_diag
		grep -a -i 'error\|fail\|closed\|disconn' "$TEST_TMP/testpmd.log" | tail -n 15 | tap_diag
	fi
}

echo "1..7"
if ! start_testpmd; then
	tap_fail "testpmd with two vhost-user ports starts"; tap_diag <"$TEST_TMP/testpmd.log"; tap_done
fi
run_pair poll 0
run_pair irq 1

# Backend restart while traffic flows: the gen's stream lasts 40 s and
# testpmd dies 3 s after the gen is up, so the restart falls inside it
# however long the VMs took to boot, and most of the stream (what the two
# VMMs did not lose while each reconnected on its own) comes after it.
N2=$((N * 2))
vm sink-rs "$S1" 52:54:00:00:00:02 "mode=sink count=$N2 idle_ms=60000 first_ms=120000"
spid=$VMPID
sleep 3
vm gen-rs "$S0" 52:54:00:00:00:01 \
	"mode=gen count=$N2 size=64 rate=$((N2 / 40)) dst=52:54:00:00:00:02 tx_timeout_ms=120000"
gpid=$VMPID
for _ in $(seq 600); do out gen-rs | grep -q 'nfguest: gen ready' && break; sleep 0.2; done
sleep 3
kill -9 $TPMD 2>/dev/null; wait $TPMD 2>/dev/null
sleep 2
start_testpmd || tap_diag <"$TEST_TMP/testpmd.log"
wait_exit $gpid 400 || true
wait_exit $spid 200 || true
line=$(out sink-rs | grep -a -m1 'nfguest: sink rx=' || true)
rx=$(echo "$line" | sed -n 's/.*rx=\([0-9]*\).*/\1/p')
if [ -n "$rx" ] && [ "$rx" -gt $((N2 / 2)) ] && out sink-rs | grep -q 'bad=0'; then
	tap_ok "testpmd restart: traffic resumed, sink got $rx of $N2 ($line)"
else
	tap_fail "testpmd restart: traffic resumed" "${line:-no sink result}"
	out sink-rs | tail -n 10 | tap_diag; out gen-rs | tail -n 10 | tap_diag
fi
if out gen-rs | grep -q 'backend session 2' && out sink-rs | grep -q 'backend session 2'; then
	tap_ok "both VMMs re-established their backend session without a restart (same pids $gpid, $spid)"
else
	tap_fail "both VMMs re-established their backend session"; out gen-rs | grep -i 'virtio-net' | tap_diag
fi
if out gen-rs | grep -q "nfguest: gen tx=$N2 "; then
	tap_ok "gen completed all $N2 frames across the restart"
else
	tap_fail "gen completed all $N2 frames across the restart"; out gen-rs | tail -n 5 | tap_diag
fi
tap_done
