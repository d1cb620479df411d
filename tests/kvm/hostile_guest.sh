#!/usr/bin/env bash
# Hostile guests next to a well-behaved pair, all on one nfvisor-switch
# (needs KVM: make check-nested runs it in the TCG L1, or
#  tests/nested/l1run.sh -- 'bash tests/kvm/hostile_guest.sh').
# The switch has ports a, b (access VLAN 10) and h (VLAN 20). In each round
# nfguest sink on a and gen on b exchange COUNT frames while a hostile nfguest
# on h runs one of: serial_flood (rep outsb to COM1, file console with a
# 4 KiB --serial-limit), notify_spin, msix_garbage, pci_garbage (guest/
# hostile.c), triple_fault. Asserted per round: the neighbours' counts are
# exact (gen tx=COUNT, sink rx=COUNT bad=0); the hostile VMM exits 0 after
# its summary line (triple fault: exit 1 with the register dump); its RSS
# grows < 4 MiB and its fd count does not change while it runs; its log
# stays small; the serial file never exceeds the limit. At the end the
# switch still answers and its fd count is what it was before the rounds.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/integration/orch_common.bash
need_vm_switch
need_hugepages_2m 160
orch_l1_prepare
VMM=$BUILD/nfvisor-vmm
SW=$BUILD/nfvisor-switch
NFGUEST=$BUILD/guest/nfguest.elf
COUNT=${HOSTILE_COUNT:-800}
RATE=${HOSTILE_RATE:-300}
HOSTILE_MS=${HOSTILE_MS:-6000}
MODES=${HOSTILE_MODES:-serial_flood notify_spin msix_garbage pci_garbage triple_fault}
T=${HOSTILE_TIMEOUT:-120}
SERIAL_LIMIT=4096 # the flood is slow under nested TCG (~1 KiB/s): cut often
CTL=$TEST_TMP/ctl.sock
SINK_MAC=52:54:00:00:0a:01

ctl() { "$SW" --ctl-client "$CTL" "$1" 2>/dev/null; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

"$SW" --pmd-cores 1 --main-core 0 --ctl "$CTL" --file-prefix "nfvhostile$$" --memory 128 \
	--mbufs 8191 --fdb-aging 0 \
	--port "name=a,type=vhost-user,path=$TEST_TMP/a.sock,vlan=access:10" \
	--port "name=b,type=vhost-user,path=$TEST_TMP/b.sock,vlan=access:10" \
	--port "name=h,type=vhost-user,path=$TEST_TMP/h.sock,vlan=access:20" \
	</dev/null >"$TEST_TMP/switch.log" 2>&1 &
SW_PID=$!
track_pid $SW_PID
for _ in $(seq 300); do ctl '{"cmd":"help"}' >/dev/null && break; sleep 0.2; done
if ! ctl '{"cmd":"help"}' >/dev/null; then
	tap_fail "nfvisor-switch answers on its control socket"
	tap_diag <"$TEST_TMP/switch.log"
	tap_done
fi
sw_fds0=$(fds $SW_PID)

vm() { # NAME SOCKET CMDLINE [VMM options...]: start a VM, PID_NAME
	local name=$1 sock=$2 cmd=$3
	shift 3
	"$VMM" --kernel "$NFGUEST" --memory 64M --hugepages 2M --vcpus 1 \
		--net "vhost-user:$sock$([ "$name" = sink ] && echo ",mac=$SINK_MAC")" \
		--cmdline "$cmd smp=0" "$@" </dev/null >"$TEST_TMP/$name.log" 2>&1 &
	track_pid $!
	eval "PID_$name=$!"
}
wait_line() { # NAME REGEX FILE: wait up to T s for REGEX in FILE while NAME runs
	local p=PID_$1
	for _ in $(seq $((T * 5))); do
		grep -aqE "$2" "$3" 2>/dev/null && return 0
		kill -0 "${!p}" 2>/dev/null || { grep -aqE "$2" "$3" 2>/dev/null; return; }
		sleep 0.2
	done
	return 1
}
port_up() { [ "$(ctl '{"cmd":"ports"}' | jq -r ".ports[] | select(.name == \"$1\") | .state")" = up ]; }
flowing() { [ "$(ctl '{"cmd":"stats"}' | jq -r ".ports[] | select(.name == \"$1\") | .tx_packets > 0")" = true ]; }
finish() { # NAME: wait up to T s for the VM to end (else kill -9), RC_NAME
	local p=PID_$1
	reap "${!p}" "$T"
	eval "RC_$1=$?"
}
last() { grep -ao 'nfguest: .*' "$1" | tail -n1; }

# round MODE EXPECT_RC SUMMARY_REGEX [VMM options for the hostile VM...]
round() {
	local mode=$1 want_rc=$2 summary=$3 out rss0 rss_max fd0 fd_bad=0 r f tag
	shift 3
	tag="$mode:"
	out=$TEST_TMP/hostile.log
	[ "$mode" = serial_flood ] && out=$TEST_TMP/hostile.serial
	rm -f "$TEST_TMP/hostile.serial"
	vm sink "$TEST_TMP/a.sock" "mode=sink count=$COUNT idle_ms=20000 first_ms=200000"
	if ! wait_line sink ' ready ' "$TEST_TMP/sink.log" || ! orch_wait 150 port_up a; then
		tap_fail "$tag sink VM comes up on port a" "$(tail -c 400 "$TEST_TMP/sink.log" | tr '\n' ';'); switch: $(tail -n 5 "$TEST_TMP/switch.log" | tr '\n' ';')"
		kill -9 "$PID_sink" 2>/dev/null
		finish sink
		return
	fi
	if [ "$mode" = triple_fault ]; then
		# Fault while the neighbours' traffic is already flowing (the
		# switch has forwarded some of it to the sink).
		vm gen "$TEST_TMP/b.sock" "mode=gen count=$COUNT size=128 rate=$RATE dst=$SINK_MAC"
		wait_line gen ' ready ' "$TEST_TMP/gen.log" && orch_wait 30 flowing a
		vm hostile "$TEST_TMP/h.sock" "mode=triple_fault" "$@"
		rss0=0 fd0=0 rss_max=0
	else
		vm hostile "$TEST_TMP/h.sock" "mode=$mode ms=$HOSTILE_MS" "$@"
		if ! wait_line hostile "nfguest: $mode start" "$out"; then
			tap_fail "$tag hostile VM starts" "$(tail -c 600 "$TEST_TMP/hostile.log")"
		fi
		rss0=$(rss_kb $PID_hostile) fd0=$(fds $PID_hostile) rss_max=$rss0
		vm gen "$TEST_TMP/b.sock" "mode=gen count=$COUNT size=128 rate=$RATE dst=$SINK_MAC"
		# Sample until the guest's summary line: then the VMM tears down.
		while kill -0 $PID_hostile 2>/dev/null; do
			r=$(rss_kb $PID_hostile)
			f=$(fds $PID_hostile)
			grep -aqE "$summary" "$out" && break
			[ "${r:-0}" -gt "$rss_max" ] && rss_max=$r
			[ -n "$f" ] && [ "$f" != 0 ] && [ "$f" != "$fd0" ] && fd_bad=$f
			if [ "$mode" = serial_flood ] && [ -f "$out" ] &&
				[ "$(stat -c %s "$out")" -gt $SERIAL_LIMIT ]; then
				tap_fail "$tag serial file over the limit: $(stat -c %s "$out") bytes"
			fi
			sleep 0.3
		done
	fi
	finish hostile
	finish gen
	finish sink
	if [ "$RC_gen" = 0 ] && last "$TEST_TMP/gen.log" | grep -qE "^nfguest: gen tx=$COUNT pps="; then
		tap_ok "$tag neighbour gen sent exactly $COUNT"
	else
		tap_fail "$tag neighbour gen sent exactly $COUNT" "exit $RC_gen: $(last "$TEST_TMP/gen.log")"
	fi
	if [ "$RC_sink" = 0 ] && last "$TEST_TMP/sink.log" | grep -qE "^nfguest: sink rx=$COUNT bad=0 pps="; then
		tap_ok "$tag neighbour sink got exactly $COUNT, none bad"
	else
		tap_fail "$tag neighbour sink got exactly $COUNT, none bad" \
			"exit $RC_sink: $(last "$TEST_TMP/sink.log"); switch: $(ctl '{"cmd":"stats"}' | head -c 600)"
	fi
	if [ "$RC_hostile" = "$want_rc" ] && grep -aqE "$summary" "$out" "$TEST_TMP/hostile.log"; then
		tap_ok "$tag hostile VMM exit $want_rc: $(grep -aohE "$summary" "$out" "$TEST_TMP/hostile.log" | head -n1)"
	else
		tap_fail "$tag hostile VMM exit $want_rc with /$summary/" \
			"exit $RC_hostile: $(tail -c 800 "$TEST_TMP/hostile.log" | tr '\n' ';')"
	fi
	if [ "$mode" != triple_fault ]; then
		if [ $((rss_max - rss0)) -lt 4096 ] && [ "$fd_bad" = 0 ]; then
			tap_ok "$tag hostile VMM bounded: RSS ${rss0}->${rss_max} kB, fds $fd0"
		else
			tap_fail "$tag hostile VMM bounded" "RSS ${rss0}->${rss_max} kB, fds $fd0 -> $fd_bad"
		fi
	fi
	f=$(stat -c %s "$TEST_TMP/hostile.log")
	if [ "$f" -lt 65536 ]; then tap_ok "$tag hostile VMM log stays small ($f bytes)"; else
		tap_fail "$tag hostile VMM log stays small" "$f bytes: $(head -c 600 "$TEST_TMP/hostile.log")"; fi
}

want() { [[ " $MODES " == *" $1 "* ]]; }
want serial_flood && round serial_flood 0 'nfguest: serial_flood bytes=[0-9]+' \
	--serial "file:$TEST_TMP/hostile.serial" --serial-limit $SERIAL_LIMIT
want serial_flood && if grep -aq 'serial output reached' "$TEST_TMP/hostile.serial" &&
	[ "$(stat -c %s "$TEST_TMP/hostile.serial")" -le $SERIAL_LIMIT ]; then
	tap_ok "serial_flood: the file was cut at the limit and ends with the summary ($(stat -c %s "$TEST_TMP/hostile.serial") bytes)"
else
	tap_fail "serial_flood: the file was cut at the limit" "$(stat -c %s "$TEST_TMP/hostile.serial") bytes; $(tail -c 300 "$TEST_TMP/hostile.log")"
fi
want notify_spin && round notify_spin 0 'nfguest: notify_spin writes=[0-9]+'
want msix_garbage && round msix_garbage 0 'nfguest: msix_garbage writes=[0-9]+'
want pci_garbage && round pci_garbage 0 'nfguest: pci_garbage cfg_writes=[0-9]+ bar_writes=[0-9]+'
want triple_fault && round triple_fault 1 'triple fault \(KVM_EXIT_SHUTDOWN\), stopping the VM'

if kill -0 $SW_PID 2>/dev/null && ctl '{"cmd":"help"}' >/dev/null; then
	tap_ok "nfvisor-switch survived every round and still answers"
else
	tap_fail "nfvisor-switch survived every round" "$(tail -c 800 "$TEST_TMP/switch.log")"
fi
for _ in $(seq 50); do [ "$(fds $SW_PID)" = "$sw_fds0" ] && break; sleep 0.2; done
tap_check "switch fds back to $sw_fds0 with every VM gone (now $(fds $SW_PID))" [ "$(fds $SW_PID)" = "$sw_fds0" ]
if port_up h; then tap_fail "port h is down with its VM gone"; else tap_ok "port h is down with its VM gone"; fi
kill -TERM $SW_PID
wait $SW_PID
rc=$?
tap_check "switch exits 0 on SIGTERM (got $rc)" [ $rc = 0 ]
echo "# $SECONDS s"
tap_done
