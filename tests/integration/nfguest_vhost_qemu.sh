#!/usr/bin/env bash
# nfguest's virtio-net driver against a real vhost-user backend: QEMU TCG
# (q35, guest RAM in a shared memfd) with -netdev vhost-user, and DPDK's
# dpdk-testpmd with two net_vhost ports in io forwarding. gen -> testpmd ->
# sink at a moderate rate: every frame arrives and verifies. Polling mode
# only: QEMU 7.2 under TCG segfaults in msix_set_vector_notifiers when a
# vhost-user device has an MSI-X vector at DRIVER_OK (interrupt mode is
# covered with socket netdevs and in the nested tier). No hugepages needed (testpmd --no-huge; --stats-period
# keeps it from exiting on stdin EOF).
. "$(dirname "$0")/../lib.sh"
need_cmd qemu-system-x86_64
need_cmd dpdk-testpmd
ELF=$BUILD/guest/nfguest.elf
[ -f "$ELF" ] || skip_all "$ELF not built (run make)"
PREFIX=nfgvh$$
trap 'test_cleanup; rm -rf /var/run/dpdk/$PREFIX' EXIT

dpdk-testpmd -l 0-1 --no-pci --no-huge -m 256 --file-prefix "$PREFIX" \
	--vdev "net_vhost0,iface=$TEST_TMP/vh0.sock" --vdev "net_vhost1,iface=$TEST_TMP/vh1.sock" \
	-- --forward-mode=io --auto-start --nb-cores=1 --total-num-mbufs=16384 --stats-period 5 \
	</dev/null >"$TEST_TMP/testpmd.log" 2>&1 &
track_pid $!
for i in $(seq 100); do
	[ -S "$TEST_TMP/vh1.sock" ] && break
	sleep 0.2
done
[ -S "$TEST_TMP/vh1.sock" ] || { tap_fail "testpmd did not create its vhost-user sockets"; tap_diag <"$TEST_TMP/testpmd.log"; tap_done; }

vm() { # NAME SOCKET APPEND
	qemu-system-x86_64 -M q35,memory-backend=mem -accel tcg -nographic \
		-no-reboot -m 128 -vga none -nic none \
		-object memory-backend-memfd,id=mem,size=128M,share=on \
		-chardev socket,id=c0,path="$2" -netdev vhost-user,id=n0,chardev=c0 \
		-device virtio-net-pci,netdev=n0,disable-legacy=on \
		-kernel "$ELF" -append "$3" </dev/null >"$TEST_TMP/$1.log" 2>&1 &
	track_pid $!
}
last() { grep -ao 'nfguest: .*' "$TEST_TMP/$1.log" | tail -n1; }

vm sink "$TEST_TMP/vh1.sock" "mode=sink count=2000 idle_ms=30000"
SINK=$!
for i in $(seq 300); do
	grep -aq 'sink ready' "$TEST_TMP/sink.log" && break
	sleep 0.2
done
vm gen "$TEST_TMP/vh0.sock" "mode=gen count=2000 size=128 rate=1000"
GEN=$!
reap $GEN 120
reap $SINK 120
if last gen | grep -qE '^nfguest: gen tx=2000 pps=[0-9]+$'; then
	tap_ok "gen through vhost-user: $(last gen)"
else
	tap_fail "gen through vhost-user" "$(last gen)"
	tap_diag <"$TEST_TMP/gen.log"
fi
if last sink | grep -qE '^nfguest: sink rx=2000 bad=0 pps=[0-9]+$'; then
	tap_ok "sink through vhost-user: $(last sink)"
else
	tap_fail "sink through vhost-user" "$(last sink)"
	tap_diag <"$TEST_TMP/sink.log"
	tail -n 30 "$TEST_TMP/testpmd.log" | tap_diag
fi
tap_done
