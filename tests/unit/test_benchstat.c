/* SPDX-License-Identifier: MIT */
/* Unit tests for guest/benchstat.c: the latency histogram of nfguest's
 * benchsink, the NTP-style clock offset, the frames a paced trial owed and
 * the search's next rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "guest/benchstat.h"

/* Every value lands in a bucket whose middle is within 1/64 of it (exact
 * below 64), buckets are monotonic and cover all of uint64_t. */
static void test_hist_buckets(void **state)
{
	static const uint64_t samples[] = {0,
					   1,
					   63,
					   64,
					   65,
					   127,
					   128,
					   1000,
					   4095,
					   4096,
					   123456,
					   1u << 31,
					   10000000019ull,
					   ~0ull >> 1,
					   ~0ull};
	unsigned int prev = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		uint64_t v = samples[i], mid;
		unsigned int b = bs_hist_bucket(v);

		assert_true(b < BS_HIST_BUCKETS);
		assert_true(b >= prev);
		prev = b;
		mid = bs_hist_value(b);
		if (v < 64)
			assert_int_equal(mid, v);
		else
			assert_true((mid > v ? mid - v : v - mid) <= v / 64 + 1);
	}
	assert_int_equal(bs_hist_bucket(~0ull), BS_HIST_BUCKETS - 1);
	/* consecutive values never skip a bucket */
	for (uint64_t v = 1; v < 100000; v++)
		assert_true(bs_hist_bucket(v) - bs_hist_bucket(v - 1) <= 1);
}

/* Nearest-rank percentiles of 1..1000 (one value each): P50 = 500,
 * P99.9 = 999, each within the bucket error. */
static void test_hist_percentiles(void **state)
{
	static uint64_t hist[BS_HIST_BUCKETS];
	uint64_t v;

	(void)state;
	memset(hist, 0, sizeof(hist));
	assert_int_equal(bs_hist_pct(hist, 0, 500), 0);
	for (v = 1; v <= 1000; v++)
		hist[bs_hist_bucket(v)]++;
	v = bs_hist_pct(hist, 1000, 500);
	assert_true(v >= 500 - 500 / 64 && v <= 500 + 500 / 64 + 1);
	v = bs_hist_pct(hist, 1000, 999);
	assert_true(v >= 999 - 999 / 64 && v <= 999 + 999 / 64 + 1);
	assert_true(bs_hist_pct(hist, 1000, 900) <= bs_hist_pct(hist, 1000, 990));
	/* one sample: every percentile is it */
	memset(hist, 0, sizeof(hist));
	hist[bs_hist_bucket(40)]++;
	assert_int_equal(bs_hist_pct(hist, 1, 1), 40);
	assert_int_equal(bs_hist_pct(hist, 1, 999), 40);
}

/* Clock B = A + 1,000,000; 100 ticks each way, 10 ticks turnaround: the
 * offset is exact. 100 there and 300 back: off by half the asymmetry. B
 * behind A works modulo 2^64. */
static void test_clock_offset(void **state)
{
	uint64_t off = 0, rtt = 0;

	(void)state;
	assert_int_equal(bs_clock_offset(5000, 1005100, 1005110, 5210, &off, &rtt), 0);
	assert_int_equal(off, 1000000);
	assert_int_equal(rtt, 200);
	assert_int_equal(bs_clock_offset(5000, 1005100, 1005110, 5410, &off, &rtt), 0);
	assert_int_equal(off, 1000000 - 100);
	assert_int_equal(rtt, 400);
	/* B = A - 7000 */
	assert_int_equal(bs_clock_offset(10000, 3100, 3110, 10210, &off, &rtt), 0);
	assert_int_equal(off, (uint64_t)0 - 7000);
	assert_int_equal(5000 + off, (uint64_t)(5000 - 7000));
	/* inconsistent: reply sent before received, or round trip < turnaround */
	off = rtt = 42;
	assert_int_equal(bs_clock_offset(0, 100, 90, 300, &off, &rtt), -1);
	assert_int_equal(bs_clock_offset(0, 100, 500, 300, &off, &rtt), -1);
	assert_int_equal(off, 42);
	assert_int_equal(rtt, 42);
}

/* 10,000 frames/s for 0.5 s owes 5000: 4990 offered is within the slack
 * of 32, 4000 owes 1000; unpaced trials owe nothing. */
static void test_late(void **state)
{
	(void)state;
	assert_int_equal(bs_late(10000, 500000, 5000, 32), 0);
	assert_int_equal(bs_late(10000, 500000, 4990, 32), 0);
	assert_int_equal(bs_late(10000, 500000, 4000, 32), 1000);
	assert_int_equal(bs_late(0, 500000, 10, 32), 0);
	assert_int_equal(bs_late(1000000000, 3600000000ull, 0, 32), 3600000000000ull);
}

/* Bisection, but at most a doubling above a passing rate. */
static void test_next_rate(void **state)
{
	(void)state;
	assert_int_equal(bs_next_rate(0, 1000), 500);
	assert_int_equal(bs_next_rate(100, 1000000), 200);
	assert_int_equal(bs_next_rate(400, 1000), 700);
	assert_int_equal(bs_next_rate(999, 1000), 999);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hist_buckets), cmocka_unit_test(test_hist_percentiles),
	    cmocka_unit_test(test_clock_offset), cmocka_unit_test(test_late),
	    cmocka_unit_test(test_next_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
