#!/usr/bin/env bash
# Nested tier: virtio-net over vhost-user end to end (issue 3), in its own L1
# with dpdk-testpmd and its vhost PMD shipped in:
#   tests/kvm/virtio_net_linux.sh   stock Linux virtio_net + ping via testpmd icmpecho,
#                                   link down/up across a testpmd restart
#   tests/kvm/virtio_net_nfguest.sh nfguest gen -> testpmd io -> nfguest sink, exact
#                                   counts (polling + interrupts), testpmd restart
# Prints the TAP lines of both; exit 1 if any failed, 77 if it cannot run.
# Env: NESTED_NET_TIMEOUT (default 2400 s) bounds the L1.
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
if [ "${L1RUN:-}" = 1 ]; then
	rc=0
	bash tests/kvm/virtio_net_linux.sh || rc=1
	bash tests/kvm/virtio_net_nfguest.sh || rc=1
	exit $rc
fi
skip_all() { echo "1..0 # SKIP $1"; exit 77; }
command -v dpdk-testpmd >/dev/null || skip_all "dpdk-testpmd not installed (scripts/install-deps.sh)"
PMD=$(ls -d /usr/lib/x86_64-linux-gnu/dpdk/pmds-* 2>/dev/null | head -n1)
ADD=(--add "$(command -v dpdk-testpmd)")
for l in net_vhost mempool_ring; do
	f=$(ls "$PMD"/librte_$l.so.*.* 2>/dev/null | head -n1)
	[ -n "$f" ] || skip_all "DPDK plugin librte_$l missing in $PMD (install dpdk)"
	ADD+=(--add "$f")
done
[ -s "$BUILD/tests/kvm/net-initrd.gz" ] || skip_all "$BUILD/tests/kvm/net-initrd.gz not built (run make)"
exec tests/nested/l1run.sh --build "$BUILD" --smp 2 --mem 2048 --hugepages 384 "${ADD[@]}" \
	--timeout "${NESTED_NET_TIMEOUT:-2400}" -- "bash tests/nested/net_vhost_user.sh"
