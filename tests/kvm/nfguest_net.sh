#!/usr/bin/env bash
# nfguest's virtio-net driver on nfvisor-vmm's virtio-net (vhost-user
# frontend) under real KVM (the nested tier's L1): two VMs, gen and sink,
# joined by dpdk-testpmd with two net_vhost ports in io forwarding. Counts
# match exactly at a moderate rate (500 pps: the nested tier is slow), in polling and in MSI-X interrupt mode;
# then reflect answers a generator. Needs /dev/kvm, root, hugepages and
# dpdk-testpmd with the vhost PMD.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
VMM=$BUILD/nfvisor-vmm
NFGUEST=$BUILD/guest/nfguest.elf
need_testpmd_peer 160 "$VMM" "$NFGUEST"
T=${NET_TEST_TIMEOUT:-120} # per wait; the whole script stays under run.sh's TEST_TIMEOUT

dpdk-testpmd -l 0,1 --no-pci --in-memory -m 64 "${DLIBS[@]}" \
	--vdev "net_vhost0,iface=$TEST_TMP/vh0.sock" --vdev "net_vhost1,iface=$TEST_TMP/vh1.sock" \
	-- --forward-mode=io --auto-start --nb-cores=1 --total-num-mbufs=8192 --stats-period 5 \
	</dev/null >"$TEST_TMP/testpmd.log" 2>&1 &
track_pid $!
for _ in $(seq 100); do [ -S "$TEST_TMP/vh1.sock" ] && break; sleep 0.2; done
if [ ! -S "$TEST_TMP/vh1.sock" ]; then
	tap_fail "testpmd creates its vhost-user sockets"
	tap_diag <"$TEST_TMP/testpmd.log"
	tap_done
fi

vm() { # NAME SOCKET CMDLINE: nfguest in nfvisor-vmm, 64 MiB on 2M hugepages
	: >"$TEST_TMP/$1.log" # exists before the background job opens it
	"$VMM" --kernel "$NFGUEST" --memory 64M --hugepages 2M --vcpus 1 \
		--net "vhost-user:$2" --cmdline "$3" </dev/null >"$TEST_TMP/$1.log" 2>&1 &
	track_pid $!
	eval "PID_$1=$!"
}
wait_ready() { # NAME: its ready line within $T s, else a failure with its log
	for _ in $(seq $((T * 5))); do
		grep -aq ' ready ' "$TEST_TMP/$1.log" && return 0
		sleep 0.2
	done
	local p=PID_$1 t
	tap_fail "$1 printed no ready line within ${T}s"
	tap_diag <"$TEST_TMP/$1.log"
	for t in /proc/${!p}/task/*; do # where each VMM thread waits
		echo "$t $(cat "$t/comm" 2>/dev/null) $(cat "$t/wchan" 2>/dev/null)"
	done | tap_diag
	tap_diag <"$TEST_TMP/testpmd.log"
	return 1
}
finish() { # NAME: wait up to $T s for the VM to end (else kill it), keep its exit code
	local p=PID_$1
	reap "${!p}" "$T"
	eval "RC_$1=$?"
}
last() { grep -ao 'nfguest: .*' "$TEST_TMP/$1.log" | tail -n1; }
check() { # NAME REGEX DESCRIPTION
	local rc=RC_$1
	if [ "${!rc}" = 0 ] && last "$1" | grep -qE "$2"; then
		tap_ok "$3: $(last "$1")"
	else
		tap_fail "$3" "exit ${!rc}, expected /$2/"
		tap_diag <"$TEST_TMP/$1.log"
	fi
}

for irq in 0 1; do
	vm sink$irq "$TEST_TMP/vh1.sock" "mode=sink count=2000 irq=$irq idle_ms=30000"
	wait_ready sink$irq || tap_done
	vm gen$irq "$TEST_TMP/vh0.sock" "mode=gen count=2000 size=64 rate=500 irq=$irq"
	finish gen$irq
	finish sink$irq
	check gen$irq '^nfguest: gen tx=2000 pps=[0-9]+$' "gen via vhost-user (irq=$irq)"
	check sink$irq '^nfguest: sink rx=2000 bad=0 pps=[0-9]+$' "sink via vhost-user (irq=$irq)"
done
if grep -aqE 'sink irqs=[1-9]' "$TEST_TMP/sink1.log"; then
	tap_ok "interrupt mode took MSI-X interrupts: $(grep -ao 'irqs=[0-9]*' "$TEST_TMP/sink1.log")"
else
	tap_fail "interrupt mode took no MSI-X interrupt"
fi
vm refl "$TEST_TMP/vh1.sock" "mode=reflect count=200 idle_ms=60000 irq=1"
wait_ready refl || tap_done
vm gen2 "$TEST_TMP/vh0.sock" "mode=gen count=200 size=1514 rate=500"
finish gen2
finish refl
check refl '^nfguest: reflect rx=200 tx=200 drop=0$' "reflect via vhost-user"
tap_done
