// SPDX-License-Identifier: MIT
/* libFuzzer target: PCI config space (CF8/CFC and ECAM, BAR sizing and
 * moves, capability list) and MSI-X (capability control word, table and
 * PBA through the BAR) driven by arbitrary guest accesses, against a fake
 * MSI router that checks the route/irqfd invariants KVM relies on (no
 * double delete, no irqfd on a dead route). Input: 8-byte records
 *   op (bits 0-1: ECAM / CF8+CFC / BAR 0 / BAR 0 at the MSI-X table;
 *       bit 4: write; bits 5-6: length 1,2,4,8), flags, offset (LE16),
 *   value (LE32). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tests/fuzz/access_record.h"
#include "tests/fuzz/checked_router.h"
#include "vmm/msix.h"
#include "vmm/pci.h"

#define NVEC	  8
#define TABLE_OFF 0x1000u
#define PBA_OFF	  0x1800u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fdev {
	struct msix *msix;
	uint8_t bar_mem[0x2000];
};

static void d_bar_read(void *o, int bar, uint64_t off, void *d, unsigned len)
{
	struct fdev *f = o;

	if (msix_bar_access(f->msix, bar, off, d, len, false))
		return;
	if (off + len <= sizeof(f->bar_mem))
		memcpy(d, f->bar_mem + off, len);
}

static void d_bar_write(void *o, int bar, uint64_t off, const void *d, unsigned len)
{
	struct fdev *f = o;

	if (msix_bar_access(f->msix, bar, off, (void *)d, len, true))
		return;
	if (off + len <= sizeof(f->bar_mem))
		memcpy(f->bar_mem + off, d, len);
}

static void d_cfg_write(void *o, uint32_t off, uint32_t val, unsigned len)
{
	msix_cfg_write(((struct fdev *)o)->msix, off, val, len);
}

static const struct pci_dev_ops dops = {
    .bar_read = d_bar_read, .bar_write = d_bar_write, .cfg_write = d_cfg_write};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pci_dev_desc desc = {
	    .name = "fuzz0",
	    .vendor_id = 0x1234,
	    .device_id = 0x5678,
	    .class_code = 0x020000,
	    .bars = {[0] = {.type = PCI_BAR_MEM64, .size = 0x2000},
		     [2] = {.type = PCI_BAR_IO, .size = 0x20},
		     [3] = {.type = PCI_BAR_MEM32, .size = 0x1000}},
	};
	struct pci_bus_config bc;
	struct pci_bus *bus;
	struct pci_dev *dev;
	static struct fdev f;
	int fds[NVEC];
	size_t i;
	unsigned v;

	memset(&f, 0, sizeof(f));
	pci_bus_default_config(1ull << 30, &bc);
	if (pci_bus_create(&bc, &bus) || pci_dev_register(bus, &desc, &dops, &f, &dev) ||
	    msix_create(dev, NVEC, 0, TABLE_OFF, PBA_OFF, &checked_msi_router, NULL, &f.msix))
		abort();
	for (v = 0; v < NVEC; v++) {
		fds[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fds[v] < 0 || msix_bind_fd(f.msix, v, fds[v]))
			abort();
	}
	for (i = 0; i + ACCESS_RECORD_SIZE <= size; i += ACCESS_RECORD_SIZE) {
		struct access_record a;
		uint32_t addr;

		access_record_decode(data + i, &a);
		switch (a.kind) {
		case 0: /* ECAM: slot from flags, register from offset */
			pci_ecam_access(bus, ((uint64_t)(a.flags & 0x1f) << 15) | (a.off & 0xfff),
					&a.val, a.len, a.write);
			break;
		case 1: /* CF8 address then a CFC data access */
			addr = 0x80000000u | (uint32_t)pci_dev_slot(dev) << 11 | (a.off & 0xfc);
			if (a.flags & 1)
				addr = (uint32_t)a.val; /* raw CF8 value */
			pci_pio_cfg_access(bus, 0xcf8, &addr, 4, true);
			pci_pio_cfg_access(bus, 0xcfc + (a.off & 3), &a.val, a.len, a.write);
			break;
		case 2: /* wherever BAR 0 decodes now */
			pci_bar_access(bus, pci_dev_bar_addr(dev, 0) + (a.off & 0x1fff), &a.val,
				       a.len, a.write, false);
			break;
		case 3: /* the MSI-X table and PBA */
			pci_bar_access(bus, pci_dev_bar_addr(dev, 0) + TABLE_OFF + (a.off & 0xfff),
				       &a.val, a.len, a.write, false);
			if (a.flags & 0x80)
				msix_notify(f.msix, a.flags % NVEC);
			break;
		}
	}
	for (v = 0; v < NVEC; v++) {
		msix_vector_pending(f.msix, v);
		msix_unbind_fd(f.msix, v, fds[v]);
		close(fds[v]);
	}
	msix_destroy(f.msix);
	pci_dev_unregister(dev);
	pci_bus_destroy(bus);
	checked_router_assert_idle();
	return 0;
}
