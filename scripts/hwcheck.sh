#!/usr/bin/env bash
# hwcheck.sh — is this host ready for nfvisor's fast path (VFIO passthrough
# of SR-IOV VFs and NVMe, hugepage guest RAM, pinned vCPUs/PMD cores)?
# Read-only: it only reads /proc, /sys and /dev and changes nothing.
#
#   scripts/hwcheck.sh [--root DIR] [--quiet]
#     --root DIR   read DIR/proc, DIR/sys, DIR/dev instead of the live ones
#                  (for tests, or to inspect a captured tree)
#     --quiet      print only warnings and failures
# One line per check: [ OK ], [WARN] (works, but not as well as it could) or
# [FAIL] (a feature cannot work), each with what was found and, if not OK,
# how to fix it. Exit 0 if nothing failed, 1 if something failed, 2 on usage.
set -u
ROOT= QUIET=0
while [ $# -gt 0 ]; do
	case $1 in
	--root) ROOT=${2:?--root needs a directory}; shift 2 ;;
	--quiet) QUIET=1; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "hwcheck: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[ -z "$ROOT" ] || [ -d "$ROOT" ] || { echo "hwcheck: --root $ROOT is not a directory" >&2; exit 2; }
P=$ROOT/proc S=$ROOT/sys D=$ROOT/dev
nfail=0 nwarn=0

ok()   { [ "$QUIET" = 1 ] || printf '[ OK ] %-18s %s\n' "$1" "$2"; }
warn() { nwarn=$((nwarn + 1)); printf '[WARN] %-18s %s\n' "$1" "$2"; [ -n "${3:-}" ] && printf '       %-18s fix: %s\n' "" "$3"; return 0; }
fail() { nfail=$((nfail + 1)); printf '[FAIL] %-18s %s\n' "$1" "$2"; [ -n "${3:-}" ] && printf '       %-18s fix: %s\n' "" "$3"; return 0; }
readf() { cat "$1" 2>/dev/null; }
cmdline=$(readf "$P/cmdline")
has_arg() { case " $cmdline " in *" $1"*) return 0 ;; esac; return 1; }

# ---- CPU virtualisation and KVM ----------------------------------------------
vendor=$(awk -F': ' '/^vendor_id/{print $2; exit}' "$P/cpuinfo" 2>/dev/null)
if grep -qw -e vmx -e svm "$P/cpuinfo" 2>/dev/null; then
	ok cpu-virt "hardware virtualisation flag present ($vendor)"
else
	warn cpu-virt "no vmx/svm flag in $P/cpuinfo (nested or paravirtual KVM only)" \
		"enable VT-x/AMD-V in the firmware setup"
fi
if [ -c "$D/kvm" ]; then ok kvm "$D/kvm present"
else fail kvm "$D/kvm missing" "modprobe kvm_intel (or kvm_amd); enable VT-x/AMD-V in firmware"; fi

# ---- IOMMU ---------------------------------------------------------------------
iommu_arg=intel_iommu=on
[ "$vendor" = AuthenticAMD ] && iommu_arg=amd_iommu=on
ngroups=$(ls "$S/kernel/iommu_groups" 2>/dev/null | wc -l)
nunits=$(ls "$S/class/iommu" 2>/dev/null | wc -l)
if [ "$ngroups" -gt 0 ]; then
	ok iommu "on: $nunits IOMMU unit(s), $ngroups IOMMU groups"
	if has_arg iommu=pt; then ok iommu-mode "iommu=pt (host devices in passthrough mode)"; fi
else
	fail iommu "off: no IOMMU groups in $S/kernel/iommu_groups" \
		"enable VT-d/AMD-Vi in firmware and add $iommu_arg (plus iommu=pt) to the kernel command line"
fi
unsafe=$(readf "$S/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts")
if [ "$ngroups" -gt 0 ]; then
	if [ "$unsafe" = Y ]; then
		warn irq-remap "vfio_iommu_type1 allow_unsafe_interrupts=Y: guests could forge MSIs" \
			"enable interrupt remapping (x2APIC/IR in firmware) and drop allow_unsafe_interrupts"
	else
		ok irq-remap "allow_unsafe_interrupts off: VFIO will insist on interrupt remapping"
	fi
fi

# ---- IOMMU group isolation (ACS) -----------------------------------------------
if [ "$ngroups" -gt 0 ]; then
	shared=()
	for g in "$S"/kernel/iommu_groups/*; do
		eps=()
		for d in "$g"/devices/*; do
			[ -e "$d" ] || continue
			cls=$(readf "$d/class")
			case $cls in 0x0604*) continue ;; esac # bridges do not DMA for guests
			eps+=("${d##*/}")
		done
		[ ${#eps[@]} -gt 1 ] && shared+=("group ${g##*/}: ${eps[*]}")
	done
	if [ ${#shared[@]} -eq 0 ]; then
		ok acs "every IOMMU group has at most one endpoint"
	else
		warn acs "${#shared[@]} group(s) share endpoints; they can only be passed through together" \
			"use slots below ACS-capable root ports/switches; groups: $(printf '%s; ' "${shared[@]}")"
	fi
fi

# ---- VFIO ------------------------------------------------------------------------
if [ -d "$S/bus/pci/drivers/vfio-pci" ]; then
	ok vfio-pci "vfio-pci driver loaded"
elif [ -d "$S/module/vfio_pci" ] || [ -d "$S/module/vfio" ]; then
	warn vfio-pci "vfio modules present but vfio-pci not registered" "modprobe vfio-pci"
else
	kver=$(uname -r)
	if [ -z "$ROOT" ] && modinfo vfio-pci >/dev/null 2>&1; then
		warn vfio-pci "vfio-pci not loaded (module available for $kver)" "modprobe vfio-pci"
	else
		fail vfio-pci "no vfio-pci driver (not loaded, no module found)" \
			"install a kernel with CONFIG_VFIO_PCI (Debian: linux-image-amd64), then modprobe vfio-pci"
	fi
fi
if [ -c "$D/vfio/vfio" ]; then ok vfio-dev "$D/vfio/vfio present"
else fail vfio-dev "$D/vfio/vfio missing" "modprobe vfio-pci (needs the IOMMU on: $iommu_arg)"; fi
[ -c "$D/iommu" ] && ok iommufd "$D/iommu present (iommufd; nfvisor uses the type1v2 container)"

# ---- SR-IOV physical functions and NVMe controllers ------------------------------
npf=0
for d in "$S"/bus/pci/devices/*; do
	[ -r "$d/sriov_totalvfs" ] || continue
	total=$(readf "$d/sriov_totalvfs"); num=$(readf "$d/sriov_numvfs")
	[ "${total:-0}" -gt 0 ] || continue
	npf=$((npf + 1))
	drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	net=$(ls "$d/net" 2>/dev/null | head -n1)
	ok sriov-pf "${d##*/} ${drv:-no driver}${net:+ ($net)}: $num of $total VFs"
done
[ $npf -gt 0 ] || warn sriov-pf "no SR-IOV physical function found" \
	"enable SR-IOV in the firmware setup; the NIC driver must support it (lspci -vv: 'Single Root I/O Virtualization')"
mounts=$(readf "$P/mounts")
for d in "$S"/bus/pci/devices/*; do
	[ "$(readf "$d/class")" = 0x010802 ] || continue
	bdf=${d##*/} drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	used=
	for ns in "$d"/nvme/nvme*/nvme*n*; do
		[ -e "$ns" ] || continue
		n=${ns##*/}
		grep -qE "^/dev/${n}(p[0-9]+)? " <<<"$mounts" && used="$used /dev/$n"
	done
	if [ -n "$used" ]; then
		warn nvme "$bdf (${drv:-no driver}) holds mounted filesystems:$used — cannot be passed through" \
			"pick another controller; never the root device"
	else
		ok nvme "$bdf (${drv:-no driver}) not mounted; can be passed through"
	fi
	rm_=$(readf "$d/reset_method")
	[ -n "$rm_" ] || [ ! -e "$d/reset_method" ] || warn reset "$bdf has no reset method" "expect state to leak between VMs"
done

# ---- hugepages ---------------------------------------------------------------------
hp_any=0
for h in "$S"/kernel/mm/hugepages/hugepages-*; do
	[ -d "$h" ] || continue
	sz=${h##*hugepages-}; nr=$(readf "$h/nr_hugepages"); free=$(readf "$h/free_hugepages")
	[ "${nr:-0}" -gt 0 ] && hp_any=1 && ok hugepages "$sz: $nr reserved, $free free"
done
if [ $hp_any = 0 ]; then
	fail hugepages "no hugepages reserved" \
		"echo 1024 > /proc/sys/vm/nr_hugepages (2 MiB pages), or hugepagesz=1G hugepages=N on the kernel command line"
fi
if grep -q ' hugetlbfs ' <<<"$mounts"; then ok hugetlbfs "mounted at $(awk '$3=="hugetlbfs"{print $2; exit}' <<<"$mounts")"
else warn hugetlbfs "no hugetlbfs mount (memfd hugepages still work)" "mount -t hugetlbfs nodev /dev/hugepages"; fi

# ---- CPU isolation -------------------------------------------------------------------
iso=$(readf "$S/devices/system/cpu/isolated")
ncpu=$(grep -c '^processor' "$P/cpuinfo" 2>/dev/null)
if [ -n "$iso" ]; then
	ok isolated-cpus "isolated: $iso of $ncpu CPUs"
	nohz=$(readf "$S/devices/system/cpu/nohz_full")
	[ -n "$nohz" ] && [ "$nohz" != "(null)" ] && ok nohz-full "nohz_full: $nohz" || \
		warn nohz-full "no nohz_full CPUs (timer ticks interrupt PMD/vCPU cores)" "add nohz_full=<same list> to the kernel command line"
else
	warn isolated-cpus "no isolated CPUs (of $ncpu); PMD and vCPU threads share cores with the host" \
		"add isolcpus=<list> nohz_full=<list> rcu_nocbs=<list> to the kernel command line"
fi

# ---- locked memory (DMA pinning) ---------------------------------------------------
if [ -z "$ROOT" ]; then
	ml=$(ulimit -l)
	if [ "$ml" = unlimited ] || [ "$(id -u)" = 0 ]; then
		ok memlock "locked-memory limit: $ml$([ "$(id -u)" = 0 ] && echo ' (root: CAP_IPC_LOCK)')"
	else
		warn memlock "locked-memory limit ${ml} KiB; VFIO pins all guest RAM" \
			"ulimit -l unlimited (or LimitMEMLOCK=infinity / memlock in limits.conf)"
	fi
fi

echo "hwcheck: $nfail failed, $nwarn warnings"
[ $nfail -eq 0 ]
