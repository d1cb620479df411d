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

#define VFIO_USER_PATH_MAX 108

/* A parsed --device value (plain data). */
struct vfio_device_spec {
	enum { VFIO_DEV_KERNEL, VFIO_DEV_USER } kind;
	char bdf[BDF_STRLEN];	       /* kernel: normalised address */
	char path[VFIO_USER_PATH_MAX]; /* vfio-user: server socket */
};

/* Parse a --device value: "vfio:BDF" (kernel VFIO) or "vfio-user:PATH"
 * (a vfio-user server socket). 0, or -EINVAL with a message naming the
 * value and the accepted forms. No side effects. */
int vfio_device_arg_parse(const char *arg, struct vfio_device_spec *out);

/* An empty set for the VM (no host changes yet). */
int vfio_vm_create(struct kvm *kvm, struct guest_mem *mem, struct pci_bus *bus,
		   const struct msi_router_ops *msi, void *msi_opaque, struct vfio_vm **out);

/* Pass a device through.
 * Kernel: bind it to vfio-pci (refusing host storage / busy devices), attach
 * its group (refusing a non-viable or busy group), DMA-map guest RAM on the
 * first device, open it, reset it, plug it into the bus.
 * vfio-user: connect to the server, share guest RAM with DMA_MAP (memfds),
 * plug it into the bus (all its BAR accesses trap to messages).
 * On failure everything this call did is undone and -errno returned with a
 * message; the VM must not start then. -E2BIG beyond VFIO_VM_DEVICES_MAX. */
int vfio_vm_add_device(struct vfio_vm *vv, const struct vfio_device_spec *spec);

/* After the vCPUs stopped: unplug and reset every device, close VFIO,
 * give every device back to its original driver. NULL is a no-op. */
void vfio_vm_destroy(struct vfio_vm *vv);

unsigned vfio_vm_device_count(const struct vfio_vm *vv);
/* The device model of device i (in add order), or NULL. */
struct pci_passthrough *vfio_vm_device(const struct vfio_vm *vv, unsigned i);

#endif
