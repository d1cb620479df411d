#!/usr/bin/env bash
# nfvisor-vmm under valgrind (memcheck) with real KVM, inside the nested
# tier's L1 (tests/nested/l1run.sh --valgrind --dpdk -- 'bash
# tests/kvm/vmm_valgrind.sh'): nfguest boots and powers off with 1 vCPU on
# plain memory and with 2 vCPUs on 2M hugepages (VALGRIND_ALL=1 adds the
# other two combinations; each run takes about a minute in the TCG L1), with
# a virtio-net device whose vhost-user backend is dpdk-testpmd (the guest
# sends 200 frames to it), and memcheck reports nothing: no invalid access,
# no uninitialised value, no leak of any kind.
# The seccomp filter is off under valgrind (--seccomp=off): memcheck's own
# syscalls (reading debug info, its pipes, the leak check) are not on the
# VMM's allow-list, and the filter is tested on its own by vmm_seccomp.sh.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_kvm
need_root
need_cmd valgrind
VMM=$BUILD/nfvisor-vmm
NFGUEST=$BUILD/guest/nfguest.elf
[ -x "$VMM" ] && [ -f "$NFGUEST" ] || skip_all "$VMM or $NFGUEST not built (run make)"
grep -qa __asan_init "$VMM" && skip_all "$VMM is a sanitizer build (valgrind needs a plain one)"
T=${VMM_TEST_TIMEOUT:-300}
VG=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all
	--errors-for-leak-kinds=all --child-silent-after-fork=yes)

# Optional peer: testpmd with one vhost-user port, receiving what gen sends.
NET=()
if command -v dpdk-testpmd >/dev/null && [ "$(free_hugepages_2m)" -ge 96 ]; then
	dpdk_vhost_prepare
	dpdk-testpmd -l 0,1 --no-pci --in-memory -m 32 "${DLIBS[@]}" \
		--vdev "net_vhost0,iface=$TEST_TMP/vh0.sock,client=0" \
		-- --forward-mode=rxonly --auto-start --nb-cores=1 --total-num-mbufs=4096 --stats-period 5 \
		</dev/null >"$TEST_TMP/testpmd.log" 2>&1 &
	track_pid $!
	for _ in $(seq 300); do [ -S "$TEST_TMP/vh0.sock" ] && break; sleep 0.2; done
	if [ -S "$TEST_TMP/vh0.sock" ]; then
		NET=(--net "vhost-user:$TEST_TMP/vh0.sock")
	else
		tap_fail "testpmd creates its vhost-user socket" "$(tail -c 600 "$TEST_TMP/testpmd.log")"
	fi
else
	tap_skip "vhost-user peer" "no dpdk-testpmd or fewer than 96 free hugepages: runs without --net"
fi

# run NAME VCPUS HUGEPAGES: nfguest under memcheck, exit 0 and no report.
run() {
	local name=$1 out=$TEST_TMP/$1.out rc cmdline=mode=hello expect='nfguest: ready cpus='$2
	if [ ${#NET[@]} -gt 0 ]; then
		cmdline="mode=gen count=200 size=128 rate=2000"
		expect='nfguest: gen tx=200 '
	fi
	timeout -k 10 "$T" "${VG[@]}" "$VMM" --seccomp=off --kernel "$NFGUEST" --memory 64M \
		--vcpus "$2" --hugepages "$3" "${NET[@]}" --cmdline "$cmdline" </dev/null >"$out" 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -aq "$expect" "$out" && grep -aq 'guest powered off' "$out" &&
		! grep -aqE '^==[0-9]+==' "$out" &&
		{ [ ${#NET[@]} = 0 ] || grep -aq 'backend session 1' "$out"; }; then
		tap_ok "memcheck: nfguest $cmdline, $2 vCPU(s), hugepages $3${NET:+, --net vhost-user to testpmd}: no report"
	else
		tap_fail "memcheck: nfguest $cmdline, $2 vCPU(s), hugepages $3" \
			"exit $rc (99 = memcheck errors); $(grep -a -m30 -E '^==[0-9]+==|nfguest:|error' "$out")"
	fi
}
run one-plain 1 none
run two-huge 2 2M
if [ "${VALGRIND_ALL:-0}" = 1 ]; then
	run one-huge 1 2M
	run two-plain 2 none
fi
tap_done
