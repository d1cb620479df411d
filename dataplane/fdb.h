/* SPDX-License-Identifier: MIT */
/* Forwarding database of the L2 switch: (VLAN, MAC) -> port.
 *
 * A fixed-size hash table allocated once (no allocation per packet). Each
 * bucket holds FDB_BUCKET_SLOTS entries and a sequence counter:
 *  - readers (PMD lcores) never block: they retry while a writer holds the
 *    bucket (odd sequence) and see either the old or the new entry;
 *  - writers take a bucket by moving its sequence from even to odd with a
 *    compare-and-swap. The data path only *tries* (learning is best effort:
 *    a contended learn is skipped and the next packet learns); the control
 *    thread (static entries, delete, flush, aging) waits for it.
 * Refreshing an entry's age is one relaxed store, at most once a second.
 * Time is passed in by the caller in milliseconds so tests inject a clock.
 * No DPDK types: unit tests link this without EAL. */
#ifndef NFV_DATAPLANE_FDB_H
#define NFV_DATAPLANE_FDB_H

#include <stdbool.h>
#include <stdint.h>

#define FDB_MAX_PORTS	     64
#define FDB_DEFAULT_SIZE     8192u
#define FDB_DEFAULT_AGING_MS (300u * 1000u)

struct fdb;

/* Result of fdb_learn(). */
enum fdb_learn_result {
	FDB_LEARN_REFRESHED, /* known on this port; age refreshed */
	FDB_LEARN_NEW,	     /* new entry */
	FDB_LEARN_MOVED,     /* was on another port, now on this one */
	FDB_LEARN_STATIC,    /* a static entry points elsewhere: not moved */
	FDB_LEARN_LIMIT,     /* the port reached its MAC limit: not learned */
	FDB_LEARN_FULL,	     /* table size limit or bucket full: not learned */
	FDB_LEARN_BUSY,	     /* bucket held by another writer: skipped */
	FDB_LEARN_INVALID,   /* multicast/zero source MAC or bad port: ignored */
};

/* One entry, as reported by fdb_walk(). */
struct fdb_entry {
	uint16_t vlan;
	uint8_t mac[6];
	uint16_t port;
	bool is_static;
	uint64_t last_seen_ms;
};

/* Creates a table holding at most max_entries entries (1..1<<24), aging
 * dynamic entries after aging_ms (0 = never). -EINVAL/-ENOMEM. */
int fdb_create(uint32_t max_entries, uint64_t aging_ms, struct fdb **out);
void fdb_destroy(struct fdb *fdb);

void fdb_set_aging(struct fdb *fdb, uint64_t aging_ms);
uint64_t fdb_get_aging(const struct fdb *fdb);
uint32_t fdb_max_entries(const struct fdb *fdb);

/* Per-port limit of dynamic entries (0 = no limit). Static entries do not
 * count. Lowering the limit below the current count only stops learning. */
int fdb_set_port_limit(struct fdb *fdb, unsigned port, uint32_t limit);

/* Looks (vlan, mac) up. Returns the port, or -1 if unknown. Lock-free;
 * safe from any number of threads concurrently with writers. */
int fdb_lookup(const struct fdb *fdb, uint16_t vlan, const uint8_t mac[6]);

/* Learns that mac lives behind port on vlan at time now_ms. Data-path safe:
 * never waits (returns FDB_LEARN_BUSY instead). */
enum fdb_learn_result fdb_learn(struct fdb *fdb, uint16_t vlan, const uint8_t mac[6], unsigned port,
				uint64_t now_ms);

/* Adds or replaces a static entry (never ages, never moves). A dynamic entry
 * for the same key is converted. -EINVAL (bad MAC/port/VLAN), -ENOSPC. */
int fdb_add_static(struct fdb *fdb, uint16_t vlan, const uint8_t mac[6], unsigned port);

/* Deletes one entry (static or dynamic). -ENOENT if absent. */
int fdb_del(struct fdb *fdb, uint16_t vlan, const uint8_t mac[6]);

/* Deletes entries on port (port < 0: every port). Static entries are kept
 * unless with_static. Returns the number removed. */
unsigned fdb_flush(struct fdb *fdb, int port, bool with_static);

/* Removes dynamic entries not seen for longer than the aging time. Returns
 * the number removed. Called periodically by the control thread. */
unsigned fdb_age(struct fdb *fdb, uint64_t now_ms);

/* Number of entries in total / dynamic entries learned on port. */
uint32_t fdb_count(const struct fdb *fdb);
uint32_t fdb_port_count(const struct fdb *fdb, unsigned port);

/* Calls fn for every entry (a consistent copy of each). Stops early and
 * returns fn's value if it returns non-zero. */
int fdb_walk(const struct fdb *fdb, int (*fn)(const struct fdb_entry *e, void *arg), void *arg);

/* True for a unicast, non-zero MAC: the only kind that can be learned. */
bool fdb_mac_learnable(const uint8_t mac[6]);

const char *fdb_learn_result_name(enum fdb_learn_result r);

#endif
