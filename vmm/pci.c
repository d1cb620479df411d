// SPDX-License-Identifier: MIT
/* PCI bus 0: config space emulation, BAR assignment and decode, dispatch. */
#define LOG_PREFIX "pci"
#include "vmm/pci.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "common/log.h"
#include "vmm/layout.h"

#define HOST_BRIDGE_VENDOR 0x1b36 /* Red Hat, Inc. */
#define HOST_BRIDGE_DEVICE 0x0008 /* PCIe host bridge */
#define CAP_AREA_START	   0x40
#define CF8_ENABLE	   0x80000000u
#define CF8_MASK	   0x80fffffcu

struct pci_bar {
	enum pci_bar_type type;
	uint64_t size;
	bool prefetchable;
	uint64_t addr;	      /* as programmed by the guest */
	bool active;	      /* decoding at active_addr */
	uint64_t active_addr; /* where bar_map(true) last put it */
	bool refused;	      /* refused_addr was refused (counted once) */
	uint64_t refused_addr;
};

struct pci_dev {
	struct pci_bus *bus;
	uint8_t slot;
	char name[32];
	const struct pci_dev_ops *ops;
	void *opaque;
	struct pci_bar bars[PCI_BARS_MAX];
	uint16_t cap_free; /* next free byte for a capability */
	uint8_t cap_last;  /* offset of the last capability, 0 = none */
	uint64_t bad_bar;
	bool warned;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];
	uint8_t w1c[PCI_CFG_SIZE];
};

struct pci_bus {
	pthread_mutex_t lock;
	struct pci_bus_config cfg;
	uint32_t cf8;
	uint64_t next32, next64, next_io;
	struct pci_dev *devs[PCI_DEVS_MAX];
};

static const struct pci_dev_ops no_ops;

uint64_t pci_mmio64_base(uint64_t ram_size)
{
	uint64_t below = PCI_HOLE_START - 0; /* RAM below the hole: [0, 3 GiB) */
	uint64_t top = RAM_ABOVE_4G_START;

	if (ram_size > below)
		top = RAM_ABOVE_4G_START + (ram_size - below);
	return (top + PCI_MMIO64_ALIGN - 1) & ~(PCI_MMIO64_ALIGN - 1);
}

void pci_bus_default_config(uint64_t ram_size, struct pci_bus_config *cfg)
{
	cfg->mmio32_base = PCI_MMIO32_BASE;
	cfg->mmio32_end = PCI_MMIO32_END;
	cfg->mmio64_base = pci_mmio64_base(ram_size);
	cfg->mmio64_end = cfg->mmio64_base + PCI_MMIO64_SIZE;
	cfg->io_base = PCI_IO_BAR_BASE;
	cfg->io_end = PCI_IO_BAR_END;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool range_in(uint64_t addr, uint64_t size, uint64_t base, uint64_t end)
{
	return addr >= base && addr < end && size <= end - addr;
}

/* ---- raw config accessors ---- */

void pci_cfg_set(struct pci_dev *dev, uint32_t off, uint32_t val, unsigned len)
{
	for (unsigned i = 0; i < len && i < 4; i++)
		if (off + i < PCI_CFG_SIZE)
			dev->cfg[off + i] = (uint8_t)(val >> (8 * i));
}

uint32_t pci_cfg_get(const struct pci_dev *dev, uint32_t off, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len && i < 4; i++)
		if (off + i < PCI_CFG_SIZE)
			v |= (uint32_t)dev->cfg[off + i] << (8 * i);
	return v;
}

void pci_cfg_set_wmask(struct pci_dev *dev, uint32_t off, uint32_t mask, unsigned len)
{
	for (unsigned i = 0; i < len && i < 4; i++)
		if (off + i < PCI_CFG_SIZE)
			dev->wmask[off + i] = (uint8_t)(mask >> (8 * i));
}

static void set_w1c(struct pci_dev *dev, uint32_t off, uint32_t mask, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		dev->w1c[off + i] = (uint8_t)(mask >> (8 * i));
}

/* ---- BARs ---- */

static uint32_t bar_reg_value(const struct pci_bar *b, bool high)
{
	uint64_t a = b->addr & ~(b->size - 1);

	switch (b->type) {
	case PCI_BAR_MEM32:
		return ((uint32_t)a & PCI_BASE_ADDRESS_MEM_MASK) |
		       (b->prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
	case PCI_BAR_MEM64:
		if (high)
			return (uint32_t)(a >> 32);
		return ((uint32_t)a & PCI_BASE_ADDRESS_MEM_MASK) | PCI_BASE_ADDRESS_MEM_TYPE_64 |
		       (b->prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
	case PCI_BAR_IO:
		return ((uint32_t)a & PCI_BASE_ADDRESS_IO_MASK) | PCI_BASE_ADDRESS_SPACE_IO;
	default:
		return 0;
	}
}

/* Mirror BAR state into the config bytes so reads need no special case. */
static void bar_sync_regs(struct pci_dev *dev, int i)
{
	struct pci_bar *b = &dev->bars[i];
	uint32_t off = PCI_BASE_ADDRESS_0 + 4 * (uint32_t)i;

	pci_cfg_set(dev, off, bar_reg_value(b, false), 4);
	if (b->type == PCI_BAR_MEM64)
		pci_cfg_set(dev, off + 4, bar_reg_value(b, true), 4);
}

/* Index of the BAR whose register dword is `reg` (0..5), and whether it is
 * the high half of a 64-bit BAR; -1 if the dword belongs to no BAR. */
static int bar_of_reg(const struct pci_dev *dev, int reg, bool *high)
{
	if (dev->bars[reg].type != PCI_BAR_NONE) {
		*high = false;
		return reg;
	}
	if (reg > 0 && dev->bars[reg - 1].type == PCI_BAR_MEM64) {
		*high = true;
		return reg - 1;
	}
	return -1;
}

static void bar_write_reg(struct pci_dev *dev, int reg, uint32_t v)
{
	bool high;
	int i = bar_of_reg(dev, reg, &high);
	struct pci_bar *b;
	uint64_t mask;

	if (i < 0)
		return;
	b = &dev->bars[i];
	mask = ~(b->size - 1);
	switch (b->type) {
	case PCI_BAR_MEM32:
		b->addr = (v & PCI_BASE_ADDRESS_MEM_MASK) & mask & 0xffffffffull;
		break;
	case PCI_BAR_MEM64:
		if (high)
			b->addr = (((uint64_t)v << 32) | (b->addr & 0xffffffffull)) & mask;
		else
			b->addr =
			    ((b->addr & ~0xffffffffull) | (v & PCI_BASE_ADDRESS_MEM_MASK)) & mask;
		break;
	case PCI_BAR_IO:
		b->addr = (v & PCI_BASE_ADDRESS_IO_MASK) & mask & 0xffffffffull;
		break;
	default:
		return;
	}
	bar_sync_regs(dev, i);
}

static bool bar_in_window(const struct pci_bus *bus, const struct pci_bar *b)
{
	const struct pci_bus_config *c = &bus->cfg;

	switch (b->type) {
	case PCI_BAR_MEM32:
		return range_in(b->addr, b->size, c->mmio32_base, c->mmio32_end);
	case PCI_BAR_MEM64:
		return range_in(b->addr, b->size, c->mmio32_base, c->mmio32_end) ||
		       range_in(b->addr, b->size, c->mmio64_base, c->mmio64_end);
	case PCI_BAR_IO:
		return range_in(b->addr, b->size, c->io_base, c->io_end);
	default:
		return false;
	}
}

/* Does [addr, addr+size) in b's space overlap any other decoding BAR? */
static bool bar_overlaps(const struct pci_bus *bus, const struct pci_bar *b)
{
	bool io = b->type == PCI_BAR_IO;

	for (int d = 0; d < PCI_DEVS_MAX; d++) {
		const struct pci_dev *o = bus->devs[d];

		if (!o)
			continue;
		for (int i = 0; i < PCI_BARS_MAX; i++) {
			const struct pci_bar *ob = &o->bars[i];

			if (ob == b || !ob->active || (ob->type == PCI_BAR_IO) != io)
				continue;
			if (b->addr < ob->active_addr + ob->size &&
			    ob->active_addr < b->addr + b->size)
				return true;
		}
	}
	return false;
}

/* Re-evaluate which of dev's BARs decode, after a command or BAR write. */
static void bars_update(struct pci_dev *dev)
{
	uint16_t cmd = (uint16_t)pci_cfg_get(dev, PCI_COMMAND, 2);

	for (int i = 0; i < PCI_BARS_MAX; i++) {
		struct pci_bar *b = &dev->bars[i];
		bool want, ok;

		if (b->type == PCI_BAR_NONE)
			continue;
		want =
		    (b->type == PCI_BAR_IO) ? (cmd & PCI_COMMAND_IO) : (cmd & PCI_COMMAND_MEMORY);
		ok = want && bar_in_window(dev->bus, b) && !bar_overlaps(dev->bus, b);
		if (b->active && (!ok || b->active_addr != b->addr)) {
			b->active = false;
			if (dev->ops->bar_map)
				dev->ops->bar_map(dev->opaque, i, b->active_addr, false);
		}
		if (ok && !b->active) {
			b->active = true;
			b->active_addr = b->addr;
			b->refused = false;
			if (dev->ops->bar_map)
				dev->ops->bar_map(dev->opaque, i, b->addr, true);
		}
		if (want && !ok && !(b->refused && b->refused_addr == b->addr)) {
			b->refused = true;
			b->refused_addr = b->addr;
			dev->bad_bar++;
			if (!dev->warned) {
				dev->warned = true;
				pr_warn(
				    "%s: BAR%d at %#llx size %#llx is outside the PCI windows or "
				    "overlaps another BAR; it stays off (logged once per device)",
				    dev->name, i, (unsigned long long)b->addr,
				    (unsigned long long)b->size);
			}
		}
	}
}

/* ---- bus and devices ---- */

int pci_bus_create(const struct pci_bus_config *cfg, struct pci_bus **out)
{
	static const struct pci_dev_desc host = {
	    .name = "host-bridge",
	    .vendor_id = HOST_BRIDGE_VENDOR,
	    .device_id = HOST_BRIDGE_DEVICE,
	    .subsys_vendor_id = HOST_BRIDGE_VENDOR,
	    .class_code = 0x060000, /* bridge, host */
	};
	pthread_mutexattr_t attr;
	struct pci_bus *bus;
	struct pci_dev *hb;
	int ret;

	if (cfg->mmio32_base >= cfg->mmio32_end || cfg->mmio32_end > (1ull << 32) ||
	    cfg->mmio64_base >= cfg->mmio64_end || cfg->io_base >= cfg->io_end ||
	    cfg->io_end > 0x10000 || (cfg->mmio32_base & 0xfff) || (cfg->mmio64_base & 0xfff)) {
		pr_err("bad PCI windows: mmio32 %#llx-%#llx mmio64 %#llx-%#llx io %#x-%#x; "
		       "windows must be non-empty, page aligned, mmio32 below 4 GiB, io below 64K",
		       (unsigned long long)cfg->mmio32_base, (unsigned long long)cfg->mmio32_end,
		       (unsigned long long)cfg->mmio64_base, (unsigned long long)cfg->mmio64_end,
		       cfg->io_base, cfg->io_end);
		return -EINVAL;
	}
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return -ENOMEM;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&bus->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	bus->cfg = *cfg;
	bus->next32 = cfg->mmio32_base;
	bus->next64 = cfg->mmio64_base;
	bus->next_io = cfg->io_base;
	ret = pci_dev_register(bus, &host, NULL, NULL, &hb);
	if (ret)
		goto err_free;
	*out = bus;
	return 0;

err_free:
	pthread_mutex_destroy(&bus->lock);
	free(bus);
	return ret;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	for (int d = 0; d < PCI_DEVS_MAX; d++)
		if (bus->devs[d])
			pci_dev_unregister(bus->devs[d]);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}

static int check_bars(const struct pci_dev_desc *desc)
{
	for (int i = 0; i < PCI_BARS_MAX; i++) {
		const struct pci_bar_desc *b = &desc->bars[i];
		uint64_t min = b->type == PCI_BAR_IO ? 4 : 16;

		if (b->type == PCI_BAR_NONE)
			continue;
		if (b->type > PCI_BAR_IO || !is_pow2(b->size) || b->size < min ||
		    (b->type == PCI_BAR_MEM32 && b->size > (1ull << 31)) ||
		    (b->type == PCI_BAR_IO && b->size > 256) ||
		    (b->type == PCI_BAR_MEM64 &&
		     (i == PCI_BARS_MAX - 1 || desc->bars[i + 1].type != PCI_BAR_NONE))) {
			pr_err(
			    "%s: BAR%d (type %d size %#llx) is invalid: sizes are powers of two "
			    "(memory 16 B..2 GiB for 32-bit, I/O 4..256 B) and a 64-bit BAR needs "
			    "the next slot free",
			    desc->name, i, b->type, (unsigned long long)b->size);
			return -EINVAL;
		}
		if (b->type == PCI_BAR_MEM64)
			i++;
	}
	return 0;
}

/* Preassign BAR addresses from bump allocators, as firmware would. */
static int assign_bars(struct pci_bus *bus, struct pci_dev *dev)
{
	uint64_t n32 = bus->next32, n64 = bus->next64, nio = bus->next_io;

	for (int i = 0; i < PCI_BARS_MAX; i++) {
		struct pci_bar *b = &dev->bars[i];
		uint64_t *next = b->type == PCI_BAR_MEM32   ? &n32
				 : b->type == PCI_BAR_MEM64 ? &n64
							    : &nio;
		uint64_t end = b->type == PCI_BAR_MEM32	  ? bus->cfg.mmio32_end
			       : b->type == PCI_BAR_MEM64 ? bus->cfg.mmio64_end
							  : bus->cfg.io_end;
		uint64_t a;

		if (b->type == PCI_BAR_NONE)
			continue;
		a = align_up(*next, b->size);
		if (a < *next || a >= end || b->size > end - a) {
			pr_err("%s: no room for BAR%d of %#llx bytes in its PCI window (ends at "
			       "%#llx); use fewer or smaller devices",
			       dev->name, i, (unsigned long long)b->size, (unsigned long long)end);
			return -ENOSPC;
		}
		b->addr = a;
		*next = a + b->size;
	}
	bus->next32 = n32;
	bus->next64 = n64;
	bus->next_io = nio;
	return 0;
}

static void init_header(struct pci_dev *dev, const struct pci_dev_desc *desc)
{
	pci_cfg_set(dev, PCI_VENDOR_ID, desc->vendor_id, 2);
	pci_cfg_set(dev, PCI_DEVICE_ID, desc->device_id, 2);
	pci_cfg_set(dev, PCI_REVISION_ID, desc->revision, 1);
	pci_cfg_set(dev, PCI_CLASS_PROG, desc->class_code, 3);
	pci_cfg_set(dev, PCI_HEADER_TYPE, PCI_HEADER_TYPE_NORMAL, 1);
	pci_cfg_set(dev, PCI_SUBSYSTEM_VENDOR_ID, desc->subsys_vendor_id, 2);
	pci_cfg_set(dev, PCI_SUBSYSTEM_ID, desc->subsys_id, 2);
	/* Guest-writable: decode enables, bus master, SERR, INTx disable. */
	pci_cfg_set_wmask(dev, PCI_COMMAND,
			  PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			      PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE,
			  2);
	set_w1c(dev, PCI_STATUS,
		PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT |
		    PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR |
		    PCI_STATUS_DETECTED_PARITY,
		2);
	pci_cfg_set_wmask(dev, PCI_CACHE_LINE_SIZE, 0xff, 1);
	pci_cfg_set_wmask(dev, PCI_LATENCY_TIMER, 0xff, 1);
	pci_cfg_set_wmask(dev, PCI_INTERRUPT_LINE, 0xff, 1);
	dev->cap_free = CAP_AREA_START;
}

int pci_dev_register(struct pci_bus *bus, const struct pci_dev_desc *desc,
		     const struct pci_dev_ops *ops, void *opaque, struct pci_dev **out)
{
	struct pci_dev *dev;
	int slot, ret;

	ret = check_bars(desc);
	if (ret)
		return ret;
	pthread_mutex_lock(&bus->lock);
	for (slot = 0; slot < PCI_DEVS_MAX && bus->devs[slot]; slot++)
		;
	if (slot == PCI_DEVS_MAX) {
		pr_err("%s: all %d slots of PCI bus 0 are taken; use fewer devices", desc->name,
		       PCI_DEVS_MAX - 1);
		ret = -ENOSPC;
		goto err_unlock;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		ret = -ENOMEM;
		goto err_unlock;
	}
	dev->bus = bus;
	dev->slot = (uint8_t)slot;
	dev->ops = ops ? ops : &no_ops;
	dev->opaque = opaque;
	snprintf(dev->name, sizeof(dev->name), "%s", desc->name ? desc->name : "pci-dev");
	for (int i = 0; i < PCI_BARS_MAX; i++) {
		dev->bars[i].type = desc->bars[i].type;
		dev->bars[i].size = desc->bars[i].size;
		dev->bars[i].prefetchable = desc->bars[i].prefetchable;
	}
	ret = assign_bars(bus, dev);
	if (ret)
		goto err_free;
	init_header(dev, desc);
	for (int i = 0; i < PCI_BARS_MAX; i++)
		if (dev->bars[i].type != PCI_BAR_NONE)
			bar_sync_regs(dev, i);
	bus->devs[slot] = dev;
	pthread_mutex_unlock(&bus->lock);
	pr_debug("%s at 00:%02x.0", dev->name, slot);
	*out = dev;
	return 0;

err_free:
	free(dev);
err_unlock:
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

void pci_dev_unregister(struct pci_dev *dev)
{
	struct pci_bus *bus;

	if (!dev)
		return;
	bus = dev->bus;
	pthread_mutex_lock(&bus->lock);
	for (int i = 0; i < PCI_BARS_MAX; i++) {
		struct pci_bar *b = &dev->bars[i];

		if (b->active) {
			b->active = false;
			if (dev->ops->bar_map)
				dev->ops->bar_map(dev->opaque, i, b->active_addr, false);
		}
	}
	bus->devs[dev->slot] = NULL;
	pthread_mutex_unlock(&bus->lock);
	free(dev);
}

uint8_t pci_dev_slot(const struct pci_dev *dev)
{
	return dev->slot;
}

const char *pci_dev_name(const struct pci_dev *dev)
{
	return dev->name;
}

uint64_t pci_dev_bar_addr(const struct pci_dev *dev, int bar)
{
	return bar >= 0 && bar < PCI_BARS_MAX ? dev->bars[bar].addr : 0;
}

uint64_t pci_dev_bar_size(const struct pci_dev *dev, int bar)
{
	return bar >= 0 && bar < PCI_BARS_MAX ? dev->bars[bar].size : 0;
}

bool pci_dev_bar_active(const struct pci_dev *dev, int bar)
{
	return bar >= 0 && bar < PCI_BARS_MAX && dev->bars[bar].active;
}

uint64_t pci_dev_bad_bar_count(const struct pci_dev *dev)
{
	return dev->bad_bar;
}

int pci_cap_add(struct pci_dev *dev, uint8_t cap_id, size_t len, uint8_t *off)
{
	uint32_t at = dev->cap_free;

	if (len < 2 || at + len > PCI_CFG_STD_SIZE) {
		pr_err("%s: no room for capability %#x of %zu bytes in config space", dev->name,
		       cap_id, len);
		return -ENOSPC;
	}
	pci_cfg_set(dev, at, cap_id, 1);
	pci_cfg_set(dev, at + 1, 0, 1);
	if (dev->cap_last)
		pci_cfg_set(dev, dev->cap_last + 1u, at, 1);
	else
		pci_cfg_set(dev, PCI_CAPABILITY_LIST, at, 1);
	pci_cfg_set(dev, PCI_STATUS, pci_cfg_get(dev, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST, 2);
	dev->cap_last = (uint8_t)at;
	dev->cap_free = (uint16_t)align_up(at + len, 4);
	*off = (uint8_t)at;
	return 0;
}

/* ---- guest config accesses ---- */

static bool access_ok(uint32_t reg, unsigned len)
{
	return (len == 1 || len == 2 || len == 4) && !(reg & (len - 1));
}

static void cfg_write(struct pci_dev *dev, uint32_t reg, uint32_t val, unsigned len)
{
	bool touched_bars = false, touched_cmd = false;

	for (unsigned i = 0; i < len; i++) {
		uint32_t o = reg + i;
		uint8_t v = (uint8_t)(val >> (8 * i));

		if (o >= PCI_BASE_ADDRESS_0 && o <= PCI_BASE_ADDRESS_5 + 3) {
			touched_bars = true;
			continue;
		}
		if (o == PCI_COMMAND || o == PCI_COMMAND + 1)
			touched_cmd = true;
		dev->cfg[o] = (uint8_t)((dev->cfg[o] & ~dev->wmask[o]) | (v & dev->wmask[o]));
		dev->cfg[o] &= (uint8_t) ~(v & dev->w1c[o]);
	}
	if (touched_bars) {
		/* Merge the written bytes into the BAR dword (sub-dword writes too). */
		uint32_t dw = reg & ~3u;
		uint32_t cur = pci_cfg_get(dev, dw, 4);
		unsigned shift = 8 * (reg & 3);
		uint32_t m = (len == 4 ? 0xffffffffu : ((1u << (8 * len)) - 1)) << shift;

		cur = (cur & ~m) | ((val << shift) & m);
		bar_write_reg(dev, (int)((dw - PCI_BASE_ADDRESS_0) / 4), cur);
	}
	if (touched_bars || touched_cmd)
		bars_update(dev);
	if (dev->ops->cfg_write)
		dev->ops->cfg_write(dev->opaque, reg, val, len);
}

/* One config access to bus/slot/fn/reg; absent functions read all ones. */
static int cfg_access(struct pci_bus *bus, unsigned busno, unsigned slot, unsigned fn, uint32_t reg,
		      void *data, unsigned len, bool write)
{
	struct pci_dev *dev;
	uint32_t v = 0;

	if (!access_ok(reg, len))
		return -EINVAL;
	if (write)
		memcpy(&v, data, len);
	pthread_mutex_lock(&bus->lock);
	dev = (busno == 0 && fn == 0 && slot < PCI_DEVS_MAX) ? bus->devs[slot] : NULL;
	if (!dev) {
		pthread_mutex_unlock(&bus->lock);
		if (!write)
			memset(data, 0xff, len);
		return 0;
	}
	if (write) {
		cfg_write(dev, reg, v, len);
	} else {
		v = pci_cfg_get(dev, reg, len);
		if (dev->ops->cfg_read)
			dev->ops->cfg_read(dev->opaque, reg, len, &v);
		memcpy(data, &v, len);
	}
	pthread_mutex_unlock(&bus->lock);
	return 0;
}

int pci_pio_cfg_access(struct pci_bus *bus, uint16_t port, void *data, unsigned len, bool write)
{
	uint32_t addr;

	if (port >= PORT_PCI_CONFIG && port < PORT_PCI_CONFIG + 4) {
		/* Only dword accesses reach the address latch. */
		if (port != PORT_PCI_CONFIG || len != 4)
			goto ignore;
		pthread_mutex_lock(&bus->lock);
		if (write) {
			memcpy(&addr, data, 4);
			bus->cf8 = addr & CF8_MASK;
		} else {
			memcpy(data, &bus->cf8, 4);
		}
		pthread_mutex_unlock(&bus->lock);
		return 0;
	}
	if (port < PORT_PCI_CONFIG + 4 || port >= PORT_PCI_CONFIG + 8)
		goto ignore;
	pthread_mutex_lock(&bus->lock);
	addr = bus->cf8;
	pthread_mutex_unlock(&bus->lock);
	if (!(addr & CF8_ENABLE)) {
		if (!write)
			memset(data, 0xff, len);
		return 0;
	}
	return cfg_access(bus, (addr >> 16) & 0xff, (addr >> 11) & 0x1f, (addr >> 8) & 7,
			  (addr & 0xfc) | (port - (PORT_PCI_CONFIG + 4u)), data, len, write);
ignore:
	if (!write && len <= 8)
		memset(data, 0xff, len);
	return -EINVAL;
}

int pci_ecam_access(struct pci_bus *bus, uint64_t off, void *data, unsigned len, bool write)
{
	if (off >= PCI_ECAM_SIZE) {
		if (!write && len <= 8)
			memset(data, 0xff, len);
		return -EINVAL;
	}
	if (!access_ok(off & 0xfff, len)) {
		if (!write && len <= 8)
			memset(data, 0xff, len);
		return -EINVAL;
	}
	return cfg_access(bus, (unsigned)(off >> 20) & 0xff, (unsigned)(off >> 15) & 0x1f,
			  (unsigned)(off >> 12) & 7, (uint32_t)(off & 0xfff), data, len, write);
}

int pci_bar_access(struct pci_bus *bus, uint64_t gpa, void *data, unsigned len, bool write, bool io)
{
	if (len == 0 || len > 8)
		return -EINVAL;
	pthread_mutex_lock(&bus->lock);
	for (int d = 0; d < PCI_DEVS_MAX; d++) {
		struct pci_dev *dev = bus->devs[d];

		if (!dev)
			continue;
		for (int i = 0; i < PCI_BARS_MAX; i++) {
			struct pci_bar *b = &dev->bars[i];
			uint64_t off;

			if (!b->active || (b->type == PCI_BAR_IO) != io || gpa < b->active_addr ||
			    gpa - b->active_addr >= b->size)
				continue;
			off = gpa - b->active_addr;
			if (len > b->size - off)
				break; /* straddles the end: no device answers */
			if (write) {
				if (dev->ops->bar_write)
					dev->ops->bar_write(dev->opaque, i, off, data, len);
			} else if (dev->ops->bar_read) {
				dev->ops->bar_read(dev->opaque, i, off, data, len);
			} else {
				memset(data, 0xff, len);
			}
			pthread_mutex_unlock(&bus->lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&bus->lock);
	if (!write)
		memset(data, 0xff, len);
	return -ENOENT;
}
