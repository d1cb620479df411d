/* SPDX-License-Identifier: MIT */
/* A kernel VFIO device (vfio-pci) opened through its group: device info,
 * region info (with the sparse-mmap and MSI-X-mappable capabilities), IRQ
 * info, bounded region reads/writes, BAR mmap, MSI-X eventfds through
 * VFIO_DEVICE_SET_IRQS, and reset. */
#ifndef NFV_VFIO_DEVICE_H
#define NFV_VFIO_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio/container.h"

#define VFIO_MAX_SPARSE 16

/* One region as the kernel describes it (plain data). */
struct vfio_region {
	uint32_t index;
	uint32_t flags;	    /* VFIO_REGION_INFO_FLAG_{READ,WRITE,MMAP,CAPS} */
	uint64_t size;	    /* 0: region not implemented (e.g. absent BAR) */
	uint64_t offset;    /* of the region in the device fd */
	bool msix_mappable; /* the MSI-X table in this BAR may be mmap'ed */
	/* With a sparse-mmap capability only these ranges may be mmap'ed;
	 * without one (nr_sparse 0) the whole region may if FLAG_MMAP. */
	unsigned nr_sparse;
	struct {
		uint64_t offset, size;
	} sparse[VFIO_MAX_SPARSE];
};

struct vfio_irq {
	uint32_t index; /* VFIO_PCI_{INTX,MSI,MSIX,ERR,REQ}_IRQ_INDEX */
	uint32_t flags; /* VFIO_IRQ_INFO_* */
	uint32_t count; /* vectors; 0 if the device lacks this interrupt type */
};

struct vfio_device;

/* Parse a VFIO_DEVICE_GET_REGION_INFO result (struct vfio_region_info and
 * its capability chain, `len` bytes) into *out. Defends against a bad
 * chain: caps outside the buffer, loops (next must move forward), too many
 * sparse areas, areas outside the region. 0 or -EINVAL. */
int vfio_region_parse(const void *info, size_t len, struct vfio_region *out);

/* Open `bdf` in group g (VFIO_GROUP_GET_DEVICE_FD) and read its device,
 * region and IRQ info. -ENODEV if the device is not in the group, -EBUSY
 * if another user has it open, -EOPNOTSUPP if it is not a PCI device. */
int vfio_device_open(struct vfio_group *g, const char *bdf, struct vfio_device **out);
/* Disable its interrupts and close it. Safe on NULL. */
void vfio_device_close(struct vfio_device *d);

int vfio_device_fd(const struct vfio_device *d);
const char *vfio_device_bdf(const struct vfio_device *d);
unsigned vfio_device_num_regions(const struct vfio_device *d);
unsigned vfio_device_num_irqs(const struct vfio_device *d);
/* Region/IRQ info by index, or NULL if index is out of range. */
const struct vfio_region *vfio_device_region(const struct vfio_device *d, unsigned index);
const struct vfio_irq *vfio_device_irq(const struct vfio_device *d, unsigned index);
bool vfio_device_can_reset(const struct vfio_device *d);

/* Read/write len bytes at off inside region index: 0, -EINVAL if outside
 * the region or not readable/writable, -EIO on a short transfer, -errno. */
int vfio_region_read(struct vfio_device *d, unsigned index, uint64_t off, void *buf, size_t len);
int vfio_region_write(struct vfio_device *d, unsigned index, uint64_t off, const void *buf,
		      size_t len);
/* PCI config space (region VFIO_PCI_CONFIG_REGION_INDEX). */
int vfio_config_read(struct vfio_device *d, uint32_t off, void *buf, size_t len);
int vfio_config_write(struct vfio_device *d, uint32_t off, const void *buf, size_t len);

/* Whether [off, off+len) of region index may be mmap'ed (FLAG_MMAP, inside
 * a sparse area if there are any, page aligned). */
bool vfio_region_mmappable(const struct vfio_device *d, unsigned index, uint64_t off, uint64_t len);
/* mmap [off, off+len) of region index (PROT_* in prot). 0 and *out, or
 * -EINVAL if not mmappable (trap it instead), -errno from mmap. */
int vfio_region_mmap(struct vfio_device *d, unsigned index, uint64_t off, uint64_t len, int prot,
		     void **out);

/* Wire MSI-X vectors [start, start+count) to eventfds (fds[i] -1 leaves
 * vector start+i without a trigger). The first call enables MSI-X in the
 * host with that many vectors; on kernels before 6.5 growing the vector
 * count needs vfio_device_disable_irq first. -EINVAL if beyond the
 * device's MSI-X count. */
int vfio_device_set_msix(struct vfio_device *d, unsigned start, unsigned count, const int *fds);
/* Disable all vectors of IRQ index (MSI-X, MSI or INTx). */
int vfio_device_disable_irq(struct vfio_device *d, unsigned index);

/* Function-level (or bus) reset: 0, -EOPNOTSUPP if the device has no
 * reset method (message says so), -errno. */
int vfio_device_reset(struct vfio_device *d);

#endif
