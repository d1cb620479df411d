#!/usr/bin/env bash
# Boot benchmark (issue 2): nfvisor-vmm vs QEMU -M microvm booting the same
# build/guest/nfguest.elf through PVH with mode=hello, interleaved boot by
# boot (the order alternates), in one KVM environment:
#   ready_ms  process start -> the serial line "nfguest: ready"
#   vmm_kb    Rss of the VMM process minus its guest-RAM mapping, sampled at
#             the ready line with the process stopped (bench/bootmeter:
#             SIGSTOP, /proc/PID/smaps, SIGCONT). Both VMMs back guest RAM
#             with a plain memfd (nfvisor-vmm --hugepages none; QEMU
#             memory-backend-memfd), so "/memfd:" mappings are the guest RAM.
# Prints both medians over N boots and the ratios nfvisor/QEMU.
#   bench/boot.sh [--boots N] [--memory MB]
# Without /dev/kvm it reruns itself inside the nested tier (one L1 boot,
# tests/nested/l1run.sh --qemu): the numbers are then nested-TCG numbers,
# comparable only as ratios.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BOOTS=11 MEM=128
while [ $# -gt 0 ]; do
	case $1 in
	--boots) BOOTS=${2:-}; shift 2 || exit 2 ;;
	--memory) MEM=${2:-}; shift 2 || exit 2 ;;
	*) echo "usage: $0 [--boots N] [--memory MB]" >&2; exit 2 ;;
	esac
done
die() { echo "boot.sh: $*" >&2; exit 1; }
[[ $BOOTS =~ ^[1-9][0-9]*$ ]] || die "bad --boots \"$BOOTS\": a count >= 1"
[[ $MEM =~ ^[1-9][0-9]*$ ]] && [ "$MEM" -ge 16 ] || die "bad --memory \"$MEM\": MiB >= 16"
for f in "$BUILD/nfvisor-vmm" "$BUILD/bench/bootmeter" "$BUILD/guest/nfguest.elf"; do
	[ -e "$f" ] || die "$f not built (run make)"
done

if [ ! -c /dev/kvm ]; then
	[ -x tests/nested/l1run.sh ] || die "no /dev/kvm and no tests/nested/l1run.sh"
	echo "# no /dev/kvm here: running inside the nested tier (TCG L1 with KVM)" >&2
	exec tests/nested/l1run.sh --smp 2 --qemu --timeout 3000 --build "$BUILD" -- \
		"bench/boot.sh --boots $BOOTS --memory $MEM"
fi
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"

ELF=$BUILD/guest/nfguest.elf
run_nfv() {
	"$BUILD/bench/bootmeter" --timeout 120 -- "$BUILD/nfvisor-vmm" --kernel "$ELF" \
		--cmdline mode=hello --memory "${MEM}M" --vcpus 1 --hugepages none --serial stdio
}
run_qemu() {
	"$BUILD/bench/bootmeter" --timeout 120 -- qemu-system-x86_64 -M microvm,memory-backend=mem \
		-object "memory-backend-memfd,id=mem,size=${MEM}M" -m "${MEM}M" -smp 1 \
		-enable-kvm -cpu host -nographic -nodefaults -no-reboot -serial stdio \
		-kernel "$ELF" -append mode=hello
}
val() { sed -n "s/.*$1=\([-0-9.]*\).*/\1/p" <<<"$2"; }
median() { sort -n | awk '{v[NR]=$1} END {if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }

echo "# boot benchmark: $BOOTS boots each, interleaved, guest RAM ${MEM} MiB, mode=hello"
echo "# $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
echo "# $(qemu-system-x86_64 --version | head -1)"
declare -a NT NR QT QR
fail=0
for i in $(seq "$BOOTS"); do
	if [ $((i % 2)) = 1 ]; then order="nfv qemu"; else order="qemu nfv"; fi
	for w in $order; do
		out=$(run_$w)
		rc=$?
		echo "boot $i $w: $out"
		[ $rc = 0 ] || { fail=$((fail + 1)); continue; }
		t=$(val ready_ms "$out") k=$(val vmm_kb "$out")
		if [ $w = nfv ]; then NT+=("$t"); [ "$k" -ge 0 ] && NR+=("$k")
		else QT+=("$t"); [ "$k" -ge 0 ] && QR+=("$k"); fi
	done
done
mt_n=$(printf '%s\n' "${NT[@]}" | median) mt_q=$(printf '%s\n' "${QT[@]}" | median)
mr_n=$(printf '%s\n' "${NR[@]}" | median) mr_q=$(printf '%s\n' "${QR[@]}" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "n/a" && b != "n/a" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "| VMM | boots | median start->ready (ms) | median VMM RSS w/o guest RAM (KiB) |"
echo "|---|---|---|---|"
echo "| nfvisor-vmm | ${#NT[@]} | $mt_n | $mr_n |"
echo "| qemu -M microvm | ${#QT[@]} | $mt_q | $mr_q |"
echo "| ratio nfvisor/qemu | | $(ratio "$mt_n" "$mt_q") | $(ratio "$mr_n" "$mr_q") |"
echo "# failed boots: $fail; targets: time ratio <= 0.5, nfvisor-vmm RSS < 5120 KiB"
[ "$fail" = 0 ]
