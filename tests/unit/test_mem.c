/* SPDX-License-Identifier: MIT */
/* Guest RAM layout around the PCI hole, the checked address gate, the
 * hugepage free-pool check against a fake sysfs tree, and a real (small,
 * non-hugepage) guest_mem round trip. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/layout.h"
#include "vmm/mem.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static void test_layout_small(void **state)
{
	struct mem_region r[2];

	assert_int_equal(guest_mem_layout(256 * MiB, r), 1);
	assert_int_equal(r[0].gpa, 0);
	assert_int_equal(r[0].size, 256 * MiB);
	assert_int_equal(r[0].fd_offset, 0);
	/* Exactly 3 GiB still fits below the hole. */
	assert_int_equal(guest_mem_layout(3 * GiB, r), 1);
	assert_int_equal(r[0].size, 3 * GiB);
}

static void test_layout_split(void **state)
{
	struct mem_region r[2];

	assert_int_equal(guest_mem_layout(3 * GiB + 2 * MiB, r), 2);
	assert_int_equal(r[0].gpa, 0);
	assert_int_equal(r[0].size, PCI_HOLE_START);
	assert_int_equal(r[1].gpa, RAM_ABOVE_4G_START);
	assert_int_equal(r[1].size, 2 * MiB);
	assert_int_equal(r[1].fd_offset, PCI_HOLE_START);
	assert_int_equal(guest_mem_layout(8 * GiB, r), 2);
	assert_int_equal(r[1].gpa + r[1].size, 4 * GiB + 5 * GiB);
}

static void test_gate(void **state)
{
	/* Fake host addresses: the gate computes pointers, never dereferences. */
	struct mem_region r[2];
	uint8_t *lo = (uint8_t *)0x100000000000ull, *hi = (uint8_t *)0x200000000000ull;
	size_t n = guest_mem_layout(4 * GiB, r);

	r[0].hva = lo;
	r[1].hva = hi;
	assert_int_equal(n, 2);
	assert_ptr_equal(mem_regions_ptr(r, n, 0, 1), lo);
	assert_ptr_equal(mem_regions_ptr(r, n, 0x1000, 16), lo + 0x1000);
	/* Last byte below the hole is fine, one more crosses into the hole. */
	assert_ptr_equal(mem_regions_ptr(r, n, PCI_HOLE_START - 1, 1), lo + PCI_HOLE_START - 1);
	assert_null(mem_regions_ptr(r, n, PCI_HOLE_START - 1, 2));
	assert_null(mem_regions_ptr(r, n, PCI_HOLE_START, 1));
	assert_null(mem_regions_ptr(r, n, IOAPIC_ADDR, 4));
	assert_null(mem_regions_ptr(r, n, RAM_ABOVE_4G_START - 1, 1));
	/* Above 4 GiB. */
	assert_ptr_equal(mem_regions_ptr(r, n, RAM_ABOVE_4G_START, 8), hi);
	assert_ptr_equal(mem_regions_ptr(r, n, RAM_ABOVE_4G_START + GiB - 4, 4), hi + GiB - 4);
	assert_null(mem_regions_ptr(r, n, RAM_ABOVE_4G_START + GiB - 4, 5));
	assert_null(mem_regions_ptr(r, n, RAM_ABOVE_4G_START + GiB, 1));
	/* len 0, wrap-around and huge lengths. */
	assert_null(mem_regions_ptr(r, n, 0, 0));
	assert_null(mem_regions_ptr(r, n, UINT64_MAX, 1));
	assert_null(mem_regions_ptr(r, n, UINT64_MAX - 3, 8));
	assert_null(mem_regions_ptr(r, n, 0x1000, UINT64_MAX));
	assert_null(mem_regions_ptr(r, n, 0x1000, UINT64_MAX - 0xfff));
	assert_null(mem_regions_ptr(r, 0, 0, 1));
}

/* Writes "VALUE\n" to ROOT/hugepages-2048kB/NAME. */
static void write_pool_counter(const char *root, const char *name, uint64_t value)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/hugepages-2048kB/%s", root, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%llu\n", (unsigned long long)value);
	fclose(f);
}

/* A fake /sys/kernel/mm/hugepages with one 2 MiB pool. */
static char *fake_pool(uint64_t nr, uint64_t free_pages, uint64_t resv)
{
	char tmpl[] = "/tmp/nfv-hp.XXXXXX", path[256];
	char *root = strdup(mkdtemp(tmpl));

	snprintf(path, sizeof(path), "%s/hugepages-2048kB", root);
	assert_int_equal(mkdir(path, 0755), 0);
	write_pool_counter(root, "nr_hugepages", nr);
	write_pool_counter(root, "free_hugepages", free_pages);
	write_pool_counter(root, "resv_hugepages", resv);
	return root;
}

static void rm_pool(char *root)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(root);
}

static void test_hugepages_enough(void **state)
{
	char *root = fake_pool(256, 200, 72);
	char msg[512];

	/* 128 free after reservations: 256 MiB fits exactly. */
	assert_int_equal(hugepages_check_free(root, HUGEPAGES_2M, 256 * MiB, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_int_equal(hugepages_check_free(root, HUGEPAGES_NONE, 64 * GiB, msg, sizeof(msg)), 0);
	rm_pool(root);
}

static void test_hugepages_short(void **state)
{
	char *root = fake_pool(100, 40, 10);
	char msg[512], expect[400];

	/* 512 MiB = 256 pages; 30 available; 100 + 226 = 326 reserves enough. */
	assert_int_equal(hugepages_check_free(root, HUGEPAGES_2M, 512 * MiB, msg, sizeof(msg)),
			 -ENOMEM);
	assert_non_null(strstr(msg, "needs 256 free 2M hugepages"));
	assert_non_null(strstr(msg, "only 30 free"));
	snprintf(expect, sizeof(expect), "echo 326 > %s/hugepages-2048kB/nr_hugepages", root);
	assert_non_null(strstr(msg, expect));
	/* No 1 GiB pool in this tree. */
	assert_int_equal(hugepages_check_free(root, HUGEPAGES_1G, 2 * GiB, msg, sizeof(msg)),
			 -ENOENT);
	assert_non_null(strstr(msg, "no 1G hugepage pool"));
	/* A partial page needs a whole one; sizes near 2^64 must not round up
	 * past zero pages. */
	assert_int_equal(hugepages_check_free(root, HUGEPAGES_2M, 60 * MiB + 1, msg, sizeof(msg)),
			 -ENOMEM);
	assert_non_null(strstr(msg, "needs 31 free 2M hugepages"));
	assert_int_equal(hugepages_check_free(root, HUGEPAGES_2M, 60 * MiB, msg, sizeof(msg)), 0);
	assert_int_equal(hugepages_check_free(root, HUGEPAGES_2M, UINT64_MAX, msg, sizeof(msg)),
			 -ENOMEM);
	assert_int_equal(
	    hugepages_check_free(root, HUGEPAGES_2M, UINT64_MAX - 2 * MiB + 2, msg, sizeof(msg)),
	    -ENOMEM);
	rm_pool(root);
}

static void test_page_sizes(void **state)
{
	assert_int_equal(hugepage_size(HUGEPAGES_NONE), 4096);
	assert_int_equal(hugepage_size(HUGEPAGES_2M), 2 * MiB);
	assert_int_equal(hugepage_size(HUGEPAGES_1G), GiB);
}

static void test_create_plain(void **state)
{
	const struct mem_region *r;
	struct guest_mem *mem;
	uint8_t buf[4] = {1, 2, 3, 4}, out[4];

	assert_int_equal(guest_mem_create(16 * MiB + 1, HUGEPAGES_NONE, &mem), -EINVAL);
	assert_int_equal(guest_mem_create(0, HUGEPAGES_NONE, &mem), -EINVAL);
	assert_int_equal(guest_mem_create(3 * MiB, HUGEPAGES_2M, &mem), -EINVAL);
	assert_int_equal(guest_mem_create(16 * MiB, HUGEPAGES_NONE, &mem), 0);
	assert_int_equal(guest_mem_size(mem), 16 * MiB);
	assert_int_equal(guest_mem_page_size(mem), 4096);
	assert_int_equal(guest_mem_regions(mem, &r), 1);
	assert_true(r[0].fd >= 0);
	assert_int_equal(guest_mem_write(mem, 16 * MiB - 4, buf, 4), 0);
	assert_int_equal(guest_mem_read(mem, 16 * MiB - 4, out, 4), 0);
	assert_memory_equal(buf, out, 4);
	assert_memory_equal((uint8_t *)r[0].hva + 16 * MiB - 4, buf, 4);
	assert_int_equal(guest_mem_write(mem, 16 * MiB - 3, buf, 4), -EFAULT);
	assert_int_equal(guest_mem_read(mem, 16 * MiB, out, 1), -EFAULT);
	assert_int_equal(guest_mem_read(mem, 0, out, 0), -EFAULT);
	/* The memfd really backs the mapping (what vhost-user relies on). */
	assert_int_equal(pread(r[0].fd, out, 4, (off_t)(16 * MiB - 4)), 4);
	assert_memory_equal(buf, out, 4);
	guest_mem_destroy(mem);
}

/* Private RAM above the PCI hole: 4.5 GiB of address space, only the
 * touched pages are ever allocated. */
static void test_create_private(void **state)
{
	const uint64_t size = 4608 * MiB;
	const struct mem_region *r;
	struct guest_mem *mem;
	uint8_t buf[4] = {5, 6, 7, 8}, out[4];

	assert_int_equal(guest_mem_create_private(0, &mem), -EINVAL);
	assert_int_equal(guest_mem_create_private(16 * MiB + 1, &mem), -EINVAL);
	assert_int_equal(guest_mem_create_private(size, &mem), 0);
	assert_int_equal(guest_mem_size(mem), size);
	assert_int_equal(guest_mem_page_size(mem), 4096);
	assert_int_equal(guest_mem_regions(mem, &r), 2);
	/* 2 MiB aligned, so KVM can map transparent huge pages 2 MiB at a time. */
	assert_int_equal((uintptr_t)r[0].hva % (2 * MiB), 0);
	assert_int_equal((uintptr_t)r[1].hva % (2 * MiB), 0);
	/* Nothing to hand to a vhost-user or vfio-user peer. */
	assert_int_equal(r[0].fd, -1);
	assert_int_equal(r[1].fd, -1);
	assert_int_equal(r[0].gpa, 0);
	assert_int_equal(r[0].size, 3 * GiB);
	assert_int_equal(r[1].gpa, 4 * GiB);
	assert_int_equal(r[1].size, size - 3 * GiB);
	/* The last byte of RAM is at 4 GiB + 1.5 GiB - 1, the hole is not RAM. */
	assert_int_equal(guest_mem_write(mem, 4 * GiB + (size - 3 * GiB) - 4, buf, 4), 0);
	assert_int_equal(guest_mem_read(mem, 4 * GiB + (size - 3 * GiB) - 4, out, 4), 0);
	assert_memory_equal(buf, out, 4);
	assert_memory_equal((uint8_t *)r[1].hva + (size - 3 * GiB) - 4, buf, 4);
	assert_int_equal(guest_mem_read(mem, 3 * GiB, out, 1), -EFAULT);
	assert_int_equal(guest_mem_read(mem, 4 * GiB + (size - 3 * GiB), out, 1), -EFAULT);
	/* Low and high RAM are distinct memory. */
	assert_int_equal(guest_mem_write(mem, 0, "lo", 2), 0);
	assert_int_equal(guest_mem_write(mem, 4 * GiB, "hi", 2), 0);
	assert_int_equal(guest_mem_read(mem, 0, out, 2), 0);
	assert_memory_equal(out, "lo", 2);
	guest_mem_destroy(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout_small),
	    cmocka_unit_test(test_layout_split),
	    cmocka_unit_test(test_gate),
	    cmocka_unit_test(test_hugepages_enough),
	    cmocka_unit_test(test_hugepages_short),
	    cmocka_unit_test(test_page_sizes),
	    cmocka_unit_test(test_create_plain),
	    cmocka_unit_test(test_create_private),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
