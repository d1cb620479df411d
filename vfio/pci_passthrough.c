/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "passthrough"
#include "vfio/pci_passthrough.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"

#define PAGE	     4096ull
#define MAX_CAPS     48
#define PT_CMD_BITS  (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)
#define PCIE_FLR_CAP (1u << 28) /* PCI_EXP_DEVCAP_FLR */

/* One BAR range the guest reaches without exits. */
struct direct {
	uint64_t off, size;
	void *hva;
	bool mapped; /* memslot installed */
	uint64_t gpa;
};

/* One mmap of the device (to undo). */
struct mapping {
	void *hva;
	uint64_t size;
};

struct pci_passthrough {
	struct pt_config cfg;
	char name[48];
	struct pci_dev *dev;
	struct msix *msix;
	uint8_t phys_cfg[PCI_CFG_STD_SIZE];
	int msix_bar;
	uint32_t msix_table_off, msix_pba_off;
	unsigned nvec;
	int *efds;
	bool msix_on;
	struct direct direct[PT_MEMSLOTS_PER_DEV];
	int direct_bar[PT_MEMSLOTS_PER_DEV];
	unsigned ndirect;
	struct mapping maps[PT_MEMSLOTS_PER_DEV];
	unsigned nmaps;
	uint64_t trapped;
};

/* ---- kernel VFIO backend ---------------------------------------------------- */

static int kv_region_info(void *be, unsigned index, struct vfio_region *out)
{
	const struct vfio_region *r = vfio_device_region(be, index);

	if (!r)
		return -EINVAL;
	*out = *r;
	return 0;
}

static int kv_irq_info(void *be, unsigned index, struct vfio_irq *out)
{
	const struct vfio_irq *i = vfio_device_irq(be, index);

	if (!i)
		return -EINVAL;
	*out = *i;
	return 0;
}

static int kv_read(void *be, unsigned index, uint64_t off, void *buf, size_t len)
{
	return vfio_region_read(be, index, off, buf, len);
}

static int kv_write(void *be, unsigned index, uint64_t off, const void *buf, size_t len)
{
	return vfio_region_write(be, index, off, buf, len);
}

static int kv_mmap(void *be, unsigned index, uint64_t off, uint64_t len, void **out)
{
	return vfio_region_mmap(be, index, off, len, PROT_READ | PROT_WRITE, out);
}

static int kv_set_msix(void *be, unsigned start, unsigned count, const int *fds)
{
	return vfio_device_set_msix(be, start, count, fds);
}

static int kv_disable_msix(void *be)
{
	return vfio_device_disable_irq(be, VFIO_PCI_MSIX_IRQ_INDEX);
}

static int kv_reset(void *be)
{
	return vfio_device_reset(be);
}

const struct vfio_dev_ops vfio_kernel_dev_ops = {
    .region_info = kv_region_info,
    .irq_info = kv_irq_info,
    .region_read = kv_read,
    .region_write = kv_write,
    .region_mmap = kv_mmap,
    .set_msix = kv_set_msix,
    .disable_msix = kv_disable_msix,
    .reset = kv_reset,
};

/* ---- guest accesses ----------------------------------------------------------- */

static void pt_bar_read(void *opaque, int bar, uint64_t off, void *data, unsigned len)
{
	struct pci_passthrough *pt = opaque;

	if (pt->msix && msix_bar_access(pt->msix, bar, off, data, len, false))
		return;
	pt->trapped++;
	if (pt->cfg.ops->region_read(pt->cfg.be, (unsigned)bar, off, data, len))
		memset(data, 0xff, len);
}

static void pt_bar_write(void *opaque, int bar, uint64_t off, const void *data, unsigned len)
{
	struct pci_passthrough *pt = opaque;

	if (pt->msix && msix_bar_access(pt->msix, bar, off, (void *)data, len, true))
		return;
	pt->trapped++;
	pt->cfg.ops->region_write(pt->cfg.be, (unsigned)bar, off, data, len);
}

/* Install or remove the memslots of `bar` at guest address gpa. */
static void pt_bar_map(void *opaque, int bar, uint64_t gpa, bool active)
{
	struct pci_passthrough *pt = opaque;

	for (unsigned i = 0; i < pt->ndirect; i++) {
		struct direct *d = &pt->direct[i];
		uint32_t slot = pt->cfg.first_slot + i;
		int ret;

		if (pt->direct_bar[i] != bar)
			continue;
		if (active) {
			ret = pt->cfg.slots->set(pt->cfg.slots_opaque, slot, gpa + d->off, d->size,
						 d->hva);
			d->mapped = ret == 0;
			d->gpa = gpa + d->off;
			if (ret)
				pr_warn("%s: BAR%d [0x%" PRIx64 ", +0x%" PRIx64 ") stays trapped: "
					"memslot failed (%s)",
					pt->name, bar, d->off, d->size, strerror(-ret));
		} else if (d->mapped) {
			pt->cfg.slots->set(pt->cfg.slots_opaque, slot, d->gpa, 0, NULL);
			d->mapped = false;
		}
	}
}

/* Keep the device's MSI-X in step with the guest's enable bit. */
static void pt_sync_msix(struct pci_passthrough *pt)
{
	bool want = msix_enabled(pt->msix);
	int ret;

	if (want == pt->msix_on)
		return;
	if (want) {
		ret = pt->cfg.ops->set_msix(pt->cfg.be, 0, pt->nvec, pt->efds);
		if (ret) {
			pr_err("%s: enabling %u MSI-X vectors on the device failed (%s); its "
			       "interrupts will not reach the guest",
			       pt->name, pt->nvec, strerror(-ret));
			return;
		}
	} else {
		pt->cfg.ops->disable_msix(pt->cfg.be);
	}
	pt->msix_on = want;
}

static void pt_cfg_write(void *opaque, uint32_t off, uint32_t val, unsigned len)
{
	struct pci_passthrough *pt = opaque;

	msix_cfg_write(pt->msix, off, val, len);
	pt_sync_msix(pt);
	if (off < PCI_COMMAND + 2 && off + len > PCI_COMMAND) {
		/* Only decode enables and bus mastering reach the device; INTx
		 * stays disabled there (we offer none). */
		uint16_t guest = (uint16_t)pci_cfg_get(pt->dev, PCI_COMMAND, 2), phys = 0;

		if (!pt->cfg.ops->region_read(pt->cfg.be, VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND,
					      &phys, 2)) {
			phys = (uint16_t)((phys & ~PT_CMD_BITS) | (guest & PT_CMD_BITS) |
					  PCI_COMMAND_INTX_DISABLE);
			pt->cfg.ops->region_write(pt->cfg.be, VFIO_PCI_CONFIG_REGION_INDEX,
						  PCI_COMMAND, &phys, 2);
		}
	}
}

static const struct pci_dev_ops pt_pci_ops = {
    .bar_read = pt_bar_read,
    .bar_write = pt_bar_write,
    .bar_map = pt_bar_map,
    .cfg_write = pt_cfg_write,
};

/* ---- building the virtual function ---------------------------------------------- */

static uint32_t phys_get(const struct pci_passthrough *pt, unsigned off, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len && off + i < PCI_CFG_STD_SIZE; i++)
		v |= (uint32_t)pt->phys_cfg[off + i] << (8 * i);
	return v;
}

/* BAR descriptions from the regions and the physical BAR registers. */
static int build_bars(struct pci_passthrough *pt, struct pci_dev_desc *desc)
{
	for (int i = 0; i < PCI_BARS_MAX; i++) {
		struct vfio_region r;
		uint32_t reg = phys_get(pt, PCI_BASE_ADDRESS_0 + 4u * (unsigned)i, 4);
		struct pci_bar_desc *b = &desc->bars[i];

		if (pt->cfg.ops->region_info(pt->cfg.be, (unsigned)i, &r) || r.size == 0)
			continue;
		if (r.size & (r.size - 1)) {
			pr_err("%s: BAR%d size 0x%" PRIx64 " is not a power of two", pt->name, i,
			       r.size);
			return -EOPNOTSUPP;
		}
		b->size = r.size;
		if (reg & PCI_BASE_ADDRESS_SPACE_IO) {
			b->type = PCI_BAR_IO;
			continue;
		}
		b->prefetchable = reg & PCI_BASE_ADDRESS_MEM_PREFETCH;
		if ((reg & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64) {
			if (i == PCI_BARS_MAX - 1) {
				pr_err("%s: 64-bit BAR5 has no upper half", pt->name);
				return -EINVAL;
			}
			b->type = PCI_BAR_MEM64;
			i++; /* the upper half's slot stays PCI_BAR_NONE */
		} else {
			b->type = PCI_BAR_MEM32;
		}
		if (b->size < 16)
			b->size = 16;
	}
	return 0;
}

/* Copy capability `id` at physical offset `at` (len bytes) as a read-only
 * snapshot into the virtual list. */
static int copy_cap(struct pci_passthrough *pt, uint8_t id, unsigned at, unsigned len)
{
	uint8_t off;
	int ret;

	if (at + len > PCI_CFG_STD_SIZE)
		len = PCI_CFG_STD_SIZE - at;
	ret = pci_cap_add(pt->dev, id, len, &off);
	if (ret)
		return ret;
	for (unsigned i = 2; i < len; i++)
		pci_cfg_set(pt->dev, off + i, pt->phys_cfg[at + i], 1);
	if (id == PCI_CAP_ID_EXP && len >= PCI_EXP_DEVCAP + 4) {
		/* No FLR offered: resets are ours (start/stop). */
		uint32_t devcap = pci_cfg_get(pt->dev, off + PCI_EXP_DEVCAP, 4);

		pci_cfg_set(pt->dev, off + PCI_EXP_DEVCAP, devcap & ~PCIE_FLR_CAP, 4);
	}
	return 0;
}

/* Walk the physical capability list: find MSI-X, copy PM/PCIe/vendor caps.
 * Bounded and loop-proof (a device's config space is untrusted input). */
static int walk_caps(struct pci_passthrough *pt, bool copy, int *msix_at)
{
	uint8_t seen[PCI_CFG_STD_SIZE / 8] = {0};
	unsigned at, n = 0;
	int ret;

	*msix_at = -1;
	if (!(phys_get(pt, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	for (at = phys_get(pt, PCI_CAPABILITY_LIST, 1) & 0xfc; at;
	     at = phys_get(pt, at + 1, 1) & 0xfc) {
		uint8_t id = (uint8_t)phys_get(pt, at, 1);
		unsigned len = 0;

		if (at < 0x40 || at > PCI_CFG_STD_SIZE - 4 || (seen[at / 8] & (1u << (at % 8))) ||
		    ++n > MAX_CAPS) {
			pr_err("%s: malformed capability list at 0x%x", pt->name, at);
			return -EINVAL;
		}
		seen[at / 8] |= (uint8_t)(1u << (at % 8));
		switch (id) {
		case PCI_CAP_ID_MSIX:
			*msix_at = (int)at;
			break;
		case PCI_CAP_ID_PM:
			len = PCI_PM_SIZEOF;
			break;
		case PCI_CAP_ID_EXP:
			len = (phys_get(pt, at + PCI_EXP_FLAGS, 2) & PCI_EXP_FLAGS_VERS) > 1
				  ? PCI_CAP_EXP_ENDPOINT_SIZEOF_V2
				  : PCI_CAP_EXP_ENDPOINT_SIZEOF_V1;
			break;
		case PCI_CAP_ID_VNDR:
			len = phys_get(pt, at + 2, 1);
			if (len < 3)
				len = 0;
			break;
		default:
			break; /* MSI and the rest: hidden */
		}
		if (copy && len) {
			ret = copy_cap(pt, id, at, len);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Direct (memslot) ranges of BAR `bar`: its mmappable areas minus the
 * page-aligned span of the MSI-X table and PBA. */
static int plan_direct(struct pci_passthrough *pt, int bar, uint64_t bar_size)
{
	struct vfio_region r;
	uint64_t hole_lo = 0, hole_hi = 0;
	unsigned nareas;

	if (pt->cfg.ops->region_info(pt->cfg.be, (unsigned)bar, &r) ||
	    !(r.flags & VFIO_REGION_INFO_FLAG_MMAP) || bar_size < PAGE)
		return 0;
	if (bar == pt->msix_bar) {
		uint64_t tend = pt->msix_table_off + 16ull * pt->nvec;
		uint64_t pend = pt->msix_pba_off + 8ull * ((pt->nvec + 63) / 64);
		uint64_t lo =
		    pt->msix_table_off < pt->msix_pba_off ? pt->msix_table_off : pt->msix_pba_off;
		uint64_t hi = tend > pend ? tend : pend;

		hole_lo = lo & ~(PAGE - 1);
		hole_hi = (hi + PAGE - 1) & ~(PAGE - 1);
	}
	nareas = r.nr_sparse ? r.nr_sparse : 1;
	for (unsigned a = 0; a < nareas; a++) {
		uint64_t aoff = r.nr_sparse ? r.sparse[a].offset : 0;
		uint64_t asz = r.nr_sparse ? r.sparse[a].size : r.size;
		uint64_t lo = (aoff + PAGE - 1) & ~(PAGE - 1), hi = (aoff + asz) & ~(PAGE - 1);
		uint64_t pieces[2][2];
		void *hva;
		int np = 0, ret;

		if (hi > bar_size)
			hi = bar_size;
		if (hi <= lo)
			continue;
		if (hole_hi > hole_lo && hole_lo < hi && lo < hole_hi) {
			if (lo < hole_lo)
				pieces[np][0] = lo, pieces[np++][1] = hole_lo;
			if (hole_hi < hi)
				pieces[np][0] = hole_hi, pieces[np++][1] = hi;
		} else {
			pieces[np][0] = lo, pieces[np++][1] = hi;
		}
		if (!np)
			continue;
		if (pt->nmaps == PT_MEMSLOTS_PER_DEV)
			break;
		ret = pt->cfg.ops->region_mmap(pt->cfg.be, (unsigned)bar, lo, hi - lo, &hva);
		if (ret) {
			pr_warn("%s: BAR%d [0x%" PRIx64 ", 0x%" PRIx64 ") not mmappable (%s); "
				"trapping it",
				pt->name, bar, lo, hi, strerror(-ret));
			continue;
		}
		pt->maps[pt->nmaps++] = (struct mapping){hva, hi - lo};
		for (int p = 0; p < np && pt->ndirect < PT_MEMSLOTS_PER_DEV; p++) {
			struct direct *d = &pt->direct[pt->ndirect];

			d->off = pieces[p][0];
			d->size = pieces[p][1] - pieces[p][0];
			d->hva = (uint8_t *)hva + (pieces[p][0] - lo);
			pt->direct_bar[pt->ndirect++] = bar;
		}
	}
	return 0;
}

int pci_passthrough_create(struct pci_bus *bus, const struct pt_config *cfg,
			   struct pci_passthrough **out)
{
	struct pci_dev_desc desc = {0};
	struct pci_passthrough *pt;
	struct vfio_irq irq;
	uint32_t tbl, pba;
	int ret, msix_at;

	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pt->cfg = *cfg;
	snprintf(pt->name, sizeof(pt->name), "%s", cfg->name ? cfg->name : "vfio");
	pt->msix_bar = -1;
	ret = cfg->ops->reset(cfg->be);
	if (ret == -EOPNOTSUPP)
		pr_warn("%s: no function reset; the device keeps whatever state it had", pt->name);
	ret = cfg->ops->region_read(cfg->be, VFIO_PCI_CONFIG_REGION_INDEX, 0, pt->phys_cfg,
				    sizeof(pt->phys_cfg));
	if (ret) {
		pr_err("%s: reading its config space failed: %s", pt->name, strerror(-ret));
		goto err_free;
	}
	if ((phys_get(pt, PCI_HEADER_TYPE, 1) & 0x7f) != PCI_HEADER_TYPE_NORMAL) {
		pr_err("%s: header type 0x%x is not an endpoint; bridges cannot be passed through",
		       pt->name, phys_get(pt, PCI_HEADER_TYPE, 1));
		ret = -EOPNOTSUPP;
		goto err_free;
	}
	/* MSI-X is the only interrupt we offer. */
	ret = walk_caps(pt, false, &msix_at);
	if (ret)
		goto err_free;
	if (msix_at < 0 || cfg->ops->irq_info(cfg->be, VFIO_PCI_MSIX_IRQ_INDEX, &irq) ||
	    irq.count == 0) {
		pr_err("%s: has no MSI-X; only MSI-X devices can be passed through (no INTx/MSI "
		       "emulation)",
		       pt->name);
		ret = -EOPNOTSUPP;
		goto err_free;
	}
	pt->nvec = (phys_get(pt, (unsigned)msix_at + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1;
	if (pt->nvec > irq.count)
		pt->nvec = irq.count;
	tbl = phys_get(pt, (unsigned)msix_at + PCI_MSIX_TABLE, 4);
	pba = phys_get(pt, (unsigned)msix_at + PCI_MSIX_PBA, 4);
	if ((tbl & PCI_MSIX_TABLE_BIR) != (pba & PCI_MSIX_PBA_BIR)) {
		pr_err("%s: MSI-X table (BAR%u) and PBA (BAR%u) live in different BARs; not "
		       "supported",
		       pt->name, tbl & PCI_MSIX_TABLE_BIR, pba & PCI_MSIX_PBA_BIR);
		ret = -EOPNOTSUPP;
		goto err_free;
	}
	pt->msix_bar = (int)(tbl & PCI_MSIX_TABLE_BIR);
	pt->msix_table_off = tbl & PCI_MSIX_TABLE_OFFSET;
	pt->msix_pba_off = pba & PCI_MSIX_PBA_OFFSET;

	desc.name = pt->name;
	desc.vendor_id = (uint16_t)phys_get(pt, PCI_VENDOR_ID, 2);
	desc.device_id = (uint16_t)phys_get(pt, PCI_DEVICE_ID, 2);
	desc.subsys_vendor_id = (uint16_t)phys_get(pt, PCI_SUBSYSTEM_VENDOR_ID, 2);
	desc.subsys_id = (uint16_t)phys_get(pt, PCI_SUBSYSTEM_ID, 2);
	desc.revision = (uint8_t)phys_get(pt, PCI_REVISION_ID, 1);
	desc.class_code = phys_get(pt, PCI_CLASS_PROG, 3);
	ret = build_bars(pt, &desc);
	if (ret)
		goto err_free;
	if (pt->msix_bar >= PCI_BARS_MAX || desc.bars[pt->msix_bar].type == PCI_BAR_NONE ||
	    desc.bars[pt->msix_bar].type == PCI_BAR_IO) {
		pr_err("%s: MSI-X table in BAR%d, which is not a memory BAR", pt->name,
		       pt->msix_bar);
		ret = -EOPNOTSUPP;
		goto err_free;
	}
	pt->efds = calloc(pt->nvec, sizeof(*pt->efds));
	if (!pt->efds) {
		ret = -ENOMEM;
		goto err_free;
	}
	for (unsigned i = 0; i < pt->nvec; i++)
		pt->efds[i] = -1;
	for (unsigned i = 0; i < pt->nvec; i++) {
		pt->efds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (pt->efds[i] < 0) {
			ret = -errno;
			goto err_fds;
		}
	}
	for (int b = 0; b < PCI_BARS_MAX; b++) {
		if (desc.bars[b].type == PCI_BAR_MEM32 || desc.bars[b].type == PCI_BAR_MEM64) {
			ret = plan_direct(pt, b, desc.bars[b].size);
			if (ret)
				goto err_unmap;
		}
	}
	ret = pci_dev_register(bus, &desc, &pt_pci_ops, pt, &pt->dev);
	if (ret) {
		pr_err("%s: cannot plug it into the PCI bus: %s", pt->name, strerror(-ret));
		goto err_unmap;
	}
	ret = msix_create(pt->dev, pt->nvec, pt->msix_bar, pt->msix_table_off, pt->msix_pba_off,
			  cfg->msi, cfg->msi_opaque, &pt->msix);
	if (ret)
		goto err_unplug;
	ret = walk_caps(pt, true, &msix_at);
	if (ret)
		goto err_msix;
	for (unsigned i = 0; i < pt->nvec; i++) {
		ret = msix_bind_fd(pt->msix, i, pt->efds[i]);
		if (ret)
			goto err_unbind;
	}
	pci_cfg_set(pt->dev, PCI_INTERRUPT_PIN, 0, 1);
	pr_info("%s: %04x:%04x class %06x, %u MSI-X vectors in BAR%d, %u direct BAR range(s)",
		pt->name, desc.vendor_id, desc.device_id, desc.class_code, pt->nvec, pt->msix_bar,
		pt->ndirect);
	*out = pt;
	return 0;

err_unbind:
	for (unsigned i = 0; i < pt->nvec; i++)
		msix_unbind_fd(pt->msix, i, pt->efds[i]);
err_msix:
	msix_destroy(pt->msix);
err_unplug:
	pci_dev_unregister(pt->dev);
err_unmap:
	for (unsigned i = 0; i < pt->nmaps; i++)
		munmap(pt->maps[i].hva, pt->maps[i].size);
err_fds:
	for (unsigned i = 0; i < pt->nvec; i++)
		if (pt->efds[i] >= 0)
			close(pt->efds[i]);
	free(pt->efds);
err_free:
	free(pt);
	return ret;
}

void pci_passthrough_destroy(struct pci_passthrough *pt)
{
	if (!pt)
		return;
	if (pt->msix_on)
		pt->cfg.ops->disable_msix(pt->cfg.be);
	for (unsigned i = 0; i < pt->nvec; i++)
		msix_unbind_fd(pt->msix, i, pt->efds[i]);
	msix_destroy(pt->msix);
	pci_dev_unregister(pt->dev); /* bar_map(false): memslots go */
	for (unsigned i = 0; i < pt->nmaps; i++)
		munmap(pt->maps[i].hva, pt->maps[i].size);
	for (unsigned i = 0; i < pt->nvec; i++)
		close(pt->efds[i]);
	free(pt->efds);
	pt->cfg.ops->reset(pt->cfg.be);
	free(pt);
}

struct pci_dev *pci_passthrough_pci_dev(const struct pci_passthrough *pt)
{
	return pt->dev;
}

bool pci_passthrough_msix_on(const struct pci_passthrough *pt)
{
	return pt->msix_on;
}

uint64_t pci_passthrough_trapped_count(const struct pci_passthrough *pt)
{
	return pt->trapped;
}

unsigned pci_passthrough_direct_mapped(const struct pci_passthrough *pt)
{
	unsigned n = 0;

	for (unsigned i = 0; i < pt->ndirect; i++)
		n += pt->direct[i].mapped;
	return n;
}
