#!/usr/bin/env bash
# Opt-in hardware test (make check-hw): SR-IOV NIC VF management.
#   NFV_HW_PF=BDF   PF with a netdev: create VFs, set VF 0 MAC/VLAN/spoofchk/
#                   trust/link state over netlink and read them back, bind VF 0
#                   to vfio-pci and open it through our VFIO code, then restore
#                   the netlink settings, the driver binding and the VF count.
cd "$(dirname "$0")/../.."
. tests/lib.sh
[ -n "${NFV_HW_PF:-}" ] || skip_all "set NFV_HW_PF=BDF (an SR-IOV NIC PF) to run"
need_root
PROG=$BUILD/tests/vfio-nvme-check
[ -x "$PROG" ] || skip_all "$PROG not built (run make)"
[ -c /dev/vfio/vfio ] || skip_all "no /dev/vfio/vfio: run scripts/hwcheck.sh for what is missing"
exec "$PROG" --nic-pf "$NFV_HW_PF"
