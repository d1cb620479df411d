/* SPDX-License-Identifier: MIT */
/* Shape the KVM_GET_SUPPORTED_CPUID list into what vCPU i of N sees: its
 * APIC ID and an honest topology (one socket, N cores, one thread per core),
 * the hypervisor bit and the KVM hypervisor leaves. Pure function on a
 * buffer the caller owns; the caller issues KVM_SET_CPUID2. */
#ifndef NFV_VMM_CPUID_H
#define NFV_VMM_CPUID_H

#include <stdint.h>
#include <linux/kvm.h>

#define CPUID_KVM_SIGNATURE 0x40000000u
#define CPUID_KVM_FEATURES  0x40000001u
/* Entries cpuid_shape() may add: 0xB/0x1F subleaves 0-2 and the two KVM leaves. */
#define CPUID_EXTRA_ENTRIES 8

/* Leaf 1 feature bits touched here. */
#define CPUID_1_ECX_X2APIC	 (1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_HYPERVISOR	 (1u << 31)
#define CPUID_1_EDX_HTT		 (1u << 28)

/* Rewrite `c` (nent entries as returned by KVM_GET_SUPPORTED_CPUID, room for
 * `capacity` entries) for vCPU `vcpu` (its APIC ID) of `ncpus`:
 *  - leaf 1: EBX[31:24] APIC ID, EBX[23:16] logical count, HTT if ncpus > 1,
 *    ECX hypervisor bit; x2APIC and TSC-deadline stay only as KVM reports;
 *  - leaf 4 (Intel): cores per package, caches shared by one thread (L1/L2)
 *    or all cores (L3);
 *  - leaves 0xB and 0x1F: SMT level (1 thread), core level (ncpus), x2APIC ID;
 *  - AMD 0x80000001 CmpLegacy, 0x80000008 ECX NC / ApicIdCoreIdSize,
 *    0x8000001E extended APIC ID / core ID;
 *  - leaf 6 (power management) and 0xA (PMU) are left as KVM reports;
 *  - 0x40000000 "KVMKVMKVM\0\0\0" with EAX = 0x40000001 and 0x40000001 as
 *    KVM reports it (features KVM implements).
 * Returns 0, -EINVAL (vcpu >= ncpus, ncpus 0 or > 255, nent > capacity) or
 * -ENOSPC (not enough room to add missing leaves). */
int cpuid_shape(struct kvm_cpuid2 *c, unsigned capacity, unsigned vcpu, unsigned ncpus);

/* Advertise the TSC-deadline LAPIC timer in leaf 1 ECX. KVM emulates it in
 * the in-kernel LAPIC but reports it through KVM_CAP_TSC_DEADLINE_TIMER, not
 * in KVM_GET_SUPPORTED_CPUID: call this only when that capability is set. */
void cpuid_enable_tsc_deadline(struct kvm_cpuid2 *c);

/* The entry for (function, index), or NULL. Index is ignored for leaves
 * without KVM_CPUID_FLAG_SIGNIFCANT_INDEX. */
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function, uint32_t index);

#endif
