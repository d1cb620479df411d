// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "vmm/cpuid.h"

#define LEVEL_TYPE_SMT	1
#define LEVEL_TYPE_CORE 2

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function, uint32_t index)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != function)
			continue;
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index)
			return e;
	}
	return NULL;
}

/* Find or append (function, index); NULL if there is no room. */
static struct kvm_cpuid_entry2 *get_entry(struct kvm_cpuid2 *c, unsigned capacity,
					  uint32_t function, uint32_t index, uint32_t flags)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, function, index);

	if (e)
		return e;
	if (c->nent >= capacity)
		return NULL;
	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = function;
	e->index = index;
	e->flags = flags;
	return e;
}

/* Bits needed to hold IDs 0..n-1. */
static unsigned id_bits(unsigned n)
{
	unsigned b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

static uint32_t max_leaf(struct kvm_cpuid2 *c, uint32_t base)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, base, 0);

	return e ? e->eax : 0;
}

/* Leaf 0xB / 0x1F: extended topology, subleaves 0 (SMT), 1 (core), 2 (end). */
static int shape_topology(struct kvm_cpuid2 *c, unsigned capacity, uint32_t leaf, unsigned vcpu,
			  unsigned ncpus)
{
	uint32_t sub;

	for (sub = 0; sub < 3; sub++) {
		struct kvm_cpuid_entry2 *e =
		    get_entry(c, capacity, leaf, sub, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);

		if (!e)
			return -ENOSPC;
		e->edx = vcpu;
		switch (sub) {
		case 0:
			e->eax = 0; /* one thread per core: no SMT bits */
			e->ebx = 1;
			e->ecx = LEVEL_TYPE_SMT << 8 | sub;
			break;
		case 1:
			e->eax = id_bits(ncpus);
			e->ebx = ncpus;
			e->ecx = LEVEL_TYPE_CORE << 8 | sub;
			break;
		default:
			e->eax = 0;
			e->ebx = 0;
			e->ecx = sub; /* level type 0: invalid, ends the enumeration */
			break;
		}
	}
	/* Drop higher subleaves KVM may have copied from the host. */
	for (sub = 0; sub < c->nent;) {
		struct kvm_cpuid_entry2 *e = &c->entries[sub];

		if (e->function == leaf && e->index > 2) {
			*e = c->entries[--c->nent];
			continue;
		}
		sub++;
	}
	return 0;
}

static bool is_amd(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, 0, 0);

	/* "AuthenticAMD" / "HygonGenuine": EBX "Auth" / "Hygo". */
	return e && (e->ebx == 0x68747541 || e->ebx == 0x6f677948);
}

int cpuid_shape(struct kvm_cpuid2 *c, unsigned capacity, unsigned vcpu, unsigned ncpus)
{
	struct kvm_cpuid_entry2 *e;
	uint32_t i, max_std, max_ext, ids;
	int ret;

	if (ncpus == 0 || ncpus > 255 || vcpu >= ncpus || c->nent > capacity)
		return -EINVAL;
	max_std = max_leaf(c, 0);
	max_ext = max_leaf(c, 0x80000000u);
	/* Leaf 4 counts "addressable IDs": a power of two covering ncpus. */
	ids = 1u << id_bits(ncpus);

	e = cpuid_find(c, 1, 0);
	if (e) {
		e->ebx = (e->ebx & 0x0000ffffu) | (uint32_t)vcpu << 24 | (uint32_t)ncpus << 16;
		if (ncpus > 1)
			e->edx |= CPUID_1_EDX_HTT;
		else
			e->edx &= ~CPUID_1_EDX_HTT;
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
	}

	/* Leaf 4: deterministic cache parameters, one entry per cache level. */
	for (i = 0; i < c->nent && !is_amd(c); i++) {
		e = &c->entries[i];
		if (e->function != 4 || (e->eax & 0x1f) == 0)
			continue;
		e->eax &= 0x3fffu; /* keep type, level, self-init, fully-assoc */
		e->eax |= (ids > 64 ? 63 : ids - 1) << 26;
		/* L1/L2 are per core (one thread); L3 is shared by the package. */
		if (((e->eax >> 5) & 7) >= 3)
			e->eax |= (ids - 1) << 14;
	}

	if (max_std >= 0xb) {
		ret = shape_topology(c, capacity, 0xb, vcpu, ncpus);
		if (ret)
			return ret;
	}
	if (max_std >= 0x1f) {
		ret = shape_topology(c, capacity, 0x1f, vcpu, ncpus);
		if (ret)
			return ret;
	}

	if (is_amd(c)) {
		e = cpuid_find(c, 0x80000001u, 0);
		if (e) {
			if (ncpus > 1)
				e->ecx |= 1u << 1; /* CmpLegacy: HTT counts cores */
			else
				e->ecx &= ~(1u << 1);
		}
		e = max_ext >= 0x80000008u ? cpuid_find(c, 0x80000008u, 0) : NULL;
		if (e)
			e->ecx = (e->ecx & ~0xf0ffu) | id_bits(ncpus) << 12 | (ncpus - 1);
		e = max_ext >= 0x8000001eu ? cpuid_find(c, 0x8000001eu, 0) : NULL;
		if (e) {
			e->eax = vcpu; /* extended APIC ID */
			e->ebx = vcpu; /* core ID, 1 thread per core */
			e->ecx = 0;    /* node 0, 1 node per package */
			e->edx = 0;
		}
	}

	/* KVM's hypervisor leaves. KVM_GET_SUPPORTED_CPUID lists both. */
	e = get_entry(c, capacity, CPUID_KVM_SIGNATURE, 0, 0);
	if (!e)
		return -ENOSPC;
	e->eax = CPUID_KVM_FEATURES;
	memcpy(&e->ebx, "KVMK", 4);
	memcpy(&e->ecx, "VMKV", 4);
	memcpy(&e->edx, "M\0\0\0", 4);
	if (!cpuid_find(c, CPUID_KVM_FEATURES, 0) &&
	    !get_entry(c, capacity, CPUID_KVM_FEATURES, 0, 0))
		return -ENOSPC;
	return 0;
}

void cpuid_enable_tsc_deadline(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, 1, 0);

	if (e)
		e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
}
