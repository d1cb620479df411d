#!/usr/bin/env bash
# nfvisor up/status/down with a switch-only appliance (no KVM needed): the
# daemon supervisor restarts a switch killed with SIGKILL and logs it; down
# works after the supervisor itself crashed; a recorded pid that now belongs
# to another process is never killed; --foreground supervises in the
# terminal and takes everything down on SIGTERM. Needs root, nfvisor-switch
# and ~100 free 2M hugepages.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/integration/orch_common.bash
need_root
[ -x "$NFV" ] && [ -x "$BUILD/nfvisor-switch" ] || skip_all "nfvisor/nfvisor-switch not built (make)"
[ "$(free_hugepages_2m)" -ge 100 ] || skip_all "needs 100 free 2M hugepages (scripts/setup-host.sh)"
NAME=orchsv$$
orch_cleanup_on_exit $NAME
cat >"$TEST_TMP/sw.yaml" <<EOF2
name: $NAME
host:
  hugepages: {size: 2M, count: 32}
switch:
  pmd_cores: "1"
  memory: 64M
  ports: [{name: p1, type: vhost-user}, {name: p2, type: vhost-user, mode: client}]
EOF2
hp0=$(cat $HP_NR)
j() { orch_json_get $NAME "$1"; }

"$NFV" up "$TEST_TMP/sw.yaml" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
tap_check "up exits 0" [ $? = 0 ]
tap_check "progress: [3/3] starting switch ... ok (pid N)" grep -q '^\[3/3\] starting switch ... ok (pid [0-9]*)' "$TEST_TMP/out"
tap_check "warnings go to stderr, not stdout" bash -c "grep -q 'warning:' '$TEST_TMP/err' && ! grep -q 'warning:' '$TEST_TMP/out'"
tap_check "the up command returned while the supervisor runs on" [ "$(j '$c.supervisor.state')" = running ]
tap_check "status --json lists both switch ports" [ "$(j '$p | keys | join(",")')" = p1,p2 ]
"$NFV" status $NAME >"$TEST_TMP/st" 2>&1
tap_check "status text shows the switch with its PMD core" grep -Eq '^  switch +running +[0-9]+ .* PMD 1$' "$TEST_TMP/st"
"$NFV" status nosuch$$ >/dev/null 2>&1
tap_check "status of an appliance that is not up exits 1" [ $? = 1 ]

old=$(j '$c.switch.pid')
kill -9 "$old"
back() { [ "$(j "\$c.switch.restarts == 1 and \$c.switch.state == \"running\" and \$c.switch.pid != $old")" = true ]; }
if orch_wait 30 back; then tap_ok "kill -9 switch: restarted by the supervisor"; else
	tap_fail "kill -9 switch: restarted by the supervisor" "$(cat /run/nfvisor/$NAME/events.log | tr '\n' ';')"; fi
tap_check "events.log: exit and restart" bash -c "grep -q 'switch (pid $old) exited: killed by signal 9' /run/nfvisor/$NAME/events.log && grep -q 'restarted switch' /run/nfvisor/$NAME/events.log"

# The supervisor crashes; down still stops the switch and cleans up.
kill -9 "$(j '$c.supervisor.pid')"
sleep 0.5
tap_check "status shows the dead supervisor" [ "$(j '$c.supervisor.state')" = dead ]
"$NFV" down $NAME >"$TEST_TMP/out" 2>&1
tap_check "down after a supervisor crash exits 0" [ $? = 0 ]
tap_check "down stopped the orphaned switch" grep -Eq 'stopping switch \(pid [0-9]+\) ... ok' "$TEST_TMP/out"
orch_check_clean $NAME "$hp0" "down after crash"

# A stale record: the switch pid now names a different (live) process.
"$NFV" up "$TEST_TMP/sw.yaml" >/dev/null 2>&1
sw=$(j '$c.switch.pid')
sup=$(j '$c.supervisor.pid')
kill -9 "$sup" "$sw"
sleep 1
sleep 300 &
decoy=$!
track_pid $decoy
rec=/run/nfvisor/$NAME/proc.switch
read -r comp pid start exe st rest since <"$rec"
echo "$comp $decoy $start $exe $st $rest $since" >"$rec"
"$NFV" down $NAME >"$TEST_TMP/out" 2>&1
tap_check "down with a recycled pid exits 0" [ $? = 0 ]
tap_check "the unrelated process with the recorded pid survives" kill -0 $decoy
tap_check "it reports the switch as not running" grep -q 'stopping switch ... not running' "$TEST_TMP/out"
orch_check_clean $NAME "$hp0" "down with stale pids"

# The restart limit: the switch is restarted at most 5 times in 60 s.
"$NFV" up "$TEST_TMP/sw.yaml" >/dev/null 2>&1
for i in 1 2 3 4 5 6; do
	pid=$(j '$c.switch.pid')
	[ "$pid" -gt 0 ] 2>/dev/null && kill -9 "$pid"
	restarted() { [ "$(j "\$c.switch.restarts >= $i or \$c.switch.state == \"failed\"")" = true ]; }
	orch_wait 20 restarted
	sleep 0.5
done
failed() { [ "$(j '$c.switch.state')" = failed ]; }
tap_check "a 6th crash within 60 s marks the switch failed" orch_wait 20 failed
tap_check "events.log says why it gave up" grep -q 'switch failed: 5 restarts within 60 s' /run/nfvisor/$NAME/events.log
tap_check "status reports the appliance degraded" [ "$(j '$a.state')" = degraded ]
"$NFV" down $NAME >/dev/null 2>&1
orch_check_clean $NAME "$hp0" "down after give-up"

# status shows each vCPU thread's real affinity (the VMM names them "vcpu N"):
# a hand-made record whose "VMM" is a sleep with its thread renamed and pinned.
F=orchst$$
orch_cleanup_on_exit $F
cat >"$TEST_TMP/vm.yaml" <<EOF2
name: $F
vms: [{name: v, kernel: /nonexistent, pin: "0"}]
EOF2
mkdir -p /run/nfvisor/$F
"$NFV" validate --dump "$TEST_TMP/vm.yaml" >/run/nfvisor/$F/appliance.yaml 2>/dev/null
# (Only a thread itself may rename it: the fake renames itself.)
bash -c 'printf "vcpu 0" >/proc/self/comm; while :; do sleep 1; done' &
fake=$!
track_pid $fake
orch_wait 5 grep -q '^vcpu 0$' /proc/$fake/comm
start=$(sed 's/.*) //' /proc/$fake/stat | awk '{print $20}')
echo "vm.v $fake $start bash running 0 $(date +%s)" >/run/nfvisor/$F/proc.vm.v
taskset -p -c 0 $fake >/dev/null
tap_check "status --json: vm v vCPU0 pinned to 0, the kernel allows CPU 0" \
	[ "$(orch_json_get $F '"\($c.v.vcpus[0].cpu) \($c.v.vcpus[0].host_cpus)"')" = "0 0" ]
"$NFV" down $F >"$TEST_TMP/out" 2>&1
tap_check "down stops the recorded VMM and removes the dir" \
	bash -c "grep -q 'stopping vm.v (pid $fake) ... ok' '$TEST_TMP/out' && [ ! -e /run/nfvisor/$F ]"

# --foreground: supervises in the terminal; SIGTERM takes it down.
"$NFV" up --foreground "$TEST_TMP/sw.yaml" >"$TEST_TMP/fg" 2>&1 &
fg=$!
track_pid $fg
running() { [ "$(j '$c.switch.state')" = running ]; }
orch_wait 30 running
tap_check "foreground: up is running and supervising (pid $fg)" [ "$(j '$c.supervisor.pid')" = $fg ]
kill -TERM $fg
wait $fg
rc=$?
tap_check "foreground: SIGTERM takes it down, exit 0 (got $rc)" [ $rc = 0 ]
tap_check "foreground: it printed the teardown" grep -q 'removed /run/nfvisor/' "$TEST_TMP/fg"
orch_check_clean $NAME "$hp0" "foreground"
tap_done
