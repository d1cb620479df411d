#!/usr/bin/env bash
# Guest -> backend -> guest packet rate (issue 3): nfvisor-vmm vs QEMU, both
# running the same build/guest/nfguest.elf against the same dpdk-testpmd
# (two net_vhost ports, io forwarding), in one KVM environment:
#   gen VM  (mode=gen, full speed)  -> vh0.sock -> testpmd io -> vh1.sock
#   -> sink VM (mode=sink, polling or MSI-X interrupts)
# Each run boots a fresh sink VM, waits for its ready line, then boots a
# fresh gen VM that sends COUNT frames as fast as the device takes them.
# Runs alternate nfvisor, qemu, nfvisor, qemu ... for every (size, irq)
# point. Reported per VMM: the median of the sink's received pps (the
# guest->backend->guest rate: frames the backend could not place in the
# sink's ring are lost, so this is the path's rate whichever stage limits
# it), the gen's offered pps, the loss, and nfvisor/qemu as a ratio.
# Both VMMs get identical guests: 1 vCPU on the same host CPU (taskset),
# 64 MiB of 2 MiB-hugepage memfd RAM shared with the backend, one
# virtio-net-pci (modern) with 1024-entry queues, the same MACs.
# QEMU: -M q35 -accel kvm -cpu host, PVH boot of nfguest.elf via -kernel,
# -chardev socket + -netdev vhost-user + -device virtio-net-pci.
# nfguest's pps are in its own calibrated TSC units; every pps is scaled to
# the host kernel's TSC frequency (guest TSC = host TSC under KVM) so a
# calibration difference between the two VMMs cannot bias the ratio.
#   bench/net_vhost.sh [--runs N] [--sizes 64,1518] [--irq 0,1] [--count N] [--quick]
# Sizes are Ethernet frame sizes with FCS (nfguest sends size-4 bytes).
# --quick: 1 run, 64 B, polling, 20000 frames (a smoke of the method).
# Without /dev/kvm it reruns itself inside the nested tier (one TCG L1 with
# KVM, tests/nested/l1run.sh --smp 3 --qemu --dpdk): the numbers are then
# nested-TCG numbers, meaningful only as ratios.
# Exit: 0 every run produced a result, 1 a run failed or cannot run, 2 usage.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=3 SIZES=64,1518 IRQS=0,1 COUNT=200000 QUICK=0
usage() {
	echo "usage: $0 [--runs N] [--sizes 64,1518] [--irq 0,1] [--count N] [--quick]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=${2:-}; shift 2 || usage ;;
	--sizes) SIZES=${2:-}; shift 2 || usage ;;
	--irq) IRQS=${2:-}; shift 2 || usage ;;
	--count) COUNT=${2:-}; shift 2 || usage ;;
	--quick) QUICK=1; RUNS=1 SIZES=64 IRQS=0 COUNT=20000; shift ;;
	*) usage ;;
	esac
done
die() { echo "net_vhost: $*" >&2; exit 1; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "bad --runs '$RUNS': a count >= 1"
[[ $COUNT =~ ^[1-9][0-9]*$ ]] || die "bad --count '$COUNT': frames per run, >= 1"
[[ $SIZES =~ ^[0-9]+(,[0-9]+)*$ ]] || die "bad --sizes '$SIZES': comma-separated frame sizes, e.g. 64,1518"
for s in ${SIZES//,/ }; do
	[ "$s" -ge 64 ] && [ "$s" -le 2040 ] || die "bad size $s in --sizes: 64..2040 bytes (with FCS)"
done
[[ $IRQS =~ ^[01](,[01])?$ ]] || die "bad --irq '$IRQS': 0 (sink polls), 1 (MSI-X interrupts) or 0,1"
for f in "$BUILD/nfvisor-vmm" "$BUILD/guest/nfguest.elf"; do
	[ -e "$f" ] || die "$f not built (run make)"
done

# Versions for the report (the nested tier has neither git nor dpkg).
DPDK_VER=${NET_VHOST_DPDK:-$(dpkg-query -W -f '${Version}' dpdk 2>/dev/null || echo unknown)}
REV=${NET_VHOST_REV:-$(git describe --always --dirty 2>/dev/null || echo unknown)}
if [ ! -c /dev/kvm ]; then
	[ -x tests/nested/l1run.sh ] || die "no /dev/kvm and no tests/nested/l1run.sh"
	args="--runs $RUNS --sizes $SIZES --irq $IRQS --count $COUNT"
	[ "$QUICK" = 1 ] && args=--quick
	echo "# no /dev/kvm here: running inside the nested tier (TCG L1 with KVM)" >&2
	exec tests/nested/l1run.sh --build "$BUILD" --smp 3 --mem 2048 --hugepages 256 --qemu \
		--dpdk --timeout 7200 -- "NET_VHOST_DPDK=$DPDK_VER NET_VHOST_REV=$REV bench/net_vhost.sh $args"
fi
[ "$(id -u)" = 0 ] || die "needs root (hugepages, vhost-user sockets)"
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd missing (apt-get install dpdk)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
free_hp=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
[ "$free_hp" -ge 128 ] ||
	die "needs 128 free 2 MiB hugepages (have $free_hp): echo 256 >/proc/sys/vm/nr_hugepages"
[ "${L1RUN:-}" = 1 ] && { [ "$(stat -c %a /)" = 755 ] || chmod 755 /; }

# CPUs: gen vCPU, sink vCPU, testpmd's forwarding lcore; testpmd's main
# lcore shares the gen's CPU (it only wakes for stats).
NCPU=$(nproc)
if [ "$NCPU" -ge 4 ]; then
	GEN_CPU=1 SINK_CPU=2 PMD_CPU=3 MAIN_CPU=0
elif [ "$NCPU" -eq 3 ]; then
	GEN_CPU=0 SINK_CPU=1 PMD_CPU=2 MAIN_CPU=0
else
	GEN_CPU=0 SINK_CPU=0 PMD_CPU=$((NCPU - 1)) MAIN_CPU=0
	echo "# warning: only $NCPU CPU(s): gen and sink share CPU 0" >&2
fi

# Reference TSC frequency (kHz): what the host kernel calibrated, the rate
# KVM guests' TSC runs at. Empty = none found: pps left uncorrected.
REF_KHZ=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' | tail -n1)
[ -n "$REF_KHZ" ] || REF_KHZ=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz processor.*/\1/p' | tail -n1)
[ -n "$REF_KHZ" ] && REF_KHZ=$(awk -v m="$REF_KHZ" 'BEGIN { printf "%d", m * 1000 }')

T=$(mktemp -d /tmp/net_vhost.XXXXXX)
P=netvh$$
TP_PID= VM_PIDS=
cleanup() {
	local p
	for p in $VM_PIDS $TP_PID; do kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$T" "/var/run/dpdk/$P"
	rm -f /dev/hugepages/"$P"*
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ELF=$BUILD/guest/nfguest.elf
MAC_GEN=52:54:00:00:03:01 MAC_SINK=52:54:00:00:03:02
QSIZE=1024

# vm_nfv NAME SOCKET MAC CPU CMDLINE / vm_qemu ...: start one VM, console
# in $T/NAME.log; its PID in LAST_PID.
vm_nfv() {
	taskset -c "$4" "$BUILD/nfvisor-vmm" --kernel "$ELF" --memory 64M --hugepages 2M --vcpus 1 \
		--pin "$4" --net "vhost-user:$2,mac=$3" --cmdline "$5" </dev/null >"$T/$1.log" 2>"$T/$1.err" &
	LAST_PID=$!
}
vm_qemu() {
	taskset -c "$4" qemu-system-x86_64 -M q35,memory-backend=mem -accel kvm -cpu host \
		-m 64M -smp 1 -nodefaults -no-user-config -display none -no-reboot -serial stdio \
		-object memory-backend-memfd,id=mem,size=64M,share=on,hugetlb=on,hugetlbsize=2M \
		-chardev "socket,id=c0,path=$2" -netdev vhost-user,id=n0,chardev=c0 \
		-device "virtio-net-pci,netdev=n0,mac=$3,disable-legacy=on,romfile=,rx_queue_size=$QSIZE,tx_queue_size=$QSIZE" \
		-kernel "$ELF" -append "$5" </dev/null >"$T/$1.log" 2>"$T/$1.err" &
	LAST_PID=$!
}
# finish PID SECONDS: wait for the VM to power off, kill it after SECONDS.
finish() {
	local i
	for i in $(seq $(($2 * 10))); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
field() { sed -n "s/.*[ ]$1=\([0-9]*\).*/\1/p" <<<"$2" | head -n1; }
# scale PPS KHZ: pps in guest TSC units -> pps in reference TSC units
scale() {
	if [ -n "$REF_KHZ" ] && [ -n "$2" ] && [ "$2" -gt 0 ]; then
		awk -v p="$1" -v r="$REF_KHZ" -v g="$2" 'BEGIN { printf "%d", p * r / g }'
	else
		echo "$1"
	fi
}

progress() { echo "# $(date +%T) $*" >&2; }
dump_logs() {
	local f
	for f in "$T"/sink.log "$T"/sink.err "$T"/gen.log "$T"/gen.err "$T"/testpmd.log; do
		[ -s "$f" ] && tail -n 15 "$f" | sed "s|^|# $(basename "$f"): |" >&2
	done
}
# run_one VMM SIZE IRQ: RESULT = "sink_pps gen_pps rx sink_khz gen_khz rxq"
# (pps scaled), or "fail REASON"; DIAG = the guests' kick/interrupt counts.
run_one() {
	local vm=vm_$1 size=$(($2 - 4)) irq=$3 sink gen i line s g gl
	DIAG=
	rm -f "$T"/sink.* "$T"/gen.*
	$vm sink "$T/vh1.sock" "$MAC_SINK" "$SINK_CPU" \
		"mode=sink count=$COUNT irq=$irq idle_ms=2000 first_ms=300000"
	sink=$LAST_PID
	VM_PIDS=$sink
	for i in $(seq 3000); do
		grep -aq 'nfguest: sink ready' "$T/sink.log" 2>/dev/null && break
		kill -0 "$sink" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -aq 'nfguest: sink ready' "$T/sink.log"; then
		finish "$sink" 0
		dump_logs
		RESULT="fail sink VM not ready: $(tail -qn2 "$T/sink.log" "$T/sink.err" | tr '\n' ' ')"
		return
	fi
	$vm gen "$T/vh0.sock" "$MAC_GEN" "$GEN_CPU" "mode=gen count=$COUNT size=$size dst=$MAC_SINK"
	gen=$LAST_PID
	VM_PIDS="$sink $gen"
	progress "$1 sink ready ($(field tsc_khz "$(grep -ao 'nfguest: sink ready.*' "$T/sink.log")") kHz), gen started"
	finish "$gen" $((120 + COUNT / 500))
	progress "$1 gen done: $(grep -ao 'nfguest: gen [tb].*' "$T/gen.log" | tail -n1)"
	finish "$sink" 60
	VM_PIDS=
	line=$(grep -ao 'nfguest: sink rx=.*' "$T/sink.log" | tail -n1)
	s=$(grep -ao 'nfguest: sink ready.*' "$T/sink.log" | head -n1)
	g=$(grep -ao 'nfguest: gen ready.*' "$T/gen.log" | head -n1)
	if [ -z "$line" ] || ! grep -aq 'nfguest: gen tx=' "$T/gen.log"; then
		dump_logs
		RESULT="fail no result: sink '$(tail -qn1 "$T/sink.log" "$T/sink.err" | tr '\n' ' ')'\
 gen '$(tail -qn1 "$T/gen.log" "$T/gen.err" | tr '\n' ' ')'"
		return
	fi
	if [ "$(field bad "$line")" != 0 ]; then
		RESULT="fail sink saw corrupted frames: $line"
		return
	fi
	gl=$(grep -ao 'nfguest: gen tx=.*' "$T/gen.log" | tail -n1)
	RESULT="$(scale "$(field pps "$line")" "$(field tsc_khz "$s")")"
	RESULT+=" $(scale "$(field pps "$gl")" "$(field tsc_khz "$g")") $(field rx "$line")"
	RESULT+=" $(field tsc_khz "$s") $(field tsc_khz "$g") $(field rxq "$s")"
	DIAG="gen $(grep -ao 'kicks=[0-9]* tx_full=[0-9]*' "$T/gen.log" | tail -n1),"
	DIAG+=" sink $(grep -ao 'kicks=[0-9]*' "$T/sink.log" | tail -n1)"
	DIAG+=" $(grep -ao 'irqs=[0-9]*' "$T/sink.log" | tail -n1)"
}

median() { tr ' ' '\n' | grep -E '^[0-9]+$' | sort -n | awk '{v[NR]=$1} END {if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR+1)/2]; else printf "%d\n", (v[NR/2]+v[NR/2+1])/2}'; }
minmax() { tr ' ' '\n' | grep -E '^[0-9]+$' | sort -n | awk 'NR == 1 {lo=$1} {hi=$1} END {if (NR) printf "%d-%d", lo, hi; else print "n/a"}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/ && b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "# guest->backend->guest: nfguest gen -> dpdk-testpmd io (2x net_vhost) -> nfguest sink"
echo "# run lines: sink_pps gen_pps sink_rx sink_tsc_khz gen_tsc_khz ring_size (guest kicks, sink irqs)"
echo "# $RUNS run(s) per VMM per point, alternating; $COUNT frames per run; sizes $SIZES; irq $IRQS"
echo "# $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $NCPU CPUs; gen CPU $GEN_CPU, sink CPU $SINK_CPU, testpmd PMD CPU $PMD_CPU"
echo "# $(qemu-system-x86_64 --version | head -n1); dpdk-testpmd $DPDK_VER; nfvisor $REV"
echo "# reference TSC: ${REF_KHZ:-none (pps not corrected)} kHz"

setsid dpdk-testpmd --lcores "0@$MAIN_CPU,1@$PMD_CPU" --file-prefix "$P" --no-pci -m 128 \
	--log-level=lib.eal:warning --log-level=lib.vhost.config:info \
	--vdev "net_vhost0,iface=$T/vh0.sock" --vdev "net_vhost1,iface=$T/vh1.sock" \
	-- --forward-mode=io --auto-start --nb-cores=1 --total-num-mbufs=16384 --stats-period 3600 \
	</dev/null >"$T/testpmd.log" 2>&1 &
TP_PID=$!
for i in $(seq 300); do [ -S "$T/vh1.sock" ] && break; sleep 0.1; done
[ -S "$T/vh1.sock" ] || die "testpmd created no vhost-user sockets: $(tail -n5 "$T/testpmd.log")"

declare -A SINK GEN LOSS KHZ
fails=0
for size in ${SIZES//,/ }; do
	for irq in ${IRQS//,/ }; do
		for r in $(seq "$RUNS"); do
			for v in nfv qemu; do
				kill -0 "$TP_PID" 2>/dev/null || die "testpmd exited: $(tail -n5 "$T/testpmd.log")"
				n0=$(wc -l <"$T/testpmd.log")
				run_one "$v" "$size" "$irq"
				out=$RESULT
				tail -n +$((n0 + 1)) "$T/testpmd.log" | grep -ao 'negotiated .*' >>"$T/feat.$v"
				echo "run $r $v size=$size irq=$irq: $out ($DIAG)"
				case $out in
				fail*) fails=$((fails + 1)); continue ;;
				esac
				read -r sp gp rx sk gk rq <<<"$out"
				if [ "$rq" != "$QSIZE" ]; then
					echo "# $v: the guest set up $rq-entry rings, not $QSIZE: not comparable" >&2
					fails=$((fails + 1))
					continue
				fi
				k=$v,$size,$irq
				SINK[$k]="${SINK[$k]:-} $sp"
				GEN[$k]="${GEN[$k]:-} $gp"
				LOSS[$k]="${LOSS[$k]:-} $(awk -v rx="$rx" -v n="$COUNT" 'BEGIN { printf "%d", (n - rx) * 1000 / n }')"
				KHZ[$v]="${KHZ[$v]:-} $sk $gk"
			done
		done
	done
done

echo
echo "| frame | sink | nfvisor-vmm rx pps (min-max) | QEMU rx pps (min-max) | nfvisor/QEMU | gen pps nfvisor / QEMU | loss nfvisor / QEMU |"
echo "|---|---|---|---|---|---|---|"
for size in ${SIZES//,/ }; do
	for irq in ${IRQS//,/ }; do
		a=nfv,$size,$irq b=qemu,$size,$irq
		mn=$(echo "${SINK[$a]:-}" | median) mq=$(echo "${SINK[$b]:-}" | median)
		ln=$(echo "${LOSS[$a]:-}" | median) lq=$(echo "${LOSS[$b]:-}" | median)
		printf '| %s B | %s | %s (%s) | %s (%s) | %s | %s / %s | %s / %s |\n' "$size" \
			"$([ "$irq" = 1 ] && echo MSI-X || echo poll)" \
			"$mn" "$(echo "${SINK[$a]:-}" | minmax)" "$mq" "$(echo "${SINK[$b]:-}" | minmax)" \
			"$(ratio "$mn" "$mq")" "$(echo "${GEN[$a]:-}" | median)" "$(echo "${GEN[$b]:-}" | median)" \
			"$(awk -v l="$ln" 'BEGIN { if (l ~ /^[0-9]+$/) printf "%.1f%%", l / 10; else print "n/a" }')" \
			"$(awk -v l="$lq" 'BEGIN { if (l ~ /^[0-9]+$/) printf "%.1f%%", l / 10; else print "n/a" }')"
	done
done
echo
echo "# medians over runs; pps scaled to the reference TSC (guest calibrations: nfvisor $(echo "${KHZ[nfv]:-}" | minmax) kHz, QEMU $(echo "${KHZ[qemu]:-}" | minmax) kHz)"
echo "# loss = frames the gen sent that the sink did not receive (the backend found the sink's ring full)"
for v in nfv qemu; do
	echo "# $v: what testpmd logged as negotiated (count over all connections):"
	sort "$T/feat.$v" 2>/dev/null | uniq -c | sed 's/^/#   /'
done
echo "# failed runs: $fails"
[ "$fails" = 0 ]
