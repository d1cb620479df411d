/* SPDX-License-Identifier: MIT */
/* The PCI passthrough device model: a VFIO device (kernel VFIO today; any
 * backend implementing struct vfio_dev_ops, e.g. a vfio-user client, later)
 * presented to the guest as a device on our PCI bus (vmm/pci.h).
 *
 *  - Config space is virtual: IDs and class are copied, BARs get guest
 *    addresses from the bus (the physical BARs are never written), the ROM
 *    is hidden, INTx is not offered, the capability list keeps PM, PCIe and
 *    vendor capabilities as read-only snapshots (so the guest cannot power
 *    the device down or start an FLR behind our back), MSI is hidden and
 *    MSI-X is emulated (vmm/msix) at the device's own table/PBA location.
 *    Of the guest's config writes only the command register's IO/MEM/MASTER
 *    bits reach the device.
 *  - BAR ranges the backend can mmap become KVM memslots whenever the guest
 *    enables decoding, so the guest touches them without exits; the MSI-X
 *    table and PBA pages, and anything not mmappable, are trapped and
 *    forwarded (table/PBA to the emulation, the rest to the backend).
 *  - Each MSI-X vector is an eventfd given to the device with SET_IRQS when
 *    the guest enables MSI-X, bound through vmm/msix to a KVM irqfd, so
 *    device interrupts reach the guest without passing through the VMM.
 *  - The function is reset when the model is created and destroyed. */
#ifndef NFV_VFIO_PCI_PASSTHROUGH_H
#define NFV_VFIO_PCI_PASSTHROUGH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio/device.h"
#include "vmm/msix.h"
#include "vmm/pci.h"

/* What the device model needs from a VFIO backend (opaque `be`). Region
 * indexes are VFIO's (BARs 0-5, config 7). All return 0 or -errno. */
struct vfio_dev_ops {
	int (*region_info)(void *be, unsigned index, struct vfio_region *out);
	int (*irq_info)(void *be, unsigned index, struct vfio_irq *out);
	int (*region_read)(void *be, unsigned index, uint64_t off, void *buf, size_t len);
	int (*region_write)(void *be, unsigned index, uint64_t off, const void *buf, size_t len);
	/* mmap [off, off+len) of a region read/write; -EINVAL if not mmappable. */
	int (*region_mmap)(void *be, unsigned index, uint64_t off, uint64_t len, void **out);
	int (*set_msix)(void *be, unsigned start, unsigned count, const int *fds);
	int (*disable_msix)(void *be);
	int (*reset)(void *be);
};

/* The kernel-VFIO backend: be = struct vfio_device *. */
extern const struct vfio_dev_ops vfio_kernel_dev_ops;

/* Memslots for mmap'ed BAR ranges: set(slot, gpa, size, hva), size 0
 * deletes (kvm_set_memslot in the VMM, a recorder in tests). */
struct pt_memslot_ops {
	int (*set)(void *opaque, uint32_t slot, uint64_t gpa, uint64_t size, void *hva);
};

#define PT_MEMSLOTS_PER_DEV (PCI_BARS_MAX * 2)

struct pt_config {
	const char *name; /* log prefix, e.g. "vfio-0000:01:00.1" */
	const struct vfio_dev_ops *ops;
	void *be;
	const struct msi_router_ops *msi;
	void *msi_opaque;
	const struct pt_memslot_ops *slots;
	void *slots_opaque;
	/* Memslots [first_slot, first_slot + PT_MEMSLOTS_PER_DEV) are this
	 * device's. */
	uint32_t first_slot;
};

struct pci_passthrough;

/* Read the device's config space and regions, build the virtual function
 * and plug it into `bus`. Refuses (-EOPNOTSUPP, message says why) devices
 * without MSI-X, with the MSI-X table and PBA in different BARs, or with a
 * BAR whose size is not a power of two; -EINVAL on a malformed capability
 * list. Resets the function first (a device without reset is used with a
 * warning). */
int pci_passthrough_create(struct pci_bus *bus, const struct pt_config *cfg,
			   struct pci_passthrough **out);
/* Stop: disable interrupts, delete memslots, unplug, unmap, reset. NULL ok. */
void pci_passthrough_destroy(struct pci_passthrough *pt);

struct pci_dev *pci_passthrough_pci_dev(const struct pci_passthrough *pt);
/* Whether the guest enabled MSI-X and the device's vectors are wired. */
bool pci_passthrough_msix_on(const struct pci_passthrough *pt);
/* BAR ranges currently installed as memslots (guest access without exits). */
unsigned pci_passthrough_direct_mapped(const struct pci_passthrough *pt);
/* Trapped BAR accesses forwarded to the backend (not table/PBA). */
uint64_t pci_passthrough_trapped_count(const struct pci_passthrough *pt);

#endif
