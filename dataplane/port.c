/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "port"
#include "dataplane/port.h"

#include <errno.h>
#include <linux/virtio_net.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_vhost.h>

#include "common/log.h"
#include "common/parse.h"
#include "dataplane/pmd.h"

#define RXD 1024
#define TXD 1024

struct port {
	_Atomic bool used;  /* slot taken (path/name valid) */
	_Atomic bool vhost; /* vhost driver registered: callbacks may come */
	bool ready;	    /* fully added (not half-added or being removed) */
	struct port_spec spec;
	struct port_dp dp;
	_Atomic uint32_t vring_en; /* vhost: bit i = vring i enabled */
	unsigned nb_rxq;	   /* ethdev rx queues; vhost: guest queue pairs (<= 8) */
};

struct port_table {
	pthread_mutex_t lock;
	struct l2 *l2;
	struct pmd *pmd;
	struct rte_mempool *pool;
	unsigned n_pmd;
	_Atomic bool resync; /* a vring changed state: ctl thread resyncs */
	struct port ports[PORT_MAX];
};

/* rte_vhost callbacks carry only a vid: one switch per process. */
static struct port_table *g_pt;

static const char *const drop_names[PD__COUNT] = {
    [PD_VLAN] = "vlan_filter",	   [PD_MAC_LIMIT] = "mac_limit",     [PD_RUNT] = "runt",
    [PD_NO_DEST] = "no_dest",	   [PD_FLOOD_LIMIT] = "flood_limit", [PD_NO_MBUF] = "no_mbuf",
    [PD_TX_FULL] = "tx_ring_full", [PD_TX_DOWN] = "tx_port_down",
};

const char *port_drop_name(enum port_drop d)
{
	return (unsigned)d < PD__COUNT ? drop_names[d] : "unknown";
}

/* ---- table ---- */

void ports_lock(struct port_table *pt)
{
	pthread_mutex_lock(&pt->lock);
}

void ports_unlock(struct port_table *pt)
{
	pthread_mutex_unlock(&pt->lock);
}

int ports_create(struct l2 *l2, struct pmd *pmd, struct rte_mempool *pool, unsigned n_pmd,
		 struct port_table **out)
{
	struct port_table *pt;

	if (g_pt)
		return -EBUSY;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pthread_mutex_init(&pt->lock, NULL);
	pt->l2 = l2;
	pt->pmd = pmd;
	pt->pool = pool;
	pt->n_pmd = n_pmd ? n_pmd : 1;
	for (unsigned i = 0; i < PORT_MAX; i++) {
		atomic_init(&pt->ports[i].dp.vid, -1);
		for (unsigned q = 0; q < PORT_MAX_Q; q++)
			rte_spinlock_init(&pt->ports[i].dp.txlock[q]);
	}
	g_pt = pt;
	*out = pt;
	return 0;
}

void ports_set_pmd(struct port_table *pt, struct pmd *pmd)
{
	pt->pmd = pmd;
}

int port_find(struct port_table *pt, const char *name)
{
	for (unsigned i = 0; i < PORT_MAX; i++)
		if (atomic_load(&pt->ports[i].used) && !strcmp(pt->ports[i].spec.name, name))
			return (int)i;
	return -1;
}

struct port_dp *port_dp(struct port_table *pt, unsigned idx)
{
	return &pt->ports[idx].dp;
}

unsigned ports_rxqs(struct port_table *pt, struct pmd_rxq_desc *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < PORT_MAX; i++) {
		struct port *p = &pt->ports[i];
		unsigned nq = 0;
		uint32_t en = 0;

		if (!atomic_load(&p->used) || !p->ready)
			continue;
		if (p->spec.type == PORT_VHOST) {
			if (atomic_load(&p->dp.vid) < 0)
				continue;
			en = atomic_load(&p->vring_en);
			nq = p->nb_rxq;
		} else {
			nq = p->nb_rxq;
		}
		for (unsigned q = 0; q < nq && n < max; q++) {
			/* vhost: the guest's TX ring of pair q is vring 2q+1. */
			if (p->spec.type == PORT_VHOST && !(en & (1u << (2 * q + 1))))
				continue;
			out[n++] = (struct pmd_rxq_desc){
			    .port = (uint16_t)i,
			    .queue = (uint16_t)q,
			    .type = p->spec.type,
			    .vid = atomic_load(&p->dp.vid),
			    .eth_port = p->dp.eth_port,
			    .flood_limit = p->spec.flood_limit,
			};
		}
	}
	return n;
}

/* Republishes the PMD queue lists; table lock held. */
static void ports_sync(struct port_table *pt)
{
	struct pmd_rxq_desc d[PORT_MAX * PORT_MAX_Q];
	unsigned n;

	atomic_store(&pt->resync, false);
	if (!pt->pmd)
		return;
	n = ports_rxqs(pt, d, PORT_MAX * PORT_MAX_Q);
	if (pmd_sync(pt->pmd, d, n))
		pr_err("cannot rebalance %u receive queues over the PMD lcores: out of memory", n);
}

void ports_poll(struct port_table *pt)
{
	if (!atomic_load(&pt->resync))
		return;
	ports_lock(pt);
	ports_sync(pt);
	ports_unlock(pt);
}

/* ---- vhost-user ---- */

/* Slot whose registered socket is path; lock-free (see port.h). */
static struct port *port_by_path(const char *path)
{
	struct port_table *pt = g_pt;

	if (!pt)
		return NULL;
	for (unsigned i = 0; i < PORT_MAX; i++) {
		struct port *p = &pt->ports[i];

		if (atomic_load(&p->vhost) && !strcmp(p->spec.path, path))
			return p;
	}
	return NULL;
}

static struct port *port_by_vid(int vid)
{
	char path[PORT_PATH_MAX];

	if (rte_vhost_get_ifname(vid, path, sizeof(path)))
		return NULL;
	return port_by_path(path);
}

static void tx_enabled_update(struct port *p)
{
	uint32_t en = atomic_load(&p->vring_en), tx = 0;

	for (unsigned q = 0; q < p->nb_rxq; q++)
		if (en & (1u << (2 * q)))
			tx |= 1u << q;
	atomic_store(&p->dp.tx_enabled, tx);
}

static int vhost_new_device(int vid)
{
	struct port *p = port_by_vid(vid);
	unsigned idx, nqp;

	if (!p) {
		pr_err("vhost device %d: no port with this socket; rejecting it", vid);
		return -1;
	}
	idx = (unsigned)(p - g_pt->ports);
	nqp = rte_vhost_get_vring_num(vid) / 2;
	ports_lock(g_pt);
	/* Every queue pair the guest has is polled (a guest transmits on all
	 * it enabled); queues= only states what the operator expects. */
	p->nb_rxq = nqp < PORT_MAX_Q ? nqp : PORT_MAX_Q;
	/* No SET_VRING_ENABLE seen (legacy frontend): pair 0 is live. */
	if (atomic_load(&p->vring_en) == 0)
		atomic_store(&p->vring_en, 3u);
	for (unsigned i = 0; i < (unsigned)rte_vhost_get_vring_num(vid); i++)
		rte_vhost_enable_guest_notification(vid, (uint16_t)i, 0);
	tx_enabled_update(p);
	atomic_store(&p->dp.vid, vid);
	l2_port_set_up(g_pt->l2, idx, true);
	ports_sync(g_pt);
	ports_unlock(g_pt);
	if (nqp > PORT_MAX_Q)
		pr_warn("%s: guest offers %u queue pairs; only the first %d are served",
			p->spec.name, nqp, PORT_MAX_Q);
	else if (nqp != p->spec.queues)
		pr_info("%s: guest has %u queue pairs (queues=%u expected)", p->spec.name, nqp,
			p->spec.queues);
	pr_info("%s: vhost device %d up", p->spec.name, vid);
	return 0;
}

static void vhost_destroy_device(int vid)
{
	struct port *p = port_by_vid(vid);
	unsigned idx;

	if (!p || atomic_load(&p->dp.vid) != vid)
		return;
	idx = (unsigned)(p - g_pt->ports);
	ports_lock(g_pt);
	l2_port_set_up(g_pt->l2, idx, false);
	atomic_store(&p->dp.vid, -1);
	atomic_store(&p->dp.tx_enabled, 0);
	atomic_store(&p->vring_en, 0);
	p->nb_rxq = 0; /* the guest's queue pairs are gone with it (ctl "queue_pairs") */
	/* Returns only when no lcore can still be using vid. */
	ports_sync(g_pt);
	ports_unlock(g_pt);
	pr_info("%s: vhost device %d down", p->spec.name, vid);
}

/* Called with every vring of the device locked by the library: must not wait
 * for the PMDs (they may be spinning on those locks). Record and defer. */
static int vhost_vring_state_changed(int vid, uint16_t vring, int enable)
{
	struct port *p = port_by_vid(vid);

	if (!p || vring >= 32)
		return 0;
	if (enable)
		atomic_fetch_or(&p->vring_en, 1u << vring);
	else
		atomic_fetch_and(&p->vring_en, ~(1u << vring));
	if (atomic_load(&p->dp.vid) == vid) {
		tx_enabled_update(p);
		if (vring & 1)
			atomic_store(&g_pt->resync, true);
	}
	return 0;
}

static const struct rte_vhost_device_ops vhost_ops = {
    .new_device = vhost_new_device,
    .destroy_device = vhost_destroy_device,
    .vring_state_changed = vhost_vring_state_changed,
};

/* Offloads the switch does not implement (it neither segments nor checksums):
 * frames stay within the MTU and carry full checksums. */
#define VHOST_DISABLED_FEATURES                                                                    \
	((1ull << VIRTIO_NET_F_HOST_TSO4) | (1ull << VIRTIO_NET_F_HOST_TSO6) |                     \
	 (1ull << VIRTIO_NET_F_HOST_ECN) | (1ull << VIRTIO_NET_F_HOST_UFO) |                       \
	 (1ull << VIRTIO_NET_F_GUEST_TSO4) | (1ull << VIRTIO_NET_F_GUEST_TSO6) |                   \
	 (1ull << VIRTIO_NET_F_GUEST_ECN) | (1ull << VIRTIO_NET_F_GUEST_UFO) |                     \
	 (1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_GUEST_CSUM))

/* True if something accepts connections on the UNIX socket path. */
static bool socket_live(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return live;
}

static int vhost_port_open(struct port *p, char *err, size_t errlen)
{
	const char *path = p->spec.path;
	uint64_t flags = p->spec.client ? RTE_VHOST_USER_CLIENT : 0;
	int ret;

	if (!p->spec.client && access(path, F_OK) == 0) {
		if (socket_live(path)) {
			snprintf(err, errlen,
				 "port %s: socket %s is served by another process; pick another "
				 "path or stop that process",
				 p->spec.name, path);
			return -EADDRINUSE;
		}
		unlink(path); /* stale, e.g. left by a killed switch */
	}
	atomic_store(&p->vhost, true);
	ret = rte_vhost_driver_register(path, flags);
	if (ret) {
		atomic_store(&p->vhost, false);
		snprintf(err, errlen,
			 "port %s: rte_vhost_driver_register(%s) failed; is the directory "
			 "writable and the path not used by another port?",
			 p->spec.name, path);
		return -EINVAL;
	}
	if (rte_vhost_driver_disable_features(path, VHOST_DISABLED_FEATURES) ||
	    rte_vhost_driver_callback_register(path, &vhost_ops)) {
		snprintf(err, errlen, "port %s: configuring vhost socket %s failed", p->spec.name,
			 path);
		ret = -EINVAL;
		goto err_unregister;
	}
	if (rte_vhost_driver_start(path)) {
		snprintf(err, errlen, "port %s: rte_vhost_driver_start(%s) failed", p->spec.name,
			 path);
		ret = -EIO;
		goto err_unregister;
	}
	return 0;
err_unregister:
	rte_vhost_driver_unregister(path);
	atomic_store(&p->vhost, false);
	return ret;
}

static void vhost_port_close(struct port *p)
{
	if (!atomic_load(&p->vhost))
		return;
	/* Without the table lock: this runs destroy_device, which takes it. */
	if (rte_vhost_driver_unregister(p->spec.path))
		pr_warn("%s: rte_vhost_driver_unregister(%s) failed", p->spec.name, p->spec.path);
	atomic_store(&p->vhost, false);
	if (!p->spec.client)
		unlink(p->spec.path);
}

/* ---- ethdev ---- */

static int eth_port_open(struct port_table *pt, struct port *p, char *err, size_t errlen)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t pid;
	unsigned nrx, ntx;
	int ret;

	ret = rte_dev_probe(p->spec.dev);
	if (ret) {
		snprintf(err, errlen,
			 "port %s: DPDK cannot probe device '%s' (%s); check the driver name and "
			 "its arguments, and for PCI that the device is bound to vfio-pci",
			 p->spec.name, p->spec.dev, strerror(-ret));
		return ret;
	}
	if (rte_eth_dev_get_port_by_name(p->spec.devname, &pid)) {
		snprintf(err, errlen, "port %s: device %s probed but has no ethdev port",
			 p->spec.name, p->spec.devname);
		ret = -ENODEV;
		goto err_remove;
	}
	p->dp.eth_port = pid;
	ret = rte_eth_dev_info_get(pid, &info);
	if (ret)
		goto err_cfg;
	nrx = p->spec.queues;
	ntx = pt->n_pmd;
	if (nrx > info.max_rx_queues || ntx > info.max_tx_queues) {
		snprintf(err, errlen,
			 "port %s: %s supports %u rx / %u tx queues, %u / %u wanted; lower "
			 "queues= or the PMD core count",
			 p->spec.name, p->spec.devname, info.max_rx_queues, info.max_tx_queues, nrx,
			 ntx);
		ret = -EINVAL;
		goto err_close;
	}
	ret = rte_eth_dev_configure(pid, (uint16_t)nrx, (uint16_t)ntx, &conf);
	if (ret)
		goto err_cfg;
	for (unsigned q = 0; q < nrx && !ret; q++)
		ret = rte_eth_rx_queue_setup(pid, (uint16_t)q, RXD, rte_eth_dev_socket_id(pid),
					     NULL, pt->pool);
	for (unsigned q = 0; q < ntx && !ret; q++)
		ret =
		    rte_eth_tx_queue_setup(pid, (uint16_t)q, TXD, rte_eth_dev_socket_id(pid), NULL);
	if (ret)
		goto err_cfg;
	rte_eth_promiscuous_enable(pid);
	ret = rte_eth_dev_start(pid);
	if (ret)
		goto err_cfg;
	p->nb_rxq = nrx;
	p->dp.nb_txq = (uint16_t)ntx;
	return 0;
err_cfg:
	snprintf(err, errlen, "port %s: DPDK refused to configure %s (%s)%s", p->spec.name,
		 p->spec.devname, strerror(-ret),
		 ret == -ENOMEM ? "; each rx queue holds 1024 mbufs: raise --mbufs" : "");
err_close:
	rte_eth_dev_close(pid);
err_remove:
	rte_eal_hotplug_remove(p->spec.type == PORT_PCI ? "pci" : "vdev", p->spec.devname);
	return ret;
}

static void eth_port_close(struct port *p)
{
	uint16_t pid = p->dp.eth_port;

	if (rte_eth_dev_stop(pid))
		pr_warn("%s: stopping ethdev port %u failed", p->spec.name, pid);
	rte_eth_dev_close(pid);
	if (rte_eal_hotplug_remove(p->spec.type == PORT_PCI ? "pci" : "vdev", p->spec.devname))
		pr_warn("%s: removing device %s failed", p->spec.name, p->spec.devname);
}

/* ---- add / del ---- */

int port_add(struct port_table *pt, const struct port_spec *spec, char *err, size_t errlen)
{
	struct port *p = NULL;
	unsigned idx = 0;
	int ret;

	ports_lock(pt);
	if (port_find(pt, spec->name) >= 0) {
		snprintf(err, errlen, "port %s already exists; delete it first", spec->name);
		ret = -EEXIST;
		goto err_unlock;
	}
	for (unsigned i = 0; i < PORT_MAX; i++) {
		struct port *q = &pt->ports[i];

		if (!atomic_load(&q->used)) {
			if (!p) {
				p = q;
				idx = i;
			}
			continue;
		}
		if (spec->type == PORT_VHOST && q->spec.type == PORT_VHOST &&
		    !strcmp(q->spec.path, spec->path)) {
			snprintf(err, errlen, "port %s: socket %s is already used by port %s",
				 spec->name, spec->path, q->spec.name);
			ret = -EEXIST;
			goto err_unlock;
		}
		if (spec->type != PORT_VHOST && q->spec.type == spec->type &&
		    !strcmp(q->spec.devname, spec->devname)) {
			snprintf(err, errlen, "port %s: device %s is already used by port %s",
				 spec->name, spec->devname, q->spec.name);
			ret = -EEXIST;
			goto err_unlock;
		}
	}
	if (!p) {
		snprintf(err, errlen, "port %s: all %d port slots are in use", spec->name,
			 PORT_MAX);
		ret = -ENOSPC;
		goto err_unlock;
	}
	p->spec = *spec;
	p->ready = false;
	p->dp.type = spec->type;
	p->dp.flood_limit = spec->flood_limit;
	p->nb_rxq = 0;
	p->dp.nb_txq = 0;
	atomic_store(&p->dp.vid, -1);
	atomic_store(&p->dp.tx_enabled, 0);
	atomic_store(&p->vring_en, 0);
	ret = l2_port_attach(pt->l2, idx, &spec->vlan);
	if (ret) {
		snprintf(err, errlen, "port %s: VLAN configuration rejected", spec->name);
		goto err_unlock;
	}
	fdb_set_port_limit(l2_fdb(pt->l2), idx, spec->mac_limit);
	atomic_store(&p->used, true);
	ports_unlock(pt);

	/* Device setup without the lock: vhost callbacks may fire meanwhile. */
	if (spec->type == PORT_VHOST)
		ret = vhost_port_open(p, err, errlen);
	else
		ret = eth_port_open(pt, p, err, errlen);

	ports_lock(pt);
	if (ret) {
		l2_port_detach(pt->l2, idx);
		atomic_store(&p->used, false);
		ports_unlock(pt);
		return ret;
	}
	p->ready = true;
	if (spec->type != PORT_VHOST)
		l2_port_set_up(pt->l2, idx, true);
	ports_sync(pt);
	ports_unlock(pt);
	pr_info("port %s added (slot %u)", spec->name, idx);
	return 0;
err_unlock:
	ports_unlock(pt);
	return ret;
}

int port_del(struct port_table *pt, const char *name, char *err, size_t errlen)
{
	struct port *p;
	int idx;

	ports_lock(pt);
	idx = port_find(pt, name);
	if (idx < 0 || !pt->ports[idx].ready) {
		ports_unlock(pt);
		snprintf(err, errlen, "no port named '%s' (see the ports command)", name);
		return -ENOENT;
	}
	p = &pt->ports[idx];
	p->ready = false;
	l2_port_detach(pt->l2, (unsigned)idx);
	ports_sync(pt); /* no lcore polls or sends to it any more */
	ports_unlock(pt);

	if (p->spec.type == PORT_VHOST)
		vhost_port_close(p);
	else
		eth_port_close(p);

	ports_lock(pt);
	fdb_flush(l2_fdb(pt->l2), idx, true);
	fdb_set_port_limit(l2_fdb(pt->l2), (unsigned)idx, 0);
	if (pt->pmd)
		pmd_clear_counters(pt->pmd, (unsigned)idx);
	atomic_store(&p->used, false);
	ports_unlock(pt);
	pr_info("port %s removed", name);
	return 0;
}

int port_info(struct port_table *pt, unsigned idx, struct port_info *info)
{
	struct port *p;

	memset(info, 0, sizeof(*info));
	if (idx >= PORT_MAX)
		return -EINVAL;
	p = &pt->ports[idx];
	if (!atomic_load(&p->used) || !p->ready)
		return -ENOENT;
	info->used = true;
	info->spec = p->spec;
	info->up = l2_port_is_up(pt->l2, idx);
	info->vid = atomic_load(&p->dp.vid);
	info->eth_port = p->dp.eth_port;
	if (p->spec.type == PORT_VHOST) {
		uint32_t en = atomic_load(&p->vring_en);

		info->qpairs = p->nb_rxq;
		for (unsigned q = 0; q < p->nb_rxq; q++) {
			info->nb_rxq += !!(en & (1u << (2 * q + 1)));
			info->nb_txq += !!(en & (1u << (2 * q)));
		}
		if (info->vid < 0)
			info->nb_rxq = info->nb_txq = 0;
	} else {
		info->nb_rxq = info->qpairs = p->nb_rxq;
		info->nb_txq = p->dp.nb_txq;
	}
	return 0;
}

void ports_destroy(struct port_table *pt)
{
	char err[256];

	if (!pt)
		return;
	for (unsigned i = 0; i < PORT_MAX; i++) {
		char name[PORT_NAME_MAX];

		if (!atomic_load(&pt->ports[i].used) || !pt->ports[i].ready)
			continue;
		strcpy(name, pt->ports[i].spec.name);
		if (port_del(pt, name, err, sizeof(err)))
			pr_warn("%s", err);
	}
	g_pt = NULL;
	pthread_mutex_destroy(&pt->lock);
	free(pt);
}
