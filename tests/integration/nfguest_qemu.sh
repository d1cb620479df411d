#!/usr/bin/env bash
# nfguest under QEMU TCG (no /dev/kvm needed): the PVH entry, E820/ACPI/MP
# parsing, SMP bring-up and poweroff, on microvm (qboot, HW-reduced ACPI) and
# q35 (SeaBIOS, PM1a poweroff). mem_mb is checked against the E820 map the
# guest prints in mode=selftest, summed here independently.
. "$(dirname "$0")/../lib.sh"
need_cmd qemu-system-x86_64
ELF=$BUILD/guest/nfguest.elf
[ -f "$ELF" ] || skip_all "$ELF not built (run make)"

# qrun OUT MACHINE MEM SMP APPEND [QEMU ARGS...]: boot nfguest; rc of QEMU.
qrun() {
	local out=$1 machine=$2 mem=$3 smp=$4 append=$5
	shift 5
	timeout -k 5 "${QEMU_TIMEOUT:-60}" qemu-system-x86_64 -M "$machine" -accel tcg \
		-nographic -no-reboot -nic none -m "$mem" -smp "$smp" -kernel "$ELF" \
		-append "$append" "$@" </dev/null >"$out" 2>&1
}

# e820_mb FILE: sum of the "ram" ranges of a selftest log, rounded to MiB.
e820_mb() {
	local sum=0 s e
	while read -r s e; do
		sum=$((sum + e - s + 1))
	done < <(grep -ao 'nfguest: e820 0x[0-9a-f]*-0x[0-9a-f]* ram' "$1" |
		sed 's/.*e820 \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\) ram/\1 \2/')
	echo $(((sum + 524288) >> 20))
}

# nf_lines FILE: the nfguest lines (firmware may print before, on one line).
nf_lines() { grep -ao 'nfguest: .*' "$1"; }

# check_boot NAME MACHINE MEM SMP EXPECT_CPUS [QEMU ARGS...]
check_boot() {
	local name=$1 machine=$2 mem=$3 smp=$4 cpus=$5
	shift 5
	local st=$TEST_TMP/$name.selftest hello=$TEST_TMP/$name.hello mb want rc
	qrun "$st" "$machine" "$mem" "$smp" "mode=selftest" "$@"
	rc=$?
	mb=$(e820_mb "$st")
	if [ $rc -eq 0 ] && nf_lines "$st" | grep -qx "nfguest: selftest ok cpus=$cpus mem_mb=$mb" &&
		nf_lines "$st" | grep -q '^nfguest: selftest boot=pvh'; then
		tap_ok "$name: selftest cpus=$cpus mem_mb=$mb (from its E820 map), exit 0"
	else
		tap_fail "$name: selftest" "rc=$rc expected cpus=$cpus mem_mb=$mb"
		tap_diag <"$st"
	fi
	qrun "$hello" "$machine" "$mem" "$smp" "mode=hello" "$@"
	rc=$?
	want="nfguest: ready cpus=$cpus mem_mb=$mb"
	if [ $rc -eq 0 ] && [ "$(nf_lines "$hello")" = "$want" ]; then
		tap_ok "$name: hello prints exactly '$want' and powers off"
	else
		tap_fail "$name: hello" "rc=$rc, expected exactly: $want"
		tap_diag <"$hello"
	fi
	echo "$mb" >"$TEST_TMP/$name.mb"
}

for mem in 128 512; do
	for smp in 1 2; do
		check_boot "microvm-m$mem-smp$smp" microvm $mem $smp $smp
		mb=$(cat "$TEST_TMP/microvm-m$mem-smp$smp.mb")
		# microvm's map is RAM minus the 385 KiB at 0x9fc00-0xfffff
		if [ "$mb" = "$mem" ]; then
			tap_ok "microvm-m$mem-smp$smp: E820 RAM rounds to -m ($mem MiB)"
		else
			tap_fail "microvm-m$mem-smp$smp: E820 RAM rounds to $mb MiB, not $mem"
		fi
	done
done

# SeaBIOS: MADT + PM1a_CNT poweroff with \_S5_ = 0 from the DSDT
check_boot q35-m512-smp2 q35 512 2 2 -vga none
if nf_lines "$TEST_TMP/q35-m512-smp2.selftest" | grep -q 's5_typ=0 (dsdt)' &&
	nf_lines "$TEST_TMP/q35-m512-smp2.selftest" | grep -q 'cpus source=madt count=2'; then
	tap_ok "q35: CPUs from the MADT, S5 type decoded from the DSDT"
else
	tap_fail "q35: MADT/DSDT decoding"
	tap_diag <"$TEST_TMP/q35-m512-smp2.selftest"
fi
# microvm without ACPI: CPUs from qboot's MP table, poweroff by i8042 reset
check_boot microvm-noacpi-smp2 microvm,acpi=off 128 2 2 -device i8042
if nf_lines "$TEST_TMP/microvm-noacpi-smp2.selftest" | grep -q 'cpus source=mptable count=2'; then
	tap_ok "microvm acpi=off: CPUs from the MP table"
else
	tap_fail "microvm acpi=off: MP table fallback"
	tap_diag <"$TEST_TMP/microvm-noacpi-smp2.selftest"
fi

# smp=0 leaves the APs alone
out=$TEST_TMP/nosmp
qrun "$out" microvm 128 2 "mode=hello smp=0"
if [ "$(nf_lines "$out")" = "nfguest: ready cpus=1 mem_mb=128" ]; then
	tap_ok "smp=0: cpus=1 with 2 vCPUs"
else
	tap_fail "smp=0" "$(cat "$out")"
fi

# The command line reaches the guest verbatim
out=$TEST_TMP/cmdline
qrun "$out" microvm 128 1 "mode=selftest  a=1 flag b=0x10"
if nf_lines "$out" | grep -qx 'nfguest: cmdline "mode=selftest  a=1 flag b=0x10"'; then
	tap_ok "selftest echoes the command line"
else
	tap_fail "selftest cmdline" "$(nf_lines "$out")"
fi

# diag modes: each ends the VM with its line
diag() {
	local name=$1 append=$2 pattern=$3 out=$TEST_TMP/diag-$1 rc
	qrun "$out" microvm 128 1 "$append"
	rc=$?
	if [ $rc -eq 0 ] && nf_lines "$out" | tail -n1 | grep -qE "$pattern"; then
		tap_ok "$name: '$append' ends with /$pattern/"
	else
		tap_fail "$name" "rc=$rc, last line should match $pattern"
		tap_diag <"$out"
	fi
}
diag ioport_spam "mode=ioport_spam port_base=0 port_count=65536" \
	'^nfguest: ioport_spam ports=[0-9]+ base=0x0 reads_ff=[0-9]+$'
diag mmio_spam "mode=mmio_spam mmio_count=16" '^nfguest: mmio_spam pages=16 base=0xd0000000 '
diag triple_fault "mode=triple_fault" '^nfguest: triple_fault$'
diag reset "mode=reset" '^nfguest: reset$'
diag unknown_mode "mode=bogus" '^nfguest: unknown mode=bogus; expected one of hello\|selftest'
diag bad_arg "mode=ioport_spam port_count=12Q" '^nfguest: bad port_count=12Q: expected a number'
diag bad_timeout "ap_timeout_ms=0" '^nfguest: bad ap_timeout_ms=0: '
tap_done
