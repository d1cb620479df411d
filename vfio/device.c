/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "vfio-dev"
#include "vfio/device.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"

#define MAX_CAPS 32

struct vfio_device {
	struct vfio_group *group;
	char bdf[BDF_STRLEN];
	int fd;
	uint32_t flags;
	unsigned num_regions, num_irqs;
	struct vfio_region *regions;
	struct vfio_irq *irqs;
	uint32_t irqs_enabled; /* bit per IRQ index we enabled */
};

int vfio_region_parse(const void *buf, size_t len, struct vfio_region *out)
{
	const struct vfio_region_info *info = buf;
	const uint8_t *base = buf;
	uint32_t off, prev = 0;
	int ncaps = 0;

	if (len < sizeof(*info))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->index = info->index;
	out->flags = info->flags;
	out->size = info->size;
	out->offset = info->offset;
	if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return 0;
	for (off = info->cap_offset; off;
	     off = ((const struct vfio_info_cap_header *)(base + off))->next) {
		const struct vfio_info_cap_header *h;

		/* Each header inside the buffer, strictly after the previous one. */
		if (off < sizeof(*info) || off <= prev || off > len - sizeof(*h) ||
		    ++ncaps > MAX_CAPS)
			return -EINVAL;
		h = (const void *)(base + off);
		prev = off;
		if (h->id == VFIO_REGION_INFO_CAP_MSIX_MAPPABLE) {
			out->msix_mappable = true;
		} else if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
			const struct vfio_region_info_cap_sparse_mmap *sp = (const void *)h;
			size_t need;

			if (off > len - sizeof(*sp))
				return -EINVAL;
			if (sp->nr_areas > VFIO_MAX_SPARSE)
				return -EINVAL;
			need = sizeof(*sp) + sp->nr_areas * sizeof(sp->areas[0]);
			if (need > len - off)
				return -EINVAL;
			for (uint32_t i = 0; i < sp->nr_areas; i++) {
				uint64_t ao = sp->areas[i].offset, as = sp->areas[i].size;

				if (ao > out->size || as > out->size - ao)
					return -EINVAL;
				out->sparse[i].offset = ao;
				out->sparse[i].size = as;
			}
			out->nr_sparse = sp->nr_areas;
		}
		/* Other capabilities (type, nvlink, ...) are not used here. */
	}
	return 0;
}

static int read_region_info(struct vfio_device *d, unsigned index, struct vfio_region *out)
{
	struct vfio_region_info *info;
	size_t sz = sizeof(*info);
	int ret;

	for (int tries = 0; tries < 2; tries++) {
		info = calloc(1, sz);
		if (!info)
			return -ENOMEM;
		info->argsz = (uint32_t)sz;
		info->index = index;
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, info) < 0) {
			ret = -errno;
			free(info);
			return ret;
		}
		if (info->argsz <= sz)
			break;
		/* Capabilities did not fit: ask again with the size it wants. */
		sz = info->argsz;
		free(info);
		info = NULL;
		if (sz > 65536)
			return -E2BIG;
	}
	if (!info)
		return -EIO;
	ret = vfio_region_parse(info, sz, out);
	if (ret)
		pr_err("%s: region %u info has a malformed capability chain", d->bdf, index);
	free(info);
	return ret;
}

int vfio_device_open(struct vfio_group *g, const char *bdf, struct vfio_device **out)
{
	struct vfio_device_info info = {.argsz = sizeof(info)};
	struct vfio_device *d;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->group = g;
	snprintf(d->bdf, sizeof(d->bdf), "%.12s", bdf);
	d->fd = ioctl(vfio_group_fd(g), VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (d->fd < 0) {
		ret = -errno;
		pr_err("%s: cannot open it through IOMMU group %u: %s%s", d->bdf, vfio_group_id(g),
		       strerror(-ret),
		       ret == -EBUSY ? " (already open by another user)"
		       : ret == -ENODEV || ret == -EINVAL
			   ? " (not in this group, or not bound to vfio-pci)"
			   : "");
		goto err_free;
	}
	if (ioctl(d->fd, VFIO_DEVICE_GET_INFO, &info) < 0) {
		ret = -errno;
		pr_err("%s: VFIO_DEVICE_GET_INFO failed: %s", d->bdf, strerror(-ret));
		goto err_close;
	}
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		pr_err("%s: not a VFIO PCI device (flags 0x%x, %u regions)", d->bdf, info.flags,
		       info.num_regions);
		ret = -EOPNOTSUPP;
		goto err_close;
	}
	d->flags = info.flags;
	d->num_regions = info.num_regions;
	d->num_irqs = info.num_irqs;
	d->regions = calloc(d->num_regions, sizeof(*d->regions));
	d->irqs = calloc(d->num_irqs ? d->num_irqs : 1, sizeof(*d->irqs));
	if (!d->regions || !d->irqs) {
		ret = -ENOMEM;
		goto err_mem;
	}
	for (unsigned i = 0; i < d->num_regions; i++) {
		ret = read_region_info(d, i, &d->regions[i]);
		/* Device-specific regions may be absent (EINVAL): keep size 0. */
		if (ret == -EINVAL && i > VFIO_PCI_CONFIG_REGION_INDEX) {
			d->regions[i] = (struct vfio_region){.index = i};
			continue;
		}
		if (ret) {
			pr_err("%s: reading region %u info failed: %s", d->bdf, i, strerror(-ret));
			goto err_mem;
		}
	}
	for (unsigned i = 0; i < d->num_irqs; i++) {
		struct vfio_irq_info ii = {.argsz = sizeof(ii), .index = i};

		if (ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0) {
			ret = -errno;
			pr_err("%s: reading IRQ %u info failed: %s", d->bdf, i, strerror(-ret));
			goto err_mem;
		}
		d->irqs[i] = (struct vfio_irq){.index = i, .flags = ii.flags, .count = ii.count};
	}
	pr_debug("%s: %u regions, %u IRQ types, reset %s", d->bdf, d->num_regions, d->num_irqs,
		 vfio_device_can_reset(d) ? "yes" : "no");
	*out = d;
	return 0;

err_mem:
	free(d->regions);
	free(d->irqs);
err_close:
	close(d->fd);
err_free:
	free(d);
	return ret;
}

void vfio_device_close(struct vfio_device *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < 32 && i < d->num_irqs; i++)
		if (d->irqs_enabled & (1u << i))
			vfio_device_disable_irq(d, i);
	close(d->fd);
	free(d->regions);
	free(d->irqs);
	free(d);
}

int vfio_device_fd(const struct vfio_device *d)
{
	return d->fd;
}

const char *vfio_device_bdf(const struct vfio_device *d)
{
	return d->bdf;
}

unsigned vfio_device_num_regions(const struct vfio_device *d)
{
	return d->num_regions;
}

unsigned vfio_device_num_irqs(const struct vfio_device *d)
{
	return d->num_irqs;
}

const struct vfio_region *vfio_device_region(const struct vfio_device *d, unsigned index)
{
	return index < d->num_regions ? &d->regions[index] : NULL;
}

const struct vfio_irq *vfio_device_irq(const struct vfio_device *d, unsigned index)
{
	return index < d->num_irqs ? &d->irqs[index] : NULL;
}

bool vfio_device_can_reset(const struct vfio_device *d)
{
	return d->flags & VFIO_DEVICE_FLAGS_RESET;
}

/* The region if [off, off+len) lies inside it and it allows `flag`. */
static const struct vfio_region *region_range(const struct vfio_device *d, unsigned index,
					      uint64_t off, uint64_t len, uint32_t flag)
{
	const struct vfio_region *r = vfio_device_region(d, index);

	if (!r || !len || !(r->flags & flag) || off > r->size || len > r->size - off)
		return NULL;
	return r;
}

int vfio_region_read(struct vfio_device *d, unsigned index, uint64_t off, void *buf, size_t len)
{
	const struct vfio_region *r = region_range(d, index, off, len, VFIO_REGION_INFO_FLAG_READ);
	ssize_t n;

	if (!r)
		return -EINVAL;
	n = pread(d->fd, buf, len, (off_t)(r->offset + off));
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int vfio_region_write(struct vfio_device *d, unsigned index, uint64_t off, const void *buf,
		      size_t len)
{
	const struct vfio_region *r = region_range(d, index, off, len, VFIO_REGION_INFO_FLAG_WRITE);
	ssize_t n;

	if (!r)
		return -EINVAL;
	n = pwrite(d->fd, buf, len, (off_t)(r->offset + off));
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int vfio_config_read(struct vfio_device *d, uint32_t off, void *buf, size_t len)
{
	return vfio_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len);
}

int vfio_config_write(struct vfio_device *d, uint32_t off, const void *buf, size_t len)
{
	return vfio_region_write(d, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len);
}

bool vfio_region_mmappable(const struct vfio_device *d, unsigned index, uint64_t off, uint64_t len)
{
	const struct vfio_region *r = region_range(d, index, off, len, VFIO_REGION_INFO_FLAG_MMAP);
	long page = sysconf(_SC_PAGESIZE);

	if (!r || (off | len) & (uint64_t)(page - 1))
		return false;
	if (!r->nr_sparse)
		return true;
	for (unsigned i = 0; i < r->nr_sparse; i++)
		if (off >= r->sparse[i].offset && off - r->sparse[i].offset <= r->sparse[i].size &&
		    len <= r->sparse[i].size - (off - r->sparse[i].offset))
			return true;
	return false;
}

int vfio_region_mmap(struct vfio_device *d, unsigned index, uint64_t off, uint64_t len, int prot,
		     void **out)
{
	const struct vfio_region *r = vfio_device_region(d, index);
	void *p;

	if (!vfio_region_mmappable(d, index, off, len)) {
		pr_debug("%s: region %u [0x%" PRIx64 ", +0x%" PRIx64 ") is not mmappable; trap it",
			 d->bdf, index, off, len);
		return -EINVAL;
	}
	p = mmap(NULL, len, prot, MAP_SHARED, d->fd, (off_t)(r->offset + off));
	if (p == MAP_FAILED) {
		int ret = -errno;

		pr_err("%s: mmap of region %u [0x%" PRIx64 ", +0x%" PRIx64 ") failed: %s", d->bdf,
		       index, off, len, strerror(-ret));
		return ret;
	}
	*out = p;
	return 0;
}

int vfio_device_set_msix(struct vfio_device *d, unsigned start, unsigned count, const int *fds)
{
	const struct vfio_irq *irq = vfio_device_irq(d, VFIO_PCI_MSIX_IRQ_INDEX);
	struct vfio_irq_set *set;
	size_t sz;
	int ret = 0;

	if (!irq || !count || start >= irq->count || count > irq->count - start) {
		pr_err("%s: MSI-X vectors %u..%u requested but the device has %u", d->bdf, start,
		       start + count - 1, irq ? irq->count : 0);
		return -EINVAL;
	}
	sz = sizeof(*set) + count * sizeof(int32_t);
	set = calloc(1, sz);
	if (!set)
		return -ENOMEM;
	set->argsz = (uint32_t)sz;
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSIX_IRQ_INDEX;
	set->start = start;
	set->count = count;
	memcpy(set->data, fds, count * sizeof(int32_t));
	if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, set) < 0) {
		ret = -errno;
		pr_err("%s: wiring MSI-X vectors %u..%u to eventfds failed: %s", d->bdf, start,
		       start + count - 1, strerror(-ret));
	} else {
		d->irqs_enabled |= 1u << VFIO_PCI_MSIX_IRQ_INDEX;
	}
	free(set);
	return ret;
}

int vfio_device_disable_irq(struct vfio_device *d, unsigned index)
{
	struct vfio_irq_set set = {
	    .argsz = sizeof(set),
	    .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
	    .index = index,
	    .start = 0,
	    .count = 0,
	};
	int ret = 0;

	if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, &set) < 0) {
		ret = -errno;
		pr_err("%s: disabling IRQ index %u failed: %s", d->bdf, index, strerror(-ret));
	}
	if (index < 32)
		d->irqs_enabled &= ~(1u << index);
	return ret;
}

int vfio_device_reset(struct vfio_device *d)
{
	if (!vfio_device_can_reset(d)) {
		pr_err("%s: has no reset method (no FLR, PM or bus reset; see "
		       "/sys/bus/pci/devices/%s/reset_method); it keeps state between users",
		       d->bdf, d->bdf);
		return -EOPNOTSUPP;
	}
	if (ioctl(d->fd, VFIO_DEVICE_RESET) < 0) {
		int ret = -errno;

		pr_err("%s: VFIO_DEVICE_RESET failed: %s", d->bdf, strerror(-ret));
		return ret;
	}
	return 0;
}
