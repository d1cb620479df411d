/* SPDX-License-Identifier: MIT */
/* 64-bit x86 ELF kernel loader (a Linux vmlinux or nfguest): PT_LOAD
 * segments copied to their physical addresses, entered in long mode at
 * e_entry. Also reports a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY). */
#ifndef NFV_VMM_ELF_H
#define NFV_VMM_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/mem.h"

/* More program headers than this is not a kernel we load. */
#define ELF_MAX_PHDRS 64
/* PT_NOTE segments larger than this are skipped when looking for PVH. */
#define ELF_MAX_NOTES 65536

struct elf_info {
	uint64_t entry;	    /* e_entry: physical 64-bit entry point */
	uint64_t start;	    /* lowest p_paddr of the PT_LOAD segments */
	uint64_t end;	    /* highest p_paddr + p_memsz */
	unsigned nsegments; /* PT_LOAD segments loaded */
	bool has_pvh;	    /* XEN_ELFNOTE_PHYS32_ENTRY found */
	uint32_t pvh_entry; /* its 32-bit entry point */
};

/* True if `buf` starts with the ELF magic. */
bool elf_probe(const void *buf, size_t len);

/* Validate the ELF file `fd` (`file_size` bytes, called `name` in messages)
 * and copy its PT_LOAD segments into `mem` at p_paddr, zeroing p_memsz beyond
 * p_filesz. Refuses (-ENOEXEC) a truncated file, a non-ELF64 / non-x86-64 /
 * non-executable ELF, program headers beyond the file or too many of them,
 * segments whose file range is outside the file or whose memory range is
 * outside guest RAM or below 1 MiB (the boot area of vmm/layout.h), and an
 * entry point outside every segment; the message names `name` and the
 * segment. Nothing is written to guest memory before all checks pass.
 * 0, -ENOEXEC, -ENOMEM (segments outside RAM) or -EIO. */
int elf_load(struct guest_mem *mem, int fd, uint64_t file_size, const char *name,
	     struct elf_info *out);

#endif
