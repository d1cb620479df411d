/* SPDX-License-Identifier: MIT */
#include "guest/acpi.h"
#include "guest/errno.h"
#include "guest/io.h"
#include "guest/paging.h"
#include "guest/pci.h"

#define PCI_CFG_ADDR	 0xcf8
#define PCI_CFG_DATA	 0xcfc
#define PCI_VENDOR	 0x00
#define PCI_COMMAND	 0x04
#define PCI_CLASS_REV	 0x08
#define PCI_HEADER	 0x0e
#define PCI_BAR0	 0x10
#define PCI_STATUS	 0x06
#define PCI_CAP_PTR	 0x34
#define PCI_SECONDARY	 0x19
#define STATUS_CAPS	 0x10
#define CMD_IO		 0x1
#define CMD_MEM		 0x2
#define CMD_MASTER	 0x4
#define CLASS_BRIDGE_PCI 0x0604
#define CAP_WALK_MAX	 48
/* Our own window for memory BARs firmware left unassigned. */
#define OWN_MMIO_BASE 0xc0000000ull
#define OWN_MMIO_END  0xfec00000ull

static uint64_t ecam_base;
static uint8_t ecam_start, ecam_end;
static struct pci_dev devs[PCI_MAX_DEVS];
static unsigned int ndevs;
static uint64_t own_next = OWN_MMIO_BASE;

const char *pci_method(void)
{
	return ecam_base ? "ecam" : "cf8";
}

const struct pci_dev *pci_devices(unsigned int *n)
{
	*n = ndevs;
	return devs;
}

static int ecam_ok(uint8_t bus)
{
	return ecam_base && bus >= ecam_start && bus <= ecam_end;
}

static uint64_t ecam_addr(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t off)
{
	return ecam_base + ((uint64_t)(bus - ecam_start) << 20) + ((uint64_t)dev << 15) +
	       ((uint64_t)fn << 12) + (off & 0xfff);
}

static uint32_t cf8_addr(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t off)
{
	return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 |
	       (off & 0xfc);
}

static uint32_t cfg_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t off)
{
	if (ecam_ok(bus))
		return mmio_read32(ecam_addr(bus, dev, fn, off & ~3u));
	if (off >= 256)
		return 0xffffffffu;
	outl(PCI_CFG_ADDR, cf8_addr(bus, dev, fn, off));
	return inl(PCI_CFG_DATA);
}

static void cfg_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t off, uint32_t v)
{
	if (ecam_ok(bus)) {
		mmio_write32(ecam_addr(bus, dev, fn, off & ~3u), v);
		return;
	}
	if (off >= 256)
		return;
	outl(PCI_CFG_ADDR, cf8_addr(bus, dev, fn, off));
	outl(PCI_CFG_DATA, v);
}

uint32_t pci_read32(const struct pci_dev *d, uint32_t off)
{
	return cfg_read32(d->bus, d->dev, d->fn, off);
}

uint16_t pci_read16(const struct pci_dev *d, uint32_t off)
{
	return (uint16_t)(pci_read32(d, off & ~3u) >> ((off & 2) * 8));
}

uint8_t pci_read8(const struct pci_dev *d, uint32_t off)
{
	return (uint8_t)(pci_read32(d, off & ~3u) >> ((off & 3) * 8));
}

void pci_write32(const struct pci_dev *d, uint32_t off, uint32_t v)
{
	cfg_write32(d->bus, d->dev, d->fn, off, v);
}

void pci_write16(const struct pci_dev *d, uint32_t off, uint16_t v)
{
	/* 16-bit registers share a dword with a neighbour; the neighbours we
	 * touch (command/status, MSI-X control) tolerate writing back what was
	 * read, except status (write-1-to-clear), which we write as 0. */
	uint32_t shift = (off & 2) * 8;
	uint32_t old = pci_read32(d, off & ~3u);

	if ((off & ~3u) == PCI_COMMAND)
		old &= 0x0000ffffu;
	old &= ~(0xffffu << shift);
	pci_write32(d, off & ~3u, old | (uint32_t)v << shift);
}

static void add_dev(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t id);

static void scan_bus(uint8_t bus, unsigned int depth, uint8_t *seen)
{
	uint8_t dev, fn;

	if (depth > 8 || (seen[bus / 8] & (1u << (bus % 8))))
		return;
	seen[bus / 8] |= (uint8_t)(1u << (bus % 8));
	for (dev = 0; dev < 32; dev++) {
		for (fn = 0; fn < 8; fn++) {
			uint32_t id = cfg_read32(bus, dev, fn, PCI_VENDOR);
			uint8_t hdr;

			if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0) {
				if (fn == 0)
					break;
				continue;
			}
			hdr = (uint8_t)(cfg_read32(bus, dev, fn, PCI_HEADER & ~3u) >> 16);
			add_dev(bus, dev, fn, id);
			if ((cfg_read32(bus, dev, fn, PCI_CLASS_REV) >> 16) == CLASS_BRIDGE_PCI &&
			    (hdr & 0x7f) == 1) {
				uint8_t sec = (uint8_t)(cfg_read32(bus, dev, fn, 0x18) >> 8);

				if (sec > bus)
					scan_bus(sec, depth + 1, seen);
			}
			if (fn == 0 && !(hdr & 0x80))
				break;
		}
	}
}

static void add_dev(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t id)
{
	struct pci_dev *d;

	if (ndevs >= PCI_MAX_DEVS)
		return;
	d = &devs[ndevs++];
	d->bus = bus;
	d->dev = dev;
	d->fn = fn;
	d->vendor = (uint16_t)id;
	d->device = (uint16_t)(id >> 16);
	d->class_code = cfg_read32(bus, dev, fn, PCI_CLASS_REV) >> 8;
	d->header_type = (uint8_t)(cfg_read32(bus, dev, fn, PCI_HEADER & ~3u) >> 16);
}

static void setup_ecam(void)
{
	const struct acpi_state *a = acpi_get();
	uint64_t base;
	uint8_t s, e;

	if (!a->mcfg || !paging_mapped(a->mcfg, ACPI_HDR_LEN))
		return;
	if (acpi_mcfg_parse(phys_ptr(a->mcfg), acpi_table_len(phys_ptr(a->mcfg), 4096), &base, &s,
			    &e))
		return;
	if (paging_map(base, ((uint64_t)(e - s) + 1) << 20, 1))
		return;
	ecam_base = base;
	ecam_start = s;
	ecam_end = e;
}

int pci_init(void)
{
	uint8_t seen[32] = {0};

	ndevs = 0;
	setup_ecam();
	scan_bus(ecam_base ? ecam_start : 0, 0, seen);
	return (int)ndevs;
}

int pci_bar_get(const struct pci_dev *d, unsigned int i, struct pci_bar *bar)
{
	uint32_t off = PCI_BAR0 + 4 * i, lo, hi = 0, szlo, szhi = 0;
	uint16_t cmd;
	uint64_t mask;

	if (i > 5 || (d->header_type & 0x7f) != 0)
		return -EINVAL;
	bar->addr = bar->size = 0;
	bar->io = bar->is64 = 0;
	cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd & ~(CMD_IO | CMD_MEM));
	lo = pci_read32(d, off);
	pci_write32(d, off, 0xffffffffu);
	szlo = pci_read32(d, off);
	pci_write32(d, off, lo);
	bar->io = lo & 1;
	bar->is64 = !bar->io && ((lo >> 1) & 3) == 2 && i < 5;
	if (bar->is64) {
		hi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, 0xffffffffu);
		szhi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, hi);
	}
	pci_write16(d, PCI_COMMAND, cmd);
	if (bar->io) {
		mask = (szlo & ~3u) | 0xffff0000u;
		bar->size = (uint32_t)(~mask + 1);
		bar->addr = lo & ~3u & 0xffff;
		return bar->size && szlo ? 0 : -ENOENT;
	}
	mask = ((uint64_t)szhi << 32 | (szlo & ~0xfu)) | (bar->is64 ? 0 : 0xffffffff00000000ull);
	if (!(szlo & ~0xfu) && !szhi)
		return -ENOENT;
	bar->size = ~mask + 1;
	bar->addr = ((uint64_t)hi << 32 | (lo & ~0xfu));
	if (!bar->size || (bar->size & (bar->size - 1)))
		return -ENOENT;
	if (!bar->addr) {
		uint64_t a = (own_next + bar->size - 1) & ~(bar->size - 1);
		uint64_t ecam_lo = ecam_base,
			 ecam_hi = ecam_base + (((uint64_t)ecam_end + 1) << 20);

		if (ecam_base && a < ecam_hi && a + bar->size > ecam_lo)
			a = (ecam_hi + bar->size - 1) & ~(bar->size - 1);
		if (a + bar->size > OWN_MMIO_END)
			return -ENOMEM;
		own_next = a + bar->size;
		bar->addr = a;
		pci_write32(d, off, (uint32_t)a | (lo & 0xf));
		if (bar->is64)
			pci_write32(d, off + 4, (uint32_t)(a >> 32));
	}
	return paging_map(bar->addr, bar->size, 1) ? -ENOMEM : 0;
}

void pci_enable(const struct pci_dev *d)
{
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | CMD_IO | CMD_MEM | CMD_MASTER);
}

uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t from)
{
	uint8_t ptr;
	int n;

	if (!(pci_read16(d, PCI_STATUS) & STATUS_CAPS))
		return 0;
	ptr = from ? pci_read8(d, from + 1) : pci_read8(d, PCI_CAP_PTR);
	for (n = 0; n < CAP_WALK_MAX && ptr >= 0x40; n++) {
		ptr &= 0xfc;
		if (pci_read8(d, ptr) == id)
			return ptr;
		ptr = pci_read8(d, ptr + 1);
	}
	return 0;
}
