/* SPDX-License-Identifier: MIT */
/* The CPUs firmware tables announce (local APIC IDs, xAPIC only). */
#ifndef NFGUEST_CPULIST_H
#define NFGUEST_CPULIST_H

#include <stdint.h>

#include "guest/layout.h"

#define LAPIC_DEFAULT_BASE 0xfee00000u

struct cpu_list {
	unsigned int count;	   /* enabled CPUs in apic_id[] */
	unsigned int disabled;	   /* entries present but not enabled */
	unsigned int dropped;	   /* enabled CPUs beyond MAX_CPUS or APIC ID > 254 */
	uint8_t apic_id[MAX_CPUS]; /* unique IDs */
	uint64_t lapic_base;
	const char *source; /* "madt", "mptable" or "none" */
};

/* cpulist_add: append an enabled CPU unless its ID is already listed; IDs
 * 255 and up (x2APIC-only) and entries beyond MAX_CPUS count as dropped. */
static inline void cpulist_add(struct cpu_list *l, uint32_t apic_id)
{
	unsigned int i;

	if (apic_id >= 255) {
		l->dropped++;
		return;
	}
	for (i = 0; i < l->count; i++)
		if (l->apic_id[i] == apic_id)
			return;
	if (l->count >= MAX_CPUS) {
		l->dropped++;
		return;
	}
	l->apic_id[l->count++] = (uint8_t)apic_id;
}

#endif
