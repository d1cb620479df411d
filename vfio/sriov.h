/* SPDX-License-Identifier: MIT */
/* SR-IOV virtual-function management of one physical function through
 * sysfs: VF count (sriov_totalvfs / sriov_numvfs, always changed through 0),
 * each VF's PCI address and IOMMU group, assigning VFs to vfio-pci, and
 * restoring the PF as found (VF bindings, VF count, drivers_autoprobe) on
 * release. All paths go through a struct sysfs, so tests can use a fake root. */
#ifndef NFV_VFIO_SRIOV_H
#define NFV_VFIO_SRIOV_H

#include <stdbool.h>
#include <stddef.h>

#include "vfio/bind.h"
#include "vfio/sysfs.h"

struct sriov_pf;

/* Open the PF at `pf_bdf` ("0000:01:00.0" or "01:00.0"). Remembers the
 * current sriov_numvfs and sriov_drivers_autoprobe for release. -EINVAL bad
 * address, -ENODEV no such device, -EOPNOTSUPP not SR-IOV capable (no
 * sriov_totalvfs); each with a message naming the device and sysfs path. */
int sriov_pf_open(struct sysfs *fs, const char *pf_bdf, struct sriov_pf **out);

/* Restore the PF: release every VF binding made through it, put the VF
 * count and drivers_autoprobe back as they were at open. Frees pf in all
 * cases; 0 or the first -errno (each failure logged with the fix). */
int sriov_pf_release(struct sriov_pf *pf);

const char *sriov_pf_bdf(const struct sriov_pf *pf);
unsigned sriov_pf_total_vfs(const struct sriov_pf *pf);
/* Current sriov_numvfs: 0 or -errno. */
int sriov_pf_num_vfs(const struct sriov_pf *pf, unsigned *n);

/* Make the PF have n VFs. n > sriov_totalvfs → -ERANGE. No-op if already n.
 * Refuses (-EBUSY, naming the VF) while any existing VF is bound to
 * vfio-pci or assigned through this PF. Sets drivers_autoprobe to 0 first
 * so host VF drivers do not grab the new VFs, goes through 0 when changing
 * a nonzero count, then waits (up to 5 s) for the virtfnN links. */
int sriov_pf_set_num_vfs(struct sriov_pf *pf, unsigned n);

/* PCI address of VF idx (from the PF's virtfnN link). -ERANGE if idx is
 * not below the current VF count (message gives count and total). */
int sriov_pf_vf_bdf(const struct sriov_pf *pf, unsigned idx, char bdf[BDF_STRLEN]);
/* IOMMU group of VF idx: 0, -ERANGE, or -ENXIO (IOMMU off, with the fix). */
int sriov_pf_vf_group(const struct sriov_pf *pf, unsigned idx, unsigned *group);

/* Network interface name of the PF (first entry of its net/ directory),
 * for the netlink VF settings: 0, or -ENODEV if the PF has no netdev
 * (e.g. an NVMe PF). */
int sriov_pf_netdev(const struct sriov_pf *pf, char *name, size_t len);

/* Bind VF idx to vfio-pci (see pci_bind_vfio) and record it so that VF
 * count changes are refused and release restores it. -EALREADY if this PF
 * already assigned it. */
int sriov_pf_assign_vf(struct sriov_pf *pf, unsigned idx);
/* Give VF idx back to its original driver: 0, -ENOENT if not assigned here. */
int sriov_pf_unassign_vf(struct sriov_pf *pf, unsigned idx);
bool sriov_pf_vf_assigned(const struct sriov_pf *pf, unsigned idx);

#endif
