/* SPDX-License-Identifier: MIT */
#include "guest/e820.h"

static uint64_t entry_end(const struct e820_entry *e)
{
	return e->addr + e->size < e->addr ? UINT64_MAX : e->addr + e->size;
}

uint64_t e820_ram_bytes(const struct e820_entry *map, unsigned int n)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < n && i < E820_MAX; i++) {
		uint64_t len;

		if (map[i].type != E820_RAM)
			continue;
		len = entry_end(&map[i]) - map[i].addr;
		sum = sum + len < sum ? UINT64_MAX : sum + len;
	}
	return sum;
}

uint64_t e820_mem_mb(const struct e820_entry *map, unsigned int n)
{
	uint64_t bytes = e820_ram_bytes(map, n);

	return (bytes >> 20) + ((bytes >> 19) & 1);
}

uint64_t e820_ram_top(const struct e820_entry *map, unsigned int n)
{
	uint64_t top = 0;
	unsigned int i;

	for (i = 0; i < n && i < E820_MAX; i++)
		if (map[i].type == E820_RAM && map[i].size && entry_end(&map[i]) > top)
			top = entry_end(&map[i]);
	return top;
}

int e820_is_ram(const struct e820_entry *map, unsigned int n, uint64_t addr, uint64_t len)
{
	unsigned int i;

	if (addr + len < addr)
		return 0;
	for (i = 0; i < n && i < E820_MAX; i++)
		if (map[i].type == E820_RAM && addr >= map[i].addr &&
		    addr + len <= entry_end(&map[i]))
			return 1;
	return 0;
}

const char *e820_type_name(uint32_t type)
{
	static const char *const names[] = {
	    [1] = "ram", [2] = "reserved", [3] = "acpi",
	    [4] = "nvs", [5] = "unusable", [7] = "pmem",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "type?";
}
