#!/usr/bin/env bash
# nfvisor-vmm under real KVM (runs inside the nested tier's L1 via
# make check-nested; skips on hosts without /dev/kvm):
#  - the mini guest: ACPI poweroff and i8042 reset end with exit 0, a triple
#    fault ends non-zero with a register dump, unclaimed port/MMIO accesses
#    read as all ones and are ignored, COM1 input reaches the guest,
#    SIGTERM stops a halted guest cleanly, vCPU threads are named and pinned;
#  - nfguest: reports the right CPU count and memory size with 1 and 2
#    pinned vCPUs, on 2 MiB hugepages and on plain memory; with 4608 MiB
#    (above the PCI hole) pages above 4 GiB are written and read back;
#  - guest RAM hugepages all return to the pool and no file is left.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_kvm
vmm_test_env
HP=/sys/kernel/mm/hugepages/hugepages-2048kB

# run NAME RC REGEX [--stdin FILE] ARGS...: run the VMM to completion, check
# exit code and that stdout+stderr match REGEX (extended, multi-pattern
# separated by '&&' must all match).
run() {
	local name=$1 rc=$2 re=$3 in=/dev/null got out=$TEST_TMP/out pat ok=1
	shift 3
	if [ "$1" = --stdin ]; then
		in=$2
		shift 2
	fi
	timeout -k 5 "$T" "$VMM" "$@" >"$out" 2>&1 <"$in"
	got=$?
	if [ "$got" != "$rc" ]; then
		tap_fail "$name" "exit $got, expected $rc; output: $(tail -c 600 "$out")"
		return
	fi
	while IFS= read -r pat; do
		[ -z "$pat" ] && continue
		grep -qE -- "$pat" "$out" || { ok=0; tap_fail "$name" "no /$pat/ in: $(tail -c 600 "$out")"; break; }
	done <<<"${re//&&/$'\n'}"
	[ $ok = 1 ] && tap_ok "$name"
}

hp_free_before=$(cat $HP/free_hugepages 2>/dev/null || echo 0)
hp_files_before=$(ls -A /dev/hugepages 2>/dev/null | wc -l)

run "mini: ACPI S5 poweroff exits 0 (2M hugepages)" 0 \
	'mini: hello&&mini: powering off&&guest powered off \(ACPI S5\)' \
	--kernel "$MINI" --memory 64M --cmdline p
run "mini: poweroff with --hugepages none" 0 'mini: hello&&guest powered off' \
	--kernel "$MINI" --memory 32M --hugepages none --cmdline p
run "mini: i8042 reset exits 0" 0 'reset through the keyboard controller&&guest reset' \
	--kernel "$MINI" --memory 32M --hugepages none --cmdline r
NFV_LOG=debug run "mini: unclaimed port and MMIO reads return all ones, VM goes on" 0 \
	'^0xffffffff$&&unclaimed read of 4 bytes at 0x5555&&unclaimed write of 4 bytes at 0xfed00000&&ignored 3 unclaimed port and 2 unclaimed MMIO&&guest powered off' \
	--kernel "$MINI" --memory 32M --hugepages none --cmdline u
run "mini: triple fault exits 1 with a register dump" 1 \
	'triple fault \(KVM_EXIT_SHUTDOWN\)&&vCPU 0 state:&&rip [0-9a-f]{16}&&cr0 [0-9a-f]{16}&&VM stopped after an error' \
	--kernel "$MINI" --memory 32M --hugepages none --cmdline t
printf 'ping-from-host\n' >"$TEST_TMP/in"
run "mini: COM1 input from a file on stdin reaches the guest" 0 'ping-from-host&&guest powered off' \
	--stdin "$TEST_TMP/in" --kernel "$MINI" --memory 32M --hugepages none --cmdline e
mkfifo "$TEST_TMP/fifo"
(sleep 1; printf 'pipe-input\n') >"$TEST_TMP/fifo" &
run "mini: COM1 input from a pipe reaches the guest" 0 'pipe-input&&guest powered off' \
	--stdin "$TEST_TMP/fifo" --kernel "$MINI" --memory 32M --hugepages none --cmdline e

# SIGTERM while the guest sits in HLT; meanwhile check thread name and pinning.
ser=$TEST_TMP/serial.log
emu=0
[ "$(nproc)" -ge 2 ] && emu=1
"$VMM" --kernel "$MINI" --memory 32M --hugepages none --cmdline h --pin 0 --emulator-pin $emu \
	--serial "file:$ser" >"$TEST_TMP/term.out" 2>&1 </dev/null &
pid=$!
track_pid $pid
wait_grep 200 'mini: hello' "$ser"
tid=$(grep -lx 'vcpu 0' /proc/$pid/task/*/comm 2>/dev/null | head -n1 | cut -d/ -f5)
if [ -n "$tid" ]; then
	tap_ok "vCPU thread is named 'vcpu 0'"
	aff=$(taskset -pc "$tid" 2>/dev/null | sed 's/.*: //')
	tap_check "vCPU 0 thread is pinned to CPU 0 (affinity '$aff')" [ "$aff" = 0 ]
else
	tap_fail "vCPU thread is named 'vcpu 0'" "threads: $(cat /proc/$pid/task/*/comm 2>/dev/null | tr '\n' ' ')"
	tap_fail "vCPU 0 thread is pinned to CPU 0" "no vcpu thread"
fi
for _ in $(seq 1 50); do
	aff=$(taskset -pc "$pid" 2>/dev/null | sed 's/.*: //')
	[ "$aff" = $emu ] && break
	sleep 0.1
done
tap_check "emulation thread is pinned to CPU $emu (affinity '$aff')" [ "$aff" = $emu ]
stop_term $pid
rc=$?
if [ $rc = 0 ] && grep -q 'received SIGTERM, stopping the guest' "$TEST_TMP/term.out" &&
	grep -q 'VM stopped by SIGTERM' "$TEST_TMP/term.out"; then
	tap_ok "SIGTERM stops a halted guest: exit 0 with a message"
else
	tap_fail "SIGTERM stops a halted guest: exit 0 with a message" "rc=$rc: $(cat "$TEST_TMP/term.out")"
fi
tap_check "serial file: output went to the file" grep -q 'mini: hello' "$ser"

# nfguest: CPU count and memory as configured.
ncpu=$(nproc)
if [ -f "$NFGUEST" ]; then
	run "nfguest: 1 vCPU pinned, 2M hugepages, 128M" 0 'nfguest: ready cpus=1 mem_mb=128' \
		--kernel "$NFGUEST" --memory 128M --pin 0 --cmdline mode=hello
	run "nfguest: 1 vCPU, --hugepages none, 64M" 0 'nfguest: ready cpus=1 mem_mb=64' \
		--kernel "$NFGUEST" --memory 64M --hugepages none --cmdline mode=hello
	if [ "$ncpu" -ge 2 ]; then
		run "nfguest: 2 vCPUs pinned 0,1, 2M hugepages, 256M" 0 'nfguest: ready cpus=2 mem_mb=256' \
			--kernel "$NFGUEST" --memory 256M --vcpus 2 --pin 0,1 --cmdline mode=hello
		run "nfguest: 2 vCPUs pinned 1,0, --hugepages none, 96M" 0 'nfguest: ready cpus=2 mem_mb=96' \
			--kernel "$NFGUEST" --memory 96M --vcpus 2 --pin 1,0 --hugepages none \
			--cmdline mode=hello
	else
		tap_skip "nfguest: 2 vCPUs pinned" "only $ncpu CPU here"
	fi
	run "nfguest: 2 floating vCPUs say they float" 0 'threads float&&nfguest: ready cpus=2' \
		--kernel "$NFGUEST" --memory 64M --vcpus 2 --hugepages none --cmdline mode=hello
	# Above the PCI hole: RAM 0-3 GiB and 4-5.5 GiB. Plain memory is
	# allocated lazily, so this fits an L1 with less RAM than the guest;
	# memprobe writes 6 pages (3 above 4 GiB) and reads them all back.
	run "nfguest: 4608M (above the PCI hole) reports its memory, RAM above 4 GiB reads back" 0 \
		'nfguest: memprobe ok pages=6 above_4g=3 top=0x160000000 mem_mb=4608&&guest powered off' \
		--kernel "$NFGUEST" --memory 4608M --hugepages none --cmdline mode=memprobe
else
	tap_skip "nfguest runs" "$NFGUEST not built"
fi

# Shortage in L1's private pool: refused before any KVM object exists,
# nothing taken from the pool, no file, no process.
free=$(cat $HP/free_hugepages 2>/dev/null || echo 0)
run "hugepage shortage: needed/free counts and the fix" 1 \
	"needs $((free + 8)) free 2M hugepages, only $free free; reserve them with: echo $(($(cat $HP/nr_hugepages) + 8)) > $HP/nr_hugepages" \
	--kernel "$MINI" --memory $(((free + 8) * 2))M
tap_check "hugepage shortage: pool untouched" [ "$(cat $HP/free_hugepages)" = "$free" ]
tap_check "hugepage shortage: no VMM process left" bash -c "! pgrep -x nfvisor-vmm >/dev/null"

tap_check "all guest hugepages returned to the pool" \
	[ "$(cat $HP/free_hugepages 2>/dev/null || echo 0)" = "$hp_free_before" ]
tap_check "no file left in /dev/hugepages" \
	[ "$(ls -A /dev/hugepages 2>/dev/null | wc -l)" = "$hp_files_before" ]
echo "1..$TAP_N"
tap_done
