// SPDX-License-Identifier: MIT
/* Replay of KVM's coalesced-write ring (vmm/kvm.h kvm_coalesced_ring_drain):
 * order, consumption, wrap-around and garbage indices from the shared page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/kvm.h"

#define MAX 4

struct seen {
	unsigned n;
	uint64_t addr[16];
	uint32_t val[16], len[16];
	bool pio[16];
};

static void record(void *opaque, bool pio, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct seen *s = opaque;
	uint32_t v = 0;

	assert_true(s->n < 16);
	assert_true(len >= 1 && len <= 8);
	memcpy(&v, data, len < 4 ? len : 4);
	s->pio[s->n] = pio;
	s->addr[s->n] = addr;
	s->val[s->n] = v;
	s->len[s->n++] = len;
}

static struct kvm_coalesced_mmio_ring *ring_new(void)
{
	struct kvm_coalesced_mmio_ring *r =
	    calloc(1, sizeof(*r) + MAX * sizeof(struct kvm_coalesced_mmio));

	assert_non_null(r);
	return r;
}

static void put(struct kvm_coalesced_mmio_ring *r, uint64_t addr, uint32_t val, uint32_t len)
{
	struct kvm_coalesced_mmio *e = &r->coalesced_mmio[r->last];

	e->phys_addr = addr;
	e->len = len;
	e->pio = 1;
	memcpy(e->data, &val, 4);
	r->last = (r->last + 1) % MAX;
}

static void test_order_and_consume(void **state)
{
	struct kvm_coalesced_mmio_ring *r = ring_new();
	struct seen s = {0};

	assert_int_equal(kvm_coalesced_ring_drain(r, MAX, record, &s), 0);
	put(r, 0xcf8, 0x80000000, 4);
	put(r, 0xcf8, 0x80000800, 4);
	assert_int_equal(kvm_coalesced_ring_drain(r, MAX, record, &s), 2);
	assert_int_equal(s.n, 2);
	assert_true(s.pio[0]);
	assert_int_equal(s.addr[0], 0xcf8);
	assert_int_equal(s.val[0], 0x80000000);
	assert_int_equal(s.val[1], 0x80000800);
	assert_int_equal(s.len[1], 4);
	assert_int_equal(r->first, r->last);
	/* Consumed: a second replay finds nothing. */
	assert_int_equal(kvm_coalesced_ring_drain(r, MAX, record, &s), 0);
	free(r);
}

static void test_wrap(void **state)
{
	struct kvm_coalesced_mmio_ring *r = ring_new();
	struct seen s = {0};
	unsigned i;

	r->first = r->last = MAX - 1;
	for (i = 0; i < 3; i++)
		put(r, 0xcf8, 0x80000000 | i << 11, 4);
	assert_int_equal(r->last, 2);
	assert_int_equal(kvm_coalesced_ring_drain(r, MAX, record, &s), 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(s.val[i], 0x80000000 | i << 11);
	assert_int_equal(r->first, 2);
	free(r);
}

static void test_garbage(void **state)
{
	struct kvm_coalesced_mmio_ring *r = ring_new();
	struct seen s = {0};

	/* Indices past the ring and an oversized length: bounded, in range. */
	r->first = 1000;
	r->last = 7;
	r->coalesced_mmio[1000 % MAX].len = 4096;
	assert_true(kvm_coalesced_ring_drain(r, MAX, record, &s) <= MAX);
	assert_true(s.n <= MAX);
	for (unsigned i = 0; i < s.n; i++)
		assert_true(s.len[i] <= 8);
	assert_int_equal(kvm_coalesced_ring_drain(r, 0, record, &s), 0);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_and_consume),
	    cmocka_unit_test(test_wrap),
	    cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
