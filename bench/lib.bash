# Helpers for bench/*.sh (sourced): starting and stopping the contenders that
# sit between nfv-trafgen's two virtio-user ports. Same method as
# bench/switch_loopback.sh: every process in its own session (setsid), fresh
# processes for every point, the generator on CPU 0 and the contender's PMD
# on CPU 1, private file prefixes and an OVS rundir under $T.
# Needs: BUILD, T (private temp dir), P (hugepage file prefix).
# Start-up waits are long (120 s for sockets, 300 s for a VM's ready lines)
# and end as soon as the thing is up: DPDK's start and a VM boot take tens
# of seconds in a loaded nested (TCG) tier.

OVSD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
GEN_PID= CON_PID= VM_PID=
# CPUs: the generator (nfv-trafgen's lcore or the generator VM's vCPU) and
# the DUT VM's vCPU. With 4 or more CPUs nothing shares the PMD's CPU 1;
# with 2 the DUT VM shares it (the report says so).
if [ "$(nproc)" -ge 4 ]; then GEN_CPU=2 VM_CPU=3; else GEN_CPU=0 VM_CPU=1; fi

bench_cleanup_point() {
	local p i
	for p in $GEN_PID $VM_PID $CON_PID; do kill -TERM "$p" 2>/dev/null; done
	for p in $GEN_PID $VM_PID $CON_PID; do
		for i in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	GEN_PID= CON_PID= VM_PID=
	rm -f "$T/go"
	# The OVS daemons detached (not our children, no `wait`): poll until
	# they are gone, so the next point never meets a dying ovs-vswitchd
	# (its vhost client ports reconnect to the next point's sockets).
	if [ -f "$T/ovs/vswitchd.pid" ]; then
		p=$(cat "$T/ovs/vswitchd.pid" 2>/dev/null)
		if [ -n "$p" ] && kill -TERM "$p" 2>/dev/null; then
			for i in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
			kill -9 "$p" 2>/dev/null
			for i in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		fi
	fi
	if [ -f "$T/ovs/ovsdb.pid" ]; then
		p=$(cat "$T/ovs/ovsdb.pid" 2>/dev/null)
		if [ -n "$p" ] && kill -9 "$p" 2>/dev/null; then
			for i in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		fi
	fi
	# KEEP=1: OVS's log of every point stays in $T for a post-mortem.
	[ -n "${KEEP:-}" ] && [ -f "$T/ovs/vswitchd.log" ] &&
		cp "$T/ovs/vswitchd.log" "$T/vswitchd-$(date +%s%N).log"
	rm -rf "$T/ovs" "$T"/*.sock
	rm -f /dev/hugepages/"$P"*
}

# bench_gen_start SIZE ARGS...: nfv-trafgen with two virtio-user server
# ports (a.sock = tx, b.sock = rx); output lines go to $T/gen.out.
# GEN_PORTS: EAL arguments naming the generator's two ports; empty: the two
# virtio-user ports (vf-pvp sets PCI VFs).
GEN_PORTS=()
bench_gen_start() {
	local size=$1 ports=("${GEN_PORTS[@]}")
	shift
	[ ${#ports[@]} -gt 0 ] || ports=(--no-pci
		--vdev "net_virtio_user0,path=$T/a.sock,mac=52:54:00:00:00:01,server=1"
		--vdev "net_virtio_user1,path=$T/b.sock,mac=52:54:00:00:00:02,server=1")
	setsid "$BUILD/bench/nfv-trafgen" --lcores "0@$GEN_CPU" --file-prefix "${P}gen" -m 256 \
		--single-file-segments --log-level=lib.eal:warning --log-level=pmd.net.virtio:error \
		"${ports[@]}" -- --size "$size" "$@" >"$T/gen.out" 2>"$T/gen.err" &
	GEN_PID=$!
	local i
	[ "$SCENARIO" = vf-pvp ] && return 0
	for i in $(seq 1200); do [ -S "$T/a.sock" ] && return 0; sleep 0.1; done
	return 1
}

# ---- vf-pvp: VFs of the SR-IOV PF NFV_HW_PF ------------------------------
# VF 0 and VF 1 go to the VM (nfguest fwd, VFIO passthrough), VF 2 and VF 3
# are nfv-trafgen's ports (DPDK PMD on vfio-pci). Frames: VF 2 -> (embedded
# switch, by MAC) -> VF 0 -> nfguest fwd, which rewrites the MACs for VF 1's
# anti-spoofing check and to reach VF 3 -> VF 1 -> VF 3.
VF_BDF=() VF_MAC=() VF_DRV=() VF_BOUND=() VF_NUM0= VF_PFNET= VF_WHY=
VF_SYS=/sys/bus/pci/devices

# bench_vf_prepare: 4 VFs with fixed MACs, bound to vfio-pci; records what
# bench_vf_restore undoes. Returns 1 with the reason in VF_WHY when it cannot.
bench_vf_prepare() {
	local pf=$NFV_HW_PF d i v id
	d=$VF_SYS/$pf
	[ -e "$d/sriov_totalvfs" ] || { VF_WHY="NFV_HW_PF=$pf: no $d/sriov_totalvfs (not an SR-IOV PF)"; return 1; }
	[ "$(cat "$d/sriov_totalvfs")" -ge 4 ] || { VF_WHY="NFV_HW_PF=$pf offers $(cat "$d/sriov_totalvfs") VFs; vf-pvp needs 4"; return 1; }
	v=$(cat "$d/vendor") id=$(cat "$d/sriov_vf_device" 2>/dev/null)
	case $v:$id in 0x1af4:1041 | 0x1af4:1000) ;; *) # before touching the host
		VF_WHY="NFV_HW_PF=$pf: its VFs are ${v#0x}:${id:-unknown}: nfguest drives only virtio-net VFs (1af4:1041); this NIC's VF needs a guest with its own driver"
		return 1 ;;
	esac
	VF_PFNET=$(ls "$d/net" 2>/dev/null | head -1)
	[ -n "$VF_PFNET" ] || { VF_WHY="NFV_HW_PF=$pf has no netdev (bind its kernel driver: the VF MACs are set through it)"; return 1; }
	[ -d /sys/bus/pci/drivers/vfio-pci ] || modprobe vfio-pci 2>/dev/null
	[ -d /sys/bus/pci/drivers/vfio-pci ] || { VF_WHY="no vfio-pci driver (modprobe vfio-pci)"; return 1; }
	VF_NUM0=$(cat "$d/sriov_numvfs")
	if [ "$VF_NUM0" -lt 4 ]; then
		{ [ "$VF_NUM0" = 0 ] || echo 0 >"$d/sriov_numvfs"; } && echo 4 >"$d/sriov_numvfs" ||
			{ VF_WHY="cannot create 4 VFs on $pf (echo 4 > $d/sriov_numvfs failed)"; return 1; }
	fi
	for i in 0 1 2 3; do
		VF_BDF[i]=$(basename "$(readlink "$d/virtfn$i")")
		VF_MAC[i]=52:54:00:00:0a:0$i
	done
	for i in 0 1; do # the VM drives them with nfguest: virtio-net only
		v=$(cat "$VF_SYS/${VF_BDF[i]}/vendor") id=$(cat "$VF_SYS/${VF_BDF[i]}/device")
		case $v:$id in 0x1af4:0x1041 | 0x1af4:0x1000) ;; *)
			VF_WHY="VF ${VF_BDF[i]} is ${v#0x}:${id#0x}: nfguest drives only virtio-net VFs (1af4:1041); this NIC's VF needs a guest with its own driver"
			return 1 ;;
		esac
	done
	for i in 0 1 2 3; do
		ip link set "$VF_PFNET" vf "$i" mac "${VF_MAC[i]}" spoofchk on trust off ||
			{ VF_WHY="ip link set $VF_PFNET vf $i mac ${VF_MAC[i]} failed"; return 1; }
		d=$VF_SYS/${VF_BDF[i]}
		VF_DRV[i]=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
		[ "${VF_DRV[i]}" = vfio-pci ] && continue
		echo vfio-pci >"$d/driver_override"
		[ -z "${VF_DRV[i]}" ] || echo "${VF_BDF[i]}" >"$d/driver/unbind"
		echo "${VF_BDF[i]}" >/sys/bus/pci/drivers_probe
		VF_BOUND[i]=1
		[ "$(basename "$(readlink "$d/driver")")" = vfio-pci ] ||
			{ VF_WHY="cannot bind VF ${VF_BDF[i]} to vfio-pci"; return 1; }
	done
	GEN_PORTS=(-a "${VF_BDF[2]}" -a "${VF_BDF[3]}")
}

# bench_vf_restore: drivers, overrides and the VF count as they were (the
# MACs of VFs that existed before stay set).
bench_vf_restore() {
	local i d
	for i in "${!VF_BDF[@]}"; do
		d=$VF_SYS/${VF_BDF[i]}
		[ -e "$d" ] && [ "${VF_BOUND[i]:-}" = 1 ] || continue
		echo >"$d/driver_override" 2>/dev/null
		[ -e "$d/driver" ] && echo "${VF_BDF[i]}" >"$d/driver/unbind" 2>/dev/null
		[ -n "${VF_DRV[i]:-}" ] && echo "${VF_BDF[i]}" >/sys/bus/pci/drivers_probe 2>/dev/null
	done
	if [ -n "$VF_NUM0" ] && [ "$VF_NUM0" -lt 4 ]; then
		echo 0 >"$VF_SYS/$NFV_HW_PF/sriov_numvfs" 2>/dev/null
		[ "$VF_NUM0" = 0 ] || echo "$VF_NUM0" >"$VF_SYS/$NFV_HW_PF/sriov_numvfs" 2>/dev/null
	fi
	VF_BDF=() VF_BOUND=()
}

# bench_vf_line_rate SIZE: the PF's line rate in frames/s for SIZE-byte
# frames (+ 20 bytes preamble and inter-frame gap), or 0 if unknown.
bench_vf_line_rate() {
	local mbps
	mbps=$(cat "/sys/class/net/$VF_PFNET/speed" 2>/dev/null)
	[[ $mbps =~ ^[0-9]+$ ]] || mbps=0
	echo $((mbps * 1000000 / (($1 + 20) * 8)))
}

# bench_vfpvp_start: nfguest fwd with VF 0 and VF 1 passed through; touches
# $T/go once both NICs are up.
bench_vfpvp_start() {
	local i
	setsid "$BUILD/nfvisor-vmm" --kernel "$BUILD/guest/nfguest.elf" --memory 64M --hugepages 2M \
		--vcpus 1 --pin "$VM_CPU" --device "vfio:${VF_BDF[0]}" --device "vfio:${VF_BDF[1]}" \
		--cmdline "mode=fwd dst1=${VF_MAC[3]}" </dev/null >"$T/vm.log" 2>"$T/vm.err" &
	VM_PID=$!
	for i in $(seq 3000); do
		[ "$(grep -ac 'nfguest: fwd ready' "$T/vm.log")" -ge 2 ] && { touch "$T/go"; return 0; }
		kill -0 "$VM_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "nfvisor bench: VM did not bring up its VFs: $(tail -n 3 "$T/vm.log" "$T/vm.err")" >&2
	return 1
}

# bench_pvp_start NAME: the pvp DUT: contender NAME with four ports
# (a.sock, b.sock to the generator; vm0.sock, vm1.sock served to the VM;
# VLANs: a + vm0 in 10, vm1 + b in 20), then nfguest mode=fwd in
# nfvisor-vmm (vCPU on VM_CPU); touches $T/go once both guest NICs are up.
# The guest console (stdout) and the VMM's messages (stderr) go to separate
# files: written to one file, a VMM line can land inside the guest's
# "nfguest: fwd ready" line, the count never reaches 2 and the point waits
# (this was pvp's hang in the nested tier, where VMM link messages and the
# guest's ready lines come at the same moment).
bench_pvp_start() {
	local i
	bench_dut_start "$1" a:client:10 vm0:server:10 vm1:server:20 b:client:20 || return 1
	setsid "$BUILD/nfvisor-vmm" --kernel "$BUILD/guest/nfguest.elf" --memory 64M --hugepages 2M \
		--vcpus 1 --pin "$VM_CPU" --net "vhost-user:$T/vm0.sock,mac=52:54:00:00:01:01" \
		--net "vhost-user:$T/vm1.sock,mac=52:54:00:00:01:02" --cmdline "mode=fwd" \
		</dev/null >"$T/vm.log" 2>"$T/vm.err" &
	VM_PID=$!
	for i in $(seq 3000); do
		[ "$(grep -ac 'nfguest: fwd ready' "$T/vm.log")" -ge 2 ] && { touch "$T/go"; return 0; }
		kill -0 "$VM_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "nfvisor bench: VM did not bring up its NICs: $(tail -n 3 "$T/vm.log" "$T/vm.err")" >&2
	return 1
}

# bench_vm_start NAME SOCKET MAC CPU CMDLINE: nfguest in nfvisor-vmm (1 vCPU
# pinned to CPU, 64 MiB on 2 MiB hugepages), console in $T/NAME.log; prints
# the PID into VM_PIDS.
VM_PIDS=
bench_vm_start() {
	setsid "$BUILD/nfvisor-vmm" --kernel "$BUILD/guest/nfguest.elf" --memory 64M --hugepages 2M \
		--vcpus 1 --pin "$4" --net "vhost-user:$2,mac=$3" --cmdline "$5" \
		</dev/null >"$T/$1.log" 2>"$T/$1.err" &
	VM_PIDS="$VM_PIDS $!"
}

# bench_vm2vm_start NAME ARGS: contender NAME serving vm0.sock and
# vm1.sock (VLAN 10), then the sink VM (vm1.sock, vCPU on VM_CPU) and, once
# it is ready, the generator VM (vm0.sock, vCPU on GEN_CPU) running
# benchgen with ARGS. GEN_PID is the generator VM: it powers off after its
# result line.
bench_vm2vm_start() {
	local c=$1 i
	shift
	bench_dut_start "$c" vm0:server:10 vm1:server:10 || return 1
	VM_PIDS=
	bench_vm_start sink "$T/vm1.sock" 52:54:00:00:02:02 "$VM_CPU" "mode=benchsink first_ms=600000"
	VM_PID=$VM_PIDS
	for i in $(seq 3000); do
		grep -aq 'nfguest: benchsink ready' "$T/sink.log" && break
		kill -0 "$VM_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -aq 'nfguest: benchsink ready' "$T/sink.log"; then
		echo "nfvisor bench: sink VM did not bring up its NIC: $(tail -n 3 "$T/sink.log" "$T/sink.err")" >&2
		return 1
	fi
	VM_PIDS=
	bench_vm_start gen "$T/vm0.sock" 52:54:00:00:02:01 "$GEN_CPU" "mode=benchgen $*"
	GEN_PID=$VM_PIDS
}

# bench_ovs_start: ovsdb-server + ovs-vswitchd-dpdk in $T/ovs, bridge br0
# (NORMAL action), PMD on CPU 1, main thread on CPU 0.
# Memory: 256 MiB like the other contenders, and no more (socket-limit);
# per-port mempools sized to the port's rings. OVS's default shared mempool
# is 262144 mbufs (~600 MiB for MTU 1500): DPDK grows into that much more
# hugepage memory while holding its memory lock, which in the nested tier
# took ~110 s, and OVS's vhost thread, blocked on that lock in
# rte_zmalloc, answered no vhost-user message (no port came up).
bench_ovs_start() {
	local D=$T/ovs V
	mkdir -p "$D"
	V="ovs-vsctl --db=unix:$D/db.sock --no-wait"
	ovsdb-tool create "$D/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
	setsid ovsdb-server "$D/conf.db" --remote="punix:$D/db.sock" --pidfile="$D/ovsdb.pid" \
		--unixctl="$D/ovsdb.ctl" --log-file="$D/ovsdb.log" --detach --no-chdir \
		>"$D/ovsdb.console" 2>&1 || return 1
	$V init
	$V set Open_vSwitch . other_config:dpdk-init=true other_config:dpdk-lcore-mask=0x1 \
		other_config:pmd-cpu-mask=0x2 other_config:dpdk-socket-mem=256 \
		other_config:dpdk-socket-limit=256 other_config:per-port-memory=true \
		other_config:dpdk-extra="--file-prefix=${P}ovs --no-pci --in-memory"
	OVS_RUNDIR=$D OVS_DBDIR=$D OVS_LOGDIR=$D setsid "$OVSD" "unix:$D/db.sock" \
		--pidfile="$D/vswitchd.pid" --unixctl="$D/vswitchd.ctl" \
		--log-file="$D/vswitchd.log" --detach --no-chdir >"$D/vswitchd.console" 2>&1 || return 1
	V="ovs-vsctl --db=unix:$D/db.sock --timeout=30"
	$V add-br br0 -- set bridge br0 datapath_type=netdev
}

# bench_dut_start NAME PORT...: the contender NAME (switch | testpmd | ovs)
# between the generator and the VMs, with one vhost-user port per PORT, in
# order. PORT is SOCK:ROLE:VLAN: the socket $T/SOCK.sock; ROLE client (the
# contender connects: the generator serves it) or server (the contender
# serves it: a VM connects); VLAN the port's access VLAN (nfvisor-switch
# vlan=access:N, OVS tag=N; testpmd has none: it io-forwards port 0<->1,
# 2<->3, ...). Port names are SOCK. OVS serves its dpdkvhostuser sockets
# in its rundir, linked as $T/SOCK.sock. Returns 0 once every server
# socket exists (120 s at most), 1 if the contender failed to start.
bench_dut_start() {
	local c=$1 spec sock role vlan i=0 sw=() tp=() srv=()
	shift
	for spec in "$@"; do
		IFS=: read -r sock role vlan <<<"$spec"
		case $role in
		client)
			sw+=(--port "name=$sock,type=vhost-user,path=$T/$sock.sock,mode=client,vlan=access:$vlan")
			tp+=(--vdev "net_vhost$i,iface=$T/$sock.sock,client=1") ;;
		server)
			sw+=(--port "name=$sock,type=vhost-user,path=$T/$sock.sock,vlan=access:$vlan")
			tp+=(--vdev "net_vhost$i,iface=$T/$sock.sock")
			srv+=("$sock") ;;
		*) echo "nfvisor bench: port \"$spec\": role must be client or server" >&2; return 1 ;;
		esac
		i=$((i + 1))
	done
	case $c in
	switch)
		setsid "$BUILD/nfvisor-switch" --pmd-cores 1 --main-core 0 --ctl "$T/ctl.sock" \
			--file-prefix "${P}sw" --memory 256 --mbufs 16383 "${sw[@]}" >"$T/con.log" 2>&1 &
		CON_PID=$! ;;
	testpmd)
		setsid dpdk-testpmd --lcores '0@0,1@1' --file-prefix "${P}vh" --no-pci -m 256 \
			--log-level=lib.eal:warning "${tp[@]}" -- --forward-mode=io --nb-cores=1 \
			--auto-start --total-num-mbufs=16384 --stats-period 3600 \
			</dev/null >"$T/con.log" 2>&1 &
		CON_PID=$! ;;
	ovs) # NORMAL bridge, the switch's VLANs as access tags
		local V="ovs-vsctl --db=unix:$T/ovs/db.sock --timeout=30"
		bench_ovs_start || return 1
		for spec in "$@"; do
			IFS=: read -r sock role vlan <<<"$spec"
			if [ "$role" = client ]; then
				$V add-port br0 "$sock" tag="$vlan" -- set Interface "$sock" \
					type=dpdkvhostuserclient options:vhost-server-path="$T/$sock.sock" || return 1
			else
				$V add-port br0 "$sock" tag="$vlan" -- set Interface "$sock" type=dpdkvhostuser ||
					return 1
			fi
		done
		for i in $(seq 600); do bench_socks_exist "$T/ovs/" "${srv[@]}" && break; sleep 0.1; done
		for sock in "${srv[@]}"; do
			if ! [ -S "$T/ovs/$sock" ]; then
				echo "nfvisor bench: OVS created no vhost-user socket $T/ovs/$sock within 60 s" >&2
				return 1
			fi
			ln -sf "$T/ovs/$sock" "$T/$sock.sock"
		done ;;
	*) return 1 ;;
	esac
	for i in $(seq 1200); do bench_socks_exist "$T/" "${srv[@]/%/.sock}" && return 0; sleep 0.1; done
	return 1
}

# bench_socks_exist PREFIX NAME...: whether every PREFIX/NAME is a socket.
bench_socks_exist() {
	local d=$1 f
	shift
	for f in "$@"; do [ -S "$d$f" ] || return 1; done
}

# bench_con_start NAME: the switch-loopback DUT: contender NAME connecting to
# the generator's a.sock and b.sock (VLAN 10).
bench_con_start() {
	bench_dut_start "$1" a:client:10 b:client:10
}

# bench_contender_version NAME
bench_contender_version() {
	case $1 in
	switch) echo "nfvisor-switch $(git -C "$(dirname "$BUILD")" rev-parse --short HEAD 2>/dev/null || echo unknown)" ;;
	testpmd) echo "dpdk-testpmd $(dpkg-query -W -f '${Version}' dpdk 2>/dev/null)" ;;
	ovs) echo "OVS-DPDK $(dpkg-query -W -f '${Version}' openvswitch-switch-dpdk 2>/dev/null)" ;;
	esac
}

# bench_pkg_version PKG: the installed Debian version of PKG for a report.
bench_pkg_version() {
	if ! command -v dpkg-query >/dev/null; then echo "unknown (no dpkg-query here)"
	else dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "not installed"; fi
}

# bench_latency_chart PNG TITLE DAT: clustered P50/P90/P99/P99.9 bars per
# row of DAT ("label p50 p90 p99 p999", microseconds) on a log axis; a
# linear axis with a note when no row has a value (nothing was timed).
bench_latency_chart() {
	local scale="set ylabel 'microseconds (log)'; set logscale y"
	if ! awk '$2 > 0 || $3 > 0 || $4 > 0 || $5 > 0 { found = 1 } END { exit !found }' "$3"; then
		scale="set ylabel 'microseconds'; set yrange [0:1]; set label 1 'no latency trial timed a frame (no zero-loss rate found)' at graph 0.5, 0.5 center"
	fi
	"$GNUPLOT" <<EOF
set terminal pngcairo size 900,540 noenhanced
set output '$1'
set title '$2'
$scale
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -30
set key outside right
set grid y
plot '$3' using 2:xtic(1) title 'P50', '' using 3 title 'P90', '' using 4 title 'P99', '' using 5 title 'P99.9'
EOF
}
