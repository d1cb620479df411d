# Shared helpers for shell tests: TAP output, temp dirs, cleanup, skips.
# Source it; set BUILD (default build). Each test script prints TAP lines.
BUILD=${BUILD:-build}
TAP_N=0
TAP_FAILED=0

tap_ok()   { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
tap_fail() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $1"; [ -n "${2:-}" ] && echo "# $2"; return 0; }
tap_skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP $2"; }
# tap_check NAME CMD...: ok if CMD exits 0.
tap_check() { local name=$1; shift; if "$@"; then tap_ok "$name"; else tap_fail "$name" "command failed: $*"; fi; }
tap_diag() { sed 's/^/# /'; }
# tap_done: exit status reflects failures.
tap_done() { [ "$TAP_FAILED" -eq 0 ]; exit $?; }
# skip_all REASON: the whole script cannot run here.
skip_all() { echo "1..0 # SKIP $1"; exit 77; }

need_root() { [ "$(id -u)" = 0 ] || skip_all "needs root"; }
need_kvm() { [ -c /dev/kvm ] || skip_all "no /dev/kvm on this host (make check-nested runs these tests inside a TCG L1 with its own KVM)"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || skip_all "$1 not installed (scripts/install-deps.sh installs it)"; }
free_hugepages_2m() { cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0; }
# dpdk_vhost_prepare: set DLIBS to the -d options of the DPDK plugins a
# testpmd with net_vhost ports needs (named: not every PMD is staged in L1),
# and in a throwaway L1 root make "/" non world-writable (DPDK refuses
# plugins under it) and create /var/run for DPDK's runtime files.
dpdk_vhost_prepare() {
	local pmds=(/usr/lib/x86_64-linux-gnu/dpdk/pmds-*) l f
	if [ "${L1RUN:-}" = 1 ]; then
		[ "$(stat -c %a /)" = 755 ] || chmod 755 /
		mkdir -p /var/run
	fi
	DLIBS=()
	for l in net_vhost mempool_ring; do
		f=$(ls "${pmds[0]}"/librte_$l.so* 2>/dev/null | head -n1)
		[ -n "$f" ] && DLIBS+=(-d "$f")
	done
}

TEST_TMP=$(mktemp -d /tmp/nfv-test.XXXXXX)
TEST_PIDS=""
track_pid() { TEST_PIDS="$TEST_PIDS $1"; }
test_cleanup() {
	for p in $TEST_PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap test_cleanup EXIT
