#!/usr/bin/env bash
# mk-l2-initrd.sh OUT: build the L2 guest initramfs (gzip'd newc cpio) from
# Debian's busybox-static only.  Its /init prints NESTED-INIT-REACHED, checks
# `nproc` and MemTotal against nested.cpus=N and nested.mem_mb=M from the
# kernel command line, prints "NESTED-OK cpus=N mem_kb=K" or
# "NESTED-FAIL <reason>", and powers off with `poweroff -f`.
# MemTotal must be within (0.75*M, M] MiB: the kernel keeps some memory.
set -euo pipefail
die() { echo "mk-l2-initrd: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: mk-l2-initrd.sh OUT"
BB=$(command -v busybox) || die "busybox not found; install busybox-static (scripts/install-deps.sh)"
! ldd "$BB" >/dev/null 2>&1 || die "$BB is not statically linked; install busybox-static"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/bin "$tmp"/proc "$tmp"/sys "$tmp"/dev
cp "$BB" "$tmp/bin/busybox"
cat >"$tmp/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "NESTED-INIT-REACHED"
want_cpus= want_mb=
for w in $(cat /proc/cmdline); do
	case $w in
	nested.cpus=*) want_cpus=${w#*=} ;;
	nested.mem_mb=*) want_mb=${w#*=} ;;
	esac
done
cpus=$(nproc)
mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
err=
if [ -z "$want_cpus" ] || [ -z "$want_mb" ]; then
	err="nested.cpus= or nested.mem_mb= missing from the kernel command line"
elif [ "$cpus" != "$want_cpus" ]; then
	err="nproc=$cpus expected $want_cpus"
elif [ "$mem_kb" -gt $((want_mb * 1024)) ] || [ "$mem_kb" -le $((want_mb * 768)) ]; then
	err="MemTotal=${mem_kb}kB not within (75%, 100%] of ${want_mb}MiB"
fi
if [ -z "$err" ]; then
	echo "NESTED-OK cpus=$cpus mem_kb=$mem_kb"
else
	echo "NESTED-FAIL $err (cpus=$cpus mem_kb=$mem_kb)"
fi
poweroff -f
INIT
chmod 755 "$tmp/init"
(cd "$tmp" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9 >"$1.tmp.$$"
mv "$1.tmp.$$" "$1"
