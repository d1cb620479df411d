#!/usr/bin/env bash
# A stock Linux guest's own virtio_pci + virtio_net drivers on nfvisor-vmm's
# virtio-net (vhost-user frontend) with dpdk-testpmd's net_vhost as the
# backend in icmpecho mode: the device enumerates, binds with MSI-X, the link
# comes up and ping gets answers; then testpmd is killed and restarted, the
# guest sees the link go down and up, and ping works again in the SAME VMM
# process. Needs /dev/kvm (runs inside the nested tier), root, hugepages,
# dpdk-testpmd with the vhost PMD, and $BUILD/tests/kvm/net-initrd.gz.
cd "$(dirname "$0")/../.."
. tests/lib.sh
need_kvm
need_root
need_cmd dpdk-testpmd
KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V -r | head -n1)
INITRD=$BUILD/tests/kvm/net-initrd.gz
VMM=$BUILD/nfvisor-vmm
[ -n "$KERNEL" ] || skip_all "no /boot/vmlinuz-* to boot as the guest"
[ -s "$INITRD" ] || skip_all "$INITRD not built (make builds it from busybox-static and the host's virtio modules)"
[ -x "$VMM" ] || skip_all "$VMM not built"
[ "$(free_hugepages_2m)" -ge 160 ] || skip_all "needs 160 free 2M hugepages (have $(free_hugepages_2m))"
dpdk_vhost_prepare
SOCK=$TEST_TMP/vhu.sock
TIMEOUT=${NET_TEST_TIMEOUT:-1200}

start_testpmd() { # vhost-user server on $SOCK, answering ARP and ICMP echo
	rm -f "$SOCK" # DPDK does not replace a stale socket file of a killed testpmd
	dpdk-testpmd -l 0,1 --no-pci --in-memory -m 64 "${DLIBS[@]}" \
		--vdev "net_vhost0,iface=$SOCK" -- --forward-mode=icmpecho --auto-start --total-num-mbufs=8192 \
		--stats-period 5 >>"$TEST_TMP/testpmd.log" 2>&1 </dev/null &
	TPMD=$!
	track_pid $TPMD
	for _ in $(seq 100); do [ -S "$SOCK" ] && return 0; sleep 0.2; done
	return 1
}
# wait_for PATTERN SECONDS: until the guest console shows PATTERN (count N = $3, default 1)
wait_for() {
	local n=0 want=${3:-1}
	while [ $n -lt $(($2 * 2)) ]; do
		[ "$(tr -d '\r' <"$LOG" | grep -c -- "$1")" -ge "$want" ] && return 0
		kill -0 $VPID 2>/dev/null || return 1
		sleep 0.5; n=$((n + 1))
	done
	return 1
}

echo "1..8"
start_testpmd || { tap_fail "testpmd vhost-user backend starts" "no socket $SOCK"; tap_diag <"$TEST_TMP/testpmd.log"; tap_done; }
LOG=$TEST_TMP/vmm.log
# NET_VMM_ARGS: extra VMM options (e.g. "--seccomp log" to find a missing syscall)
"$VMM" --kernel "$KERNEL" --initrd "$INITRD" --memory 256M --hugepages 2M ${NET_VMM_ARGS:-} \
	--cmdline "console=ttyS0 panic=-1 quiet nettest.peer=10.99.0.1 nettest.flap=1" \
	--net "vhost-user:$SOCK,mac=52:54:00:00:99:02" </dev/null >"$LOG" 2>"$TEST_TMP/vmm.err" &
# The console (stdout) and the VMM's own messages (stderr) go to separate
# files: interleaved, a VMM line can split a guest marker line in two.
VPID=$!
track_pid $VPID
if wait_for 'NET-FLAP-READY\|NET-DONE' $TIMEOUT; then :; fi
log() { tr -d '\r' <"$LOG"; }
if log | grep -q 'NET-PCI .* 0x1af4 0x1041'; then
	tap_ok "guest enumerates virtio-net 1af4:1041 on PCI ($(log | grep -c NET-PCI) functions)"
else
	tap_fail "guest enumerates virtio-net 1af4:1041 on PCI"; log | tail -n 40 | tap_diag; tail -n 20 "$TEST_TMP/vmm.err" | tap_diag
fi
if log | grep -q 'NET-DRIVER virtio_net\|NET-DRIVER virtio-pci\|NET-DRIVER virtio'; then
	tap_ok "Linux virtio driver binds ($(log | grep -m1 NET-DRIVER))"
else
	tap_fail "Linux virtio driver binds"
fi
if log | grep -q 'NET-LINK-UP'; then tap_ok "link up"; else tap_fail "link up"; fi
irqs=$(log | sed -n 's/^NET-IRQ //p' | head -n1)
if [ "${irqs:-0}" -ge 2 ]; then tap_ok "MSI-X vectors in use ($irqs virtio lines in /proc/interrupts)"; else tap_fail "MSI-X vectors in use" "NET-IRQ ${irqs:-none}"; fi
if log | grep -q 'NET-PING-OK'; then tap_ok "ping answered by testpmd icmpecho"; else tap_fail "ping answered by testpmd icmpecho"; log | tail -n 20 | tap_diag; fi
# Backend restart: kill testpmd, start it again; same VMM pid throughout.
kill -9 $TPMD 2>/dev/null; wait $TPMD 2>/dev/null
sleep 2
start_testpmd || tap_diag <"$TEST_TMP/testpmd.log"
wait_for 'NET-DONE' $TIMEOUT || true
if log | grep -q 'NET-LINK-DOWN' && [ "$(log | grep -c 'NET-LINK-UP')" -ge 2 ]; then
	tap_ok "guest saw link down and up across the testpmd restart"
else
	tap_fail "guest saw link down and up across the testpmd restart"; log | tail -n 20 | tap_diag
fi
if [ "$(log | grep -c 'NET-PING-OK')" -ge 2 ]; then
	tap_ok "ping works again after the restart, VMM pid $VPID unchanged"
else
	tap_fail "ping works again after the restart"
fi
for _ in $(seq 60); do kill -0 $VPID 2>/dev/null || break; sleep 0.5; done
if kill -0 $VPID 2>/dev/null; then
	tap_fail "VMM exits 0 after guest poweroff" "still running"
else
	wait $VPID; rc=$?
	if [ $rc = 0 ]; then tap_ok "VMM exits 0 after guest poweroff"; else tap_fail "VMM exits 0 after guest poweroff" "exit $rc"; log | tail -n 20 | tap_diag; fi
fi
tap_done
