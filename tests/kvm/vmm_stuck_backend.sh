#!/usr/bin/env bash
# SIGTERM stops a VMM whose vhost-user backend took the connection but does
# not answer (dpdk-testpmd frozen with SIGSTOP): the wait for the backend's
# reply, which lasts up to 300 s for a merely slow backend, gives way to the
# stop at once. Needs /dev/kvm (the nested tier), root, hugepages and
# dpdk-testpmd with the vhost PMD.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
VMM=$BUILD/nfvisor-vmm
NFGUEST=$BUILD/guest/nfguest.elf
need_testpmd_peer 100 "$VMM" "$NFGUEST"
SOCK=$TEST_TMP/vh.sock

echo "1..3"
# --stats-period: without it testpmd waits for Enter on stdin and, given
# /dev/null, exits at once.
dpdk-testpmd -l 0,1 --no-pci --in-memory -m 64 "${DLIBS[@]}" --vdev "net_vhost0,iface=$SOCK" \
	-- --forward-mode=io --auto-start --total-num-mbufs=2048 --stats-period 3600 </dev/null >"$TEST_TMP/testpmd.log" 2>&1 &
TPMD=$!
track_pid $TPMD
for _ in $(seq 300); do [ -S "$SOCK" ] && break; sleep 0.2; done
if [ ! -S "$SOCK" ]; then
	tap_fail "testpmd creates its vhost-user socket"
	tap_diag <"$TEST_TMP/testpmd.log"
	tap_done
fi
kill -STOP $TPMD # the socket still accepts (listen backlog); nothing answers

"$VMM" --kernel "$NFGUEST" --memory 64M --hugepages 2M --vcpus 1 --net "vhost-user:$SOCK" \
	--cmdline "mode=sink" </dev/null >"$TEST_TMP/vm.log" 2>"$TEST_TMP/vm.err" &
VPID=$!
track_pid $VPID
# The first "still waiting" note comes 10 s into the wait.
if wait_grep 1200 'still waiting for the reply to' "$TEST_TMP/vm.err"; then
	tap_ok "the VMM waits for the frozen backend, saying so: $(grep -m1 -o 'still waiting for the reply to [A-Z_]*' "$TEST_TMP/vm.err")"
else
	tap_fail "the VMM waits for the frozen backend, saying so" "$(tail -c 600 "$TEST_TMP/vm.err")"
fi
start=$(date +%s%N)
kill -TERM $VPID
for _ in $(seq 300); do kill -0 $VPID 2>/dev/null || break; sleep 0.1; done
wait $VPID
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [ $rc = 0 ] && [ $ms -lt 15000 ]; then
	tap_ok "SIGTERM ends the wait and the VMM exits 0 in $ms ms"
else
	tap_fail "SIGTERM ends the wait and the VMM exits 0 within 15 s" "exit $rc after $ms ms: $(tail -c 600 "$TEST_TMP/vm.err")"
fi
if grep -q 'stopping: no longer waiting for the reply' "$TEST_TMP/vm.err" &&
	grep -q 'VM stopped by SIGTERM' "$TEST_TMP/vm.err"; then
	tap_ok "the VMM says it gave up the wait because it stops"
else
	tap_fail "the VMM says it gave up the wait because it stops" "$(tail -c 600 "$TEST_TMP/vm.err")"
fi
kill -CONT $TPMD 2>/dev/null
tap_done
