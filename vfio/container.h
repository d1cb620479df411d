/* SPDX-License-Identifier: MIT */
/* Kernel VFIO, legacy interface: one container (/dev/vfio/vfio) with the
 * type1v2 IOMMU, the IOMMU groups attached to it, and the DMA mappings of
 * guest RAM. Device nodes are found under the root of a struct sysfs (the
 * real "/" normally), so the "no VFIO" errors can be tested anywhere.
 *
 * iommufd (/dev/iommu + /dev/vfio/devices/vfioN, Linux >= 6.2/6.6) is
 * detected and reported, but this module always uses the container path,
 * which those kernels still provide (CONFIG_VFIO_CONTAINER or iommufd's
 * compat layer). */
#ifndef NFV_VFIO_CONTAINER_H
#define NFV_VFIO_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>

#include "vfio/bind.h"
#include "vfio/sysfs.h"

struct guest_mem;
struct vfio_container;
struct vfio_group;

/* Open the container and check the VFIO API version and type1v2 support.
 * -ENOENT when <root>/dev/vfio/vfio is missing (message: `modprobe vfio-pci`,
 * intel_iommu=on / amd_iommu=on, CONFIG_VFIO), -EPERM/-EACCES (run as root),
 * -EPROTO on an unknown API version, -EOPNOTSUPP without type1v2
 * (`modprobe vfio_iommu_type1`). */
int vfio_container_open(struct sysfs *fs, struct vfio_container **out);

/* Unmap every DMA mapping, detach and close every group, close the
 * container. Safe on NULL. Devices must be closed first. */
void vfio_container_close(struct vfio_container *c);

/* Open IOMMU group `group` and attach it to the container (the first group
 * also selects the type1v2 IOMMU). Refuses a non-viable group with -EBUSY,
 * naming the device that blocks it (iommu_group_check_viable); a group held
 * by another process with -EBUSY naming that process (pid and name) if it
 * can be found; a group with no /dev/vfio/G with -ENOENT ("bind a device of
 * the group to vfio-pci"). Adding the same group twice returns the same
 * handle with one more reference. */
int vfio_container_add_group(struct vfio_container *c, unsigned group, struct vfio_group **out);

/* Drop one reference taken by add_group; the last one detaches the group
 * from the container and closes it (close its devices first), so the
 * host can rebind its devices. With no group left, the container loses its
 * IOMMU and mappings (the kernel drops them). */
void vfio_container_put_group(struct vfio_container *c, struct vfio_group *g);

/* Group of a PCI device, added as above (pcidev_iommu_group + add_group). */
int vfio_container_add_device_group(struct vfio_container *c, const char *bdf,
				    struct vfio_group **out);

unsigned vfio_group_id(const struct vfio_group *g);
/* The group fd (for KVM_DEV_VFIO_GROUP_ADD); owned by the container. */
int vfio_group_fd(const struct vfio_group *g);
struct sysfs *vfio_group_sysfs(const struct vfio_group *g);

/* Map [vaddr, vaddr+size) at IOVA `iova` for device DMA (read+write, or
 * read-only). Pins the pages. On -ENOMEM the message gives the current
 * RLIMIT_MEMLOCK, the amount needed, and `ulimit -l`. -EEXIST if the range
 * overlaps a mapping; -EINVAL for unaligned (4 KiB) arguments. */
int vfio_dma_map(struct vfio_container *c, uint64_t iova, uint64_t size, void *vaddr,
		 bool writable);
/* Unmap exactly a range previously mapped: 0 or -errno. */
int vfio_dma_unmap(struct vfio_container *c, uint64_t iova, uint64_t size);

/* Map every guest RAM region (IOVA = guest-physical address), so a
 * passed-through device can DMA anywhere the guest can put a buffer and
 * nowhere else. All or nothing: on failure earlier regions are unmapped. */
int vfio_dma_map_guest(struct vfio_container *c, const struct guest_mem *mem);

/* Bytes currently DMA-mapped (and pinned). */
uint64_t vfio_dma_mapped_bytes(const struct vfio_container *c);

/* Whether the host offers the iommufd/cdev interface (/dev/iommu and
 * /dev/vfio/devices). Informational. */
bool vfio_host_has_iommufd(const struct sysfs *fs);

#endif
