// SPDX-License-Identifier: MIT
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_PREFIX "boot"
#include "common/log.h"
#include "vmm/elf.h"
#include "vmm/layout.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

bool elf_probe(const void *buf, size_t len)
{
	return len >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0;
}

/* Read exactly len bytes at off: 0, or -EIO/-errno with a message. */
static int read_at(int fd, const char *name, void *buf, uint64_t len, uint64_t off)
{
	uint64_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : -EIO;

			pr_err("%s: read at offset %" PRIu64 " failed: %s", name, off + done,
			       n < 0 ? strerror(-err) : "unexpected end of file");
			return err;
		}
		done += (uint64_t)n;
	}
	return 0;
}

static int check_ehdr(const Elf64_Ehdr *eh, uint64_t file_size, const char *name)
{
	if (!elf_probe(eh, sizeof(*eh))) {
		pr_err("%s: not an ELF file (bad magic)", name);
		return -ENOEXEC;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS64) {
		pr_err("%s: ELF class %u is not ELFCLASS64: need a 64-bit x86-64 kernel", name,
		       eh->e_ident[EI_CLASS]);
		return -ENOEXEC;
	}
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_ident[EI_VERSION] != EV_CURRENT) {
		pr_err("%s: ELF data encoding %u / version %u: need little-endian version 1", name,
		       eh->e_ident[EI_DATA], eh->e_ident[EI_VERSION]);
		return -ENOEXEC;
	}
	if (eh->e_machine != EM_X86_64) {
		pr_err("%s: ELF machine %u is not x86-64 (%u)", name, eh->e_machine, EM_X86_64);
		return -ENOEXEC;
	}
	if (eh->e_type != ET_EXEC) {
		pr_err("%s: ELF type %u is not an executable (ET_EXEC): link the kernel "
		       "statically at fixed physical addresses",
		       name, eh->e_type);
		return -ENOEXEC;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr)) {
		pr_err("%s: e_phentsize %u, expected %zu", name, eh->e_phentsize,
		       sizeof(Elf64_Phdr));
		return -ENOEXEC;
	}
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHDRS) {
		pr_err("%s: %u program headers: need 1..%d", name, eh->e_phnum, ELF_MAX_PHDRS);
		return -ENOEXEC;
	}
	if (eh->e_phoff > file_size ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > file_size - eh->e_phoff) {
		pr_err("%s: program headers at offset %" PRIu64 " (%u entries) extend beyond the "
		       "end of the file (%" PRIu64 " bytes): truncated?",
		       name, (uint64_t)eh->e_phoff, eh->e_phnum, file_size);
		return -ENOEXEC;
	}
	return 0;
}

static void ram_desc(struct guest_mem *mem, char *buf, size_t len)
{
	const struct mem_region *r;
	size_t n = guest_mem_regions(mem, &r), i;
	int off = 0;

	buf[0] = 0;
	for (i = 0; i < n && off >= 0 && (size_t)off < len; i++)
		off += snprintf(buf + off, len - (size_t)off, "%s[0x%" PRIx64 ", 0x%" PRIx64 ")",
				i ? " " : "", r[i].gpa, r[i].gpa + r[i].size);
}

static int check_load(struct guest_mem *mem, const Elf64_Phdr *ph, unsigned idx, uint64_t file_size,
		      const char *name)
{
	uint64_t end = ph->p_paddr + ph->p_memsz;

	if (ph->p_filesz > ph->p_memsz) {
		pr_err("%s: segment %u: p_filesz %" PRIu64 " > p_memsz %" PRIu64, name, idx,
		       (uint64_t)ph->p_filesz, (uint64_t)ph->p_memsz);
		return -ENOEXEC;
	}
	if (ph->p_offset > file_size || ph->p_filesz > file_size - ph->p_offset) {
		pr_err("%s: segment %u: file range [%" PRIu64 ", +%" PRIu64
		       ") is beyond the end of the file (%" PRIu64 " bytes): truncated?",
		       name, idx, (uint64_t)ph->p_offset, (uint64_t)ph->p_filesz, file_size);
		return -ENOEXEC;
	}
	if (ph->p_memsz == 0)
		return 0;
	if (end < ph->p_paddr) {
		pr_err("%s: segment %u: address 0x%" PRIx64 " + size 0x%" PRIx64 " wraps", name,
		       idx, (uint64_t)ph->p_paddr, (uint64_t)ph->p_memsz);
		return -ENOEXEC;
	}
	if (ph->p_paddr < HIGH_MEM_START) {
		pr_err("%s: segment %u [0x%" PRIx64 ", 0x%" PRIx64
		       ") overlaps the boot area below 1 MiB (page tables, zero page, MP/ACPI "
		       "tables): link the kernel at or above 0x100000",
		       name, idx, (uint64_t)ph->p_paddr, end);
		return -ENOEXEC;
	}
	if (!guest_mem_ptr(mem, ph->p_paddr, ph->p_memsz)) {
		char ram[128];

		ram_desc(mem, ram, sizeof(ram));
		pr_err("%s: segment %u [0x%" PRIx64 ", 0x%" PRIx64
		       ") lies outside guest RAM %s: use a larger --memory or relink the kernel",
		       name, idx, (uint64_t)ph->p_paddr, end, ram);
		return -ENOMEM;
	}
	return 0;
}

/* Look for XEN_ELFNOTE_PHYS32_ENTRY in one PT_NOTE segment. Notes are only
 * informational: a malformed note area is ignored, never fatal. */
static void scan_notes(int fd, const char *name, uint64_t file_size, const Elf64_Phdr *ph,
		       struct elf_info *out)
{
	uint8_t *buf;
	uint64_t off = 0;

	if (ph->p_filesz < sizeof(Elf64_Nhdr) || ph->p_filesz > ELF_MAX_NOTES ||
	    ph->p_offset > file_size || ph->p_filesz > file_size - ph->p_offset)
		return;
	buf = malloc(ph->p_filesz);
	if (!buf)
		return;
	if (read_at(fd, name, buf, ph->p_filesz, ph->p_offset))
		goto out;
	while (ph->p_filesz - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_len, desc_len;

		memcpy(&nh, buf + off, sizeof(nh));
		off += sizeof(nh);
		name_len = ((uint64_t)nh.n_namesz + 3) & ~3ull;
		desc_len = ((uint64_t)nh.n_descsz + 3) & ~3ull;
		if (name_len > ph->p_filesz - off || desc_len > ph->p_filesz - off - name_len)
			break;
		if (nh.n_namesz == 4 && memcmp(buf + off, "Xen", 4) == 0 &&
		    nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_descsz >= 4) {
			memcpy(&out->pvh_entry, buf + off + name_len, 4);
			out->has_pvh = true;
		}
		off += name_len + desc_len;
	}
out:
	free(buf);
}

int elf_load(struct guest_mem *mem, int fd, uint64_t file_size, const char *name,
	     struct elf_info *out)
{
	Elf64_Phdr phdrs[ELF_MAX_PHDRS] = {0};
	Elf64_Ehdr eh = {0};
	bool entry_ok = false;
	unsigned i;
	int ret;

	memset(out, 0, sizeof(*out));
	if (file_size < sizeof(eh)) {
		pr_err("%s: truncated: %" PRIu64 " bytes, an ELF header needs %zu", name, file_size,
		       sizeof(eh));
		return -ENOEXEC;
	}
	ret = read_at(fd, name, &eh, sizeof(eh), 0);
	if (ret)
		return ret;
	ret = check_ehdr(&eh, file_size, name);
	if (ret)
		return ret;
	ret = read_at(fd, name, phdrs, eh.e_phnum * sizeof(Elf64_Phdr), eh.e_phoff);
	if (ret)
		return ret;

	/* Validate everything before the first write to guest memory. */
	out->start = UINT64_MAX;
	for (i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *ph = &phdrs[i];

		if (ph->p_type == PT_NOTE)
			scan_notes(fd, name, file_size, ph, out);
		if (ph->p_type != PT_LOAD)
			continue;
		ret = check_load(mem, ph, i, file_size, name);
		if (ret)
			return ret;
		if (ph->p_memsz == 0)
			continue;
		out->nsegments++;
		if (ph->p_paddr < out->start)
			out->start = ph->p_paddr;
		if (ph->p_paddr + ph->p_memsz > out->end)
			out->end = ph->p_paddr + ph->p_memsz;
		if (eh.e_entry >= ph->p_paddr && eh.e_entry < ph->p_paddr + ph->p_memsz)
			entry_ok = true;
	}
	if (out->nsegments == 0) {
		pr_err("%s: no loadable (PT_LOAD) segment", name);
		return -ENOEXEC;
	}
	if (!entry_ok) {
		pr_err("%s: entry point 0x%" PRIx64 " is outside every loaded segment "
		       "(e_entry must be a physical address)",
		       name, (uint64_t)eh.e_entry);
		return -ENOEXEC;
	}
	out->entry = eh.e_entry;

	for (i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *ph = &phdrs[i];
		uint8_t *dst;

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		dst = guest_mem_ptr(mem, ph->p_paddr, ph->p_memsz);
		ret = read_at(fd, name, dst, ph->p_filesz, ph->p_offset);
		if (ret)
			return ret;
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	return 0;
}
