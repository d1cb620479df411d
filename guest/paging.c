/* SPDX-License-Identifier: MIT */
#include "guest/errno.h"
#include "guest/io.h"
#include "guest/lib.h"
#include "guest/paging.h"

#define PTE_P	   0x001ull
#define PTE_W	   0x002ull
#define PTE_PWT	   0x008ull
#define PTE_PCD	   0x010ull
#define PTE_PS	   0x080ull
#define PTE_ADDR   0x000ffffffffff000ull
#define PAGE_2M	   (2ull << 20)
#define PHYS_LIMIT (1ull << 46)
#define POOL_PAGES 96

uint64_t paging_pml4[512] __attribute__((aligned(4096)));
static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static unsigned int pool_used;

/* Next-level table behind entry idx of table, allocated on demand. */
static uint64_t *next_table(uint64_t *table, unsigned int idx, int alloc)
{
	uint64_t *t;

	if (table[idx] & PTE_P)
		return (uint64_t *)(table[idx] & PTE_ADDR);
	if (!alloc || pool_used >= POOL_PAGES)
		return 0;
	t = pool[pool_used++];
	memset(t, 0, 4096);
	table[idx] = (uint64_t)t | PTE_P | PTE_W;
	return t;
}

static uint64_t *pd_for(uint64_t addr, int alloc)
{
	uint64_t *pdpt = next_table(paging_pml4, (addr >> 39) & 511, alloc);

	if (!pdpt)
		return 0;
	return next_table(pdpt, (addr >> 30) & 511, alloc);
}

static void flush_tlb(void)
{
	write_cr3((uint64_t)paging_pml4);
}

int paging_map(uint64_t phys, uint64_t len, int uncached)
{
	uint64_t a, end;

	if (len == 0)
		return 0;
	if (phys + len < phys || phys + len > PHYS_LIMIT)
		return -EINVAL;
	a = phys & ~(PAGE_2M - 1);
	end = (phys + len + PAGE_2M - 1) & ~(PAGE_2M - 1);
	for (; a < end; a += PAGE_2M) {
		uint64_t *pd = pd_for(a, 1);

		if (!pd)
			return -ENOMEM;
		pd[(a >> 21) & 511] =
		    a | PTE_P | PTE_W | PTE_PS | (uncached ? PTE_PCD | PTE_PWT : 0);
	}
	flush_tlb();
	return 0;
}

int paging_mapped(uint64_t phys, uint64_t len)
{
	uint64_t a, end;

	if (len == 0)
		len = 1;
	if (phys + len < phys || phys + len > PHYS_LIMIT)
		return 0;
	end = phys + len;
	for (a = phys & ~(PAGE_2M - 1); a < end; a += PAGE_2M) {
		uint64_t *pd = pd_for(a, 0);

		if (!pd || !(pd[(a >> 21) & 511] & PTE_P))
			return 0;
	}
	return 1;
}

void paging_init(void)
{
	/* The pool holds at least the 5 pages these need: cannot fail. */
	paging_map(0, 3ull << 30, 0);
	paging_map(3ull << 30, 1ull << 30, 1);
}

unsigned int paging_pool_used(unsigned int *total)
{
	*total = POOL_PAGES;
	return pool_used;
}
