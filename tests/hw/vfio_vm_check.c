/* SPDX-License-Identifier: MIT */
/* vfio-vm-check: the passthrough device model (vfio/vfio_vm + pci_passthrough)
 * over real kernel VFIO and real KVM, without a vCPU: the program plays the
 * guest through the PCI bus's config and BAR entry points.
 *   --device vfio:BDF → bound to vfio-pci, guest RAM DMA-mapped, plugged into
 *   our PCI bus; the "guest" reads its virtual config space, enables decoding
 *   (BAR0 becomes a KVM memslot on the VFIO mmap), programs MSI-X vector 0
 *   masked, runs an NVMe Identify with queues and data in guest RAM (device
 *   DMA at IOVA = GPA), sees the interrupt as the vector's pending bit (the
 *   device's eventfd counted by vmm/msix), unmasks it (KVM irqfd takes the
 *   pending interrupt), and on teardown the controller is back on its driver.
 *   vfio-vm-check --nvme BDF [--refused BDF]
 * --refused names a device whose IOMMU group is not viable (QEMU q35: an
 * ICH9 function while lpc_ich holds 00:1f.0): adding it must fail and leave
 * it on its original driver.
 * Prints TAP; exit 0 ok, 1 failure, 77 no VFIO/KVM here. */
#define LOG_PREFIX "vfio-vm-check"
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/pci_regs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "tests/hw/tap.h"
#include "vfio/bind.h"
#include "vfio/pci_passthrough.h"
#include "vfio/sysfs.h"
#include "vfio/vfio_vm.h"
#include "vmm/kvm.h"
#include "vmm/layout.h"
#include "vmm/mem.h"
#include "vmm/pci.h"

#define RAM	  (64ull << 20)
#define ASQ_GPA	  0x200000ull
#define ACQ_GPA	  0x201000ull
#define IDENT_GPA 0x202000ull

struct guest {
	struct pci_bus *bus;
	unsigned slot;
	uint64_t bar0;
};

static uint32_t cfg_rd(struct guest *g, unsigned reg, unsigned len)
{
	uint32_t v = 0;

	pci_ecam_access(g->bus, (uint64_t)g->slot << 15 | reg, &v, len, false);
	return v;
}
static void cfg_wr(struct guest *g, unsigned reg, uint32_t v, unsigned len)
{
	pci_ecam_access(g->bus, (uint64_t)g->slot << 15 | reg, &v, len, true);
}
static uint32_t mmio_rd(struct guest *g, uint64_t off)
{
	uint32_t v = 0;

	pci_bar_access(g->bus, g->bar0 + off, &v, 4, false, false);
	return v;
}
static void mmio_wr(struct guest *g, uint64_t off, uint32_t v)
{
	pci_bar_access(g->bus, g->bar0 + off, &v, 4, true, false);
}

static bool wait_rdy(struct guest *g, unsigned want)
{
	for (int i = 0; i < 20000; i++) {
		uint32_t csts = mmio_rd(g, 0x1c);

		if ((csts & 1) == want)
			return true;
		usleep(1000);
	}
	return false;
}

static unsigned find_cap(struct guest *g, uint8_t id)
{
	unsigned at = cfg_rd(g, PCI_CAPABILITY_LIST, 1), n = 0;

	while (at && n++ < 48) {
		if (cfg_rd(g, at, 1) == id)
			return at;
		at = cfg_rd(g, at + 1, 1);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct mem_region *rg;
	struct pci_bus_config bc;
	struct pci_passthrough *pt;
	struct guest_mem *mem = NULL;
	struct vfio_vm *vv = NULL;
	struct pci_bus *bus = NULL;
	struct kvm *kvm = NULL;
	struct guest g = {0};
	struct vfio_device_spec spec;
	struct sysfs *fs;
	char bdf[BDF_STRLEN], orig[DRIVER_STRLEN] = "", drv[DRIVER_STRLEN], arg[32], mn[41];
	unsigned msix, nr;
	uint32_t *sq, pba;
	volatile uint16_t *cqe_status;
	uint8_t *id;
	int ret;

	log_set_program("vfio-vm-check");
	if ((argc != 3 && argc != 5) || strcmp(argv[1], "--nvme") ||
	    (argc == 5 && strcmp(argv[3], "--refused"))) {
		fprintf(stderr, "usage: vfio-vm-check --nvme BDF [--refused BDF]\n");
		return 2;
	}
	if (access("/dev/vfio/vfio", F_OK) || access("/dev/kvm", F_OK)) {
		printf("1..0 # SKIP needs /dev/vfio/vfio and /dev/kvm\n");
		return 77;
	}
	snprintf(arg, sizeof(arg), "vfio:%.20s", argv[2]);
	ret = vfio_device_arg_parse(arg, &spec);
	tap(ret == 0 && spec.kind == VFIO_DEV_KERNEL, "--device %s parsed", arg);
	tap(vfio_device_arg_parse("vfio:zz", &spec) == -EINVAL &&
		vfio_device_arg_parse("nvme:01:00.0", &spec) == -EINVAL,
	    "bad --device values refused");
	vfio_device_arg_parse(arg, &spec);
	snprintf(bdf, sizeof(bdf), "%s", spec.bdf);
	if (sysfs_open(NULL, &fs))
		return 1;
	pcidev_driver(fs, bdf, orig);

	ret = kvm_open(NULL, &kvm);
	if (!ret)
		ret = kvm_setup_irqchip(kvm);
	tap(ret == 0, "KVM VM with in-kernel irqchip");
	if (ret)
		goto out;
	ret = guest_mem_create(RAM, HUGEPAGES_2M, &mem);
	if (ret)
		ret = guest_mem_create(RAM, HUGEPAGES_NONE, &mem);
	nr = ret ? 0 : (unsigned)guest_mem_regions(mem, &rg);
	for (unsigned i = 0; i < nr && !ret; i++)
		ret = kvm_set_memslot(kvm, i, rg[i].gpa, rg[i].size, rg[i].hva);
	tap(ret == 0, "64 MiB guest RAM in KVM");
	if (ret)
		goto out;
	pci_bus_default_config(RAM, &bc);
	ret = pci_bus_create(&bc, &bus);
	if (!ret)
		ret = vfio_vm_create(kvm, mem, bus, &kvm_msi_router, kvm, &vv);
	if (!ret)
		ret = vfio_vm_add_device(vv, &spec);
	tap(ret == 0, "%s passed through (was on '%s')", bdf, orig);
	if (ret)
		goto out;
	pt = vfio_vm_device(vv, 0);
	g.bus = bus;
	g.slot = pci_dev_slot(pci_passthrough_pci_dev(pt));

	/* The guest's view. */
	tap(cfg_rd(&g, PCI_VENDOR_ID, 2) == 0x1b36 &&
		cfg_rd(&g, PCI_CLASS_REVISION, 4) >> 8 == 0x010802,
	    "guest sees %04x:%04x class %06x in slot %u", cfg_rd(&g, PCI_VENDOR_ID, 2),
	    cfg_rd(&g, PCI_DEVICE_ID, 2), cfg_rd(&g, PCI_CLASS_REVISION, 4) >> 8, g.slot);
	msix = find_cap(&g, PCI_CAP_ID_MSIX);
	tap(msix && !find_cap(&g, PCI_CAP_ID_MSI) && cfg_rd(&g, PCI_ROM_ADDRESS, 4) == 0,
	    "MSI-X capability at 0x%x, MSI hidden, ROM hidden", msix);
	g.bar0 = (cfg_rd(&g, PCI_BASE_ADDRESS_0, 4) & ~0xfull) |
		 (uint64_t)cfg_rd(&g, PCI_BASE_ADDRESS_1, 4) << 32;
	cfg_wr(&g, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	tap(pci_passthrough_direct_mapped(pt) >= 1,
	    "BAR0 at 0x%" PRIx64 ": %u range(s) installed as KVM memslots on the VFIO mmap", g.bar0,
	    pci_passthrough_direct_mapped(pt));

	/* MSI-X vector 0 → LAPIC 0, vector 0x31; left masked for now. */
	mmio_wr(&g, 0x2000, 0xfee00000);
	mmio_wr(&g, 0x2004, 0);
	mmio_wr(&g, 0x2008, 0x31);
	mmio_wr(&g, 0x200c, 1);
	cfg_wr(&g, msix + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
	tap(pci_passthrough_msix_on(pt), "guest MSI-X enable reached the device (SET_IRQS)");

	/* NVMe Identify with queues and data in guest RAM. */
	memset(guest_mem_ptr(mem, ASQ_GPA, 3 * 4096), 0, 3 * 4096);
	mmio_wr(&g, 0x14, 0);
	tap(wait_rdy(&g, 0), "controller disabled through trapped BAR accesses");
	mmio_wr(&g, 0x24, 7u << 16 | 7u);
	mmio_wr(&g, 0x28, (uint32_t)ASQ_GPA);
	mmio_wr(&g, 0x2c, 0);
	mmio_wr(&g, 0x30, (uint32_t)ACQ_GPA);
	mmio_wr(&g, 0x34, 0);
	mmio_wr(&g, 0x14, 1 | 6u << 16 | 4u << 20);
	tap(wait_rdy(&g, 1), "controller enabled");
	sq = guest_mem_ptr(mem, ASQ_GPA, 64);
	sq[0] = 0x06 | 1u << 16; /* Identify, CID 1 */
	sq[6] = (uint32_t)IDENT_GPA;
	sq[10] = 1; /* CNS 1: controller */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	mmio_wr(&g, 0x1000, 1);
	cqe_status = (volatile uint16_t *)((uint8_t *)guest_mem_ptr(mem, ACQ_GPA, 16) + 14);
	for (int i = 0; i < 30000 && !(*cqe_status & 1); i++)
		usleep(1000);
	id = guest_mem_ptr(mem, IDENT_GPA, 4096);
	memcpy(mn, id + 24, 40);
	mn[40] = '\0';
	tap((*cqe_status & 1) && (*cqe_status >> 1) == 0 && !strncmp(mn, "QEMU NVMe Ctrl", 14),
	    "Identify by DMA into guest RAM: status 0x%x MN '%.14s'", *cqe_status >> 1, mn);
	mmio_wr(&g, 0x1004, 1);

	/* The completion interrupt, masked: pending in the PBA (trapped read). */
	pba = 0;
	for (int i = 0; i < 2000 && !(pba & 1); i++) {
		pba = mmio_rd(&g, 0x3000);
		usleep(1000);
	}
	tap(pba & 1, "device interrupt seen as MSI-X vector 0 pending (PBA=0x%x)", pba);
	mmio_wr(&g, 0x200c, 0); /* unmask: the irqfd takes the pending signal */
	pba = mmio_rd(&g, 0x3000);
	tap(!(pba & 1), "unmask hands it to KVM (irqfd); PBA now 0x%x", pba);

	mmio_wr(&g, 0x14, 0);
	wait_rdy(&g, 0);
	cfg_wr(&g, PCI_COMMAND, 0, 2);
	tap(pci_passthrough_direct_mapped(pt) == 0, "decoding off removes the memslots");
out:
	vfio_vm_destroy(vv);
	if (orig[0]) {
		pcidev_driver(fs, bdf, drv);
		tap(!strcmp(drv, orig), "%s back on '%s' after teardown", bdf, drv);
	}
	if (argc == 5 && bus && mem && kvm) {
		char rb[BDF_STRLEN], before[DRIVER_STRLEN] = "", after[DRIVER_STRLEN] = "?";

		vv = NULL;
		if (!pcidev_lookup(fs, argv[4], rb))
			pcidev_driver(fs, rb, before);
		ret = vfio_vm_create(kvm, mem, bus, &kvm_msi_router, kvm, &vv);
		if (!ret) {
			struct vfio_device_spec rs = {.kind = VFIO_DEV_KERNEL};

			snprintf(rs.bdf, sizeof(rs.bdf), "%s", rb);
			ret = vfio_vm_add_device(vv, &rs);
		}
		tap(ret == -EBUSY, "--device vfio:%s in a non-viable group refused (%s)", argv[4],
		    strerror(-ret));
		tap(vv && vfio_vm_device_count(vv) == 0, "nothing plugged for it");
		vfio_vm_destroy(vv);
		pcidev_driver(fs, rb, after);
		tap(!strcmp(before, after), "%s left on its driver '%s'", rb,
		    after[0] ? after : "none");
	}
	pci_bus_destroy(bus);
	guest_mem_destroy(mem);
	kvm_close(kvm);
	sysfs_close(fs);
	tap_plan();
	return tap_failures() ? 1 : 0;
}
