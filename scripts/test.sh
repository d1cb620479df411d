#!/usr/bin/env bash
# The README's test command (and CI's, via .ci/run), as root on Debian 12:
# installs packages, prepares hugepages, builds, then runs
#   make fmt-check    clang-format of the tracked C sources (one test)
#   make check        unit + kvm + integration tests on this host
#   make check-san    unit tests under ASan+UBSan
#   scripts/san-integration.sh  the integration suite under ASan+UBSan (build-san)
#   tests/fuzz/ci.sh  each libFuzzer target 20 s under ASan+UBSan, two at a time
#   make check-nested KVM tests + stock Linux L2 inside a pure-TCG QEMU L1
# and prints ONE final line "N passed, N failed, N skipped" summing them.
# Exit status is non-zero if anything failed.  Logs: build/test-logs/.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "test.sh: run as root (installs packages, reserves hugepages)" >&2; exit 1; }

T0=$(date +%s)
pass=0 fail=0 skip=0
LOGS=build/test-logs
elapsed() { echo "$(($(date +%s) - $1))s"; }
# must STEP CMD...: a step that has to succeed for testing to go on.
must() {
	local name=$1 t=$(date +%s)
	shift
	echo "== $name"
	if ! "$@"; then
		echo "== $name FAILED (after $(elapsed "$t")); stopping"
		echo "$pass passed, $((fail + 1)) failed, $skip skipped"
		exit 1
	fi
	echo "== $name done ($(elapsed "$t"))"
}
# suite NAME CMD...: a test run whose last summary line is added to the totals.
suite() {
	local name=$1 t=$(date +%s) out l
	shift
	echo "== $name"
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	local rc=${PIPESTATUS[0]}
	l=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out" | tail -n1)
	mkdir -p "$LOGS"
	cp "$out" "$LOGS/$(echo "$name" | tr ' /' '__').out"
	rm -f "$out"
	if [ -z "$l" ]; then
		echo "== $name: no summary line (exit $rc); counted as 1 failure"
		fail=$((fail + 1))
	else
		set -- $l
		pass=$((pass + $1)); fail=$((fail + $3)); skip=$((skip + $5))
		# make itself failing with no failed test (e.g. a build error) is a failure too
		[ "$rc" -ne 0 ] && [ "$3" -eq 0 ] && fail=$((fail + 1)) &&
			echo "== $name: exit $rc with no failed test; counted as 1 failure"
	fi
	echo "== $name done ($(elapsed "$t"))"
}

# one NAME CMD...: a check that counts as a single test (pass or fail).
one() {
	local name=$1 t=$(date +%s)
	shift
	echo "== $name"
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "== $name FAILED"
	fi
	echo "== $name done ($(elapsed "$t"))"
}

must "install dependencies" scripts/install-deps.sh
must "set up host" scripts/setup-host.sh
must "build (make -j2)" make -j2
one "make fmt-check" make fmt-check
suite "make check" make -j2 check
suite "make check-san" make -j2 check-san
suite "integration under ASan+UBSan" scripts/san-integration.sh
suite "fuzz 20 s per target" bash tests/fuzz/ci.sh --seconds 20 --jobs 2
suite "make check-nested" make -j2 check-nested
echo "== total time $(elapsed "$T0")"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
