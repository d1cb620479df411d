/* SPDX-License-Identifier: MIT */
/* PCI driver binding through sysfs: which driver a device has, its IOMMU
 * group, whether a group can be handed to VFIO, and binding a device to
 * vfio-pci (driver_override + unbind + drivers_probe) with the original
 * driver and override remembered so release puts the host back as found. */
#ifndef NFV_VFIO_BIND_H
#define NFV_VFIO_BIND_H

#include <stdbool.h>
#include <stddef.h>

#include "vfio/sysfs.h"

#define BDF_STRLEN    13 /* "0000:01:00.1" + NUL */
#define DRIVER_STRLEN 64

struct pci_binding;

/* Normalise a user-typed address ("01:00.1") to "0000:01:00.1" and check
 * the device exists: 0, -EINVAL (bad syntax), -ENODEV (no such device; both
 * with a message naming the value, the sysfs path and `lspci -D`). */
int pcidev_lookup(const struct sysfs *fs, const char *bdf_in, char bdf[BDF_STRLEN]);

/* Bound driver's name, "" when unbound: 0 or -errno. */
int pcidev_driver(const struct sysfs *fs, const char *bdf, char drv[DRIVER_STRLEN]);

/* IOMMU group number: 0, or -ENXIO with a message saying the IOMMU is off
 * and how to turn it on (intel_iommu=on / amd_iommu=on). */
int pcidev_iommu_group(const struct sysfs *fs, const char *bdf, unsigned *group);

/* Refuse a device the host is using for storage: a block device of the
 * controller (or of its NVMe subsystem) mounted, used as swap, or held by
 * dm/md/LVM. 0 if unused, -EBUSY with a message naming the block device and
 * the mount, -errno on read errors. Devices without block devices pass. */
int pcidev_check_unused(const struct sysfs *fs, const char *bdf);

/* VFIO can own an IOMMU group only if every device in it is driverless or
 * bound to a driver that leaves DMA to its owner (vfio-pci, pci-stub,
 * pcieport). 0 if viable; -EBUSY naming the first blocking device and its
 * driver (copied to blocker if non-NULL), with how to fix it; -ENOENT if the
 * group does not exist. */
int iommu_group_check_viable(const struct sysfs *fs, unsigned group, char blocker[BDF_STRLEN]);

/* Bind the device to vfio-pci. Checks, in order: device exists, has an
 * IOMMU group, vfio-pci is loaded (`modprobe vfio-pci`), supports
 * driver_override, is not host storage (pcidev_check_unused). A device
 * already on vfio-pci is left alone (release will not touch it). Otherwise
 * writes driver_override, unbinds the current driver, probes, and verifies
 * the driver link; on any failure the original driver and override are
 * restored before returning -errno. */
int pci_bind_vfio(struct sysfs *fs, const char *bdf, struct pci_binding **out);

/* Undo pci_bind_vfio: unbind vfio-pci, restore driver_override, rebind the
 * original driver (if there was one) and verify. Frees the binding in all
 * cases; returns 0 or the first -errno (with a message saying what is left
 * and the command that fixes it). */
int pci_binding_release(struct pci_binding *b);

/* For a process that will be sandboxed (seccomp without open/readlink):
 * open now the sysfs attributes release writes (vfio-pci's unbind, the
 * device's driver_override, the original driver's bind). Release then
 * writes through them and trusts the kernel's return values instead of
 * reading the driver link back. 0 (also for an unchanged binding) or
 * -errno (release then falls back to paths). */
int pci_binding_prepare_release(struct pci_binding *b);

const char *pci_binding_bdf(const struct pci_binding *b);
/* Driver the device had before binding ("" if none). */
const char *pci_binding_orig_driver(const struct pci_binding *b);
/* Whether this binding changed anything (false if it was already vfio-pci). */
bool pci_binding_changed(const struct pci_binding *b);

#endif
