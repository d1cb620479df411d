#!/usr/bin/env bash
# nfvisor-vmm command-line and pre-KVM failures, on any host (no /dev/kvm
# needed: every case here is refused before the VM is created). Checks exit
# codes, that each message names the bad value, and that a hugepage shortage
# leaves nothing behind (no hugepage files, pool unchanged, no process).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
VMM=$BUILD/nfvisor-vmm
[ -x "$VMM" ] || skip_all "$VMM not built (run make)"
KERNEL=$BUILD/tests/kvm/mini.elf
[ -f "$KERNEL" ] || KERNEL=/bin/true # never loaded: every case fails first

# expect NAME RC REGEX ARGS...: run the VMM, check exit code and output.
expect() {
	local name=$1 rc=$2 re=$3
	shift 3
	T=20 tap_expect "$name" "$rc" "$re" "$VMM" "$@"
}

ncpu=$(nproc --all)
expect "--help exits 0" 0 'usage: nfvisor-vmm --kernel PATH' --help
expect "no --kernel" 2 '--kernel PATH is required'
expect "--memory 12Q names the value" 2 "invalid --memory value '12Q'" --kernel "$KERNEL" --memory 12Q
expect "--memory below minimum" 2 '--memory 8 MiB is out of range' --kernel "$KERNEL" --memory 8M
expect "--memory not a hugepage multiple" 2 'not a multiple of the 2048 KiB page size.*18432 KiB' \
	--kernel "$KERNEL" --memory 17M
expect "--vcpus 0" 2 "invalid --vcpus value '0'" --kernel "$KERNEL" --vcpus 0
expect "--vcpus x" 2 "invalid --vcpus value 'x'" --kernel "$KERNEL" --vcpus x
expect "--hugepages 4M" 2 "invalid --hugepages value '4M'" --kernel "$KERNEL" --hugepages 4M
expect "--serial bogus" 2 "invalid --serial value 'tty'" --kernel "$KERNEL" --serial tty
expect "--pin wrong length" 2 '--pin lists 1 CPU but the VM has 2 vCPUs' \
	--kernel "$KERNEL" --vcpus 2 --pin 0
expect "--pin duplicate CPU" 2 '--pin names CPU 0 twice' --kernel "$KERNEL" --vcpus 2 --pin 0,0
expect "--pin nonexistent CPU" 2 "--pin: CPU $((ncpu + 5)) does not exist" \
	--kernel "$KERNEL" --pin $((ncpu + 5))
expect "--pin syntax" 2 "invalid --pin value '0,,1'" --kernel "$KERNEL" --vcpus 2 --pin 0,,1
expect "--emulator-pin nonexistent CPU" 2 "--emulator-pin: CPU $((ncpu + 3)) does not exist" \
	--kernel "$KERNEL" --emulator-pin $((ncpu + 3))
expect "--emulator-pin three CPUs" 2 '--emulator-pin 0,1,2 lists more than 2 CPUs' \
	--kernel "$KERNEL" --emulator-pin 0,1,2
offline=$(grep -l '^0' /sys/devices/system/cpu/cpu*/online 2>/dev/null | head -n1)
if [ -n "$offline" ]; then
	c=${offline#/sys/devices/system/cpu/cpu}
	c=${c%/online}
	expect "--pin offline CPU" 2 "CPU $c is offline" --kernel "$KERNEL" --pin "$c"
else
	tap_skip "--pin offline CPU" "no offline CPU on this host"
fi
expect "stray argument" 2 "unexpected argument 'extra'" --kernel "$KERNEL" extra
expect "missing kernel file" 1 'kernel /nonexistent/vmlinux' --kernel /nonexistent/vmlinux \
	--hugepages none --memory 32M

expect "unwritable --serial file" 1 'cannot open serial output file /nonexistent/dir/console.log' \
	--kernel "$KERNEL" --serial file:/nonexistent/dir/console.log
expect "--initrd missing" 1 'initrd /nonexistent/initrd' --kernel "$KERNEL" \
	--initrd /nonexistent/initrd --hugepages none --memory 32M

# Hugepage shortage: ask for more 2 MiB pages than the pool has at all (the
# pool is shared with other tests on this host, so exact counts are checked
# in tests/kvm/vmm_boot.sh, where the pool is private).
HP=/sys/kernel/mm/hugepages/hugepages-2048kB
if [ -r "$HP/nr_hugepages" ]; then
	want=$((($(cat "$HP/nr_hugepages") + 64) * 2))
	expect "hugepage shortage refused" 1 \
		"needs $((want / 2)) free 2M hugepages, only [0-9]+ free; reserve them with: echo [0-9]+ > $HP/nr_hugepages" \
		--kernel "$KERNEL" --memory "${want}M"
	tap_check "shortage leaves no hugepage file" \
		bash -c "! ls /dev/hugepages 2>/dev/null | grep -q nfvisor"
	tap_check "shortage leaves no process" bash -c "! pgrep -f '[n]fvisor-vmm.*${want}M' >/dev/null"
else
	tap_skip "hugepage shortage refused" "no 2 MiB hugepage pool"
fi
# 1 GiB pages: refused with the pool's state (missing pool or too few pages).
if [ -d /sys/kernel/mm/hugepages/hugepages-1048576kB ]; then
	f1g=$(cat /sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages)
	expect "--hugepages 1G shortage" 1 "needs $((f1g + 1)) free 1G hugepages, only $f1g free" \
		--kernel "$KERNEL" --hugepages 1G --memory $((f1g + 1))G
else
	expect "--hugepages 1G without a 1G pool" 1 'no 1G hugepage pool.*use --hugepages 2M' \
		--kernel "$KERNEL" --hugepages 1G --memory 1G
fi
expect "--memory not a 1G multiple" 2 'not a multiple of the 1048576 KiB page size' \
	--kernel "$KERNEL" --hugepages 1G --memory 1536M
echo "1..$TAP_N"
tap_done
