/* SPDX-License-Identifier: MIT */
/* Forwarding decision: VLAN classification (access/trunk), learning then
 * unicast, flooding without hair-pin, VLAN isolation, MAC limits, tag
 * push/pop on plain buffers, the flood rate limiter, VLAN syntax. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/l2.h"

struct env {
	struct fdb *fdb;
	struct l2 *l2;
};

static const uint8_t mac_a[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t mac_b[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x0b};
static const uint8_t mac_c[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x0c};
static const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mac_mcast[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};

/* Builds an (optionally tagged) IPv4 frame of 64 bytes; returns its length. */
static uint32_t frame(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], int vlan)
{
	uint32_t off = 12;

	memset(buf, 0xee, 64);
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	if (vlan >= 0) {
		buf[off++] = 0x81;
		buf[off++] = 0x00;
		buf[off++] = (uint8_t)(vlan >> 8);
		buf[off++] = (uint8_t)vlan;
	}
	buf[off++] = 0x08;
	buf[off++] = 0x00;
	return 64;
}

static void attach(struct env *e, unsigned port, const char *spec)
{
	struct l2_port_cfg cfg;

	assert_int_equal(l2_parse_vlan(spec, &cfg), 0);
	assert_int_equal(l2_port_attach(e->l2, port, &cfg), 0);
	l2_port_set_up(e->l2, port, true);
}

/* Ports: 0,1,2 access VLAN 10; 3 access VLAN 20; 4 trunk 10,20; 5 trunk 30. */
static int setup(void **state)
{
	static struct env e;

	if (fdb_create(1024, 300000, &e.fdb) || l2_create(e.fdb, &e.l2))
		return -1;
	attach(&e, 0, "access:10");
	attach(&e, 1, "access:10");
	attach(&e, 2, "access:10");
	attach(&e, 3, "access:20");
	attach(&e, 4, "trunk:10,20");
	attach(&e, 5, "trunk:30");
	*state = &e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	l2_destroy(e->l2);
	fdb_destroy(e->fdb);
	return 0;
}

#define P(n) (1ull << (n))

static void test_flood_then_unicast(void **state)
{
	struct env *e = *state;
	struct l2_verdict v;
	uint8_t buf[64];

	/* a -> b unknown: flood to VLAN 10 members except the ingress. */
	l2_decide(e->l2, 0, buf, frame(buf, mac_b, mac_a, -1), 1000, &v);
	assert_int_equal(v.drop, L2_FWD);
	assert_true(v.flood);
	assert_int_equal(v.vlan, 10);
	assert_false(v.in_tagged);
	assert_int_equal(v.learn, FDB_LEARN_NEW);
	assert_int_equal(v.out_mask, P(1) | P(2) | P(4));
	/* b answers a: unicast to port 0 only, b learned on 1. */
	l2_decide(e->l2, 1, buf, frame(buf, mac_a, mac_b, -1), 1001, &v);
	assert_false(v.flood);
	assert_int_equal(v.out_mask, P(0));
	/* now a -> b is unicast too */
	l2_decide(e->l2, 0, buf, frame(buf, mac_b, mac_a, -1), 1002, &v);
	assert_int_equal(v.out_mask, P(1));
	assert_int_equal(v.learn, FDB_LEARN_REFRESHED);
}

static void test_bcast_mcast(void **state)
{
	struct env *e = *state;
	struct l2_verdict v;
	uint8_t buf[64];

	l2_decide(e->l2, 2, buf, frame(buf, mac_bcast, mac_c, -1), 0, &v);
	assert_true(v.flood);
	assert_int_equal(v.out_mask, P(0) | P(1) | P(4));
	l2_decide(e->l2, 2, buf, frame(buf, mac_mcast, mac_c, -1), 0, &v);
	assert_true(v.flood);
	assert_int_equal(v.out_mask, P(0) | P(1) | P(4));
	/* A multicast *source* is never learned but the frame still goes. */
	l2_decide(e->l2, 2, buf, frame(buf, mac_bcast, mac_mcast, -1), 0, &v);
	assert_int_equal(v.learn, FDB_LEARN_INVALID);
	assert_int_equal(v.drop, L2_FWD);
}

static void test_no_hairpin(void **state)
{
	struct env *e = *state;
	struct l2_verdict v;
	uint8_t buf[64];

	l2_decide(e->l2, 0, buf, frame(buf, mac_bcast, mac_a, -1), 0, &v);
	l2_decide(e->l2, 0, buf, frame(buf, mac_bcast, mac_b, -1), 0, &v);
	/* a and b both behind port 0: a -> b must not go back out port 0. */
	l2_decide(e->l2, 0, buf, frame(buf, mac_b, mac_a, -1), 0, &v);
	assert_int_equal(v.out_mask, 0);
	assert_int_equal(v.drop, L2_DROP_NO_DEST);
}

static void test_vlan_isolation(void **state)
{
	struct env *e = *state;
	struct l2_verdict v;
	uint8_t buf[64];

	/* Broadcast on VLAN 20 access port reaches only the VLAN 20 trunk. */
	l2_decide(e->l2, 3, buf, frame(buf, mac_bcast, mac_a, -1), 0, &v);
	assert_int_equal(v.vlan, 20);
	assert_int_equal(v.out_mask, P(4));
	/* a learned on VLAN 20 at port 3 does not affect VLAN 10. */
	l2_decide(e->l2, 1, buf, frame(buf, mac_a, mac_b, -1), 0, &v);
	assert_true(v.flood);
	assert_int_equal(v.out_mask, P(0) | P(2) | P(4));
	/* Tagged frames on access ports are dropped. */
	l2_decide(e->l2, 0, buf, frame(buf, mac_bcast, mac_a, 10), 0, &v);
	assert_int_equal(v.drop, L2_DROP_VLAN);
	assert_int_equal(v.out_mask, 0);
}

static void test_trunk(void **state)
{
	struct env *e = *state;
	struct l2_verdict v;
	uint8_t buf[64];

	l2_decide(e->l2, 4, buf, frame(buf, mac_bcast, mac_c, 20), 0, &v);
	assert_int_equal(v.drop, L2_FWD);
	assert_true(v.in_tagged);
	assert_int_equal(v.vlan, 20);
	assert_int_equal(v.out_mask, P(3));
	l2_decide(e->l2, 4, buf, frame(buf, mac_bcast, mac_c, 10), 0, &v);
	assert_int_equal(v.out_mask, P(0) | P(1) | P(2));
	/* VID not allowed, and untagged on a trunk: VLAN filter. */
	l2_decide(e->l2, 4, buf, frame(buf, mac_bcast, mac_c, 30), 0, &v);
	assert_int_equal(v.drop, L2_DROP_VLAN);
	l2_decide(e->l2, 4, buf, frame(buf, mac_bcast, mac_c, -1), 0, &v);
	assert_int_equal(v.drop, L2_DROP_VLAN);
	/* VLAN 30 has no other member up. */
	l2_decide(e->l2, 5, buf, frame(buf, mac_bcast, mac_c, 30), 0, &v);
	assert_int_equal(v.drop, L2_DROP_NO_DEST);
	assert_true(l2_port_tagged(e->l2, 4));
	assert_false(l2_port_tagged(e->l2, 0));
}

static void test_runt(void **state)
{
	struct env *e = *state;
	struct l2_verdict v;
	uint8_t buf[64];

	frame(buf, mac_bcast, mac_a, 10);
	l2_decide(e->l2, 0, buf, 13, 0, &v);
	assert_int_equal(v.drop, L2_DROP_RUNT);
	l2_decide(e->l2, 4, buf, 17, 0, &v);
	assert_int_equal(v.drop, L2_DROP_RUNT);
	l2_decide(e->l2, L2_MAX_PORTS, buf, 64, 0, &v);
	assert_int_equal(v.drop, L2_DROP_RUNT);
}

static void test_port_down_and_detach(void **state)
{
	struct env *e = *state;
	struct l2_port_cfg cfg;
	struct l2_verdict v;
	uint8_t buf[64];

	l2_decide(e->l2, 1, buf, frame(buf, mac_bcast, mac_b, -1), 0, &v);
	l2_port_set_up(e->l2, 2, false);
	l2_decide(e->l2, 0, buf, frame(buf, mac_bcast, mac_a, -1), 0, &v);
	assert_int_equal(v.out_mask, P(1) | P(4));
	/* Known destination whose port is down: dropped, not flooded. */
	l2_port_set_up(e->l2, 1, false);
	l2_decide(e->l2, 0, buf, frame(buf, mac_b, mac_a, -1), 0, &v);
	assert_int_equal(v.out_mask, 0);
	assert_int_equal(v.drop, L2_DROP_NO_DEST);
	l2_port_set_up(e->l2, 1, true);
	l2_port_set_up(e->l2, 2, true);
	/* Detach takes the port out of its VLANs; re-attach needs detach. */
	assert_int_equal(l2_parse_vlan("access:10", &cfg), 0);
	assert_int_equal(l2_port_attach(e->l2, 2, &cfg), -EBUSY);
	l2_port_detach(e->l2, 2);
	assert_false(l2_port_is_up(e->l2, 2));
	l2_decide(e->l2, 0, buf, frame(buf, mac_bcast, mac_a, -1), 0, &v);
	assert_int_equal(v.out_mask, P(1) | P(4));
	assert_int_equal(l2_parse_vlan("access:20", &cfg), 0);
	assert_int_equal(l2_port_attach(e->l2, 2, &cfg), 0);
	l2_port_set_up(e->l2, 2, true);
	l2_decide(e->l2, 3, buf, frame(buf, mac_bcast, mac_c, -1), 0, &v);
	assert_int_equal(v.out_mask, P(2) | P(4));
	/* Out-of-range ports are refused before any bit is computed (no
	 * 64-bit shift by >= 64 under UBSan) and change nothing. */
	assert_int_equal(l2_port_attach(e->l2, L2_MAX_PORTS, &cfg), -EINVAL);
	assert_int_equal(l2_port_attach(e->l2, 200, &cfg), -EINVAL);
	l2_port_detach(e->l2, L2_MAX_PORTS);
	l2_port_detach(e->l2, 200);
	l2_decide(e->l2, 3, buf, frame(buf, mac_bcast, mac_c, -1), 0, &v);
	assert_int_equal(v.out_mask, P(2) | P(4));
}

static void test_mac_limit(void **state)
{
	struct env *e = *state;
	struct l2_verdict v;
	uint8_t buf[64];

	assert_int_equal(fdb_set_port_limit(e->fdb, 2, 1), 0);
	l2_decide(e->l2, 2, buf, frame(buf, mac_bcast, mac_a, -1), 0, &v);
	assert_int_equal(v.drop, L2_FWD);
	l2_decide(e->l2, 2, buf, frame(buf, mac_bcast, mac_b, -1), 0, &v);
	assert_int_equal(v.drop, L2_DROP_MAC_LIMIT);
	assert_int_equal(v.out_mask, 0);
	/* Static binding of c to port 1: c spoofed from port 0 is refused. */
	assert_int_equal(fdb_add_static(e->fdb, 10, mac_c, 1), 0);
	l2_decide(e->l2, 0, buf, frame(buf, mac_bcast, mac_c, -1), 0, &v);
	assert_int_equal(v.drop, L2_DROP_MAC_LIMIT);
	l2_decide(e->l2, 0, buf, frame(buf, mac_c, mac_b, -1), 0, &v);
	assert_int_equal(v.out_mask, P(1));
}

static void test_mac_move(void **state)
{
	struct env *e = *state;
	struct l2_verdict v;
	uint8_t buf[64];

	l2_decide(e->l2, 0, buf, frame(buf, mac_bcast, mac_a, -1), 0, &v);
	l2_decide(e->l2, 1, buf, frame(buf, mac_a, mac_b, -1), 0, &v);
	assert_int_equal(v.out_mask, P(0));
	/* a moves behind the trunk (tagged VLAN 10). */
	l2_decide(e->l2, 4, buf, frame(buf, mac_bcast, mac_a, 10), 5, &v);
	assert_int_equal(v.learn, FDB_LEARN_MOVED);
	l2_decide(e->l2, 1, buf, frame(buf, mac_a, mac_b, -1), 6, &v);
	assert_int_equal(v.out_mask, P(4));
}

/* The burst cache gives the same verdicts as the uncached decision, learns
 * once per source, and sees destinations learned earlier in the burst. */
static void test_burst_cache(void **state)
{
	struct env *e = *state;
	struct l2_verdict v, w;
	struct l2_cache c;
	uint8_t buf[64];

	l2_cache_reset(&c);
	l2_decide_cached(e->l2, &c, 0, buf, frame(buf, mac_b, mac_a, -1), 0, &v);
	assert_true(v.flood);
	assert_int_equal(v.learn, FDB_LEARN_NEW);
	l2_decide_cached(e->l2, &c, 0, buf, frame(buf, mac_b, mac_a, -1), 0, &v);
	assert_true(v.flood);
	assert_int_equal(v.learn, FDB_LEARN_REFRESHED);
	/* b appears on port 1 within the same burst (other queue, same cache
	 * object in a test): a -> b is now unicast. */
	l2_decide_cached(e->l2, &c, 1, buf, frame(buf, mac_a, mac_b, -1), 0, &v);
	assert_int_equal(v.out_mask, P(0));
	l2_decide_cached(e->l2, &c, 0, buf, frame(buf, mac_b, mac_a, -1), 0, &v);
	l2_decide(e->l2, 0, buf, frame(buf, mac_b, mac_a, -1), 0, &w);
	assert_int_equal(v.out_mask, P(1));
	assert_int_equal(w.out_mask, P(1));
	/* A refused source stays refused for the whole burst. */
	assert_int_equal(fdb_set_port_limit(e->fdb, 2, 1), 0);
	l2_cache_reset(&c);
	l2_decide_cached(e->l2, &c, 2, buf, frame(buf, mac_bcast, mac_c, -1), 0, &v);
	assert_int_equal(v.drop, L2_FWD);
	for (int i = 0; i < 3; i++) {
		l2_decide_cached(e->l2, &c, 2, buf, frame(buf, mac_bcast, mac_mcast, -1), 0, &v);
		l2_decide_cached(e->l2, &c, 2, buf,
				 frame(buf, mac_a, (const uint8_t[6]){2, 0, 0, 0, 0, 9}, -1), 0,
				 &v);
		assert_int_equal(v.drop, L2_DROP_MAC_LIMIT);
	}
}

static void test_tag_ops(void **state)
{
	uint8_t buf[68], ref[64];

	/* push: untagged frame at buf+4 becomes tagged at buf */
	frame(ref, mac_b, mac_a, -1);
	memcpy(buf + 4, ref, 64);
	l2_tag_push(buf, 0x123);
	assert_memory_equal(buf, mac_b, 6);
	assert_memory_equal(buf + 6, mac_a, 6);
	assert_int_equal(buf[12], 0x81);
	assert_int_equal(buf[13], 0x00);
	assert_int_equal(buf[14], 0x01);
	assert_int_equal(buf[15], 0x23);
	assert_memory_equal(buf + 16, ref + 12, 52);
	/* pop restores the original at buf+4 */
	l2_tag_pop(buf);
	assert_memory_equal(buf + 4, ref, 64);
}

static void test_parse_vlan(void **state)
{
	struct l2_port_cfg cfg;
	char out[64];

	assert_int_equal(l2_parse_vlan("access:4094", &cfg), 0);
	assert_int_equal(cfg.access_vlan, 4094);
	l2_format_vlan(&cfg, out, sizeof(out));
	assert_string_equal(out, "access:4094");
	assert_int_equal(l2_parse_vlan("trunk:10,20,30-33,4094", &cfg), 0);
	assert_true(l2_cfg_allows(&cfg, 31));
	assert_false(l2_cfg_allows(&cfg, 34));
	assert_false(l2_cfg_allows(&cfg, 0));
	l2_format_vlan(&cfg, out, sizeof(out));
	assert_string_equal(out, "trunk:10,20,30-33,4094");
	assert_int_equal(l2_parse_vlan("access:0", &cfg), -EINVAL);
	assert_int_equal(l2_parse_vlan("access:4095", &cfg), -EINVAL);
	assert_int_equal(l2_parse_vlan("access:", &cfg), -EINVAL);
	assert_int_equal(l2_parse_vlan("access:1x", &cfg), -EINVAL);
	assert_int_equal(l2_parse_vlan("trunk:", &cfg), -EINVAL);
	assert_int_equal(l2_parse_vlan("trunk:10,", &cfg), -EINVAL);
	assert_int_equal(l2_parse_vlan("trunk:20-10", &cfg), -EINVAL);
	assert_int_equal(l2_parse_vlan("trunk:1-5000", &cfg), -EINVAL);
	assert_int_equal(l2_parse_vlan("hybrid:1", &cfg), -EINVAL);
	assert_int_equal(l2_parse_vlan(NULL, &cfg), -EINVAL);
}

static void test_rate(void **state)
{
	struct l2_rate r;
	unsigned ok = 0;

	l2_rate_init(&r, 100, 0);
	/* A full one-second bucket: 100 frames, then nothing at the same time. */
	for (int i = 0; i < 200; i++)
		ok += l2_rate_take(&r, 0);
	assert_int_equal(ok, 100);
	/* 10 ms later: one more frame's credit. */
	assert_true(l2_rate_take(&r, 10000000));
	assert_false(l2_rate_take(&r, 10000000));
	/* Unlimited. */
	l2_rate_init(&r, 0, 0);
	for (int i = 0; i < 1000; i++)
		assert_true(l2_rate_take(&r, 0));
	assert_string_equal(l2_drop_name(L2_DROP_VLAN), "vlan_filter");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_flood_then_unicast, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bcast_mcast, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_hairpin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vlan_isolation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trunk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_runt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port_down_and_detach, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mac_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mac_move, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_burst_cache, setup, teardown),
	    cmocka_unit_test(test_tag_ops),
	    cmocka_unit_test(test_parse_vlan),
	    cmocka_unit_test(test_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
