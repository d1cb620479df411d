/* SPDX-License-Identifier: MIT */
#include "guest/memplan.h"

static void add(uint64_t *out, unsigned int max, unsigned int *n, uint64_t page)
{
	/* Ranges are probed in order, so a repeat can only be the last one. */
	if (*n && out[*n - 1] == page)
		return;
	if (*n < max)
		out[(*n)++] = page;
}

unsigned int memplan_pages(const struct e820_entry *map, unsigned int n, uint64_t floor,
			   uint64_t limit, uint64_t *out, unsigned int max)
{
	unsigned int i, count = 0;

	for (i = 0; i < n; i++) {
		uint64_t lo = map[i].addr, hi = map[i].addr + map[i].size, first, last;

		if (map[i].type != E820_RAM || hi < lo)
			continue;
		if (lo < floor)
			lo = floor;
		if (hi > limit)
			hi = limit;
		/* Whole pages inside [lo, hi). */
		first = (lo + MEMPLAN_PAGE - 1) & ~(MEMPLAN_PAGE - 1);
		if (hi < first + MEMPLAN_PAGE)
			continue;
		last = (hi & ~(MEMPLAN_PAGE - 1)) - MEMPLAN_PAGE;
		add(out, max, &count, first);
		add(out, max, &count, first + ((last - first) / 2 & ~(MEMPLAN_PAGE - 1)));
		add(out, max, &count, last);
	}
	return count;
}

uint64_t memplan_word(uint64_t addr, unsigned int i)
{
	/* addr has its low 12 bits clear, i < 512: addr | i*8 is unique per
	 * word; the multiply spreads it over all 64 bits. */
	return ((addr | (uint64_t)i * 8) * 0x9e3779b97f4a7c15ull) ^ 0x4e46474d454d5052ull;
}
