#!/usr/bin/env bash
# nfvisor-vmm least privilege (vmm/seccomp.c) under real KVM (inside the
# nested tier's L1: tests/nested/l1run.sh -- 'bash tests/kvm/vmm_seccomp.sh'):
#  - a forbidden syscall (execve, through the NFV_TEST_FORBIDDEN_SYSCALL=1
#    hook on the emulation thread after the filter is in) kills the VMM with
#    SIGSYS; with --seccomp=off or =log the same call succeeds (the VMM
#    becomes /bin/true), so the hook really makes the call;
#  - with the filter on (the default): nfguest mode=hello runs to poweroff,
#    the running VMM reports Seccomp: 2, NoNewPrivs: 1 and no effective or
#    bounding capabilities, and SIGTERM stops it cleanly;
#  - an invalid --seccomp value is refused with exit 2.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_kvm
vmm_test_env

# 159 = 128 + SIGSYS (31): the kernel killed the whole process. An ASan
# build (make SAN=1) runs the filter in log mode (LeakSanitizer needs ptrace).
if grep -qa __asan_init "$VMM"; then
	tap_skip "forbidden syscall kills the VMM" "sanitizer build: the filter only logs"
else
tap_expect "forbidden syscall (execve) after the filter kills the VMM with SIGSYS" 159 \
	'calling execve' env NFV_TEST_FORBIDDEN_SYSCALL=1 \
	"$VMM" --kernel "$MINI" --memory 32M --hugepages none --cmdline p
fi
# replaced NAME MODE: with the filter off or logging, the hook's execve
# succeeds: the VMM image is gone (no "failed" message, no guest run, no
# SIGSYS). /bin/true's own exit status is not the point (without
# capabilities its loader may not read every library in L1's rootfs).
replaced() {
	local name=$1 got out=$TEST_TMP/out
	NFV_TEST_FORBIDDEN_SYSCALL=1 timeout -k 5 "$T" "$VMM" --seccomp="$2" --kernel "$MINI" \
		--memory 32M --hugepages none --cmdline p >"$out" 2>&1 </dev/null
	got=$?
	if [ $got != 159 ] && grep -q 'calling execve' "$out" &&
		! grep -qE 'execve\(/bin/true\) failed|guest powered off' "$out"; then
		tap_ok "$name"
	else
		tap_fail "$name" "exit $got; output: $(tail -c 600 "$out")"
	fi
}
replaced "same hook with --seccomp=off: execve succeeds (control)" off
replaced "same hook with --seccomp=log: execve allowed and logged (control)" log
tap_expect "--seccomp=maybe is refused with exit 2" 2 "invalid --seccomp value 'maybe'" \
	"$VMM" --seccomp=maybe --kernel "$MINI"
tap_expect "mini: poweroff with the filter on" 0 'guest powered off' \
	"$VMM" --kernel "$MINI" --memory 32M --hugepages none --cmdline p
tap_expect "mini: triple fault with the filter on still gives a register dump" 1 \
	'vCPU 0 state:' "$VMM" --kernel "$MINI" --memory 32M --hugepages none --cmdline t
if [ -f "$NFGUEST" ]; then
	tap_expect "nfguest hello with the filter on (2 vCPUs, hugepages)" 0 \
		'nfguest: ready cpus=2 mem_mb=64' "$VMM" --kernel "$NFGUEST" --memory 64M --vcpus 2 \
		--cmdline mode=hello
else
	tap_skip "nfguest hello with the filter on" "$NFGUEST not built"
fi

# A halted guest: check the sandbox from /proc, then SIGTERM.
ser=$TEST_TMP/serial.log
"$VMM" --kernel "$MINI" --memory 32M --hugepages none --cmdline h --serial "file:$ser" \
	>"$TEST_TMP/term.out" 2>&1 </dev/null &
pid=$!
track_pid $pid
wait_grep 200 'mini: hello' "$ser"
st=/proc/$pid/status
if grep -qE '^Seccomp:[[:space:]]+2' $st && grep -qE '^NoNewPrivs:[[:space:]]+1' $st &&
	grep -qE '^CapEff:[[:space:]]+0+$' $st && grep -qE '^CapPrm:[[:space:]]+0+$' $st; then
	tap_ok "running VMM: seccomp filter mode, no_new_privs, no capabilities"
else
	tap_fail "running VMM: seccomp filter mode, no_new_privs, no capabilities" \
		"$(grep -E 'Seccomp|NoNewPrivs|Cap' $st 2>&1)"
fi
if [ "$(id -u)" = 0 ]; then
	if grep -qE '^CapBnd:[[:space:]]+0+$' $st; then
		tap_ok "running VMM (started as root): bounding set emptied"
	else
		tap_fail "running VMM (started as root): bounding set emptied" "$(grep CapBnd $st)"
	fi
fi
tap_vmm_sigterm "SIGTERM stops the VMM cleanly with the filter on" $pid "$TEST_TMP/term.out"

# vhost-user server role (how the orchestrator connects a VM to a switch
# port in client mode): the VMM listens on its socket and removes the socket
# file at exit, after the filter is in. Stopping it must still be clean.
sock=$TEST_TMP/srv.sock
"$VMM" --kernel "$MINI" --memory 32M --hugepages none --cmdline h --serial "file:$TEST_TMP/srv.ser" \
	--net "vhost-user:$sock,server" >"$TEST_TMP/srv.out" 2>&1 </dev/null &
pid=$!
track_pid $pid
wait_grep 200 'mini: hello' "$TEST_TMP/srv.ser"
tap_vmm_sigterm "vhost-user server role: SIGTERM stops the VMM cleanly with the filter on" $pid \
	"$TEST_TMP/srv.out"
tap_done
