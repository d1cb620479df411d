#!/usr/bin/env bash
# net_initrd.bash OUT: the L2 initramfs for tests/kvm/virtio_net_*.sh — Debian's
# busybox-static plus the host kernel's virtio-net modules (the L2 boots the
# same /boot kernel). Its /init loads the modules, lists PCI functions, brings
# eth0 up, pings the address in nettest.peer= (answered by dpdk-testpmd's
# icmpecho mode on the vhost-user side), and, with nettest.flap=1, waits for the
# link to go down and up again (backend restart) and pings once more. Markers:
#   NET-PCI <bdf> <vendor> <device>   NET-IRQ <n> (MSI-X vectors of virtio)
#   NET-LINK-UP / NET-LINK-DOWN / NET-PING-OK / NET-PING-FAIL / NET-FAIL <why>
# then powers off. Exits 0 and writes nothing when a piece is missing (the
# tests then skip, naming the missing piece).
set -euo pipefail
OUT=$1
BB=$(command -v busybox || true)
KVER=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V -r | head -n1)
if [ -z "$BB" ] || [ -z "$KVER" ] || ! command -v modinfo >/dev/null; then
	echo "net_initrd: busybox, /boot/vmlinuz-* or modinfo missing; not building $OUT" >&2
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/bin "$tmp"/proc "$tmp"/sys "$tmp"/dev "$tmp"/mod "$tmp"/tmp
cp "$BB" "$tmp/bin/busybox"
seen=" "
order=()
visit() {
	local m=${1//_/-} d p
	case $seen in *" $m "*) return ;; esac
	seen="$seen$m "
	for d in $(modinfo -k "$KVER" -F depends "$m" 2>/dev/null | tr ',' ' '); do visit "$d"; done
	p=$(modinfo -k "$KVER" -n "$m" 2>/dev/null) || { echo "net_initrd: module $m missing for $KVER" >&2; exit 0; }
	case $p in /*) ;; *) return ;; esac # built in
	order+=("$p")
}
for m in virtio_pci virtio_net; do visit "$m"; done
i=0
for p in "${order[@]}"; do
	case $p in
	*.ko) cp "$p" "$tmp/mod/$(printf %02d $i).ko" ;;
	*.ko.xz) xz -dc "$p" >"$tmp/mod/$(printf %02d $i).ko" ;;
	*.ko.zst) zstd -qdc "$p" >"$tmp/mod/$(printf %02d $i).ko" ;;
	*) echo "net_initrd: unknown module format $p" >&2; exit 0 ;;
	esac
	i=$((i + 1))
done
cat >"$tmp/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
peer= flap=0
for w in $(cat /proc/cmdline); do
	case $w in
	nettest.peer=*) peer=${w#*=} ;;
	nettest.flap=*) flap=${w#*=} ;;
	esac
done
for m in /mod/*.ko; do insmod "$m" || echo "NET-FAIL insmod $m"; done
for d in /sys/bus/pci/devices/*; do
	echo "NET-PCI ${d##*/} $(cat $d/vendor) $(cat $d/device)"
done
carrier() { cat /sys/class/net/eth0/carrier 2>/dev/null || echo 0; }
# wait_carrier V SECONDS
wait_carrier() {
	local n=0
	while [ "$(carrier)" != "$1" ] && [ $n -lt $(($2 * 5)) ]; do sleep 0.2; n=$((n + 1)); done
	[ "$(carrier)" = "$1" ]
}
ping_peer() {
	if ping -c 3 -W 3 "$peer" >/tmp/ping 2>&1; then echo "NET-PING-OK"; else echo "NET-PING-FAIL"; cat /tmp/ping; fi
}
if [ ! -e /sys/class/net/eth0 ]; then
	echo "NET-FAIL no eth0 (virtio_net did not bind)"
else
	echo "NET-DRIVER $(basename $(readlink /sys/class/net/eth0/device/driver))"
	ip link set eth0 up
	ip addr add 10.99.0.2/24 dev eth0
	if wait_carrier 1 60; then echo "NET-LINK-UP"; else echo "NET-FAIL link stays down"; fi
	grep -c virtio /proc/interrupts | sed 's/^/NET-IRQ /'
	[ -n "$peer" ] && ping_peer
	if [ "$flap" = 1 ]; then
		echo "NET-FLAP-READY"
		if wait_carrier 0 120; then echo "NET-LINK-DOWN"; else echo "NET-FAIL link never went down"; fi
		if wait_carrier 1 120; then echo "NET-LINK-UP"; else echo "NET-FAIL link never came back"; fi
		sleep 1
		[ -n "$peer" ] && ping_peer
	fi
fi
echo "NET-DONE"
poweroff -f
INIT
chmod 755 "$tmp/init"
mkdir -p "$(dirname "$OUT")"
(cd "$tmp" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -6 >"$OUT.tmp.$$"
mv "$OUT.tmp.$$" "$OUT"
