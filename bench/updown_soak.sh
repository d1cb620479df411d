#!/usr/bin/env bash
# 100 (or $1) `nfvisor up`/`down` cycles of the demo appliance with the host
# state (open files, processes, unix sockets, hugepages, /dev/hugepages,
# interfaces, /run/nfvisor) compared before the first and after every cycle
# and the supervisor's fds/RSS compared across cycles: tests/kvm/appliance_updown.sh
# with SOAK_CYCLES. Needs KVM, root, DPDK, /dev/net/tun; on a host without
# /dev/kvm run it in the nested tier:
#   tests/nested/l1run.sh --dpdk --timeout 7200 -- 'bash bench/updown_soak.sh 100'
# Result: docs/reliability.md.
cd "$(dirname "$0")/.." || exit 1
n=${1:-100}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "updown_soak: cycles '$n' must be a positive number" >&2; exit 2; }
SOAK_CYCLES=$n exec bash tests/kvm/appliance_updown.sh
