#!/usr/bin/env bash
# nfvisor up fails cleanly: a VM that cannot start (its kernel removed right
# before its step by the hidden --test-hook; on a host without /dev/kvm the
# VMM fails anyway) rolls back the VM before it and the switch, and leaves
# no process, socket, state dir or hugepage file; a file whose plan has
# errors changes nothing; a second up of a running appliance is refused.
# Needs root, nfvisor-switch and ~200 free 2M hugepages (no KVM).
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/orch_common.bash
need_root
[ -x "$NFV" ] && [ -x "$BUILD/nfvisor-switch" ] || skip_all "nfvisor/nfvisor-switch not built (make)"
[ -f "$BUILD/guest/nfguest.elf" ] || skip_all "$BUILD/guest/nfguest.elf not built (make)"
[ "$(free_hugepages_2m)" -ge 200 ] || skip_all "needs 200 free 2M hugepages (scripts/setup-host.sh)"
NAME=orchrb$$
orch_cleanup_on_exit $NAME
cp "$BUILD/guest/nfguest.elf" "$TEST_TMP/kernel.elf"
cat >"$TEST_TMP/app.yaml" <<EOF2
name: $NAME
host:
  hugepages: {size: 2M, count: 192}
switch:
  pmd_cores: "1"
  memory: 64M
  ports:
    - {name: p1, type: vhost-user}
    - {name: p2, type: vhost-user}
defaults:
  kernel: $TEST_TMP/kernel.elf
  memory: 64M
  restart: never
vms:
  - name: vm1
    cmdline: "mode=reflect"
    pin: "0"
    nics: [{name: eth0, switch_port: p1}]
  - name: vm2
    cmdline: "mode=reflect"
    pin: "0"
    nics: [{name: eth0, switch_port: p2}]
EOF2
hp0=$(cat $HP_NR)

# 1. A failure injected before the second VM (its kernel disappears).
"$NFV" up --test-hook "[ \"\$NFV_STEP\" != vm:vm2 ] || rm -f $TEST_TMP/kernel.elf" \
	"$TEST_TMP/app.yaml" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
rc=$?
tap_check "up exits 1 when a VM fails to start (got $rc)" [ $rc = 1 ]
if [ -c /dev/kvm ]; then
	tap_check "the switch and vm1 were started first" grep -q '\[4/5\] starting VM vm2 ... FAILED' "$TEST_TMP/out"
else
	tap_check "step 4 (vm1: no /dev/kvm here) failed" grep -q '\[4/5\] starting VM vm1 ... FAILED' "$TEST_TMP/out"
fi
tap_check "the failing VM's log is quoted" grep -q 'exited while starting' "$TEST_TMP/err"
tap_check "the switch was stopped in the rollback" grep -Eq 'stopping switch \(pid [0-9]+\) ... ok' "$TEST_TMP/out"
tap_check "rollback complete" grep -q '^rollback complete' "$TEST_TMP/out"
orch_check_clean $NAME "$hp0" "failed up"
grep -v '^ok\|^not ok' "$TEST_TMP/out" | tap_diag

# 2. The plan has an error (the kernel is missing): nothing happens.
rm -f "$TEST_TMP/kernel.elf"
"$NFV" up "$TEST_TMP/app.yaml" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
rc=$?
tap_check "up refuses a file whose plan has errors (exit $rc)" [ $rc = 1 ]
tap_check "it says nothing was changed" grep -q 'nothing was changed' "$TEST_TMP/err"
tap_check "no step was run" bash -c "! grep -q '^\[2/' '$TEST_TMP/out'"
orch_check_clean $NAME "$hp0" "refused up"

# 3. SIGTERM while coming up (sent by the hook before the switch step): the
#    switch still starts, the next step sees the signal and rolls back.
cp "$BUILD/guest/nfguest.elf" "$TEST_TMP/kernel.elf"
"$NFV" up --test-hook '[ "$NFV_STEP" != switch ] || kill -TERM $PPID' \
	"$TEST_TMP/app.yaml" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
rc=$?
tap_check "SIGTERM during up: exit 1 (got $rc)" [ $rc = 1 ]
tap_check "the step after the signal is INTERRUPTED" grep -q '^\[4/5\] starting VM vm1 ... INTERRUPTED' "$TEST_TMP/out"
tap_check "and everything is rolled back" grep -q '^rollback complete' "$TEST_TMP/out"
orch_check_clean $NAME "$hp0" "interrupted up"

# 4. Switch only: up works here; a second up of the same appliance is refused.
cat >"$TEST_TMP/sw.yaml" <<EOF2
name: $NAME
host:
  hugepages: {size: 2M, count: 32}
switch:
  pmd_cores: "1"
  memory: 64M
  ports: [{name: p1, type: vhost-user}]
EOF2
"$NFV" up "$TEST_TMP/sw.yaml" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
tap_check "switch-only appliance comes up" grep -q "appliance \"$NAME\" is up" "$TEST_TMP/out"
"$NFV" up "$TEST_TMP/sw.yaml" >"$TEST_TMP/out2" 2>"$TEST_TMP/err2"
rc=$?
tap_check "a second up of \"$NAME\" is refused (exit $rc)" [ $rc = 1 ]
tap_check "the refusal names the running appliance" grep -qi "$NAME" "$TEST_TMP/err2"
tap_check "the first one is still running" [ "$(orch_json_get $NAME '$a.state')" = running ]
"$NFV" down "$TEST_TMP/sw.yaml" >"$TEST_TMP/out" 2>&1
tap_check "down by file name" grep -q '^down: done' "$TEST_TMP/out"
orch_check_clean $NAME "$hp0" "down"
"$NFV" down $NAME >"$TEST_TMP/out" 2>&1
tap_check "down again is a no-op (exit $?)" grep -q 'is not up' "$TEST_TMP/out"
tap_done
