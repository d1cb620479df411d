// SPDX-License-Identifier: MIT
/* MSI-X capability, table and PBA emulation on top of a router (KVM). */
#define LOG_PREFIX "msix"
#include "vmm/msix.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "common/log.h"

#define MSI_ADDR_MASK 0xfff00000u
#define MSI_ADDR_BASE 0xfee00000u
#define FDS_MAX	      16 /* sources sharing one vector */

struct msix_fd {
	int fd;
	bool bound; /* currently an irqfd on the vector's GSI */
};

struct msix_vector {
	uint32_t addr_lo, addr_hi, data, ctrl;
	bool routed;
	uint32_t gsi;
	uint64_t r_addr; /* what the route currently says */
	uint32_t r_data;
	bool bad;      /* current address is not an MSI address (counted once) */
	bool no_route; /* router refused the current message (counted once) */
	bool pending;  /* VMM-raised interrupt waiting for unmask */
	unsigned nfds;
	struct msix_fd fds[FDS_MAX];
};

struct msix {
	pthread_mutex_t lock;
	struct pci_dev *dev;
	const struct msi_router_ops *ops;
	void *opaque;
	unsigned nvec;
	int bar;
	uint32_t table_off, pba_off;
	uint8_t cap;   /* capability offset in config space */
	uint16_t ctrl; /* last seen message control word */
	uint64_t bad_routes;
	bool warned, warned_route;
	struct msix_vector *vec;
};

static uint64_t vec_addr(const struct msix_vector *v)
{
	return ((uint64_t)v->addr_hi << 32) | v->addr_lo;
}

static bool addr_valid(uint64_t addr)
{
	return (addr >> 32) == 0 && ((uint32_t)addr & MSI_ADDR_MASK) == MSI_ADDR_BASE;
}

static bool func_enabled(const struct msix *m)
{
	return (m->ctrl & PCI_MSIX_FLAGS_ENABLE) != 0;
}

static bool vec_unmasked(const struct msix *m, const struct msix_vector *v)
{
	return func_enabled(m) && !(m->ctrl & PCI_MSIX_FLAGS_MASKALL) &&
	       !(v->ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void fd_set_bound(struct msix *m, struct msix_vector *v, struct msix_fd *f, bool bind)
{
	if (f->bound == bind)
		return;
	if (m->ops->irqfd(m->opaque, f->fd, v->gsi, bind) == 0 || !bind)
		f->bound = bind;
}

/* Bring vector `idx`'s route and irqfds in line with its table entry and
 * the function's control word. Called with the lock held after any change. */
static void vec_sync(struct msix *m, unsigned idx)
{
	struct msix_vector *v = &m->vec[idx];
	uint64_t addr = vec_addr(v);
	bool want_route = func_enabled(m) && addr_valid(addr);
	bool deliver;

	if (func_enabled(m) && !addr_valid(addr) && !v->bad &&
	    (addr != 0 || !(v->ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT))) {
		/* An unprogrammed, masked vector (address 0) is normal; anything
		 * else that is not an MSI address is a guest bug. */
		v->bad = true;
		m->bad_routes++;
		if (!m->warned) {
			m->warned = true;
			pr_warn("%s: vector %u address %#llx is not an x86 MSI address "
				"(0xfeeXXXXX); the vector stays unrouted (logged once per device)",
				pci_dev_name(m->dev), idx, (unsigned long long)addr);
		}
	}
	if (!want_route) {
		for (unsigned i = 0; i < v->nfds; i++)
			if (v->routed)
				fd_set_bound(m, v, &v->fds[i], false);
		if (v->routed) {
			m->ops->route_del(m->opaque, v->gsi);
			v->routed = false;
		}
		return;
	}
	if (!v->routed) {
		if (v->no_route)
			return; /* refused before; retried when the entry changes */
		if (m->ops->route_add(m->opaque, addr, v->data, &v->gsi)) {
			v->no_route = true;
			m->bad_routes++;
			if (!m->warned_route) {
				m->warned_route = true;
				pr_warn("%s: no GSI route for vector %u (addr %#llx data %#x); it "
					"stays unrouted (logged once per device)",
					pci_dev_name(m->dev), idx, (unsigned long long)addr,
					v->data);
			}
			return;
		}
		v->routed = true;
		v->r_addr = addr;
		v->r_data = v->data;
	} else if (v->r_addr != addr || v->r_data != v->data) {
		if (m->ops->route_update(m->opaque, v->gsi, addr, v->data) == 0) {
			v->r_addr = addr;
			v->r_data = v->data;
		}
	}
	deliver = vec_unmasked(m, v);
	/* Binding an irqfd whose eventfd was signalled while masked makes KVM
	 * inject at once: that is the pending bit being delivered. */
	for (unsigned i = 0; i < v->nfds; i++)
		fd_set_bound(m, v, &v->fds[i], deliver);
	if (deliver && v->pending) {
		v->pending = false;
		m->ops->signal(m->opaque, addr, v->data);
	}
}

static void sync_all(struct msix *m)
{
	for (unsigned i = 0; i < m->nvec; i++)
		vec_sync(m, i);
}

int msix_create(struct pci_dev *dev, unsigned nvec, int bar, uint32_t table_off, uint32_t pba_off,
		const struct msi_router_ops *ops, void *opaque, struct msix **out)
{
	uint64_t bar_size = pci_dev_bar_size(dev, bar);
	uint64_t tlen = (uint64_t)nvec * PCI_MSIX_ENTRY_SIZE, plen = ((nvec + 63) / 64) * 8ull;
	struct msix *m;
	int ret;

	if (nvec == 0 || nvec > MSIX_VECTORS_MAX || bar < 0 || bar >= PCI_BARS_MAX ||
	    (table_off & 7) || (pba_off & 7) || bar_size == 0 || table_off + tlen > bar_size ||
	    pba_off + plen > bar_size ||
	    (table_off < pba_off + plen && pba_off < table_off + tlen)) {
		pr_err("%s: bad MSI-X layout: %u vectors, BAR%d (%#llx bytes), table at %#x, "
		       "PBA at %#x; both must be 8-byte aligned, inside the BAR, disjoint",
		       pci_dev_name(dev), nvec, bar, (unsigned long long)bar_size, table_off,
		       pba_off);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->vec = calloc(nvec, sizeof(*m->vec));
	if (!m->vec) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = pci_cap_add(dev, PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF, &m->cap);
	if (ret)
		goto err_free_vec;
	pthread_mutex_init(&m->lock, NULL);
	m->dev = dev;
	m->ops = ops;
	m->opaque = opaque;
	m->nvec = nvec;
	m->bar = bar;
	m->table_off = table_off;
	m->pba_off = pba_off;
	pci_cfg_set(dev, m->cap + PCI_MSIX_FLAGS, nvec - 1, 2);
	pci_cfg_set(dev, m->cap + PCI_MSIX_TABLE, table_off | (uint32_t)bar, 4);
	pci_cfg_set(dev, m->cap + PCI_MSIX_PBA, pba_off | (uint32_t)bar, 4);
	pci_cfg_set_wmask(dev, m->cap + PCI_MSIX_FLAGS,
			  PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
	for (unsigned i = 0; i < nvec; i++)
		m->vec[i].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	*out = m;
	return 0;

err_free_vec:
	free(m->vec);
err_free:
	free(m);
	return ret;
}

void msix_destroy(struct msix *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->ctrl = 0; /* disabled: vec_sync unbinds and unroutes everything */
	sync_all(m);
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_destroy(&m->lock);
	free(m->vec);
	free(m);
}

void msix_cfg_write(struct msix *m, uint32_t off, uint32_t val, unsigned len)
{
	uint32_t ctl = m->cap + PCI_MSIX_FLAGS;

	if (off > ctl + 1 || off + len <= ctl)
		return;
	pthread_mutex_lock(&m->lock);
	m->ctrl = (uint16_t)pci_cfg_get(m->dev, ctl, 2);
	sync_all(m);
	pthread_mutex_unlock(&m->lock);
}

void msix_reset(struct msix *m)
{
	pthread_mutex_lock(&m->lock);
	m->ctrl = 0;
	pci_cfg_set(m->dev, m->cap + PCI_MSIX_FLAGS, m->nvec - 1, 2);
	for (unsigned i = 0; i < m->nvec; i++) {
		struct msix_vector *v = &m->vec[i];

		v->addr_lo = v->addr_hi = v->data = 0;
		v->ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		v->pending = false;
		v->bad = false;
		v->no_route = false;
	}
	sync_all(m);
	pthread_mutex_unlock(&m->lock);
}

/* Pending = raised by the VMM while masked, or a bound source signalled
 * while its irqfd was unbound (the eventfd is readable). */
static bool vec_pending(struct msix *m, struct msix_vector *v)
{
	if (v->pending)
		return true;
	for (unsigned i = 0; i < v->nfds; i++) {
		struct pollfd p = {.fd = v->fds[i].fd, .events = POLLIN};

		if (!v->fds[i].bound && poll(&p, 1, 0) == 1 && (p.revents & POLLIN))
			return true;
	}
	return false;
}

static void table_read(struct msix *m, uint64_t off, void *data, unsigned len)
{
	uint32_t w[2];

	for (unsigned i = 0; i < len / 4; i++) {
		uint64_t o = off + 4 * i;
		struct msix_vector *v = &m->vec[o / PCI_MSIX_ENTRY_SIZE];
		uint32_t f = (uint32_t)(o % PCI_MSIX_ENTRY_SIZE);

		w[i] = f == PCI_MSIX_ENTRY_LOWER_ADDR	? v->addr_lo
		       : f == PCI_MSIX_ENTRY_UPPER_ADDR ? v->addr_hi
		       : f == PCI_MSIX_ENTRY_DATA	? v->data
							: v->ctrl;
	}
	memcpy(data, w, len);
}

static void table_write(struct msix *m, uint64_t off, const void *data, unsigned len)
{
	uint32_t w[2];
	unsigned idx = (unsigned)(off / PCI_MSIX_ENTRY_SIZE);
	struct msix_vector *v = &m->vec[idx];
	uint64_t old_addr = vec_addr(v);
	uint32_t old_data = v->data;

	memcpy(w, data, len);
	for (unsigned i = 0; i < len / 4; i++) {
		uint32_t f = (uint32_t)((off + 4 * i) % PCI_MSIX_ENTRY_SIZE);

		if (f == PCI_MSIX_ENTRY_LOWER_ADDR)
			v->addr_lo = w[i] & ~3u; /* bits 1:0 are reserved zero */
		else if (f == PCI_MSIX_ENTRY_UPPER_ADDR)
			v->addr_hi = w[i];
		else if (f == PCI_MSIX_ENTRY_DATA)
			v->data = w[i];
		else
			v->ctrl = w[i] & PCI_MSIX_ENTRY_CTRL_MASKBIT;
	}
	/* A new message gets judged (and counted) anew. */
	if (vec_addr(v) != old_addr)
		v->bad = false;
	if (vec_addr(v) != old_addr || v->data != old_data)
		v->no_route = false;
	vec_sync(m, idx);
}

bool msix_bar_access(struct msix *m, int bar, uint64_t off, void *data, unsigned len, bool write)
{
	uint64_t tlen = (uint64_t)m->nvec * PCI_MSIX_ENTRY_SIZE,
		 plen = ((m->nvec + 63) / 64) * 8ull;
	bool ok = (len == 4 || len == 8) && !(off & (len - 1));

	if (bar != m->bar)
		return false;
	if (off >= m->table_off && off - m->table_off < tlen) {
		pthread_mutex_lock(&m->lock);
		if (!ok) {
			if (!write)
				memset(data, 0, len);
		} else if (write) {
			table_write(m, off - m->table_off, data, len);
		} else {
			table_read(m, off - m->table_off, data, len);
		}
		pthread_mutex_unlock(&m->lock);
		return true;
	}
	if (off >= m->pba_off && off - m->pba_off < plen) {
		uint64_t base = (off - m->pba_off) * 8, bits = 0;

		if (write)
			return true; /* read-only */
		if (!ok) {
			memset(data, 0, len);
			return true;
		}
		pthread_mutex_lock(&m->lock);
		for (uint64_t i = 0; i < 8ull * len && base + i < m->nvec; i++)
			if (vec_pending(m, &m->vec[base + i]))
				bits |= 1ull << i;
		pthread_mutex_unlock(&m->lock);
		memcpy(data, &bits, len);
		return true;
	}
	return false;
}

int msix_bind_fd(struct msix *m, unsigned vector, int fd)
{
	struct msix_vector *v;
	int ret = 0;

	if (vector >= m->nvec || fd < 0)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	v = &m->vec[vector];
	for (unsigned i = 0; i < v->nfds; i++)
		if (v->fds[i].fd == fd)
			goto out;
	if (v->nfds == FDS_MAX) {
		pr_err("%s: vector %u already has %d interrupt sources; give queues their own "
		       "vectors",
		       pci_dev_name(m->dev), vector, FDS_MAX);
		ret = -ENOSPC;
		goto out;
	}
	v->fds[v->nfds++] = (struct msix_fd){.fd = fd};
	vec_sync(m, vector);
out:
	pthread_mutex_unlock(&m->lock);
	return ret;
}

void msix_unbind_fd(struct msix *m, unsigned vector, int fd)
{
	struct msix_vector *v;

	if (vector >= m->nvec)
		return;
	pthread_mutex_lock(&m->lock);
	v = &m->vec[vector];
	for (unsigned i = 0; i < v->nfds; i++) {
		if (v->fds[i].fd != fd)
			continue;
		fd_set_bound(m, v, &v->fds[i], false);
		v->fds[i] = v->fds[--v->nfds];
		break;
	}
	pthread_mutex_unlock(&m->lock);
}

int msix_notify(struct msix *m, unsigned vector)
{
	struct msix_vector *v;

	if (vector >= m->nvec)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	v = &m->vec[vector];
	if (v->routed && vec_unmasked(m, v))
		m->ops->signal(m->opaque, vec_addr(v), v->data);
	else
		v->pending = true;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

unsigned msix_vectors(const struct msix *m)
{
	return m->nvec;
}

bool msix_enabled(const struct msix *m)
{
	return func_enabled(m);
}

bool msix_vector_routed(const struct msix *m, unsigned vector)
{
	return vector < m->nvec && m->vec[vector].routed;
}

bool msix_vector_pending(struct msix *m, unsigned vector)
{
	bool p;

	if (vector >= m->nvec)
		return false;
	pthread_mutex_lock(&m->lock);
	p = vec_pending(m, &m->vec[vector]);
	pthread_mutex_unlock(&m->lock);
	return p;
}

uint64_t msix_bad_route_count(const struct msix *m)
{
	return m->bad_routes;
}
