// SPDX-License-Identifier: MIT
/* nfguest's memprobe plan (guest/memplan.h): which pages, what pattern. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guest/memplan.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* What nfvisor-vmm gives a 4608 MiB guest: RAM below 640 KiB, 1 MiB-3 GiB
 * and 4 GiB-5.5 GiB around reserved holes. */
static const struct e820_entry big[] = {
    {0, 0x9fc00, E820_RAM},	 {0x9fc00, 0x60400, 2},		  {MiB, 3 * GiB - MiB, E820_RAM},
    {0xe0000000, 0x10000000, 2}, {4 * GiB, 1536 * MiB, E820_RAM},
};

static void test_plan_above_4g(void **state)
{
	uint64_t p[16];
	unsigned int n = memplan_pages(big, 5, 16 * MiB, 64 * GiB, p, 16);

	/* The range below 640 KiB is under the floor; two ranges, 3 pages each. */
	assert_int_equal(n, 6);
	assert_int_equal(p[0], 16 * MiB);
	assert_int_equal(p[2], 3 * GiB - 4096);
	assert_true(p[1] > p[0] && p[1] < p[2] && p[1] % 4096 == 0);
	assert_int_equal(p[3], 4 * GiB);
	assert_int_equal(p[4], 4 * GiB + 768 * MiB - 4096);
	assert_int_equal(p[5], 4 * GiB + 1536 * MiB - 4096);
}

static void test_plan_limits(void **state)
{
	static const struct e820_entry odd[] = {
	    {16 * MiB + 100, 4096, E820_RAM}, /* no whole page inside */
	    {32 * MiB + 100, 8192, E820_RAM}, /* exactly one whole page */
	    {48 * MiB, 2 * 4096, E820_RAM},   /* two pages: first and last */
	    {64 * MiB, 64 * MiB, 3},	      /* ACPI, not RAM */
	    {~0ull - 4095, 8192, E820_RAM},   /* wraps: ignored */
	    {96 * GiB, GiB, E820_RAM},	      /* above the limit */
	};
	uint64_t p[8];
	unsigned int n;

	n = memplan_pages(odd, 6, 16 * MiB, 64 * GiB, p, 8);
	assert_int_equal(n, 3);
	assert_int_equal(p[0], 32 * MiB + 4096);
	assert_int_equal(p[1], 48 * MiB);
	assert_int_equal(p[2], 48 * MiB + 4096);
	/* max bounds the output. */
	assert_int_equal(memplan_pages(big, 5, 16 * MiB, 64 * GiB, p, 4), 4);
	assert_int_equal(p[3], 4 * GiB);
	/* A limit inside a range clips it. */
	n = memplan_pages(big, 5, 16 * MiB, 4 * GiB + 2 * MiB, p, 8);
	assert_int_equal(n, 6);
	assert_int_equal(p[5], 4 * GiB + 2 * MiB - 4096);
	assert_int_equal(memplan_pages(big, 0, 0, 64 * GiB, p, 8), 0);
}

static void test_words_unique(void **state)
{
	uint64_t seen[3 * 512];
	const uint64_t pages[3] = {16 * MiB, 4 * GiB, 4 * GiB + 4096};
	unsigned int i, j, k = 0;

	for (i = 0; i < 3; i++)
		for (j = 0; j < 512; j++)
			seen[k++] = memplan_word(pages[i], j);
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			assert_true(seen[i] != seen[j]);
	/* Deterministic: the same (page, word) always gives the same value. */
	assert_int_equal(memplan_word(4 * GiB, 7), memplan_word(4 * GiB, 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_above_4g),
	    cmocka_unit_test(test_plan_limits),
	    cmocka_unit_test(test_words_unique),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
