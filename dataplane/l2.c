/* SPDX-License-Identifier: MIT */
#include "dataplane/l2.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"

struct l2 {
	struct fdb *fdb;
	_Atomic uint64_t up_mask;
	_Atomic uint64_t attached_mask;
	_Atomic uint64_t tagged_mask;
	struct l2_port_cfg cfg[L2_MAX_PORTS];
	_Atomic uint64_t members[4096]; /* per VLAN: mask of attached ports */
};

bool l2_cfg_allows(const struct l2_port_cfg *cfg, uint16_t vlan)
{
	if (vlan == 0 || vlan > L2_VLAN_MAX)
		return false;
	if (cfg->mode == L2_ACCESS)
		return vlan == cfg->access_vlan;
	return cfg->allowed[vlan / 64] & (1ull << (vlan % 64));
}

static int parse_vid(const char *s, const char *end, uint16_t *vid)
{
	char buf[8];
	uint64_t v;
	size_t n = (size_t)(end - s);

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (parse_uint(buf, 1, L2_VLAN_MAX, &v))
		return -EINVAL;
	*vid = (uint16_t)v;
	return 0;
}

int l2_parse_vlan(const char *s, struct l2_port_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	if (!s)
		return -EINVAL;
	if (!strncmp(s, "access:", 7)) {
		cfg->mode = L2_ACCESS;
		return parse_vid(s + 7, s + strlen(s), &cfg->access_vlan);
	}
	if (strncmp(s, "trunk:", 6))
		return -EINVAL;
	cfg->mode = L2_TRUNK;
	s += 6;
	for (;;) {
		const char *comma = strchr(s, ',');
		const char *end = comma ? comma : s + strlen(s);
		const char *dash = memchr(s, '-', (size_t)(end - s));
		uint16_t lo, hi;

		if (dash) {
			if (parse_vid(s, dash, &lo) || parse_vid(dash + 1, end, &hi) || lo > hi)
				return -EINVAL;
		} else {
			if (parse_vid(s, end, &lo))
				return -EINVAL;
			hi = lo;
		}
		for (unsigned v = lo; v <= hi; v++)
			cfg->allowed[v / 64] |= 1ull << (v % 64);
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

void l2_format_vlan(const struct l2_port_cfg *cfg, char *buf, size_t len)
{
	size_t off;
	int first = 1;

	if (len == 0)
		return;
	if (cfg->mode == L2_ACCESS) {
		snprintf(buf, len, "access:%u", cfg->access_vlan);
		return;
	}
	off = (size_t)snprintf(buf, len, "trunk:");
	for (unsigned v = 1; v <= L2_VLAN_MAX && off < len; v++) {
		unsigned hi = v;
		int n;

		if (!l2_cfg_allows(cfg, (uint16_t)v))
			continue;
		while (hi < L2_VLAN_MAX && l2_cfg_allows(cfg, (uint16_t)(hi + 1)))
			hi++;
		if (hi == v)
			n = snprintf(buf + off, len - off, "%s%u", first ? "" : ",", v);
		else
			n = snprintf(buf + off, len - off, "%s%u-%u", first ? "" : ",", v, hi);
		if (n < 0)
			break;
		off += (size_t)n;
		first = 0;
		v = hi;
	}
}

int l2_create(struct fdb *fdb, struct l2 **out)
{
	struct l2 *l2;

	if (!fdb)
		return -EINVAL;
	l2 = calloc(1, sizeof(*l2));
	if (!l2)
		return -ENOMEM;
	l2->fdb = fdb;
	*out = l2;
	return 0;
}

void l2_destroy(struct l2 *l2)
{
	free(l2);
}

struct fdb *l2_fdb(struct l2 *l2)
{
	return l2->fdb;
}

int l2_port_attach(struct l2 *l2, unsigned port, const struct l2_port_cfg *cfg)
{
	uint64_t bit;

	if (port >= L2_MAX_PORTS)
		return -EINVAL;
	bit = 1ull << port;
	if (cfg->mode == L2_ACCESS && (cfg->access_vlan == 0 || cfg->access_vlan > L2_VLAN_MAX))
		return -EINVAL;
	if (atomic_load(&l2->attached_mask) & bit)
		return -EBUSY;
	l2->cfg[port] = *cfg;
	/* The configuration is visible before any lcore can see the port as a
	 * member (release ordering of the fetch_or below). */
	for (unsigned v = 1; v <= L2_VLAN_MAX; v++)
		if (l2_cfg_allows(cfg, (uint16_t)v))
			atomic_fetch_or_explicit(&l2->members[v], bit, memory_order_release);
	if (cfg->mode == L2_TRUNK)
		atomic_fetch_or(&l2->tagged_mask, bit);
	atomic_fetch_or(&l2->attached_mask, bit);
	return 0;
}

void l2_port_detach(struct l2 *l2, unsigned port)
{
	uint64_t bit;

	if (port >= L2_MAX_PORTS)
		return;
	bit = 1ull << port;
	atomic_fetch_and(&l2->up_mask, ~bit);
	for (unsigned v = 1; v <= L2_VLAN_MAX; v++)
		atomic_fetch_and_explicit(&l2->members[v], ~bit, memory_order_relaxed);
	atomic_fetch_and(&l2->tagged_mask, ~bit);
	atomic_fetch_and(&l2->attached_mask, ~bit);
}

uint64_t l2_tagged_mask(const struct l2 *l2)
{
	return atomic_load_explicit(&l2->tagged_mask, memory_order_relaxed);
}

void l2_port_set_up(struct l2 *l2, unsigned port, bool up)
{
	if (port >= L2_MAX_PORTS)
		return;
	if (up)
		atomic_fetch_or(&l2->up_mask, 1ull << port);
	else
		atomic_fetch_and(&l2->up_mask, ~(1ull << port));
}

bool l2_port_is_up(const struct l2 *l2, unsigned port)
{
	return port < L2_MAX_PORTS &&
	       (atomic_load_explicit(&l2->up_mask, memory_order_relaxed) & (1ull << port));
}

bool l2_port_tagged(const struct l2 *l2, unsigned port)
{
	return port < L2_MAX_PORTS && l2->cfg[port].mode == L2_TRUNK;
}

const struct l2_port_cfg *l2_port_cfg(const struct l2 *l2, unsigned port)
{
	if (port >= L2_MAX_PORTS)
		return NULL;
	return &l2->cfg[port];
}

/* (vlan, mac) packed like the FDB's keys, for the burst cache. */
static uint64_t cache_key(uint16_t vlan, const uint8_t *mac)
{
	uint64_t k = (uint64_t)1 << 63 | (uint64_t)vlan << 48;

	for (int i = 0; i < 6; i++)
		k |= (uint64_t)mac[i] << (8 * (5 - i));
	return k;
}

void l2_cache_reset(struct l2_cache *c)
{
	c->src_key = c->dst_key = 0;
}

void l2_decide(struct l2 *l2, unsigned in_port, const uint8_t *frame, uint32_t len, uint64_t now_ms,
	       struct l2_verdict *v)
{
	l2_decide_cached(l2, NULL, in_port, frame, len, now_ms, v);
}

void l2_decide_cached(struct l2 *l2, struct l2_cache *c, unsigned in_port, const uint8_t *frame,
		      uint32_t len, uint64_t now_ms, struct l2_verdict *v)
{
	const struct l2_port_cfg *cfg;
	uint64_t members;
	uint16_t ethertype;
	int dst;

	memset(v, 0, sizeof(*v));
	v->learn = FDB_LEARN_INVALID;
	if (in_port >= L2_MAX_PORTS || len < 14) {
		v->drop = L2_DROP_RUNT;
		return;
	}
	cfg = &l2->cfg[in_port];
	ethertype = (uint16_t)(frame[12] << 8 | frame[13]);
	if (ethertype == L2_TPID) {
		if (len < 18) {
			v->drop = L2_DROP_RUNT;
			return;
		}
		v->in_tagged = true;
		v->vlan = (uint16_t)((frame[14] << 8 | frame[15]) & 0xfff);
		if (cfg->mode != L2_TRUNK || !l2_cfg_allows(cfg, v->vlan)) {
			v->drop = L2_DROP_VLAN;
			return;
		}
	} else {
		if (cfg->mode != L2_ACCESS) {
			v->drop = L2_DROP_VLAN;
			return;
		}
		v->vlan = cfg->access_vlan;
	}

	/* Source: learn (and enforce the port's MAC limit / static bindings).
	 * Within a burst, a source just handled gives the same answer. */
	if (fdb_mac_learnable(frame + 6)) {
		uint64_t sk = c ? cache_key(v->vlan, frame + 6) : 0;

		if (c && c->src_key == sk && c->src_port == in_port) {
			v->learn = c->src_res;
		} else {
			v->learn = fdb_learn(l2->fdb, v->vlan, frame + 6, in_port, now_ms);
			if (c) {
				/* A new/moved entry may be a destination the
				 * cache remembers as unknown. */
				if (v->learn == FDB_LEARN_NEW || v->learn == FDB_LEARN_MOVED)
					c->dst_key = 0;
				c->src_key = sk;
				c->src_port = (uint16_t)in_port;
				c->src_res =
				    v->learn == FDB_LEARN_NEW || v->learn == FDB_LEARN_MOVED
					? FDB_LEARN_REFRESHED
					: v->learn;
			}
		}
		if (v->learn == FDB_LEARN_LIMIT || v->learn == FDB_LEARN_STATIC) {
			v->drop = L2_DROP_MAC_LIMIT;
			return;
		}
	}

	members = atomic_load_explicit(&l2->members[v->vlan], memory_order_acquire) &
		  atomic_load_explicit(&l2->up_mask, memory_order_relaxed);
	if (frame[0] & 1) {
		dst = -1;
	} else if (c) {
		uint64_t dk = cache_key(v->vlan, frame);

		if (c->dst_key != dk) {
			c->dst_key = dk;
			c->dst = fdb_lookup(l2->fdb, v->vlan, frame);
		}
		dst = c->dst;
	} else {
		dst = fdb_lookup(l2->fdb, v->vlan, frame);
	}
	if (dst < 0) {
		/* Broadcast, multicast and unknown unicast: every other member. */
		v->flood = true;
		v->out_mask = members & ~(1ull << in_port);
	} else if ((unsigned)dst != in_port && (members & (1ull << dst))) {
		v->out_mask = 1ull << dst;
	}
	if (!v->out_mask)
		v->drop = L2_DROP_NO_DEST;
}

void l2_tag_pop(uint8_t *frame)
{
	memmove(frame + L2_TAG_LEN, frame, 12);
}

void l2_tag_push(uint8_t *start, uint16_t vlan)
{
	memmove(start, start + L2_TAG_LEN, 12);
	start[12] = L2_TPID >> 8;
	start[13] = L2_TPID & 0xff;
	start[14] = (uint8_t)((vlan >> 8) & 0x0f);
	start[15] = (uint8_t)(vlan & 0xff);
}

#define NS_PER_S 1000000000ull

void l2_rate_init(struct l2_rate *r, uint64_t rate_pps, uint64_t now_ns)
{
	uint64_t cost = rate_pps ? NS_PER_S / rate_pps : 0;

	r->rate_pps = rate_pps;
	r->tokens_ns = cost * 32 > NS_PER_S ? cost * 32 : NS_PER_S;
	r->last_ns = now_ns;
}

bool l2_rate_take(struct l2_rate *r, uint64_t now_ns)
{
	uint64_t cost, cap;

	if (!r->rate_pps)
		return true;
	cost = NS_PER_S / r->rate_pps;
	if (cost == 0)
		cost = 1;
	cap = cost * 32 > NS_PER_S ? cost * 32 : NS_PER_S;
	if (now_ns > r->last_ns) {
		r->tokens_ns += now_ns - r->last_ns;
		if (r->tokens_ns > cap)
			r->tokens_ns = cap;
	}
	r->last_ns = now_ns;
	if (r->tokens_ns < cost)
		return false;
	r->tokens_ns -= cost;
	return true;
}

const char *l2_drop_name(enum l2_drop d)
{
	static const char *const names[] = {
	    [L2_FWD] = "forwarded",	    [L2_DROP_RUNT] = "runt",
	    [L2_DROP_VLAN] = "vlan_filter", [L2_DROP_MAC_LIMIT] = "mac_limit",
	    [L2_DROP_NO_DEST] = "no_dest",
	};

	if ((unsigned)d >= L2_DROP__COUNT)
		return "unknown";
	return names[d];
}
