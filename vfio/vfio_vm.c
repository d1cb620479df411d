/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "vfio-vm"
#include "vfio/vfio_vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/parse.h"
#include "vfio/container.h"
#include "vfio/device.h"
#include "vfio/pci_passthrough.h"
#include "vfio/sysfs.h"
#include "vfio/vfio_user.h"
#include "vmm/kvm.h"

struct vfio_vm_dev {
	char bdf[BDF_STRLEN];
	char name[VFIO_USER_PATH_MAX + 16];
	struct pci_binding *binding;
	struct vfio_device *dev;
	struct vfio_user *vu;
	struct pci_passthrough *pt;
};

struct vfio_vm {
	struct kvm *kvm;
	struct guest_mem *mem;
	struct pci_bus *bus;
	const struct msi_router_ops *msi;
	void *msi_opaque;
	struct sysfs *fs;
	struct vfio_container *c;
	bool ram_mapped;
	struct vfio_vm_dev devs[VFIO_VM_DEVICES_MAX];
	unsigned n;
};

int vfio_device_arg_parse(const char *arg, struct vfio_device_spec *out)
{
	struct pci_bdf b;

	memset(out, 0, sizeof(*out));
	if (arg && !strncmp(arg, "vfio-user:", 10)) {
		size_t n = strlen(arg + 10);

		if (n == 0 || n >= sizeof(out->path)) {
			pr_err("--device '%s': the vfio-user socket path must be 1-%zu bytes", arg,
			       sizeof(out->path) - 1);
			return -EINVAL;
		}
		out->kind = VFIO_DEV_USER;
		memcpy(out->path, arg + 10, n + 1);
		return 0;
	}
	if (!arg || strncmp(arg, "vfio:", 5) || parse_pci_bdf(arg + 5, &b)) {
		pr_err("--device '%s' is neither vfio:BDF (e.g. vfio:0000:01:00.1, the address "
		       "`lspci -D` prints) nor vfio-user:SOCKET",
		       arg ? arg : "(null)");
		return -EINVAL;
	}
	out->kind = VFIO_DEV_KERNEL;
	format_pci_bdf(&b, out->bdf);
	return 0;
}

static int slot_set(void *opaque, uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
	return kvm_set_memslot(opaque, slot, gpa, size, hva);
}

static const struct pt_memslot_ops kvm_slots = {.set = slot_set};

int vfio_vm_create(struct kvm *kvm, struct guest_mem *mem, struct pci_bus *bus,
		   const struct msi_router_ops *msi, void *msi_opaque, struct vfio_vm **out)
{
	struct vfio_vm *vv = calloc(1, sizeof(*vv));
	int ret;

	if (!vv)
		return -ENOMEM;
	ret = sysfs_open(NULL, &vv->fs);
	if (ret) {
		free(vv);
		return ret;
	}
	vv->kvm = kvm;
	vv->mem = mem;
	vv->bus = bus;
	vv->msi = msi;
	vv->msi_opaque = msi_opaque;
	*out = vv;
	return 0;
}

static void dev_release(struct vfio_vm_dev *d)
{
	pci_passthrough_destroy(d->pt);
	d->pt = NULL;
	vfio_device_close(d->dev);
	d->dev = NULL;
	vfio_user_close(d->vu);
	d->vu = NULL;
}

/* Put the shared passthrough device model on the VM's PCI bus for device d
 * (the next slot), over backend `be` with transport `ops`. */
static int attach_model(struct vfio_vm *vv, struct vfio_vm_dev *d, const struct vfio_dev_ops *ops,
			void *be)
{
	struct pt_config cfg = {
	    .name = d->name,
	    .ops = ops,
	    .be = be,
	    .msi = vv->msi,
	    .msi_opaque = vv->msi_opaque,
	    .slots = &kvm_slots,
	    .slots_opaque = vv->kvm,
	    .first_slot = VFIO_VM_FIRST_SLOT + vv->n * PT_MEMSLOTS_PER_DEV,
	};

	return pci_passthrough_create(vv->bus, &cfg, &d->pt);
}

static int add_user_device(struct vfio_vm *vv, struct vfio_vm_dev *d, const char *path)
{
	int ret;

	snprintf(d->name, sizeof(d->name), "vfio-user:%s", path);
	ret = vfio_user_connect(path, &d->vu);
	if (ret)
		return ret;
	ret = vfio_user_dma_map_guest(d->vu, vv->mem);
	if (ret)
		goto err_close;
	ret = attach_model(vv, d, &vfio_user_dev_ops, d->vu);
	if (ret)
		goto err_close;
	vv->n++;
	return 0;

err_close:
	vfio_user_close(d->vu);
	d->vu = NULL;
	return ret;
}

int vfio_vm_add_device(struct vfio_vm *vv, const struct vfio_device_spec *spec)
{
	const char *bdf_in = spec->bdf;
	struct vfio_vm_dev *d;
	struct vfio_group *g = NULL;
	int ret;

	if (vv->n == VFIO_VM_DEVICES_MAX) {
		pr_err("too many passthrough devices (max %d); drop --device %s",
		       VFIO_VM_DEVICES_MAX, spec->kind == VFIO_DEV_USER ? spec->path : bdf_in);
		return -E2BIG;
	}
	d = &vv->devs[vv->n];
	memset(d, 0, sizeof(*d));
	if (spec->kind == VFIO_DEV_USER)
		return add_user_device(vv, d, spec->path);
	ret = pcidev_lookup(vv->fs, bdf_in, d->bdf);
	if (ret)
		return ret;
	snprintf(d->name, sizeof(d->name), "vfio-%s", spec->bdf);
	ret = pci_bind_vfio(vv->fs, d->bdf, &d->binding);
	if (ret)
		return ret;
	if (!vv->c) {
		ret = vfio_container_open(vv->fs, &vv->c);
		if (ret)
			goto err_unbind;
	}
	ret = vfio_container_add_device_group(vv->c, d->bdf, &g);
	if (ret)
		goto err_unbind;
	if (!vv->ram_mapped) {
		ret = vfio_dma_map_guest(vv->c, vv->mem);
		if (ret)
			goto err_group;
		vv->ram_mapped = true;
	}
	ret = vfio_device_open(g, d->bdf, &d->dev);
	if (ret)
		goto err_group;
	ret = attach_model(vv, d, &vfio_kernel_dev_ops, d->dev);
	if (ret)
		goto err_close;
	/* The VMM runs sandboxed (no open/readlink) by the time it gives the
	 * device back: open what the release writes now. */
	if (pci_binding_prepare_release(d->binding))
		pr_warn("%s: cannot prepare the driver restore; under --seccomp it will fail "
			"and the device stays on vfio-pci",
			d->bdf);
	vv->n++;
	return 0;

err_close:
	dev_release(d);
err_group:
	/* Detach the group (if no other device of ours uses it) so the host
	 * driver can take the device back. */
	vfio_container_put_group(vv->c, g);
	if (!vv->n) {
		vfio_container_close(vv->c);
		vv->c = NULL;
		vv->ram_mapped = false;
	}
err_unbind:
	pci_binding_release(d->binding);
	d->binding = NULL;
	return ret;
}

void vfio_vm_destroy(struct vfio_vm *vv)
{
	if (!vv)
		return;
	for (unsigned i = 0; i < vv->n; i++)
		dev_release(&vv->devs[i]);
	vfio_container_close(vv->c);
	for (unsigned i = 0; i < vv->n; i++)
		pci_binding_release(vv->devs[i].binding); /* NULL for vfio-user */
	sysfs_close(vv->fs);
	free(vv);
}

unsigned vfio_vm_device_count(const struct vfio_vm *vv)
{
	return vv->n;
}

struct pci_passthrough *vfio_vm_device(const struct vfio_vm *vv, unsigned i)
{
	return i < vv->n ? vv->devs[i].pt : NULL;
}
