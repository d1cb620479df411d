#!/usr/bin/env bash
# Prepare the host for nfvisor's tests and demo: reserve 2 MiB hugepages,
# mount hugetlbfs at /dev/hugepages, and remove stale hugepage files that
# earlier DPDK / nfvisor runs left behind (files no running process holds).
#   scripts/setup-host.sh [--hugepages N]     (default 1024 = 2 GiB)
# Run as root.  Idempotent; never lowers an existing larger reservation.
set -euo pipefail

HUGEPAGES=${NFV_HUGEPAGES:-1024}
while [ $# -gt 0 ]; do
	case $1 in
	--hugepages) HUGEPAGES=${2:?--hugepages needs a count}; shift 2 ;;
	*) echo "setup-host: unknown option '$1' (usage: setup-host.sh [--hugepages N])" >&2; exit 2 ;;
	esac
done
die() { echo "setup-host: $*" >&2; exit 1; }
[[ $HUGEPAGES =~ ^[0-9]+$ ]] || die "--hugepages '$HUGEPAGES' is not a whole number"
[ "$(id -u)" = 0 ] || die "must run as root (writes /proc/sys/vm/nr_hugepages, mounts hugetlbfs)"

HP=/sys/kernel/mm/hugepages/hugepages-2048kB
[ -d "$HP" ] || die "kernel has no 2 MiB hugepage support ($HP missing; needs CONFIG_HUGETLBFS)"

# 1. mount point
if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages || die "mount -t hugetlbfs nodev /dev/hugepages failed"
	echo "setup-host: mounted hugetlbfs at /dev/hugepages"
else
	echo "setup-host: hugetlbfs already mounted at /dev/hugepages"
fi

# 2. stale hugepage files: DPDK's rtemap_* / <prefix>map_* and nfvisor's own,
# removed only when no process has them open or mapped.
# One pass over every process's mappings and open files.
USED=$( { cat /proc/[0-9]*/maps 2>/dev/null | awk '{print $6}'
	ls -l /proc/[0-9]*/fd 2>/dev/null | awk '{print $NF}'; } | grep '^/dev/hugepages/' | sort -u || true)
in_use() { printf '%s\n' "$USED" | grep -qxF -- "$1"; }
removed=0
while IFS= read -r -d '' f; do
	if ! in_use "$f"; then
		rm -f "$f" && removed=$((removed + 1))
	fi
done < <(find /dev/hugepages -maxdepth 1 -type f -print0)
echo "setup-host: removed $removed stale file(s) from /dev/hugepages"

# 3. reservation
cur=$(cat "$HP/nr_hugepages")
if [ "$cur" -lt "$HUGEPAGES" ]; then
	echo "$HUGEPAGES" >"$HP/nr_hugepages"
	cur=$(cat "$HP/nr_hugepages")
	[ "$cur" -ge "$HUGEPAGES" ] ||
		die "asked for $HUGEPAGES 2 MiB hugepages but the kernel reserved only $cur (memory fragmented or too small; free memory or reboot)"
	echo "setup-host: reserved $cur 2 MiB hugepages"
else
	echo "setup-host: $cur 2 MiB hugepages already reserved (>= $HUGEPAGES)"
fi
echo "setup-host: $(cat "$HP/free_hugepages") of $cur 2 MiB hugepages free"
