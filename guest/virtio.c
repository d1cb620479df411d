/* SPDX-License-Identifier: MIT */
#include "guest/errno.h"
#include "guest/io.h"
#include "guest/lib.h"
#include "guest/timer.h"
#include "guest/virtio.h"

/* virtio-pci capability types */
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR	   3
#define CAP_DEVICE 4

/* common configuration structure */
#define C_DFSELECT 0x00
#define C_DF	   0x04
#define C_GFSELECT 0x08
#define C_GF	   0x0c
#define C_MSIX	   0x10
#define C_NUMQ	   0x12
#define C_STATUS   0x14
#define C_Q_SELECT 0x16
#define C_Q_SIZE   0x18
#define C_Q_MSIX   0x1a
#define C_Q_ENABLE 0x1c
#define C_Q_NOFF   0x1e
#define C_Q_DESC   0x20
#define C_Q_DRIVER 0x28
#define C_Q_DEVICE 0x30
#define COMMON_LEN 0x38

#define S_ACK	      1
#define S_DRIVER      2
#define S_DRIVER_OK   4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40
#define S_FAILED      0x80

#define MSIX_NO_VECTOR 0xffff

struct vq_mem {
	struct vring_desc desc[VQ_MAX_SIZE] __attribute__((aligned(4096)));
	struct vring_avail avail __attribute__((aligned(4096)));
	struct vring_used used __attribute__((aligned(4096)));
	uint8_t bufs[VQ_MAX_SIZE * VQ_BUF_SIZE] __attribute__((aligned(4096)));
};

/* In .noinit (not cleared at boot, see nfguest.ld): about 8 MiB. */
static struct vq_mem vq_pool[VQ_SLOTS] __attribute__((section(".noinit")));
static uint8_t vq_slot_used[VQ_SLOTS];

/* Find a capability's structure: BAR-relative offset checked against the
 * BAR size. Returns the address or 0. */
static uint64_t cap_addr(const struct pci_dev *p, uint8_t cap, uint32_t min_len, uint32_t *len)
{
	uint8_t bar_i = pci_read8(p, cap + 4);
	uint32_t off = pci_read32(p, cap + 8), l = pci_read32(p, cap + 12);
	struct pci_bar bar;

	if (bar_i > 5 || l < min_len || pci_bar_get(p, bar_i, &bar) || bar.io)
		return 0;
	if ((uint64_t)off + l > bar.size)
		return 0;
	if (len)
		*len = l;
	return bar.addr + off;
}

static uint32_t c_rd32(struct virtio_dev *vd, uint32_t off)
{
	return mmio_read32(vd->common + off);
}

static void c_wr32(struct virtio_dev *vd, uint32_t off, uint32_t v)
{
	mmio_write32(vd->common + off, v);
}

static uint16_t c_rd16(struct virtio_dev *vd, uint32_t off)
{
	return mmio_read16(vd->common + off);
}

static void c_wr16(struct virtio_dev *vd, uint32_t off, uint16_t v)
{
	mmio_write16(vd->common + off, v);
}

static void c_wr64(struct virtio_dev *vd, uint32_t off, uint64_t v)
{
	c_wr32(vd, off, (uint32_t)v);
	c_wr32(vd, off + 4, (uint32_t)(v >> 32));
}

uint8_t virtio_status(struct virtio_dev *vd)
{
	return mmio_read8(vd->common + C_STATUS);
}

static void set_status(struct virtio_dev *vd, uint8_t s)
{
	mmio_write8(vd->common + C_STATUS, s);
}

int virtio_init(struct virtio_dev *vd, const struct pci_dev *p, uint64_t want)
{
	uint8_t cap = 0;
	uint64_t dev_features, deadline;
	int n;

	memset(vd, 0, sizeof(*vd));
	vd->pci = p;
	if (p->vendor != 0x1af4 || p->device < 0x1000 || p->device > 0x107f)
		return -ENODEV;
	for (n = 0; n < 16; n++) {
		uint8_t type;

		cap = pci_find_cap(p, PCI_CAP_VENDOR, cap);
		if (!cap)
			break;
		type = pci_read8(p, cap + 3);
		if (type == CAP_COMMON && !vd->common)
			vd->common = cap_addr(p, cap, COMMON_LEN, 0);
		else if (type == CAP_NOTIFY && !vd->notify_base) {
			vd->notify_base = cap_addr(p, cap, 2, &vd->notify_len);
			vd->notify_mult = pci_read32(p, cap + 16);
		} else if (type == CAP_ISR && !vd->isr)
			vd->isr = cap_addr(p, cap, 1, 0);
		else if (type == CAP_DEVICE && !vd->device_cfg)
			vd->device_cfg = cap_addr(p, cap, 1, &vd->device_cfg_len);
	}
	if (!vd->common || !vd->notify_base)
		return -ENODEV;
	pci_enable(p);

	set_status(vd, 0);
	deadline = timer_deadline(1000000);
	while (virtio_status(vd) != 0)
		if (timer_expired(deadline))
			return -EIO;
	set_status(vd, S_ACK);
	set_status(vd, S_ACK | S_DRIVER);
	c_wr32(vd, C_DFSELECT, 0);
	dev_features = c_rd32(vd, C_DF);
	c_wr32(vd, C_DFSELECT, 1);
	dev_features |= (uint64_t)c_rd32(vd, C_DF) << 32;
	if (!(dev_features & (1ull << VIRTIO_F_VERSION_1))) {
		set_status(vd, S_FAILED);
		return -ENODEV;
	}
	vd->features = dev_features & (want | (1ull << VIRTIO_F_VERSION_1));
	c_wr32(vd, C_GFSELECT, 0);
	c_wr32(vd, C_GF, (uint32_t)vd->features);
	c_wr32(vd, C_GFSELECT, 1);
	c_wr32(vd, C_GF, (uint32_t)(vd->features >> 32));
	set_status(vd, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(virtio_status(vd) & S_FEATURES_OK)) {
		set_status(vd, S_FAILED);
		return -EIO;
	}
	c_wr16(vd, C_MSIX, MSIX_NO_VECTOR);
	return 0;
}

int virtq_setup(struct virtio_dev *vd, struct virtq *q, uint16_t index, unsigned int slot,
		int device_writes, uint16_t msix_vector)
{
	struct vq_mem *m;
	uint16_t max, size, noff;

	if (slot >= VQ_SLOTS || vq_slot_used[slot])
		return -ENOSPC;
	if (index >= c_rd16(vd, C_NUMQ))
		return -ENODEV;
	c_wr16(vd, C_Q_SELECT, index);
	max = c_rd16(vd, C_Q_SIZE);
	if (!max)
		return -ENODEV;
	for (size = VQ_MAX_SIZE; size > max; size >>= 1)
		;
	noff = c_rd16(vd, C_Q_NOFF);
	if ((uint64_t)noff * vd->notify_mult + 2 > vd->notify_len)
		return -EIO;
	m = &vq_pool[slot];
	vq_slot_used[slot] = 1;
	virtq_init(q, index, size, device_writes, m->desc, &m->avail, &m->used, m->bufs);
	q->notify_addr = vd->notify_base + (uint64_t)noff * vd->notify_mult;
	c_wr16(vd, C_Q_SIZE, size);
	c_wr64(vd, C_Q_DESC, (uint64_t)q->desc);
	c_wr64(vd, C_Q_DRIVER, (uint64_t)q->avail);
	c_wr64(vd, C_Q_DEVICE, (uint64_t)q->used);
	c_wr16(vd, C_Q_MSIX, msix_vector);
	if (c_rd16(vd, C_Q_MSIX) != msix_vector)
		return -EIO;
	c_wr16(vd, C_Q_ENABLE, 1);
	return 0;
}

int virtio_driver_ok(struct virtio_dev *vd)
{
	set_status(vd, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return virtio_status(vd) & (S_NEEDS_RESET | S_FAILED) ? -EIO : 0;
}

int virtio_msix_setup(struct virtio_dev *vd, uint16_t entry, uint8_t vector, uint8_t apic_id)
{
	const struct pci_dev *p = vd->pci;
	uint32_t tbl;
	struct pci_bar bar;
	uint64_t e;
	uint16_t ctl;

	if (!vd->msix_cap) {
		vd->msix_cap = pci_find_cap(p, PCI_CAP_MSIX, 0);
		if (!vd->msix_cap)
			return -ENODEV;
		ctl = pci_read16(p, vd->msix_cap + 2);
		vd->msix_entries = (uint16_t)((ctl & 0x7ff) + 1);
		tbl = pci_read32(p, vd->msix_cap + 4);
		if (pci_bar_get(p, tbl & 7, &bar) || bar.io ||
		    (uint64_t)(tbl & ~7u) + 16ull * vd->msix_entries > bar.size)
			return -ENODEV;
		vd->msix_table = bar.addr + (tbl & ~7u);
		/* enable with the function masked while entries are written */
		pci_write16(p, vd->msix_cap + 2, (uint16_t)(ctl | 0xc000));
	}
	if (entry >= vd->msix_entries)
		return -EINVAL;
	e = vd->msix_table + 16ull * entry;
	mmio_write32(e + 0, 0xfee00000u | (uint32_t)apic_id << 12);
	mmio_write32(e + 4, 0);
	mmio_write32(e + 8, vector);
	mmio_write32(e + 12, 0); /* unmasked */
	ctl = pci_read16(p, vd->msix_cap + 2);
	pci_write16(p, vd->msix_cap + 2, (uint16_t)((ctl | 0x8000) & ~0x4000));
	return 0;
}

int virtio_config_vector(struct virtio_dev *vd, uint16_t entry)
{
	c_wr16(vd, C_MSIX, entry);
	return c_rd16(vd, C_MSIX) == entry ? 0 : -EIO;
}

uint8_t virtio_cfg_read8(struct virtio_dev *vd, uint32_t off)
{
	if (!vd->device_cfg || off >= vd->device_cfg_len)
		return 0;
	return mmio_read8(vd->device_cfg + off);
}

uint16_t virtio_cfg_read16(struct virtio_dev *vd, uint32_t off)
{
	if (!vd->device_cfg || off + 2 > vd->device_cfg_len)
		return 0;
	return mmio_read16(vd->device_cfg + off);
}
