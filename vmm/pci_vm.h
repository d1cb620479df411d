/* SPDX-License-Identifier: MIT */
/* Puts the PCI bus and its devices into a VM: registers config space
 * (0xCF8-0xCFF, ECAM) and the BAR windows on the VM's buses, routes MSI-X
 * through KVM (GSI routes, irqfds, KVM_SIGNAL_MSI), binds virtio kicks with
 * KVM_IOEVENTFD and gives the devices the VM's emulation-thread event loop.
 * Used as the VM's setup/teardown hooks (struct vm_hooks). */
#ifndef NFV_VMM_PCI_VM_H
#define NFV_VMM_PCI_VM_H

#include <stddef.h>

#include "vfio/vfio_vm.h"
#include "vmm/virtio_net.h"
#include "vmm/vm.h"

#define PCI_VM_NETS_MAX 8

/* Plain configuration from the command line, plus the running state. */
struct pci_vm_config {
	struct virtio_net_opts net[PCI_VM_NETS_MAX];
	unsigned n_net;
	struct vfio_device_spec vfio[VFIO_VM_DEVICES_MAX];
	unsigned n_vfio;
	struct pci_vm *state; /* set by pci_vm_setup, cleared by pci_vm_teardown */
};

/* Add one `--net` argument. -EINVAL (message printed) for a bad value,
 * -E2BIG beyond PCI_VM_NETS_MAX. */
int pci_vm_add_net(struct pci_vm_config *cfg, const char *arg);

/* Add one `--device vfio:BDF|vfio-user:SOCKET`. -EINVAL (message printed),
 * -E2BIG beyond VFIO_VM_DEVICES_MAX. */
int pci_vm_add_device(struct pci_vm_config *cfg, const char *arg);

/* vm_hooks.setup / teardown with opaque = struct pci_vm_config *. */
int pci_vm_setup(struct vm *vm, void *cfg);
void pci_vm_teardown(struct vm *vm, void *cfg);

#endif
