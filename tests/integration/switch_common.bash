# Helpers for the nfvisor-switch integration tests (sourced, not run).
# "VMs" are dpdk-testpmd processes with a net_virtio_user port, driven
# through a FIFO on their stdin in interactive mode; their counters come from
# "show port stats 0" and their received frames from "set verbose 1".
# CPU layout for 2 CPUs: the switch PMD on CPU 1, its control thread and
# every testpmd (main + forwarding lcore) on CPU 0.
. "$(dirname "$0")/../lib.sh"

SW=$BUILD/nfvisor-switch
SW_CTL=$TEST_TMP/ctl.sock
SW_PREFIX=nfvsw$$
SW_PID=
declare -A VM_PID VM_FD VM_LOG VM_SENT

sw_need() {
	need_root
	need_cmd dpdk-testpmd
	need_cmd jq
	[ -x "$SW" ] || skip_all "$SW not built (run make)"
	[ "$(nproc)" -ge 2 ] || skip_all "needs 2 CPUs (switch PMD and peers on different CPUs)"
	grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts ||
		skip_all "hugetlbfs not mounted at /dev/hugepages (scripts/setup-host.sh mounts it)"
	[ "$(free_hugepages_2m)" -ge "${1:-300}" ] ||
		skip_all "needs ${1:-300} free 2 MiB hugepages, $(free_hugepages_2m) free (scripts/setup-host.sh reserves them)"
}

sw_cleanup() {
	local name
	for name in "${!VM_PID[@]}"; do vm_kill "$name"; done
	if [ -n "$SW_PID" ]; then kill -9 "$SW_PID" 2>/dev/null; wait "$SW_PID" 2>/dev/null; fi
	rm -f /dev/hugepages/"$SW_PREFIX"*
	test_cleanup
}
trap sw_cleanup EXIT

# ctl JSON: prints the switch's reply.
ctl() { "$SW" --ctl-client "$SW_CTL" "$1"; }

# sw_start [switch options...]: starts the switch and waits for its socket.
sw_start() {
	"$SW" --pmd-cores 1 --main-core 0 --ctl "$SW_CTL" --file-prefix "${SW_PREFIX}sw" \
		--memory 256 --mbufs 16383 "$@" >>"$TEST_TMP/sw.log" 2>&1 &
	SW_PID=$!
	local i
	for i in $(seq 100); do
		ctl '{"cmd":"help"}' >/dev/null 2>&1 && return 0
		kill -0 "$SW_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# switch did not come up:"; tail -20 "$TEST_TMP/sw.log" | tap_diag
	return 1
}

# sw_stop: SIGTERM and wait (returns the exit status).
sw_stop() {
	local rc
	kill -TERM "$SW_PID" 2>/dev/null
	wait "$SW_PID"; rc=$?
	SW_PID=
	return $rc
}

# vm_start NAME PATH MAC [extra virtio_user devargs] [extra testpmd args]:
# a testpmd "VM".
vm_start() {
	local name=$1 path=$2 mac=$3 extra=${4:-} targs=${5:-} fifo=$TEST_TMP/$1.in fd
	rm -f "$fifo"; mkfifo "$fifo"
	VM_LOG[$name]=$TEST_TMP/$name.log
	stdbuf -oL -eL dpdk-testpmd --lcores '0@0,1@0' --file-prefix "${SW_PREFIX}$name" --no-pci -m 64 \
		--single-file-segments --log-level='lib.eal:warning' \
		--vdev "net_virtio_user0,path=$path,mac=$mac$extra" -- -i \
		--total-num-mbufs=2048 --forward-mode=rxonly $targs <"$fifo" >"${VM_LOG[$name]}" 2>&1 &
	VM_PID[$name]=$!
	exec {fd}>"$fifo"
	VM_FD[$name]=$fd
	vm_cmd "$name" "set verbose 1"
}

vm_cmd() { echo "$2" >&"${VM_FD[$1]}"; }

vm_kill() {
	local name=$1
	[ -n "${VM_PID[$name]:-}" ] || return 0
	kill -9 "${VM_PID[$name]}" 2>/dev/null
	wait "${VM_PID[$name]}" 2>/dev/null
	eval "exec ${VM_FD[$name]}>&-"
	unset "VM_PID[$name]" "VM_FD[$name]"
	rm -f /dev/hugepages/"${SW_PREFIX}$name"*
}

# vm_quit NAME: clean testpmd exit.
vm_quit() {
	local name=$1 i
	vm_cmd "$name" "quit"
	for i in $(seq 50); do kill -0 "${VM_PID[$name]}" 2>/dev/null || break; sleep 0.1; done
	vm_kill "$name"
}

# port_state NAME: "up"/"down" as the switch sees the port.
port_state() { ctl '{"cmd":"ports"}' | jq -r --arg n "$1" '.ports[] | select(.name==$n) | .state'; }

# wait_up NAME...: until the switch has every named port up.
wait_up() {
	local n i
	for n in "$@"; do
		for i in $(seq 100); do
			[ "$(port_state "$n")" = up ] && break
			sleep 0.1
		done
		[ "$(port_state "$n")" = up ] || return 1
	done
	# testpmd starts forwarding after its port is up
	sleep 0.3
}

# vm_send NAME DST COUNT: exactly COUNT 64-byte frames from the VM's MAC to DST.
vm_send() {
	vm_cmd "$1" "stop"
	vm_cmd "$1" "set burst $3"
	vm_cmd "$1" "set eth-peer 0 $2"
	vm_cmd "$1" "start tx_first 1"
	VM_SENT[$1]=$(( ${VM_SENT[$1]:-0} + $3 ))
}

# vm_rx NAME [PATTERN]: frames the VM received so far (verbose lines).
vm_rx() { grep -c -- "src=.*${2:-}" "${VM_LOG[$1]}"; }

# wait_rx NAME COUNT: until the VM has received COUNT frames (10 s at most).
wait_rx() {
	local i
	for i in $(seq 100); do
		[ "$(vm_rx "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# expect_rx NAME VM COUNT [PATTERN]: waits, then checks the exact count.
expect_rx() {
	wait_rx "$2" "$3"
	expect_eq "$1" "$(vm_rx "$2" "${4:-}")" "$3"
}

# vm_start_fwd NAME: start receiving (rxonly).
vm_start_fwd() { vm_cmd "$1" "start"; }

# sw_stat PORT JQ-EXPR: a counter of the switch port (e.g. .rx_packets).
sw_stat() { ctl "{\"cmd\":\"stats\",\"port\":\"$1\"}" | jq -r ".ports[0]$2"; }

# settle: let in-flight frames land (the PMD and peers share 2 CPUs).
settle() { sleep "${1:-0.5}"; }

# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then tap_ok "$1"; else tap_fail "$1" "got '$2', want '$3'"; fi
}
