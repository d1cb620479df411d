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
need_hugepages_2m() { [ "$(free_hugepages_2m)" -ge "$1" ] || skip_all "needs $1 free 2M hugepages (have $(free_hugepages_2m))"; }
# need_built FILE...: every FILE is built (a program executable, a guest
# image present); skips the test naming the first one that is not.
need_built() {
	local f
	for f in "$@"; do
		case $f in
		*.elf) [ -f "$f" ] ;;
		*) [ -x "$f" ] ;;
		esac || skip_all "$f not built (run make)"
	done
}
# need_vm_switch [FILE...]: what a test running nfguest VMs on
# nfvisor-switch needs: root, KVM, jq, and nfvisor-switch, nfvisor-vmm,
# nfguest (and every FILE) built.
need_vm_switch() {
	need_root
	need_kvm
	need_cmd jq
	need_built "$BUILD/nfvisor-switch" "$BUILD/nfvisor-vmm" "$BUILD/guest/nfguest.elf" "$@"
}
# vmm_test_env: for tests booting guests in nfvisor-vmm, sets VMM, MINI (the
# tests/kvm mini guest), NFGUEST and T (seconds a VMM run may take:
# VMM_TEST_TIMEOUT, default 120); skips unless the VMM and MINI are built.
vmm_test_env() {
	VMM=$BUILD/nfvisor-vmm
	MINI=$BUILD/tests/kvm/mini.elf
	NFGUEST=$BUILD/guest/nfguest.elf
	T=${VMM_TEST_TIMEOUT:-120}
	need_built "$VMM" "$MINI"
}
# wait_grep TENTHS REGEX FILE: waits up to TENTHS tenths of a second for a
# line matching the basic REGEX to appear in FILE; 0 when it did.
wait_grep() {
	local i
	for ((i = 0; i < $1; i++)); do
		grep -q -- "$2" "$3" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# stop_term PID: SIGTERM to PID, a background job of this shell, and up to
# 30 s for it to end; returns its exit status.
stop_term() {
	local i
	kill -TERM "$1"
	for ((i = 0; i < 300; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	wait "$1"
}
# reap PID SECONDS: waits up to SECONDS for PID, a background job of this
# shell, to end; kills it (-9, with a diagnostic line) when it has not;
# returns its exit status.
reap() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.2; done
	kill -0 "$1" 2>/dev/null && echo "# pid $1 still running after $2 s: killed"
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
# tap_vmm_sigterm NAME PID OUT: TAP line NAME for "SIGTERM stops the VMM
# PID (a background job writing to OUT) cleanly": it exits 0 and OUT says
# "VM stopped by SIGTERM".
tap_vmm_sigterm() {
	local rc
	stop_term "$2"
	rc=$?
	if [ $rc = 0 ] && grep -q 'VM stopped by SIGTERM' "$3"; then
		tap_ok "$1"
	else
		tap_fail "$1" "rc=$rc: $(tail -c 600 "$3")"
	fi
}
# tap_expect NAME RC REGEX CMD...: CMD (stdin /dev/null, at most T seconds,
# default 120) exits RC and its stdout+stderr, kept in $TEST_TMP/out,
# match the extended REGEX.
tap_expect() {
	local name=$1 rc=$2 re=$3 got out=$TEST_TMP/out
	shift 3
	timeout -k 5 "${T:-120}" "$@" >"$out" 2>&1 </dev/null
	got=$?
	if [ "$got" != "$rc" ]; then
		tap_fail "$name" "exit $got, expected $rc; output: $(tail -c 600 "$out")"
	elif ! grep -qE -- "$re" "$out"; then
		tap_fail "$name" "no /$re/ in: $(tail -c 600 "$out")"
	else
		tap_ok "$name"
	fi
}
# need_testpmd_peer HUGEPAGES FILE...: what a KVM test with a dpdk-testpmd
# vhost-user peer needs: KVM, root, dpdk-testpmd, every FILE built and
# HUGEPAGES free 2M hugepages; then dpdk_vhost_prepare (sets DLIBS).
need_testpmd_peer() {
	local hp=$1
	shift
	need_kvm
	need_root
	need_cmd dpdk-testpmd
	need_built "$@"
	need_hugepages_2m "$hp"
	dpdk_vhost_prepare
}
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
