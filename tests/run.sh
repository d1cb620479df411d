#!/usr/bin/env bash
# Test driver: runs test programs and scripts, reads their TAP output and ends
# with one line "N passed, N failed, N skipped".
#   tests/run.sh [--build DIR] [unit|kvm|integration|hw|all|path/to/test.sh]...
# A program that prints no TAP counts as one test: exit 0 passes, 77 skips.
# TEST_VERBOSE=1 prints every test's full output; TEST_TIMEOUT bounds each.
set -u
cd "$(dirname "$0")/.."
BUILD=build
suites=()
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	all) suites+=(unit kvm integration); shift ;;
	*) suites+=("$1"); shift ;;
	esac
done
[ ${#suites[@]} -gt 0 ] || suites=(unit kvm integration)
export BUILD
pass=0 fail=0 skip=0
failed_names=()
LOG_DIR=$BUILD/test-logs
mkdir -p "$LOG_DIR"

run_one() {
	local name=$1; shift
	local log="$LOG_DIR/$(echo "$name" | tr '/' '_').log"
	local p=0 f=0 s=0 rc
	CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 10 "${TEST_TIMEOUT:-900}" "$@" >"$log" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"*|"ok "*"# skip"*|"not ok "*"# SKIP"*) s=$((s + 1)) ;; # cmocka prints skips as "not ok N # SKIP"
		"ok "*) p=$((p + 1)) ;;
		"not ok "*) f=$((f + 1)) ;;
		"1..0 # SKIP"*) ;;
		esac
	done <"$log"
	if [ $((p + f + s)) -eq 0 ]; then
		case $rc in 0) p=1 ;; 77) s=1 ;; *) f=1 ;; esac
	elif [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ $f -eq 0 ]; then
		f=1 # crashed or exited non-zero after passing lines
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	local verdict=PASS
	[ $s -gt 0 ] && [ $p -eq 0 ] && verdict=SKIP
	[ $f -gt 0 ] && verdict=FAIL
	printf '%-4s %-40s (%d passed, %d failed, %d skipped)\n' "$verdict" "$name" $p $f $s
	[ $f -gt 0 ] && failed_names+=("$name")
	if [ -n "${TEST_VERBOSE:-}" ]; then
		sed "s/^/     | /" "$log"
	elif [ $f -gt 0 ]; then
		grep -E '^(not ok|#)' "$log" | head -40 | sed 's/^/     /'
		[ $rc -ne 0 ] && tail -n 15 "$log" | sed 's/^/     | /'
	elif [ "$verdict" = SKIP ]; then
		grep -m1 -E 'SKIP' "$log" | sed 's/^/     /'
	fi
}

for suite in "${suites[@]}"; do
	case $suite in
	unit)
		for t in "$BUILD"/tests/unit/test_*; do
			[ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
		done ;;
	kvm|integration|hw)
		for t in tests/"$suite"/*.sh; do
			[ -f "$t" ] && run_one "$suite/$(basename "$t" .sh)" bash "$t"
		done ;;
	*.sh)
		[ -f "$suite" ] || { echo "no test script $suite" >&2; exit 2; }
		run_one "${suite%.sh}" bash "$suite" ;;
	*) echo "unknown suite $suite (use unit, kvm, integration, hw, all or a tests/...sh path)" >&2; exit 2 ;;
	esac
done
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]} (logs in $LOG_DIR)"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
