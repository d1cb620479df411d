// SPDX-License-Identifier: MIT
/* E820 map construction for several memory sizes, including the split
 * around the 32-bit PCI hole. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/e820.h"
#include "vmm/layout.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* The same split vmm/mem.c makes: low RAM up to 3 GiB, the rest at 4 GiB. */
static size_t regions_for(uint64_t size, struct mem_region r[2])
{
	uint64_t low = size < PCI_HOLE_START ? size : PCI_HOLE_START;

	r[0] = (struct mem_region){.gpa = 0, .size = low};
	if (size <= PCI_HOLE_START)
		return 1;
	r[1] = (struct mem_region){.gpa = RAM_ABOVE_4G_START, .size = size - low};
	return 2;
}

static void check_map(uint64_t size)
{
	struct boot_e820_entry e[E820_MAX_ENTRIES];
	struct mem_region r[2];
	size_t nr = regions_for(size, r);
	uint64_t ram = 0, top = 0;
	int n, i;

	n = e820_build(r, nr, e, E820_MAX_ENTRIES);
	assert_int_equal(n, nr == 1 ? 4 : 5);
	for (i = 0; i < n; i++) {
		assert_true(e[i].size > 0);
		assert_true(e[i].addr >= top); /* sorted, no overlap */
		top = e[i].addr + e[i].size;
		if (e[i].type == E820_RAM) {
			ram += e[i].size;
			/* RAM never in the PCI hole. */
			assert_false(e[i].addr < PCI_HOLE_END && top > PCI_HOLE_START);
		} else {
			assert_int_equal(e[i].type, E820_RESERVED);
		}
	}
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].size, LOW_RAM_END);
	assert_int_equal(e[1].addr, EBDA_ADDR);
	assert_int_equal(e[1].addr + e[1].size, HIGH_MEM_START);
	assert_int_equal(e[2].addr, HIGH_MEM_START);
	assert_int_equal(e[2].addr + e[2].size, size < PCI_HOLE_START ? size : PCI_HOLE_START);
	assert_int_equal(e[3].addr, PCI_ECAM_BASE);
	assert_int_equal(e[3].size, PCI_ECAM_SIZE);
	assert_int_equal(e[3].type, E820_RESERVED);
	if (nr == 2) {
		assert_int_equal(e[4].addr, RAM_ABOVE_4G_START);
		assert_int_equal(e[4].size, size - PCI_HOLE_START);
		assert_int_equal(e[4].type, E820_RAM);
	}
	/* All RAM except the EBDA/BIOS area is usable. */
	assert_int_equal(ram, size - (HIGH_MEM_START - EBDA_ADDR));
}

static void test_sizes(void **state)
{
	static const uint64_t sizes[] = {2 * MiB,	    64 * MiB, 256 * MiB,	 1 * GiB,
					 3 * GiB - 2 * MiB, 3 * GiB,  3 * GiB + 2 * MiB, 4 * GiB,
					 8 * GiB,	    64 * GiB};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_map(sizes[i]);
}

static void test_invalid(void **state)
{
	struct boot_e820_entry e[E820_MAX_ENTRIES];
	struct mem_region r[2];

	/* Too small, not at 0, nothing. */
	r[0] = (struct mem_region){.gpa = 0, .size = MiB};
	assert_int_equal(e820_build(r, 1, e, E820_MAX_ENTRIES), -EINVAL);
	r[0] = (struct mem_region){.gpa = 4096, .size = 64 * MiB};
	assert_int_equal(e820_build(r, 1, e, E820_MAX_ENTRIES), -EINVAL);
	assert_int_equal(e820_build(r, 0, e, E820_MAX_ENTRIES), -EINVAL);
	/* RAM in the PCI hole. */
	r[0] = (struct mem_region){.gpa = 0, .size = 3 * GiB + MiB};
	assert_int_equal(e820_build(r, 1, e, E820_MAX_ENTRIES), -EINVAL);
	r[0] = (struct mem_region){.gpa = 0, .size = GiB};
	r[1] = (struct mem_region){.gpa = 3 * GiB + 512 * MiB, .size = GiB};
	assert_int_equal(e820_build(r, 2, e, E820_MAX_ENTRIES), -EINVAL);
	/* Overlapping regions. */
	r[1] = (struct mem_region){.gpa = 512 * MiB, .size = GiB};
	assert_int_equal(e820_build(r, 2, e, E820_MAX_ENTRIES), -EINVAL);
	/* Wrapping region. */
	r[1] = (struct mem_region){.gpa = RAM_ABOVE_4G_START, .size = UINT64_MAX};
	assert_int_equal(e820_build(r, 2, e, E820_MAX_ENTRIES), -EINVAL);
	/* Output too small. */
	regions_for(8 * GiB, r);
	assert_int_equal(e820_build(r, 2, e, 4), -ENOSPC);
	assert_int_equal(e820_build(r, 2, e, 5), 5);
}

static void test_names(void **state)
{
	assert_string_equal(e820_type_name(E820_RAM), "RAM");
	assert_string_equal(e820_type_name(E820_RESERVED), "reserved");
	assert_string_equal(e820_type_name(99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
