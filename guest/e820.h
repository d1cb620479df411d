/* SPDX-License-Identifier: MIT */
/* The guest's copy of the firmware memory map and what it derives from it. */
#ifndef NFGUEST_E820_H
#define NFGUEST_E820_H

#include <stdint.h>

#define E820_MAX  128
#define E820_RAM  1
#define E820_ACPI 3

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* e820_ram_bytes: sum of the sizes of type-1 (RAM) entries; an entry whose
 * end would overflow 64 bits is clamped at 2^64-1. */
uint64_t e820_ram_bytes(const struct e820_entry *map, unsigned int n);

/* e820_mem_mb: the mem_mb nfguest reports: e820_ram_bytes rounded to the
 * nearest MiB (half a MiB rounds up). */
uint64_t e820_mem_mb(const struct e820_entry *map, unsigned int n);

/* e820_ram_top: highest end address of any RAM entry (0 if none). */
uint64_t e820_ram_top(const struct e820_entry *map, unsigned int n);

/* e820_is_ram: 1 if [addr, addr+len) lies inside one RAM entry. */
int e820_is_ram(const struct e820_entry *map, unsigned int n, uint64_t addr, uint64_t len);

/* e820_type_name: "ram", "reserved", "acpi", "nvs", "unusable", "pmem" or
 * "type?" for anything else. */
const char *e820_type_name(uint32_t type);

#endif
