/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "pmd"
#include "dataplane/pmd.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_vhost.h>

#include "common/log.h"

#define TXB	       64 /* frames buffered per output port per lcore */
#define PREFETCH_AHEAD 3
/* How long the control side waits for an lcore to acknowledge before it
 * assumes the lcore is wedged (it then leaks the old list rather than free
 * memory an lcore might still read). */
#define SYNC_TIMEOUT_S 10

struct pmd_q {
	struct pmd_rxq_desc d;
	struct l2_rate flood;
};

struct pmd_conf {
	unsigned n;
	struct pmd_q q[];
};

struct txbuf {
	uint16_t n;
	struct rte_mbuf *m[TXB];
};

struct pmd_lcore {
	struct pmd *pmd;
	unsigned idx, lcore_id;
	_Atomic(struct pmd_conf *) conf;
	_Atomic uint64_t ack;
	_Atomic bool running;
	_Atomic uint64_t busy, idle;
	uint64_t dirty; /* ports with buffered frames */
	struct txbuf tx[PORT_MAX];
	struct port_counters cnt[PORT_MAX];
};

struct pmd {
	struct l2 *l2;
	struct port_table *pt;
	struct rte_mempool *pool;
	unsigned n;
	bool started;
	_Atomic uint64_t gen;
	_Atomic bool quit;
	uint64_t tsc_per_ms;
	double ns_per_tsc;
	struct pmd_lcore *lc[PMD_MAX_LCORES];
};

/* Single-writer counter increment: no locked instruction. */
static inline void cnt_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

static const enum port_drop l2_drop_map[L2_DROP__COUNT] = {
    [L2_DROP_RUNT] = PD_RUNT,
    [L2_DROP_VLAN] = PD_VLAN,
    [L2_DROP_MAC_LIMIT] = PD_MAC_LIMIT,
    [L2_DROP_NO_DEST] = PD_NO_DEST,
};

static void flush_port(struct pmd_lcore *lc, unsigned p)
{
	struct pmd *pmd = lc->pmd;
	struct txbuf *tb = &lc->tx[p];
	struct port_dp *dp = port_dp(pmd->pt, p);
	struct port_counters *c = &lc->cnt[p];
	uint16_t n = tb->n, sent;
	uint64_t bytes = 0;
	unsigned q;

	tb->n = 0;
	lc->dirty &= ~(1ull << p);
	if (!n)
		return;
	if (dp->type == PORT_VHOST) {
		int vid = atomic_load_explicit(&dp->vid, memory_order_relaxed);
		uint32_t en = atomic_load_explicit(&dp->tx_enabled, memory_order_relaxed);
		unsigned nen, k;
		bool shared;

		if (vid < 0 || !en) {
			cnt_add(&c->drops[PD_TX_DOWN], n);
			rte_pktmbuf_free_bulk(tb->m, n);
			return;
		}
		/* The (idx mod enabled)-th enabled queue pair. */
		nen = (unsigned)__builtin_popcount(en);
		k = lc->idx % nen;
		while (k--)
			en &= en - 1;
		q = (unsigned)__builtin_ctz(en);
		shared = pmd->n > nen;
		if (shared)
			rte_spinlock_lock(&dp->txlock[q]);
		sent = rte_vhost_enqueue_burst(vid, (uint16_t)(2 * q), tb->m, n);
		if (shared)
			rte_spinlock_unlock(&dp->txlock[q]);
		for (uint16_t i = 0; i < sent; i++)
			bytes += tb->m[i]->pkt_len;
		/* Enqueue copies into guest buffers: we still own every mbuf. */
		rte_pktmbuf_free_bulk(tb->m, n);
	} else {
		uint64_t unsent = 0;

		q = lc->idx % (dp->nb_txq ? dp->nb_txq : 1);
		for (uint16_t i = 0; i < n; i++)
			bytes += tb->m[i]->pkt_len;
		sent = rte_eth_tx_burst(dp->eth_port, (uint16_t)q, tb->m, n);
		for (uint16_t i = sent; i < n; i++)
			unsent += tb->m[i]->pkt_len;
		bytes -= unsent;
		if (sent < n)
			rte_pktmbuf_free_bulk(&tb->m[sent], n - sent);
	}
	if (q >= PORT_MAX_Q)
		q = PORT_MAX_Q - 1;
	cnt_add(&c->tx_pkts[q], sent);
	cnt_add(&c->tx_bytes[q], bytes);
	if (sent < n)
		cnt_add(&c->drops[PD_TX_FULL], n - sent);
}

static void flush_all(struct pmd_lcore *lc)
{
	while (lc->dirty)
		flush_port(lc, (unsigned)__builtin_ctzll(lc->dirty));
}

/* Queues m (holding one reference per port in mask) to every port in mask. */
static void send_mask(struct pmd_lcore *lc, struct rte_mbuf *m, uint64_t mask)
{
	int k = __builtin_popcountll(mask);

	if (k > 1)
		rte_mbuf_refcnt_update(m, (int16_t)(k - 1));
	while (mask) {
		unsigned p = (unsigned)__builtin_ctzll(mask);
		struct txbuf *tb = &lc->tx[p];

		mask &= mask - 1;
		if (tb->n == TXB)
			flush_port(lc, p);
		tb->m[tb->n++] = m;
		lc->dirty |= 1ull << p;
	}
}

/* Turns m into the other tagging (pop if tagged, push vlan if not). */
static bool retag(struct rte_mbuf *m, const struct l2_verdict *v)
{
	if (v->in_tagged) {
		l2_tag_pop(rte_pktmbuf_mtod(m, uint8_t *));
		rte_pktmbuf_adj(m, L2_TAG_LEN);
		return true;
	}
	{
		char *start = rte_pktmbuf_prepend(m, L2_TAG_LEN);

		if (!start)
			return false;
		l2_tag_push((uint8_t *)start, v->vlan);
	}
	return true;
}

static void emit(struct pmd_lcore *lc, struct rte_mbuf *m, const struct l2_verdict *v,
		 uint64_t tagged, struct port_counters *c)
{
	uint64_t same = v->out_mask & (v->in_tagged ? tagged : ~tagged);
	uint64_t other = v->out_mask & ~same;
	struct rte_mbuf *m2 = NULL;

	if (other) {
		if (same) {
			m2 = rte_pktmbuf_copy(m, lc->pmd->pool, 0, UINT32_MAX);
		} else {
			m2 = m;
			m = NULL;
		}
		if (m2 && !retag(m2, v)) {
			rte_pktmbuf_free(m2);
			m2 = NULL;
		}
		if (!m2)
			cnt_add(&c->drops[PD_NO_MBUF], 1);
	}
	if (m)
		send_mask(lc, m, same);
	if (m2)
		send_mask(lc, m2, other);
}

static unsigned poll_queue(struct pmd_lcore *lc, struct pmd_q *q, uint64_t now_ms, uint64_t now_ns,
			   uint64_t tagged)
{
	struct pmd *pmd = lc->pmd;
	struct rte_mbuf *pkts[PMD_BURST];
	struct port_counters *c = &lc->cnt[q->d.port];
	struct l2_cache cache;
	uint64_t bytes = 0;
	uint16_t n;

	if (q->d.type == PORT_VHOST)
		n = rte_vhost_dequeue_burst(q->d.vid, (uint16_t)(2 * q->d.queue + 1), pmd->pool,
					    pkts, PMD_BURST);
	else
		n = rte_eth_rx_burst(q->d.eth_port, q->d.queue, pkts, PMD_BURST);
	if (!n)
		return 0;
	l2_cache_reset(&cache);
	for (uint16_t i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct l2_verdict v;

		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		bytes += m->pkt_len;
		l2_decide_cached(pmd->l2, &cache, q->d.port, rte_pktmbuf_mtod(m, const uint8_t *),
				 m->data_len, now_ms, &v);
		if (v.drop != L2_FWD) {
			cnt_add(&c->drops[l2_drop_map[v.drop]], 1);
			rte_pktmbuf_free(m);
			continue;
		}
		if (v.flood && q->d.flood_limit && !l2_rate_take(&q->flood, now_ns)) {
			cnt_add(&c->drops[PD_FLOOD_LIMIT], 1);
			rte_pktmbuf_free(m);
			continue;
		}
		emit(lc, m, &v, tagged, c);
	}
	cnt_add(&c->rx_pkts[q->d.queue], n);
	cnt_add(&c->rx_bytes[q->d.queue], bytes);
	return n;
}

static int pmd_main(void *arg)
{
	struct pmd_lcore *lc = arg;
	struct pmd *pmd = lc->pmd;
	struct pmd_conf *conf = NULL;
	uint64_t seen = 0, t0 = rte_rdtsc();

	while (!atomic_load_explicit(&pmd->quit, memory_order_relaxed)) {
		uint64_t g = atomic_load_explicit(&pmd->gen, memory_order_acquire);
		uint64_t now, tagged;
		unsigned got = 0;

		if (g != seen) {
			/* The previous iteration is complete (buffers flushed):
			 * nothing of the old assignment is in use any more. */
			conf = atomic_load_explicit(&lc->conf, memory_order_acquire);
			seen = g;
			atomic_store_explicit(&lc->ack, g, memory_order_release);
		}
		now = rte_rdtsc();
		tagged = l2_tagged_mask(pmd->l2);
		if (conf) {
			uint64_t now_ms = now / pmd->tsc_per_ms;
			uint64_t now_ns = (uint64_t)((double)now * pmd->ns_per_tsc);

			for (unsigned i = 0; i < conf->n; i++)
				got += poll_queue(lc, &conf->q[i], now_ms, now_ns, tagged);
		}
		flush_all(lc);
		t0 = rte_rdtsc();
		cnt_add(got ? &lc->busy : &lc->idle, t0 - now);
	}
	flush_all(lc);
	atomic_store(&lc->running, false);
	(void)t0;
	return 0;
}

int pmd_create(struct l2 *l2, struct port_table *pt, struct rte_mempool *pool,
	       const unsigned *lcores, unsigned n, struct pmd **out)
{
	struct pmd *pmd;
	uint64_t hz = rte_get_tsc_hz();

	if (n == 0 || n > PMD_MAX_LCORES)
		return -EINVAL;
	pmd = calloc(1, sizeof(*pmd));
	if (!pmd)
		return -ENOMEM;
	pmd->l2 = l2;
	pmd->pt = pt;
	pmd->pool = pool;
	pmd->n = n;
	pmd->tsc_per_ms = hz / 1000 ? hz / 1000 : 1;
	pmd->ns_per_tsc = 1e9 / (double)(hz ? hz : 1);
	atomic_init(&pmd->gen, 1);
	for (unsigned i = 0; i < n; i++) {
		struct pmd_lcore *lc;

		lc = rte_zmalloc_socket("pmd_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE,
					(int)rte_lcore_to_socket_id(lcores[i]));
		if (!lc)
			goto err_free;
		lc->pmd = pmd;
		lc->idx = i;
		lc->lcore_id = lcores[i];
		pmd->lc[i] = lc;
	}
	*out = pmd;
	return 0;
err_free:
	pmd_destroy(pmd);
	return -ENOMEM;
}

int pmd_start(struct pmd *pmd)
{
	for (unsigned i = 0; i < pmd->n; i++) {
		struct pmd_lcore *lc = pmd->lc[i];
		int ret;

		atomic_store(&lc->running, true);
		ret = rte_eal_remote_launch(pmd_main, lc, lc->lcore_id);
		if (ret) {
			atomic_store(&lc->running, false);
			pr_err("cannot launch the PMD loop on lcore %u (%s)", lc->lcore_id,
			       strerror(-ret));
			pmd_stop(pmd);
			return ret;
		}
		pmd->started = true;
	}
	return 0;
}

void pmd_stop(struct pmd *pmd)
{
	if (!pmd || !pmd->started)
		return;
	atomic_store(&pmd->quit, true);
	for (unsigned i = 0; i < pmd->n; i++)
		if (pmd->lc[i])
			rte_eal_wait_lcore(pmd->lc[i]->lcore_id);
	pmd->started = false;
}

void pmd_destroy(struct pmd *pmd)
{
	if (!pmd)
		return;
	pmd_stop(pmd);
	for (unsigned i = 0; i < pmd->n; i++) {
		if (!pmd->lc[i])
			continue;
		free(atomic_load(&pmd->lc[i]->conf));
		rte_free(pmd->lc[i]);
	}
	free(pmd);
}

int pmd_sync(struct pmd *pmd, const struct pmd_rxq_desc *rxqs, unsigned n)
{
	struct pmd_conf *nc[PMD_MAX_LCORES] = {0}, *old[PMD_MAX_LCORES];
	uint64_t now_ns = (uint64_t)((double)rte_rdtsc() * pmd->ns_per_tsc);
	struct timespec start, t;
	bool wedged = false;
	uint64_t g;

	for (unsigned i = 0; i < pmd->n; i++) {
		unsigned cnt = n / pmd->n + (i < n % pmd->n);

		nc[i] = calloc(1, sizeof(struct pmd_conf) + cnt * sizeof(struct pmd_q));
		if (!nc[i])
			goto err_free;
	}
	for (unsigned j = 0; j < n; j++) {
		struct pmd_conf *c = nc[j % pmd->n];
		struct pmd_q *q = &c->q[c->n++];

		q->d = rxqs[j];
		l2_rate_init(&q->flood, rxqs[j].flood_limit, now_ns);
	}
	for (unsigned i = 0; i < pmd->n; i++)
		old[i] = atomic_exchange(&pmd->lc[i]->conf, nc[i]);
	g = atomic_fetch_add(&pmd->gen, 1) + 1;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned i = 0; i < pmd->n; i++) {
		struct pmd_lcore *lc = pmd->lc[i];

		while (atomic_load(&lc->running) && atomic_load(&lc->ack) < g) {
			struct timespec ts = {0, 20000};

			nanosleep(&ts, NULL);
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - start.tv_sec > SYNC_TIMEOUT_S) {
				pr_err("lcore %u did not acknowledge a queue reassignment in %d "
				       "s; keeping its old queue list allocated",
				       lc->lcore_id, SYNC_TIMEOUT_S);
				wedged = true;
				break;
			}
		}
	}
	if (!wedged)
		for (unsigned i = 0; i < pmd->n; i++)
			free(old[i]);
	return 0;
err_free:
	for (unsigned i = 0; i < pmd->n; i++)
		free(nc[i]);
	return -ENOMEM;
}

unsigned pmd_count(const struct pmd *pmd)
{
	return pmd->n;
}

unsigned pmd_lcore_id(const struct pmd *pmd, unsigned idx)
{
	return idx < pmd->n ? pmd->lc[idx]->lcore_id : 0;
}

const struct port_counters *pmd_counters(const struct pmd *pmd, unsigned idx, unsigned port)
{
	if (idx >= pmd->n || port >= PORT_MAX)
		return NULL;
	return &pmd->lc[idx]->cnt[port];
}

void pmd_clear_counters(struct pmd *pmd, unsigned port)
{
	if (port >= PORT_MAX)
		return;
	for (unsigned i = 0; i < pmd->n; i++) {
		struct port_counters *c = &pmd->lc[i]->cnt[port];

		for (unsigned q = 0; q < PORT_MAX_Q; q++) {
			atomic_store(&c->rx_pkts[q], 0);
			atomic_store(&c->rx_bytes[q], 0);
			atomic_store(&c->tx_pkts[q], 0);
			atomic_store(&c->tx_bytes[q], 0);
		}
		for (unsigned d = 0; d < PD__COUNT; d++)
			atomic_store(&c->drops[d], 0);
	}
}

void pmd_cycles(const struct pmd *pmd, unsigned idx, uint64_t *busy, uint64_t *idle)
{
	*busy = *idle = 0;
	if (idx >= pmd->n)
		return;
	*busy = atomic_load(&pmd->lc[idx]->busy);
	*idle = atomic_load(&pmd->lc[idx]->idle);
}

unsigned pmd_assigned(struct pmd *pmd, unsigned idx, struct pmd_rxq_desc *out, unsigned max)
{
	struct pmd_conf *c;
	unsigned n = 0;

	if (idx >= pmd->n)
		return 0;
	c = atomic_load(&pmd->lc[idx]->conf);
	for (unsigned i = 0; c && i < c->n && n < max; i++)
		out[n++] = c->q[i].d;
	return n;
}
