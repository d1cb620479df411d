#!/usr/bin/env bash
# scripts/hwcheck.sh against fake /proc, /sys, /dev trees (--root): a host
# that is ready, and one with no IOMMU, no VFIO, no hugepages. Needs no
# hardware (root only for mknod of the fake char devices).
cd "$(dirname "$0")/../.."
. tests/lib.sh
need_root
echo "1..8"
mk_tree() { # mk_tree DIR ready|bare
	local r=$1
	mkdir -p "$r"/proc "$r"/dev "$r"/sys/kernel/iommu_groups "$r"/sys/bus/pci/devices \
		"$r"/sys/bus/pci/drivers "$r"/sys/kernel/mm/hugepages/hugepages-2048kB "$r"/sys/devices/system/cpu
	printf 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx\nprocessor\t: 1\n' >"$r/proc/cpuinfo"
	echo "0" >"$r/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
	echo "0" >"$r/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
	: >"$r/sys/devices/system/cpu/isolated"
	echo "proc /proc proc rw 0 0" >"$r/proc/mounts"
	echo "BOOT_IMAGE=/vmlinuz quiet" >"$r/proc/cmdline"
	[ "$2" = ready ] || return 0
	echo "BOOT_IMAGE=/vmlinuz intel_iommu=on iommu=pt isolcpus=1 nohz_full=1" >"$r/proc/cmdline"
	mknod "$r/dev/kvm" c 10 232
	mkdir -p "$r/dev/vfio" "$r/sys/class/iommu/dmar0" "$r/sys/bus/pci/drivers/vfio-pci"
	mknod "$r/dev/vfio/vfio" c 10 196
	echo "512" >"$r/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
	echo "512" >"$r/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
	echo "1" >"$r/sys/devices/system/cpu/isolated"
	echo "1" >"$r/sys/devices/system/cpu/nohz_full"
	echo "nodev /dev/hugepages hugetlbfs rw 0 0" >>"$r/proc/mounts"
	# PF 01:00.0 (ixgbe, eth0, 2 of 8 VFs) in group 1; a 2-endpoint group 2.
	local pf=$r/sys/bus/pci/devices/0000:01:00.0
	mkdir -p "$pf/net/eth0" "$r/sys/bus/pci/drivers/ixgbe" "$r/sys/kernel/iommu_groups/1/devices"
	echo 8 >"$pf/sriov_totalvfs"; echo 2 >"$pf/sriov_numvfs"; echo 0x020000 >"$pf/class"
	ln -s ../../drivers/ixgbe "$pf/driver"
	ln -s ../../../../bus/pci/devices/0000:01:00.0 "$r/sys/kernel/iommu_groups/1/devices/0000:01:00.0"
	for f in 0000:00:1f.0 0000:00:1f.3; do
		mkdir -p "$r/sys/bus/pci/devices/$f" "$r/sys/kernel/iommu_groups/2/devices/$f"
		echo 0x060100 >"$r/sys/bus/pci/devices/$f/class"
		cp "$r/sys/bus/pci/devices/$f/class" "$r/sys/kernel/iommu_groups/2/devices/$f/class"
	done
	# An NVMe whose namespace is mounted.
	local nv=$r/sys/bus/pci/devices/0000:02:00.0
	mkdir -p "$nv/nvme/nvme0/nvme0n1"; echo 0x010802 >"$nv/class"
	echo "/dev/nvme0n1p2 / ext4 rw 0 0" >>"$r/proc/mounts"
}
mk_tree "$TEST_TMP/bare" bare
out=$(scripts/hwcheck.sh --root "$TEST_TMP/bare" 2>&1); rc=$?
echo "$out" | tap_diag
[ $rc = 1 ] && tap_ok "bare host: exit 1" || tap_fail "bare host: exit 1" "got $rc"
case $out in *"[FAIL] iommu"*"intel_iommu=on"*) tap_ok "bare host: IOMMU off, says intel_iommu=on" ;; *) tap_fail "bare host: IOMMU check" ;; esac
case $out in *"[FAIL] vfio-dev"*"modprobe vfio-pci"*) tap_ok "bare host: /dev/vfio missing, says modprobe vfio-pci" ;; *) tap_fail "bare host: VFIO check" ;; esac
case $out in *"[FAIL] hugepages"*"nr_hugepages"*) tap_ok "bare host: no hugepages, says how to reserve" ;; *) tap_fail "bare host: hugepages check" ;; esac
mk_tree "$TEST_TMP/ready" ready
out=$(scripts/hwcheck.sh --root "$TEST_TMP/ready" 2>&1); rc=$?
echo "$out" | tap_diag
[ $rc = 0 ] && tap_ok "ready host: exit 0" || tap_fail "ready host: exit 0" "got $rc"
case $out in *"[ OK ] sriov-pf"*"0000:01:00.0 ixgbe (eth0): 2 of 8 VFs"*) tap_ok "ready host: lists the PF" ;; *) tap_fail "ready host: PF listed" ;; esac
case $out in *"[WARN] acs"*"group 2: 0000:00:1f.0 0000:00:1f.3"*) tap_ok "ready host: shared group 2 reported" ;; *) tap_fail "ready host: ACS warning" ;; esac
case $out in *"[WARN] nvme"*"0000:02:00.0"*"/dev/nvme0n1"*) tap_ok "ready host: mounted NVMe flagged" ;; *) tap_fail "ready host: NVMe in use" ;; esac
tap_done
