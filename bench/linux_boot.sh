#!/usr/bin/env bash
# Stock Linux boot benchmark (issue 2): Debian's kernel (bzImage) plus the
# nested tier's busybox initramfs, time from VMM start to the /init marker
# (NESTED-OK), for nfvisor-vmm vs QEMU -M microvm and -M pc, all in ONE nested
# L1 boot, interleaved, median over N boots each, with ratios.
#   bench/linux_boot.sh [--boots N]
# Needs KVM: without /dev/kvm it reruns itself inside tests/nested/l1run.sh.
# The L2 assets come from tests/nested/run.sh (make check-nested) or are built here.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BOOTS=5
[ "${1:-}" = --boots ] && BOOTS=$2
A=$BUILD/nested/assets
if [ ! -c /dev/kvm ]; then
	mkdir -p "$A"
	[ -s "$A/l2-initrd.gz" ] || tests/nested/mk-l2-initrd.sh "$A/l2-initrd.gz" ||
		{ echo "linux_boot: building the L2 initramfs failed" >&2; exit 1; }
	echo "# no /dev/kvm here: running inside the nested tier (TCG L1 with KVM)"
	exec tests/nested/l1run.sh --build "$BUILD" --smp 2 --mem 2048 --qemu --timeout 1800 -- \
		"BUILD=$BUILD bench/linux_boot.sh --boots $BOOTS"
fi
KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | head -n1)
[ -n "$KERNEL" ] || { echo "linux_boot: no /boot/vmlinuz-*" >&2; exit 1; }
INITRD=$A/l2-initrd.gz
[ -s "$INITRD" ] || { echo "linux_boot: $INITRD missing (tests/nested/mk-l2-initrd.sh builds it)" >&2; exit 1; }
CMDLINE="console=ttyS0 panic=-1 quiet nested.cpus=1 nested.mem_mb=256"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# boot_ms NAME CMD...: ms from start to the NESTED-OK line, or "fail".
boot_ms() {
	local log=$TMP/$1.log t0 pid
	shift
	t0=$(date +%s%N)
	"$@" </dev/null >"$log" 2>&1 &
	pid=$!
	for _ in $(seq 1 3000); do
		if grep -q NESTED-OK "$log"; then
			echo $((($(date +%s%N) - t0) / 1000000))
			wait $pid 2>/dev/null
			return
		fi
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	echo fail
}
run_nfv() { boot_ms nfv "$BUILD/nfvisor-vmm" --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$CMDLINE" --memory 256M --vcpus 1 --hugepages none; }
run_microvm() { boot_ms microvm qemu-system-x86_64 -enable-kvm -cpu host -M microvm -m 256 -smp 1 -nographic -no-reboot -nodefaults -serial stdio -kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE"; }
run_pc() { boot_ms pc qemu-system-x86_64 -enable-kvm -cpu host -M pc -vga none -nic none -m 256 -smp 1 -nographic -no-reboot -kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE"; }

declare -A times
for i in $(seq 1 "$BOOTS"); do
	for v in nfv microvm pc; do
		t=$(run_$v)
		echo "boot $i $v: ${t} ms"
		times[$v]="${times[$v]:-} $t"
	done
done
median() { tr ' ' '\n' | grep -E '^[0-9]+$' | sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "n/a"}'; }
m_nfv=$(echo "${times[nfv]}" | median)
m_mv=$(echo "${times[microvm]}" | median)
m_pc=$(echo "${times[pc]}" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/ && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "| VMM | boots | median start→/init marker (ms) | nfvisor-vmm / this |"
echo "|---|---|---|---|"
echo "| nfvisor-vmm | $BOOTS | $m_nfv | 1.00 |"
echo "| qemu -M microvm | $BOOTS | $m_mv | $(ratio "$m_nfv" "$m_mv") |"
echo "| qemu -M pc | $BOOTS | $m_pc | $(ratio "$m_nfv" "$m_pc") |"
fails=$(echo "${times[*]}" | tr ' ' '\n' | grep -c fail)
echo "# failed boots: $fails; kernel $(basename "$KERNEL"), 256 MiB, 1 vCPU, plain memory"
