#!/usr/bin/env bash
# Nested tier (needs KVM): nfvisor-vmm + the vfio-user test device + nfguest
# mode=pci-probe, end to end: BAR access, DMA into guest memory and MSI-X
# through the shared passthrough device model over vfio-user. Also: the
# device server dying mid-run (the VMM reports it, the guest sees a dead
# device, the VMM still exits cleanly) and no server at all (clear error).
# Runs on the host and boots its own L1; inside L1 ($L1RUN=1) or on any host
# with /dev/kvm it runs directly.
cd "$(dirname "$0")/../.."
. tests/lib.sh
VMM=$BUILD/nfvisor-vmm TD=$BUILD/tests/vfio-user-testdev GUEST=$BUILD/guest/nfguest.elf
for f in "$VMM" "$TD" "$GUEST"; do [ -e "$f" ] || skip_all "$f not built (run make)"; done
"$VMM" --help 2>&1 | grep -q -- 'vfio-user' || skip_all "nfvisor-vmm has no --device vfio-user yet (vfio/vfio_vm.h hooks not wired)"

if [ ! -c /dev/kvm ] && [ "${L1RUN:-0}" != 1 ]; then
	need_cmd qemu-system-x86_64
	exec tests/nested/l1run.sh --build "$BUILD" --smp 1 --mem 1024 --hugepages 96 \
		--timeout "${NESTED_VFIO_TIMEOUT:-600}" -- "tests/nested/vfio_user.sh"
fi
need_kvm
echo "1..8"
SOCK=$TEST_TMP/td.sock
run_vm() { # run_vm LOG: nfguest pci-probe with the test device; exit status
	timeout -k 5 120 "$VMM" --kernel "$GUEST" --cmdline "mode=pci-probe" --memory 64M \
		--hugepages 2M --device "vfio-user:$SOCK" </dev/null >"$1" 2>&1
}
wait_sock() { for _ in $(seq 50); do [ -S "$SOCK" ] && return 0; sleep 0.1; done; return 1; }

# 1. End to end.
"$TD" --socket "$SOCK" >"$TEST_TMP/td1.log" 2>&1 &
tdpid=$!; track_pid $tdpid
wait_sock || tap_fail "test device listening"
run_vm "$TEST_TMP/vm1.log"; rc=$?
tap_diag <"$TEST_TMP/vm1.log"
[ $rc = 0 ] && tap_ok "nfvisor-vmm exits 0 after the guest powers off" || tap_fail "VMM exit" "rc=$rc"
grep -q '^nfguest: pci-probe bar=ok dma=ok msix=ok' "$TEST_TMP/vm1.log" &&
	tap_ok "nfguest pci-probe: bar=ok dma=ok msix=ok over vfio-user" ||
	tap_fail "nfguest pci-probe all ok" "$(grep 'pci-probe' "$TEST_TMP/vm1.log")"
kill $tdpid; wait $tdpid 2>/dev/null
grep -q 'interrupts sent so far' "$TEST_TMP/td1.log" && tap_ok "device server saw the client leave and kept running" ||
	tap_fail "server survived the client" "$(tail -n 3 "$TEST_TMP/td1.log")"

# 2. The server dies in the middle (after setup, during the guest's probe).
"$TD" --socket "$SOCK" --crash-after 30 >"$TEST_TMP/td2.log" 2>&1 &
tdpid=$!; track_pid $tdpid
wait_sock || tap_fail "test device listening (crash case)"
run_vm "$TEST_TMP/vm2.log"; rc=$?
tap_diag <"$TEST_TMP/vm2.log"
wait $tdpid; tdrc=$?
[ $tdrc = 3 ] && tap_ok "device server crashed on purpose mid-run" || tap_fail "server crash injection" "rc=$tdrc"
grep -q 'connection to the device server lost' "$TEST_TMP/vm2.log" &&
	tap_ok "VMM reports the lost device server" || tap_fail "VMM reports the dead server"
grep -q '^nfguest: pci-probe .*=fail' "$TEST_TMP/vm2.log" &&
	tap_ok "guest sees the dead device fail ($(grep -o 'pci-probe.*' "$TEST_TMP/vm2.log"))" ||
	tap_fail "guest sees the dead device" "$(grep 'pci-probe' "$TEST_TMP/vm2.log")"
[ $rc = 0 ] && tap_ok "VMM stays sane: the guest still powers off and the VMM exits 0" ||
	tap_fail "VMM after the server died" "rc=$rc"

# 3. No server.
rm -f "$SOCK"
run_vm "$TEST_TMP/vm3.log"; rc=$?
[ $rc != 0 ] && grep -q "cannot connect to $SOCK" "$TEST_TMP/vm3.log" &&
	tap_ok "no server: VMM refuses to start and names the socket" ||
	tap_fail "no server" "rc=$rc $(head -n 3 "$TEST_TMP/vm3.log")"
tap_done
