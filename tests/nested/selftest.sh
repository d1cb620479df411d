#!/usr/bin/env bash
# Self-test of tests/nested/l1run.sh (runs on the host; boots L1 four times):
# /dev/kvm works inside L1 (kvmcheck), hugepages are reserved, the repo is at
# the same path, output is streamed and the exit status is passed back, and a
# hung command is killed with exit 124.
cd "$(dirname "$0")/../.."
. tests/lib.sh
need_cmd qemu-system-x86_64
[ -x "$BUILD/tests/nested/kvmcheck" ] || skip_all "$BUILD/tests/nested/kvmcheck not built (run make)"
echo "1..6"
out=$(tests/nested/l1run.sh --build "$BUILD" --hugepages 64 --timeout 300 -- \
	"$BUILD/tests/nested/kvmcheck && grep -c svm /proc/cpuinfo && cat /proc/sys/vm/nr_hugepages && pwd && exit 7" 2>&1)
rc=$?
echo "$out" | tap_diag
# The command's own lines: drop l1run's progress lines ("# l1run: ...", which
# appear when a base layer is built first, as on a fresh clone).
res=$(echo "$out" | grep -v '^# l1run:\|^l1run:')
case $out in *"kvmcheck: ok api=12"*) tap_ok "KVM_GET_API_VERSION + KVM_CREATE_VM + KVM_CREATE_VCPU work in L1" ;;
*) tap_fail "kvmcheck in L1" ;; esac
[ "$(echo "$res" | sed -n 3p)" = 64 ] && tap_ok "64 hugepages reserved in L1" || tap_fail "hugepages in L1"
[ "$(echo "$res" | sed -n 4p)" = "$PWD" ] && tap_ok "cwd is the repo at the host's path" || tap_fail "cwd in L1"
[ $rc = 7 ] && tap_ok "exit status 7 passed back" || tap_fail "exit status passed back" "got $rc"
tests/nested/l1run.sh --build "$BUILD" --timeout 25 -- 'sleep 1000' >/dev/null 2>&1
rc=$?
[ $rc = 124 ] && tap_ok "hung command killed, exit 124" || tap_fail "timeout" "got $rc"
tests/nested/l1run.sh --build "$BUILD" --timeout 200 --stall 30 -- \
	'pkill -STOP -x sleep; timeout 150 tail -f /dev/null' >/dev/null 2>&1
rc=$?
[ $rc = 126 ] && tap_ok "frozen L1 (no heartbeat for 30 s) killed, exit 126" || tap_fail "stall" "got $rc"
tap_done
