# Helpers for the nfvisor up/down/status tests (tests/integration/orch_*.sh,
# tests/kvm/appliance_*.sh). Source after tests/lib.sh.
NFV=${NFV:-$BUILD/nfvisor}
HP_NR=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages

# orch_leftovers NAME: prints whatever an appliance NAME left behind
# (processes, state dir, sockets, DPDK hugepage/runtime files); empty = clean.
orch_leftovers() {
	local name=$1 p
	for p in $(pgrep -f "/run/nfvisor/$name/" 2>/dev/null); do
		[ "$p" = $$ ] || echo "process $p: $(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null)"
	done
	[ -e "/run/nfvisor/$name" ] && echo "state dir /run/nfvisor/$name: $(ls -A /run/nfvisor/$name | tr '\n' ' ')"
	ls -d /dev/hugepages/nfvisor-"$name"* /var/run/dpdk/nfvisor-"$name" 2>/dev/null | sed 's/^/file /'
	return 0
}

# orch_check_clean NAME HP_BEFORE LABEL: TAP lines for "nothing left behind".
orch_check_clean() {
	local left
	left=$(orch_leftovers "$1")
	if [ -z "$left" ]; then tap_ok "$3: nothing left behind"; else
		tap_fail "$3: nothing left behind" "$(echo "$left" | head -5 | tr '\n' ';')"; fi
	if [ "$(cat $HP_NR)" = "$2" ]; then tap_ok "$3: nr_hugepages back to $2"; else
		tap_fail "$3: nr_hugepages back to $2" "now $(cat $HP_NR)"; fi
}

# orch_json_get NAME JQ: evaluates the jq filter JQ on `status --json NAME`
# with $a the appliance, $c {component name: component}, $p {port: counters}.
orch_json_get() {
	"$NFV" status --json "$1" 2>/dev/null | jq -r '.appliances[0] as $a
		| ($a.components | map({(.name): .}) | add) as $c
		| (($a.ports // []) | map({(.name): .}) | add // {}) as $p | '"$2" 2>/dev/null
}

# orch_wait TIMEOUT CMD...: retries CMD every 0.5 s until it succeeds.
orch_wait() {
	local end=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.5
	done
}

# Takes NAME down on exit even if the test failed half way.
orch_cleanup_on_exit() {
	ORCH_NAMES="${ORCH_NAMES:-} $1"
	trap 'for n in $ORCH_NAMES; do "$NFV" down "$n" >/dev/null 2>&1; done; test_cleanup' EXIT
}

# orch_l1_prepare: inside the nested L1 (L1RUN=1) fix what DPDK needs there
# ("/" world-writable, no /var/run, no tun device). Skips the test when the
# DPDK mempool plugin was not shipped into L1.
orch_l1_prepare() {
	local pmds=/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0 tun
	if [ "${L1RUN:-}" = 1 ]; then
		chmod 755 /
		[ -e /var/run ] || { mkdir -p /var && ln -sfn /run /var/run; }
	fi
	if [ ! -c /dev/net/tun ]; then
		tun=/lib/modules/$(uname -r)/kernel/drivers/net/tun.ko
		[ -f "$tun" ] && insmod "$tun" 2>/dev/null
	fi
	ls "$pmds"/librte_mempool_ring.so* >/dev/null 2>&1 ||
		skip_all "DPDK's mempool_ring plugin is missing ($pmds; in the nested L1 ship it with l1run.sh --add)"
}
