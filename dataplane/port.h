/* SPDX-License-Identifier: MIT */
/* Switch ports: vhost-user (rte_vhost, server or reconnecting client) and
 * DPDK ethdev ports (PCI device or vdev such as net_tap/net_af_packet/
 * net_ring), added and removed at run time.
 *
 * Locking: one mutex (the table's) serialises the control thread and the
 * vhost callbacks; it is never held while calling rte_vhost_driver_unregister
 * (which runs destroy_device and may wait for a callback). PMD lcores never
 * take it: they read the per-port data-path view (struct port_dp) and are
 * resynchronised through pmd_sync() whenever a port or queue changes. */
#ifndef NFV_DATAPLANE_PORT_H
#define NFV_DATAPLANE_PORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_spinlock.h>

#include "dataplane/l2.h"
#include "dataplane/portspec.h"

/* Drop causes counted per port (rx side unless noted). */
enum port_drop {
	PD_VLAN,	/* VLAN filter */
	PD_MAC_LIMIT,	/* MAC limit / static binding elsewhere */
	PD_RUNT,	/* too short */
	PD_NO_DEST,	/* unicast back to the ingress port / nobody up */
	PD_FLOOD_LIMIT, /* flood rate limit of the ingress queue */
	PD_NO_MBUF,	/* mbuf pool exhausted copying a frame for tagging */
	PD_TX_FULL,	/* egress: no descriptor / ring full */
	PD_TX_DOWN,	/* egress: port went down with frames queued */
	PD__COUNT
};
const char *port_drop_name(enum port_drop d);

/* Per-lcore, per-port counters: one writer (the lcore), read by control. */
struct port_counters {
	_Atomic uint64_t rx_pkts[PORT_MAX_Q], rx_bytes[PORT_MAX_Q];
	_Atomic uint64_t tx_pkts[PORT_MAX_Q], tx_bytes[PORT_MAX_Q];
	_Atomic uint64_t drops[PD__COUNT];
};

/* What the data path reads about a port. */
struct port_dp {
	enum port_type type;
	_Atomic int vid;	     /* vhost: device id or -1 */
	uint16_t eth_port;	     /* ethdev port id */
	uint16_t nb_txq;	     /* ethdev: tx queues (one per PMD lcore) */
	_Atomic uint32_t tx_enabled; /* vhost: bit q = guest RX ring of pair q usable */
	rte_spinlock_t txlock[PORT_MAX_Q];
	uint32_t flood_limit;
};

struct port_table;
struct pmd;
struct rte_mempool;

/* Creates the empty table. pmd may be NULL in tests. */
int ports_create(struct l2 *l2, struct pmd *pmd, struct rte_mempool *pool, unsigned n_pmd,
		 struct port_table **out);
/* Removes every port (unregistering vhost sockets, closing ethdevs). */
void ports_destroy(struct port_table *pt);
void ports_set_pmd(struct port_table *pt, struct pmd *pmd);

/* Adds a port; on error returns -errno and writes the reason into err. */
int port_add(struct port_table *pt, const struct port_spec *spec, char *err, size_t errlen);
/* Removes a port by name and flushes its FDB entries. -ENOENT. */
int port_del(struct port_table *pt, const char *name, char *err, size_t errlen);

/* Index of port name, or -1. */
int port_find(struct port_table *pt, const char *name);

/* Snapshot for listing/stats (taken under the table lock). */
struct port_info {
	bool used;
	struct port_spec spec;
	bool up;
	unsigned nb_rxq, nb_txq; /* vhost: enabled guest TX / RX rings */
	unsigned qpairs;	 /* vhost: guest queue pairs; ethdev: rx queues */
	int vid;
	uint16_t eth_port;
};
int port_info(struct port_table *pt, unsigned idx, struct port_info *info);

/* Data-path view of slot idx (valid while the port exists). */
struct port_dp *port_dp(struct port_table *pt, unsigned idx);

/* Receive queues the PMDs must poll, as (port, queue, vid/eth id), for
 * pmd_sync(). Called with the table lock held by port.c itself. */
struct pmd_rxq_desc {
	uint16_t port;
	uint16_t queue;
	enum port_type type;
	int vid;
	uint16_t eth_port;
	uint32_t flood_limit;
};
/* Fills at most max descriptors; returns the count. Caller holds the lock
 * (used by pmd via port_sync). */
unsigned ports_rxqs(struct port_table *pt, struct pmd_rxq_desc *out, unsigned max);

/* Control-thread housekeeping: applies deferred vring state changes. */
void ports_poll(struct port_table *pt);

/* Locks the table for a consistent multi-port read (ctl). */
void ports_lock(struct port_table *pt);
void ports_unlock(struct port_table *pt);

#endif
