#!/usr/bin/env bash
# Nested tier: nfvisor-vmm passes an SR-IOV NVMe VF (`--device vfio:BDF`) to
# a stock Debian L2 kernel, whose own nvme driver must bring the controller
# up (Identify by DMA through our IOMMU mappings, completions as MSI-X through
# our emulated table → device eventfd → KVM irqfd). Runs on the host and
# boots its own L1 (l1run.sh --vfio); inside L1 ($L1RUN=1) it does the work:
# VF creation + `nvme virt-mgmt`, the VMM run, checks, and VF removal.
# The L2 initramfs (busybox-static + the kernel's nvme modules) is built
# here into $BUILD/tests/vfio-l2-initrd.gz.
cd "$(dirname "$0")/../.."
. tests/lib.sh
VMM=$BUILD/nfvisor-vmm
L2=$BUILD/tests/vfio-l2-initrd.gz
[ -x "$VMM" ] || skip_all "$VMM not built (run make)"
"$VMM" --help 2>&1 | grep -q -- '--device' || skip_all "nfvisor-vmm has no --device option yet (vfio/vfio_vm.h hooks not wired)"

if [ "${L1RUN:-0}" != 1 ]; then
	need_cmd qemu-system-x86_64
	need_cmd nvme
	KVER=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V -r | head -n1)
	[ -n "$KVER" ] || skip_all "no /boot/vmlinuz-*"
	# L2 initramfs: busybox + nvme modules in dependency order.
	S=$TEST_TMP/l2
	mkdir -p "$S/bin" "$S/m" "$S/proc" "$S/sys" "$S/dev"
	cp "$(command -v busybox)" "$S/bin/busybox"
	order=()
	visit() {
		local m=${1//_/-} d
		case " ${order[*]} " in *" $m "*) return ;; esac
		for d in $(modinfo -k "$KVER" -F depends "$m" | tr ',' ' '); do visit "$d"; done
		order+=("$m")
	}
	visit nvme
	for m in "${order[@]}"; do cp "$(modinfo -k "$KVER" -n "$m")" "$S/m/$m.ko"; done
	printf '%s\n' "${order[@]}" >"$S/mods"
	cat >"$S/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev
echo "VFIO-L2-INIT"
for m in $(cat /mods); do insmod /m/$m.ko || echo "VFIO-L2 insmod $m failed"; done
i=0
while [ $i -lt 60 ] && ! [ -e /sys/class/nvme/nvme0/model ]; do sleep 0.5; i=$((i + 1)); done
for d in /sys/bus/pci/devices/*; do echo "VFIO-L2 pci ${d##*/} $(cat $d/vendor):$(cat $d/device) $(cat $d/class)"; done
if [ -e /sys/class/nvme/nvme0/model ]; then
	sleep 1
	m=$(cat /sys/class/nvme/nvme0/model); s=$(cat /sys/class/nvme/nvme0/serial)
	st=$(cat /sys/class/nvme/nvme0/state 2>/dev/null)
	irqs=$(awk '/nvme/ {for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) n += $i} END {print n + 0}' /proc/interrupts)
	echo "VFIO-L2-NVME model='$(echo $m)' serial='$(echo $s)' state=$st msix_irqs=$irqs"
	grep nvme /proc/interrupts | sed 's/^/VFIO-L2 irq /'
else
	echo "VFIO-L2-NONVME"
fi
dmesg | grep -i nvme | tail -n 8 | sed 's/^/VFIO-L2 dmesg /'
poweroff -f
INIT
	chmod 755 "$S/init"
	(cd "$S" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$L2"
	tests/nested/l1run.sh --build "$BUILD" --vfio --smp 1 --mem 1536 --hugepages 192 \
		--timeout "${NESTED_VFIO_TIMEOUT:-900}" -- "tests/nested/vfio_l2_linux.sh"
	exit $?
fi

# ---- inside L1 ----
need_kvm
[ -c /dev/vfio/vfio ] || skip_all "no /dev/vfio/vfio in this L1 (needs l1run.sh --vfio)"
[ -f "$L2" ] || skip_all "$L2 missing"
echo "1..6"
PF= ; for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/class")" = 0x010802 ] && [ -e "$d/sriov_totalvfs" ] && PF=$d && break
done
[ -n "$PF" ] || { tap_fail "SR-IOV NVMe PF present"; tap_done; }
CTRL=/dev/$(ls "$PF/nvme" | head -n1)
echo 0 >"$PF/sriov_drivers_autoprobe"
nvme virt-mgmt "$CTRL" -c 0 -r 0 -a 1 -n 0 >/dev/null && nvme virt-mgmt "$CTRL" -c 0 -r 1 -a 1 -n 0 >/dev/null &&
	nvme reset "$CTRL" && echo 1 >"$PF/sriov_numvfs" &&
	nvme virt-mgmt "$CTRL" -c 1 -r 1 -a 8 -n 1 >/dev/null && nvme virt-mgmt "$CTRL" -c 1 -r 0 -a 8 -n 2 >/dev/null &&
	nvme virt-mgmt "$CTRL" -c 1 -r 0 -a 9 -n 0 >/dev/null
VF=$(basename "$(readlink "$PF/virtfn0" 2>/dev/null)")
[ -n "$VF" ] && tap_ok "VF $VF created and online" || tap_fail "VF created and online"
KERNEL=$(ls /boot/vmlinuz-* | head -n1)
log=$TEST_TMP/vmm.log
timeout -k 5 300 "$VMM" --kernel "$KERNEL" --initrd "$L2" --cmdline "console=ttyS0 panic=-1 quiet" \
	--memory 256M --hugepages 2M --device "vfio:$VF" </dev/null >"$log" 2>&1
rc=$?
tr -d '\r' <"$log" | grep -E 'VFIO-L2|vfio|passthrough|error' | head -n 40 | tap_diag
[ $rc = 0 ] && tap_ok "nfvisor-vmm exited 0 after the L2 powered off" || tap_fail "nfvisor-vmm exit status" "rc=$rc"
grep -q "VFIO-L2 pci .* 0x1b36:0x0010 0x010802" "$log" && tap_ok "L2 enumerates the passed-through NVMe VF (1b36:0010)" ||
	tap_fail "L2 sees the NVMe VF on its PCI bus"
line=$(tr -d '\r' <"$log" | grep -m1 'VFIO-L2-NVME')
case $line in *"model='QEMU NVMe Ctrl'"*) tap_ok "L2's stock nvme driver ran Identify by DMA: $line" ;;
*) tap_fail "L2 nvme driver brought the controller up" "${line:-no nvme0 in L2}" ;; esac
irqs=$(echo "$line" | sed -n 's/.*msix_irqs=\([0-9]*\).*/\1/p')
[ "${irqs:-0}" -gt 0 ] && tap_ok "MSI-X interrupts reached L2 ($irqs on nvme vectors)" || tap_fail "MSI-X interrupts in L2" "$line"
drv=$(basename "$(readlink "/sys/bus/pci/devices/$VF/driver" 2>/dev/null)" 2>/dev/null)
[ -z "$drv" ] && tap_ok "VF $VF unbound from vfio-pci after the VM (as found)" || tap_fail "VF restored" "driver=$drv"
nvme virt-mgmt "$CTRL" -c 1 -r 0 -a 7 -n 0 >/dev/null 2>&1
echo 0 >"$PF/sriov_numvfs"
tap_done
