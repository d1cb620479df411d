#!/usr/bin/env bash
# SOAK_CYCLES (default 2) cycles of `nfvisor up` / `nfvisor down` of the demo
# appliance (examples/demo.yaml under another name: switch with a tap uplink,
# two nfguest VMs). Before the first cycle and after every `down` the host
# must look the same: open files (/proc/sys/fs/file-nr), processes, unix
# sockets, free and total 2M hugepages, /dev/hugepages files, network
# interfaces, /run/nfvisor entries. While up, every cycle's supervisor must
# have the same fd count as the first cycle's and an RSS within 1 MiB of it,
# and `up` must report every step ok. bench/updown_soak.sh runs 100 cycles.
# Needs KVM (make check-nested runs it in the TCG L1), root, DPDK plugins,
# /dev/net/tun, 128 2M hugepages.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/integration/orch_common.bash
need_root
need_kvm
need_cmd jq
[ -x "$NFV" ] && [ -x "$BUILD/nfvisor-switch" ] && [ -x "$BUILD/nfvisor-vmm" ] ||
	skip_all "nfvisor, nfvisor-switch or nfvisor-vmm not built (make)"
[ -f "$BUILD/guest/nfguest.elf" ] || skip_all "$BUILD/guest/nfguest.elf not built (make)"
orch_l1_prepare
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun (the demo's uplink is a tap port; modprobe tun)"
CYCLES=${SOAK_CYCLES:-2}
[[ $CYCLES =~ ^[1-9][0-9]*$ ]] || skip_all "SOAK_CYCLES '$CYCLES' is not a positive number"
NAME=updown
[ -e /run/nfvisor/$NAME ] && skip_all "an appliance \"$NAME\" is already up here"
export NFV_SWITCH_TIMEOUT=180 NFV_VM_TIMEOUT=180 # TCG L1 is slow
sed -e "s/^name: demo$/name: $NAME/" -e "s/nfv-demo0/nfv-$NAME/" \
	-e "s|build/guest/nfguest.elf|$PWD/$BUILD/guest/nfguest.elf|" \
	examples/demo.yaml >"$TEST_TMP/app.yaml"
grep -q "^name: $NAME$" "$TEST_TMP/app.yaml" || skip_all "examples/demo.yaml changed shape (no 'name: demo')"
orch_cleanup_on_exit $NAME
HP=/sys/kernel/mm/hugepages/hugepages-2048kB

# snapshot: one line per resource the appliance must give back.
snapshot() {
	echo "files $(cut -f1 /proc/sys/fs/file-nr)"
	echo "processes $(grep -sl . /proc/[0-9]*/cmdline | wc -l)" # kernel threads have none
	echo "unix_sockets $(($(wc -l </proc/net/unix) - 1))"
	echo "hugepages_total $(cat $HP/nr_hugepages) free $(cat $HP/free_hugepages)"
	echo "hugepage_files $(ls -A /dev/hugepages | tr '\n' ' ')"
	echo "netdevs $(ls /sys/class/net | tr '\n' ' ')"
	echo "run_nfvisor $(ls -A /run/nfvisor 2>/dev/null | tr '\n' ' ')"
}
snapshot >"$TEST_TMP/snap.ref"
ok_up=0 ok_down=0 bad=0 sup_fd0= sup_rss0= sup_rss_max=0 t0=$(date +%s)
for i in $(seq "$CYCLES"); do
	if ! "$NFV" up "$TEST_TMP/app.yaml" >"$TEST_TMP/up.out" 2>&1 ||
		! grep -q '^\[5/5\] starting VM vm2 ... ok' "$TEST_TMP/up.out"; then
		tap_fail "cycle $i: up" "$(tail -c 800 "$TEST_TMP/up.out")"
		bad=1
		break
	fi
	ok_up=$((ok_up + 1))
	sup=$(awk '{print $2}' /run/nfvisor/$NAME/proc.supervisor 2>/dev/null)
	fd=$(ls /proc/"$sup"/fd 2>/dev/null | wc -l)
	rss=$(awk '/^VmRSS:/ {print $2}' /proc/"$sup"/status 2>/dev/null)
	if [ -z "$sup_fd0" ]; then
		sup_fd0=$fd sup_rss0=$rss
	elif [ "$fd" != "$sup_fd0" ] || [ $((rss - sup_rss0)) -gt 1024 ]; then
		tap_fail "cycle $i: supervisor fds $sup_fd0 -> $fd, RSS $sup_rss0 -> $rss kB"
		bad=1
	fi
	[ "${rss:-0}" -gt "$sup_rss_max" ] && sup_rss_max=$rss
	if ! "$NFV" down $NAME >"$TEST_TMP/down.out" 2>&1; then
		tap_fail "cycle $i: down" "$(tail -c 800 "$TEST_TMP/down.out")"
		bad=1
		break
	fi
	ok_down=$((ok_down + 1))
	left=$(orch_leftovers $NAME)
	if [ -n "$left" ]; then
		tap_fail "cycle $i: down left something behind" "$(echo "$left" | head -5 | tr '\n' ';')"
		bad=1
		break
	fi
	snapshot >"$TEST_TMP/snap.$i"
	if ! diff -u "$TEST_TMP/snap.ref" "$TEST_TMP/snap.$i" >"$TEST_TMP/snap.diff"; then
		# Transient kernel objects (a socket in close) get one more look.
		sleep 2
		snapshot >"$TEST_TMP/snap.$i"
		if ! diff -u "$TEST_TMP/snap.ref" "$TEST_TMP/snap.$i" >"$TEST_TMP/snap.diff"; then
			tap_fail "cycle $i: host state differs from before cycle 1" "$(tr '\n' ';' <"$TEST_TMP/snap.diff")"
			bad=1
		fi
	fi
	echo "# cycle $i/$CYCLES: $(($(date +%s) - t0)) s, supervisor fds $fd RSS $rss kB"
done
tap_check "$ok_up/$CYCLES up and $ok_down/$CYCLES down succeeded" [ "$ok_up$ok_down" = "$CYCLES$CYCLES" ]
if [ "$bad" = 0 ]; then
	tap_ok "after $CYCLES cycles: host state identical, supervisor fds $sup_fd0 every cycle, RSS $sup_rss0..$sup_rss_max kB"
else
	tap_fail "after $CYCLES cycles: host state identical"
fi
tap_diag <"$TEST_TMP/snap.ref"
echo "# $CYCLES cycles in $(($(date +%s) - t0)) s"
tap_done
