#!/usr/bin/env bash
# CI fuzz step: every libFuzzer target (tests/fuzz/fuzz_NAME.c) runs for a
# bounded time under ASan+UBSan, JOBS at a time; each target is one TAP test.
# A crash, leak, timeout or sanitizer report fails the target's test and its
# input is saved as tests/fuzz/regress/NAME/crash-* (what
# tests/integration/fuzz_replay.sh replays under `make check`: fix the bug,
# then commit the input). Prints executions per target and ends with
# "N passed, N failed, N skipped".
#   bash tests/fuzz/ci.sh [--seconds S] [--jobs J] [NAME...]
# Defaults: S=${FUZZ_CI_SECONDS:-20}, J=${FUZZ_CI_JOBS:-2}, every target.
# Working corpora, logs, artifacts: $BUILD/obj/fuzz/ci/ (BUILD default build).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
SECONDS_EACH=${FUZZ_CI_SECONDS:-20}
JOBS=${FUZZ_CI_JOBS:-2}
names=()
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_EACH=${2:?--seconds needs a number}; shift 2 ;;
	--jobs) JOBS=${2:?--jobs needs a number}; shift 2 ;;
	-*) echo "ci.sh: unknown option '$1' (usage: ci.sh [--seconds S] [--jobs J] [NAME...])" >&2; exit 2 ;;
	*) names+=("$1"); shift ;;
	esac
done
for v in "$SECONDS_EACH" "$JOBS"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "ci.sh: '$v' is not a positive whole number" >&2; exit 2; }
done
[ ${#names[@]} -gt 0 ] || mapfile -t names < <(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
for n in "${names[@]}"; do
	[ -f "tests/fuzz/fuzz_$n.c" ] || { echo "ci.sh: no target tests/fuzz/fuzz_$n.c" >&2; exit 2; }
done

summary() { echo "$TAP_OK_N passed, $TAP_FAILED failed, $TAP_SKIP_N skipped"; }
TAP_OK_N=0 TAP_SKIP_N=0
ok() { tap_ok "$@"; TAP_OK_N=$((TAP_OK_N + 1)); }
skipped() { tap_skip "$@"; TAP_SKIP_N=$((TAP_SKIP_N + 1)); }

if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
	for n in "${names[@]}"; do skipped "fuzz_$n" "clang not installed (scripts/install-deps.sh)"; done
	summary
	exit 0
fi
WORK=$BUILD/obj/fuzz/ci
mkdir -p "$WORK"
t0=$(date +%s)
if ! make -s -j"$JOBS" BUILD="$BUILD" "${names[@]/#/$BUILD/fuzz/fuzz_}" >"$WORK/build.log" 2>&1; then
	for n in "${names[@]}"; do tap_fail "fuzz_$n builds" "make fuzz failed: $(tail -c 600 "$WORK/build.log")"; done
	summary
	exit 1
fi
echo "# built ${#names[@]} targets in $(($(date +%s) - t0)) s; fuzzing each for $SECONDS_EACH s, $JOBS at a time"

# fuzz NAME: one bounded run; exit status 0 = clean. -timeout: one input
# running that long is a hang (reported like a crash).
fuzz() {
	local n=$1 art=$WORK/artifacts/$1
	rm -rf "$art"
	mkdir -p "$WORK/corpus/$n" "$art"
	timeout -k 10 $((SECONDS_EACH + 120)) "$BUILD/fuzz/fuzz_$n" -max_total_time="$SECONDS_EACH" \
		-timeout=25 -rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=3 \
		-artifact_prefix="$art/" "$WORK/corpus/$n" \
		$(ls -d "tests/fuzz/corpus/$n" 2>/dev/null) >"$WORK/$n.log" 2>&1
}

# run JOBS targets at a time
pids=() running=()
report() {
	local n=$1 rc=$2 execs saved f
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/$n.log" | tail -n1)
	if [ "$rc" = 0 ]; then
		ok "fuzz_$n: ${SECONDS_EACH} s, ${execs:-?} executions, no crash or sanitizer report"
		return
	fi
	saved=
	for f in "$WORK/artifacts/$n"/*; do
		[ -f "$f" ] || continue
		mkdir -p "tests/fuzz/regress/$n"
		cp "$f" "tests/fuzz/regress/$n/"
		saved="$saved tests/fuzz/regress/$n/$(basename "$f")"
	done
	tap_fail "fuzz_$n: ${SECONDS_EACH} s without a crash (exit $rc)" \
		"$(grep -m1 -E 'ERROR:|runtime error|SUMMARY' "$WORK/$n.log"); input saved:${saved:- none}; log $WORK/$n.log"
}
i=0
while [ $i -lt ${#names[@]} ] || [ ${#pids[@]} -gt 0 ]; do
	while [ $i -lt ${#names[@]} ] && [ ${#pids[@]} -lt "$JOBS" ]; do
		fuzz "${names[$i]}" &
		pids+=($!) running+=("${names[$i]}")
		i=$((i + 1))
	done
	wait -n -p done_pid "${pids[@]}"
	rc=$?
	for k in "${!pids[@]}"; do
		if [ "${pids[$k]}" = "$done_pid" ]; then
			report "${running[$k]}" $rc
			unset 'pids[k]' 'running[k]'
			pids=("${pids[@]}") running=("${running[@]}")
			break
		fi
	done
done
echo "# fuzz step took $(($(date +%s) - t0)) s"
summary
[ "$TAP_FAILED" -eq 0 ]
