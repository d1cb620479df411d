#!/usr/bin/env bash
# The driver behind `nfvisor bench SCENARIO` (which checks the scenario can
# run here first; see docs/bench.md). Runs nfv-trafgen's RFC 2544 / RFC 9971
# style search against every contender, point by point (repeat x size x
# contender, fresh processes each point), and writes into --out DIR:
#   trials.csv / trials.json  every trial (search, max and latency trials)
#   results.json              per point: NDR, PDR, overload rates, per-core Mpps
#   report.md                 configuration (RFC 8204 items) + result tables
#   throughput.png latency.png  gnuplot charts
# Progress (point, trial, rate, loss, time left) goes to stderr.
#   bench/bench.sh switch-loopback|pvp|vm2vm [--quick] [--out DIR] [--sizes 64,1518]
#       [--trial-sec S] [--loss PCT] [--repeat N] [--resolution PCT]
#       [--contenders switch,testpmd,ovs]
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
die() { echo "nfvisor bench: $*" >&2; exit 1; }
usage() {
	echo "usage: $0 switch-loopback|pvp|vm2vm [--quick] [--out DIR] [--sizes 64,128,...] [--trial-sec S]" >&2
	echo "       [--loss PCT] [--repeat N] [--resolution PCT] [--contenders switch,testpmd,ovs]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
SCENARIO=$1
shift
QUICK=0 OUT= SIZES= TRIAL= LOSS= REPEAT= RES= CONTENDERS=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; shift ;;
	--out) OUT=${2:-}; shift 2 || usage ;;
	--sizes) SIZES=${2:-}; shift 2 || usage ;;
	--trial-sec) TRIAL=${2:-}; shift 2 || usage ;;
	--loss) LOSS=${2:-}; shift 2 || usage ;;
	--repeat) REPEAT=${2:-}; shift 2 || usage ;;
	--resolution) RES=${2:-}; shift 2 || usage ;;
	--contenders) CONTENDERS=${2:-}; shift 2 || usage ;;
	*) echo "nfvisor bench: unknown option \"$1\"" >&2; usage ;;
	esac
done
case $SCENARIO in switch-loopback | pvp | vm2vm | vf-pvp) ;; *) false ;; esac ||
	die "scenario \"$SCENARIO\" is not run by this driver (nfvisor bench --list shows what runs here)"
if [ "$QUICK" = 1 ]; then
	: "${SIZES:=64,1518}" "${TRIAL:=0.25}" "${LOSS:=0.5}" "${REPEAT:=1}" "${RES:=25}"
	: "${CONTENDERS:=switch,testpmd}"
else
	: "${SIZES:=64,128,256,512,1024,1518}" "${TRIAL:=2}" "${LOSS:=0.5}" "${REPEAT:=3}" "${RES:=2}"
	: "${CONTENDERS:=switch,testpmd,ovs}"
fi
: "${OUT:=bench-out/$SCENARIO-$(date -u +%Y%m%dT%H%M%SZ)}"
[[ $SIZES =~ ^[0-9]+(,[0-9]+)*$ ]] || die "bad --sizes \"$SIZES\": comma-separated frame sizes, e.g. 64,1518"
for s in ${SIZES//,/ }; do
	[ "$s" -ge 64 ] && [ "$s" -le 1518 ] || die "bad frame size $s in --sizes: 64..1518"
done
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "bad --repeat \"$REPEAT\": a count >= 1"
awk -v t="$TRIAL" 'BEGIN { exit !(t + 0 >= 0.05 && t + 0 <= 3600) }' ||
	die "bad --trial-sec \"$TRIAL\": seconds 0.05..3600"
awk -v l="$LOSS" 'BEGIN { exit !(l ~ /^[0-9.]+$/ && l + 0 <= 50) }' ||
	die "bad --loss \"$LOSS\": percent 0..50"
awk -v l="$RES" 'BEGIN { exit !(l ~ /^[0-9.]+$/ && l + 0 >= 0.1 && l + 0 <= 50) }' ||
	die "bad --resolution \"$RES\": percent 0.1..50"
[ "$(id -u)" = 0 ] || die "needs root (hugepages, vhost sockets)"
[ -x "$BUILD/bench/nfv-trafgen" ] || die "$BUILD/bench/nfv-trafgen not built (run make)"
command -v jq >/dev/null || die "jq missing (scripts/install-deps.sh installs it)"
# gnuplot is an alternatives link to gnuplot-nox/-qt/-x11; a minimal root
# (the nested tier's L1) may have only the program itself.
GNUPLOT=$(command -v gnuplot || command -v gnuplot-nox || command -v gnuplot-qt || command -v gnuplot-x11) ||
	die "gnuplot missing (scripts/install-deps.sh installs it)"

CONS=() SKIPPED=()
# vf-pvp has no software switch in its path: one "contender", the VFs, and
# the port's line rate as the baseline.
[ "$SCENARIO" = vf-pvp ] && CONTENDERS=vf
for c in ${CONTENDERS//,/ }; do
	case $c in
	switch) [ -x "$BUILD/nfvisor-switch" ] || die "$BUILD/nfvisor-switch not built (run make)"; CONS+=("$c") ;;
	testpmd) command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd missing (scripts/install-deps.sh)"; CONS+=("$c") ;;
	ovs) if [ -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ]; then CONS+=("$c")
	     else SKIPPED+=("ovs: openvswitch-switch-dpdk not installed"); fi ;;
	vf) [ "$SCENARIO" = vf-pvp ] || die "contender vf is the vf-pvp scenario's own"; CONS+=("$c") ;;
	*) die "unknown contender \"$c\": switch, testpmd or ovs" ;;
	esac
done
[ "$QUICK" = 1 ] && [ "$SCENARIO" != vf-pvp ] && [[ ",$CONTENDERS," != *,ovs,* ]] &&
	SKIPPED+=("ovs: left out by --quick (give --contenders switch,testpmd,ovs to include it)")
[ ${#CONS[@]} -gt 0 ] || die "no contender can run"
. bench/lib.bash
NEED=$((128 * 2 + 200))
PIN_NOTE="nfv-trafgen lcore on CPU $GEN_CPU (tx + rx, one core); contender main thread CPU 0, one PMD core on CPU 1"
if [ "$SCENARIO" = pvp ] || [ "$SCENARIO" = vm2vm ] || [ "$SCENARIO" = vf-pvp ]; then
	[ -c /dev/kvm ] || die "$SCENARIO needs /dev/kvm (nfvisor bench --list)"
	[ -x "$BUILD/nfvisor-vmm" ] && [ -f "$BUILD/guest/nfguest.elf" ] ||
		die "$BUILD/nfvisor-vmm or $BUILD/guest/nfguest.elf not built (run make)"
	NEED=$((NEED + 32))
	[ "$VM_CPU" = 1 ] && share=" (shares it with the PMD: $(nproc) CPUs)" || share=
	PIN_NOTE="$PIN_NOTE; the VM's vCPU on CPU $VM_CPU$share"
fi
if [ "$SCENARIO" = vf-pvp ]; then
	[ -n "${NFV_HW_PF:-}" ] || die "vf-pvp skipped: set NFV_HW_PF=BDF (an SR-IOV NIC PF with 4 VFs free)"
	NEED=$((128 + 32 + 50))
	PIN_NOTE="nfv-trafgen lcore on CPU $GEN_CPU (VF 2 tx, VF 3 rx); the VM's vCPU on CPU $VM_CPU"
fi
if [ "$SCENARIO" = vm2vm ]; then
	NEED=$((128 + 64 + 100)) # the contender and two VMs; no nfv-trafgen
	[ "$GEN_CPU" = 0 ] && share=" (shares it with the contender's main thread)" || share=
	PIN_NOTE="generator VM (nfguest benchgen) vCPU on CPU $GEN_CPU$share; sink VM (nfguest benchsink) vCPU on CPU $VM_CPU${share:+ (shares it with the PMD)}; contender main thread CPU 0, one PMD core on CPU 1"
fi
FREE=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
[ "$FREE" -ge "$NEED" ] ||
	die "needs $NEED free 2 MiB hugepages, $FREE free (echo 1024 > /proc/sys/vm/nr_hugepages)"

mkdir -p "$OUT" || die "cannot create --out directory \"$OUT\""
OUT=$(cd "$OUT" && pwd)
T=$(mktemp -d /tmp/nfv-bench.XXXXXX)
P=nfvbn$$
trap 'bench_cleanup_point; bench_vf_restore; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
if [ "$SCENARIO" = vf-pvp ]; then
	bench_vf_prepare || die "vf-pvp skipped: $VF_WHY"
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date +%s)
RAW=$OUT/trials.raw
: >"$RAW"
: >"$OUT/results.raw"
SIZE_LIST=(${SIZES//,/ })
NPOINTS=$((REPEAT * ${#SIZE_LIST[@]} * ${#CONS[@]}))
DONE=0 FAILED=0
# benchgen's command line: the same search in integer units (ms, ppm); a
# RESULT may take long in a loaded nested tier (30 s + the trial).
VM2VM_ARGS=$(awk -v t="$TRIAL" -v l="$LOSS" -v r="$RES" 'BEGIN {
	printf "trial_ms=%d loss_ppm=%d res_ppm=%d lat=10,50,90 result_ms=%d", t * 1000 + 0.5,
		l * 10000 + 0.5, r * 10000 + 0.5, 30000 + t * 1000 }')
# vm2vm_lines: the generator VM's trial/result lines as nfv-trafgen's.
vm2vm_lines() {
	grep -a '^nfguest: \(trial\|result\) ' "$T/gen.log" 2>/dev/null | sed 's/^nfguest: //' >"$T/gen.out.new"
	mv "$T/gen.out.new" "$T/gen.out"
}

# run_point REP SIZE CONTENDER: appends the trafgen lines, tagged.
run_point() {
	local rep=$1 size=$2 c=$3 seen=0 n t0 left line start why
	t0=$(date +%s)
	bench_cleanup_point
	: >"$T/gen.out"
	if [ "$SCENARIO" = vm2vm ]; then
		# The search runs in the generator VM (nfguest benchgen); its
		# "nfguest: trial|result" lines are nfv-trafgen's.
		if ! bench_vm2vm_start "$c" "frame_size=$size $VM2VM_ARGS"; then
			echo "nfvisor bench: $c did not start: $(tail -3 "$T/con.log" 2>/dev/null)" >&2
			FAILED=$((FAILED + 1)); return
		fi
	else
		local gate=()
		[ "$SCENARIO" = pvp ] && gate=(--wait-file "$T/go")
		[ "$SCENARIO" = vf-pvp ] && gate=(--wait-file "$T/go" --dst-mac "${VF_MAC[0]}")
		if ! bench_gen_start "$size" --search --trial-sec "$TRIAL" --loss "$LOSS" \
			--resolution "$RES" --lat-points 10,50,90 "${gate[@]}"; then
			echo "nfvisor bench: generator did not start: $(tail -3 "$T/gen.err")" >&2
			FAILED=$((FAILED + 1)); return
		fi
		if [ "$SCENARIO" = pvp ]; then
			start=bench_pvp_start
		elif [ "$SCENARIO" = vf-pvp ]; then
			start=bench_vfpvp_start
		else
			start=bench_con_start
		fi
		if ! $start "$c"; then
			echo "nfvisor bench: $c did not start: $(tail -3 "$T/con.log" 2>/dev/null)" >&2
			FAILED=$((FAILED + 1)); return
		fi
	fi
	local alive=1
	while :; do
		[ "$SCENARIO" = vm2vm ] && vm2vm_lines
		n=$(wc -l <"$T/gen.out")
		while [ "$seen" -lt "$n" ]; do
			seen=$((seen + 1))
			line=$(sed -n "${seen}p" "$T/gen.out")
			case $line in trial*)
				if [ "$DONE" -gt 0 ]; then
					left=$(( ($(date +%s) - START) * (NPOINTS - DONE) / DONE - ($(date +%s) - t0) ))
					[ "$left" -lt 0 ] && left=0
				else left='?'; fi
				awk -v p="[$((DONE + 1))/$NPOINTS] $c ${size}B rep $rep" -v l="$left" '{
					for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
					printf "%s  trial %-5s rate %11.0f pps  rx %11.0f pps  loss %8.4f%%  ~%s s left\n",
						p, v["phase"], v["rate"], v["rx_pps"], v["loss_pct"], l }' \
					<<<"$line" >&2 ;;
			esac
		done
		# one more pass after the generator ended: its last lines
		[ "$alive" = 1 ] || break
		kill -0 "$GEN_PID" 2>/dev/null || { alive=0; continue; }
		sleep 0.3
	done
	wait "$GEN_PID" 2>/dev/null
	GEN_PID=
	[ "$SCENARIO" = vm2vm ] && vm2vm_lines
	if ! grep -q '^result ' "$T/gen.out"; then
		# vm2vm: the generator VM's last guest lines, then its VMM's
		# messages (vhost-user session, link); else nfv-trafgen's stderr.
		if [ "$SCENARIO" = vm2vm ]; then
			why="$(grep -a nfguest: "$T/gen.log" | tail -3) $(tail -3 "$T/gen.err" 2>/dev/null)"
		else
			why=$(tail -3 "$T/gen.err" 2>/dev/null)
		fi
		echo "nfvisor bench: $c ${size}B rep $rep: generator failed: $why" >&2
		FAILED=$((FAILED + 1))
	fi
	sed -n "s/^trial /contender=$c repeat=$rep /p" "$T/gen.out" >>"$RAW"
	local extra=
	[ "$SCENARIO" = vf-pvp ] && extra="line_rate_pps=$(bench_vf_line_rate "$size") "
	sed -n "s/^result /contender=$c repeat=$rep pmd_cores=1 $extra/p" "$T/gen.out" >>"$OUT/results.raw"
	bench_cleanup_point
	DONE=$((DONE + 1))
}

echo "nfvisor bench $SCENARIO: ${#CONS[@]} contenders (${CONS[*]}), sizes $SIZES, trial ${TRIAL}s," \
	"loss tolerance $LOSS%, resolution $RES%, $REPEAT repeat(s) -> $OUT" >&2
for rep in $(seq "$REPEAT"); do
	for size in "${SIZE_LIST[@]}"; do
		for c in "${CONS[@]}"; do run_point "$rep" "$size" "$c"; done
	done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# key=value lines -> CSV / JSON
kv_json() { # numbers stay numbers
	awk '{ printf "{"; for (i = 1; i <= NF; i++) { split($i, kv, "=")
		v = kv[2]; if (v !~ /^-?[0-9.]+$/) v = "\"" v "\""
		printf "%s\"%s\":%s", (i > 1 ? "," : ""), kv[1], v } print "}" }' "$1"
}
COLS=scenario,contender,repeat,phase,size,rate,offered,tx,rx,lost,loss_pct,reorder,dur_s,offered_pps,rx_pps,p50_ns,p90_ns,p99_ns,p999_ns,late,skew
{
	echo "$COLS"
	kv_json "$RAW" | jq -r --arg s "$SCENARIO" '[$s, .contender, .repeat, .phase, .size, .rate,
		.offered, .tx, .rx, .lost, .loss_pct, .reorder, .dur_s, .offered_pps, .rx_pps,
		.p50_ns, .p90_ns, .p99_ns, .p999_ns, .late, .skew] | @csv' | tr -d '"'
} >"$OUT/trials.csv"
kv_json "$RAW" | jq -s --arg s "$SCENARIO" '{scenario: $s, trials: .}' >"$OUT/trials.json"
kv_json "$OUT/results.raw" | jq -s --arg s "$SCENARIO" --argjson skipped \
	"$(printf '%s\n' "${SKIPPED[@]}" | jq -R 'select(length > 0)' | jq -s .)" \
	'{scenario: $s, skipped: $skipped, points: [.[] | . + {ndr_mpps_per_pmd_core: (.ndr_pps / .pmd_cores / 1e6)}]}' \
	>"$OUT/results.json"
rm -f "$RAW" "$OUT/results.raw"
if [ "$(jq '.points | length' "$OUT/results.json")" = 0 ]; then
	{
		echo "# nfvisor bench: $SCENARIO"
		echo
		echo "No point produced a result ($FAILED failed; see the errors printed while it ran)."
		echo "No charts were drawn."
	} >"$OUT/report.md"
	die "no point produced a result; $OUT/report.md says so"
fi

# Medians per contender and size, and per-repeat ratios against testpmd.
SUMMARY=$(jq -r '
	def median: sort | if length == 0 then 0 elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	.points | group_by([.contender, .size])[] |
	[.[0].contender, .[0].size, ([.[].ndr_pps] | median), ([.[].pdr_pps] | median),
	 ([.[].max_rx_pps] | median), ([.[].ndr_mpps_per_pmd_core] | median)] | @tsv' "$OUT/results.json")
RATIOS=$(jq -r '
	def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	.points as $p | [$p[] | select(.contender != "testpmd")] | group_by([.contender, .size])[] |
	. as $g | [$g[] | . as $x | ($p[] | select(.contender == "testpmd" and .size == $x.size
		and .repeat == $x.repeat) | .ndr_pps) as $b | select($b > 0) | $x.ndr_pps / $b] |
	select(length > 0) |
	[$g[0].contender, $g[0].size, (median * 1000 | round / 1000), (min * 1000 | round / 1000),
	 (max * 1000 | round / 1000), length] | @tsv' "$OUT/results.json")
LAT=$(jq -r '
	def median: sort | if length == 0 then 0 elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	[.trials[] | select(.phase | startswith("lat"))] | group_by([.contender, .size, .phase])[] |
	[.[0].contender, .[0].size, .[0].phase, ([.[].p50_ns] | median), ([.[].p90_ns] | median),
	 ([.[].p99_ns] | median), ([.[].p999_ns] | median), ([.[].loss_pct] | max)] | @tsv' "$OUT/trials.json")

# Charts.
awk -F'\t' '{ printf "%s %s %.6f %.6f\n", $1, $2, $3 / 1e6, $4 / 1e6 }' <<<"$SUMMARY" >"$T/tput.dat"
PLOTS=
for c in "${CONS[@]}"; do
	grep "^$c " "$T/tput.dat" | sort -k2n >"$T/tput-$c.dat"
	PLOTS="$PLOTS${PLOTS:+, }'$T/tput-$c.dat' using 2:3 with linespoints title '$c NDR'"
	PLOTS="$PLOTS, '$T/tput-$c.dat' using 2:4 with points title '$c PDR ${LOSS}%'"
done
"$GNUPLOT" <<EOF || die "gnuplot failed on the throughput chart"
set terminal pngcairo size 900,540 noenhanced
set output '$OUT/throughput.png'
set title '$SCENARIO: highest rate without loss (NDR) and with <= ${LOSS}% loss (PDR)'
set xlabel 'frame size (bytes)'
set ylabel 'Mpps (median of $REPEAT)'
set key outside right
set grid
plot $PLOTS
EOF
SMALL=${SIZE_LIST[0]}
awk -F'\t' -v s="$SMALL" '$2 == s { printf "%s@%s %g %g %g %g\n", $1, substr($3, 4) "%", $4 / 1e3, $5 / 1e3, $6 / 1e3, $7 / 1e3 }' \
	<<<"$LAT" >"$T/lat.dat"
[ -s "$T/lat.dat" ] || echo "none@0% 0 0 0 0" >"$T/lat.dat"
bench_latency_chart "$OUT/latency.png" "$SCENARIO: one-way latency at 10/50/90% of the NDR, ${SMALL} B frames" \
	"$T/lat.dat" || die "gnuplot failed on the latency chart"

# Report.
{
	echo "# nfvisor bench: $SCENARIO"
	echo
	echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)," \
		"$((($(date +%s) - START))) s. Point runs that failed: $FAILED."
	echo
	echo "## Configuration (RFC 8204 section 4 items)"
	echo
	echo "| item | value |"
	echo "|---|---|"
	echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') |"
	echo "| CPUs online | $(nproc) ($(lscpu 2>/dev/null | awk -F: '/^Thread\(s\) per core/ {gsub(/ /,"",$2); print $2}') threads/core) |"
	echo "| pinning | $PIN_NOTE |"
	echo "| hugepages | 2 MiB: $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages) reserved; 256 MiB per process |"
	echo "| kernel | $(uname -r) $(uname -v | cut -c1-40) |"
	echo "| DPDK | $(bench_pkg_version dpdk) (generator, testpmd) |"
	echo "| QEMU | $(bench_pkg_version qemu-system-x86) |"
	echo "| OVS-DPDK | $(bench_pkg_version openvswitch-switch-dpdk) |"
	echo "| contenders | ${CONS[*]} |"
	echo "| skipped | ${SKIPPED[*]:-none} |"
	if [ "$SCENARIO" = vf-pvp ]; then
		echo "| topology | nfv-trafgen on VF 2 (${VF_BDF[2]:-}) -> NIC embedded switch -> VF 0 (${VF_BDF[0]:-}, VFIO) -> nfguest mode=fwd (MACs rewritten for VF 1's anti-spoofing check) -> VF 1 (${VF_BDF[1]:-}, VFIO) -> embedded switch -> VF 3 (${VF_BDF[3]:-}) -> nfv-trafgen; PF $NFV_HW_PF ($VF_PFNET, $(cat "/sys/class/net/$VF_PFNET/speed" 2>/dev/null || echo '?') Mb/s); VM: nfvisor-vmm, 1 vCPU, 64 MiB on 2 MiB hugepages |"
		echo "| baseline | the port's line rate: speed / ((frame + 20 B preamble and gap) x 8), in results.json as line_rate_pps |"
	elif [ "$SCENARIO" = vm2vm ]; then
		echo "| topology | VM 1 (nfguest benchgen) virtio-net -> contender vhost-user port -> contender vhost-user port -> VM 2 (nfguest benchsink) virtio-net; unidirectional; VMs: nfvisor-vmm, nfguest.elf, 1 vCPU, 64 MiB on 2 MiB hugepages, polling virtio-net, one queue pair, ring size as the device offers (nfguest takes up to 1024) |"
		echo "| generator | the search runs in VM 1 (same method as nfv-trafgen, integer rates); VM 2 counts each trial and returns its count, reordering and latency percentiles in a RESULT control frame through the DUT (END repeated every 20 ms until answered) |"
		echo "| latency clock | VM 1 writes its TSC converted to VM 2's clock: the offset comes from NTP-style probes through the DUT at idle (16 answered, at most 64 sent), the one with the shortest round trip (error at most half of it: $(grep -ahom1 'rtt_ns=[0-9]*' "$T/gen.log" 2>/dev/null || echo 'rtt_ns=unknown') in the last point); percentiles from a log histogram (32 buckets per power of two, <= 3 % error) |"
	elif [ "$SCENARIO" = pvp ]; then
		echo "| topology | trafgen virtio-user port 0 -> contender (VLAN 10) -> VM NIC 0 -> nfguest mode=fwd -> VM NIC 1 -> contender (VLAN 20) -> trafgen virtio-user port 1; unidirectional; VM: nfvisor-vmm, nfguest.elf, 1 vCPU, 64 MiB on 2 MiB hugepages, polling virtio-net, ring size as the device offers (nfguest takes up to 1024) |"
	else
		echo "| topology | trafgen virtio-user port 0 (server) -> contender vhost-user port -> contender vhost-user port -> trafgen virtio-user port 1; unidirectional, one queue pair per port, 1024 descriptors |"
	fi
	case $SCENARIO in
	vm2vm) echo "| switch config | nfvisor-switch: two vhost-user server ports (the VMs connect), access VLAN 10, MAC learning (the sink VM broadcasts before the first trial); testpmd: io forwarding between two net_vhost server ports; OVS: bridge NORMAL action, dpdkvhostuser ports in access VLAN 10, per-port mempools |" ;;
	pvp) echo "| switch config | nfvisor-switch: generator ports vhost-user client, VM ports server; a + VM NIC 0 in access VLAN 10, VM NIC 1 + b in VLAN 20, MAC learning; testpmd: io forwarding a<->NIC 0, NIC 1<->b; OVS: bridge NORMAL action, the same VLANs as access tags, per-port mempools |" ;;
	vf-pvp) echo "| switch config | none in software: the NIC's embedded switch forwards by the VF MACs |" ;;
	*) echo "| switch config | nfvisor-switch: two vhost-user client ports, access VLAN 10, MAC learning (the rx port's MAC is learned before each trial); testpmd: io forwarding; OVS: bridge NORMAL action, dpdkvhostuserclient ports in access VLAN 10, per-port mempools |" ;;
	esac
	echo "| frame sizes | $SIZES (with FCS; sent 4 bytes shorter) |"
	echo "| frame content | Ethernet, EtherType 0x88b5, magic + trial id + sequence + TSC timestamp |"
	echo "| trial length | ${TRIAL} s (+ up to 1 s drain, ends after 50 ms without a frame) |"
	echo "| search | unpaced trial, then binary search to ${RES}% resolution for loss 0 (NDR) and loss <= ${LOSS}% (PDR); latency trials at 10/50/90% of NDR |"
	echo "| repeats | $REPEAT (fresh processes per point; contenders interleaved per size) |"
	echo "| load average before / after | $LOAD_BEFORE / $LOAD_AFTER |"
	echo
	echo "Frames the contender's input ring refuses are counted as offered and lost."
	echo "Absolute rates on a shared or nested host drift; compare contenders by the ratios below."
	echo
	echo "## Throughput (median over repeats)"
	echo
	echo "| contender | frame B | NDR Mpps | PDR Mpps | overload rx Mpps | NDR Mpps per PMD core |"
	echo "|---|---|---|---|---|---|"
	awk -F'\t' 'NF { printf "| %s | %s | %.3f | %.3f | %.3f | %.3f |\n", $1, $2, $3 / 1e6, $4 / 1e6, $5 / 1e6, $6 }' <<<"$SUMMARY"
	echo
	if [ "$SCENARIO" = vf-pvp ]; then
		echo "## NDR against the port's line rate"
		echo
		echo "| frame B | NDR Mpps (median) | line rate Mpps | NDR / line rate |"
		echo "|---|---|---|---|"
		jq -r 'def median: sort | if length % 2 == 1 then .[length / 2 | floor]
			else (.[length / 2 - 1] + .[length / 2]) / 2 end;
			.points | group_by(.size)[] | [.[0].size, ([.[].ndr_pps] | median), .[0].line_rate_pps] |
			"| \(.[0]) | \(.[1] / 1e6 * 1000 | round / 1000) | \(.[2] / 1e6 * 1000 | round / 1000) | " +
			(if .[2] > 0 then "\(.[1] / .[2] * 1000 | round / 1000)" else "unknown (no link speed)" end) + " |"' \
			"$OUT/results.json"
		echo
	fi
	echo "## NDR ratio against testpmd io-forwarding (same repeat, same size)"
	echo
	if [ -n "$RATIOS" ]; then
		echo "| contender | frame B | median ratio | min | max | repeats |"
		echo "|---|---|---|---|---|---|"
		awk -F'\t' 'NF { printf "| %s / testpmd | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' <<<"$RATIOS"
	else
		echo "No ratio: testpmd was not among the contenders or had no zero-loss rate."
	fi
	echo
	echo "## Latency (median over repeats, microseconds)"
	echo
	echo "| contender | frame B | load | P50 | P90 | P99 | P99.9 | worst loss % |"
	echo "|---|---|---|---|---|---|---|---|"
	awk -F'\t' 'NF { printf "| %s | %s | %s%% of NDR | %.1f | %.1f | %.1f | %.1f | %s |\n", $1, $2, substr($3, 4), $4 / 1e3, $5 / 1e3, $6 / 1e3, $7 / 1e3, $8 }' <<<"$LAT"
	echo
	echo "Charts: throughput.png, latency.png. Every trial: trials.csv, trials.json; per point: results.json."
} >"$OUT/report.md"
echo "nfvisor bench: report in $OUT/report.md" >&2
[ "$FAILED" -eq 0 ]
