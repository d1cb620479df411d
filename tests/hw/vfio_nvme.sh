#!/usr/bin/env bash
# Opt-in hardware test (make check-hw): NVMe passthrough through nfvisor's
# vfio/ code on a real host with an IOMMU.
#   NFV_HW_NVME=BDF      whole controller: nvme -> vfio-pci, Identify by DMA +
#                        MSI-X, IOMMU fault checks, back to nvme. Refused (and
#                        left alone) if it holds a mounted filesystem.
#   NFV_HW_NVME_PF=BDF   SR-IOV NVMe PF: VF creation, `nvme virt-mgmt`, the
#                        same checks on VF 0, restore (secondary controller 1).
# Skips when neither is set. Needs root, an IOMMU and vfio-pci.
cd "$(dirname "$0")/../.."
. tests/lib.sh
[ -n "${NFV_HW_NVME:-}${NFV_HW_NVME_PF:-}" ] || skip_all "set NFV_HW_NVME=BDF and/or NFV_HW_NVME_PF=BDF to run"
need_root
PROG=$BUILD/tests/vfio-nvme-check
[ -x "$PROG" ] || skip_all "$PROG not built (run make)"
scripts/hwcheck.sh --quiet | tap_diag
[ -c /dev/vfio/vfio ] || skip_all "no /dev/vfio/vfio: run scripts/hwcheck.sh for what is missing"
rc=0
if [ -n "${NFV_HW_NVME:-}" ]; then "$PROG" --nvme "$NFV_HW_NVME" || rc=1; fi
if [ -n "${NFV_HW_NVME_PF:-}" ]; then "$PROG" --pf "$NFV_HW_NVME_PF" || rc=1; fi
exit $rc
