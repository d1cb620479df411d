/* SPDX-License-Identifier: MIT */
/* Which RAM pages mode=memprobe writes and reads back, and what it writes:
 * pure functions, unit-tested on the host (tests/unit/test_memplan.c). */
#ifndef NFGUEST_MEMPLAN_H
#define NFGUEST_MEMPLAN_H

#include <stdint.h>

#include "guest/e820.h"

#define MEMPLAN_PAGE	  4096ull
#define MEMPLAN_PER_RANGE 3 /* first, middle and last page of a RAM range */

/* memplan_pages: fill out[0..max) with the 4 KiB pages to probe, in map
 * order: for every E820 RAM entry, clipped to [floor, limit), its first,
 * middle and last whole page (fewer when the clipped range has fewer
 * distinct pages). floor keeps the probe off nfguest's own image and data;
 * limit is the top of what nfguest maps. Returns the number of pages (at
 * most max; the rest are dropped). */
unsigned int memplan_pages(const struct e820_entry *map, unsigned int n, uint64_t floor,
			   uint64_t limit, uint64_t *out, unsigned int max);

/* memplan_word: the value memprobe stores in 64-bit word i of the page at
 * addr. Distinct for every (page, word), so a page that aliases another
 * (the same host memory at two guest addresses) reads back wrong. */
uint64_t memplan_word(uint64_t addr, unsigned int i);

#endif
