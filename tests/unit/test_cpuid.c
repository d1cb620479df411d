// SPDX-License-Identifier: MIT
/* CPUID shaping on synthetic KVM_GET_SUPPORTED_CPUID lists (Intel, AMD). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/cpuid.h"

#define CAP 64
#define IDX KVM_CPUID_FLAG_SIGNIFCANT_INDEX

struct buf {
	struct kvm_cpuid2 c;
	struct kvm_cpuid_entry2 e[CAP];
};

static void add(struct buf *b, uint32_t fn, uint32_t idx, uint32_t flags, uint32_t eax,
		uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	struct kvm_cpuid_entry2 *e = &b->c.entries[b->c.nent++];

	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->flags = flags;
	e->eax = eax;
	e->ebx = ebx;
	e->ecx = ecx;
	e->edx = edx;
}

/* A host-like Intel list: 8 host threads, SMT 2, leaf 4 with L1d/L1i/L2/L3. */
static void intel(struct buf *b)
{
	memset(b, 0, sizeof(*b));
	add(b, 0, 0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69); /* GenuineIntel */
	add(b, 1, 0, 0, 0x906ea, 0x10800800 | 0x0800, (1u << 21) | (1u << 0), 0x078bfbff);
	add(b, 4, 0, IDX, 0x1c004121, 0, 0, 0); /* L1d, 8 threads sharing? host */
	add(b, 4, 1, IDX, 0x1c004122, 0, 0, 0); /* L1i */
	add(b, 4, 2, IDX, 0x1c004143, 0, 0, 0); /* L2 */
	add(b, 4, 3, IDX, 0x1c03c163, 0, 0, 0); /* L3 shared by 16 */
	add(b, 4, 4, IDX, 0, 0, 0, 0);		/* end */
	add(b, 0xb, 0, IDX, 1, 2, 0x100, 5);
	add(b, 0xb, 1, IDX, 4, 8, 0x201, 5);
	add(b, 0xb, 3, IDX, 0, 0, 3, 5); /* bogus extra subleaf from the host */
	add(b, 0x1f, 0, IDX, 1, 2, 0x100, 5);
	add(b, 0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(b, 0x40000001, 0, 0, 0x01007afb, 0, 0, 0);
	add(b, 0x80000000, 0, 0, 0x80000008, 0, 0, 0);
	add(b, 0x80000008, 0, 0, 0x3027, 0, 0, 0);
}

static void amd(struct buf *b)
{
	memset(b, 0, sizeof(*b));
	add(b, 0, 0, 0, 0xa, 0x68747541, 0x444d4163, 0x69746e65); /* AuthenticAMD */
	add(b, 1, 0, 0, 0x00a50f00, 0x00100800, 1u << 21, 0x178bfbff);
	add(b, 0x80000000, 0, 0, 0x80000021, 0, 0, 0);
	add(b, 0x80000001, 0, 0, 0, 0, 1u << 22, 0);
	add(b, 0x80000008, 0, 0, 0x3030, 0, 0x700f, 0);
	add(b, 0x8000001e, 0, 0, 7, 0x103, 0x100, 0);
}

static void check_common(struct buf *b, unsigned vcpu, unsigned n)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(&b->c, 1, 0);

	assert_non_null(e);
	assert_int_equal(e->ebx >> 24, vcpu);
	assert_int_equal((e->ebx >> 16) & 0xff, n);
	assert_int_equal(e->ebx & 0xffff, 0x0800); /* CLFLUSH size/brand kept */
	assert_true(e->ecx & CPUID_1_ECX_HYPERVISOR);
	assert_true(e->ecx & CPUID_1_ECX_X2APIC);	 /* KVM reported it: kept */
	assert_false(e->ecx & CPUID_1_ECX_TSC_DEADLINE); /* KVM did not: not added */
	assert_int_equal(!!(e->edx & CPUID_1_EDX_HTT), n > 1);

	e = cpuid_find(&b->c, CPUID_KVM_SIGNATURE, 0);
	assert_non_null(e);
	assert_int_equal(e->eax, CPUID_KVM_FEATURES);
	assert_memory_equal(&e->ebx, "KVMK", 4);
	assert_memory_equal(&e->ecx, "VMKV", 4);
	assert_memory_equal(&e->edx, "M\0\0\0", 4);
	assert_non_null(cpuid_find(&b->c, CPUID_KVM_FEATURES, 0));
}

static void test_intel(void **state)
{
	static const unsigned counts[] = {1, 2, 3, 4, 8, 64, 255};
	struct kvm_cpuid_entry2 *e;
	struct buf b;
	size_t k;
	unsigned v, bits;

	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		unsigned n = counts[k];

		for (bits = 0; (1u << bits) < n; bits++)
			;
		for (v = 0; v < n; v += (n > 8 ? 7 : 1)) {
			intel(&b);
			assert_int_equal(cpuid_shape(&b.c, CAP, v, n), 0);
			check_common(&b, v, n);
			/* Leaf 4: cores per package; L1/L2 per core, L3 shared. */
			e = cpuid_find(&b.c, 4, 0);
			assert_int_equal(e->eax >> 26, bits >= 6 ? 63 : (1u << bits) - 1);
			assert_int_equal((e->eax >> 14) & 0xfff, 0);
			assert_int_equal(e->eax & 0x1f, 1);
			e = cpuid_find(&b.c, 4, 3);
			assert_int_equal(e->eax >> 26, bits >= 6 ? 63 : (1u << bits) - 1);
			assert_int_equal((e->eax >> 14) & 0xfff, (1u << bits) - 1);
			assert_int_equal(cpuid_find(&b.c, 4, 4)->eax, 0);
			/* Leaf 0xB and 0x1F: SMT 1, cores n, x2APIC ID v. */
			for (uint32_t leaf = 0xb; leaf <= 0x1f; leaf += 0x14) {
				e = cpuid_find(&b.c, leaf, 0);
				assert_non_null(e);
				assert_int_equal(e->eax, 0);
				assert_int_equal(e->ebx, 1);
				assert_int_equal(e->ecx, 0x100);
				assert_int_equal(e->edx, v);
				e = cpuid_find(&b.c, leaf, 1);
				assert_non_null(e);
				assert_int_equal(e->eax, bits);
				assert_int_equal(e->ebx, n);
				assert_int_equal(e->ecx, 0x201);
				assert_int_equal(e->edx, v);
				e = cpuid_find(&b.c, leaf, 2);
				assert_non_null(e);
				assert_int_equal(e->ecx & 0xff00, 0);
				assert_int_equal(e->ebx, 0);
				assert_null(cpuid_find(&b.c, leaf, 3));
			}
			/* Intel: AMD leaves untouched. */
			assert_int_equal(cpuid_find(&b.c, 0x80000008, 0)->ecx, 0);
		}
	}
}

static void test_amd(void **state)
{
	struct kvm_cpuid_entry2 *e;
	struct buf b;

	amd(&b);
	assert_int_equal(cpuid_shape(&b.c, CAP, 2, 4), 0);
	check_common(&b, 2, 4);
	e = cpuid_find(&b.c, 0x80000008, 0);
	assert_int_equal(e->ecx & 0xff, 3);
	assert_int_equal((e->ecx >> 12) & 0xf, 2);
	e = cpuid_find(&b.c, 0x8000001e, 0);
	assert_int_equal(e->eax, 2);
	assert_int_equal(e->ebx, 2); /* core 2, 1 thread per core */
	assert_int_equal(e->ecx, 0);
	assert_true(cpuid_find(&b.c, 0x80000001, 0)->ecx & 2); /* CmpLegacy */
	/* No leaf 0xB above the max standard leaf 0xa: nothing invented. */
	assert_null(cpuid_find(&b.c, 0xb, 0));

	amd(&b);
	assert_int_equal(cpuid_shape(&b.c, CAP, 0, 1), 0);
	assert_false(cpuid_find(&b.c, 0x80000001, 0)->ecx & 2);
	assert_int_equal(cpuid_find(&b.c, 0x80000008, 0)->ecx & 0xf0ff, 0);
}

static void test_tsc_deadline(void **state)
{
	struct buf b;

	intel(&b);
	assert_int_equal(cpuid_shape(&b.c, CAP, 0, 1), 0);
	assert_false(cpuid_find(&b.c, 1, 0)->ecx & CPUID_1_ECX_TSC_DEADLINE);
	cpuid_enable_tsc_deadline(&b.c);
	assert_true(cpuid_find(&b.c, 1, 0)->ecx & CPUID_1_ECX_TSC_DEADLINE);
	assert_true(cpuid_find(&b.c, 1, 0)->ecx & CPUID_1_ECX_HYPERVISOR);
	/* No leaf 1: nothing to do, nothing added. */
	b.c.nent = 0;
	cpuid_enable_tsc_deadline(&b.c);
	assert_int_equal(b.c.nent, 0);
}

static void test_errors(void **state)
{
	struct buf b;
	uint32_t nent;

	intel(&b);
	assert_int_equal(cpuid_shape(&b.c, CAP, 0, 0), -EINVAL);
	assert_int_equal(cpuid_shape(&b.c, CAP, 2, 2), -EINVAL);
	assert_int_equal(cpuid_shape(&b.c, CAP, 0, 256), -EINVAL);
	assert_int_equal(cpuid_shape(&b.c, b.c.nent - 1, 0, 1), -EINVAL);
	/* Missing subleaves need room: exactly full fails with -ENOSPC. */
	nent = b.c.nent;
	assert_int_equal(cpuid_shape(&b.c, nent, 0, 2), -ENOSPC);
	/* Missing KVM leaves are added when there is room. */
	amd(&b);
	assert_null(cpuid_find(&b.c, CPUID_KVM_SIGNATURE, 0));
	assert_int_equal(cpuid_shape(&b.c, b.c.nent + 1, 0, 1), -ENOSPC);
	amd(&b);
	assert_int_equal(cpuid_shape(&b.c, b.c.nent + 2, 0, 1), 0);
	assert_int_equal(cpuid_find(&b.c, CPUID_KVM_FEATURES, 0)->eax, 0); /* honest: none */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intel),
	    cmocka_unit_test(test_amd),
	    cmocka_unit_test(test_tsc_deadline),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
