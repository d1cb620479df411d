# Checks shared by the nfvisor bench smokes (tests/kvm/bench_vm_smoke.sh,
# tests/hw/bench_vf_pvp.sh, tests/{nested,hw}/bench_nvme.sh); source after
# tests/lib.sh.
# bench_check SCENARIO DIR CONTENDERS: 6 TAP lines on one run's output (64 B
# frames, --loss 0.5): the files exist, the charts are PNGs, CSV rows = JSON
# trials, every contender has a point whose NDR is the rate of a zero-loss
# trial and whose PDR is within 0.5 %, latency percentiles are ordered, the
# report states the configuration and its NDR matches results.json.
bench_check() {
	local s=$1 O=$2 cons=$3 f missing= png_ok=1 rows jtr c want got miss= bad n pos
	for f in report.md trials.csv trials.json results.json throughput.png latency.png; do
		[ -s "$O/$f" ] || missing="$missing $f"
	done
	[ -z "$missing" ] && tap_ok "$s: report, CSV, JSON and charts are written" ||
		tap_fail "$s: report, CSV, JSON and charts are written" "missing:$missing"
	for f in throughput.png latency.png; do
		[ "$(head -c 8 "$O/$f" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || png_ok=0
	done
	[ $png_ok = 1 ] && tap_ok "$s: charts are PNG files" || tap_fail "$s: charts are PNG files"
	rows=$(($(wc -l <"$O/trials.csv" 2>/dev/null || echo 1) - 1))
	jtr=$(jq '.trials | length' "$O/trials.json" 2>/dev/null || echo -1)
	[ "$rows" -gt 0 ] && [ "$rows" = "$jtr" ] && tap_ok "$s: CSV rows = JSON trials ($rows)" ||
		tap_fail "$s: CSV rows = JSON trials" "csv $rows json $jtr"
	# Every point has a result, its NDR is the rate of a zero-loss trial
	# (or the unpaced trial lost nothing) and its PDR one within 0.5 %.
	bad=$(jq -r --slurpfile r "$O/results.json" --arg cons "$cons" '
		. as $t | ($cons | split(",")) as $want |
		([$want[] | . as $c | select([$r[0].points[] | select(.contender == $c)] | length == 0) |
		  "\(.): no result"] +
		 [$r[0].points[] | . as $p |
		  [$t.trials[] | select(.contender == $p.contender and .repeat == $p.repeat and .size == $p.size)] as $tr |
		  (if $p.ndr_pps == 0 or
		      ([$tr[] | select(.phase == "ndr" and .rate == $p.ndr_pps and .lost == 0)] | length) > 0 or
		      ([$tr[] | select(.phase == "max" and .lost == 0)] | length) > 0 then empty
		   else "\($p.contender) \($p.size): NDR \($p.ndr_pps) has no zero-loss trial" end),
		  (if $p.pdr_pps == $p.ndr_pps or
		      ([$tr[] | select((.phase == "pdr" and .rate == $p.pdr_pps or .phase == "max") and .loss_pct <= 0.5)] | length) > 0
		   then empty else "\($p.contender) \($p.size): PDR \($p.pdr_pps) has no trial within 0.5%" end)]) |
		join("; ")' "$O/trials.json" 2>&1)
	[ -z "$bad" ] && tap_ok "$s: every contender has a point; NDR = a zero-loss trial's rate, PDR within 0.5%" ||
		tap_fail "$s: every contender has a point; NDR = a zero-loss trial's rate, PDR within 0.5%" "$bad"
	bad=$(jq -r '[.trials[] | select(.phase | startswith("lat")) |
		select(.rx > 0 and (.p50_ns > .p90_ns or .p90_ns > .p99_ns or .p99_ns > .p999_ns or .p50_ns == 0)) |
		"\(.contender) \(.size) \(.phase)"] | join("; ")' "$O/trials.json" 2>&1)
	n=$(jq '[.trials[] | select(.phase | startswith("lat"))] | length' "$O/trials.json" 2>/dev/null || echo 0)
	# Latency trials run at 10/50/90 % of a non-zero NDR; a loaded nested
	# tier can leave every NDR at 0 (nothing passed), and then there are none.
	pos=$(jq '[.points[] | select(.ndr_pps > 0)] | length' "$O/results.json" 2>/dev/null || echo -1)
	if [ -z "$bad" ] && { [ "$n" -gt 0 ] || [ "$pos" = 0 ]; }; then
		tap_ok "$s: latency trials have ordered P50 <= P90 <= P99 <= P99.9 ($n trials, $pos points with NDR > 0)"
	else
		tap_fail "$s: latency trials have ordered percentiles" "n=$n, points with NDR > 0: $pos, bad: $bad"
	fi
	for k in 'CPU' 'kernel' 'DPDK' 'hugepages' 'pinning' 'topology' 'frame sizes' 'trial length'; do
		grep -qF "| $k" "$O/report.md" || miss="$miss [$k]"
	done
	for c in ${cons//,/ }; do
		want=$(jq -r --arg c "$c" '.points[] | select(.contender == $c and .size == 64) | .ndr_pps / 1e6 * 1000 | round / 1000' \
			"$O/results.json" 2>/dev/null | head -1)
		got=$(awk -F'|' -v c=" $c " '$2 == c && $3 ~ /^ 64 $/ && $4 ~ /^ [0-9.]+ $/ { gsub(/ /, "", $4); print $4; exit }' "$O/report.md")
		awk -v a="$want" -v b="$got" 'BEGIN { exit !(a != "" && b != "" && a - b < 0.0015 && b - a < 0.0015) }' ||
			miss="$miss [$c NDR: report $got, results.json $want]"
	done
	[ -z "$miss" ] && tap_ok "$s: report states the configuration and matches results.json" ||
		tap_fail "$s: report states the configuration and matches results.json" "missing:$miss"
}


# bench_nvme_check DIR: 4 TAP lines on one `nfvisor bench nvme --quick` run
# (queue depths 1 and 32): the files exist, the charts are PNGs, CSV and
# JSON both hold the 4 fio jobs (2 paths x 2 depths), and both paths have
# IOPS > 0 with a ratio at both depths in results.json and report.md.
bench_nvme_check() {
	local O=$1 f missing= png=1 rows jrows bad nq
	for f in report.md trials.csv trials.json results.json iops.png latency.png; do
		[ -s "$O/$f" ] || missing="$missing $f"
	done
	[ -z "$missing" ] && tap_ok "report, CSV, JSON and charts written" || tap_fail "outputs written" "missing:$missing"
	for f in iops.png latency.png; do
		[ "$(head -c 4 "$O/$f" 2>/dev/null | od -An -c | tr -d ' ')" = 211PNG ] || png=0
	done
	[ $png = 1 ] && tap_ok "charts are PNG files" || tap_fail "charts are PNG files"
	rows=$(($(wc -l <"$O/trials.csv" 2>/dev/null || echo 1) - 1))
	jrows=$(jq '.trials | length' "$O/trials.json" 2>/dev/null)
	[ "$rows" = 4 ] && [ "$jrows" = 4 ] && tap_ok "CSV and JSON agree: 4 jobs (2 paths x QD 1,32)" ||
		tap_fail "CSV/JSON rows" "csv=$rows json=$jrows"
	bad=$(jq -r '[.ratios[] | select((.passthrough_iops // 0) <= 0 or (.emulated_iops // 0) <= 0 or .iops_ratio == null)] | length' "$O/results.json" 2>/dev/null)
	nq=$(jq '.ratios | length' "$O/results.json" 2>/dev/null)
	if [ "$bad" = 0 ] && [ "$nq" = 2 ] && grep -q '^| 1 | [0-9]* | [0-9]* | [0-9.]* |$' "$O/report.md" &&
		grep -q '^| 32 | [0-9]* | [0-9]* | [0-9.]* |$' "$O/report.md"; then
		tap_ok "IOPS > 0 on both paths at QD 1 and 32, ratios in results.json and report.md"
	else
		tap_fail "IOPS on both paths" "$(jq -c .ratios "$O/results.json" 2>/dev/null)"
	fi
	jq -c '.ratios' "$O/results.json" 2>/dev/null | tap_diag
}
