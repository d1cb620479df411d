#!/usr/bin/env bash
# l1run.sh — run a shell command as root inside a pure-TCG QEMU "L1" guest
# that has a working /dev/kvm (kvm_amd on QEMU's emulated SVM+NPT).  This is
# how KVM code is tested on hosts without /dev/kvm (see tests/nested/README
# section in the top-level README).
#
#   tests/nested/l1run.sh [options] -- 'shell command'
#     --smp N          L1 vCPUs (default 2)
#     --mem MB         L1 memory (default 2048)
#     --hugepages N    2 MiB hugepages reserved in L1, hugetlbfs on /dev/hugepages (default 256)
#     --vfio           q35 + intel-iommu + an SR-IOV NVMe behind a pcie-root-port;
#                      loads vfio, vfio_iommu_type1, vfio-pci, nvme; ships nvme-cli
#     --qemu           also ship qemu-system-x86_64 + firmware (QEMU as an L2 VMM)
#     --dpdk           also ship dpdk-testpmd and DPDK's PMD plugin directory
#     --valgrind       also ship valgrind (memcheck, amd64) and the libc6-dbg
#                      symbols of ld.so and libc that memcheck needs
#     --add PATH       ship a host file (ELF: with its libraries); repeatable
#     --timeout SEC    kill L1 after SEC seconds and exit 124 (default 600)
#     --stall SEC      kill L1 and exit 126 when its heartbeat (a line L1's init
#                      prints every 20 s while the command runs) has not come
#                      for SEC seconds: L1 froze (default 300)
#     --build DIR      build directory shipped with the repo (default build)
#     --verbose        also print L1's boot messages (to stderr)
#
# Inside L1 the repo is at the same absolute path as on the host (git-tracked
# and untracked-but-not-ignored files, plus DIR without obj/ and nested/, plus
# DIR/nested/assets/ as its own cached layer), the
# command runs with bash, cwd = repo root, stdin = /dev/null, env BUILD=DIR.
# Its stdout+stderr are streamed to our stdout; we exit with its exit status.
# 124 = timeout, 125 = L1 failed before reporting a status.
# Initramfs layers are cached in DIR/nested/; only changed layers are rebuilt.
set -euo pipefail

die() { echo "l1run: $*" >&2; exit 125; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
SMP=2 MEM=2048 HUGEPAGES=256 VFIO=0 WITH_QEMU=0 WITH_DPDK=0 WITH_VALGRIND=0 TIMEOUT=600 STALL=300 BUILD=build VERBOSE=0
ADD=()
while [ $# -gt 0 ]; do
	case $1 in
	--smp) SMP=${2:?--smp needs a number}; shift 2 ;;
	--mem) MEM=${2:?--mem needs MB}; shift 2 ;;
	--hugepages) HUGEPAGES=${2:?--hugepages needs a count}; shift 2 ;;
	--vfio) VFIO=1; shift ;;
	--qemu) WITH_QEMU=1; shift ;;
	--dpdk) WITH_DPDK=1; shift ;;
	--valgrind) WITH_VALGRIND=1; shift ;;
	--add) ADD+=("${2:?--add needs a path}"); shift 2 ;;
	--timeout) TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
	--stall) STALL=${2:?--stall needs seconds}; shift 2 ;;
	--build) BUILD=${2:?--build needs a directory}; shift 2 ;;
	--verbose) VERBOSE=1; shift ;;
	--) shift; break ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (usage: l1run.sh [options] -- 'command'; see --help)" ;;
	esac
done
[ $# -ge 1 ] || die "no command given (usage: l1run.sh [options] -- 'command')"
CMD=$*
for v in SMP MEM HUGEPAGES TIMEOUT STALL; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "--${v,,} '${!v}' is not a whole number"
done
[ "$SMP" -ge 1 ] || die "--smp must be at least 1"
need_mb=$((HUGEPAGES * 2 + 640))
[ "$MEM" -ge "$need_mb" ] || die "--mem $MEM MB is too small for $HUGEPAGES hugepages; use --mem $need_mb or more"

for tool in qemu-system-x86_64 busybox cpio gzip modinfo ldd bash timeout; do
	command -v "$tool" >/dev/null || die "'$tool' not found; run scripts/install-deps.sh"
done
[ "$VFIO" = 0 ] || command -v nvme >/dev/null || die "'nvme' (nvme-cli) not found; run scripts/install-deps.sh"

# Kernel: the newest /boot/vmlinuz-* whose modules are installed.
KVER=
for k in $(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V -r); do
	if [ -d "/lib/modules/$k/kernel" ] && modinfo -k "$k" -n kvm-amd >/dev/null 2>&1; then KVER=$k; break; fi
done
[ -n "$KVER" ] || die "no /boot/vmlinuz-* with matching kvm-amd module; install linux-image-amd64 (scripts/install-deps.sh)"
KERNEL=/boot/vmlinuz-$KVER
[ -r "$KERNEL" ] || die "$KERNEL is not readable (run as root)"

case $BUILD in /*) BUILD_ABS=$BUILD ;; *) BUILD_ABS=$REPO/$BUILD ;; esac
mkdir -p "$BUILD_ABS/nested"
BUILD_ABS=$(cd "$BUILD_ABS" && pwd -P)
CACHE=$BUILD_ABS/nested
LAYER_VERSION=5 # bump when the layer layout or /init changes

WORK=$(mktemp -d /tmp/l1run.XXXXXX)
QPID=
cleanup() {
	if [ -n "$QPID" ]; then
		kill -TERM "$QPID" 2>/dev/null
		sleep 1
		kill -KILL "$QPID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- helpers that fill a staging tree -------------------------------------
# new_stage DIR: empty root with Debian's merged-/usr symlinks.
new_stage() {
	mkdir -p "$1"/usr/bin "$1"/usr/sbin "$1"/usr/lib "$1"/usr/lib64
	ln -sfn usr/bin "$1/bin"; ln -sfn usr/sbin "$1/sbin"
	ln -sfn usr/lib "$1/lib"; ln -sfn usr/lib64 "$1/lib64"
}
# stage_file DIR PATH: copy PATH to DIR/PATH.  A symlink is copied as a
# symlink and its target staged too, so a library reached through two names
# stays one file (the dynamic loader must not map it twice).
stage_file() {
	local d=$1 p=$2 t n=0
	while [ -L "$p" ] && [ $n -lt 16 ]; do
		t=$(readlink "$p")
		mkdir -p "$d$(dirname "$p")"
		[ -e "$d$p" ] || [ -L "$d$p" ] || ln -s "$t" "$d$p"
		case $t in /*) p=$t ;; *) p=$(dirname "$p")/$t ;; esac
		n=$((n + 1))
	done
	[ -e "$d$p" ] && [ ! -L "$d$p" ] && return 0
	mkdir -p "$d$(dirname "$p")"
	cp -L "$p" "$d$p"
}
# elf_libs PATH...: libraries the dynamic loader needs for the given ELFs.
elf_libs() {
	local f
	for f in "$@"; do
		file_is_elf "$f" || continue
		ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\/[^ ]*ld-linux/{print $1}' || true
	done | sort -u
}
file_is_elf() { [ -f "$1" ] && [ "$(head -c4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }
# pack DIR OUT: newc cpio of DIR, gzip -1.
pack() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$2.tmp.$$" && mv "$2.tmp.$$" "$2"; }
hash_of() { md5sum | cut -c1-16; }

# ---- layer 1: base (busybox, modules, bash, /init) -------------------------
mod_order() { # mod_order NAME...: modules with dependencies first, one path per line
	local seen=" " out=()
	visit() {
		local m=${1//_/-} d
		case $seen in *" $m "*) return ;; esac
		seen="$seen$m "
		for d in $(modinfo -k "$KVER" -F depends "$m" 2>/dev/null | tr ',' ' '); do visit "$d"; done
		out+=("$(modinfo -k "$KVER" -n "$m")") || die "module $m missing for kernel $KVER"
	}
	for m in "$@"; do visit "$m"; done
	printf '%s\n' "${out[@]}"
}
KVM_MODS=$(mod_order irqbypass ccp kvm kvm-amd)
VFIO_MODS=$(mod_order vfio vfio_iommu_type1 vfio-pci nvme)
# tap and veth for switch/appliance tests; loaded when present, never fatal
NET_MODS=$(for m in tun veth; do p=$(modinfo -k "$KVER" -n "$m" 2>/dev/null) && [ -f "$p" ] && echo "$p"; done || true)
# Real GNU/Linux tools for tests (busybox provides the rest): every program of
# these Debian packages that is installed, plus a few single programs.
BASE_PKGS="bash coreutils grep sed findutils diffutils procps psmisc jq strace"
BASE_EXTRA="taskset flock setsid nsenter unshare ip"
mapfile -t BASE_TOOLS < <( { dpkg -L $BASE_PKGS 2>/dev/null | grep -E "^/(usr/)?s?bin/[^/]+\$"
	for t in $BASE_EXTRA; do command -v "$t" || true; done; } |
	while read -r f; do [ -f "$f" ] && [ -x "$f" ] && echo "$f"; done | sort -u)

base_key=$( { echo "$LAYER_VERSION $KVER"; sed -n '/^#L1INIT-BEGIN/,/^#L1INIT-END/p' "$0";
	for f in $(command -v busybox) "${BASE_TOOLS[@]}" $KVM_MODS $VFIO_MODS $NET_MODS $(command -v nvme || true); do
		stat -L -c '%n %s %Y' "$f"; done; } | hash_of)
BASE=$CACHE/base-$base_key.cpio.gz

write_init() {
	cat >"$1" <<'EOF'
#L1INIT-BEGIN
#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
chmod 755 / # rootfs is a tmpfs (mode 1777); DPDK refuses world-writable plugin paths
mkdir -p /proc /sys /dev /tmp /run /root /var/tmp
ln -sfn /run /var/run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm /dev/hugepages
mount -t devpts devpts /dev/pts
mount -t tmpfs tmp /dev/shm
chmod 1777 /tmp /var/tmp # not a tmpfs: the repo may live under /tmp
mount -t tmpfs tmp /run
echo 1 >/proc/sys/kernel/printk
. /l1run/env
fail() { echo "l1run-init: $*"; echo "@@L1RUN-EXIT-$NONCE rc=125@@"; poweroff -f; }
load() {
	for m in $(cat "$1"); do
		n=$(basename "$m" .ko | tr - _)
		[ -d "/sys/module/$n" ] || insmod "$m" || fail "insmod $m failed"
	done
}
load /l1run/kvm.mods
for m in $(cat /l1run/net.mods); do insmod "$m" 2>/dev/null; done
[ "$VFIO" = 1 ] && load /l1run/vfio.mods
[ -c /dev/kvm ] || fail "/dev/kvm missing after loading kvm-amd (is L1 -cpu max with svm?)"
mount -t hugetlbfs nodev /dev/hugepages || fail "cannot mount hugetlbfs"
echo "$HUGEPAGES" >/proc/sys/vm/nr_hugepages
got=$(cat /proc/sys/vm/nr_hugepages)
[ "$got" -ge "$HUGEPAGES" ] || fail "reserved only $got of $HUGEPAGES hugepages; raise --mem"
ip link set lo up 2>/dev/null
hostname l1
cd "$REPO" || fail "repo $REPO missing in initramfs"
# The heartbeat: l1run.sh ends a run whose L1 stops printing it (frozen).
(while sleep 20; do echo "@@L1RUN-BEAT-$NONCE@@"; done) &
beat=$!
echo "@@L1RUN-START-$NONCE@@"
BUILD=$BUILD L1RUN=1 bash /l1run/cmd </dev/null 2>&1
rc=$?
kill $beat
echo "@@L1RUN-EXIT-$NONCE rc=$rc@@"
sync
poweroff -f
#L1INIT-END
EOF
	sed -i '/^#L1INIT-/d' "$1"
	chmod 755 "$1"
}

if [ ! -f "$BASE" ]; then
	echo "l1run: building base layer for kernel $KVER" >&2
	S=$WORK/base
	new_stage "$S"
	cp "$(command -v busybox)" "$S/usr/bin/busybox"
	mkdir -p "$S/l1run" "$S/lib/modules/$KVER"
	for f in "${BASE_TOOLS[@]}" $KVM_MODS $VFIO_MODS $NET_MODS; do stage_file "$S" "$f"; done
	if command -v nvme >/dev/null; then stage_file "$S" "$(command -v nvme)"; fi
	for f in $(elf_libs "${BASE_TOOLS[@]}" "$(command -v nvme || true)"); do stage_file "$S" "$f"; done
	echo "$KVM_MODS" >"$S/l1run/kvm.mods"
	echo "$VFIO_MODS" >"$S/l1run/vfio.mods"
	echo "$NET_MODS" >"$S/l1run/net.mods"
	stage_file "$S" "$KERNEL"
	write_init "$S/init"
	find "$CACHE" -maxdepth 1 -name "base-*.cpio.gz" -mmin +30 -delete
	pack "$S" "$BASE"
fi
LAYERS=("$BASE")

# ---- layer 2 (optional): QEMU + firmware -----------------------------------
if [ "$WITH_QEMU" = 1 ]; then
	Q=$(command -v qemu-system-x86_64)
	qemu_key=$( { echo $LAYER_VERSION; stat -L -c '%n %s %Y' "$Q" $(elf_libs "$Q"); } | hash_of)
	QLAYER=$CACHE/qemu-$qemu_key.cpio.gz
	if [ ! -f "$QLAYER" ]; then
		echo "l1run: building qemu layer" >&2
		S=$WORK/qemu
		new_stage "$S"
		for f in "$Q" $(elf_libs "$Q"); do stage_file "$S" "$f"; done
		mkdir -p "$S/usr/share/qemu" "$S/usr/share/seabios"
		for f in bios-microvm.bin qboot.rom linuxboot_dma.bin linuxboot.bin kvmvapic.bin pvh.bin multiboot_dma.bin; do
			[ -e "/usr/share/qemu/$f" ] && stage_file "$S" "/usr/share/qemu/$f"
		done
		cp -a /usr/share/qemu/keymaps "$S/usr/share/qemu/" 2>/dev/null || true
		for f in /usr/share/seabios/bios-256k.bin /usr/share/seabios/bios.bin; do
			[ -e "$f" ] && stage_file "$S" "$f"
		done
		find "$CACHE" -maxdepth 1 -name "qemu-*.cpio.gz" -mmin +30 -delete
		pack "$S" "$QLAYER"
	fi
	LAYERS+=("$QLAYER")
fi

# ---- layer 2a (optional): dpdk-testpmd + a few PMDs ------------------------
if [ "$WITH_DPDK" = 1 ]; then
	TPMD=$(command -v dpdk-testpmd) || die "dpdk-testpmd not found; run scripts/install-deps.sh"
	PMDDIR=$(ls -d /usr/lib/x86_64-linux-gnu/dpdk/pmds-* 2>/dev/null | head -n1)
	[ -n "$PMDDIR" ] || die "no DPDK PMD directory /usr/lib/x86_64-linux-gnu/dpdk/pmds-*; install dpdk"
	# EAL loads every plugin in PMDDIR at start, so ship all of them with
	# their libraries (a partial directory makes EAL fail "Cannot init plugins").
	PMDS=("$PMDDIR"/*)
	dpdk_key=$( { echo $LAYER_VERSION; stat -L -c '%n %s %Y' "$TPMD" "${PMDS[@]}"; } | hash_of)
	DLAYER=$CACHE/dpdk-$dpdk_key.cpio.gz
	if [ ! -f "$DLAYER" ]; then
		echo "l1run: building dpdk layer" >&2
		S=$WORK/dpdk
		new_stage "$S"
		mkdir -p "$S$PMDDIR"
		cp -a "${PMDS[@]}" "$S$PMDDIR/"
		for f in "$TPMD" $(elf_libs "$TPMD" "${PMDS[@]}"); do stage_file "$S" "$f"; done
		find "$CACHE" -maxdepth 1 -name "dpdk-*.cpio.gz" -mmin +30 -delete
		pack "$S" "$DLAYER"
	fi
	LAYERS+=("$DLAYER")
fi

# ---- layer 2c (optional): valgrind (memcheck) + ld.so/libc debug symbols ----
if [ "$WITH_VALGRIND" = 1 ]; then
	VG=$(command -v valgrind) || die "valgrind not found; run scripts/install-deps.sh"
	VGLIB=/usr/libexec/valgrind
	[ -x "$VGLIB/memcheck-amd64-linux" ] || die "$VGLIB/memcheck-amd64-linux missing; reinstall valgrind"
	VGFILES=("$VG" "$VGLIB"/memcheck-amd64-linux "$VGLIB"/none-amd64-linux "$VGLIB"/getoff-amd64-linux
		"$VGLIB"/vgpreload_core-amd64-linux.so "$VGLIB"/vgpreload_memcheck-amd64-linux.so "$VGLIB"/default.supp)
	# Debian's valgrind is a shell wrapper around valgrind.bin
	[ -x "$VG.bin" ] && VGFILES+=("$VG.bin")
	# memcheck must see ld.so's symbols (libc6-dbg, by build id) to start
	for f in /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/libc.so.6; do
		id=$(readelf -n "$(readlink -f "$f")" 2>/dev/null | awk '/Build ID/{print $3}')
		dbg=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
		[ -n "$id" ] && [ -f "$dbg" ] || die "no debug symbols for $f ($dbg); install libc6-dbg (scripts/install-deps.sh)"
		VGFILES+=("$dbg")
	done
	vg_key=$( { echo $LAYER_VERSION; stat -L -c '%n %s %Y' "${VGFILES[@]}"; } | hash_of)
	VLAYER=$CACHE/valgrind-$vg_key.cpio.gz
	if [ ! -f "$VLAYER" ]; then
		echo "l1run: building valgrind layer" >&2
		S=$WORK/valgrind
		new_stage "$S"
		for f in "${VGFILES[@]}" $(elf_libs "${VGFILES[@]}"); do stage_file "$S" "$f"; done
		find "$CACHE" -maxdepth 1 -name "valgrind-*.cpio.gz" -mmin +30 -delete
		pack "$S" "$VLAYER"
	fi
	LAYERS+=("$VLAYER")
fi

# ---- layer 2b: large test assets in DIR/nested/assets/ (e.g. the L2 vmlinux) ----
# Shipped at the same path, cached separately so repo edits do not repack them.
ASSETS=$CACHE/assets
if [ -d "$ASSETS" ] && [ -n "$(ls -A "$ASSETS")" ]; then
	assets_key=$( { echo $LAYER_VERSION; find "$ASSETS" -type f -printf "%p %s %T@\n" | LC_ALL=C sort; } | hash_of)
	ALAYER=$CACHE/assets-$assets_key.cpio.gz
	if [ ! -f "$ALAYER" ]; then
		S=$WORK/assets
		new_stage "$S"
		mkdir -p "$S$ASSETS"
		cp -a "$ASSETS/." "$S$ASSETS/"
		find "$CACHE" -maxdepth 1 -name "assets-*.cpio.gz" -mmin +30 -delete
		pack "$S" "$ALAYER"
	fi
	LAYERS+=("$ALAYER")
fi

# ---- layer 3: the repo + build dir + libraries of its ELFs + --add files ----
cd "$REPO"
list_repo() {
	git -C "$REPO" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\n' "$REPO/$f"; done
	find "$BUILD_ABS" \( -path "$BUILD_ABS/nested" -o -path "$BUILD_ABS/obj" -o -path "$BUILD_ABS/test-logs" \) -prune \
		-o \( -type f -o -type l \) -print
}
FILES=$WORK/files
list_repo | LC_ALL=C sort -u >"$FILES"
ELFS=()
while IFS= read -r f; do file_is_elf "$f" && ELFS+=("$f"); done < <(grep "^$BUILD_ABS/" "$FILES" || true)
for a in "${ADD[@]+"${ADD[@]}"}"; do
	[ -e "$a" ] || die "--add $a: no such file"
	a=$(readlink -f "$a")
	echo "$a" >>"$FILES"
	file_is_elf "$a" && ELFS+=("$a")
done
LIBS=$(elf_libs "${ELFS[@]+"${ELFS[@]}"}")
repo_key=$( { echo $LAYER_VERSION; tr '\n' '\0' <"$FILES" | xargs -0 -r stat -c '%n %s %Y %a';
	[ -z "$LIBS" ] || stat -L -c '%n %s %Y' $LIBS; } | hash_of)
RLAYER=$CACHE/repo-$repo_key.cpio.gz
if [ ! -f "$RLAYER" ]; then
	S=$WORK/repo
	new_stage "$S"
	# tar keeps modes and symlinks; paths stay absolute-as-relative under $S
	sed 's|^/||' "$FILES" | tar -C / --no-recursion -cf - -T - | tar -C "$S" -xf -
	for f in $LIBS; do stage_file "$S" "$f"; done
	find "$CACHE" -maxdepth 1 -name "repo-*.cpio.gz" -mmin +30 -delete
	pack "$S" "$RLAYER"
fi
LAYERS+=("$RLAYER")

# ---- layer 4: this run's command and settings (uncompressed) ---------------
NONCE=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
S=$WORK/cmd
mkdir -p "$S/l1run"
printf '%s\n' "$CMD" >"$S/l1run/cmd"
{
	echo "NONCE=$NONCE"; echo "HUGEPAGES=$HUGEPAGES"; echo "VFIO=$VFIO"
	printf 'REPO=%q\nBUILD=%q\n' "$REPO" "$BUILD"
} >"$S/l1run/env"
(cd "$S" && find . -mindepth 1 | cpio -o -H newc --quiet) >"$WORK/cmd.cpio"
for l in "${LAYERS[@]}" "$WORK/cmd.cpio"; do cat "$l"; head -c $((512 + (4 - $(stat -c %s "$l") % 4) % 4)) /dev/zero; done >"$WORK/initrd"

# ---- boot L1 -----------------------------------------------------------------
APPEND="console=ttyS0 quiet loglevel=1 panic=-1 hugepagesz=2M"
QARGS=(-accel tcg -cpu max -m "$MEM" -smp "$SMP" -nographic -no-reboot -vga none -nic none
	-kernel "$KERNEL" -initrd "$WORK/initrd")
if [ "$VFIO" = 1 ]; then
	truncate -s 64M "$WORK/nvme.img"
	QARGS+=(-M q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on
		-device pcie-root-port,id=rp1,chassis=1
		-drive "file=$WORK/nvme.img,if=none,id=nvm,format=raw"
		-device nvme-subsys,id=subsys0
		-device nvme,serial=deadbeef,subsys=subsys0,bus=rp1,sriov_max_vfs=2,sriov_vq_flexible=8,sriov_vi_flexible=4,max_ioqpairs=10,msix_qsize=5
		-device nvme-ns,drive=nvm,shared=false)
	APPEND="$APPEND intel_iommu=on"
else
	QARGS+=(-M q35)
fi
QARGS+=(-append "$APPEND")

# Per-run console log, kept only when the run fails (concurrent runs share DIR).
find "$CACHE" -maxdepth 1 -name 'console-*.log' -mmin +120 -delete 2>/dev/null
CONSOLE_LOG=$CACHE/console-$NONCE.log
: >"$CONSOLE_LOG"
mkfifo "$WORK/out"
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 "${QARGS[@]}" </dev/null >"$WORK/out" 2>"$WORK/qemu.err" &
QPID=$!
state=boot rc= pending= alive=$SECONDS stalled=0
while :; do
	# A read that times out keeps its partial line for the next one.
	if IFS= read -r -t 10 line; then
		line=$pending$line pending=
	elif [ $? -gt 128 ]; then
		pending+=$line
		if [ "$state" = run ] && [ $((SECONDS - alive)) -ge "$STALL" ]; then
			stalled=1
			kill -TERM "$QPID" 2>/dev/null # timeout(1) passes it on to QEMU
			break
		fi
		continue
	else
		line=$pending$line pending=
		[ -n "$line" ] || break # end of output
	fi
	alive=$SECONDS
	line=${line//$'\r'/}
	case $line in *"@@L1RUN-BEAT-$NONCE@@"*)
		line=${line//@@L1RUN-BEAT-$NONCE@@/}
		[ -n "$line" ] || continue ;;
	esac
	printf '%s\n' "$line" >>"$CONSOLE_LOG"
	case $state:$line in
	boot:*"@@L1RUN-START-$NONCE@@"*) state=run ;;
	*:*"@@L1RUN-EXIT-$NONCE rc="*)
		pre=${line%%@@L1RUN-EXIT-*}
		[ -n "$pre" ] && printf '%s\n' "$pre"
		rc=${line##*rc=}; rc=${rc%%@@*}
		state=done ;;
	boot:*) [ "$VERBOSE" = 1 ] && printf '%s\n' "$line" >&2 ;;
	run:*"l1run-init: "*) printf '%s\n' "$line" >&2 ;;
	run:*) printf '%s\n' "$line" ;;
	done:*) ;;
	esac
	if [ "$state" = boot ]; then
		case $line in *"l1run-init: "*) printf '%s\n' "$line" >&2 ;; esac
	fi
done <"$WORK/out"
set +e
wait "$QPID"
qrc=$?
set -e
QPID=
if [ "$stalled" = 1 ]; then
	echo "l1run: L1 froze: no output, not even its heartbeat, for ${STALL}s; killed. Console log $CONSOLE_LOG ends:" >&2
	tail -n 5 "$CONSOLE_LOG" | sed 's/^/  | /' >&2
	exit 126
fi
if [ -n "$rc" ] && [[ $rc =~ ^[0-9]+$ ]]; then
	[ "$rc" = 125 ] && echo "l1run: L1 init failed; console log: $CONSOLE_LOG" >&2 || rm -f "$CONSOLE_LOG"
	exit "$rc"
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "l1run: timed out after ${TIMEOUT}s (state: $state); console log: $CONSOLE_LOG" >&2
	exit 124
fi
echo "l1run: L1 ended (qemu exit $qrc) without reporting the command's status; console log $CONSOLE_LOG ends:" >&2
tail -n 20 "$CONSOLE_LOG" | sed 's/^/  | /' >&2
[ -s "$WORK/qemu.err" ] && sed 's/^/  qemu: /' "$WORK/qemu.err" >&2
exit 125
