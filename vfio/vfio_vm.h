/* SPDX-License-Identifier: MIT */
/* `--device vfio:BDF` for one VM: every passed-through device of the VM in
 * one VFIO container whose IOMMU domain maps all guest RAM (IOVA = GPA),
 * each device bound to vfio-pci for the VM's lifetime (original driver
 * restored on destroy) and presented by the passthrough device model on the
 * VM's PCI bus, with MSI-X through KVM irqfds and mmap'ed BARs as memslots. */
#ifndef NFV_VFIO_VFIO_VM_H
#define NFV_VFIO_VFIO_VM_H

#include "vfio/bind.h"
#include "vfio/pci_passthrough.h"
#include "vmm/msix.h"
#include "vmm/pci.h"

struct kvm;
struct guest_mem;
struct vfio_vm;

#define VFIO_VM_DEVICES_MAX 8
/* Memslots used: [VFIO_VM_FIRST_SLOT, + VFIO_VM_DEVICES_MAX * PT_MEMSLOTS_PER_DEV)
 * (kvm.h: slots 0/1 are RAM; >= 8 are free for BAR mappings). */
#define VFIO_VM_FIRST_SLOT 8

/* Parse a --device value: "vfio:BDF" → 0 and the normalised address;
 * "vfio-user:PATH" → -EOPNOTSUPP (not in this build); anything else or a bad
 * address → -EINVAL. Prints the reason. */
int vfio_device_arg_parse(const char *arg, char bdf[BDF_STRLEN]);

/* An empty set for the VM (no host changes yet). */
int vfio_vm_create(struct kvm *kvm, struct guest_mem *mem, struct pci_bus *bus,
		   const struct msi_router_ops *msi, void *msi_opaque, struct vfio_vm **out);

/* Pass `bdf` through: bind it to vfio-pci (refusing host storage / busy
 * devices), attach its group (refusing a non-viable or busy group), DMA-map
 * guest RAM on the first device, open it, reset it, plug it into the bus.
 * On failure everything this call did is undone and -errno returned with a
 * message; the VM must not start then. -E2BIG beyond VFIO_VM_DEVICES_MAX. */
int vfio_vm_add_device(struct vfio_vm *vv, const char *bdf);

/* After the vCPUs stopped: unplug and reset every device, close VFIO,
 * give every device back to its original driver. NULL is a no-op. */
void vfio_vm_destroy(struct vfio_vm *vv);

unsigned vfio_vm_device_count(const struct vfio_vm *vv);
/* The device model of device i (in add order), or NULL. */
struct pci_passthrough *vfio_vm_device(const struct vfio_vm *vv, unsigned i);

#endif
