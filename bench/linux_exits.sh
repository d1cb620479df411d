#!/usr/bin/env bash
# Where a stock Linux boot spends its VM exits (issue 2): one boot each of
# Debian's kernel + the nested tier's busybox initramfs under nfvisor-vmm,
# QEMU -M pc and QEMU -M microvm (same kernel, command line, 256 MiB plain
# memory, 1 vCPU), counting KVM's exits with ftrace histogram triggers on
# kvm:kvm_exit, kvm_pio, kvm_msr and kvm_userspace_exit. Exit counts do not
# depend on how loaded the machine is, unlike boot times in the nested tier.
#   bench/linux_exits.sh [--cmdline-extra 'WORDS'] [--vmms 'nfv pc microvm']
# Needs KVM and tracefs: without /dev/kvm it reruns itself inside
# tests/nested/l1run.sh. Prints one table (counts up to the guest's poweroff)
# and the five busiest I/O ports per VMM.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
EXTRA="quiet"
VMMS="nfv pc microvm"
while [ $# -gt 0 ]; do
	case $1 in
	--cmdline-extra) EXTRA=${2?--cmdline-extra needs words}; shift 2 ;;
	--vmms) VMMS=${2?--vmms needs a list}; shift 2 ;;
	*) echo "linux_exits: unknown option '$1' (usage: bench/linux_exits.sh [--cmdline-extra 'WORDS'] [--vmms 'nfv pc microvm'])" >&2; exit 2 ;;
	esac
done
A=$BUILD/nested/assets
if [ ! -c /dev/kvm ]; then
	mkdir -p "$A"
	[ -s "$A/l2-initrd.gz" ] || tests/nested/mk-l2-initrd.sh "$A/l2-initrd.gz" ||
		{ echo "linux_exits: building the L2 initramfs failed" >&2; exit 1; }
	echo "# no /dev/kvm here: running inside the nested tier (TCG L1 with KVM)"
	exec tests/nested/l1run.sh --build "$BUILD" --smp 2 --mem 2048 --hugepages 0 --qemu --timeout 1800 -- \
		"BUILD=$BUILD bench/linux_exits.sh --cmdline-extra '$EXTRA' --vmms '$VMMS'"
fi
KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | head -n1)
INITRD=$A/l2-initrd.gz
[ -n "$KERNEL" ] || { echo "linux_exits: no /boot/vmlinuz-*" >&2; exit 1; }
[ -s "$INITRD" ] || { echo "linux_exits: $INITRD missing (tests/nested/mk-l2-initrd.sh builds it)" >&2; exit 1; }
TR=/sys/kernel/tracing
[ -d $TR/events ] || mount -t tracefs nodev $TR 2>/dev/null
[ -w $TR/events/kvm/kvm_exit/trigger ] ||
	{ echo "linux_exits: no writable $TR/events/kvm (needs root, tracefs and kvm loaded)" >&2; exit 1; }
CMDLINE="console=ttyS0 panic=-1 nested.cpus=1 nested.mem_mb=256 $EXTRA"
TMP=$(mktemp -d)
# event:keys of each histogram; removed again on exit.
HISTS="kvm_exit:exit_reason kvm_pio:port,rw kvm_msr:ecx,write kvm_userspace_exit:reason"
hist_off() { for h in $HISTS; do echo "!hist:keys=${h#*:}" >$TR/events/kvm/${h%%:*}/trigger 2>/dev/null; done; }
trap 'hist_off; rm -rf "$TMP"' EXIT

# vmm_cmd NAME: the command line of VMM NAME in CMD.
vmm_cmd() {
	case $1 in
	nfv) CMD=("$BUILD/nfvisor-vmm" --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$CMDLINE"
		--memory 256M --vcpus 1 --hugepages none) ;;
	pc) CMD=(qemu-system-x86_64 -enable-kvm -cpu host -M pc -vga none -nic none -m 256 -smp 1
		-nographic -no-reboot -kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE") ;;
	microvm) CMD=(qemu-system-x86_64 -enable-kvm -cpu host -M microvm -m 256 -smp 1 -nographic
		-no-reboot -nodefaults -serial stdio -kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE") ;;
	*) echo "linux_exits: unknown VMM '$1' (nfv, pc or microvm)" >&2; return 2 ;;
	esac
}
# hits EVENT [FILTER-REGEX]: hit count of the histogram's buckets whose key matches.
hits() {
	grep -a '^{' $TR/events/kvm/$1/hist | grep -aE -- "${2:-.}" |
		awk '{ n += $NF } END { print n + 0 }'
}
# SVM and VMX exit reasons of the same kind (kvm_exit's exit_reason is the raw code).
NPF='exit_reason: +(1024|48) }' # SVM_EXIT_NPF, EXIT_REASON_EPT_VIOLATION
IOIO='exit_reason: +(123|30) }'
MSR='exit_reason: +(124|31|32) }'
declare -A row
for v in $VMMS; do
	hist_off
	for h in $HISTS; do
		echo "hist:keys=${h#*:}:sort=hitcount" >$TR/events/kvm/${h%%:*}/trigger ||
			{ echo "linux_exits: cannot set a histogram on kvm:${h%%:*}" >&2; exit 1; }
	done
	vmm_cmd "$v" || exit 2
	timeout 600 "${CMD[@]}" </dev/null >"$TMP/$v.log" 2>&1
	ok=$(tr -d '\r' <"$TMP/$v.log" | grep -c '^NESTED-OK')
	row[$v]="| $v | $ok | $(hits kvm_exit) | $(hits kvm_userspace_exit) | $(hits kvm_pio) | $(hits kvm_exit "$NPF") | $(hits kvm_msr) |"
	echo "# $v: busiest ports (port, rw 0=read 1=write, exits):"
	grep -a '^{' $TR/events/kvm/kvm_pio/hist | tail -n 5 | awk '{ printf "#   0x%x %s %s\n", $3, $5, $NF }'
done
echo
echo "| VMM | reached /init | VM exits | to userspace | port I/O | nested page faults | MSR |"
echo "|---|---|---|---|---|---|---|"
for v in $VMMS; do echo "${row[$v]}"; done
echo "# kernel $(basename "$KERNEL"), cmdline: $CMDLINE"
