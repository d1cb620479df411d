/* SPDX-License-Identifier: MIT */
#include "dataplane/fdb.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define FDB_BUCKET_SLOTS 8
#define FDB_KEY_VALID	 (1ull << 63)
#define FDB_F_STATIC	 0x1
/* A refresh rewrites last_seen at most this often: keeps hot entries'
 * cache lines shared between lcores instead of bouncing per packet. */
#define FDB_REFRESH_MS 1000
/* Readers give up (and report a miss, so the packet floods) after this many
 * retries against a writer: bounded, never a hang. */
#define FDB_READ_RETRIES 256

struct fdb_bucket {
	_Atomic uint32_t seq; /* odd while a writer holds the bucket */
	_Atomic uint16_t port[FDB_BUCKET_SLOTS];
	_Atomic uint8_t flags[FDB_BUCKET_SLOTS];
	_Atomic uint64_t key[FDB_BUCKET_SLOTS]; /* 0 = empty slot */
	_Atomic uint64_t seen[FDB_BUCKET_SLOTS];
} __attribute__((aligned(64)));

struct fdb {
	struct fdb_bucket *buckets;
	uint64_t mask; /* number of buckets - 1 */
	uint32_t max_entries;
	_Atomic uint64_t aging_ms;
	_Atomic uint32_t count;
	_Atomic uint32_t port_count[FDB_MAX_PORTS];
	_Atomic uint32_t port_limit[FDB_MAX_PORTS];
};

static uint64_t fdb_key(uint16_t vlan, const uint8_t mac[6])
{
	uint64_t k = FDB_KEY_VALID | ((uint64_t)(vlan & 0xfff) << 48);

	for (int i = 0; i < 6; i++)
		k |= (uint64_t)mac[i] << (8 * (5 - i));
	return k;
}

static void fdb_key_split(uint64_t k, uint16_t *vlan, uint8_t mac[6])
{
	*vlan = (uint16_t)((k >> 48) & 0xfff);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(k >> (8 * (5 - i)));
}

static struct fdb_bucket *fdb_bucket_of(const struct fdb *fdb, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;

	h ^= h >> 29;
	return &fdb->buckets[h & fdb->mask];
}

bool fdb_mac_learnable(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0;
}

int fdb_create(uint32_t max_entries, uint64_t aging_ms, struct fdb **out)
{
	struct fdb *fdb;
	uint64_t nb = 1;

	if (max_entries == 0 || max_entries > (1u << 24))
		return -EINVAL;
	/* Average occupancy at most 2 of 8 slots when the table is full. */
	while (nb * 2 < max_entries)
		nb <<= 1;
	fdb = calloc(1, sizeof(*fdb));
	if (!fdb)
		return -ENOMEM;
	fdb->buckets = aligned_alloc(64, nb * sizeof(struct fdb_bucket));
	if (!fdb->buckets) {
		free(fdb);
		return -ENOMEM;
	}
	memset(fdb->buckets, 0, nb * sizeof(struct fdb_bucket));
	fdb->mask = nb - 1;
	fdb->max_entries = max_entries;
	atomic_init(&fdb->aging_ms, aging_ms);
	*out = fdb;
	return 0;
}

void fdb_destroy(struct fdb *fdb)
{
	if (!fdb)
		return;
	free(fdb->buckets);
	free(fdb);
}

void fdb_set_aging(struct fdb *fdb, uint64_t aging_ms)
{
	atomic_store_explicit(&fdb->aging_ms, aging_ms, memory_order_relaxed);
}

uint64_t fdb_get_aging(const struct fdb *fdb)
{
	return atomic_load_explicit(&fdb->aging_ms, memory_order_relaxed);
}

uint32_t fdb_max_entries(const struct fdb *fdb)
{
	return fdb->max_entries;
}

int fdb_set_port_limit(struct fdb *fdb, unsigned port, uint32_t limit)
{
	if (port >= FDB_MAX_PORTS)
		return -EINVAL;
	atomic_store_explicit(&fdb->port_limit[port], limit, memory_order_relaxed);
	return 0;
}

/* Writer side of the bucket sequence lock. */
static bool bucket_trylock(struct fdb_bucket *b)
{
	uint32_t s = atomic_load_explicit(&b->seq, memory_order_relaxed);

	if (s & 1)
		return false;
	if (!atomic_compare_exchange_strong_explicit(&b->seq, &s, s + 1, memory_order_acquire,
						     memory_order_relaxed))
		return false;
	/* Order the odd sequence before the slot stores below. */
	atomic_thread_fence(memory_order_release);
	return true;
}

static void bucket_lock(struct fdb_bucket *b)
{
	while (!bucket_trylock(b))
		;
}

static void bucket_unlock(struct fdb_bucket *b)
{
	uint32_t s = atomic_load_explicit(&b->seq, memory_order_relaxed);

	atomic_store_explicit(&b->seq, s + 1, memory_order_release);
}

/* Slot index holding key, or -1. Caller holds the bucket or validates the
 * sequence afterwards. */
static int bucket_find(const struct fdb_bucket *b, uint64_t key)
{
	for (int i = 0; i < FDB_BUCKET_SLOTS; i++)
		if (atomic_load_explicit(&b->key[i], memory_order_relaxed) == key)
			return i;
	return -1;
}

int fdb_lookup(const struct fdb *fdb, uint16_t vlan, const uint8_t mac[6])
{
	uint64_t key = fdb_key(vlan, mac);
	struct fdb_bucket *b = fdb_bucket_of(fdb, key);

	/* fdb_key keeps 12 bits: VLAN 4106 must not find VLAN 10's entry. */
	if (vlan > 4095)
		return -1;
	for (int tries = 0; tries < FDB_READ_RETRIES; tries++) {
		uint32_t s1 = atomic_load_explicit(&b->seq, memory_order_acquire);
		int port = -1, i;

		if (s1 & 1)
			continue;
		i = bucket_find(b, key);
		if (i >= 0)
			port = atomic_load_explicit(&b->port[i], memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&b->seq, memory_order_relaxed) == s1)
			return port;
	}
	return -1;
}

/* Reserves one unit of a counter bounded by limit (0 = unbounded). */
static bool counter_take(_Atomic uint32_t *c, uint32_t limit)
{
	uint32_t old = atomic_fetch_add_explicit(c, 1, memory_order_relaxed);

	if (limit && old >= limit) {
		atomic_fetch_sub_explicit(c, 1, memory_order_relaxed);
		return false;
	}
	return true;
}

static void counter_put(_Atomic uint32_t *c)
{
	atomic_fetch_sub_explicit(c, 1, memory_order_relaxed);
}

static void slot_refresh(struct fdb_bucket *b, int i, uint64_t now_ms)
{
	uint64_t seen = atomic_load_explicit(&b->seen[i], memory_order_relaxed);

	if (now_ms >= seen + FDB_REFRESH_MS)
		atomic_store_explicit(&b->seen[i], now_ms, memory_order_relaxed);
}

/* Learning with the bucket held. */
static enum fdb_learn_result learn_locked(struct fdb *fdb, struct fdb_bucket *b, uint64_t key,
					  unsigned port, uint64_t now_ms)
{
	uint32_t limit = atomic_load_explicit(&fdb->port_limit[port], memory_order_relaxed);
	int i = bucket_find(b, key);

	if (i >= 0) {
		unsigned old = atomic_load_explicit(&b->port[i], memory_order_relaxed);

		if (old == port) {
			slot_refresh(b, i, now_ms);
			return FDB_LEARN_REFRESHED;
		}
		if (atomic_load_explicit(&b->flags[i], memory_order_relaxed) & FDB_F_STATIC)
			return FDB_LEARN_STATIC;
		if (!counter_take(&fdb->port_count[port], limit))
			return FDB_LEARN_LIMIT;
		counter_put(&fdb->port_count[old]);
		atomic_store_explicit(&b->port[i], (uint16_t)port, memory_order_relaxed);
		atomic_store_explicit(&b->seen[i], now_ms, memory_order_relaxed);
		return FDB_LEARN_MOVED;
	}
	for (i = 0; i < FDB_BUCKET_SLOTS; i++)
		if (atomic_load_explicit(&b->key[i], memory_order_relaxed) == 0)
			break;
	if (i == FDB_BUCKET_SLOTS)
		return FDB_LEARN_FULL;
	if (!counter_take(&fdb->count, fdb->max_entries))
		return FDB_LEARN_FULL;
	if (!counter_take(&fdb->port_count[port], limit)) {
		counter_put(&fdb->count);
		return FDB_LEARN_LIMIT;
	}
	atomic_store_explicit(&b->port[i], (uint16_t)port, memory_order_relaxed);
	atomic_store_explicit(&b->flags[i], 0, memory_order_relaxed);
	atomic_store_explicit(&b->seen[i], now_ms, memory_order_relaxed);
	atomic_store_explicit(&b->key[i], key, memory_order_relaxed);
	return FDB_LEARN_NEW;
}

enum fdb_learn_result fdb_learn(struct fdb *fdb, uint16_t vlan, const uint8_t mac[6], unsigned port,
				uint64_t now_ms)
{
	enum fdb_learn_result r;
	struct fdb_bucket *b;
	uint64_t key;
	int i;

	if (port >= FDB_MAX_PORTS || vlan > 4095 || !fdb_mac_learnable(mac))
		return FDB_LEARN_INVALID;
	key = fdb_key(vlan, mac);
	b = fdb_bucket_of(fdb, key);
	/* Fast path: already known on this port. A torn read here only costs a
	 * trip through the locked path. */
	i = bucket_find(b, key);
	if (i >= 0 && atomic_load_explicit(&b->port[i], memory_order_relaxed) == port) {
		slot_refresh(b, i, now_ms);
		return FDB_LEARN_REFRESHED;
	}
	if (!bucket_trylock(b))
		return FDB_LEARN_BUSY;
	r = learn_locked(fdb, b, key, port, now_ms);
	bucket_unlock(b);
	return r;
}

static void slot_clear(struct fdb *fdb, struct fdb_bucket *b, int i)
{
	if (!(atomic_load_explicit(&b->flags[i], memory_order_relaxed) & FDB_F_STATIC))
		counter_put(
		    &fdb->port_count[atomic_load_explicit(&b->port[i], memory_order_relaxed)]);
	atomic_store_explicit(&b->key[i], 0, memory_order_relaxed);
	atomic_store_explicit(&b->flags[i], 0, memory_order_relaxed);
	counter_put(&fdb->count);
}

int fdb_add_static(struct fdb *fdb, uint16_t vlan, const uint8_t mac[6], unsigned port)
{
	struct fdb_bucket *b;
	uint64_t key;
	int i, ret = 0;

	if (port >= FDB_MAX_PORTS || vlan > 4095 || !fdb_mac_learnable(mac))
		return -EINVAL;
	key = fdb_key(vlan, mac);
	b = fdb_bucket_of(fdb, key);
	bucket_lock(b);
	i = bucket_find(b, key);
	if (i >= 0) {
		if (!(atomic_load_explicit(&b->flags[i], memory_order_relaxed) & FDB_F_STATIC))
			counter_put(&fdb->port_count[atomic_load_explicit(&b->port[i],
									  memory_order_relaxed)]);
	} else {
		for (i = 0; i < FDB_BUCKET_SLOTS; i++)
			if (atomic_load_explicit(&b->key[i], memory_order_relaxed) == 0)
				break;
		if (i == FDB_BUCKET_SLOTS || !counter_take(&fdb->count, fdb->max_entries)) {
			ret = -ENOSPC;
			goto out_unlock;
		}
	}
	atomic_store_explicit(&b->port[i], (uint16_t)port, memory_order_relaxed);
	atomic_store_explicit(&b->flags[i], FDB_F_STATIC, memory_order_relaxed);
	atomic_store_explicit(&b->seen[i], 0, memory_order_relaxed);
	atomic_store_explicit(&b->key[i], key, memory_order_relaxed);
out_unlock:
	bucket_unlock(b);
	return ret;
}

int fdb_del(struct fdb *fdb, uint16_t vlan, const uint8_t mac[6])
{
	uint64_t key = fdb_key(vlan, mac);
	struct fdb_bucket *b = fdb_bucket_of(fdb, key);
	int i;

	if (vlan > 4095)
		return -ENOENT;
	bucket_lock(b);
	i = bucket_find(b, key);
	if (i >= 0)
		slot_clear(fdb, b, i);
	bucket_unlock(b);
	return i >= 0 ? 0 : -ENOENT;
}

/* Removes slots for which match() is true; returns how many. */
static unsigned fdb_sweep(struct fdb *fdb, bool (*match)(struct fdb_bucket *b, int i, void *arg),
			  void *arg)
{
	unsigned removed = 0;

	for (uint64_t n = 0; n <= fdb->mask; n++) {
		struct fdb_bucket *b = &fdb->buckets[n];
		bool any = false;

		for (int i = 0; i < FDB_BUCKET_SLOTS && !any; i++)
			any = atomic_load_explicit(&b->key[i], memory_order_relaxed) != 0;
		if (!any)
			continue;
		bucket_lock(b);
		for (int i = 0; i < FDB_BUCKET_SLOTS; i++) {
			if (atomic_load_explicit(&b->key[i], memory_order_relaxed) &&
			    match(b, i, arg)) {
				slot_clear(fdb, b, i);
				removed++;
			}
		}
		bucket_unlock(b);
	}
	return removed;
}

struct flush_arg {
	int port;
	bool with_static;
};

static bool flush_match(struct fdb_bucket *b, int i, void *arg)
{
	const struct flush_arg *a = arg;

	if (!a->with_static &&
	    (atomic_load_explicit(&b->flags[i], memory_order_relaxed) & FDB_F_STATIC))
		return false;
	return a->port < 0 || atomic_load_explicit(&b->port[i], memory_order_relaxed) == a->port;
}

unsigned fdb_flush(struct fdb *fdb, int port, bool with_static)
{
	struct flush_arg a = {.port = port, .with_static = with_static};

	return fdb_sweep(fdb, flush_match, &a);
}

struct age_arg {
	uint64_t now_ms, aging_ms;
};

static bool age_match(struct fdb_bucket *b, int i, void *arg)
{
	const struct age_arg *a = arg;
	uint64_t seen = atomic_load_explicit(&b->seen[i], memory_order_relaxed);

	if (atomic_load_explicit(&b->flags[i], memory_order_relaxed) & FDB_F_STATIC)
		return false;
	return a->now_ms > seen && a->now_ms - seen > a->aging_ms;
}

unsigned fdb_age(struct fdb *fdb, uint64_t now_ms)
{
	struct age_arg a = {.now_ms = now_ms, .aging_ms = fdb_get_aging(fdb)};

	if (a.aging_ms == 0)
		return 0;
	return fdb_sweep(fdb, age_match, &a);
}

uint32_t fdb_count(const struct fdb *fdb)
{
	return atomic_load_explicit(&fdb->count, memory_order_relaxed);
}

uint32_t fdb_port_count(const struct fdb *fdb, unsigned port)
{
	if (port >= FDB_MAX_PORTS)
		return 0;
	return atomic_load_explicit(&fdb->port_count[port], memory_order_relaxed);
}

/* Copies slot i of b into e if the bucket stayed stable; false if the slot
 * is empty (or kept changing). */
static bool slot_snapshot(const struct fdb_bucket *b, int i, struct fdb_entry *e)
{
	for (int tries = 0; tries < FDB_READ_RETRIES; tries++) {
		uint32_t s1 = atomic_load_explicit(&b->seq, memory_order_acquire);
		uint64_t key;

		if (s1 & 1)
			continue;
		key = atomic_load_explicit(&b->key[i], memory_order_relaxed);
		e->port = atomic_load_explicit(&b->port[i], memory_order_relaxed);
		e->is_static =
		    atomic_load_explicit(&b->flags[i], memory_order_relaxed) & FDB_F_STATIC;
		e->last_seen_ms = atomic_load_explicit(&b->seen[i], memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&b->seq, memory_order_relaxed) != s1)
			continue;
		if (!key)
			return false;
		fdb_key_split(key, &e->vlan, e->mac);
		return true;
	}
	return false;
}

int fdb_walk(const struct fdb *fdb, int (*fn)(const struct fdb_entry *e, void *arg), void *arg)
{
	for (uint64_t n = 0; n <= fdb->mask; n++) {
		for (int i = 0; i < FDB_BUCKET_SLOTS; i++) {
			struct fdb_entry e;
			int ret;

			if (!slot_snapshot(&fdb->buckets[n], i, &e))
				continue;
			ret = fn(&e, arg);
			if (ret)
				return ret;
		}
	}
	return 0;
}

const char *fdb_learn_result_name(enum fdb_learn_result r)
{
	static const char *const names[] = {
	    [FDB_LEARN_REFRESHED] = "refreshed", [FDB_LEARN_NEW] = "new",
	    [FDB_LEARN_MOVED] = "moved",	 [FDB_LEARN_STATIC] = "static",
	    [FDB_LEARN_LIMIT] = "limit",	 [FDB_LEARN_FULL] = "full",
	    [FDB_LEARN_BUSY] = "busy",		 [FDB_LEARN_INVALID] = "invalid",
	};

	if ((unsigned)r >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[r];
}
