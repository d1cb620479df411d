// SPDX-License-Identifier: MIT
/* PCI bus + virtio-net wiring into a VM (buses, KVM routing, event loop). */
#define LOG_PREFIX "pci"
#include "vmm/pci_vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "vmm/kvm.h"
#include "vmm/layout.h"
#include "vmm/pci.h"

struct pci_vm {
	struct vm *vm;
	struct pci_bus *bus;
	struct pci_bus_config win;
	uint64_t regs[5]; /* bases registered on the buses, for unregistering */
	bool reg_pio[5];
	unsigned nreg;
	struct virtio_net *net[PCI_VM_NETS_MAX];
	unsigned n_net;
	struct vfio_vm *vfio;
};

int pci_vm_add_device(struct pci_vm_config *cfg, const char *arg)
{
	int ret;

	if (cfg->n_vfio == VFIO_VM_DEVICES_MAX) {
		pr_err("--device '%s': at most %d passthrough devices", arg, VFIO_VM_DEVICES_MAX);
		return -E2BIG;
	}
	ret = vfio_device_arg_parse(arg, &cfg->vfio[cfg->n_vfio]);
	if (ret)
		return ret;
	cfg->n_vfio++;
	return 0;
}

int pci_vm_add_net(struct pci_vm_config *cfg, const char *arg)
{
	int ret;

	if (cfg->n_net == PCI_VM_NETS_MAX) {
		pr_err("--net '%s': at most %d network devices", arg, PCI_VM_NETS_MAX);
		return -E2BIG;
	}
	ret = virtio_net_parse(arg, &cfg->net[cfg->n_net]);
	if (ret)
		return ret;
	for (unsigned i = 0; i < cfg->n_net; i++) {
		if (strcmp(cfg->net[i].path, cfg->net[cfg->n_net].path) == 0) {
			pr_err("--net '%s': socket path used twice; give each device its own", arg);
			return -EINVAL;
		}
	}
	cfg->n_net++;
	return 0;
}

/* ---- bus handlers ---- */

static void cfg_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool write)
{
	struct pci_vm *p = opaque;

	pci_pio_cfg_access(p->bus, (uint16_t)(PORT_PCI_CONFIG + off), data, len, write);
}

static void ecam_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool write)
{
	struct pci_vm *p = opaque;

	pci_ecam_access(p->bus, off, data, len, write);
}

static void mmio32_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool write)
{
	struct pci_vm *p = opaque;

	pci_bar_access(p->bus, p->win.mmio32_base + off, data, len, write, false);
}

static void mmio64_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool write)
{
	struct pci_vm *p = opaque;

	pci_bar_access(p->bus, p->win.mmio64_base + off, data, len, write, false);
}

static void iobar_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool write)
{
	struct pci_vm *p = opaque;

	pci_bar_access(p->bus, p->win.io_base + off, data, len, write, true);
}

static int reg(struct pci_vm *p, bool pio, uint64_t base, uint64_t len, bus_handler_fn fn,
	       const char *owner)
{
	struct bus *b = pio ? vm_pio_bus(p->vm) : vm_mmio_bus(p->vm);
	int ret = bus_register(b, base, len, fn, p, owner);

	if (ret)
		return ret;
	p->regs[p->nreg] = base;
	p->reg_pio[p->nreg] = pio;
	p->nreg++;
	return 0;
}

/* ---- KVM adapters ---- */

static int ioeventfd(void *kvm, uint64_t gpa, unsigned len, int fd, bool assign)
{
	return kvm_ioeventfd(kvm, gpa, len, false, fd, assign, false, 0);
}

static int watch(void *o, int fd, uint32_t events, void (*cb)(void *, uint32_t), void *arg)
{
	return vm_watch_fd(o, fd, events, cb, arg);
}

static int unwatch(void *o, int fd)
{
	return vm_unwatch_fd(o, fd);
}

/* ---- hooks ---- */

static void destroy(struct pci_vm *p)
{
	vfio_vm_destroy(p->vfio);
	for (unsigned i = p->n_net; i-- > 0;)
		virtio_net_destroy(p->net[i]);
	for (unsigned i = p->nreg; i-- > 0;)
		bus_unregister(p->reg_pio[i] ? vm_pio_bus(p->vm) : vm_mmio_bus(p->vm), p->regs[i]);
	pci_bus_destroy(p->bus);
	free(p);
}

int pci_vm_setup(struct vm *vm, void *opaque)
{
	struct pci_vm_config *cfg = opaque;
	struct pci_vm *p;
	struct virtio_net_host host;
	int ret;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->vm = vm;
	pci_bus_default_config(guest_mem_size(vm_mem(vm)), &p->win);
	ret = pci_bus_create(&p->win, &p->bus);
	if (ret)
		goto err_free;
	ret = reg(p, true, PORT_PCI_CONFIG, 8, cfg_io, "pci-config");
	if (!ret)
		ret = reg(p, false, PCI_ECAM_BASE, PCI_ECAM_SIZE, ecam_io, "pci-ecam");
	if (!ret)
		ret = reg(p, false, p->win.mmio32_base, p->win.mmio32_end - p->win.mmio32_base,
			  mmio32_io, "pci-mmio32");
	if (!ret)
		ret = reg(p, false, p->win.mmio64_base, p->win.mmio64_end - p->win.mmio64_base,
			  mmio64_io, "pci-mmio64");
	if (!ret)
		ret = reg(p, true, p->win.io_base, p->win.io_end - p->win.io_base, iobar_io,
			  "pci-io");
	if (ret)
		goto err_destroy;
	/* The CONFIG_ADDRESS latch only matters at the next 0xCFC access, so
	 * its writes need not exit: Linux's early PCI scans write it before
	 * every config read (thousands of exits at boot). Optional. */
	ret = kvm_coalesce_pio(vm_kvm(vm), PORT_PCI_CONFIG, 4);
	if (ret && ret != -ENOTSUP)
		pr_warn("coalescing writes to port 0x%x: %s (they exit instead)", PORT_PCI_CONFIG,
			strerror(-ret));
	host = (struct virtio_net_host){
	    .pci = {.bus = p->bus,
		    .mem = vm_mem(vm),
		    .msi = &kvm_msi_router,
		    .ioeventfd = ioeventfd,
		    .opaque = vm_kvm(vm)},
	    .watch = watch,
	    .unwatch = unwatch,
	    .watch_opaque = vm,
	    .abort = {.n_fds = 2, .stopping = vm_stopping, .opaque = vm},
	};
	vm_stop_fds(vm, host.abort.fds);
	for (unsigned i = 0; i < cfg->n_net; i++) {
		ret = virtio_net_create(&host, &cfg->net[i], i, &p->net[i]);
		if (ret)
			goto err_destroy;
		p->n_net++;
	}
	if (cfg->n_vfio) {
		ret = vfio_vm_create(vm_kvm(vm), vm_mem(vm), p->bus, &kvm_msi_router, vm_kvm(vm),
				     &p->vfio);
		for (unsigned i = 0; !ret && i < cfg->n_vfio; i++)
			ret = vfio_vm_add_device(p->vfio, &cfg->vfio[i]);
		if (ret)
			goto err_destroy;
	}
	cfg->state = p;
	return 0;

err_destroy:
	destroy(p);
	return ret;
err_free:
	free(p);
	return ret;
}

void pci_vm_teardown(struct vm *vm, void *opaque)
{
	struct pci_vm_config *cfg = opaque;

	if (cfg->state)
		destroy(cfg->state);
	cfg->state = NULL;
}
