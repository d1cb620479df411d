/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "testdev"
#include "tests/vfio_user/testdev.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "vfio/vfio_user_msg.h"

#define MAX_MAPS 16

struct dma_map {
	uint64_t iova, size;
	uint8_t *ptr;
	size_t map_len; /* for munmap */
	uint8_t *map_base;
	bool writable;
};

struct testdev {
	uint8_t cfg[256];
	uint32_t scratch, dma_len, dma_seed, dma_status, dma_result;
	uint64_t dma_addr;
	struct dma_map maps[MAX_MAPS];
	unsigned nmaps;
	int irq_fds[TD_MSIX_VECS];
	uint64_t irqs_sent;
	unsigned crash_after;
	uint8_t msg[VFU_MAX_DATA + 64];
};

static void put(uint8_t *b, unsigned off, uint32_t v, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

static void reset_regs(struct testdev *td)
{
	td->scratch = td->dma_len = td->dma_seed = td->dma_status = td->dma_result = 0;
	td->dma_addr = 0;
	put(td->cfg, PCI_COMMAND, 0, 2);
}

int testdev_create(struct testdev **out)
{
	struct testdev *td = calloc(1, sizeof(*td));

	if (!td)
		return -ENOMEM;
	put(td->cfg, PCI_VENDOR_ID, TD_VENDOR, 2);
	put(td->cfg, PCI_DEVICE_ID, TD_DEVICE, 2);
	put(td->cfg, PCI_STATUS, PCI_STATUS_CAP_LIST, 2);
	put(td->cfg, PCI_CLASS_REVISION, 0xff000001, 4); /* unclassified, rev 1 */
	put(td->cfg, PCI_BASE_ADDRESS_0, 0, 4);		 /* 32-bit memory */
	put(td->cfg, PCI_SUBSYSTEM_VENDOR_ID, TD_VENDOR, 2);
	put(td->cfg, PCI_SUBSYSTEM_ID, 1, 2);
	put(td->cfg, PCI_CAPABILITY_LIST, 0x40, 1);
	put(td->cfg, 0x40, PCI_CAP_ID_MSIX, 1);
	put(td->cfg, 0x41, 0, 1);
	put(td->cfg, 0x40 + PCI_MSIX_FLAGS, TD_MSIX_VECS - 1, 2);
	put(td->cfg, 0x40 + PCI_MSIX_TABLE, TD_MSIX_TABLE, 4);
	put(td->cfg, 0x40 + PCI_MSIX_PBA, TD_MSIX_PBA, 4);
	for (unsigned i = 0; i < TD_MSIX_VECS; i++)
		td->irq_fds[i] = -1;
	*out = td;
	return 0;
}

static void drop_client_state(struct testdev *td)
{
	for (unsigned i = 0; i < td->nmaps; i++)
		munmap(td->maps[i].map_base, td->maps[i].map_len);
	td->nmaps = 0;
	for (unsigned i = 0; i < TD_MSIX_VECS; i++) {
		if (td->irq_fds[i] >= 0)
			close(td->irq_fds[i]);
		td->irq_fds[i] = -1;
	}
}

void testdev_destroy(struct testdev *td)
{
	if (!td)
		return;
	drop_client_state(td);
	free(td);
}

void testdev_set_crash_after(struct testdev *td, unsigned n)
{
	td->crash_after = n;
}

uint64_t testdev_irqs_sent(const struct testdev *td)
{
	return td->irqs_sent;
}

/* Host pointer for [iova, iova+len) inside one map, or NULL. */
static uint8_t *dma_ptr(struct testdev *td, uint64_t iova, uint64_t len, bool write)
{
	for (unsigned i = 0; i < td->nmaps; i++) {
		struct dma_map *m = &td->maps[i];

		if (iova >= m->iova && iova - m->iova < m->size &&
		    len <= m->size - (iova - m->iova))
			return (write && !m->writable) ? NULL : m->ptr + (iova - m->iova);
	}
	return NULL;
}

static void run_dma(struct testdev *td, uint32_t cmd)
{
	uint8_t *p;

	td->dma_status = 0;
	if ((cmd != TD_DMA_FILL && cmd != TD_DMA_SUM) || td->dma_len == 0 ||
	    td->dma_len > (1u << 20)) {
		td->dma_status = TD_DMA_DONE | TD_DMA_ERROR;
		return;
	}
	p = dma_ptr(td, td->dma_addr, td->dma_len, cmd == TD_DMA_FILL);
	if (!p) {
		td->dma_status = TD_DMA_DONE | TD_DMA_ERROR;
		return;
	}
	if (cmd == TD_DMA_FILL) {
		for (uint32_t i = 0; i < td->dma_len; i++)
			p[i] = (uint8_t)((td->dma_seed + 31u * i) & 0xff);
	} else {
		uint32_t sum = 0;

		for (uint32_t i = 0; i < td->dma_len; i++)
			sum += p[i];
		td->dma_result = sum;
	}
	td->dma_status = TD_DMA_DONE;
}

static void raise_irq(struct testdev *td, uint32_t vec)
{
	uint64_t one = 1;

	if (vec < TD_MSIX_VECS && td->irq_fds[vec] >= 0 && write(td->irq_fds[vec], &one, 8) == 8)
		td->irqs_sent++;
}

static uint32_t bar_read32(struct testdev *td, uint64_t off)
{
	switch (off) {
	case TD_REG_MAGIC:
		return TD_MAGIC;
	case TD_REG_VERSION:
		return 1;
	case TD_REG_SCRATCH:
		return td->scratch;
	case TD_REG_DMA_ADDR:
		return (uint32_t)td->dma_addr;
	case TD_REG_DMA_ADDR + 4:
		return (uint32_t)(td->dma_addr >> 32);
	case TD_REG_DMA_LEN:
		return td->dma_len;
	case TD_REG_DMA_SEED:
		return td->dma_seed;
	case TD_REG_DMA_STATUS:
		return td->dma_status;
	case TD_REG_DMA_RESULT:
		return td->dma_result;
	}
	return 0;
}

static void bar_write32(struct testdev *td, uint64_t off, uint32_t v)
{
	switch (off) {
	case TD_REG_SCRATCH:
		td->scratch = v;
		break;
	case TD_REG_DMA_ADDR:
		td->dma_addr = (td->dma_addr & ~0xffffffffull) | v;
		break;
	case TD_REG_DMA_ADDR + 4:
		td->dma_addr = (td->dma_addr & 0xffffffffull) | (uint64_t)v << 32;
		break;
	case TD_REG_DMA_LEN:
		td->dma_len = v;
		break;
	case TD_REG_DMA_SEED:
		td->dma_seed = v;
		break;
	case TD_REG_DMA_CMD:
		run_dma(td, v);
		break;
	case TD_REG_IRQ_CMD:
		raise_irq(td, v);
		break;
	}
}

/* Region access: 0 or -errno. BAR0 registers are dword-granular (8-byte
 * accesses split in two); config space is byte-wise with a writable command
 * register only. */
static int region_rw(struct testdev *td, uint32_t region, uint64_t off, uint8_t *data,
		     uint32_t count, bool write)
{
	if (region == VFIO_PCI_CONFIG_REGION_INDEX) {
		if (off > sizeof(td->cfg) || count > sizeof(td->cfg) - off)
			return -EINVAL;
		for (uint32_t i = 0; i < count; i++) {
			if (!write)
				data[i] = td->cfg[off + i];
			else if (off + i == PCI_COMMAND || off + i == PCI_COMMAND + 1)
				td->cfg[off + i] = data[i];
		}
		return 0;
	}
	if (region != VFIO_PCI_BAR0_REGION_INDEX || off > TD_BAR0_SIZE ||
	    count > TD_BAR0_SIZE - off || (count != 4 && count != 8) || (off & 3))
		return -EINVAL;
	for (uint32_t i = 0; i < count; i += 4) {
		uint32_t v;

		if (write) {
			memcpy(&v, data + i, 4);
			bar_write32(td, off + i, v);
		} else {
			v = bar_read32(td, off + i);
			memcpy(data + i, &v, 4);
		}
	}
	return 0;
}

static int reply(int sock, const struct vfu_hdr *req, int err, const void *payload, size_t len)
{
	struct vfu_hdr h = {.msg_id = req->msg_id, .cmd = req->cmd, .flags = VFU_F_TYPE_REPLY};

	if (err) {
		h.flags |= VFU_F_ERROR;
		h.error_no = (uint32_t)-err;
		len = 0;
	}
	return vfu_send(sock, &h, payload, len, NULL, 0);
}

static int handle(struct testdev *td, int sock, const struct vfu_hdr *h, uint8_t *p, size_t len,
		  int *fds, unsigned nfds)
{
	int err = 0;

	switch (h->cmd) {
	case VFU_VERSION: {
		static const char caps[] = "{\"capabilities\":{\"max_msg_fds\":16,"
					   "\"max_data_xfer_size\":1048576}}";
		uint8_t out[sizeof(struct vfu_version) + sizeof(caps)];
		struct vfu_version v = {.major = VFU_MAJOR, .minor = VFU_MINOR};

		if (len < sizeof(v))
			return reply(sock, h, -EINVAL, NULL, 0);
		memcpy(out, &v, sizeof(v));
		memcpy(out + sizeof(v), caps, sizeof(caps));
		return reply(sock, h, 0, out, sizeof(out));
	}
	case VFU_DEVICE_GET_INFO: {
		struct vfio_device_info di = {.argsz = sizeof(di),
					      .flags =
						  VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET,
					      .num_regions = VFIO_PCI_NUM_REGIONS,
					      .num_irqs = VFIO_PCI_NUM_IRQS};

		return reply(sock, h, 0, &di, sizeof(di));
	}
	case VFU_DEVICE_GET_REGION_INFO: {
		struct vfio_region_info ri;

		if (len < sizeof(ri))
			return reply(sock, h, -EINVAL, NULL, 0);
		memcpy(&ri, p, sizeof(ri));
		if (ri.index >= VFIO_PCI_NUM_REGIONS)
			return reply(sock, h, -EINVAL, NULL, 0);
		ri.argsz = sizeof(ri);
		ri.cap_offset = 0;
		ri.offset = 0;
		ri.flags = 0;
		ri.size = 0;
		if (ri.index == VFIO_PCI_BAR0_REGION_INDEX)
			ri.size = TD_BAR0_SIZE;
		else if (ri.index == VFIO_PCI_CONFIG_REGION_INDEX)
			ri.size = sizeof(td->cfg);
		if (ri.size)
			ri.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		return reply(sock, h, 0, &ri, sizeof(ri));
	}
	case VFU_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info ii;

		if (len < sizeof(ii))
			return reply(sock, h, -EINVAL, NULL, 0);
		memcpy(&ii, p, sizeof(ii));
		if (ii.index >= VFIO_PCI_NUM_IRQS)
			return reply(sock, h, -EINVAL, NULL, 0);
		ii.argsz = sizeof(ii);
		ii.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
		ii.count = ii.index == VFIO_PCI_MSIX_IRQ_INDEX ? TD_MSIX_VECS : 0;
		return reply(sock, h, 0, &ii, sizeof(ii));
	}
	case VFU_DEVICE_SET_IRQS: {
		struct vfio_irq_set s;

		if (len < sizeof(s))
			return reply(sock, h, -EINVAL, NULL, 0);
		memcpy(&s, p, sizeof(s));
		if (s.index != VFIO_PCI_MSIX_IRQ_INDEX || s.start > TD_MSIX_VECS ||
		    s.count > TD_MSIX_VECS - s.start) {
			err = -EINVAL;
		} else if (s.flags & VFIO_IRQ_SET_DATA_EVENTFD) {
			if (nfds != s.count) {
				err = -EINVAL;
			} else {
				for (unsigned i = 0; i < s.count; i++) {
					if (td->irq_fds[s.start + i] >= 0)
						close(td->irq_fds[s.start + i]);
					td->irq_fds[s.start + i] = fds[i];
					fds[i] = -1; /* kept */
				}
			}
		} else if (s.count == 0) {
			for (unsigned i = 0; i < TD_MSIX_VECS; i++) {
				if (td->irq_fds[i] >= 0)
					close(td->irq_fds[i]);
				td->irq_fds[i] = -1;
			}
		}
		return reply(sock, h, err, NULL, 0);
	}
	case VFU_REGION_READ:
	case VFU_REGION_WRITE: {
		struct vfu_region_access a;
		bool w = h->cmd == VFU_REGION_WRITE;

		if (len < sizeof(a))
			return reply(sock, h, -EINVAL, NULL, 0);
		memcpy(&a, p, sizeof(a));
		if (a.count > VFU_MAX_DATA || (w && len != sizeof(a) + a.count))
			return reply(sock, h, -EINVAL, NULL, 0);
		err = region_rw(td, a.region, a.offset, p + sizeof(a), a.count, w);
		return reply(sock, h, err, p, w ? sizeof(a) : sizeof(a) + a.count);
	}
	case VFU_DMA_MAP: {
		struct vfu_dma_map m;
		struct dma_map *d;
		long pg = sysconf(_SC_PAGESIZE);
		uint64_t lead;

		if (len < sizeof(m) || nfds != 1 || td->nmaps == MAX_MAPS)
			return reply(sock, h, len < sizeof(m) || nfds != 1 ? -EINVAL : -ENOSPC,
				     NULL, 0);
		memcpy(&m, p, sizeof(m));
		if (!m.size || m.addr + m.size < m.addr || dma_ptr(td, m.addr, 1, false) ||
		    dma_ptr(td, m.addr + m.size - 1, 1, false))
			return reply(sock, h, m.size ? -EEXIST : -EINVAL, NULL, 0);
		d = &td->maps[td->nmaps];
		lead = m.offset % (uint64_t)pg;
		d->map_len = (size_t)(m.size + lead);
		d->map_base =
		    mmap(NULL, d->map_len, PROT_READ | (m.flags & VFU_DMA_F_WRITE ? PROT_WRITE : 0),
			 MAP_SHARED, fds[0], (off_t)(m.offset - lead));
		if (d->map_base == MAP_FAILED)
			return reply(sock, h, -errno, NULL, 0);
		d->ptr = d->map_base + lead;
		d->iova = m.addr;
		d->size = m.size;
		d->writable = m.flags & VFU_DMA_F_WRITE;
		td->nmaps++;
		return reply(sock, h, 0, NULL, 0);
	}
	case VFU_DMA_UNMAP: {
		struct vfu_dma_unmap u;

		if (len < sizeof(u))
			return reply(sock, h, -EINVAL, NULL, 0);
		memcpy(&u, p, sizeof(u));
		err = -ENOENT;
		for (unsigned i = 0; i < td->nmaps; i++) {
			if (td->maps[i].iova == u.addr && td->maps[i].size == u.size) {
				munmap(td->maps[i].map_base, td->maps[i].map_len);
				td->maps[i] = td->maps[--td->nmaps];
				err = 0;
				break;
			}
		}
		return reply(sock, h, err, NULL, 0);
	}
	case VFU_DEVICE_RESET:
		reset_regs(td);
		return reply(sock, h, 0, NULL, 0);
	default:
		return reply(sock, h, -ENOSYS, NULL, 0);
	}
}

int testdev_serve(struct testdev *td, int sock)
{
	unsigned served = 0;
	int ret;

	for (;;) {
		if (td->crash_after && served++ == td->crash_after) {
			ret = -ECONNABORTED;
			break;
		}
		struct vfu_hdr h;
		int fds[VFU_MAX_FDS];
		unsigned nfds = 0;
		size_t len = 0;

		ret = vfu_recv(sock, &h, td->msg, sizeof(td->msg), &len, fds, &nfds);
		if (ret == -EMSGSIZE) {
			ret = reply(sock, &h, -EMSGSIZE, NULL, 0);
		} else if (!ret) {
			if ((h.flags & VFU_F_TYPE_MASK) != VFU_F_TYPE_COMMAND)
				ret = -EPROTO;
			else
				ret = handle(td, sock, &h, td->msg, len, fds, nfds);
			/* Fds not kept (SET_IRQS marks kept ones -1); a DMA map's
			 * mmap holds the memory without its fd. */
			for (unsigned i = 0; i < nfds; i++)
				if (fds[i] >= 0)
					close(fds[i]);
		}
		if (ret)
			break;
	}
	drop_client_state(td);
	/* -ECONNABORTED (crash injection): the caller drops the socket. */
	return ret == -ECONNRESET ? 0 : ret;
}
