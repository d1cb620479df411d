#!/usr/bin/env bash
# nfvisor bench smoke: --list states what this host can run; the
# switch-loopback scenario with --quick produces a report, CSV, JSON and two
# PNG charts that agree with each other. Numbers are not judged (a shared
# host's rates drift); only that the method's outputs are self-consistent.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd jq
need_cmd gnuplot
need_cmd dpdk-testpmd
NFV=$BUILD/nfvisor
[ -x "$NFV" ] || skip_all "$NFV not built (run make)"
[ -x "$BUILD/bench/nfv-trafgen" ] || skip_all "$BUILD/bench/nfv-trafgen not built (run make)"
echo "1..15"

LIST=$("$NFV" bench --list 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q '^switch-loopback ' <<<"$LIST"; then
	tap_ok "bench --list names the scenarios"
else
	tap_fail "bench --list names the scenarios" "rc=$rc: $LIST"
fi
# Every scenario is either runnable or skipped with a reason, and what
# --list claims matches the host.
bad=
for s in vm2vm pvp; do
	if [ -c /dev/kvm ]; then
		grep -q "^$s " <<<"$LIST" || bad="$bad $s"
	else
		grep -A1 "^$s  *no " <<<"$LIST" | grep -q 'skipped: no /dev/kvm' || bad="$bad $s"
	fi
done
grep -A1 '^vf-pvp ' <<<"$LIST" | grep -q 'skipped: no SR-IOV NIC' ||
	ls /sys/class/net/*/device/sriov_totalvfs >/dev/null 2>&1 || bad="$bad vf-pvp"
grep -A1 '^nvme ' <<<"$LIST" | grep -q 'skipped: no NVMe' ||
	[ -n "$(ls /sys/class/nvme 2>/dev/null)" ] || bad="$bad nvme"
if [ -z "$bad" ]; then
	tap_ok "bench --list skips what this host lacks, with the reason"
else
	tap_fail "bench --list skips what this host lacks, with the reason" "wrong:$bad"
fi
if [ ! -c /dev/kvm ]; then
	out=$("$NFV" bench vm2vm --quick 2>&1)
	rc=$?
	if [ $rc -eq 1 ] && grep -q 'vm2vm skipped: no /dev/kvm' <<<"$out"; then
		tap_ok "bench vm2vm without KVM is refused as skipped, not faked"
	else
		tap_fail "bench vm2vm without KVM is refused as skipped, not faked" "rc=$rc $out"
	fi
else
	tap_skip "bench vm2vm refused without KVM" "this host has /dev/kvm"
fi
out=$("$NFV" bench nosuch 2>&1)
[ $? -eq 2 ] && grep -q 'unknown scenario "nosuch"' <<<"$out" &&
	tap_ok "unknown scenario is a usage error naming it" ||
	tap_fail "unknown scenario is a usage error naming it" "$out"

if ! grep -A0 '^switch-loopback  *yes' <<<"$LIST" >/dev/null; then
	why=$(grep -A1 '^switch-loopback' <<<"$LIST" | tail -1 | sed 's/.*skipped: //')
	for i in $(seq 11); do tap_skip "switch-loopback --quick" "$why"; done
	tap_done
fi

O=$TEST_TMP/out
start=$(date +%s)
"$NFV" bench switch-loopback --quick --out "$O" >"$TEST_TMP/run.out" 2>"$TEST_TMP/run.err"
rc=$?
el=$(($(date +%s) - start))
if [ $rc -eq 0 ]; then
	tap_ok "bench switch-loopback --quick runs (${el} s)"
else
	tap_fail "bench switch-loopback --quick runs" "rc=$rc: $(tail -5 "$TEST_TMP/run.err")"
fi
grep -q 'trial .* rate .* loss .* left' "$TEST_TMP/run.err" &&
	tap_ok "progress lines show trial, rate, loss and time left" ||
	tap_fail "progress lines show trial, rate, loss and time left" "$(head -3 "$TEST_TMP/run.err")"

for f in report.md trials.csv trials.json results.json throughput.png latency.png; do
	[ -s "$O/$f" ] || missing="${missing:-} $f"
done
[ -z "${missing:-}" ] && tap_ok "report, CSV, JSON and charts are written" ||
	tap_fail "report, CSV, JSON and charts are written" "missing:$missing"

png_ok=1
for f in throughput.png latency.png; do
	[ "$(head -c 8 "$O/$f" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || png_ok=0
done
[ $png_ok = 1 ] && tap_ok "charts are PNG files" || tap_fail "charts are PNG files"

rows=$(($(wc -l <"$O/trials.csv" 2>/dev/null || echo 1) - 1))
jtr=$(jq '.trials | length' "$O/trials.json" 2>/dev/null || echo -1)
[ "$rows" -gt 0 ] && [ "$rows" = "$jtr" ] &&
	tap_ok "CSV rows = JSON trials ($rows)" || tap_fail "CSV rows = JSON trials" "csv $rows json $jtr"

# Each point's NDR was a tested rate (or the unpaced ceiling) whose trial
# had zero loss, and no trial above it in that point... passed the zero-loss
# criterion at a rate the search then rejected.
check=$(jq -r --slurpfile r "$O/results.json" '
	. as $t | [$r[0].points[] | . as $p |
	  [$t.trials[] | select(.contender == $p.contender and .repeat == $p.repeat and .size == $p.size)] as $tr |
	  if $p.ndr_pps == 0 then "ok"
	  elif ([$tr[] | select(.phase == "ndr" and .rate == $p.ndr_pps and .lost == 0)] | length) > 0 then "ok"
	  elif ([$tr[] | select(.phase == "max" and .lost == 0)] | length) > 0 then "ok"
	  else "\($p.contender) \($p.size): NDR \($p.ndr_pps) has no zero-loss trial" end] |
	map(select(. != "ok")) | join("; ")' "$O/trials.json" 2>&1)
[ -z "$check" ] && tap_ok "every NDR comes from a trial with zero loss" ||
	tap_fail "every NDR comes from a trial with zero loss" "$check"

check=$(jq -r --slurpfile r "$O/results.json" --argjson loss 0.5 '
	. as $t | [$r[0].points[] | . as $p |
	  [$t.trials[] | select(.contender == $p.contender and .repeat == $p.repeat and .size == $p.size)] as $tr |
	  if $p.pdr_pps == $p.ndr_pps or $p.pdr_pps == 0 then "ok"
	  elif ([$tr[] | select((.phase == "pdr" or .phase == "max") and .loss_pct <= $loss and
	        (.rate == $p.pdr_pps or .phase == "max"))] | length) > 0 then "ok"
	  else "\($p.contender) \($p.size): PDR \($p.pdr_pps) has no trial within 0.5%" end] |
	map(select(. != "ok")) | join("; ")' "$O/trials.json" 2>&1)
[ -z "$check" ] && tap_ok "every PDR comes from a trial within the loss tolerance" ||
	tap_fail "every PDR comes from a trial within the loss tolerance" "$check"

# Latency trials: at 10/50/90% of each NDR, with ordered percentiles.
check=$(jq -r '[.trials[] | select(.phase | startswith("lat")) |
	select(.rx > 0 and (.p50_ns > .p90_ns or .p90_ns > .p99_ns or .p99_ns > .p999_ns or .p50_ns == 0)) |
	"\(.contender) \(.size) \(.phase)"] | join("; ")' "$O/trials.json" 2>&1)
nlat=$(jq '[.trials[] | select(.phase | startswith("lat"))] | length' "$O/trials.json" 2>/dev/null || echo 0)
[ -z "$check" ] && [ "$nlat" -gt 0 ] && tap_ok "latency trials have ordered P50 <= P90 <= P99 <= P99.9 ($nlat)" ||
	tap_fail "latency trials have ordered percentiles" "n=$nlat bad: $check"

# The report states the configuration and a row per contender and size.
miss=
for k in 'CPU' 'kernel' 'DPDK' 'QEMU' 'OVS-DPDK' 'hugepages' 'pinning' 'frame sizes' 'trial length' \
	'| switch | 64 |' '| testpmd | 1518 |' 'switch / testpmd' 'ovs: left out by --quick'; do
	grep -qF "$k" "$O/report.md" || miss="$miss [$k]"
done
[ -z "$miss" ] && tap_ok "report states the configuration, results and skipped baselines" ||
	tap_fail "report states the configuration, results and skipped baselines" "missing:$miss"

# The report's NDR table agrees with results.json.
want=$(jq -r '.points[] | select(.contender == "switch" and .size == 64) | .ndr_pps / 1e6 * 1000 | round / 1000' \
	"$O/results.json" 2>/dev/null | head -1)
got=$(awk -F'|' '$2 ~ /^ switch $/ && $3 ~ /^ 64 $/ && $4 ~ /^ [0-9.]+ $/ { gsub(/ /, "", $4); print $4; exit }' "$O/report.md")
awk -v a="$want" -v b="$got" 'BEGIN { exit !(a != "" && b != "" && (a - b < 0.0015 && b - a < 0.0015)) }' &&
	tap_ok "report NDR matches results.json ($got Mpps)" ||
	tap_fail "report NDR matches results.json" "report $got json $want"

left=$(ls /dev/hugepages 2>/dev/null | grep -c '^nfvbn' || true)
[ "$left" = 0 ] && tap_ok "no hugepage files left behind" ||
	tap_fail "no hugepage files left behind" "$left nfvbn* files in /dev/hugepages"
tap_done
