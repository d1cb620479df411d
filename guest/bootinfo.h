/* SPDX-License-Identifier: MIT */
/*
 * What the loader told us, copied out of loader memory before anything
 * below 1 MiB is reused: the command line, the E820 map and the RSDP hint.
 */
#ifndef NFGUEST_BOOTINFO_H
#define NFGUEST_BOOTINFO_H

#include <stdint.h>

#include "guest/e820.h"

#define CMDLINE_MAX 2048

struct boot_info {
	unsigned int kind; /* BOOT_KIND_* */
	char cmdline[CMDLINE_MAX];
	struct e820_entry e820[E820_MAX];
	unsigned int e820_count;
	unsigned int e820_dropped; /* entries beyond E820_MAX */
	uint64_t rsdp;		   /* RSDP from the loader, 0 if none */
	uint64_t info_paddr;	   /* boot_params or hvm_start_info */
};

extern struct boot_info boot_info;

/* bootinfo_parse: fill boot_info from the loader structure at paddr
 * (boot_params for BOOT_KIND_LINUX64, hvm_start_info for BOOT_KIND_PVH).
 * Every count and length read there is clamped. Returns 0, or -EINVAL with a
 * message printed (bad PVH magic, pointer outside the low 4 GiB). */
int bootinfo_parse(unsigned int kind, uint64_t paddr);

const char *bootinfo_kind_name(unsigned int kind);

#endif
