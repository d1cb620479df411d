/* SPDX-License-Identifier: MIT */
/* PCI bus: config space through CF8/CFC and ECAM, masks, BAR sizing,
 * relocation and decode, capability lists, guest garbage. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/pci_regs.h>

#include "vmm/layout.h"
#include "vmm/pci.h"

struct fake_dev {
	int maps, unmaps;
	uint64_t last_map_gpa;
	int last_map_bar;
	bool last_active;
	int reads, writes;
	uint64_t last_off;
	int last_bar;
	uint32_t last_val;
	int cfg_writes;
};

static void fd_bar_read(void *opaque, int bar, uint64_t off, void *data, unsigned len)
{
	struct fake_dev *f = opaque;
	uint64_t v = 0x1122334455667788ull + off;

	f->reads++;
	f->last_bar = bar;
	f->last_off = off;
	memcpy(data, &v, len);
}

static void fd_bar_write(void *opaque, int bar, uint64_t off, const void *data, unsigned len)
{
	struct fake_dev *f = opaque;

	f->writes++;
	f->last_bar = bar;
	f->last_off = off;
	f->last_val = 0;
	memcpy(&f->last_val, data, len < 4 ? len : 4);
}

static void fd_bar_map(void *opaque, int bar, uint64_t gpa, bool active)
{
	struct fake_dev *f = opaque;

	if (active)
		f->maps++;
	else
		f->unmaps++;
	f->last_map_bar = bar;
	f->last_map_gpa = gpa;
	f->last_active = active;
}

static void fd_cfg_write(void *opaque, uint32_t off, uint32_t val, unsigned len)
{
	((struct fake_dev *)opaque)->cfg_writes++;
}

static const struct pci_dev_ops fake_ops = {
    .bar_read = fd_bar_read,
    .bar_write = fd_bar_write,
    .bar_map = fd_bar_map,
    .cfg_write = fd_cfg_write,
};

static const struct pci_dev_desc fake_desc = {
    .name = "fake",
    .vendor_id = 0x1af4,
    .device_id = 0x1041,
    .subsys_vendor_id = 0x1af4,
    .subsys_id = 1,
    .revision = 1,
    .class_code = 0x020000,
    .bars =
	{
	    [0] = {PCI_BAR_MEM32, 0x1000, false},
	    [1] = {PCI_BAR_IO, 0x20, false},
	    [2] = {PCI_BAR_MEM64, 0x4000, true},
	},
};

#define RAM_SIZE (1ull << 30)

static struct pci_bus *new_bus(void)
{
	struct pci_bus_config c;
	struct pci_bus *bus;

	pci_bus_default_config(RAM_SIZE, &c);
	assert_int_equal(pci_bus_create(&c, &bus), 0);
	return bus;
}

/* Registers the fake device f on bus; returns its slot (the device in *dev
 * unless dev is NULL). */
static unsigned add_fake(struct pci_bus *bus, struct fake_dev *f, struct pci_dev **dev)
{
	struct pci_dev *d;

	assert_int_equal(pci_dev_register(bus, &fake_desc, &fake_ops, f, &d), 0);
	if (dev)
		*dev = d;
	return pci_dev_slot(d);
}

/* Type 1 access helpers, like the guest does them. */
static uint32_t cf8_read(struct pci_bus *bus, unsigned slot, unsigned reg, unsigned len)
{
	uint32_t a = 0x80000000u | (slot << 11) | (reg & 0xfc), v = 0;

	assert_int_equal(pci_pio_cfg_access(bus, 0xcf8, &a, 4, true), 0);
	pci_pio_cfg_access(bus, (uint16_t)(0xcfc + (reg & 3)), &v, len, false);
	return v;
}

static void cf8_write(struct pci_bus *bus, unsigned slot, unsigned reg, uint32_t v, unsigned len)
{
	uint32_t a = 0x80000000u | (slot << 11) | (reg & 0xfc);

	assert_int_equal(pci_pio_cfg_access(bus, 0xcf8, &a, 4, true), 0);
	pci_pio_cfg_access(bus, (uint16_t)(0xcfc + (reg & 3)), &v, len, true);
}

static uint32_t ecam_read(struct pci_bus *bus, unsigned b, unsigned slot, unsigned fn, unsigned reg,
			  unsigned len)
{
	uint32_t v = 0;

	pci_ecam_access(bus, ((uint64_t)b << 20) | (slot << 15) | (fn << 12) | reg, &v, len, false);
	return v;
}

static void ecam_write(struct pci_bus *bus, unsigned slot, unsigned reg, uint32_t v, unsigned len)
{
	pci_ecam_access(bus, ((uint64_t)slot << 15) | reg, &v, len, true);
}

static void test_host_bridge_type1_probe(void **state)
{
	struct pci_bus *bus = new_bus();
	uint8_t b = 1;
	uint32_t a, v;

	/* Linux's pci_check_type1(): byte write to 0xcfb, then the latch test. */
	assert_int_equal(pci_pio_cfg_access(bus, 0xcfb, &b, 1, true), -EINVAL);
	a = 0x80000000u;
	pci_pio_cfg_access(bus, 0xcf8, &a, 4, true);
	v = 0;
	pci_pio_cfg_access(bus, 0xcf8, &v, 4, false);
	assert_int_equal(v, 0x80000000u);
	assert_int_equal(cf8_read(bus, 0, PCI_VENDOR_ID, 4), 0x00081b36);
	assert_int_equal(cf8_read(bus, 0, PCI_CLASS_DEVICE, 2), 0x0600);
	assert_int_equal(cf8_read(bus, 0, PCI_HEADER_TYPE, 1), 0);
	/* Empty slot, other function, other bus: all ones. */
	assert_int_equal(cf8_read(bus, 5, PCI_VENDOR_ID, 4), 0xffffffffu);
	assert_int_equal(ecam_read(bus, 0, 0, 1, 0, 4), 0xffffffffu);
	assert_int_equal(ecam_read(bus, 1, 0, 0, 0, 4), 0xffffffffu);
	/* Enable bit clear: all ones. */
	a = 0;
	pci_pio_cfg_access(bus, 0xcf8, &a, 4, true);
	v = 0;
	pci_pio_cfg_access(bus, 0xcfc, &v, 4, false);
	assert_int_equal(v, 0xffffffffu);
	pci_bus_destroy(bus);
}

static void test_ecam_and_cf8_agree(void **state)
{
	struct pci_bus *bus = new_bus();
	struct fake_dev f = {0};
	unsigned s;

	s = add_fake(bus, &f, NULL);
	assert_int_equal(s, 1);
	for (unsigned reg = 0; reg < 0x40; reg += 4)
		assert_int_equal(cf8_read(bus, s, reg, 4), ecam_read(bus, 0, s, 0, reg, 4));
	assert_int_equal(ecam_read(bus, 0, s, 0, PCI_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cf8_read(bus, s, PCI_DEVICE_ID, 2), 0x1041);
	assert_int_equal(cf8_read(bus, s, PCI_CLASS_PROG, 1), 0);
	assert_int_equal(ecam_read(bus, 0, s, 0, PCI_CLASS_DEVICE, 2), 0x0200);
	assert_int_equal(ecam_read(bus, 0, s, 0, PCI_SUBSYSTEM_ID, 2), 1);
	/* Byte and word reads at every lane through CF8. */
	assert_int_equal(cf8_read(bus, s, PCI_DEVICE_ID + 1, 1), 0x10);
	assert_int_equal(cf8_read(bus, s, PCI_REVISION_ID, 1), 1);
	/* Extended config space exists through ECAM and reads zero. */
	assert_int_equal(ecam_read(bus, 0, s, 0, 0x100, 4), 0);
	pci_bus_destroy(bus);
}

static void test_write_masks(void **state)
{
	struct pci_bus *bus = new_bus();
	struct fake_dev f = {0};
	struct pci_dev *dev;
	unsigned s;

	s = add_fake(bus, &f, &dev);
	/* Read-only IDs and class. */
	cf8_write(bus, s, PCI_VENDOR_ID, 0xdeadbeef, 4);
	cf8_write(bus, s, PCI_CLASS_REVISION, 0xffffffff, 4);
	assert_int_equal(cf8_read(bus, s, PCI_VENDOR_ID, 4), 0x10411af4);
	assert_int_equal(cf8_read(bus, s, PCI_CLASS_REVISION, 4), 0x02000001);
	/* Command: only the defined bits stick. */
	cf8_write(bus, s, PCI_COMMAND, 0xffff, 2);
	assert_int_equal(cf8_read(bus, s, PCI_COMMAND, 2),
			 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			     PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	/* Status: write-1-to-clear, other bits read-only. */
	pci_cfg_set(dev, PCI_STATUS, PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_CAP_LIST, 2);
	ecam_write(bus, s, PCI_STATUS, 0xffff, 2);
	assert_int_equal(ecam_read(bus, 0, s, 0, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
	/* Interrupt line is scratch, interrupt pin is zero (no INTx). */
	cf8_write(bus, s, PCI_INTERRUPT_LINE, 0xffff, 2);
	assert_int_equal(cf8_read(bus, s, PCI_INTERRUPT_LINE, 2), 0x00ff);
	/* Expansion ROM BAR: not implemented, reads zero. */
	cf8_write(bus, s, PCI_ROM_ADDRESS, 0xffffffff, 4);
	assert_int_equal(cf8_read(bus, s, PCI_ROM_ADDRESS, 4), 0);
	assert_true(f.cfg_writes >= 5);
	pci_bus_destroy(bus);
}

static void test_bar_sizing(void **state)
{
	struct pci_bus *bus = new_bus();
	struct fake_dev f = {0};
	uint32_t orig[6];
	unsigned s;

	s = add_fake(bus, &f, NULL);
	for (int i = 0; i < 6; i++)
		orig[i] = cf8_read(bus, s, PCI_BASE_ADDRESS_0 + 4 * i, 4);
	/* Preassigned: BAR0 in the 32-bit window, BAR2 (64-bit) above RAM. */
	assert_int_equal(orig[0], (uint32_t)PCI_MMIO32_BASE);
	assert_int_equal(orig[1], PCI_IO_BAR_BASE | 1);
	assert_int_equal(orig[2] & 0xf,
			 PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	assert_int_equal(((uint64_t)orig[3] << 32) | (orig[2] & ~0xfu), pci_mmio64_base(RAM_SIZE));
	assert_int_equal(orig[4], 0);
	/* Linux sizing: write all ones, read the mask, restore. */
	for (int i = 0; i < 6; i++)
		cf8_write(bus, s, PCI_BASE_ADDRESS_0 + 4 * i, 0xffffffff, 4);
	assert_int_equal(cf8_read(bus, s, PCI_BASE_ADDRESS_0, 4), 0xfffff000u);
	assert_int_equal(cf8_read(bus, s, PCI_BASE_ADDRESS_1, 4), 0xffffffe1u);
	assert_int_equal(cf8_read(bus, s, PCI_BASE_ADDRESS_2, 4), 0xffffc00cu);
	assert_int_equal(cf8_read(bus, s, PCI_BASE_ADDRESS_3, 4), 0xffffffffu);
	assert_int_equal(cf8_read(bus, s, PCI_BASE_ADDRESS_4, 4), 0);
	assert_int_equal(cf8_read(bus, s, PCI_BASE_ADDRESS_5, 4), 0);
	for (int i = 0; i < 6; i++)
		cf8_write(bus, s, PCI_BASE_ADDRESS_0 + 4 * i, orig[i], 4);
	for (int i = 0; i < 6; i++)
		assert_int_equal(cf8_read(bus, s, PCI_BASE_ADDRESS_0 + 4 * i, 4), orig[i]);
	/* Decoding never turned on: no maps. */
	assert_int_equal(f.maps, 0);
	pci_bus_destroy(bus);
}

static void test_bar_decode_and_move(void **state)
{
	struct pci_bus *bus = new_bus();
	struct fake_dev f = {0};
	struct pci_dev *dev;
	uint64_t a0, a2, v = 0;
	uint32_t w = 0xabcd;
	unsigned s;

	s = add_fake(bus, &f, &dev);
	a0 = pci_dev_bar_addr(dev, 0);
	a2 = pci_dev_bar_addr(dev, 2);
	/* Off until MEM is set. */
	assert_int_equal(pci_bar_access(bus, a0, &v, 4, false, false), -ENOENT);
	assert_int_equal((uint32_t)v, 0xffffffffu);
	cf8_write(bus, s, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	assert_int_equal(f.maps, 2); /* BAR0 and BAR2; the I/O BAR needs IO */
	assert_true(pci_dev_bar_active(dev, 0));
	assert_true(pci_dev_bar_active(dev, 2));
	assert_false(pci_dev_bar_active(dev, 1));
	assert_int_equal(pci_bar_access(bus, a0 + 0x10, &v, 4, false, false), 0);
	assert_int_equal(f.last_bar, 0);
	assert_int_equal(f.last_off, 0x10);
	assert_int_equal(pci_bar_access(bus, a2 + 0x3ff8, &v, 8, false, false), 0);
	assert_int_equal(f.last_bar, 2);
	assert_int_equal(v, 0x1122334455667788ull + 0x3ff8);
	/* An access straddling the end of a BAR reaches nobody. */
	assert_int_equal(pci_bar_access(bus, a0 + 0xffe, &v, 4, false, false), -ENOENT);
	assert_int_equal(pci_bar_access(bus, a0 + 4, &w, 2, true, false), 0);
	assert_int_equal(f.last_val, 0xabcd);
	/* Move BAR0 while decoding: unmap old, map new, old address dead. */
	cf8_write(bus, s, PCI_BASE_ADDRESS_0, (uint32_t)(a0 + 0x100000), 4);
	assert_int_equal(f.unmaps, 1);
	assert_int_equal(f.maps, 3);
	assert_int_equal(f.last_map_gpa, a0 + 0x100000);
	assert_int_equal(pci_bar_access(bus, a0, &v, 4, false, false), -ENOENT);
	assert_int_equal(pci_bar_access(bus, a0 + 0x100000, &v, 4, false, false), 0);
	/* Move the 64-bit BAR below 4 GiB (allowed: inside the 32-bit window),
	 * with decoding off as Linux does, so the half-written address between
	 * the two dword writes never counts as a bad placement. */
	cf8_write(bus, s, PCI_COMMAND, 0, 2);
	cf8_write(bus, s, PCI_BASE_ADDRESS_3, 0, 4);
	cf8_write(bus, s, PCI_BASE_ADDRESS_2, 0xd0000000u, 4);
	cf8_write(bus, s, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	assert_int_equal(pci_dev_bar_addr(dev, 2), 0xd0000000ull);
	assert_true(pci_dev_bar_active(dev, 2));
	assert_int_equal(pci_bar_access(bus, 0xd0000008ull, &v, 4, false, false), 0);
	/* I/O decode. */
	cf8_write(bus, s, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
	assert_true(pci_dev_bar_active(dev, 1));
	assert_int_equal(pci_bar_access(bus, PCI_IO_BAR_BASE + 2, &v, 1, false, true), 0);
	assert_int_equal(f.last_bar, 1);
	/* Clearing MEM stops all memory BARs. */
	f.unmaps = 0;
	cf8_write(bus, s, PCI_COMMAND, PCI_COMMAND_IO, 2);
	assert_int_equal(f.unmaps, 2);
	assert_false(pci_dev_bar_active(dev, 0));
	assert_int_equal(pci_bar_access(bus, a0 + 0x100000, &v, 4, false, false), -ENOENT);
	assert_int_equal(pci_dev_bad_bar_count(dev), 0);
	pci_bus_destroy(bus);
}

static void test_bar_refused_in_ram_or_overlap(void **state)
{
	struct pci_bus *bus = new_bus();
	struct fake_dev f1 = {0}, f2 = {0};
	struct pci_dev *d1, *d2;
	uint64_t a1, v;

	assert_int_equal(pci_dev_register(bus, &fake_desc, &fake_ops, &f1, &d1), 0);
	assert_int_equal(pci_dev_register(bus, &fake_desc, &fake_ops, &f2, &d2), 0);
	/* Preassigned BARs never overlap. */
	assert_true(pci_dev_bar_addr(d1, 0) + 0x1000 <= pci_dev_bar_addr(d2, 0));
	assert_true(pci_dev_bar_addr(d1, 2) + 0x4000 <= pci_dev_bar_addr(d2, 2));
	a1 = pci_dev_bar_addr(d1, 0);
	ecam_write(bus, pci_dev_slot(d1), PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	ecam_write(bus, pci_dev_slot(d2), PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	assert_int_equal(f2.maps, 2);
	/* d2 BAR0 onto guest RAM: refused, counted once, stays off. */
	ecam_write(bus, pci_dev_slot(d2), PCI_BASE_ADDRESS_0, 0x00100000, 4);
	assert_false(pci_dev_bar_active(d2, 0));
	assert_int_equal(pci_dev_bad_bar_count(d2), 1);
	ecam_write(bus, pci_dev_slot(d2), PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	assert_int_equal(pci_dev_bad_bar_count(d2), 1);
	assert_int_equal(pci_bar_access(bus, 0x00100000, &v, 4, false, false), -ENOENT);
	/* Onto the ECAM / LAPIC area: outside the window, refused. */
	ecam_write(bus, pci_dev_slot(d2), PCI_BASE_ADDRESS_0, (uint32_t)PCI_ECAM_BASE, 4);
	assert_false(pci_dev_bar_active(d2, 0));
	ecam_write(bus, pci_dev_slot(d2), PCI_BASE_ADDRESS_0, (uint32_t)LAPIC_ADDR, 4);
	assert_false(pci_dev_bar_active(d2, 0));
	assert_int_equal(pci_dev_bad_bar_count(d2), 3);
	/* Onto d1's BAR0: refused, d1 keeps decoding. */
	ecam_write(bus, pci_dev_slot(d2), PCI_BASE_ADDRESS_0, (uint32_t)a1, 4);
	assert_false(pci_dev_bar_active(d2, 0));
	assert_true(pci_dev_bar_active(d1, 0));
	f1.reads = f2.reads = 0;
	assert_int_equal(pci_bar_access(bus, a1, &v, 4, false, false), 0);
	assert_int_equal(f1.reads, 1);
	assert_int_equal(f2.reads, 0);
	/* A 64-bit BAR placed across the end of the 64-bit window: refused. */
	ecam_write(bus, pci_dev_slot(d2), PCI_BASE_ADDRESS_3, 0xffffffffu, 4);
	ecam_write(bus, pci_dev_slot(d2), PCI_BASE_ADDRESS_2, 0xffffc000u, 4);
	assert_false(pci_dev_bar_active(d2, 2));
	/* d1 moves away; d2 asks again (rewrites its BAR): now it decodes. */
	ecam_write(bus, pci_dev_slot(d1), PCI_BASE_ADDRESS_0, (uint32_t)(a1 + 0x200000), 4);
	ecam_write(bus, pci_dev_slot(d2), PCI_BASE_ADDRESS_0, (uint32_t)a1, 4);
	assert_true(pci_dev_bar_active(d2, 0));
	assert_int_equal(pci_bar_access(bus, a1, &v, 4, false, false), 0);
	assert_int_equal(f2.reads, 1);
	pci_bus_destroy(bus);
}

static void test_capabilities(void **state)
{
	struct pci_bus *bus = new_bus();
	struct fake_dev f = {0};
	struct pci_dev *dev;
	uint8_t c1, c2, c3;
	unsigned s;

	s = add_fake(bus, &f, &dev);
	assert_int_equal(cf8_read(bus, s, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	assert_int_equal(pci_cap_add(dev, PCI_CAP_ID_VNDR, 16, &c1), 0);
	assert_int_equal(pci_cap_add(dev, PCI_CAP_ID_MSIX, 12, &c2), 0);
	assert_int_equal(pci_cap_add(dev, PCI_CAP_ID_VNDR, 5, &c3), 0);
	assert_int_equal(c1, 0x40);
	assert_int_equal(c2, 0x50);
	assert_int_equal(c3, 0x5c);
	assert_true(cf8_read(bus, s, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	/* Walk the list the way a guest does. */
	assert_int_equal(cf8_read(bus, s, PCI_CAPABILITY_LIST, 1), c1);
	assert_int_equal(cf8_read(bus, s, c1, 2), (c2 << 8) | PCI_CAP_ID_VNDR);
	assert_int_equal(cf8_read(bus, s, c2, 2), (c3 << 8) | PCI_CAP_ID_MSIX);
	assert_int_equal(cf8_read(bus, s, c3, 2), PCI_CAP_ID_VNDR);
	/* Capability bytes are read-only unless a wmask says otherwise. */
	cf8_write(bus, s, c1, 0xffffffff, 4);
	assert_int_equal(cf8_read(bus, s, c1, 2), (c2 << 8) | PCI_CAP_ID_VNDR);
	pci_cfg_set_wmask(dev, c1 + 4, 0x0000ff00, 4);
	cf8_write(bus, s, c1 + 4, 0xffffffff, 4);
	assert_int_equal(cf8_read(bus, s, c1 + 4, 4), 0x0000ff00);
	/* Full: the standard space ends at 256. */
	assert_int_equal(pci_cap_add(dev, PCI_CAP_ID_VNDR, 200, &c1), -ENOSPC);
	pci_bus_destroy(bus);
}

static void test_registration_limits(void **state)
{
	struct pci_bus *bus = new_bus();
	struct pci_dev_desc d = fake_desc;
	struct pci_dev *devs[PCI_DEVS_MAX];
	struct pci_dev *dev;
	struct pci_bus_config c;
	int n = 0;

	d.bars[0].size = 0x1800; /* not a power of two */
	assert_int_equal(pci_dev_register(bus, &d, NULL, NULL, &dev), -EINVAL);
	d = fake_desc;
	d.bars[3].type = PCI_BAR_MEM32; /* upper half of the 64-bit BAR2 */
	d.bars[3].size = 0x1000;
	assert_int_equal(pci_dev_register(bus, &d, NULL, NULL, &dev), -EINVAL);
	d = fake_desc;
	d.bars[5] = (struct pci_bar_desc){PCI_BAR_MEM64, 0x1000, false};
	assert_int_equal(pci_dev_register(bus, &d, NULL, NULL, &dev), -EINVAL);
	/* Window exhaustion: 32-bit window is 512 MiB. */
	d = fake_desc;
	d.bars[0].size = 1ull << 31;
	assert_int_equal(pci_dev_register(bus, &d, NULL, NULL, &dev), -ENOSPC);
	/* Slots: 31 devices besides the host bridge. */
	while (pci_dev_register(bus, &fake_desc, NULL, NULL, &devs[n]) == 0)
		n++;
	assert_int_equal(n, PCI_DEVS_MAX - 1);
	pci_dev_unregister(devs[3]);
	assert_int_equal(pci_dev_register(bus, &fake_desc, NULL, NULL, &dev), 0);
	assert_int_equal(pci_dev_slot(dev), 4);
	pci_bus_destroy(bus);
	/* Bad windows. */
	pci_bus_default_config(RAM_SIZE, &c);
	c.mmio32_end = c.mmio32_base;
	assert_int_equal(pci_bus_create(&c, &bus), -EINVAL);
	pci_bus_default_config(RAM_SIZE, &c);
	c.mmio32_end = 0x100001000ull;
	assert_int_equal(pci_bus_create(&c, &bus), -EINVAL);
}

static void test_mmio64_base(void **state)
{
	assert_int_equal(pci_mmio64_base(512ull << 20), 0x100000000ull);
	assert_int_equal(pci_mmio64_base(3ull << 30), 0x100000000ull);
	assert_int_equal(pci_mmio64_base((3ull << 30) + 1), 0x140000000ull);
	assert_int_equal(pci_mmio64_base(8ull << 30), 9ull << 30);
}

static void test_garbage(void **state)
{
	struct pci_bus *bus = new_bus();
	struct fake_dev f = {0};
	struct pci_dev *dev;
	uint64_t v;
	unsigned s;

	s = add_fake(bus, &f, &dev);
	/* Unaligned and odd-sized accesses are refused. */
	assert_int_equal(pci_ecam_access(bus, 1, &v, 2, false), -EINVAL);
	assert_int_equal(pci_ecam_access(bus, 0, &v, 3, false), -EINVAL);
	assert_int_equal(pci_ecam_access(bus, 0, &v, 8, false), -EINVAL);
	assert_int_equal(pci_ecam_access(bus, PCI_ECAM_SIZE, &v, 4, false), -EINVAL);
	assert_int_equal(pci_pio_cfg_access(bus, 0xcf9, &v, 2, false), -EINVAL);
	assert_int_equal(pci_pio_cfg_access(bus, 0xd00, &v, 1, false), -EINVAL);
	assert_int_equal(pci_bar_access(bus, 0, &v, 0, false, false), -EINVAL);
	assert_int_equal(pci_bar_access(bus, 0, &v, 16, false, false), -EINVAL);
	/* Random writes everywhere in config space of every slot. */
	srand(1);
	for (int i = 0; i < 200000; i++) {
		uint32_t val = (uint32_t)rand() * 2654435761u;
		unsigned len = 1u << (rand() % 3);
		uint64_t off = ((uint64_t)(rand() % 4) << 15) | (uint64_t)(rand() % 4096);

		pci_ecam_access(bus, off & ~(uint64_t)(len - 1), &val, len, true);
		pci_ecam_access(bus, off & ~(uint64_t)(len - 1), &val, len, false);
	}
	/* Identity survives, every mapped BAR lies inside a window and no two
	 * decoding BARs overlap. */
	assert_int_equal(ecam_read(bus, 0, s, 0, PCI_VENDOR_ID, 4), 0x10411af4);
	assert_int_equal(ecam_read(bus, 0, 0, 0, PCI_VENDOR_ID, 4), 0x00081b36);
	if (pci_dev_bar_active(dev, 0))
		assert_true(pci_dev_bar_addr(dev, 0) >= PCI_MMIO32_BASE &&
			    pci_dev_bar_addr(dev, 0) < PCI_MMIO32_END);
	assert_int_equal(f.maps - f.unmaps, (int)pci_dev_bar_active(dev, 0) +
						(int)pci_dev_bar_active(dev, 1) +
						(int)pci_dev_bar_active(dev, 2));
	pci_bus_destroy(bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host_bridge_type1_probe),
	    cmocka_unit_test(test_ecam_and_cf8_agree),
	    cmocka_unit_test(test_write_masks),
	    cmocka_unit_test(test_bar_sizing),
	    cmocka_unit_test(test_bar_decode_and_move),
	    cmocka_unit_test(test_bar_refused_in_ram_or_overlap),
	    cmocka_unit_test(test_capabilities),
	    cmocka_unit_test(test_registration_limits),
	    cmocka_unit_test(test_mmio64_base),
	    cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
