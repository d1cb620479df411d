/* SPDX-License-Identifier: MIT */
/* The switch's forwarding decision on plain frame bytes (no DPDK types):
 * VLAN classification per port mode, source learning, destination lookup,
 * flooding of broadcast/multicast/unknown unicast without hair-pinning. The
 * answer is a mask of output ports plus the frame's VLAN; the caller pushes
 * or pops tags per output port (l2_tag_push/l2_tag_pop).
 *
 * Port modes:
 *  - access:VID  untagged frames belong to VID; tagged frames are dropped
 *    (VLAN filter); frames leave untagged.
 *  - trunk:LIST  802.1Q-tagged frames with a VID in LIST are accepted;
 *    untagged frames and other VIDs are dropped (VLAN filter); frames
 *    leave tagged.
 *
 * Threads: l2_decide() may run on any number of lcores at once. Port
 * configuration is written by one control thread; a port's mode may only
 * change while it is detached and no lcore still uses it. */
#ifndef NFV_DATAPLANE_L2_H
#define NFV_DATAPLANE_L2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/fdb.h"

#define L2_MAX_PORTS FDB_MAX_PORTS
#define L2_VLAN_MAX  4094
#define L2_TPID	     0x8100
#define L2_TAG_LEN   4

enum l2_mode { L2_ACCESS, L2_TRUNK };

struct l2_port_cfg {
	enum l2_mode mode;
	uint16_t access_vlan;	     /* access mode */
	uint64_t allowed[4096 / 64]; /* trunk mode: bitmap of allowed VIDs */
};

/* Why a frame was not forwarded. */
enum l2_drop {
	L2_FWD,		   /* forwarded (out_mask may still be empty: see NO_DEST) */
	L2_DROP_RUNT,	   /* shorter than an Ethernet (+tag) header */
	L2_DROP_VLAN,	   /* VLAN filter of the ingress port */
	L2_DROP_MAC_LIMIT, /* source MAC refused: port MAC limit or static elsewhere */
	L2_DROP_NO_DEST,   /* destination is the ingress port or no other port is up */
	L2_DROP__COUNT
};

struct l2_verdict {
	uint64_t out_mask; /* bit p set: send to port p */
	uint16_t vlan;	   /* the frame's VLAN */
	bool in_tagged;	   /* the frame carries an 802.1Q tag now */
	bool flood;	   /* broadcast, multicast or unknown unicast */
	enum l2_drop drop;
	enum fdb_learn_result learn;
};

struct l2;

/* Parses "access:10" or "trunk:10,20,30-40" (VIDs 1..4094). -EINVAL. */
int l2_parse_vlan(const char *s, struct l2_port_cfg *cfg);
/* Writes the same syntax back ("trunk:10,20,30-40"). Truncates to len. */
void l2_format_vlan(const struct l2_port_cfg *cfg, char *buf, size_t len);
bool l2_cfg_allows(const struct l2_port_cfg *cfg, uint16_t vlan);

/* The switch's port table bound to an FDB (which it does not own). */
int l2_create(struct fdb *fdb, struct l2 **out);
void l2_destroy(struct l2 *l2);
struct fdb *l2_fdb(struct l2 *l2);

/* Puts port into its VLANs (not yet up). -EINVAL for a bad port, -EBUSY if
 * the port is attached already. */
int l2_port_attach(struct l2 *l2, unsigned port, const struct l2_port_cfg *cfg);
/* Takes port out of every VLAN and marks it down. The caller waits for the
 * lcores to quiesce before attaching the slot again. */
void l2_port_detach(struct l2 *l2, unsigned port);
/* Only ports that are up receive frames (link up / vhost device ready). */
void l2_port_set_up(struct l2 *l2, unsigned port, bool up);
bool l2_port_is_up(const struct l2 *l2, unsigned port);
/* True if frames leave port tagged (trunk). */
bool l2_port_tagged(const struct l2 *l2, unsigned port);
/* Mask of attached trunk ports (frames leave them tagged). */
uint64_t l2_tagged_mask(const struct l2 *l2);
const struct l2_port_cfg *l2_port_cfg(const struct l2 *l2, unsigned port);

/* Decides where frame (len bytes, starting at the destination MAC) received
 * on in_port goes, learning its source at now_ms. Never touches the frame. */
void l2_decide(struct l2 *l2, unsigned in_port, const uint8_t *frame, uint32_t len, uint64_t now_ms,
	       struct l2_verdict *v);

/* Per-burst memo of the last source learned and destination looked up, so
 * a burst of frames between the same pair costs one FDB access each. Owned
 * by one lcore; reset it before every burst (entries may change between
 * bursts, never mind within one). */
struct l2_cache {
	uint64_t src_key, dst_key; /* 0 = empty */
	uint16_t src_port;
	enum fdb_learn_result src_res;
	int dst;
};
void l2_cache_reset(struct l2_cache *c);
/* l2_decide() with a burst cache (c may be NULL). */
void l2_decide_cached(struct l2 *l2, struct l2_cache *c, unsigned in_port, const uint8_t *frame,
		      uint32_t len, uint64_t now_ms, struct l2_verdict *v);

/* Tag operations on a frame in place. l2_tag_pop: frame is tagged; the
 * untagged frame starts at frame + L2_TAG_LEN afterwards. l2_tag_push: start
 * is L2_TAG_LEN bytes before an untagged frame; afterwards a tagged frame
 * for vlan starts at start. */
void l2_tag_pop(uint8_t *frame);
void l2_tag_push(uint8_t *start, uint16_t vlan);

/* Token bucket limiting flooded frames per second (0 = unlimited). Owned by
 * one lcore (no atomics). Burst is one second's worth, at least 32. */
struct l2_rate {
	uint64_t rate_pps;
	uint64_t tokens_ns; /* credit, in ns of rate */
	uint64_t last_ns;
};
void l2_rate_init(struct l2_rate *r, uint64_t rate_pps, uint64_t now_ns);
/* Takes one frame's credit: true if allowed. */
bool l2_rate_take(struct l2_rate *r, uint64_t now_ns);

const char *l2_drop_name(enum l2_drop d);

#endif
