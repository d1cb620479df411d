# Helpers for bench/*.sh (sourced): starting and stopping the contenders that
# sit between nfv-trafgen's two virtio-user ports. Same method as
# bench/switch_loopback.sh: every process in its own session (setsid), fresh
# processes for every point, the generator on CPU 0 and the contender's PMD
# on CPU 1, private file prefixes and an OVS rundir under $T.
# Needs: BUILD, T (private temp dir), P (hugepage file prefix).

OVSD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
GEN_PID= CON_PID= VM_PID=

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
	if [ -f "$T/ovs/vswitchd.pid" ]; then
		p=$(cat "$T/ovs/vswitchd.pid" 2>/dev/null)
		[ -n "$p" ] && kill -TERM "$p" 2>/dev/null && sleep 1 && kill -9 "$p" 2>/dev/null
	fi
	if [ -f "$T/ovs/ovsdb.pid" ]; then
		p=$(cat "$T/ovs/ovsdb.pid" 2>/dev/null)
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null
	fi
	rm -rf "$T/ovs" "$T"/*.sock
	rm -f /dev/hugepages/"$P"*
}

# bench_gen_start SIZE ARGS...: nfv-trafgen with two virtio-user server
# ports (a.sock = tx, b.sock = rx); output lines go to $T/gen.out.
bench_gen_start() {
	local size=$1
	shift
	setsid "$BUILD/bench/nfv-trafgen" --lcores '0@0' --file-prefix "${P}gen" --no-pci -m 256 \
		--single-file-segments --log-level=lib.eal:warning --log-level=pmd.net.virtio:error \
		--vdev "net_virtio_user0,path=$T/a.sock,mac=52:54:00:00:00:01,server=1" \
		--vdev "net_virtio_user1,path=$T/b.sock,mac=52:54:00:00:00:02,server=1" -- \
		--size "$size" "$@" >"$T/gen.out" 2>"$T/gen.err" &
	GEN_PID=$!
	local i
	for i in $(seq 100); do [ -S "$T/a.sock" ] && return 0; sleep 0.1; done
	return 1
}

# bench_pvp_start NAME: the pvp DUT: contender NAME with four ports
# (a.sock, b.sock to the generator; vm0.sock, vm1.sock served to the VM),
# then nfguest mode=fwd in nfvisor-vmm (vCPU on CPU 1); touches $T/go once
# both guest NICs are up. Switch VLANs: a + vm0 in 10, vm1 + b in 20.
bench_pvp_start() {
	case $1 in
	switch)
		setsid "$BUILD/nfvisor-switch" --pmd-cores 1 --main-core 0 --ctl "$T/ctl.sock" \
			--file-prefix "${P}sw" --memory 256 --mbufs 16383 \
			--port "name=p0,type=vhost-user,path=$T/a.sock,mode=client,vlan=access:10" \
			--port "name=v0,type=vhost-user,path=$T/vm0.sock,vlan=access:10" \
			--port "name=v1,type=vhost-user,path=$T/vm1.sock,vlan=access:20" \
			--port "name=p1,type=vhost-user,path=$T/b.sock,mode=client,vlan=access:20" \
			>"$T/con.log" 2>&1 &
		CON_PID=$! ;;
	testpmd)
		setsid dpdk-testpmd --lcores '0@0,1@1' --file-prefix "${P}vh" --no-pci -m 256 \
			--log-level=lib.eal:warning \
			--vdev "net_vhost0,iface=$T/a.sock,client=1" --vdev "net_vhost1,iface=$T/vm0.sock" \
			--vdev "net_vhost2,iface=$T/vm1.sock" --vdev "net_vhost3,iface=$T/b.sock,client=1" \
			-- --forward-mode=io --nb-cores=1 --auto-start --total-num-mbufs=16384 \
			--stats-period 3600 </dev/null >"$T/con.log" 2>&1 &
		CON_PID=$! ;;
	*) return 1 ;;
	esac
	local i
	for i in $(seq 300); do [ -S "$T/vm0.sock" ] && [ -S "$T/vm1.sock" ] && break; sleep 0.1; done
	[ -S "$T/vm1.sock" ] || return 1
	setsid "$BUILD/nfvisor-vmm" --kernel "$BUILD/guest/nfguest.elf" --memory 64M --hugepages 2M \
		--vcpus 1 --pin 1 --net "vhost-user:$T/vm0.sock,mac=52:54:00:00:01:01" \
		--net "vhost-user:$T/vm1.sock,mac=52:54:00:00:01:02" --cmdline "mode=fwd" \
		</dev/null >"$T/vm.log" 2>&1 &
	VM_PID=$!
	for i in $(seq 1200); do
		[ "$(grep -ac 'nfguest: fwd ready' "$T/vm.log")" -ge 2 ] && { touch "$T/go"; return 0; }
		kill -0 "$VM_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "nfvisor bench: VM did not bring up its NICs: $(tail -3 "$T/vm.log")" >&2
	return 1
}

# bench_con_start NAME: switch | testpmd | ovs, connecting to a.sock/b.sock.
bench_con_start() {
	case $1 in
	switch)
		setsid "$BUILD/nfvisor-switch" --pmd-cores 1 --main-core 0 --ctl "$T/ctl.sock" \
			--file-prefix "${P}sw" --memory 256 --mbufs 16383 \
			--port "name=p0,type=vhost-user,path=$T/a.sock,mode=client,vlan=access:10" \
			--port "name=p1,type=vhost-user,path=$T/b.sock,mode=client,vlan=access:10" \
			>"$T/con.log" 2>&1 &
		CON_PID=$! ;;
	testpmd)
		setsid dpdk-testpmd --lcores '0@0,1@1' --file-prefix "${P}vh" --no-pci -m 256 \
			--log-level=lib.eal:warning \
			--vdev "net_vhost0,iface=$T/a.sock,client=1" \
			--vdev "net_vhost1,iface=$T/b.sock,client=1" -- --forward-mode=io \
			--nb-cores=1 --auto-start --total-num-mbufs=16384 --stats-period 3600 \
			</dev/null >"$T/con.log" 2>&1 &
		CON_PID=$! ;;
	ovs)
		local D=$T/ovs V
		mkdir -p "$D"
		V="ovs-vsctl --db=unix:$D/db.sock --no-wait"
		ovsdb-tool create "$D/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
		setsid ovsdb-server "$D/conf.db" --remote="punix:$D/db.sock" --pidfile="$D/ovsdb.pid" \
			--unixctl="$D/ovsdb.ctl" --log-file="$D/ovsdb.log" --detach --no-chdir || return 1
		$V init
		$V set Open_vSwitch . other_config:dpdk-init=true other_config:dpdk-lcore-mask=0x1 \
			other_config:pmd-cpu-mask=0x2 other_config:dpdk-socket-mem=256 \
			other_config:dpdk-extra="--file-prefix=${P}ovs --no-pci --in-memory"
		OVS_RUNDIR=$D OVS_DBDIR=$D OVS_LOGDIR=$D setsid "$OVSD" "unix:$D/db.sock" \
			--pidfile="$D/vswitchd.pid" --unixctl="$D/vswitchd.ctl" \
			--log-file="$D/vswitchd.log" --detach --no-chdir || return 1
		V="ovs-vsctl --db=unix:$D/db.sock --timeout=30"
		$V add-br br0 -- set bridge br0 datapath_type=netdev || return 1
		$V add-port br0 p0 -- set Interface p0 type=dpdkvhostuserclient \
			options:vhost-server-path="$T/a.sock" || return 1
		$V add-port br0 p1 -- set Interface p1 type=dpdkvhostuserclient \
			options:vhost-server-path="$T/b.sock" || return 1 ;;
	*) return 1 ;;
	esac
}

# bench_contender_version NAME
bench_contender_version() {
	case $1 in
	switch) echo "nfvisor-switch $(git -C "$(dirname "$BUILD")" rev-parse --short HEAD 2>/dev/null || echo unknown)" ;;
	testpmd) echo "dpdk-testpmd $(dpkg-query -W -f '${Version}' dpdk 2>/dev/null)" ;;
	ovs) echo "OVS-DPDK $(dpkg-query -W -f '${Version}' openvswitch-switch-dpdk 2>/dev/null)" ;;
	esac
}
