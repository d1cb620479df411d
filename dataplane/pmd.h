/* SPDX-License-Identifier: MIT */
/* Run-to-completion PMD loops: each lcore polls the receive queues assigned
 * to it, runs the L2 decision per packet, pushes/pops VLAN tags, and sends
 * bursts to the output ports. No locks or allocation per packet (a tx queue
 * shared by more lcores than it has queues takes a spinlock per burst).
 *
 * Reconfiguration (the DPDK examples/vhost request/acknowledge handshake):
 * the control side publishes a new per-lcore queue list, bumps a generation
 * and waits until every running lcore has acknowledged it at the top of its
 * loop, i.e. after finishing the iteration that might still use a removed
 * queue or device. Only then may a vhost device or ethdev port go away. */
#ifndef NFV_DATAPLANE_PMD_H
#define NFV_DATAPLANE_PMD_H

#include <stdint.h>

#include "dataplane/l2.h"
#include "dataplane/port.h"

#define PMD_MAX_LCORES 32
#define PMD_BURST      32

struct pmd;
struct rte_mempool;

/* lcores: EAL lcore ids to run on (workers, not the main lcore). */
int pmd_create(struct l2 *l2, struct port_table *pt, struct rte_mempool *pool,
	       const unsigned *lcores, unsigned n, struct pmd **out);
/* Launches the loops. -errno if an lcore cannot be launched. */
int pmd_start(struct pmd *pmd);
/* Stops and joins the loops (idempotent). */
void pmd_stop(struct pmd *pmd);
void pmd_destroy(struct pmd *pmd);

/* Distributes rxqs round-robin over the lcores, publishes the result and
 * waits for every running lcore to acknowledge it (see above). Called with
 * the port table lock held. -ENOMEM leaves the old assignment in place. */
int pmd_sync(struct pmd *pmd, const struct pmd_rxq_desc *rxqs, unsigned n);

unsigned pmd_count(const struct pmd *pmd);
unsigned pmd_lcore_id(const struct pmd *pmd, unsigned idx);
/* Counters of lcore idx for port slot port. */
const struct port_counters *pmd_counters(const struct pmd *pmd, unsigned idx, unsigned port);
/* Zeroes a port slot's counters on every lcore (slot unused and synced). */
void pmd_clear_counters(struct pmd *pmd, unsigned port);
void pmd_cycles(const struct pmd *pmd, unsigned idx, uint64_t *busy, uint64_t *idle);
/* Queues currently assigned to lcore idx; returns count (<= max). */
unsigned pmd_assigned(struct pmd *pmd, unsigned idx, struct pmd_rxq_desc *out, unsigned max);

#endif
