#!/usr/bin/env bash
# nfguest's virtio-net driver under QEMU TCG (q35, SeaBIOS, PVH boot): VMs
# joined by QEMU socket netdevs (TCP, lossless). gen -> sink in polling and
# MSI-X interrupt mode, gen -> fwd -> sink, gen -> reflect, bad input.
. "$(dirname "$0")/../lib.sh"
need_cmd qemu-system-x86_64
ELF=$BUILD/guest/nfguest.elf
[ -f "$ELF" ] || skip_all "$ELF not built (run make)"
PORT=$((20000 + ($$ * 7) % 20000))

# vm NAME APPEND NETDEV-ARGS...: start a VM in the background, log in NAME.log
# (QEMU itself is the tracked process, so cleanup kills it; finish bounds it)
vm() {
	local name=$1 append=$2
	shift 2
	qemu-system-x86_64 -M q35 -accel tcg -nographic -no-reboot -m 128 \
		-vga none -nic none -kernel "$ELF" -append "$append" "$@" \
		</dev/null >"$TEST_TMP/$name.log" 2>&1 &
	track_pid $!
	eval "PID_$name=$!"
}
# nic ID MODE(listen|connect) PORT [MAC]: netdev + modern virtio-net-pci args
nic() {
	echo "-netdev socket,id=$1,$2=127.0.0.1:$3 -device virtio-net-pci,netdev=$1,disable-legacy=on${4:+,mac=$4}"
}
wait_ready() { # NAME [N]: until N "ready" lines (VM booted, NICs up)
	local i
	for i in $(seq 300); do
		[ "$(grep -ac ' ready ' "$TEST_TMP/$1.log")" -ge "${2:-1}" ] && return 0
		sleep 0.2
	done
	return 1
}
finish() { # NAME: wait up to 120 s for the VM to power off, else kill it
	local p=PID_$1
	reap "${!p}" 120
}
line() { grep -ao 'nfguest: .*' "$TEST_TMP/$1.log" | tail -n1; }
expect() { # NAME REGEX DESCRIPTION
	if line "$1" | grep -qE "$2"; then
		tap_ok "$3: $(line "$1")"
	else
		tap_fail "$3" "expected /$2/"
		tap_diag <"$TEST_TMP/$1.log"
	fi
}

# gen -> sink, polling, 60-byte frames
P=$((PORT++))
vm sink1 "mode=sink count=2000 idle_ms=30000" $(nic n0 listen $P 52:54:00:00:00:02)
wait_ready sink1
vm gen1 "mode=gen count=2000 size=60 dst=52:54:00:00:00:02" $(nic n0 connect $P)
finish gen1
finish sink1
expect gen1 '^nfguest: gen tx=2000 pps=[0-9]+$' "gen polling 60 B"
expect sink1 '^nfguest: sink rx=2000 bad=0 pps=[0-9]+$' "sink polling verifies every frame"

# gen -> sink, sink in MSI-X interrupt mode, 1514-byte frames, transitional device
P=$((PORT++))
vm sink2 "mode=sink count=3000 irq=1 idle_ms=30000" \
	-netdev socket,id=n0,listen=127.0.0.1:$P -device virtio-net-pci,netdev=n0
wait_ready sink2
vm gen2 "mode=gen count=3000 size=1514" $(nic n0 connect $P)
finish gen2
finish sink2
expect gen2 '^nfguest: gen tx=3000 pps=[0-9]+$' "gen polling 1514 B"
expect sink2 '^nfguest: sink rx=3000 bad=0 pps=[0-9]+$' "sink with MSI-X interrupts"
if grep -aqE '^nfguest: sink irqs=[1-9][0-9]* ' "$TEST_TMP/sink2.log"; then
	tap_ok "interrupt mode took MSI-X interrupts ($(grep -ao 'irqs=[0-9]*' "$TEST_TMP/sink2.log"))"
else
	tap_fail "interrupt mode took no MSI-X interrupt"
fi

# gen -> fwd (2 NICs, interrupt mode, 2 CPUs) -> sink
P1=$((PORT++))
P2=$((PORT++))
vm sink3 "mode=sink count=2500 idle_ms=30000" $(nic n0 listen $P2)
wait_ready sink3
vm fwd3 "mode=fwd count=2500 idle_ms=30000 irq=1 tx_wait_us=5000000" -smp 2 $(nic n0 listen $P1) $(nic n1 connect $P2)
wait_ready fwd3 2
vm gen3 "mode=gen count=2500 size=200" $(nic n0 connect $P1)
finish gen3
finish fwd3
finish sink3
expect fwd3 '^nfguest: fwd rx=2500 tx=2500 drop=0$' "fwd forwards every frame"
expect sink3 '^nfguest: sink rx=2500 bad=0 pps=[0-9]+$' "sink behind fwd verifies every frame"

# reflect: frames come back with MACs swapped (the generator does not read
# them, so only what its RX ring holds is accepted: count a bounded run)
P=$((PORT++))
vm refl "mode=reflect count=200 idle_ms=30000 tx_wait_us=5000000" $(nic n0 listen $P)
wait_ready refl
vm gen4 "mode=gen count=200 size=64" $(nic n0 connect $P)
finish gen4
finish refl
expect refl '^nfguest: reflect rx=200 tx=200 drop=0$' "reflect sends every frame back"

# bad input: no NIC, bad MAC, sink timeout with nothing sent
vm nonic "mode=gen count=10"
finish nonic
expect nonic '^nfguest: gen needs 1 virtio-net device\(s\), found 0 among [0-9]+ PCI functions' \
	"gen without a NIC says so"
vm badmac "mode=gen dst=52:54:00:zz:00:01" $(nic n0 listen $((PORT++)))
finish badmac
expect badmac '^nfguest: bad dst=52:54:00:zz:00:01: expected a MAC address' "bad dst= is refused"
vm idle "mode=sink count=5 first_ms=300" $(nic n0 listen $((PORT++)))
finish idle
expect idle '^nfguest: sink rx=0 bad=0 pps=0$' "sink gives up after first_ms without frames"
tap_done
