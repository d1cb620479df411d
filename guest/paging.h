/* SPDX-License-Identifier: MIT */
/*
 * nfguest's own identity-mapped page tables (2 MiB pages, 4-level paging).
 * paging_init maps 0..3 GiB write-back and 3..4 GiB (the MMIO hole: LAPIC,
 * IOAPIC, HPET, firmware, 32-bit BARs) uncached; RAM above 4 GiB and
 * 64-bit BARs are added with paging_map. Page-table pages come from a
 * fixed pool in .bss.
 */
#ifndef NFGUEST_PAGING_H
#define NFGUEST_PAGING_H

#include <stdint.h>

/* Top-level table; the AP trampoline loads it into CR3 (below 4 GiB). */
extern uint64_t paging_pml4[512];

/* paging_init: build the 0..4 GiB map and switch CR3 to it. */
void paging_init(void);

/* paging_map: identity-map [phys, phys+len) rounded out to 2 MiB, write-back
 * or uncached (PCD|PWT); replaces existing mappings of those pages and
 * flushes the TLB. Returns 0, -EINVAL (range beyond 2^46 or wrapping) or
 * -ENOMEM (page-table pool exhausted). */
int paging_map(uint64_t phys, uint64_t len, int uncached);

/* paging_mapped: 1 if every byte of [phys, phys+len) is mapped. */
int paging_mapped(uint64_t phys, uint64_t len);

/* paging_pool_used: page-table pages in use / available (for selftest). */
unsigned int paging_pool_used(unsigned int *total);

#endif
