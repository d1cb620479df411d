#!/usr/bin/env bash
# Loopback throughput of nfvisor-switch against two references, measured in
# the same run, interleaved point by point, fresh processes for every point:
#   switch   nfvisor-switch, two vhost-user ports (client mode), access VLAN
#            10, MAC learning on (frames are known unicast after the first)
#   testpmd  dpdk-testpmd io-forwarding between two net_vhost ports (no
#            switching logic: the ceiling)
#   ovs      Open vSwitch with DPDK (openvswitch-switch-dpdk), bridge with
#            the NORMAL action, dpdkvhostuserclient ports, private rundir
# Traffic: one testpmd with two net_virtio_user ports (server mode) in
# io-forward, primed with "start tx_first N" on CPU 0; the contender's PMD on
# CPU 1. Rates come from testpmd's own Rx-pps over a steady window (both
# directions added = aggregate; each direction = one-way). Switch cycles per
# packet = busy cycles of its PMD lcore / packets it received in the window.
#   bench/switch_loopback.sh [--runs N] [--window S] [--sizes "64 1518"]
#                            [--contenders "switch testpmd ovs"] [--bursts N]
# Every process runs in its own session (setsid): with the kernel's
# scheduler autogroups, a daemon that detaches (ovs-vswitchd --detach) would
# otherwise get a whole group's CPU share on a busy machine while the others
# share one with the invoking shell.
# Needs root, 2 CPUs, ~600 free 2 MiB hugepages. Not part of make check.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=3 WINDOW=4 SIZES="64 1518" CONTENDERS="switch testpmd ovs" BURSTS=8 WARMUP=2
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--window) WINDOW=$2; shift 2 ;;
	--sizes) SIZES=$2; shift 2 ;;
	--contenders) CONTENDERS=$2; shift 2 ;;
	--bursts) BURSTS=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N] [--window S] [--sizes \"64 1518\"] [--contenders \"switch testpmd ovs\"] [--bursts N]" >&2; exit 2 ;;
	esac
done
die() { echo "switch_loopback: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (hugepages, vhost sockets)"
[ -x "$BUILD/nfvisor-switch" ] || die "$BUILD/nfvisor-switch not built (run make)"
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd missing (scripts/install-deps.sh)"
command -v jq >/dev/null || die "jq missing (scripts/install-deps.sh)"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs"
OVSD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk # also set by bench/lib.bash
if [[ " $CONTENDERS " == *" ovs "* ]] && [ ! -x "$OVSD" ]; then
	echo "# openvswitch-switch-dpdk not installed: skipping the OVS contender"
	CONTENDERS=${CONTENDERS/ovs/}
fi

T=$(mktemp -d /tmp/nfv-bench.XXXXXX)
P=nfvb$$
GEN_FD=
. bench/lib.bash
cleanup_point() {
	[ -n "$GEN_FD" ] && { eval "exec $GEN_FD>&-"; GEN_FD=; }
	bench_cleanup_point
}
trap 'cleanup_point; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

MAC0=52:54:00:00:00:01 MAC1=52:54:00:00:00:02

gen_start() { # gen_start SIZE
	local fifo=$T/gen.in
	rm -f "$fifo"; mkfifo "$fifo"
	setsid stdbuf -oL dpdk-testpmd --lcores '0@0,1@0' --file-prefix "${P}gen" --no-pci -m 512 \
		--single-file-segments --log-level=lib.eal:warning \
		--vdev "net_virtio_user0,path=$T/a.sock,mac=$MAC0,server=1" \
		--vdev "net_virtio_user1,path=$T/b.sock,mac=$MAC1,server=1" -- -i \
		--forward-mode=io --nb-cores=1 --total-num-mbufs=16384 --txpkts="$1" \
		--eth-peer="0,$MAC1" --eth-peer="1,$MAC0" <"$fifo" >"$T/gen.log" 2>&1 &
	GEN_PID=$!
	exec {GEN_FD}>"$fifo"
	# virtio-user servers listen one after the other: b.sock appears once a.sock
	# has its client.
	for i in $(seq 100); do [ -S "$T/a.sock" ] && return 0; sleep 0.1; done
	return 1
}
gen() { echo "$1" >&"$GEN_FD"; }

con_start() { # con_start NAME: start it (bench/lib.bash), wait until it forwards
	bench_con_start "$1" || return 1
	[ "$1" = switch ] || { sleep 3; return 0; }
	for i in $(seq 100); do
		[ "$("$BUILD/nfvisor-switch" --ctl-client "$T/ctl.sock" '{"cmd":"ports"}' 2>/dev/null |
			jq -r '[.ports[].state] | join(",")')" = "up,up" ] && return 0
		sleep 0.1
	done
	return 1
}

sw_counts() { # busy rx of the switch
	"$BUILD/nfvisor-switch" --ctl-client "$T/ctl.sock" '{"cmd":"stats"}' |
		jq -r '"\(.lcores[0].busy_cycles) \([.ports[].rx_packets] | add)"'
}

# gen_pps: Rx-pps of port 0 and 1 since the previous "show port stats all".
gen_pps() {
	local before
	before=$(grep -c 'Rx-pps' "$T/gen.log")
	gen "show port stats all"
	for i in $(seq 50); do
		[ "$(grep -c 'Rx-pps' "$T/gen.log")" -ge $((before + 2)) ] && break
		sleep 0.1
	done
	grep -o 'Rx-pps: *[0-9]*' "$T/gen.log" | tail -2 | grep -o '[0-9]*$' | tr '\n' ' '
}

# measure CONTENDER SIZE -> "aggregate p0 p1 cycles_per_pkt"
measure() {
	local c=$1 size=$2 a b b0 r0 b1 r1 cpp=-
	cleanup_point
	# measure runs in a subshell: every exit path cleans up its processes.
	if ! gen_start "$size"; then
		echo "# generator did not start: $(tail -3 "$T/gen.log")" >&2
		cleanup_point; echo "0 0 0 -"; return
	fi
	if ! con_start "$c"; then
		echo "# $c did not start: $(tail -3 "$T/con.log" 2>/dev/null)" >&2
		cleanup_point; echo "0 0 0 -"; return
	fi
	gen "start tx_first $BURSTS"
	sleep "$WARMUP"
	gen_pps >/dev/null
	[ "$c" = switch ] && read -r b0 r0 < <(sw_counts)
	sleep "$WINDOW"
	read -r a b < <(gen_pps)
	if [ "$c" = switch ]; then
		read -r b1 r1 < <(sw_counts)
		[ "$r1" -gt "$r0" ] && cpp=$(( (b1 - b0) / (r1 - r0) ))
	fi
	echo "$((a + b)) $a $b $cpp"
	gen "stop"
	[ -n "${KEEP:-}" ] && cp "$T/gen.log" "$T/gen-$c-$size.log"
	cleanup_point
}

median() { sort -n | awk '{v[NR]=$1} END {if (NR == 0) print 0; else if (NR % 2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }

echo "# nfvisor-switch loopback: runs=$RUNS window=${WINDOW}s sizes=$SIZES contenders=$CONTENDERS"
echo "# $(dpdk-testpmd --version 2>/dev/null | head -1) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
declare -A R
for run in $(seq "$RUNS"); do
	for size in $SIZES; do
		for c in $CONTENDERS; do
			# $(...) waits for the whole point, its clean-up included: the
			# next point must not start while this one's processes live on
			# (a dying vhost client reconnects to the next generator).
			res=$(measure "$c" "$size")
			read -r agg p0 p1 cpp <<<"$res"
			R[$c,$size,$run]=$agg
			R[$c,$size,$run,oneway]=$p0
			R[$c,$size,$run,cpp]=$cpp
			printf 'run %d size %4d %-8s aggregate %10d pps  one-way %10d / %10d pps  cycles/pkt %s  load %s\n' \
				"$run" "$size" "$c" "$agg" "$p0" "$p1" "$cpp" "$(cut -d' ' -f1 /proc/loadavg)"
		done
	done
done

echo "# summary (median over runs; ratios are medians of per-run ratios)"
for size in $SIZES; do
	for c in $CONTENDERS; do
		m=$(for run in $(seq "$RUNS"); do echo "${R[$c,$size,$run]}"; done | median)
		o=$(for run in $(seq "$RUNS"); do echo "${R[$c,$size,$run,oneway]}"; done | median)
		printf 'size %4d %-8s aggregate %12s pps (%.2f Mpps)  one-way %s pps\n' "$size" "$c" "$m" \
			"$(awk -v x="$m" 'BEGIN{print x/1e6}')" "$o"
	done
	if [[ " $CONTENDERS " == *" switch "* ]]; then
		cp=$(for run in $(seq "$RUNS"); do echo "${R[switch,$size,$run,cpp]}"; done | grep -v - | median)
		echo "size $size switch cycles/packet on the PMD core (median): $cp"
		for ref in testpmd ovs; do
			[[ " $CONTENDERS " == *" $ref "* ]] || continue
			rs=$(for run in $(seq "$RUNS"); do ratio "${R[switch,$size,$run]}" "${R[$ref,$size,$run]}"; echo; done)
			printf 'size %4d switch / %-7s ratio median %s  (runs: %s)\n' "$size" "$ref" \
				"$(echo "$rs" | grep -v n/a | median)" "$(echo $rs)"
		done
	fi
done
echo "# targets at 64 B: switch/testpmd >= 0.9, switch/ovs >= 1.2"
