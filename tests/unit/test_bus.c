/* SPDX-License-Identifier: MIT */
/* PIO/MMIO trap registry: registration and overlap rules, dispatch with
 * offsets, unclaimed accesses counted and read as all ones, and a handler
 * that re-registers from inside a dispatch (PCI BAR moves) without
 * deadlocking. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/bus.h"

struct rec {
	int calls;
	uint64_t offset;
	uint32_t len;
	bool is_write;
	uint8_t last[8];
};

static void record(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct rec *r = opaque;

	r->calls++;
	r->offset = offset;
	r->len = len;
	r->is_write = is_write;
	if (is_write)
		memcpy(r->last, data, len);
	else
		memset(data, 0x5a, len);
}

static void test_register_overlap(void **state)
{
	struct bus *bus;
	struct rec a = {0}, b = {0};

	assert_int_equal(bus_create("pio", &bus), 0);
	assert_int_equal(bus_register(bus, 0x3f8, 8, record, &a, "com1"), 0);
	assert_int_equal(bus_register(bus, 0x3f8, 1, record, &b, "x"), -EEXIST);
	assert_int_equal(bus_register(bus, 0x3ff, 1, record, &b, "x"), -EEXIST);
	assert_int_equal(bus_register(bus, 0x3f0, 9, record, &b, "x"), -EEXIST);
	assert_int_equal(bus_register(bus, 0x3f0, 0x20, record, &b, "x"), -EEXIST);
	assert_int_equal(bus_register(bus, 0x3f0, 8, record, &b, "x"), 0);
	assert_int_equal(bus_register(bus, 0x400, 1, record, &b, "y"), 0);
	assert_int_equal(bus_register(bus, 0x500, 0, record, &b, "zero"), -EINVAL);
	assert_int_equal(bus_register(bus, UINT64_MAX, 2, record, &b, "wrap"), -EINVAL);
	assert_int_equal(bus_register(bus, UINT64_MAX, 1, record, &b, "top"), 0);
	assert_int_equal(bus_unregister(bus, 0x3f9), -ENOENT);
	assert_int_equal(bus_unregister(bus, 0x3f8), 0);
	assert_int_equal(bus_unregister(bus, 0x3f8), -ENOENT);
	assert_int_equal(bus_register(bus, 0x3f8, 8, record, &a, "com1"), 0);
	bus_destroy(bus);
}

static void test_dispatch(void **state)
{
	struct bus *bus;
	struct rec a = {0}, b = {0};
	uint8_t data[8] = {0x11, 0x22, 0x33, 0x44};
	uint64_t i;

	assert_int_equal(bus_create("mmio", &bus), 0);
	/* Many ranges, inserted out of order, to exercise the sorted lookup. */
	for (i = 20; i-- > 0;)
		assert_int_equal(bus_register(bus, 0x10000 + i * 0x1000, 0x100, record,
					      i == 7 ? (void *)&a : (void *)&b, "dev"),
				 0);
	assert_true(bus_dispatch(bus, 0x17010, data, 4, true));
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.offset, 0x10);
	assert_int_equal(a.len, 4);
	assert_true(a.is_write);
	assert_memory_equal(a.last, data, 4);
	assert_true(bus_dispatch(bus, 0x170fc, data, 4, false));
	assert_int_equal(a.calls, 2);
	assert_int_equal(a.offset, 0xfc);
	assert_int_equal(data[0], 0x5a);
	/* Last byte of the range ok, an access crossing its end is not. */
	assert_true(bus_dispatch(bus, 0x170ff, data, 1, false));
	assert_false(bus_dispatch(bus, 0x170fe, data, 4, false));
	assert_int_equal(a.calls, 3);
	assert_int_equal(bus_unknown_count(bus), 1);
	bus_destroy(bus);
}

static void test_unknown(void **state)
{
	struct bus *bus;
	uint8_t data[4] = {1, 2, 3, 4};

	assert_int_equal(bus_create("pio", &bus), 0);
	assert_false(bus_dispatch(bus, 0x80, data, 1, true));
	assert_int_equal(data[0], 1); /* writes are dropped, data untouched */
	assert_false(bus_dispatch(bus, 0x1234, data, 4, false));
	assert_memory_equal(data, "\xff\xff\xff\xff", 4);
	assert_int_equal(bus_unknown_count(bus), 2);
	bus_destroy(bus);
}

struct mover {
	struct bus *bus;
	struct rec target;
	uint64_t base;
};

static void target_fn(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct mover *m = opaque;

	record(&m->target, offset, data, len, is_write);
}

/* A "config space" write that moves a BAR: re-registration inside dispatch. */
static void mover_fn(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct mover *m = opaque;
	uint64_t nb = 0;

	memcpy(&nb, data, len);
	assert_int_equal(bus_unregister(m->bus, m->base), 0);
	assert_int_equal(bus_register(m->bus, nb, 0x10, target_fn, m, "bar"), 0);
	m->base = nb;
}

static void test_reregister_from_handler(void **state)
{
	struct mover m = {.base = 0xc000};
	uint32_t nb = 0xd000;
	uint8_t d[4];

	assert_int_equal(bus_create("pio", &m.bus), 0);
	assert_int_equal(bus_register(m.bus, 0xcf8, 4, mover_fn, &m, "cfg"), 0);
	assert_int_equal(bus_register(m.bus, m.base, 0x10, target_fn, &m, "bar"), 0);
	assert_true(bus_dispatch(m.bus, 0xcf8, (uint8_t *)&nb, 4, true));
	assert_false(bus_dispatch(m.bus, 0xc000, d, 1, false));
	assert_true(bus_dispatch(m.bus, 0xd004, d, 1, false));
	assert_int_equal(m.target.offset, 4);
	bus_destroy(m.bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_register_overlap),
	    cmocka_unit_test(test_dispatch),
	    cmocka_unit_test(test_unknown),
	    cmocka_unit_test(test_reregister_from_handler),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
