/* SPDX-License-Identifier: MIT */
/* FDB: learning, lookup, aging with an injected clock, moves, limits, static
 * entries, VLAN isolation, flush, and concurrent learners vs readers. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/fdb.h"

static const uint8_t mac_a[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t mac_b[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x0b};
static const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mac_mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
static const uint8_t mac_zero[6];

static void mac_n(uint8_t mac[6], uint32_t n)
{
	mac[0] = 0x02;
	mac[1] = 0;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static struct fdb *mk(uint32_t size, uint64_t aging)
{
	struct fdb *f = NULL;

	assert_int_equal(fdb_create(size, aging, &f), 0);
	return f;
}

static void test_create_bad(void **state)
{
	struct fdb *f = NULL;

	assert_int_equal(fdb_create(0, 1000, &f), -EINVAL);
	assert_int_equal(fdb_create((1u << 24) + 1, 1000, &f), -EINVAL);
	assert_null(f);
}

static void test_learn_lookup(void **state)
{
	struct fdb *f = mk(1024, FDB_DEFAULT_AGING_MS);

	assert_int_equal(fdb_lookup(f, 10, mac_a), -1);
	assert_int_equal(fdb_learn(f, 10, mac_a, 3, 1000), FDB_LEARN_NEW);
	assert_int_equal(fdb_lookup(f, 10, mac_a), 3);
	assert_int_equal(fdb_learn(f, 10, mac_a, 3, 2000), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_count(f), 1);
	assert_int_equal(fdb_port_count(f, 3), 1);
	assert_int_equal(fdb_lookup(f, 10, mac_b), -1);
	fdb_destroy(f);
}

static void test_invalid_sources(void **state)
{
	struct fdb *f = mk(16, 1000);

	assert_int_equal(fdb_learn(f, 1, mac_bcast, 0, 0), FDB_LEARN_INVALID);
	assert_int_equal(fdb_learn(f, 1, mac_mcast, 0, 0), FDB_LEARN_INVALID);
	assert_int_equal(fdb_learn(f, 1, mac_zero, 0, 0), FDB_LEARN_INVALID);
	assert_int_equal(fdb_learn(f, 1, mac_a, FDB_MAX_PORTS, 0), FDB_LEARN_INVALID);
	assert_int_equal(fdb_learn(f, 4096, mac_a, 0, 0), FDB_LEARN_INVALID);
	assert_int_equal(fdb_count(f), 0);
	assert_int_equal(fdb_add_static(f, 1, mac_bcast, 0), -EINVAL);
	assert_int_equal(fdb_set_port_limit(f, FDB_MAX_PORTS, 1), -EINVAL);
	fdb_destroy(f);
}

static void test_vlan_isolation(void **state)
{
	struct fdb *f = mk(64, 1000);

	assert_int_equal(fdb_learn(f, 10, mac_a, 1, 0), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(f, 20, mac_a, 2, 0), FDB_LEARN_NEW);
	assert_int_equal(fdb_lookup(f, 10, mac_a), 1);
	assert_int_equal(fdb_lookup(f, 20, mac_a), 2);
	assert_int_equal(fdb_lookup(f, 30, mac_a), -1);
	assert_int_equal(fdb_count(f), 2);
	assert_int_equal(fdb_del(f, 10, mac_a), 0);
	assert_int_equal(fdb_lookup(f, 10, mac_a), -1);
	assert_int_equal(fdb_lookup(f, 20, mac_a), 2);
	assert_int_equal(fdb_del(f, 10, mac_a), -ENOENT);
	/* Out-of-range VLANs alias nothing (keys hold 12 bits): 4096 + 20 is
	 * not VLAN 20. */
	assert_int_equal(fdb_lookup(f, 4096 + 20, mac_a), -1);
	assert_int_equal(fdb_del(f, 4096 + 20, mac_a), -ENOENT);
	assert_int_equal(fdb_lookup(f, 20, mac_a), 2);
	fdb_destroy(f);
}

static void test_aging(void **state)
{
	struct fdb *f = mk(64, 300000);

	assert_int_equal(fdb_learn(f, 1, mac_a, 0, 1000), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(f, 1, mac_b, 1, 1000), FDB_LEARN_NEW);
	/* b is refreshed at 200 s, a is not. */
	assert_int_equal(fdb_learn(f, 1, mac_b, 1, 200000), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_age(f, 301000), 0); /* exactly 300 s: still there */
	assert_int_equal(fdb_age(f, 301001), 1);
	assert_int_equal(fdb_lookup(f, 1, mac_a), -1);
	assert_int_equal(fdb_lookup(f, 1, mac_b), 1);
	assert_int_equal(fdb_port_count(f, 0), 0);
	assert_int_equal(fdb_age(f, 500001), 1);
	assert_int_equal(fdb_count(f), 0);
	/* Aging 0 disables it; a new aging time applies to existing entries. */
	assert_int_equal(fdb_learn(f, 1, mac_a, 0, 0), FDB_LEARN_NEW);
	fdb_set_aging(f, 0);
	assert_int_equal(fdb_age(f, 1ull << 40), 0);
	fdb_set_aging(f, 5000);
	assert_int_equal(fdb_get_aging(f), 5000);
	assert_int_equal(fdb_age(f, 5001), 1);
	fdb_destroy(f);
}

static void test_refresh_granularity(void **state)
{
	struct fdb *f = mk(64, 10000);
	struct fdb_entry e;

	assert_int_equal(fdb_learn(f, 1, mac_a, 0, 1000), FDB_LEARN_NEW);
	/* Refreshes within a second do not rewrite the timestamp. */
	assert_int_equal(fdb_learn(f, 1, mac_a, 0, 1500), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_age(f, 11001), 1);
	(void)e;
	fdb_destroy(f);
}

static void test_move(void **state)
{
	struct fdb *f = mk(64, 1000);

	assert_int_equal(fdb_learn(f, 5, mac_a, 1, 0), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(f, 5, mac_a, 2, 10), FDB_LEARN_MOVED);
	assert_int_equal(fdb_lookup(f, 5, mac_a), 2);
	assert_int_equal(fdb_port_count(f, 1), 0);
	assert_int_equal(fdb_port_count(f, 2), 1);
	assert_int_equal(fdb_count(f), 1);
	fdb_destroy(f);
}

static void test_port_limit(void **state)
{
	struct fdb *f = mk(1024, 1000);
	uint8_t m[6];

	assert_int_equal(fdb_set_port_limit(f, 4, 3), 0);
	for (uint32_t i = 0; i < 3; i++) {
		mac_n(m, i + 1);
		assert_int_equal(fdb_learn(f, 1, m, 4, 0), FDB_LEARN_NEW);
	}
	mac_n(m, 100);
	assert_int_equal(fdb_learn(f, 1, m, 4, 0), FDB_LEARN_LIMIT);
	assert_int_equal(fdb_lookup(f, 1, m), -1);
	assert_int_equal(fdb_port_count(f, 4), 3);
	/* Known MACs keep refreshing at the limit; other ports are unaffected. */
	mac_n(m, 1);
	assert_int_equal(fdb_learn(f, 1, m, 4, 5000), FDB_LEARN_REFRESHED);
	mac_n(m, 100);
	assert_int_equal(fdb_learn(f, 1, m, 5, 0), FDB_LEARN_NEW);
	/* A move onto a full port is refused and leaves the entry in place. */
	assert_int_equal(fdb_learn(f, 1, m, 4, 0), FDB_LEARN_LIMIT);
	assert_int_equal(fdb_lookup(f, 1, m), 5);
	/* Aging frees room. */
	assert_int_equal(fdb_age(f, 2001), 3); /* 2,3 on port 4 and 100 on 5 */
	assert_int_equal(fdb_port_count(f, 4), 1);
	mac_n(m, 100);
	assert_int_equal(fdb_learn(f, 1, m, 4, 2001), FDB_LEARN_NEW);
	fdb_destroy(f);
}

static void test_size_limit(void **state)
{
	struct fdb *f = mk(100, 1000);
	uint8_t m[6];
	unsigned learned = 0, full = 0;

	for (uint32_t i = 0; i < 200; i++) {
		enum fdb_learn_result r;

		mac_n(m, i + 1);
		r = fdb_learn(f, 1, m, i % 8, 0);
		if (r == FDB_LEARN_NEW)
			learned++;
		else if (r == FDB_LEARN_FULL)
			full++;
		else
			fail_msg("unexpected result %s", fdb_learn_result_name(r));
	}
	assert_int_equal(learned, 100);
	assert_int_equal(full, 100);
	assert_int_equal(fdb_count(f), 100);
	mac_n(m, 1);
	assert_int_equal(fdb_add_static(f, 2, m, 0), -ENOSPC);
	assert_int_equal(fdb_flush(f, -1, false), 100);
	assert_int_equal(fdb_count(f), 0);
	fdb_destroy(f);
}

static void test_static(void **state)
{
	struct fdb *f = mk(64, 1000);

	assert_int_equal(fdb_set_port_limit(f, 1, 1), 0);
	assert_int_equal(fdb_learn(f, 7, mac_a, 1, 0), FDB_LEARN_NEW);
	/* Converting to static frees the port's dynamic quota. */
	assert_int_equal(fdb_add_static(f, 7, mac_a, 1), 0);
	assert_int_equal(fdb_port_count(f, 1), 0);
	assert_int_equal(fdb_learn(f, 7, mac_b, 1, 0), FDB_LEARN_NEW);
	/* Static entries never move nor age. */
	assert_int_equal(fdb_learn(f, 7, mac_a, 2, 0), FDB_LEARN_STATIC);
	assert_int_equal(fdb_lookup(f, 7, mac_a), 1);
	assert_int_equal(fdb_age(f, 1000000), 1);
	assert_int_equal(fdb_lookup(f, 7, mac_a), 1);
	assert_int_equal(fdb_flush(f, 1, false), 0);
	assert_int_equal(fdb_lookup(f, 7, mac_a), 1);
	assert_int_equal(fdb_flush(f, 1, true), 1);
	assert_int_equal(fdb_lookup(f, 7, mac_a), -1);
	assert_int_equal(fdb_count(f), 0);
	fdb_destroy(f);
}

struct walk_ctx {
	unsigned n, statics;
	uint16_t vlan_sum;
};

static int walk_cb(const struct fdb_entry *e, void *arg)
{
	struct walk_ctx *c = arg;

	c->n++;
	c->statics += e->is_static;
	c->vlan_sum = (uint16_t)(c->vlan_sum + e->vlan);
	assert_true(e->mac[0] == 0x52);
	return 0;
}

static int walk_stop(const struct fdb_entry *e, void *arg)
{
	return 42;
}

static void test_walk_flush_port(void **state)
{
	struct fdb *f = mk(64, 1000);
	struct walk_ctx c = {0};

	assert_int_equal(fdb_learn(f, 1, mac_a, 1, 0), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(f, 2, mac_b, 2, 0), FDB_LEARN_NEW);
	assert_int_equal(fdb_add_static(f, 3, mac_b, 2), 0);
	assert_int_equal(fdb_walk(f, walk_cb, &c), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.statics, 1);
	assert_int_equal(c.vlan_sum, 6);
	assert_int_equal(fdb_walk(f, walk_stop, NULL), 42);
	assert_int_equal(fdb_flush(f, 2, false), 1);
	assert_int_equal(fdb_lookup(f, 1, mac_a), 1);
	assert_int_equal(fdb_lookup(f, 3, mac_b), 2);
	fdb_destroy(f);
}

/* Two learners and a reader hammer the table; lookups must only ever
 * return a port that was really learned for that key (0 or 1). */
struct race {
	struct fdb *f;
	unsigned port;
	int bad;
};

static void *race_learner(void *arg)
{
	struct race *r = arg;
	uint8_t m[6];

	for (uint32_t it = 0; it < 200000; it++) {
		mac_n(m, it % 512 + 1);
		(void)fdb_learn(r->f, 1, m, r->port, it);
		if ((it & 1023) == 0)
			(void)fdb_age(r->f, 0);
	}
	return NULL;
}

static void *race_reader(void *arg)
{
	struct race *r = arg;
	uint8_t m[6];

	for (uint32_t it = 0; it < 400000; it++) {
		int p;

		mac_n(m, it % 512 + 1);
		p = fdb_lookup(r->f, 1, m);
		if (p != -1 && p != 0 && p != 1)
			r->bad++;
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct fdb *f = mk(4096, 1000000);
	struct race a = {f, 0, 0}, b = {f, 1, 0}, rd = {f, 0, 0};
	pthread_t t[3];

	assert_int_equal(pthread_create(&t[0], NULL, race_learner, &a), 0);
	assert_int_equal(pthread_create(&t[1], NULL, race_learner, &b), 0);
	assert_int_equal(pthread_create(&t[2], NULL, race_reader, &rd), 0);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(rd.bad, 0);
	/* Counters stay consistent with the table contents. */
	assert_int_equal(fdb_count(f), 512);
	assert_int_equal(fdb_port_count(f, 0) + fdb_port_count(f, 1), 512);
	fdb_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_bad),
	    cmocka_unit_test(test_learn_lookup),
	    cmocka_unit_test(test_invalid_sources),
	    cmocka_unit_test(test_vlan_isolation),
	    cmocka_unit_test(test_aging),
	    cmocka_unit_test(test_refresh_granularity),
	    cmocka_unit_test(test_move),
	    cmocka_unit_test(test_port_limit),
	    cmocka_unit_test(test_size_limit),
	    cmocka_unit_test(test_static),
	    cmocka_unit_test(test_walk_flush_port),
	    cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
