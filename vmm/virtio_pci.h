/* SPDX-License-Identifier: MIT */
/* Modern (virtio 1.x) PCI transport for a device whose queues are served
 * elsewhere (a vhost-user backend) or by the VMM (a control queue).
 *
 * One 64-bit memory BAR (BAR 0) holds the common config, ISR, device
 * config and notify areas and the MSI-X table/PBA; vendor capabilities
 * point at them. The transport owns one kick and one call eventfd per
 * queue: kicks are bound with KVM_IOEVENTFD to the queue's notify address
 * (and follow the BAR when the guest moves it), call fds are bound to the
 * queue's MSI-X vector as irqfds. The device model gets a snapshot of the
 * queues when the driver sets DRIVER_OK, after the transport checked them
 * (sizes powers of two no larger than the maximum, rings inside guest RAM,
 * VERSION_1 negotiated); a guest error sets DEVICE_NEEDS_RESET, raises the
 * config interrupt and is logged once.
 *
 * Locking: guest accesses hold the PCI bus lock and the transport's own
 * mutex while calling the device ops. virtio_pci_config_changed() and
 * virtio_pci_needs_reset() take neither, so the device can call them from
 * any thread while holding its own lock. */
#ifndef NFV_VMM_VIRTIO_PCI_H
#define NFV_VMM_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/mem.h"
#include "vmm/msix.h"
#include "vmm/pci.h"

#define VIRTIO_PCI_VENDOR     0x1af4
#define VIRTIO_PCI_DEVICE_ID0 0x1040 /* + virtio device type */
#define VIRTIO_QUEUES_MAX     64
#define VIRTIO_QUEUE_SIZE_MAX 32768

/* BAR 0 layout. */
#define VIRTIO_BAR_COMMON     0x0000u
#define VIRTIO_BAR_ISR	      0x1000u
#define VIRTIO_BAR_DEVICE     0x2000u
#define VIRTIO_BAR_NOTIFY     0x3000u
#define VIRTIO_NOTIFY_MULT    4u
#define VIRTIO_BAR_MSIX_TABLE 0x4000u
#define VIRTIO_BAR_MSIX_PBA   0x6000u
#define VIRTIO_BAR_SIZE	      0x8000u

/* What the transport needs from the VM besides the bus: MSI routing (for
 * MSI-X) and ioeventfd binding. The transport binds each queue's notify
 * address with len 0: any write width there signals the kick fd (KVM's
 * any-length ioeventfd, which takes KVM's fast MMIO exit path where the
 * CPU has one, as QEMU's modern virtio-pci notify does). */
struct virtio_pci_host {
	struct pci_bus *bus;
	struct guest_mem *mem;
	const struct msi_router_ops *msi;
	int (*ioeventfd)(void *opaque, uint64_t gpa, unsigned len, int fd, bool assign);
	void *opaque;
};

/* One queue as the driver configured it. */
struct virtio_queue_info {
	bool enabled;
	uint16_t size;
	uint64_t desc, avail, used; /* guest-physical, checked against RAM */
	uint16_t vector;	    /* MSI-X vector or MSIX_NO_VECTOR */
	int kick_fd, call_fd;	    /* owned by the transport */
};

/* The device model. Called with the transport lock held. */
struct virtio_dev_ops {
	/* Device features offered now (read when the driver reads them). */
	uint64_t (*features)(void *opaque);
	/* Device-specific config space; unknown offsets read as zero. */
	void (*cfg_read)(void *opaque, uint32_t off, void *data, unsigned len);
	void (*cfg_write)(void *opaque, uint32_t off, const void *data, unsigned len);
	/* DRIVER_OK: start with the negotiated features and the queues (all
	 * nq of them; disabled ones have enabled=false). Non-zero sets
	 * DEVICE_NEEDS_RESET. */
	int (*activate)(void *opaque, uint64_t features, const struct virtio_queue_info *q,
			unsigned nq);
	/* The driver wrote 0 to device_status: stop everything. */
	void (*reset)(void *opaque);
};

struct virtio_pci_desc {
	const char *name;	 /* e.g. "virtio-net0" */
	uint16_t device_type;	 /* 1 = net */
	unsigned num_queues;	 /* 1..VIRTIO_QUEUES_MAX */
	uint16_t queue_size_max; /* power of two <= VIRTIO_QUEUE_SIZE_MAX */
	uint32_t device_cfg_len; /* bytes of device config, <= 0x1000 */
	uint32_t class_code;
};

struct virtio_pci;

/* Register the PCI function, its capabilities, MSI-X (num_queues + 1
 * vectors) and the per-queue eventfds. */
int virtio_pci_create(const struct virtio_pci_host *host, const struct virtio_pci_desc *desc,
		      const struct virtio_dev_ops *ops, void *opaque, struct virtio_pci **out);
/* Unbind and close everything, unregister the function. NULL is a no-op. */
void virtio_pci_destroy(struct virtio_pci *vp);

/* The device config changed (link status): bump config_generation, set the
 * ISR config bit, raise the config vector. Any thread. */
void virtio_pci_config_changed(struct virtio_pci *vp);
/* A guest error confined to this device: set DEVICE_NEEDS_RESET and raise
 * the config interrupt. Any thread. */
void virtio_pci_needs_reset(struct virtio_pci *vp);

uint8_t virtio_pci_status(const struct virtio_pci *vp);
struct pci_dev *virtio_pci_dev(const struct virtio_pci *vp);
struct msix *virtio_pci_msix(const struct virtio_pci *vp);
/* Kick / call eventfd of queue q (for the device model and tests). */
int virtio_pci_kick_fd(const struct virtio_pci *vp, unsigned q);
int virtio_pci_call_fd(const struct virtio_pci *vp, unsigned q);
/* Guest errors seen so far (bad queue setup, bad accesses). */
uint64_t virtio_pci_error_count(const struct virtio_pci *vp);

/* Check a split virtqueue of `size` entries at desc/avail/used against
 * guest RAM and alignment. 0 or -EINVAL/-EFAULT. */
int virtio_queue_check(const struct guest_mem *mem, uint16_t size, uint64_t desc, uint64_t avail,
		       uint64_t used);

#endif
