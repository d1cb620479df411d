/* SPDX-License-Identifier: MIT */
/* Linux bzImage (x86 boot protocol, Documentation/arch/x86/boot.rst): setup
 * header validation, placement of the protected-mode kernel and its 64-bit
 * entry point (load address + 0x200). */
#ifndef NFV_VMM_BZIMAGE_H
#define NFV_VMM_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <asm/bootparam.h>

#include "vmm/mem.h"

#define BZIMAGE_HDR_OFFSET   0x1f1
#define BZIMAGE_MAGIC_OFFSET 0x202
#define BZIMAGE_MAGIC	     0x53726448u /* "HdrS" */
#define BZIMAGE_MIN_VERSION  0x0206
/* Bytes of the file bzimage_parse() needs to see (the whole setup header). */
#define BZIMAGE_PROBE_LEN 0x300

struct bzimage_info {
	struct setup_header hdr; /* as found in the file, zero-filled past its end */
	unsigned hdr_len;	 /* bytes of setup header the file declares */
	uint64_t setup_size;	 /* real-mode part: (setup_sects + 1) * 512 */
	uint64_t kernel_size;	 /* protected-mode part, from setup_size to EOF */
	uint64_t cmdline_max;	 /* command line bytes including the NUL */
	uint64_t load_addr;	 /* where bzimage_load() puts the kernel */
	uint64_t mem_end;	 /* end of the memory the kernel decompresses into */
};

/* True if `buf` (the first `len` bytes of a file) carries the boot sector
 * signature and the "HdrS" magic. */
bool bzimage_probe(const void *buf, size_t len);

/* Validate the setup header in `buf` (the first min(file_size,
 * BZIMAGE_PROBE_LEN) bytes of the file `name` of `file_size` bytes) and fill
 * `out`. Refuses, with a message naming `name`: a truncated file, a missing
 * magic, boot protocol < 2.06, a kernel without a 64-bit entry
 * (XLF_KERNEL_64), a zImage (no LOADED_HIGH), a bad kernel_alignment.
 * 0 or -ENOEXEC/-EINVAL. */
int bzimage_parse(const void *buf, size_t len, uint64_t file_size, const char *name,
		  struct bzimage_info *out);

/* Copy the protected-mode kernel of `fd` into guest memory at info->load_addr
 * (the kernel's pref_address, where a 64-bit kernel decompresses anyway; 1
 * MiB for kernels without one) after checking that the memory it
 * decompresses into, [load, mem_end), lies below `ram_end` (the end of the
 * RAM below the PCI hole). 0, -ENOMEM (too little memory, message gives the
 * sizes) or -EIO. */
int bzimage_load(struct guest_mem *mem, int fd, const char *name, uint64_t ram_end,
		 struct bzimage_info *info);

/* 64-bit entry point: load address + 0x200 (startup_64). */
uint64_t bzimage_entry(const struct bzimage_info *info);

/* Highest guest-physical address (exclusive) the initrd may end at. */
uint64_t bzimage_initrd_limit(const struct bzimage_info *info);

/* Start a zero page: copy the file's setup header into the cleared `bp` and
 * fill the loader fields (type_of_loader, LOADED_HIGH|CAN_USE_HEAP,
 * heap_end_ptr, code32_start). The caller adds cmdline, initrd and e820. */
void bzimage_init_params(const struct bzimage_info *info, struct boot_params *bp);

#endif
