/* SPDX-License-Identifier: MIT */
/*
 * Modern (virtio 1.x) virtio-pci transport and split virtqueues. Each queue
 * owns size fixed buffers of VQ_BUF_SIZE bytes (descriptor i always points
 * at buffer i). Nothing the device writes is trusted: used-ring ids are
 * checked against the queue size and the set of buffers in flight, lengths
 * against the buffer size, and one poll consumes at most size entries.
 */
#ifndef NFGUEST_VIRTIO_H
#define NFGUEST_VIRTIO_H

#include <stdint.h>

#include "guest/pci.h"

#define VQ_MAX_SIZE 1024
#define VQ_BUF_SIZE 2048

#define VIRTIO_F_VERSION_1 32

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[VQ_MAX_SIZE];
	uint16_t used_event;
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[VQ_MAX_SIZE];
	uint16_t avail_event;
};

struct virtq {
	uint16_t index;	   /* queue number in the device */
	uint16_t size;	   /* power of two <= VQ_MAX_SIZE */
	int device_writes; /* RX: descriptors are VIRTQ_DESC_F_WRITE */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint8_t *bufs; /* size * VQ_BUF_SIZE */
	uint16_t avail_idx;
	uint16_t last_used;
	uint16_t nfree;
	uint16_t free_ids[VQ_MAX_SIZE];
	uint8_t inflight[VQ_MAX_SIZE];
	uint64_t notify_addr;
	uint64_t kicks;
	uint64_t bad_used; /* used entries rejected (bad id/len) */
};

struct virtio_dev {
	const struct pci_dev *pci;
	uint64_t common; /* common config structure */
	uint64_t notify_base;
	uint32_t notify_len;
	uint32_t notify_mult;
	uint64_t isr;
	uint64_t device_cfg;
	uint32_t device_cfg_len;
	uint64_t features; /* negotiated */
	uint64_t msix_table;
	uint16_t msix_entries;
	uint8_t msix_cap;
};

/* virtio_init: find the modern capabilities, map their BARs, reset the
 * device and negotiate features: VIRTIO_F_VERSION_1 plus those in 'want'
 * the device offers. Leaves the device in FEATURES_OK. Returns 0, -ENODEV
 * (not a modern virtio device / capability outside its BAR) or -EIO (the
 * device refused the features or did not reset). */
int virtio_init(struct virtio_dev *vd, const struct pci_dev *pci, uint64_t want);

/* virtq_setup: set up queue index with its ring and buffer memory (one
 * slot of nfguest's static pool; slot < VQ_SLOTS), msix vector entry or
 * 0xffff for none. Returns 0, -ENODEV (queue absent), -ENOSPC or -EIO. */
#define VQ_SLOTS 4
int virtq_setup(struct virtio_dev *vd, struct virtq *q, uint16_t index, unsigned int slot,
		int device_writes, uint16_t msix_vector);

/* virtio_driver_ok: set DRIVER_OK; -EIO if the device flags NEEDS_RESET. */
int virtio_driver_ok(struct virtio_dev *vd);

/* virtio_msix_setup: program MSI-X table entry 'entry' to deliver 'vector'
 * to APIC ID apic_id and enable MSI-X. Returns 0, -ENODEV (no MSI-X) or
 * -EINVAL (entry beyond the table). */
int virtio_msix_setup(struct virtio_dev *vd, uint16_t entry, uint8_t vector, uint8_t apic_id);

/* virtio_msix_unmask: clear the MSI-X function mask (entries programmed by
 * virtio_msix_setup stay masked as a group until then). */
void virtio_msix_unmask(struct virtio_dev *vd);

/* virtio_config_vector: route configuration-change interrupts to MSI-X
 * entry (0xffff: none). Returns 0 or -EIO if the device refused it. */
int virtio_config_vector(struct virtio_dev *vd, uint16_t entry);

/* Device config space access (bounded by its length; out of range reads 0). */
uint8_t virtio_cfg_read8(struct virtio_dev *vd, uint32_t off);
uint16_t virtio_cfg_read16(struct virtio_dev *vd, uint32_t off);
uint8_t virtio_status(struct virtio_dev *vd);

/* virtq_init: set up q over the given ring memory (size a power of two <=
 * VQ_MAX_SIZE, bufs size * VQ_BUF_SIZE bytes): descriptor i -> buffer i,
 * all ids free, interrupts suppressed. No device access. */
void virtq_init(struct virtq *q, uint16_t index, uint16_t size, int device_writes,
		struct vring_desc *desc, struct vring_avail *avail, struct vring_used *used,
		uint8_t *bufs);

/* virtq_buf: buffer i of q. */
static inline uint8_t *virtq_buf(struct virtq *q, uint16_t id)
{
	return q->bufs + (uint32_t)id * VQ_BUF_SIZE;
}

/* virtq_get_free: a free descriptor id for a driver-filled buffer, or -1. */
int virtq_get_free(struct virtq *q);

/* virtq_post: expose buffer id with len bytes (for device-writable queues
 * len is the buffer size) on the avail ring; no kick. */
void virtq_post(struct virtq *q, uint16_t id, uint32_t len);

/* virtq_kick: notify the device unless it asked not to be. */
void virtq_kick(struct virtq *q);

/* virtq_next_used: the next used entry: returns 1 with *id and *len, 0 if none;
 * bad entries are counted in bad_used and skipped. The id is no longer in
 * flight; the caller reposts (RX) or frees (TX) it. */
int virtq_next_used(struct virtq *q, uint16_t *id, uint32_t *len);

/* virtq_free: return id to the free list. */
void virtq_free(struct virtq *q, uint16_t id);

/* virtq_interrupts: ask the device for (1) or to suppress (0) interrupts. */
void virtq_interrupts(struct virtq *q, int on);

/* virtq_has_used: 1 if the device published entries not yet consumed. */
int virtq_has_used(struct virtq *q);

#endif
