#!/usr/bin/env bash
# SOAK_CYCLES (default 2) cycles of `nfvisor up` / `nfvisor down` of the demo
# appliance (examples/demo.yaml under another name: switch with a tap uplink,
# two nfguest VMs). Before the first cycle and after every `down` the host
# must look the same: processes (by name) and their open fds, unix sockets, free and total 2M hugepages, /dev/hugepages files, network
# interfaces, /run/nfvisor entries. While up, every cycle's supervisor must
# have the same fd count as the first cycle's and an RSS within 1 MiB of it,
# and `up` must report every step ok. bench/updown_soak.sh runs 100 cycles.
# Needs KVM (make check-nested runs it in the TCG L1), root, DPDK plugins,
# /dev/net/tun, 128 2M hugepages.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/integration/orch_common.bash
need_vm_switch "$NFV"
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
# Processes are listed by name with their open fds, leaving out kernel threads
# (no cmdline) and the tools this script itself runs; /proc/sys/fs/file-nr
# is not used: it is an approximate per-CPU counter.
SELF_TOOLS=" bash grep sort uniq sed tr cat ls wc diff sleep awk cut date head tail "
snapshot() {
	local p comm fdn
	for p in /proc/[0-9]*; do
		[ -n "$(tr -d '\0' 2>/dev/null <"$p/cmdline" | head -c1)" ] || continue
		read -r comm 2>/dev/null <"$p/comm" || continue
		[[ $SELF_TOOLS == *" $comm "* ]] && continue
		fdn=$(ls "$p/fd" 2>/dev/null | wc -l)
		echo "process $comm fds $fdn"
	done | sort
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
	for try in 1 2 3 4 5; do # it may be writing a state file right now
		fd=$(ls /proc/"$sup"/fd 2>/dev/null | wc -l)
		[ -z "$sup_fd0" ] || [ "$fd" = "$sup_fd0" ] && break
		sleep 1
	done
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
	# Transient objects (a socket in close, a reaped child) get a few looks.
	for try in 1 2 3 4 5 6; do
		snapshot >"$TEST_TMP/snap.$i"
		diff -u "$TEST_TMP/snap.ref" "$TEST_TMP/snap.$i" >"$TEST_TMP/snap.diff" && break
		sleep 1
	done
	if [ -s "$TEST_TMP/snap.diff" ]; then
		tap_fail "cycle $i: host state differs from before cycle 1" "$(grep '^[-+][^-+]' "$TEST_TMP/snap.diff" | tr '\n' ';')"
		bad=1
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
