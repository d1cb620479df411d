// SPDX-License-Identifier: MIT
/* Modern virtio-pci transport: capabilities, common config, queue setup,
 * feature negotiation, reset, ioeventfd kicks and MSI-X call interrupts. */
#define LOG_PREFIX "virtio-pci"
#include "vmm/virtio_pci.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "common/log.h"

#define COMMON_LEN	0x40u
#define PCI_CFG_CAP_LEN 20u /* struct virtio_pci_cfg_cap */

struct vq {
	bool enabled;
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t vector;
	int kick_fd, call_fd;
	bool call_bound; /* call_fd bound to `vector` in the MSI-X emulation */
};

struct virtio_pci {
	struct virtio_pci_host host;
	struct virtio_pci_desc desc;
	char name[32];
	const struct virtio_dev_ops *ops;
	void *opaque;
	struct pci_dev *dev;
	struct msix *msix;
	uint8_t pci_cfg_cap; /* offset of the VIRTIO_PCI_CAP_PCI_CFG capability */
	uint64_t notify_gpa; /* where the ioeventfds are bound, 0 = not bound */

	/* Guest-visible state (under the PCI bus lock, atomics where other
	 * threads touch it). */
	uint32_t dfselect, gfselect;
	uint64_t guest_features;
	_Atomic uint16_t msix_config;
	_Atomic uint8_t status;
	_Atomic uint8_t config_generation;
	_Atomic uint8_t isr;
	uint16_t queue_select;
	struct vq q[VIRTIO_QUEUES_MAX];

	_Atomic uint64_t errors;
	_Atomic bool warned;
};

/* A guest mistake: count it, log the first one per device. */
__attribute__((format(printf, 2, 3))) static void guest_error(struct virtio_pci *vp,
							      const char *fmt, ...);

static void guest_error(struct virtio_pci *vp, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	atomic_fetch_add(&vp->errors, 1);
	if (atomic_exchange(&vp->warned, true))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("%s: guest error: %s (logged once per device)", vp->name, msg);
}

int virtio_queue_check(const struct guest_mem *mem, uint16_t size, uint64_t desc, uint64_t avail,
		       uint64_t used)
{
	if (size == 0 || (size & (size - 1)))
		return -EINVAL;
	if ((desc & 15) || (avail & 1) || (used & 3))
		return -EINVAL;
	if (!guest_mem_ptr(mem, desc, 16ull * size) ||
	    !guest_mem_ptr(mem, avail, 6 + 2ull * size) ||
	    !guest_mem_ptr(mem, used, 6 + 8ull * size))
		return -EFAULT;
	return 0;
}

/* ---- interrupts ---- */

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	uint16_t vec = atomic_load(&vp->msix_config);

	atomic_fetch_add(&vp->config_generation, 1);
	atomic_fetch_or(&vp->isr, VIRTIO_PCI_ISR_CONFIG);
	if (vec != MSIX_NO_VECTOR)
		msix_notify(vp->msix, vec);
}

void virtio_pci_needs_reset(struct virtio_pci *vp)
{
	uint8_t old = atomic_fetch_or(&vp->status, VIRTIO_CONFIG_S_NEEDS_RESET);

	if (!(old & VIRTIO_CONFIG_S_NEEDS_RESET))
		virtio_pci_config_changed(vp);
}

static void queue_set_vector(struct virtio_pci *vp, struct vq *q, uint16_t vec)
{
	if (q->call_bound) {
		msix_unbind_fd(vp->msix, q->vector, q->call_fd);
		q->call_bound = false;
	}
	q->vector = vec < msix_vectors(vp->msix) ? vec : MSIX_NO_VECTOR;
	if (q->vector != MSIX_NO_VECTOR && msix_bind_fd(vp->msix, q->vector, q->call_fd) == 0)
		q->call_bound = true;
}

/* ---- reset / activation ---- */

static void device_reset(struct virtio_pci *vp)
{
	if (vp->ops->reset)
		vp->ops->reset(vp->opaque);
	vp->dfselect = vp->gfselect = 0;
	vp->guest_features = 0;
	vp->queue_select = 0;
	for (unsigned i = 0; i < vp->desc.num_queues; i++) {
		struct vq *q = &vp->q[i];

		queue_set_vector(vp, q, MSIX_NO_VECTOR);
		q->enabled = false;
		q->size = vp->desc.queue_size_max;
		q->desc = q->avail = q->used = 0;
	}
	atomic_store(&vp->msix_config, MSIX_NO_VECTOR);
	atomic_store(&vp->isr, 0);
	atomic_store(&vp->status, 0);
}

static int queue_validate(struct virtio_pci *vp, unsigned idx)
{
	struct vq *q = &vp->q[idx];
	int ret;

	if (q->size > vp->desc.queue_size_max || !q->size || (q->size & (q->size - 1))) {
		guest_error(vp, "queue %u size %u is not a power of two <= %u", idx, q->size,
			    vp->desc.queue_size_max);
		return -EINVAL;
	}
	ret = virtio_queue_check(vp->host.mem, q->size, q->desc, q->avail, q->used);
	if (ret)
		guest_error(vp,
			    "queue %u rings desc %#llx avail %#llx used %#llx are misaligned "
			    "or outside guest RAM",
			    idx, (unsigned long long)q->desc, (unsigned long long)q->avail,
			    (unsigned long long)q->used);
	return ret;
}

static void driver_ok(struct virtio_pci *vp)
{
	struct virtio_queue_info info[VIRTIO_QUEUES_MAX];
	unsigned n = vp->desc.num_queues;

	for (unsigned i = 0; i < n; i++) {
		struct vq *q = &vp->q[i];

		if (q->enabled && queue_validate(vp, i)) {
			virtio_pci_needs_reset(vp);
			return;
		}
		info[i] = (struct virtio_queue_info){
		    .enabled = q->enabled,
		    .size = q->size,
		    .desc = q->desc,
		    .avail = q->avail,
		    .used = q->used,
		    .vector = q->vector,
		    .kick_fd = q->kick_fd,
		    .call_fd = q->call_fd,
		};
	}
	if (vp->ops->activate && vp->ops->activate(vp->opaque, vp->guest_features, info, n))
		virtio_pci_needs_reset(vp);
}

static void status_write(struct virtio_pci *vp, uint8_t val)
{
	uint8_t old = atomic_load(&vp->status);
	uint8_t set = (uint8_t)(val & ~old);

	if (val == 0) {
		device_reset(vp);
		return;
	}
	if ((val & old) != old) {
		guest_error(vp, "device_status %#x clears bits of %#x without a reset", val, old);
		return;
	}
	if (set & VIRTIO_CONFIG_S_FEATURES_OK) {
		uint64_t offered = vp->ops->features ? vp->ops->features(vp->opaque) : 0;

		if ((vp->guest_features & ~offered) ||
		    !(vp->guest_features & (1ull << VIRTIO_F_VERSION_1))) {
			/* Not an error: the driver reads FEATURES_OK back and gives up. */
			pr_warn("%s: driver features %#llx are not a subset of %#llx with "
				"VERSION_1; FEATURES_OK refused",
				vp->name, (unsigned long long)vp->guest_features,
				(unsigned long long)offered);
			val &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
			set &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
		}
	}
	atomic_fetch_or(&vp->status, val);
	if (set & VIRTIO_CONFIG_S_DRIVER_OK) {
		if (!(val & VIRTIO_CONFIG_S_FEATURES_OK)) {
			guest_error(vp, "DRIVER_OK without FEATURES_OK");
			virtio_pci_needs_reset(vp);
			return;
		}
		driver_ok(vp);
	}
}

/* ---- common config ---- */

static void common_image(struct virtio_pci *vp, uint8_t img[COMMON_LEN])
{
	struct virtio_pci_common_cfg c;
	const struct vq *q =
	    vp->queue_select < vp->desc.num_queues ? &vp->q[vp->queue_select] : NULL;
	uint64_t f = 0;

	if (vp->dfselect < 2 && vp->ops->features)
		f = vp->ops->features(vp->opaque) >> (32 * vp->dfselect);
	memset(&c, 0, sizeof(c));
	c.device_feature_select = vp->dfselect;
	c.device_feature = (uint32_t)f;
	c.guest_feature_select = vp->gfselect;
	c.guest_feature =
	    vp->gfselect < 2 ? (uint32_t)(vp->guest_features >> (32 * vp->gfselect)) : 0;
	c.msix_config = atomic_load(&vp->msix_config);
	c.num_queues = (uint16_t)vp->desc.num_queues;
	c.device_status = atomic_load(&vp->status);
	c.config_generation = atomic_load(&vp->config_generation);
	c.queue_select = vp->queue_select;
	if (q) {
		c.queue_size = q->size;
		c.queue_msix_vector = q->vector;
		c.queue_enable = q->enabled;
		c.queue_notify_off = vp->queue_select;
		c.queue_desc_lo = (uint32_t)q->desc;
		c.queue_desc_hi = (uint32_t)(q->desc >> 32);
		c.queue_avail_lo = (uint32_t)q->avail;
		c.queue_avail_hi = (uint32_t)(q->avail >> 32);
		c.queue_used_lo = (uint32_t)q->used;
		c.queue_used_hi = (uint32_t)(q->used >> 32);
	} else {
		c.queue_msix_vector = MSIX_NO_VECTOR;
	}
	memset(img, 0, COMMON_LEN);
	memcpy(img, &c, sizeof(c));
}

/* Set the low or high half (or all) of a 64-bit ring address. */
static void addr_write(uint64_t *a, uint32_t off_in_field, uint64_t v, unsigned len)
{
	if (len == 8)
		*a = v;
	else if (off_in_field == 0)
		*a = (*a & ~0xffffffffull) | (uint32_t)v;
	else
		*a = (*a & 0xffffffffull) | (v << 32);
}

static void common_write(struct virtio_pci *vp, uint32_t off, uint64_t v, unsigned len)
{
	struct vq *q = vp->queue_select < vp->desc.num_queues ? &vp->q[vp->queue_select] : NULL;
	bool live = atomic_load(&vp->status) & VIRTIO_CONFIG_S_DRIVER_OK;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		if (len == 4)
			vp->dfselect = (uint32_t)v;
		return;
	case VIRTIO_PCI_COMMON_GFSELECT:
		if (len == 4)
			vp->gfselect = (uint32_t)v;
		return;
	case VIRTIO_PCI_COMMON_GF:
		if (len != 4 || vp->gfselect > 1 ||
		    (atomic_load(&vp->status) & VIRTIO_CONFIG_S_FEATURES_OK))
			break;
		if (vp->gfselect == 0)
			vp->guest_features = (vp->guest_features & ~0xffffffffull) | (uint32_t)v;
		else
			vp->guest_features = (vp->guest_features & 0xffffffffull) | (v << 32);
		return;
	case VIRTIO_PCI_COMMON_MSIX:
		if (len != 2)
			break;
		atomic_store(&vp->msix_config,
			     v < msix_vectors(vp->msix) ? (uint16_t)v : MSIX_NO_VECTOR);
		return;
	case VIRTIO_PCI_COMMON_STATUS:
		if (len != 1)
			break;
		status_write(vp, (uint8_t)v);
		return;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		if (len == 2)
			vp->queue_select = (uint16_t)v;
		return;
	default:
		break;
	}
	if (off >= VIRTIO_PCI_COMMON_Q_SIZE && off < COMMON_LEN && !q)
		return; /* selected queue does not exist: writes are ignored */
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (len != 2 || q->enabled || live)
			break;
		q->size = (uint16_t)v; /* checked when the queue is enabled */
		return;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (len != 2)
			break;
		queue_set_vector(vp, q, (uint16_t)v);
		return;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (len != 2 || v != 1 || q->enabled)
			break;
		if (queue_validate(vp, vp->queue_select)) {
			virtio_pci_needs_reset(vp);
			return;
		}
		q->enabled = true;
		return;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		if (q->enabled || live ||
		    (len != 4 && !(len == 8 && off == VIRTIO_PCI_COMMON_Q_DESCLO)))
			break;
		addr_write(&q->desc, off - VIRTIO_PCI_COMMON_Q_DESCLO, v, len);
		return;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		if (q->enabled || live ||
		    (len != 4 && !(len == 8 && off == VIRTIO_PCI_COMMON_Q_AVAILLO)))
			break;
		addr_write(&q->avail, off - VIRTIO_PCI_COMMON_Q_AVAILLO, v, len);
		return;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		if (q->enabled || live ||
		    (len != 4 && !(len == 8 && off == VIRTIO_PCI_COMMON_Q_USEDLO)))
			break;
		addr_write(&q->used, off - VIRTIO_PCI_COMMON_Q_USEDLO, v, len);
		return;
	default:
		break;
	}
	guest_error(vp, "ignored %u-byte write of %#llx at common config offset %#x", len,
		    (unsigned long long)v, off);
}

/* ---- BAR and config-space handlers ---- */

static void vp_bar_read(void *opaque, int bar, uint64_t off, void *data, unsigned len)
{
	struct virtio_pci *vp = opaque;
	uint8_t img[COMMON_LEN];

	memset(data, 0, len);
	if (msix_bar_access(vp->msix, bar, off, data, len, false) || bar != 0)
		return;
	if (off < COMMON_LEN && len <= COMMON_LEN - off) {
		common_image(vp, img);
		memcpy(data, img + off, len);
	} else if (off == VIRTIO_BAR_ISR && len == 1) {
		*(uint8_t *)data = atomic_exchange(&vp->isr, 0); /* read clears */
	} else if (off >= VIRTIO_BAR_DEVICE && off - VIRTIO_BAR_DEVICE < vp->desc.device_cfg_len &&
		   len <= vp->desc.device_cfg_len - (off - VIRTIO_BAR_DEVICE)) {
		if (vp->ops->cfg_read)
			vp->ops->cfg_read(vp->opaque, (uint32_t)(off - VIRTIO_BAR_DEVICE), data,
					  len);
	}
}

static void vp_bar_write(void *opaque, int bar, uint64_t off, const void *data, unsigned len)
{
	struct virtio_pci *vp = opaque;
	uint64_t v = 0;

	if (msix_bar_access(vp->msix, bar, off, (void *)data, len, true) || bar != 0)
		return;
	memcpy(&v, data, len);
	if (off < COMMON_LEN && len <= COMMON_LEN - off) {
		common_write(vp, (uint32_t)off, v, len);
	} else if (off >= VIRTIO_BAR_NOTIFY &&
		   off < VIRTIO_BAR_NOTIFY + VIRTIO_NOTIFY_MULT * vp->desc.num_queues) {
		/* A kick the ioeventfd did not catch (the BAR is not bound, e.g.
		 * it moved outside KVM's view): forward it by hand. */
		unsigned qi = (unsigned)((off - VIRTIO_BAR_NOTIFY) / VIRTIO_NOTIFY_MULT);

		(void)!eventfd_write(vp->q[qi].kick_fd, 1);
	} else if (off >= VIRTIO_BAR_DEVICE && off - VIRTIO_BAR_DEVICE < vp->desc.device_cfg_len &&
		   len <= vp->desc.device_cfg_len - (off - VIRTIO_BAR_DEVICE)) {
		if (vp->ops->cfg_write)
			vp->ops->cfg_write(vp->opaque, (uint32_t)(off - VIRTIO_BAR_DEVICE), data,
					   len);
	}
}

static void vp_bar_map(void *opaque, int bar, uint64_t gpa, bool active)
{
	struct virtio_pci *vp = opaque;

	if (bar != 0 || !vp->host.ioeventfd)
		return;
	if (!active && vp->notify_gpa == 0)
		return;
	/* len 0: any width (see struct virtio_pci_host) */
	for (unsigned i = 0; i < vp->desc.num_queues; i++)
		vp->host.ioeventfd(vp->host.opaque,
				   gpa + VIRTIO_BAR_NOTIFY + VIRTIO_NOTIFY_MULT * (uint64_t)i, 0,
				   vp->q[i].kick_fd, active);
	vp->notify_gpa = active ? gpa : 0;
}

/* VIRTIO_PCI_CAP_PCI_CFG: a window into BAR 0 through config space. */
static bool pci_cfg_window(struct virtio_pci *vp, uint32_t off, unsigned len, uint64_t *bar_off,
			   unsigned *wlen)
{
	uint32_t data = vp->pci_cfg_cap + 16u;
	uint32_t o, l;
	uint8_t b;

	if (off != data || len != 4)
		return false;
	b = (uint8_t)pci_cfg_get(vp->dev, vp->pci_cfg_cap + VIRTIO_PCI_CAP_BAR, 1);
	o = pci_cfg_get(vp->dev, vp->pci_cfg_cap + VIRTIO_PCI_CAP_OFFSET, 4);
	l = pci_cfg_get(vp->dev, vp->pci_cfg_cap + VIRTIO_PCI_CAP_LENGTH, 4);
	if (b != 0 || !(l == 1 || l == 2 || l == 4) || (o & (l - 1)) || o >= VIRTIO_BAR_SIZE)
		return false;
	*bar_off = o;
	*wlen = l;
	return true;
}

static void vp_cfg_read(void *opaque, uint32_t off, unsigned len, uint32_t *val)
{
	struct virtio_pci *vp = opaque;
	uint64_t o;
	unsigned l;

	if (pci_cfg_window(vp, off, len, &o, &l)) {
		*val = 0;
		vp_bar_read(vp, 0, o, val, l);
	}
}

static void vp_cfg_write(void *opaque, uint32_t off, uint32_t val, unsigned len)
{
	struct virtio_pci *vp = opaque;
	uint64_t o;
	unsigned l;

	msix_cfg_write(vp->msix, off, val, len);
	if (pci_cfg_window(vp, off, len, &o, &l))
		vp_bar_write(vp, 0, o, &val, l);
}

static const struct pci_dev_ops vp_pci_ops = {
    .bar_read = vp_bar_read,
    .bar_write = vp_bar_write,
    .bar_map = vp_bar_map,
    .cfg_read = vp_cfg_read,
    .cfg_write = vp_cfg_write,
};

/* ---- construction ---- */

static int add_cap(struct virtio_pci *vp, uint8_t type, uint32_t off, uint32_t len, size_t cap_len,
		   uint8_t *at)
{
	uint8_t o;
	int ret = pci_cap_add(vp->dev, PCI_CAP_ID_VNDR, cap_len, &o);

	if (ret)
		return ret;
	pci_cfg_set(vp->dev, o + VIRTIO_PCI_CAP_LEN, (uint32_t)cap_len, 1);
	pci_cfg_set(vp->dev, o + VIRTIO_PCI_CAP_CFG_TYPE, type, 1);
	pci_cfg_set(vp->dev, o + VIRTIO_PCI_CAP_BAR, 0, 1);
	pci_cfg_set(vp->dev, o + VIRTIO_PCI_CAP_OFFSET, off, 4);
	pci_cfg_set(vp->dev, o + VIRTIO_PCI_CAP_LENGTH, len, 4);
	if (at)
		*at = o;
	return 0;
}

static int add_caps(struct virtio_pci *vp)
{
	uint8_t notify;
	int ret;

	ret = add_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_BAR_COMMON, COMMON_LEN, 16, NULL);
	if (!ret)
		ret = add_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_BAR_ISR, 1, 16, NULL);
	if (!ret && vp->desc.device_cfg_len)
		ret = add_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_BAR_DEVICE,
			      vp->desc.device_cfg_len, 16, NULL);
	if (!ret)
		ret = add_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_BAR_NOTIFY,
			      VIRTIO_NOTIFY_MULT * vp->desc.num_queues, 20, &notify);
	if (ret)
		return ret;
	pci_cfg_set(vp->dev, notify + 16u, VIRTIO_NOTIFY_MULT, 4);
	ret = add_cap(vp, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, PCI_CFG_CAP_LEN, &vp->pci_cfg_cap);
	if (ret)
		return ret;
	/* bar, offset, length and the data window are the driver's to write. */
	pci_cfg_set_wmask(vp->dev, vp->pci_cfg_cap + VIRTIO_PCI_CAP_BAR, 0xff, 1);
	pci_cfg_set_wmask(vp->dev, vp->pci_cfg_cap + VIRTIO_PCI_CAP_OFFSET, 0xffffffff, 4);
	pci_cfg_set_wmask(vp->dev, vp->pci_cfg_cap + VIRTIO_PCI_CAP_LENGTH, 0xffffffff, 4);
	pci_cfg_set_wmask(vp->dev, vp->pci_cfg_cap + 16u, 0xffffffff, 4);
	return 0;
}

int virtio_pci_create(const struct virtio_pci_host *host, const struct virtio_pci_desc *desc,
		      const struct virtio_dev_ops *ops, void *opaque, struct virtio_pci **out)
{
	struct pci_dev_desc pd = {
	    .name = desc->name,
	    .vendor_id = VIRTIO_PCI_VENDOR,
	    .device_id = (uint16_t)(VIRTIO_PCI_DEVICE_ID0 + desc->device_type),
	    .subsys_vendor_id = VIRTIO_PCI_VENDOR,
	    .subsys_id = 0x1100,
	    .revision = 1, /* modern only */
	    .class_code = desc->class_code,
	    .bars = {[0] = {PCI_BAR_MEM64, VIRTIO_BAR_SIZE, true}},
	};
	struct virtio_pci *vp;
	unsigned i;
	int ret;

	if (desc->num_queues == 0 || desc->num_queues > VIRTIO_QUEUES_MAX ||
	    !desc->queue_size_max || (desc->queue_size_max & (desc->queue_size_max - 1)) ||
	    desc->queue_size_max > VIRTIO_QUEUE_SIZE_MAX || desc->device_cfg_len > 0x1000) {
		pr_err("%s: %u queues of up to %u entries with %u bytes of config: queues must be "
		       "1..%d, sizes powers of two <= %d, config <= 4096 bytes",
		       desc->name, desc->num_queues, desc->queue_size_max, desc->device_cfg_len,
		       VIRTIO_QUEUES_MAX, VIRTIO_QUEUE_SIZE_MAX);
		return -EINVAL;
	}
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	vp->host = *host;
	vp->desc = *desc;
	snprintf(vp->name, sizeof(vp->name), "%s", desc->name);
	vp->desc.name = vp->name;
	vp->ops = ops;
	vp->opaque = opaque;
	for (i = 0; i < VIRTIO_QUEUES_MAX; i++)
		vp->q[i].kick_fd = vp->q[i].call_fd = -1;
	for (i = 0; i < desc->num_queues; i++) {
		vp->q[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		vp->q[i].call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vp->q[i].kick_fd < 0 || vp->q[i].call_fd < 0) {
			ret = -errno;
			pr_err("%s: eventfd: %s", vp->name, strerror(-ret));
			goto err_fds;
		}
		vp->q[i].size = desc->queue_size_max;
		vp->q[i].vector = MSIX_NO_VECTOR;
	}
	atomic_store(&vp->msix_config, MSIX_NO_VECTOR);
	ret = pci_dev_register(host->bus, &pd, &vp_pci_ops, vp, &vp->dev);
	if (ret)
		goto err_fds;
	ret = msix_create(vp->dev, desc->num_queues + 1, 0, VIRTIO_BAR_MSIX_TABLE,
			  VIRTIO_BAR_MSIX_PBA, host->msi, host->opaque, &vp->msix);
	if (ret)
		goto err_unregister;
	ret = add_caps(vp);
	if (ret)
		goto err_msix;
	*out = vp;
	return 0;

err_msix:
	msix_destroy(vp->msix);
err_unregister:
	pci_dev_unregister(vp->dev);
err_fds:
	for (i = 0; i < desc->num_queues; i++) {
		if (vp->q[i].kick_fd >= 0)
			close(vp->q[i].kick_fd);
		if (vp->q[i].call_fd >= 0)
			close(vp->q[i].call_fd);
	}
	free(vp);
	return ret;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (!vp)
		return;
	/* Unregistering stops BAR decode: bar_map(false) unbinds ioeventfds. */
	pci_dev_unregister(vp->dev);
	for (unsigned i = 0; i < vp->desc.num_queues; i++)
		if (vp->q[i].call_bound)
			msix_unbind_fd(vp->msix, vp->q[i].vector, vp->q[i].call_fd);
	msix_destroy(vp->msix);
	for (unsigned i = 0; i < vp->desc.num_queues; i++) {
		close(vp->q[i].kick_fd);
		close(vp->q[i].call_fd);
	}
	free(vp);
}

uint8_t virtio_pci_status(const struct virtio_pci *vp)
{
	return atomic_load(&vp->status);
}

struct pci_dev *virtio_pci_dev(const struct virtio_pci *vp)
{
	return vp->dev;
}

struct msix *virtio_pci_msix(const struct virtio_pci *vp)
{
	return vp->msix;
}

int virtio_pci_kick_fd(const struct virtio_pci *vp, unsigned q)
{
	return q < vp->desc.num_queues ? vp->q[q].kick_fd : -1;
}

int virtio_pci_call_fd(const struct virtio_pci *vp, unsigned q)
{
	return q < vp->desc.num_queues ? vp->q[q].call_fd : -1;
}

uint64_t virtio_pci_error_count(const struct virtio_pci *vp)
{
	return atomic_load(&vp->errors);
}
