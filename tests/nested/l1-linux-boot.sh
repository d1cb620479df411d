#!/usr/bin/env bash
# Nested tier, runs INSIDE the L1 (tests/nested/run.sh starts it through
# l1run.sh): a stock Debian kernel boots as an L2 guest under KVM to a busybox
# /init that checks nproc and MemTotal, as bzImage and as the vmlinux
# extracted from it, with 1 and 2 vCPUs, guest RAM on 2 MiB hugepages.
# The L2 VMM is build/nfvisor-vmm; NESTED_L2_VMM=qemu uses QEMU instead
# (proves the harness; needs l1run.sh --qemu).
cd "$(dirname "$0")/../.."
. tests/lib.sh
need_kvm
need_root
VMM=${NESTED_L2_VMM:-nfvisor}
MEM_MB=256
ASSETS=$BUILD/nested/assets
KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | head -n1)
VMLINUX=$(ls "$ASSETS"/vmlinux-* 2>/dev/null | head -n1)
L2=$ASSETS/l2-initrd.gz
[ -n "$KERNEL" ] || skip_all "no /boot/vmlinuz-* (run this inside l1run.sh)"
[ -f "$L2" ] && [ -n "$VMLINUX" ] || skip_all "L2 assets missing in $ASSETS (tests/nested/run.sh builds them)"
case $VMM in
nfvisor) [ -x "$BUILD/nfvisor-vmm" ] || NOVMM="$BUILD/nfvisor-vmm is not built (run make)" ;;
qemu) command -v qemu-system-x86_64 >/dev/null || NOVMM="qemu-system-x86_64 not in L1 (pass --qemu to l1run.sh)" ;;
*) NOVMM="NESTED_L2_VMM='$VMM' is neither nfvisor nor qemu" ;;
esac
BOOT_TIMEOUT=${NESTED_BOOT_TIMEOUT:-120}

hp_free() { awk '/^HugePages_Free:/ {print $2}' /proc/meminfo; }

# boot_case NAME KERNEL CPUS [MEM_MB [HUGEPAGES]]: three TAP lines (init
# reached with the right cpus/memory; RAM on hugepages, or for
# HUGEPAGES=none no hugepage taken; VMM exited 0 after the guest powered off).
boot_case() {
	local name=$1 kernel=$2 cpus=$3 log=$TEST_TMP/$1.log
	local MEM_MB=${4:-$MEM_MB} hp=${5:-2M}
	local cmdline="console=ttyS0 panic=-1 quiet nested.cpus=$cpus nested.mem_mb=$MEM_MB"
	local need_hp=$((MEM_MB / 2)) free0 minfree pid t0 t_mark= rc= now
	if [ -n "${NOVMM:-}" ]; then
		tap_fail "$name: L2 reaches /init" "$NOVMM"
		tap_fail "$name: guest RAM on ${hp/none/plain memory}" "$NOVMM"
		tap_fail "$name: VMM exits 0 after guest poweroff" "$NOVMM"
		return
	fi
	if [ "$VMM" = nfvisor ]; then
		set -- "$BUILD/nfvisor-vmm" --kernel "$kernel" --initrd "$L2" --cmdline "$cmdline" \
			--memory ${MEM_MB}M --vcpus "$cpus" --hugepages "$hp"
	elif [ "$hp" = none ]; then
		set -- qemu-system-x86_64 -enable-kvm -cpu host -M pc -vga none -nic none -nographic -no-reboot \
			-m $MEM_MB -smp "$cpus" -kernel "$kernel" -initrd "$L2" -append "$cmdline"
	else
		set -- qemu-system-x86_64 -enable-kvm -cpu host -M pc -vga none -nic none -nographic -no-reboot \
			-m $MEM_MB -smp "$cpus" -mem-path /dev/hugepages -mem-prealloc \
			-kernel "$kernel" -initrd "$L2" -append "$cmdline"
	fi
	echo "# $name: $*"
	free0=$(hp_free)
	minfree=$free0
	t0=$(date +%s.%N)
	"$@" </dev/null >"$log" 2>&1 &
	pid=$!
	track_pid $pid
	while :; do
		if ! kill -0 $pid 2>/dev/null; then
			wait $pid; rc=$?
			break
		fi
		f=$(hp_free); [ "$f" -lt "$minfree" ] && minfree=$f
		now=$(date +%s.%N)
		if [ -z "$t_mark" ] && grep -q 'NESTED-\(OK\|FAIL\)' "$log"; then
			t_mark=$now
		fi
		if [ -n "$t_mark" ] && awk -v a="$now" -v b="$t_mark" 'BEGIN{exit !(a-b > 30)}'; then
			break # marker printed 30 s ago and the VMM is still running
		fi
		if awk -v a="$now" -v b="$t0" -v t="$BOOT_TIMEOUT" 'BEGIN{exit !(a-b > t)}'; then
			break
		fi
		sleep 0.5
	done
	if [ -z "$rc" ]; then
		kill -TERM $pid 2>/dev/null; sleep 2; kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
	fi
	local secs
	secs=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{printf "%.1f", a-b}')
	local ok_line
	ok_line=$(tr -d '\r' <"$log" | grep -m1 -E '^NESTED-(OK|FAIL)' || true)
	if [ "$ok_line" = "" ] || [ "${ok_line#NESTED-OK cpus=$cpus }" = "$ok_line" ]; then
		tap_fail "$name: L2 reaches /init with nproc=$cpus and MemTotal matching ${MEM_MB}M" \
			"${ok_line:-no NESTED- marker} (after ${secs}s; last lines of the L2 console:)"
		tr -d '\r' <"$log" | tail -n 25 | tap_diag
	else
		tap_ok "$name: L2 reaches /init with nproc=$cpus and MemTotal matching ${MEM_MB}M ($ok_line, ${secs}s)"
	fi
	if [ "$hp" = none ]; then
		# Plain memory is allocated as the guest touches it: a guest
		# larger than L1's free memory boots, no hugepage is taken.
		tap_check "$name: guest RAM on plain memory (no hugepage taken)" [ "$minfree" = "$free0" ]
	elif [ $((free0 - minfree)) -ge $need_hp ]; then
		tap_ok "$name: guest RAM on 2M hugepages ($((free0 - minfree)) pages used)"
	else
		tap_fail "$name: guest RAM on 2M hugepages" "free hugepages went from $free0 down to only $minfree; expected at least $need_hp in use"
	fi
	if [ "$rc" = 0 ]; then
		tap_ok "$name: VMM exits 0 after guest poweroff"
	elif [ -z "$rc" ]; then
		tap_fail "$name: VMM exits 0 after guest poweroff" "still running (killed) after ${secs}s"
	else
		tap_fail "$name: VMM exits 0 after guest poweroff" "exit status $rc"
	fi
}

echo "1..15"
echo "# L2 VMM: $VMM; kernel $KERNEL; vmlinux $VMLINUX"
boot_case "bzImage 1 vCPU" "$KERNEL" 1
boot_case "bzImage 2 vCPUs" "$KERNEL" 2
boot_case "vmlinux 1 vCPU" "$VMLINUX" 1
boot_case "vmlinux 2 vCPUs" "$VMLINUX" 2
# 4.5 GiB, above the 32-bit PCI hole (RAM at 4-5.5 GiB), in an L1 with less
# memory than that: MemTotal must count the RAM above 4 GiB.
boot_case "bzImage 1 vCPU 4608M plain memory" "$KERNEL" 1 4608 none
tap_done
