#!/usr/bin/env bash
# The driver behind `nfvisor bench nvme` (docs/bench.md, "nvme"): 4 KiB random
# reads with fio in a stock Debian guest, once with an NVMe controller (or
# VF) passed through to nfvisor-vmm (--device vfio:BDF, the guest's own nvme
# driver) and once on the same namespace through QEMU's emulated virtio-blk
# (-accel kvm, cache=none, aio=native, read-only). Same kernel, initramfs
# and workload on both paths; read-only workload (fio --readonly), never a
# write. Writes into --out DIR: trials.csv / trials.json (every fio job),
# results.json (medians and passthrough/emulated ratios per queue depth),
# report.md, iops.png, latency.png.
#   bench/nvme.sh [nvme] [--quick] [--out DIR] [--runtime S] [--qds 1,32] [--repeat N]
#   bench/nvme.sh --build-initrd OUT   only build the guest initramfs
# The controller: NFV_HW_NVME=BDF; without it an SR-IOV NVMe PF that takes
# QEMU-style virtual-resource management (the nested tier's emulated one):
# a VF is created, the PF's namespace moves to it for the passthrough run
# and back afterwards. A controller without SR-IOV is passed through
# whole: the emulated run comes first while the host driver owns it, then
# it is unbound, bound to vfio-pci and, on every exit path, given back to
# its driver. The guest initramfs: NFV_NVME_INITRD, default
# $BUILD/nested/nvme-l2-initrd.cpio, built here when fio is installed
# (busybox-static, fio + jq with their libraries, the kernel's nvme and
# virtio-blk modules; uncompressed: the guest unpacks it faster).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
die() { echo "nfvisor bench nvme: $*" >&2; exit 1; }
usage() {
	echo "usage: $0 [nvme] [--quick] [--out DIR] [--runtime S] [--qds 1,32] [--repeat N]" >&2
	echo "       $0 --build-initrd OUT" >&2
	exit 2
}
. bench/lib.bash

# Kernel: the newest /boot/vmlinuz-* whose nvme module is installed (or, in
# a minimal root without modules, the newest one).
pick_kernel() {
	local k
	for k in $(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V -r); do
		modinfo -k "$k" -n nvme >/dev/null 2>&1 && { echo "$k"; return 0; }
	done
	ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V -r | head -n1
}

# build_initrd OUT: the guest initramfs (see the header).
build_initrd() {
	local out=$1 kver s f order=() m bb
	kver=$(pick_kernel)
	[ -n "$kver" ] || die "no /boot/vmlinuz-*; install linux-image-amd64 (scripts/install-deps.sh)"
	for f in fio jq busybox modinfo cpio ldd; do
		command -v "$f" >/dev/null || die "'$f' not found; run scripts/install-deps.sh"
	done
	bb=$(command -v busybox)
	! ldd "$bb" >/dev/null 2>&1 || die "$bb is not statically linked; install busybox-static"
	s=$(mktemp -d /tmp/nvb-initrd.XXXXXX)
	mkdir -p "$s"/bin "$s"/m "$s"/proc "$s"/sys "$s"/dev "$s"/tmp
	cp "$bb" "$s/bin/busybox"
	visit() {
		local n=${1//_/-} d
		case " ${order[*]} " in *" $n "*) return ;; esac
		for d in $(modinfo -k "$kver" -F depends "$n" | tr ',' ' '); do visit "$d"; done
		order+=("$n")
	}
	for m in nvme virtio_pci virtio_blk; do visit "$m"; done
	for m in "${order[@]}"; do
		f=$(modinfo -k "$kver" -n "$m") || { rm -rf "$s"; die "module $m missing for kernel $kver"; }
		cp "$f" "$s/m/$m.ko"
	done
	printf '%s\n' "${order[@]}" >"$s/mods"
	# fio and jq at their own paths, every library ldd lists at its path
	for f in "$(command -v fio)" "$(command -v jq)" $(ldd "$(command -v fio)" "$(command -v jq)" |
		awk '/=> \//{print $3} /^\t\/[^ ]*ld-linux/{print $1}' | sort -u); do
		mkdir -p "$s$(dirname "$f")"
		cp -L "$f" "$s$f"
	done
	[ -e "$s/usr/bin/fio" ] || { mkdir -p "$s/usr/bin"; mv "$s$(command -v fio)" "$s/usr/bin/fio"; }
	[ -e "$s/usr/bin/jq" ] || mv "$s$(command -v jq)" "$s/usr/bin/jq"
	ln -s usr/lib "$s/lib" 2>/dev/null
	[ -e "$s/lib64" ] || ln -s usr/lib64 "$s/lib64"
	cp bench/nvme-guest-init.sh "$s/init"
	chmod 755 "$s/init"
	mkdir -p "$(dirname "$out")"
	(cd "$s" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.tmp.$$" &&
		mv "$out.tmp.$$" "$out" || { rm -rf "$s" "$out.tmp.$$"; die "cannot write $out"; }
	rm -rf "$s"
	echo "$kver" >"$out.kver"
}

if [ "${1:-}" = --build-initrd ]; then
	[ $# -eq 2 ] || usage
	build_initrd "$2"
	exit 0
fi
[ "${1:-}" = nvme ] && shift
QUICK=0 OUT= RUNTIME= QDS= REPEAT=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; shift ;;
	--out) OUT=${2:-}; shift 2 || usage ;;
	--runtime) RUNTIME=${2:-}; shift 2 || usage ;;
	--qds) QDS=${2:-}; shift 2 || usage ;;
	--repeat) REPEAT=${2:-}; shift 2 || usage ;;
	*) echo "nfvisor bench nvme: unknown option \"$1\"" >&2; usage ;;
	esac
done
if [ "$QUICK" = 1 ]; then
	: "${RUNTIME:=3}" "${QDS:=1,32}" "${REPEAT:=1}"
	RAMP=1
else
	: "${RUNTIME:=30}" "${QDS:=1,32}" "${REPEAT:=3}"
	RAMP=5
fi
: "${OUT:=bench-out/nvme-$(date -u +%Y%m%dT%H%M%SZ)}"
[[ $RUNTIME =~ ^[1-9][0-9]*$ ]] && [ "$RUNTIME" -le 3600 ] || die "bad --runtime \"$RUNTIME\": seconds 1..3600"
[[ $QDS =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "bad --qds \"$QDS\": comma-separated queue depths, e.g. 1,32"
for q in ${QDS//,/ }; do [ "$q" -le 1024 ] || die "bad queue depth $q in --qds: 1..1024"; done
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "bad --repeat \"$REPEAT\": a count >= 1"
[ "$(id -u)" = 0 ] || die "needs root (vfio-pci binding, the namespace's block device)"
[ -c /dev/kvm ] || die "needs /dev/kvm (nfvisor bench --list)"
[ -x "$BUILD/nfvisor-vmm" ] || die "$BUILD/nfvisor-vmm not built (run make)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (scripts/install-deps.sh)"
command -v jq >/dev/null || die "jq missing (scripts/install-deps.sh installs it)"
GNUPLOT=$(command -v gnuplot || command -v gnuplot-nox || command -v gnuplot-qt || command -v gnuplot-x11) ||
	die "gnuplot missing (scripts/install-deps.sh installs it)"
KVER=$(pick_kernel)
[ -n "$KVER" ] && [ -r "/boot/vmlinuz-$KVER" ] || die "no readable /boot/vmlinuz-*; install linux-image-amd64"
KERNEL=/boot/vmlinuz-$KVER
INITRD=${NFV_NVME_INITRD:-$BUILD/nested/nvme-l2-initrd.cpio}
if command -v fio >/dev/null && command -v modinfo >/dev/null; then
	build_initrd "$INITRD"
fi
[ -r "$INITRD" ] || die "no guest initramfs $INITRD and fio is not installed to build it (scripts/install-deps.sh)"
[ "$(cat "$INITRD.kver" 2>/dev/null)" = "$KVER" ] ||
	die "$INITRD was built for kernel '$(cat "$INITRD.kver" 2>/dev/null)', this run boots $KVER: rebuild it with bench/nvme.sh --build-initrd $INITRD"
GUEST_MB=512
FREE=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
[ "$FREE" -ge $((GUEST_MB / 2)) ] ||
	die "needs $((GUEST_MB / 2)) free 2 MiB hugepages for the passthrough guest, $FREE free (echo 512 > /proc/sys/vm/nr_hugepages)"

# ---- the controller ------------------------------------------------------
SYS=/sys/bus/pci/devices
MODE= PF= CTRL= NSID= BLK= PT_BDF= VF_CNTLID= ORIG_DRV= BOUND=0 VF_MADE=0 NS_MOVED=0 PRI_VQ= PRI_VI= AUTOPROBE0=
# ctrl_of BDF: its nvme controller name (nvme0), empty when no driver owns it
ctrl_of() { ls "$SYS/$1/nvme" 2>/dev/null | head -n1; }
# blk_of CTRL: the block device of its first namespace (multipath names
# nvmeXcYnZ are hidden paths of the head nvmeXnZ)
blk_of() {
	local e n
	for e in /sys/class/nvme/"$1"/nvme*n*; do
		[ -e "$e" ] || continue
		n=$(basename "$e")
		[ -b "/dev/$n" ] || n=$(echo "$n" | sed 's/c[0-9]*n/n/')
		[ -b "/dev/$n" ] && { echo "$n"; return 0; }
	done
	return 1
}
if [ -n "${NFV_HW_NVME:-}" ]; then
	PF=$NFV_HW_NVME
	[ -e "$SYS/$PF/class" ] || die "NFV_HW_NVME=$PF: no such PCI device ($SYS/$PF)"
	[ "$(cat "$SYS/$PF/class")" = 0x010802 ] || die "NFV_HW_NVME=$PF is class $(cat "$SYS/$PF/class"), not an NVMe controller (0x010802)"
else
	for d in "$SYS"/*; do
		[ "$(cat "$d/class")" = 0x010802 ] && [ -e "$d/sriov_totalvfs" ] && PF=${d##*/} && break
	done
	[ -n "$PF" ] || die "set NFV_HW_NVME=BDF to the NVMe controller to use (found no SR-IOV NVMe PF to take a VF of; a whole controller is only taken when named)"
fi
CTRL=$(ctrl_of "$PF")
[ -n "$CTRL" ] || die "NVMe $PF has no nvme driver bound (bind it: echo $PF > /sys/bus/pci/drivers/nvme/bind)"
BLK=$(blk_of "$CTRL") || die "NVMe $PF ($CTRL) has no namespace block device"
NSID=$(cat "/sys/block/$BLK/nsid" 2>/dev/null || cat "/sys/block/$BLK/device/nsid" 2>/dev/null || echo 1)
# every namespace of the controller and its partitions: not mounted, not
# swap, not held (LVM, MD, dm-crypt); the run takes the whole controller away
for e in /sys/class/nvme/"$CTRL"/nvme*n*; do
	[ -e "$e" ] || continue
	b=$(basename "$e")
	[ -e "/sys/block/$b" ] || b=$(echo "$b" | sed 's/c[0-9]*n/n/')
	for h in /sys/block/"$b"/holders /sys/block/"$b"/"$b"*/holders; do
		[ -d "$h" ] && [ -n "$(ls "$h")" ] &&
			die "/dev/$b (of $PF) is held by $(ls "$h" | tr '\n' ' ')(see $h): pick an unused controller"
	done
	if grep -q "^/dev/$b[p ]" /proc/mounts /proc/swaps; then
		die "/dev/$b (of $PF) or a partition of it is mounted or swap (/proc/mounts, /proc/swaps): pick an unused controller"
	fi
done
if [ -e "$SYS/$PF/sriov_totalvfs" ] && [ "$(cat "$SYS/$PF/sriov_totalvfs")" -gt 0 ] && command -v nvme >/dev/null; then
	MODE=vf
	[ "$(cat "$SYS/$PF/sriov_numvfs")" = 0 ] || die "NVMe PF $PF already has VFs (sriov_numvfs=$(cat "$SYS/$PF/sriov_numvfs")): echo 0 > $SYS/$PF/sriov_numvfs first"
else
	MODE=whole
fi
BYTES=$(($(cat "/sys/block/$BLK/size") * 512))
PF_CNTLID=$(cat "/sys/class/nvme/$CTRL/cntlid" 2>/dev/null || echo 0)
MODEL=$(cat "/sys/class/nvme/$CTRL/model" 2>/dev/null | sed 's/ *$//')
FW=$(cat "/sys/class/nvme/$CTRL/firmware_rev" 2>/dev/null | sed 's/ *$//')

# vf_prepare: one VF online with the PF's namespace attached to it (QEMU's
# flexible resources; a controller without them only creates the VF).
vf_prepare() {
	local caps
	caps=$(nvme primary-ctrl-caps "/dev/$CTRL" 2>/dev/null)
	# flexible resources allocated to the primary: given back by restore
	PRI_VQ=$(awk -F: '$1 ~ /^vqrfap/ {print $2 + 0; exit}' <<<"$caps")
	PRI_VI=$(awk -F: '$1 ~ /^virfap/ {print $2 + 0; exit}' <<<"$caps")
	AUTOPROBE0=$(cat "$SYS/$PF/sriov_drivers_autoprobe")
	VF_MADE=1 # from here on restore undoes: VF, autoprobe, the PF's flexible resources
	echo 0 >"$SYS/$PF/sriov_drivers_autoprobe"
	if [ "$(cat "$SYS/$PF/vendor")" = 0x1b36 ]; then
		nvme virt-mgmt "/dev/$CTRL" -c "$PF_CNTLID" -r 0 -a 1 -n 0 >/dev/null &&
			nvme virt-mgmt "/dev/$CTRL" -c "$PF_CNTLID" -r 1 -a 1 -n 0 >/dev/null && nvme reset "/dev/$CTRL" ||
			{ echo "nfvisor bench nvme: cannot free flexible resources of $CTRL" >&2; return 1; }
	fi
	echo 1 >"$SYS/$PF/sriov_numvfs" || { echo "nfvisor bench nvme: cannot create a VF on $PF" >&2; return 1; }
	PT_BDF=$(basename "$(readlink "$SYS/$PF/virtfn0")")
	VF_CNTLID=$(nvme list-secondary "/dev/$CTRL" 2>/dev/null | awk '/SCID/ {print $NF; exit}')
	[[ $VF_CNTLID =~ ^(0x)?[0-9a-fA-F]+$ ]] && VF_CNTLID=$((VF_CNTLID)) || VF_CNTLID=1
	if [ "$(cat "$SYS/$PF/vendor")" = 0x1b36 ]; then
		nvme virt-mgmt "/dev/$CTRL" -c "$VF_CNTLID" -r 1 -a 8 -n 1 >/dev/null &&
			nvme virt-mgmt "/dev/$CTRL" -c "$VF_CNTLID" -r 0 -a 8 -n 2 >/dev/null &&
			nvme virt-mgmt "/dev/$CTRL" -c "$VF_CNTLID" -r 0 -a 9 -n 0 >/dev/null ||
			{ echo "nfvisor bench nvme: cannot bring VF controller $VF_CNTLID online" >&2; return 1; }
		# a private namespace: detach from the PF, attach to the VF
		nvme detach-ns "/dev/$CTRL" -n "$NSID" -c "$PF_CNTLID" >/dev/null &&
			NS_MOVED=1 && nvme attach-ns "/dev/$CTRL" -n "$NSID" -c "$VF_CNTLID" >/dev/null ||
			{ echo "nfvisor bench nvme: cannot move namespace $NSID to VF controller $VF_CNTLID" >&2; return 1; }
		NS_MOVED=2
		nvme ns-rescan "/dev/$CTRL" >/dev/null 2>&1
	fi
	return 0
}

# bind_vfio: PT_BDF to vfio-pci (original driver recorded).
bind_vfio() {
	local d=$SYS/$PT_BDF
	[ -d /sys/bus/pci/drivers/vfio-pci ] || modprobe vfio-pci 2>/dev/null
	[ -d /sys/bus/pci/drivers/vfio-pci ] || { echo "nfvisor bench nvme: no vfio-pci driver (modprobe vfio-pci)" >&2; return 1; }
	ORIG_DRV=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	[ "$ORIG_DRV" = vfio-pci ] && return 0
	BOUND=1
	echo vfio-pci >"$d/driver_override"
	[ -z "$ORIG_DRV" ] || echo "$PT_BDF" >"$d/driver/unbind"
	echo "$PT_BDF" >/sys/bus/pci/drivers_probe
	[ "$(basename "$(readlink "$d/driver" 2>/dev/null)")" = vfio-pci ] ||
		{ echo "nfvisor bench nvme: cannot bind $PT_BDF to vfio-pci" >&2; return 1; }
}

# restore: everything as found, whatever step failed (idempotent).
restore() {
	local d
	bench_cleanup_point
	if [ "$BOUND" = 1 ] && [ -n "$PT_BDF" ]; then
		d=$SYS/$PT_BDF
		echo >"$d/driver_override" 2>/dev/null
		[ -e "$d/driver" ] && echo "$PT_BDF" >"$d/driver/unbind" 2>/dev/null
		[ -n "$ORIG_DRV" ] && echo "$PT_BDF" >/sys/bus/pci/drivers_probe 2>/dev/null
		BOUND=0
	fi
	if [ "$NS_MOVED" != 0 ]; then
		[ "$NS_MOVED" = 2 ] && nvme detach-ns "/dev/$CTRL" -n "$NSID" -c "$VF_CNTLID" >/dev/null 2>&1
		nvme attach-ns "/dev/$CTRL" -n "$NSID" -c "$PF_CNTLID" >/dev/null 2>&1
		nvme ns-rescan "/dev/$CTRL" >/dev/null 2>&1
		NS_MOVED=0
	fi
	if [ "$VF_MADE" = 1 ]; then
		[ -n "$VF_CNTLID" ] && nvme virt-mgmt "/dev/$CTRL" -c "$VF_CNTLID" -r 0 -a 7 -n 0 >/dev/null 2>&1
		echo 0 >"$SYS/$PF/sriov_numvfs" 2>/dev/null
		[ -n "$AUTOPROBE0" ] && echo "$AUTOPROBE0" >"$SYS/$PF/sriov_drivers_autoprobe" 2>/dev/null
		if [ "$(cat "$SYS/$PF/vendor")" = 0x1b36 ] && [ -n "$PRI_VQ" ] && [ -n "$PRI_VI" ]; then
			nvme virt-mgmt "/dev/$CTRL" -c "$PF_CNTLID" -r 0 -a 1 -n "$PRI_VQ" >/dev/null 2>&1
			nvme virt-mgmt "/dev/$CTRL" -c "$PF_CNTLID" -r 1 -a 1 -n "$PRI_VI" >/dev/null 2>&1
			nvme reset "/dev/$CTRL" >/dev/null 2>&1
		fi
		VF_MADE=0
	fi
}

mkdir -p "$OUT" || die "cannot create --out directory \"$OUT\""
OUT=$(cd "$OUT" && pwd)
T=$(mktemp -d /tmp/nfv-bench-nvme.XXXXXX)
P=nfvbnv$$
trap 'restore; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date +%s)
RAW=$OUT/trials.raw
: >"$RAW"
FAILED=0
CMDLINE="console=ttyS0 panic=-1 quiet nvb.qds=$QDS nvb.runtime=$RUNTIME nvb.ramp=$RAMP"
# guest budget: boot (minutes in a nested tier) + every job + slack
NQD=$(echo "${QDS//,/ }" | wc -w)
BUDGET=$((600 + NQD * (RUNTIME + RAMP + 30)))

# collect PATH REP LOG: the guest's NVB-RESULT lines into $RAW
collect() {
	local path=$1 rep=$2 log=$3 n
	tr -d '\r' <"$log" | sed -n "s/^NVB-RESULT /path=$path repeat=$rep /p" >>"$RAW"
	n=$(tr -d '\r' <"$log" | grep -c '^NVB-RESULT ')
	if [ "$n" -lt "$NQD" ]; then
		echo "nfvisor bench nvme: $path rep $rep: $n of the fio jobs reported; the guest said:" >&2
		tr -d '\r' <"$log" | grep -a 'NVB-\|nvme\|virtio\|fio\|Kernel panic\|error' | tail -n 12 | sed 's/^/  | /' >&2
		FAILED=$((FAILED + 1))
	fi
	tr -d '\r' <"$log" | sed -n 's/^NVB-DEV //p' | head -n1 >"$OUT/$path.dev"
}

# run_emulated REP: QEMU virtio-blk on /dev/$BLK, read-only, the host's driver
run_emulated() {
	local log=$OUT/console-emulated-$1.log
	echo "nfvisor bench nvme: [emulated rep $1] QEMU -accel kvm, virtio-blk on /dev/$BLK (read-only)" >&2
	setsid timeout -k 5 "$BUDGET" qemu-system-x86_64 -M q35 -accel kvm -cpu host -m "$GUEST_MB" -smp 1 \
		-nographic -no-reboot -vga none -nic none -serial stdio -monitor none \
		-kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE" \
		-drive "file=/dev/$BLK,format=raw,if=none,id=d0,cache=none,aio=native,readonly=on" \
		-device virtio-blk-pci,drive=d0 </dev/null >"$log" 2>"$T/emu-$1.err" &
	VM_PID=$!
	wait "$VM_PID"
	VM_PID=
	collect emulated "$1" "$log"
	[ -s "$T/emu-$1.err" ] && sed 's/^/  qemu: /' "$T/emu-$1.err" | tail -n 3 >&2
}

# run_passthrough REP: nfvisor-vmm with PT_BDF (bound to vfio-pci)
run_passthrough() {
	local log=$OUT/console-passthrough-$1.log
	echo "nfvisor bench nvme: [passthrough rep $1] nfvisor-vmm --device vfio:$PT_BDF" >&2
	setsid timeout -k 5 "$BUDGET" "$BUILD/nfvisor-vmm" --kernel "$KERNEL" --initrd "$INITRD" \
		--cmdline "$CMDLINE" --memory "${GUEST_MB}M" --hugepages 2M --vcpus 1 \
		--device "vfio:$PT_BDF" </dev/null >"$log" 2>"$T/pt-$1.err" &
	VM_PID=$!
	wait "$VM_PID"
	VM_PID=
	collect passthrough "$1" "$log"
	[ -s "$T/pt-$1.err" ] && grep -a -i 'error\|fail' "$T/pt-$1.err" | tail -n 3 | sed 's/^/  vmm: /' >&2
}

echo "nfvisor bench nvme: $PF ($MODEL, $CTRL, /dev/$BLK, $((BYTES >> 20)) MiB), mode $MODE," \
	"QD $QDS, ${RUNTIME}s per job (+${RAMP}s ramp), $REPEAT repeat(s) -> $OUT" >&2
# Emulated first, while the host's driver owns the namespace.
for rep in $(seq "$REPEAT"); do run_emulated "$rep"; done
if [ "$MODE" = vf ]; then
	vf_prepare || die "could not set up the VF (restored)"
else
	PT_BDF=$PF
fi
bind_vfio || die "could not bind $PT_BDF to vfio-pci (restored)"
for rep in $(seq "$REPEAT"); do run_passthrough "$rep"; done
restore
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq 50); do [ -b "/dev/$BLK" ] && break; sleep 0.2; done # the rescan is asynchronous
if [ -b "/dev/$BLK" ] && [ "$(basename "$(readlink "$SYS/$PF/driver" 2>/dev/null)")" = nvme ]; then
	HOST_RESTORED="yes: /dev/$BLK back, $PF on nvme"
else
	HOST_RESTORED="NO: /dev/$BLK or $PF's nvme driver missing after the run"
	FAILED=$((FAILED + 1))
fi

# ---- CSV, JSON, charts, report -------------------------------------------
kv_json() { # key=value lines -> one JSON object each; numbers stay numbers
	awk '{ printf "{"; for (i = 1; i <= NF; i++) { split($i, kv, "=")
		v = kv[2]; if (v !~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/) v = "\"" v "\""
		printf "%s\"%s\":%s", (i > 1 ? "," : ""), kv[1], v } print "}" }' "$1"
}
COLS=scenario,path,repeat,qd,iops,ios,runtime_ms,mean_ns,p50_ns,p90_ns,p99_ns,p999_ns
{
	echo "$COLS"
	kv_json "$RAW" | jq -r '["nvme", .path, .repeat, .qd, .iops, .ios, .runtime_ms, .mean_ns,
		.p50_ns, .p90_ns, .p99_ns, .p999_ns] | @csv' | tr -d '"'
} >"$OUT/trials.csv"
kv_json "$RAW" | jq -s '{scenario: "nvme", trials: .}' >"$OUT/trials.json"
rm -f "$RAW"
jq --arg pf "$PF" --arg mode "$MODE" --arg pt "$PT_BDF" --arg blk "$BLK" --arg model "$MODEL" \
	--arg restored "$HOST_RESTORED" '
	def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	.trials as $t |
	{scenario: "nvme", controller: $pf, mode: $mode, passthrough_bdf: $pt, emulated_blockdev: ("/dev/" + $blk),
	 model: $model, host_restored: $restored,
	 points: [$t | group_by([.path, .qd])[] | {path: .[0].path, qd: .[0].qd, repeats: length,
		iops: ([.[].iops] | median), p50_ns: ([.[].p50_ns] | median), p90_ns: ([.[].p90_ns] | median),
		p99_ns: ([.[].p99_ns] | median), p999_ns: ([.[].p999_ns] | median)}],
	 ratios: [$t | map(.qd) | unique[] as $q |
		([$t[] | select(.path == "passthrough" and .qd == $q) | .iops] | median) as $p |
		([$t[] | select(.path == "emulated" and .qd == $q) | .iops] | median) as $e |
		{qd: $q, passthrough_iops: $p, emulated_iops: $e,
		 iops_ratio: (if $p != null and $e != null and $e > 0 then ($p / $e * 1000 | round / 1000) else null end)}]}' \
	"$OUT/trials.json" >"$OUT/results.json" || die "jq could not summarise $OUT/trials.json"
if [ "$(jq '.points | length' "$OUT/results.json")" = 0 ]; then
	{
		echo "# nfvisor bench: nvme"
		echo
		echo "No fio job reported a result ($FAILED runs failed; their console logs are in this directory)."
		echo "Host restored: $HOST_RESTORED. No charts were drawn."
	} >"$OUT/report.md"
	die "no fio job produced a result; $OUT/report.md says so"
fi

jq -r '.ratios[] | "\(.qd) \(.passthrough_iops // 0) \(.emulated_iops // 0)"' "$OUT/results.json" >"$T/iops.dat"
"$GNUPLOT" <<EOF || die "gnuplot failed on the IOPS chart"
set terminal pngcairo size 900,540 noenhanced
set output '$OUT/iops.png'
set title 'nvme: 4 KiB random read IOPS, passthrough (nfvisor-vmm, VFIO) vs emulated (QEMU virtio-blk)'
set xlabel 'queue depth'
set ylabel 'IOPS (median of $REPEAT)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right
set grid y
set yrange [0:*]
plot '$T/iops.dat' using 2:xtic(1) title 'passthrough', '' using 3 title 'emulated'
EOF
jq -r '.points[] | "\(.path)@QD\(.qd) \(.p50_ns / 1e3) \(.p90_ns / 1e3) \(.p99_ns / 1e3) \(.p999_ns / 1e3)"' \
	"$OUT/results.json" >"$T/lat.dat"
bench_latency_chart "$OUT/latency.png" "nvme: 4 KiB random read completion latency (fio clat)" \
	"$T/lat.dat" || die "gnuplot failed on the latency chart"

{
	echo "# nfvisor bench: nvme"
	echo
	echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)," \
		"$(($(date +%s) - START)) s. Guest runs that failed: $FAILED. Host restored: $HOST_RESTORED."
	echo
	echo "## Configuration"
	echo
	echo "| item | value |"
	echo "|---|---|"
	echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') |"
	echo "| CPUs online | $(nproc) |"
	echo "| host kernel | $(uname -r) |"
	echo "| controller | $PF: $MODEL (firmware $FW), host controller $CTRL, namespace $NSID = /dev/$BLK, $((BYTES >> 20)) MiB |"
	if [ "$MODE" = vf ]; then
		echo "| passthrough | SR-IOV VF $PT_BDF (secondary controller $VF_CNTLID; the namespace was moved to it for the run and back) bound to vfio-pci, nfvisor-vmm --device vfio:$PT_BDF |"
	else
		echo "| passthrough | the whole controller $PT_BDF, unbound from ${ORIG_DRV:-no driver}, bound to vfio-pci for the run, nfvisor-vmm --device vfio:$PT_BDF |"
	fi
	echo "| emulated | QEMU $(bench_pkg_version qemu-system-x86) -accel kvm -cpu host: -drive file=/dev/$BLK,format=raw,cache=none,aio=native,readonly=on -device virtio-blk-pci (run first, while the host's nvme driver owned the namespace) |"
	echo "| guest | Debian kernel $KVER ($KERNEL), 1 vCPU, $GUEST_MB MiB (nfvisor-vmm: 2 MiB hugepages), busybox initramfs with the kernel's nvme / virtio_blk modules |"
	echo "| guest devices seen | passthrough: $(cat "$OUT/passthrough.dev" 2>/dev/null || echo none); emulated: $(cat "$OUT/emulated.dev" 2>/dev/null || echo none) |"
	echo "| workload | fio $(bench_pkg_version fio): randread, bs=4k, ioengine=libaio, direct=1, --readonly, one job per queue depth ($QDS), ${RUNTIME} s after ${RAMP} s ramp, whole device, norandommap |"
	echo "| repeats | $REPEAT (a fresh guest per path and repeat) |"
	echo "| load average before / after | $LOAD_BEFORE / $LOAD_AFTER |"
	echo
	echo "## IOPS (median over repeats) and passthrough / emulated"
	echo
	echo "| QD | passthrough IOPS | emulated IOPS | ratio |"
	echo "|---|---|---|---|"
	jq -r '.ratios[] | "| \(.qd) | \(.passthrough_iops // "none" | if type == "number" then round else . end) | \(.emulated_iops // "none" | if type == "number" then round else . end) | \(.iops_ratio // "none") |"' "$OUT/results.json"
	echo
	echo "## Completion latency (fio clat, median over repeats, microseconds)"
	echo
	echo "| path | QD | P50 | P90 | P99 | P99.9 |"
	echo "|---|---|---|---|---|---|"
	jq -r '.points[] | "| \(.path) | \(.qd) | \(.p50_ns / 1e3) | \(.p90_ns / 1e3) | \(.p99_ns / 1e3) | \(.p999_ns / 1e3) |"' "$OUT/results.json"
	echo
	echo "Charts: iops.png, latency.png. Every fio job: trials.csv, trials.json; medians and ratios: results.json;"
	echo "guest consoles: console-*.log."
} >"$OUT/report.md"
rm -f "$OUT/passthrough.dev" "$OUT/emulated.dev"
echo "nfvisor bench nvme: report in $OUT/report.md" >&2
[ "$FAILED" -eq 0 ]
