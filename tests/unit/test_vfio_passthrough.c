/* SPDX-License-Identifier: MIT */
/* vfio/pci_passthrough against a fake VFIO backend (an NVMe-like function:
 * 64-bit BAR0 with the MSI-X table/PBA, an I/O BAR, a trapped 32-bit BAR,
 * PM + MSI + MSI-X + PCIe capabilities) on the real vmm/pci bus and
 * vmm/msix, with a fake MSI router and memslot recorder. */
#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "vfio/pci_passthrough.h"
#include "vfio/vfio_vm.h"
#include "vmm/layout.h"

#define MSIX_CAP 0x60
#define PCIE_CAP 0x70

struct fake_dev {
	uint8_t cfg[256];
	uint8_t bar0[0x4000], bar2[0x20], bar4[0x1000];
	bool bar_cfg_written; /* a guest BAR write leaked to the device */
	int resets, set_msix_calls, disable_calls;
	unsigned msix_count;
	int msix_fds[8];
	void *maps[4];
	int nmaps;
	bool no_msix_irq;
};

struct fake_kvm {
	struct {
		uint32_t slot;
		uint64_t gpa, size;
		void *hva;
	} slots[32];
	int nslots;
	int routes, irqfds_bound;
	int last_irqfd;
};

static int f_region_info(void *be, unsigned index, struct vfio_region *out)
{
	static const uint64_t sizes[] = {0x4000, 0, 0x20, 0, 0x1000, 0, 0, 256};

	memset(out, 0, sizeof(*out));
	if (index >= 8)
		return -EINVAL;
	out->index = index;
	out->size = sizes[index];
	out->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	if (index == 0)
		out->flags |= VFIO_REGION_INFO_FLAG_MMAP;
	return 0;
}

static int f_irq_info(void *be, unsigned index, struct vfio_irq *out)
{
	struct fake_dev *d = be;

	*out = (struct vfio_irq){.index = index, .count = 0};
	if (index == VFIO_PCI_MSIX_IRQ_INDEX && !d->no_msix_irq)
		out->count = 4;
	return 0;
}

static uint8_t *f_buf(struct fake_dev *d, unsigned index, size_t *size)
{
	switch (index) {
	case 0:
		*size = sizeof(d->bar0);
		return d->bar0;
	case 2:
		*size = sizeof(d->bar2);
		return d->bar2;
	case 4:
		*size = sizeof(d->bar4);
		return d->bar4;
	case VFIO_PCI_CONFIG_REGION_INDEX:
		*size = sizeof(d->cfg);
		return d->cfg;
	}
	return NULL;
}

static int f_read(void *be, unsigned index, uint64_t off, void *buf, size_t len)
{
	size_t size;
	uint8_t *b = f_buf(be, index, &size);

	if (!b || off + len > size)
		return -EINVAL;
	memcpy(buf, b + off, len);
	return 0;
}

static int f_write(void *be, unsigned index, uint64_t off, const void *buf, size_t len)
{
	struct fake_dev *d = be;
	size_t size;
	uint8_t *b = f_buf(d, index, &size);

	if (!b || off + len > size)
		return -EINVAL;
	if (index == VFIO_PCI_CONFIG_REGION_INDEX && off < 0x28 && off + len > 0x10)
		d->bar_cfg_written = true;
	memcpy(b + off, buf, len);
	return 0;
}

static int f_mmap(void *be, unsigned index, uint64_t off, uint64_t len, void **out)
{
	struct fake_dev *d = be;
	void *p;

	if (index != 0)
		return -EINVAL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	d->maps[d->nmaps++] = p;
	*out = p;
	return 0;
}

static int f_set_msix(void *be, unsigned start, unsigned count, const int *fds)
{
	struct fake_dev *d = be;

	d->set_msix_calls++;
	d->msix_count = count;
	memcpy(d->msix_fds, fds, count * sizeof(int));
	return 0;
}

static int f_disable_msix(void *be)
{
	((struct fake_dev *)be)->disable_calls++;
	return 0;
}

static int f_reset(void *be)
{
	((struct fake_dev *)be)->resets++;
	return 0;
}

static const struct vfio_dev_ops fake_ops = {
    .region_info = f_region_info,
    .irq_info = f_irq_info,
    .region_read = f_read,
    .region_write = f_write,
    .region_mmap = f_mmap,
    .set_msix = f_set_msix,
    .disable_msix = f_disable_msix,
    .reset = f_reset,
};

static int k_route_add(void *o, uint64_t addr, uint32_t data, uint32_t *gsi)
{
	struct fake_kvm *k = o;

	*gsi = 24 + (uint32_t)k->routes++;
	return 0;
}
static int k_route_update(void *o, uint32_t gsi, uint64_t addr, uint32_t data)
{
	return 0;
}
static void k_route_del(void *o, uint32_t gsi)
{
}
static int k_irqfd(void *o, int fd, uint32_t gsi, bool assign)
{
	struct fake_kvm *k = o;

	k->irqfds_bound += assign ? 1 : -1;
	if (assign)
		k->last_irqfd = fd;
	return 0;
}
static int k_signal(void *o, uint64_t addr, uint32_t data)
{
	return 1;
}
static const struct msi_router_ops fake_msi = {k_route_add, k_route_update, k_route_del, k_irqfd,
					       k_signal};

static int k_slot(void *o, uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct fake_kvm *k = o;

	k->slots[k->nslots].slot = slot;
	k->slots[k->nslots].gpa = gpa;
	k->slots[k->nslots].size = size;
	k->slots[k->nslots].hva = hva;
	k->nslots++;
	return 0;
}
static const struct pt_memslot_ops fake_slots = {k_slot};

static void put(uint8_t *cfg, unsigned off, uint32_t v, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		cfg[off + i] = (uint8_t)(v >> (8 * i));
}

static void make_dev(struct fake_dev *d)
{
	memset(d, 0, sizeof(*d));
	put(d->cfg, PCI_VENDOR_ID, 0x1b36, 2);
	put(d->cfg, PCI_DEVICE_ID, 0x0010, 2);
	put(d->cfg, PCI_CLASS_PROG, 0x010802, 3);
	put(d->cfg, PCI_STATUS, PCI_STATUS_CAP_LIST, 2);
	put(d->cfg, PCI_BASE_ADDRESS_0, 0xfebf0004, 4); /* host address, 64-bit */
	put(d->cfg, PCI_BASE_ADDRESS_2, 0xc001, 4);	/* I/O */
	put(d->cfg, PCI_BASE_ADDRESS_4, 0xfeb00000, 4); /* 32-bit */
	put(d->cfg, PCI_ROM_ADDRESS, 0xfea00001, 4);
	put(d->cfg, PCI_INTERRUPT_PIN, 1, 1);
	put(d->cfg, PCI_CAPABILITY_LIST, 0x40, 1);
	put(d->cfg, 0x40, PCI_CAP_ID_PM | 0x50 << 8 | 0x0003u << 16, 4);
	put(d->cfg, 0x50, PCI_CAP_ID_MSI | MSIX_CAP << 8, 2);
	put(d->cfg, MSIX_CAP, PCI_CAP_ID_MSIX | PCIE_CAP << 8 | 3u << 16, 4); /* 4 vectors */
	put(d->cfg, MSIX_CAP + PCI_MSIX_TABLE, 0x2000 | 0, 4);
	put(d->cfg, MSIX_CAP + PCI_MSIX_PBA, 0x3000 | 0, 4);
	put(d->cfg, PCIE_CAP, PCI_CAP_ID_EXP | 0 << 8 | 0x0002u << 16, 4);
	put(d->cfg, PCIE_CAP + PCI_EXP_DEVCAP, 1u << 28 | 0x1, 4);
	put(d->bar4, 0x10, 0x11223344, 4);
}

struct ctx {
	struct fake_dev dev;
	struct fake_kvm kvm;
	struct pci_bus *bus;
	struct pci_passthrough *pt;
	struct pt_config cfg;
	uint8_t slot;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct pci_bus_config bc;

	make_dev(&c->dev);
	pci_bus_default_config(1ull << 30, &bc);
	assert_int_equal(pci_bus_create(&bc, &c->bus), 0);
	c->cfg = (struct pt_config){.name = "vfio-test",
				    .ops = &fake_ops,
				    .be = &c->dev,
				    .msi = &fake_msi,
				    .msi_opaque = &c->kvm,
				    .slots = &fake_slots,
				    .slots_opaque = &c->kvm,
				    .first_slot = 8};
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	pci_bus_destroy(c->bus);
	free(c);
	return 0;
}

static uint32_t cfg_rd(struct ctx *c, unsigned reg, unsigned len)
{
	uint32_t v = 0;

	assert_int_equal(pci_ecam_access(c->bus, (uint64_t)c->slot << 15 | reg, &v, len, false), 0);
	return v;
}

static void cfg_wr(struct ctx *c, unsigned reg, uint32_t v, unsigned len)
{
	assert_int_equal(pci_ecam_access(c->bus, (uint64_t)c->slot << 15 | reg, &v, len, true), 0);
}

static void create(struct ctx *c)
{
	assert_int_equal(pci_passthrough_create(c->bus, &c->cfg, &c->pt), 0);
	c->slot = pci_dev_slot(pci_passthrough_pci_dev(c->pt));
}

/* Offset of capability `id` in the guest's view, or 0. */
static unsigned find_cap(struct ctx *c, uint8_t id)
{
	unsigned at = cfg_rd(c, PCI_CAPABILITY_LIST, 1), n = 0;

	while (at && n++ < 48) {
		if (cfg_rd(c, at, 1) == id)
			return at;
		at = cfg_rd(c, at + 1, 1);
	}
	return 0;
}

static void test_config_space(void **state)
{
	struct ctx *c = *state;
	unsigned pcie;

	create(c);
	assert_int_equal(c->dev.resets, 1);
	assert_int_equal(cfg_rd(c, PCI_VENDOR_ID, 2), 0x1b36);
	assert_int_equal(cfg_rd(c, PCI_DEVICE_ID, 2), 0x0010);
	assert_int_equal(cfg_rd(c, PCI_CLASS_REVISION, 4) >> 8, 0x010802);
	assert_int_equal(cfg_rd(c, PCI_ROM_ADDRESS, 4), 0);   /* ROM hidden */
	assert_int_equal(cfg_rd(c, PCI_INTERRUPT_PIN, 1), 0); /* no INTx */
	/* Capabilities: PM, MSI-X, PCIe kept; MSI hidden; FLR not offered. */
	assert_int_not_equal(find_cap(c, PCI_CAP_ID_PM), 0);
	assert_int_not_equal(find_cap(c, PCI_CAP_ID_MSIX), 0);
	pcie = find_cap(c, PCI_CAP_ID_EXP);
	assert_int_not_equal(pcie, 0);
	assert_int_equal(find_cap(c, PCI_CAP_ID_MSI), 0);
	assert_int_equal(cfg_rd(c, pcie + PCI_EXP_DEVCAP, 4), 0x1);
	/* PCIe device control is a read-only snapshot: no FLR through it. */
	cfg_wr(c, pcie + PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_BCR_FLR, 2);
	assert_int_equal(cfg_rd(c, pcie + PCI_EXP_DEVCTL, 2), 0);
	/* MSI-X capability mirrors the device's: 4 vectors, table/PBA in BAR0. */
	assert_int_equal(cfg_rd(c, find_cap(c, PCI_CAP_ID_MSIX) + PCI_MSIX_FLAGS, 2) & 0x7ff, 3);
	assert_int_equal(cfg_rd(c, find_cap(c, PCI_CAP_ID_MSIX) + PCI_MSIX_TABLE, 4), 0x2000);
	assert_int_equal(cfg_rd(c, find_cap(c, PCI_CAP_ID_MSIX) + PCI_MSIX_PBA, 4), 0x3000);
	pci_passthrough_destroy(c->pt);
	assert_int_equal(c->dev.resets, 2);
}

static void test_bars_relocated_not_forwarded(void **state)
{
	struct ctx *c = *state;
	uint32_t lo;

	create(c);
	/* Sizing: BAR0 is a 64-bit 16 KiB memory BAR, BAR2 32 bytes of I/O. */
	cfg_wr(c, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
	lo = cfg_rd(c, PCI_BASE_ADDRESS_0, 4);
	assert_int_equal(lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK, PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(~(lo & ~0xfu) + 1, 0x4000);
	cfg_wr(c, PCI_BASE_ADDRESS_2, 0xffffffff, 4);
	assert_int_equal(cfg_rd(c, PCI_BASE_ADDRESS_2, 4) & 1, 1);
	assert_int_equal((~(cfg_rd(c, PCI_BASE_ADDRESS_2, 4) & ~3u) + 1) & 0xffff, 0x20);
	/* Guest relocates BAR4; the device's own BARs never change. */
	cfg_wr(c, PCI_BASE_ADDRESS_4, 0xc0100000, 4);
	assert_int_equal(cfg_rd(c, PCI_BASE_ADDRESS_4, 4), 0xc0100000);
	assert_false(c->dev.bar_cfg_written);
	assert_int_equal(c->dev.cfg[PCI_BASE_ADDRESS_4 + 2], 0xb0);
	pci_passthrough_destroy(c->pt);
}

static void test_command_memslots_and_traps(void **state)
{
	struct ctx *c = *state;
	struct pci_dev *pd;
	uint64_t bar0, bar4;
	uint32_t v;

	create(c);
	pd = pci_passthrough_pci_dev(c->pt);
	bar0 = pci_dev_bar_addr(pd, 0);
	bar4 = pci_dev_bar_addr(pd, 4);
	assert_int_equal(c->kvm.nslots, 0);
	cfg_wr(c, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_IO, 2);
	/* Only IO/MEM/MASTER reach the device, with INTx disabled. */
	v = c->dev.cfg[PCI_COMMAND] | c->dev.cfg[PCI_COMMAND + 1] << 8;
	assert_int_equal(v, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_IO |
				PCI_COMMAND_INTX_DISABLE);
	/* BAR0's registers+doorbells [0, 0x2000) are a memslot at the guest
	 * address; the MSI-X pages and BAR4 (not mmappable) are trapped. */
	assert_int_equal(c->kvm.nslots, 1);
	assert_int_equal(pci_passthrough_direct_mapped(c->pt), 1);
	assert_int_equal(c->kvm.slots[0].slot, 8);
	assert_int_equal(c->kvm.slots[0].gpa, bar0);
	assert_int_equal(c->kvm.slots[0].size, 0x2000);
	assert_ptr_equal(c->kvm.slots[0].hva, c->dev.maps[0]);

	/* Trapped BAR4 access goes to the device region. */
	v = 0;
	assert_int_equal(pci_bar_access(c->bus, bar4 + 0x10, &v, 4, false, false), 0);
	assert_int_equal(v, 0x11223344);
	v = 0xcafe;
	assert_int_equal(pci_bar_access(c->bus, bar4 + 0x20, &v, 4, true, false), 0);
	assert_int_equal(c->dev.bar4[0x20], 0xfe);
	assert_int_equal(pci_passthrough_trapped_count(c->pt), 2);
	/* The MSI-X table is the emulation's, not the device's. */
	v = 0xfee00000;
	assert_int_equal(pci_bar_access(c->bus, bar0 + 0x2000, &v, 4, true, false), 0);
	assert_int_equal(c->dev.bar0[0x2000], 0);
	assert_int_equal(pci_passthrough_trapped_count(c->pt), 2);

	/* Decoding off: the memslot goes. */
	cfg_wr(c, PCI_COMMAND, 0, 2);
	assert_int_equal(c->kvm.nslots, 2);
	assert_int_equal(c->kvm.slots[1].slot, 8);
	assert_int_equal(c->kvm.slots[1].size, 0);
	pci_passthrough_destroy(c->pt);
}

static void test_msix_wiring(void **state)
{
	struct ctx *c = *state;
	uint64_t bar0;
	unsigned cap;
	uint32_t v;

	create(c);
	bar0 = pci_dev_bar_addr(pci_passthrough_pci_dev(c->pt), 0);
	cap = find_cap(c, PCI_CAP_ID_MSIX);
	cfg_wr(c, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	/* Vector 0: address + data, then MSI-X enable and unmask. */
	v = 0xfee00000;
	pci_bar_access(c->bus, bar0 + 0x2000, &v, 4, true, false);
	v = 0;
	pci_bar_access(c->bus, bar0 + 0x2004, &v, 4, true, false);
	v = 0x4021;
	pci_bar_access(c->bus, bar0 + 0x2008, &v, 4, true, false);
	assert_false(pci_passthrough_msix_on(c->pt));
	cfg_wr(c, cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
	assert_true(pci_passthrough_msix_on(c->pt));
	assert_int_equal(c->dev.set_msix_calls, 1);
	assert_int_equal(c->dev.msix_count, 4);
	v = 0; /* unmask vector 0 */
	pci_bar_access(c->bus, bar0 + 0x200c, &v, 4, true, false);
	/* The device's vector-0 eventfd is now a KVM irqfd. */
	assert_true(c->kvm.irqfds_bound >= 1);
	assert_int_equal(c->kvm.last_irqfd, c->dev.msix_fds[0]);
	cfg_wr(c, cap + PCI_MSIX_FLAGS, 0, 2);
	assert_false(pci_passthrough_msix_on(c->pt));
	assert_int_equal(c->dev.disable_calls, 1);
	pci_passthrough_destroy(c->pt);
	assert_int_equal(c->kvm.irqfds_bound, 0);
}

static void test_refusals(void **state)
{
	struct ctx *c = *state;
	struct pci_passthrough *pt = NULL;

	/* No MSI-X interrupt index. */
	c->dev.no_msix_irq = true;
	assert_int_equal(pci_passthrough_create(c->bus, &c->cfg, &pt), -EOPNOTSUPP);
	c->dev.no_msix_irq = false;
	/* Capability loop. */
	put(c->dev.cfg, PCIE_CAP + 1, 0x40, 1);
	assert_int_equal(pci_passthrough_create(c->bus, &c->cfg, &pt), -EINVAL);
	put(c->dev.cfg, PCIE_CAP + 1, 0, 1);
	/* Capability pointer into the header. */
	put(c->dev.cfg, PCI_CAPABILITY_LIST, 0x10, 1);
	assert_int_equal(pci_passthrough_create(c->bus, &c->cfg, &pt), -EINVAL);
	put(c->dev.cfg, PCI_CAPABILITY_LIST, 0x40, 1);
	/* Table and PBA in different BARs. */
	put(c->dev.cfg, MSIX_CAP + PCI_MSIX_PBA, 0x3000 | 4, 4);
	assert_int_equal(pci_passthrough_create(c->bus, &c->cfg, &pt), -EOPNOTSUPP);
	put(c->dev.cfg, MSIX_CAP + PCI_MSIX_PBA, 0x3000, 4);
	/* A bridge. */
	put(c->dev.cfg, PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE, 1);
	assert_int_equal(pci_passthrough_create(c->bus, &c->cfg, &pt), -EOPNOTSUPP);
	put(c->dev.cfg, PCI_HEADER_TYPE, 0, 1);
	assert_null(pt);
	/* Nothing leaked into the bus: a good device still gets plugged. */
	create(c);
	pci_passthrough_destroy(c->pt);
}

static void test_device_arg(void **state)
{
	struct vfio_device_spec s;

	assert_int_equal(vfio_device_arg_parse("vfio:01:00.1", &s), 0);
	assert_int_equal(s.kind, VFIO_DEV_KERNEL);
	assert_string_equal(s.bdf, "0000:01:00.1");
	assert_int_equal(vfio_device_arg_parse("vfio:0000:af:1f.7", &s), 0);
	assert_string_equal(s.bdf, "0000:af:1f.7");
	assert_int_equal(vfio_device_arg_parse("vfio-user:/run/dev.sock", &s), 0);
	assert_int_equal(s.kind, VFIO_DEV_USER);
	assert_string_equal(s.path, "/run/dev.sock");
	assert_int_equal(vfio_device_arg_parse("vfio-user:", &s), -EINVAL);
	assert_int_equal(vfio_device_arg_parse("vfio:", &s), -EINVAL);
	assert_int_equal(vfio_device_arg_parse("vfio:01:00.9", &s), -EINVAL);
	assert_int_equal(vfio_device_arg_parse("0000:01:00.1", &s), -EINVAL);
	assert_int_equal(vfio_device_arg_parse("", &s), -EINVAL);
	assert_int_equal(vfio_device_arg_parse(NULL, &s), -EINVAL);
	{
		char longp[200];

		memset(longp, 'a', sizeof(longp) - 1);
		longp[sizeof(longp) - 1] = '\0';
		memcpy(longp, "vfio-user:", 10);
		assert_int_equal(vfio_device_arg_parse(longp, &s), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_config_space, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bars_relocated_not_forwarded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_command_memslots_and_traps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_msix_wiring, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test(test_device_arg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
