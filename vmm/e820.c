// SPDX-License-Identifier: MIT
#include <errno.h>

#include "vmm/e820.h"
#include "vmm/layout.h"

static int add(struct boot_e820_entry *out, size_t max, size_t *n, uint64_t addr, uint64_t size,
	       uint32_t type)
{
	if (*n >= max)
		return -ENOSPC;
	out[*n].addr = addr;
	out[*n].size = size;
	out[*n].type = type;
	(*n)++;
	return 0;
}

int e820_build(const struct mem_region *regions, size_t nregions, struct boot_e820_entry *out,
	       size_t max)
{
	size_t n = 0, i;
	int ret;

	if (nregions == 0 || regions[0].gpa != 0 || regions[0].size < 2 * HIGH_MEM_START)
		return -EINVAL;
	for (i = 0; i < nregions; i++) {
		uint64_t start = regions[i].gpa, end = start + regions[i].size;

		if (end <= start || (start < PCI_HOLE_END && end > PCI_HOLE_START))
			return -EINVAL;
		if (i > 0 && start < regions[i - 1].gpa + regions[i - 1].size)
			return -EINVAL;
	}

	/* Conventional memory, then the EBDA + legacy BIOS/VGA area that holds
	 * our MP and ACPI tables, then the rest of the low region. */
	ret = add(out, max, &n, 0, LOW_RAM_END, E820_RAM);
	if (!ret)
		ret = add(out, max, &n, EBDA_ADDR, HIGH_MEM_START - EBDA_ADDR, E820_RESERVED);
	if (!ret)
		ret = add(out, max, &n, HIGH_MEM_START, regions[0].size - HIGH_MEM_START, E820_RAM);
	/* Linux only trusts MMCONFIG when the ECAM window is reserved (E820 or
	 * a motherboard resource): declare it here. */
	if (!ret)
		ret = add(out, max, &n, PCI_ECAM_BASE, PCI_ECAM_SIZE, E820_RESERVED);
	for (i = 1; !ret && i < nregions; i++)
		ret = add(out, max, &n, regions[i].gpa, regions[i].size, E820_RAM);
	return ret ? ret : (int)n;
}

const char *e820_type_name(uint32_t type)
{
	switch (type) {
	case E820_RAM:
		return "RAM";
	case E820_RESERVED:
		return "reserved";
	default:
		return "unknown";
	}
}
