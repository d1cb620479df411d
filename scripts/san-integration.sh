#!/usr/bin/env bash
# The integration suite under ASan+UBSan (CI stage of scripts/test.sh):
# builds every program with `make SAN=1` (into build-san), runs
# tests/integration/*.sh against build-san with each sanitizer report written
# to a file instead of stderr, then counts one more test: "no sanitizer report
# from any process" (a report in a process whose exit status a test does not
# check still fails the stage). Ends with "N passed, N failed, N skipped".
#   scripts/san-integration.sh [TEST.sh...]     (default: every integration test
#                                               except those in SAN_SKIP)
# SAN_SKIP (default: the five below) lists tests that gain nothing here:
# fuzz_replay's binaries already are ASan+UBSan libFuzzer builds (make check
# replays them); nfguest_qemu, nfguest_net_qemu and nfguest_vhost_qemu run only
# QEMU, testpmd and the freestanding guest (no sanitized program); bench_smoke
# measures throughput, meaningless with sanitizers (its switch runs here in the
# switch tests). SAN_SKIP= runs them all.
# Reports: build-san/san-reports/{asan,ubsan}.PID; test logs: build-san/test-logs/.
set -u
cd "$(dirname "$0")/.."
SAN_BUILD=build-san
SAN_SKIP=${SAN_SKIP-fuzz_replay bench_smoke nfguest_qemu nfguest_net_qemu nfguest_vhost_qemu}
tests=("$@")
if [ ${#tests[@]} = 0 ]; then
	for t in tests/integration/*.sh; do
		case " $SAN_SKIP " in *" $(basename "$t" .sh) "*) continue ;; esac
		tests+=("$t")
	done
fi

t0=$(date +%s)
if ! make -s -j2 SAN=1 all >"/tmp/san-build.$$.log" 2>&1; then
	echo "san-integration: make SAN=1 all failed:"
	tail -n 30 "/tmp/san-build.$$.log"
	rm -f "/tmp/san-build.$$.log"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
rm -f "/tmp/san-build.$$.log"
echo "san-integration: make SAN=1 all took $(($(date +%s) - t0)) s"

REPORTS=$PWD/$SAN_BUILD/san-reports
rm -rf "$REPORTS"
mkdir -p "$REPORTS"
# detect_leaks is LeakSanitizer at every exit; reports go to files named
# PREFIX.PID (only created when something is reported).
export ASAN_OPTIONS="log_path=$REPORTS/asan:detect_leaks=1:print_suppressions=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$REPORTS/ubsan:print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
out=$(mktemp)
tests/run.sh --build "$SAN_BUILD" "${tests[@]}" | tee "$out"
l=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out" | tail -n1)
rm -f "$out"
[ -n "$l" ] || l="0 passed, 1 failed, 0 skipped"
set -- $l
pass=$1 fail=$3 skip=$5

# Every file with an error report fails the last test; files with warnings
# only are listed.
bad=0
for f in "$REPORTS"/*; do
	[ -f "$f" ] || continue
	if grep -qE 'ERROR: |runtime error|SUMMARY: ' "$f"; then
		bad=$((bad + 1))
		echo "== sanitizer report $f:"
		head -n 40 "$f" | sed 's/^/   | /'
	else
		echo "== sanitizer message (no error) $f: $(head -c 300 "$f")"
	fi
done
if [ $bad = 0 ]; then
	pass=$((pass + 1))
	printf 'PASS %-40s (1 passed, 0 failed, 0 skipped)\n' "no sanitizer report from any process"
else
	fail=$((fail + 1))
	printf 'FAIL %-40s (%d reports in %s)\n' "no sanitizer report from any process" $bad "$REPORTS"
fi
echo "san-integration: took $(($(date +%s) - t0)) s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
