/* SPDX-License-Identifier: MIT */
/*
 * mode=memprobe: proves guest RAM is where the E820 map says, above the
 * PCI hole too. A few pages per RAM range (guest/memplan.h) get a pattern
 * unique to every word; all are written first, then all read back, so a
 * page the VMM mapped twice (aliased) is caught as well as a missing one.
 * It never touches more than MEMPROBE_MAX pages: plain guest RAM is
 * allocated lazily by the host and must stay that way.
 */
#include "guest/bootinfo.h"
#include "guest/io.h"
#include "guest/memplan.h"
#include "guest/nfguest.h"
#include "guest/paging.h"
#include "guest/printk.h"

#define MEMPROBE_MAX   48
#define MEMPROBE_FLOOR (16ull << 20) /* at least: the loader's area, the image */
#define MEMPROBE_LIMIT (64ull << 30) /* RAM nfguest maps (main.c) */
#define WORDS	       (MEMPLAN_PAGE / 8)

extern char __noinit_end[]; /* nfguest.ld: the end of everything nfguest uses */

void mode_memprobe(void)
{
	static uint64_t pages[MEMPROBE_MAX];
	uint64_t floor = ((uint64_t)__noinit_end + MEMPLAN_PAGE - 1) & ~(MEMPLAN_PAGE - 1);
	unsigned int n, p, i, high = 0;

	if (floor < MEMPROBE_FLOOR)
		floor = MEMPROBE_FLOOR;
	n = memplan_pages(boot_info.e820, boot_info.e820_count, floor, MEMPROBE_LIMIT, pages,
			  MEMPROBE_MAX);
	for (p = 0; p < n; p++) {
		volatile uint64_t *w = phys_ptr(pages[p]);

		if (!paging_mapped(pages[p], MEMPLAN_PAGE)) {
			printk("nfguest: memprobe fail page 0x%lx is not mapped\n",
			       (unsigned long)pages[p]);
			return;
		}
		for (i = 0; i < WORDS; i++)
			w[i] = memplan_word(pages[p], i);
		if (pages[p] >= (4ull << 30))
			high++;
	}
	for (p = 0; p < n; p++) {
		volatile uint64_t *w = phys_ptr(pages[p]);

		for (i = 0; i < WORDS; i++) {
			uint64_t got = w[i], want = memplan_word(pages[p], i);

			if (got != want) {
				printk("nfguest: memprobe fail at 0x%lx: read 0x%lx, wrote 0x%lx\n",
				       (unsigned long)(pages[p] + i * 8), (unsigned long)got,
				       (unsigned long)want);
				return;
			}
		}
	}
	printk("nfguest: memprobe ok pages=%u above_4g=%u top=0x%lx mem_mb=%lu\n", n, high,
	       (unsigned long)e820_ram_top(boot_info.e820, boot_info.e820_count),
	       (unsigned long)sysinfo.mem_mb);
}
