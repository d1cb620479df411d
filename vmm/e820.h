/* SPDX-License-Identifier: MIT */
/* The E820 memory map handed to the guest: built from the guest RAM regions
 * (vmm/mem.h) and the fixed layout (vmm/layout.h). Pure function, no I/O. */
#ifndef NFV_VMM_E820_H
#define NFV_VMM_E820_H

#include <stddef.h>
#include <stdint.h>
#include <asm/bootparam.h>

#include "vmm/mem.h"

#define E820_RAM      1
#define E820_RESERVED 2

/* Room for every entry e820_build() can produce. */
#define E820_MAX_ENTRIES 8

/* Fill `out` (room for `max` entries) with the map for the RAM `regions`
 * (guest-physical order, as guest_mem_regions() returns them):
 *   [0, LOW_RAM_END) RAM, [EBDA_ADDR, 1 MiB) reserved, [1 MiB, end of the
 *   first region) RAM, each further region RAM, the PCI ECAM reserved.
 * Returns the number of entries, -EINVAL if the first region does not start
 * at 0 or is smaller than 2 MiB, or regions overlap the PCI hole, -ENOSPC if
 * `max` is too small. Entries are sorted by address and never overlap. */
int e820_build(const struct mem_region *regions, size_t nregions, struct boot_e820_entry *out,
	       size_t max);

/* Printable name of an E820 type ("RAM", "reserved", "unknown"). */
const char *e820_type_name(uint32_t type);

#endif
