// SPDX-License-Identifier: MIT
/* Kernel loading: bzImage setup-header validation and zero page
 * construction from synthetic images, ELF validation with malformed inputs,
 * boot_load() refusals, the BSP entry state, and Debian's own kernel (as
 * bzImage and as the vmlinux extracted from it) when /boot has one. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/boot.h"
#include "vmm/bzimage.h"
#include "vmm/elf.h"
#include "vmm/layout.h"
#include "vmm/mem.h"

#define MiB	 (1ull << 20)
#define MEM_SIZE (64 * MiB)

static struct guest_mem *mem;
static char dir[] = "/tmp/nfv-test-loader.XXXXXX";

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	return guest_mem_create(MEM_SIZE, HUGEPAGES_NONE, &mem);
}

static int teardown(void **state)
{
	char cmd[128];

	guest_mem_destroy(mem);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path(const char *name)
{
	static char buf[32][256];
	static unsigned i;

	i = (i + 1) % 32;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static const char *write_file(const char *name, const void *data, size_t len)
{
	const char *p = path(name);
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return p;
}

static int memfd_with(const void *data, size_t len)
{
	int fd = memfd_create("elf", 0);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	return fd;
}

/* ---------------- synthetic bzImage ---------------- */

#define BZ_SETUP_SECTS 4
#define BZ_SETUP_SIZE  ((BZ_SETUP_SECTS + 1) * 512)
#define BZ_KERNEL_SIZE 8192
#define BZ_SIZE	       (BZ_SETUP_SIZE + BZ_KERNEL_SIZE)
#define BZ_PREF	       (16 * MiB)
#define BZ_INIT_SIZE   (4 * MiB)

static uint8_t bz[BZ_SIZE];

static struct setup_header *bz_hdr(void)
{
	return (struct setup_header *)(bz + BZIMAGE_HDR_OFFSET);
}

static void make_bzimage(void)
{
	struct setup_header *h = bz_hdr();
	size_t i;

	memset(bz, 0, sizeof(bz));
	h->setup_sects = BZ_SETUP_SECTS;
	h->boot_flag = 0xaa55;
	h->jump = 0x6aeb; /* header ends at 0x202 + 0x6a = 0x26c (protocol 2.15) */
	h->header = BZIMAGE_MAGIC;
	h->version = 0x020f;
	h->loadflags = LOADED_HIGH;
	h->syssize = BZ_KERNEL_SIZE / 16;
	h->code32_start = 0x100000;
	h->initrd_addr_max = 0x7fffffff;
	h->kernel_alignment = 0x200000;
	h->relocatable_kernel = 1;
	h->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	h->cmdline_size = 255;
	h->pref_address = BZ_PREF;
	h->init_size = BZ_INIT_SIZE;
	for (i = BZ_SETUP_SIZE; i < BZ_SIZE; i++)
		bz[i] = (uint8_t)(i * 7 + 3);
}

static int parse_bz(size_t file_size, struct bzimage_info *bi)
{
	size_t len = file_size < BZIMAGE_PROBE_LEN ? file_size : BZIMAGE_PROBE_LEN;

	return bzimage_parse(bz, len, file_size, "bz", bi);
}

static void test_bzimage_parse(void **state)
{
	struct bzimage_info bi;

	make_bzimage();
	assert_true(bzimage_probe(bz, sizeof(bz)));
	assert_int_equal(parse_bz(BZ_SIZE, &bi), 0);
	assert_int_equal(bi.setup_size, BZ_SETUP_SIZE);
	assert_int_equal(bi.kernel_size, BZ_KERNEL_SIZE);
	assert_int_equal(bi.hdr_len, 0x26c - 0x1f1);
	assert_int_equal(bi.cmdline_max, 256);
	assert_int_equal(bi.load_addr, BZ_PREF);
	assert_int_equal(bi.mem_end, BZ_PREF + BZ_INIT_SIZE);
	assert_int_equal(bzimage_entry(&bi), BZ_PREF + 0x200);
	assert_int_equal(bzimage_initrd_limit(&bi), 0x80000000);

	/* setup_sects 0 means 4. */
	bz_hdr()->setup_sects = 0;
	assert_int_equal(parse_bz(BZ_SIZE, &bi), 0);
	assert_int_equal(bi.setup_size, 5 * 512);

	/* No pref_address: 1 MiB. cmdline_size beyond CMDLINE_MAX is capped. */
	make_bzimage();
	bz_hdr()->pref_address = 0;
	bz_hdr()->cmdline_size = 0x7fffffff;
	assert_int_equal(parse_bz(BZ_SIZE, &bi), 0);
	assert_int_equal(bi.load_addr, HIGH_MEM_START);
	assert_int_equal(bzimage_entry(&bi), HIGH_MEM_START + 0x200);
	assert_int_equal(bi.cmdline_max, CMDLINE_MAX);
	/* Relocatable: decompression starts at the aligned load address. */
	assert_int_equal(bi.mem_end, 0x200000 + BZ_INIT_SIZE);

	/* initrd_addr_max above 3 GiB is clamped to the PCI hole. */
	make_bzimage();
	bz_hdr()->initrd_addr_max = 0xffffffff;
	assert_int_equal(parse_bz(BZ_SIZE, &bi), 0);
	assert_int_equal(bzimage_initrd_limit(&bi), PCI_HOLE_START);
}

static void test_bzimage_malformed(void **state)
{
	struct bzimage_info bi;
	size_t len;

	/* Truncated at every offset: refused, never read out of bounds. */
	make_bzimage();
	for (len = 0; len < BZ_SIZE; len += len < 0x300 ? 1 : 61)
		assert_int_equal(parse_bz(len, &bi), -ENOEXEC);
	/* The header says more kernel than the file has. */
	bz_hdr()->syssize = BZ_KERNEL_SIZE / 16 + 1;
	assert_int_equal(parse_bz(BZ_SIZE, &bi), -ENOEXEC);

	make_bzimage();
	bz_hdr()->header = 0x53726449;
	assert_false(bzimage_probe(bz, sizeof(bz)));
	assert_int_equal(parse_bz(BZ_SIZE, &bi), -ENOEXEC);
	make_bzimage();
	bz_hdr()->boot_flag = 0x55aa;
	assert_int_equal(parse_bz(BZ_SIZE, &bi), -ENOEXEC);
	make_bzimage();
	bz_hdr()->version = 0x0205;
	assert_int_equal(parse_bz(BZ_SIZE, &bi), -ENOEXEC);
	make_bzimage();
	bz_hdr()->version = 0x020b; /* has no xloadflags */
	assert_int_equal(parse_bz(BZ_SIZE, &bi), -ENOEXEC);
	make_bzimage();
	bz_hdr()->xloadflags = 0;
	assert_int_equal(parse_bz(BZ_SIZE, &bi), -ENOEXEC);
	make_bzimage();
	bz_hdr()->loadflags = 0;
	assert_int_equal(parse_bz(BZ_SIZE, &bi), -ENOEXEC);
	make_bzimage();
	bz_hdr()->kernel_alignment = 0x300000;
	assert_int_equal(parse_bz(BZ_SIZE, &bi), -EINVAL);
	make_bzimage();
	bz_hdr()->pref_address = 0x1000;
	assert_int_equal(parse_bz(BZ_SIZE, &bi), -EINVAL);
	make_bzimage();
	bz_hdr()->pref_address = 0xd0000000;
	assert_int_equal(parse_bz(BZ_SIZE, &bi), -EINVAL);
	/* A header claiming to extend past the probe window is cut, not overread. */
	make_bzimage();
	bz[0x201] = 0xff;
	assert_int_equal(parse_bz(BZ_SIZE, &bi), 0);
	assert_int_equal(bi.hdr_len, sizeof(struct setup_header));
}

static uint8_t page[4096];

static void test_bzimage_boot(void **state)
{
	const char cmdline[] = "console=ttyS0 root=/dev/vda quiet";
	struct boot_config cfg = {.ncpus = 2, .cmdline = cmdline};
	struct boot_result res;
	struct boot_params bp;
	char got[sizeof(cmdline)];
	unsigned i;

	make_bzimage();
	for (i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i ^ 0x5a);
	cfg.kernel = write_file("bzImage", bz, sizeof(bz));
	cfg.initrd = write_file("initrd", page, 3000);
	assert_int_equal(boot_load(mem, &cfg, &res), 0);
	assert_int_equal(res.kind, BOOT_KIND_BZIMAGE);
	assert_int_equal(res.entry, BZ_PREF + 0x200);
	assert_int_equal(res.boot_params, BOOT_PARAMS_ADDR);
	assert_memory_equal(guest_mem_ptr(mem, BZ_PREF, BZ_KERNEL_SIZE), bz + BZ_SETUP_SIZE,
			    BZ_KERNEL_SIZE);

	assert_int_equal(guest_mem_read(mem, BOOT_PARAMS_ADDR, &bp, sizeof(bp)), 0);
	/* The file's header was copied, then the loader fields filled. */
	assert_int_equal(bp.hdr.header, BZIMAGE_MAGIC);
	assert_int_equal(bp.hdr.version, 0x020f);
	assert_int_equal(bp.hdr.boot_flag, 0xaa55);
	assert_int_equal(bp.hdr.init_size, BZ_INIT_SIZE);
	assert_int_equal(bp.hdr.type_of_loader, 0xff);
	assert_true(bp.hdr.loadflags & LOADED_HIGH);
	assert_true(bp.hdr.loadflags & CAN_USE_HEAP);
	assert_int_equal(bp.hdr.heap_end_ptr, 0xfe00);
	assert_int_equal(bp.hdr.code32_start, BZ_PREF);
	assert_int_equal(bp.hdr.cmd_line_ptr, CMDLINE_ADDR);
	assert_int_equal(bp.ext_cmd_line_ptr, 0);
	assert_int_equal(guest_mem_read(mem, CMDLINE_ADDR, got, sizeof(got)), 0);
	assert_string_equal(got, cmdline);
	assert_int_equal(bp.acpi_rsdp_addr, RSDP_ADDR);
	assert_int_equal(bp.sentinel, 0);
	/* initrd: page aligned, at the top of low RAM, after the kernel. */
	assert_int_equal(bp.hdr.ramdisk_size, 3000);
	assert_int_equal(bp.hdr.ramdisk_image % 4096, 0);
	assert_int_equal(bp.hdr.ramdisk_image, (MEM_SIZE - 3000) & ~4095ull);
	assert_true(bp.hdr.ramdisk_image >= BZ_PREF + BZ_INIT_SIZE);
	assert_int_equal(bp.ext_ramdisk_image, 0);
	assert_memory_equal(guest_mem_ptr(mem, bp.hdr.ramdisk_image, 3000), page, 3000);
	assert_int_equal(res.initrd_addr, bp.hdr.ramdisk_image);
	/* E820 from the RAM layout: 4 entries for 64 MiB. */
	assert_int_equal(bp.e820_entries, 4);
	assert_int_equal(bp.e820_table[2].addr, HIGH_MEM_START);
	assert_int_equal(bp.e820_table[2].addr + bp.e820_table[2].size, MEM_SIZE);
	/* MP floating pointer and RSDP are in place. */
	assert_memory_equal(guest_mem_ptr(mem, EBDA_ADDR, 4), "_MP_", 4);
	assert_memory_equal(guest_mem_ptr(mem, RSDP_ADDR, 8), "RSD PTR ", 8);

	/* initrd_addr_max is honoured: the initrd ends below it. */
	bz_hdr()->initrd_addr_max = 32 * MiB - 1;
	cfg.kernel = write_file("bzImage", bz, sizeof(bz));
	assert_int_equal(boot_load(mem, &cfg, &res), 0);
	assert_int_equal(res.initrd_addr, (32 * MiB - 3000) & ~4095ull);
	assert_true(res.initrd_addr + res.initrd_size <= 32 * MiB);
	/* No initrd: the fields stay 0. */
	cfg.initrd = NULL;
	assert_int_equal(boot_load(mem, &cfg, &res), 0);
	assert_int_equal(guest_mem_read(mem, BOOT_PARAMS_ADDR, &bp, sizeof(bp)), 0);
	assert_int_equal(bp.hdr.ramdisk_image, 0);
	assert_int_equal(bp.hdr.ramdisk_size, 0);
}

static void test_boot_refusals(void **state)
{
	char longline[300];
	struct boot_config cfg = {.ncpus = 1};
	struct boot_result res;
	int fd;

	make_bzimage();
	cfg.kernel = write_file("bzImage", bz, sizeof(bz));

	/* cmdline_size is 255: 255 characters fit, 256 do not. */
	memset(longline, 'x', sizeof(longline));
	longline[255] = 0;
	cfg.cmdline = longline;
	assert_int_equal(boot_load(mem, &cfg, &res), 0);
	longline[255] = 'x';
	longline[256] = 0;
	assert_int_equal(boot_load(mem, &cfg, &res), -E2BIG);
	cfg.cmdline = NULL;

	/* initrd larger than memory, and one that does not fit beside the kernel. */
	fd = open(path("big-initrd"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(MEM_SIZE + MiB)), 0);
	close(fd);
	cfg.initrd = path("big-initrd");
	assert_int_equal(boot_load(mem, &cfg, &res), -ENOMEM);
	fd = open(path("big-initrd"), O_WRONLY | O_TRUNC);
	assert_int_equal(ftruncate(fd, (off_t)(MEM_SIZE - BZ_PREF - BZ_INIT_SIZE + 4096)), 0);
	close(fd);
	assert_int_equal(boot_load(mem, &cfg, &res), -ENOMEM);
	cfg.initrd = write_file("empty-initrd", "", 0);
	assert_int_equal(boot_load(mem, &cfg, &res), -EINVAL);
	cfg.initrd = path("no-such-initrd");
	assert_int_equal(boot_load(mem, &cfg, &res), -ENOENT);
	cfg.initrd = NULL;

	/* Kernel needs more memory than there is. */
	bz_hdr()->init_size = MEM_SIZE;
	cfg.kernel = write_file("bzImage-big", bz, sizeof(bz));
	assert_int_equal(boot_load(mem, &cfg, &res), -ENOMEM);

	/* Missing, empty, directory, not a kernel, truncated. */
	cfg.kernel = path("no-such-kernel");
	assert_int_equal(boot_load(mem, &cfg, &res), -ENOENT);
	cfg.kernel = write_file("empty", "", 0);
	assert_int_equal(boot_load(mem, &cfg, &res), -ENOEXEC);
	cfg.kernel = dir;
	assert_int_equal(boot_load(mem, &cfg, &res), -EINVAL);
	cfg.kernel = write_file("text", "#!/bin/sh\necho not a kernel\n", 28);
	assert_int_equal(boot_load(mem, &cfg, &res), -ENOEXEC);
	make_bzimage();
	cfg.kernel = write_file("bz-trunc", bz, BZ_SIZE - 100);
	assert_int_equal(boot_load(mem, &cfg, &res), -ENOEXEC);
	cfg.kernel = write_file("bz-trunc2", bz, 0x100);
	assert_int_equal(boot_load(mem, &cfg, &res), -ENOEXEC);

	/* vCPU count outside the MP table's range. */
	cfg.kernel = write_file("bzImage", bz, sizeof(bz));
	cfg.ncpus = 0;
	assert_int_equal(boot_load(mem, &cfg, &res), -EINVAL);
	cfg.ncpus = BOOT_MAX_CPUS + 1;
	assert_int_equal(boot_load(mem, &cfg, &res), -EINVAL);
	cfg.ncpus = BOOT_MAX_CPUS;
	assert_int_equal(boot_load(mem, &cfg, &res), 0);
}

/* ---------------- synthetic ELF ---------------- */

#define ELF_DATA_OFF 256
#define ELF_FILESZ   1024
#define ELF_MEMSZ    8192
#define ELF_PADDR    0x200000
#define ELF_NOTE_OFF 176
#define ELF_SIZE     (ELF_DATA_OFF + ELF_FILESZ)

static uint8_t elf[ELF_SIZE];

static Elf64_Ehdr *ehdr(void)
{
	return (Elf64_Ehdr *)elf;
}

static Elf64_Phdr *phdr(unsigned i)
{
	return (Elf64_Phdr *)(elf + sizeof(Elf64_Ehdr)) + i;
}

static void make_elf(void)
{
	Elf64_Ehdr *eh = ehdr();
	Elf64_Nhdr nh = {4, 4, 18 /* XEN_ELFNOTE_PHYS32_ENTRY */};
	uint32_t pvh = ELF_PADDR + 0x40;
	size_t i;

	memset(elf, 0, sizeof(elf));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = ELF_PADDR + 0x10;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	*phdr(0) = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = ELF_NOTE_OFF, .p_filesz = 20};
	*phdr(1) = (Elf64_Phdr){.p_type = PT_LOAD,
				.p_flags = PF_R | PF_X,
				.p_offset = ELF_DATA_OFF,
				.p_vaddr = 0xffffffff80000000ull + ELF_PADDR,
				.p_paddr = ELF_PADDR,
				.p_filesz = ELF_FILESZ,
				.p_memsz = ELF_MEMSZ,
				.p_align = 4096};
	memcpy(elf + ELF_NOTE_OFF, &nh, sizeof(nh));
	memcpy(elf + ELF_NOTE_OFF + 12, "Xen", 4);
	memcpy(elf + ELF_NOTE_OFF + 16, &pvh, 4);
	for (i = ELF_DATA_OFF; i < ELF_SIZE; i++)
		elf[i] = (uint8_t)(i * 13 + 1);
}

static int load_elf(size_t len, struct elf_info *ei)
{
	int fd = memfd_with(elf, len), ret;

	ret = elf_load(mem, fd, len, "elf", ei);
	close(fd);
	return ret;
}

static void test_elf_load(void **state)
{
	struct elf_info ei;
	uint8_t *p;
	size_t i;

	make_elf();
	assert_true(elf_probe(elf, sizeof(elf)));
	p = guest_mem_ptr(mem, ELF_PADDR, ELF_MEMSZ);
	memset(p, 0xff, ELF_MEMSZ);
	assert_int_equal(load_elf(ELF_SIZE, &ei), 0);
	assert_int_equal(ei.entry, ELF_PADDR + 0x10);
	assert_int_equal(ei.start, ELF_PADDR);
	assert_int_equal(ei.end, ELF_PADDR + ELF_MEMSZ);
	assert_int_equal(ei.nsegments, 1);
	assert_true(ei.has_pvh);
	assert_int_equal(ei.pvh_entry, ELF_PADDR + 0x40);
	assert_memory_equal(p, elf + ELF_DATA_OFF, ELF_FILESZ);
	for (i = ELF_FILESZ; i < ELF_MEMSZ; i++) /* bss zeroed */
		assert_int_equal(p[i], 0);

	/* No note: no PVH. A malformed note is ignored, not fatal. */
	phdr(0)->p_type = PT_NULL;
	assert_int_equal(load_elf(ELF_SIZE, &ei), 0);
	assert_false(ei.has_pvh);
	phdr(0)->p_type = PT_NOTE;
	memset(elf + ELF_NOTE_OFF, 0xff, 8); /* namesz/descsz huge */
	assert_int_equal(load_elf(ELF_SIZE, &ei), 0);
	assert_false(ei.has_pvh);
	phdr(0)->p_offset = ELF_SIZE + 100;
	assert_int_equal(load_elf(ELF_SIZE, &ei), 0);
}

static void test_elf_malformed(void **state)
{
	struct elf_info ei;
	size_t len;

	/* Truncated at every offset. */
	make_elf();
	for (len = 0; len < ELF_SIZE; len++)
		assert_true(load_elf(len, &ei) < 0);

#define BAD(mutation, err)                                                                         \
	do {                                                                                       \
		make_elf();                                                                        \
		mutation;                                                                          \
		assert_int_equal(load_elf(ELF_SIZE, &ei), err);                                    \
	} while (0)
	BAD(elf[1] = 'X', -ENOEXEC);
	BAD(ehdr()->e_ident[EI_CLASS] = ELFCLASS32, -ENOEXEC);
	BAD(ehdr()->e_ident[EI_DATA] = ELFDATA2MSB, -ENOEXEC);
	BAD(ehdr()->e_machine = EM_386, -ENOEXEC);
	BAD(ehdr()->e_type = ET_DYN, -ENOEXEC);
	BAD(ehdr()->e_phentsize = 32, -ENOEXEC);
	BAD(ehdr()->e_phnum = 0, -ENOEXEC);
	BAD(ehdr()->e_phnum = 0xffff, -ENOEXEC);
	BAD(ehdr()->e_phnum = ELF_MAX_PHDRS + 1, -ENOEXEC);
	BAD(ehdr()->e_phoff = ELF_SIZE, -ENOEXEC);
	BAD(ehdr()->e_phoff = 0xffffffffffffff00ull, -ENOEXEC);
	BAD(ehdr()->e_phoff = ELF_SIZE - 60, -ENOEXEC);
	BAD(phdr(1)->p_offset = ELF_SIZE, -ENOEXEC);
	BAD(phdr(1)->p_offset = 0xffffffffffffff00ull, -ENOEXEC);
	BAD(phdr(1)->p_filesz = ELF_MEMSZ + 1, -ENOEXEC);
	BAD(phdr(1)->p_paddr = 1ull << 30, -ENOMEM);		 /* beyond 64 MiB of RAM */
	BAD(phdr(1)->p_paddr = MEM_SIZE - 4096, -ENOMEM);	 /* straddles the end */
	BAD(phdr(1)->p_paddr = 0xd0000000, -ENOMEM);		 /* PCI hole */
	BAD(phdr(1)->p_paddr = 0x7000, -ENOEXEC);		 /* boot area */
	BAD(phdr(1)->p_paddr = 0xfffffffffffff000ull, -ENOEXEC); /* wraps */
	BAD(ehdr()->e_entry = 0x100, -ENOEXEC);			 /* outside every segment */
	BAD(phdr(1)->p_type = PT_DYNAMIC, -ENOEXEC);		 /* nothing to load */
#undef BAD
}

static void test_elf_boot(void **state)
{
	struct boot_config cfg = {.ncpus = 4, .cmdline = "mode=hello"};
	struct boot_result res;
	struct boot_params bp;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint64_t *pt;
	char got[16];

	make_elf();
	cfg.kernel = write_file("nfguest.elf", elf, sizeof(elf));
	cfg.initrd = write_file("initrd", page, 100);
	assert_int_equal(boot_load(mem, &cfg, &res), 0);
	assert_int_equal(res.kind, BOOT_KIND_ELF);
	assert_int_equal(res.entry, ELF_PADDR + 0x10);
	assert_true(res.has_pvh);
	assert_int_equal(guest_mem_read(mem, BOOT_PARAMS_ADDR, &bp, sizeof(bp)), 0);
	assert_int_equal(bp.hdr.boot_flag, 0xaa55);
	assert_int_equal(bp.hdr.header, BZIMAGE_MAGIC);
	assert_int_equal(bp.hdr.type_of_loader, 0xff);
	assert_int_equal(bp.hdr.cmd_line_ptr, CMDLINE_ADDR);
	assert_int_equal(bp.hdr.cmdline_size, CMDLINE_MAX - 1);
	assert_int_equal(guest_mem_read(mem, CMDLINE_ADDR, got, 11), 0);
	assert_string_equal(got, "mode=hello");
	assert_int_equal(bp.hdr.ramdisk_size, 100);
	assert_int_equal(bp.hdr.ramdisk_image, (MEM_SIZE - 100) & ~4095ull);
	assert_int_equal(bp.e820_entries, 4);

	/* BSP entry state. */
	boot_fill_regs(&res, &regs);
	assert_int_equal(regs.rip, ELF_PADDR + 0x10);
	assert_int_equal(regs.rsi, BOOT_PARAMS_ADDR);
	assert_int_equal(regs.rflags, 2);
	assert_int_equal(regs.rsp, BOOT_STACK_ADDR);
	memset(&sregs, 0, sizeof(sregs));
	sregs.apic_base = 0xfee00900;
	boot_fill_sregs(&sregs);
	assert_int_equal(sregs.apic_base, 0xfee00900); /* untouched */
	assert_int_equal(sregs.cs.selector, 0x10);
	assert_int_equal(sregs.cs.l, 1);
	assert_int_equal(sregs.cs.db, 0);
	assert_int_equal(sregs.cs.present, 1);
	assert_int_equal(sregs.ds.selector, 0x18);
	assert_int_equal(sregs.ss.selector, 0x18);
	assert_int_equal(sregs.ss.db, 1);
	assert_int_equal(sregs.cr3, PML4_ADDR);
	assert_true(sregs.cr0 & 0x80000001ull);
	assert_int_equal(sregs.cr4 & 0x20, 0x20);
	assert_int_equal(sregs.efer & 0x500, 0x500);
	assert_int_equal(sregs.gdt.base, GDT_ADDR);
	assert_int_equal(sregs.gdt.limit, 31);
	/* The GDT and the identity map of 4 GiB behind them. */
	pt = guest_mem_ptr(mem, GDT_ADDR, 32);
	assert_int_equal(pt[2], 0x00af9b000000ffffull);
	assert_int_equal(pt[3], 0x00cf93000000ffffull);
	pt = guest_mem_ptr(mem, PML4_ADDR, 8);
	assert_int_equal(pt[0], PDPT_ADDR | 3);
	pt = guest_mem_ptr(mem, PDPT_ADDR, 32);
	assert_int_equal(pt[3], (PD_ADDR + 3 * 4096) | 3);
	pt = guest_mem_ptr(mem, PD_ADDR, 4 * 4096);
	assert_int_equal(pt[0], 0x83);
	assert_int_equal(pt[2047], (2047ull << 21) | 0x83);
}

/* Our own test guest, when built: loads as ELF and carries its PVH note. */
static void test_nfguest(void **state)
{
	struct boot_config cfg = {.ncpus = 2, .cmdline = "mode=hello"};
	const char *build = getenv("BUILD");
	struct boot_result res;
	char file[256];

	snprintf(file, sizeof(file), "%s/guest/nfguest.elf", build ? build : "build");
	if (access(file, R_OK) != 0) {
		print_message("%s not built: run make first\n", file);
		skip();
	}
	cfg.kernel = file;
	assert_int_equal(boot_load(mem, &cfg, &res), 0);
	assert_int_equal(res.kind, BOOT_KIND_ELF);
	assert_true(res.entry >= HIGH_MEM_START);
	assert_true(res.entry < res.kernel_end);
	assert_true(res.has_pvh);
	assert_true(res.pvh_entry >= res.kernel_start && res.pvh_entry < res.kernel_end);
}

/* ---------------- Debian's kernel ---------------- */

static void cmp_file(const char *file, uint64_t off, uint64_t gpa, uint64_t len)
{
	uint8_t buf[4096];
	int fd = open(file, O_RDONLY);

	assert_true(fd >= 0);
	assert_true(len <= sizeof(buf));
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
	assert_memory_equal(guest_mem_ptr(mem, gpa, len), buf, len);
}

static void test_linux(void **state)
{
	struct boot_config cfg = {.ncpus = 2, .cmdline = "console=ttyS0 panic=-1"};
	struct guest_mem *big;
	struct boot_result res;
	struct boot_params bp;
	struct guest_mem *saved = mem;
	glob_t g;
	const char *vmlinuz, *initrd;
	char cmd[512], initrd_path[256];
	struct stat st;
	uint64_t setup_size;

	if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0) {
		print_message("no /boot/vmlinuz-*: install linux-image-amd64\n");
		skip();
	}
	vmlinuz = g.gl_pathv[g.gl_pathc - 1];
	snprintf(initrd_path, sizeof(initrd_path), "/boot/initrd.img-%s",
		 vmlinuz + strlen("/boot/vmlinuz-"));
	initrd = stat(initrd_path, &st) == 0 ? initrd_path : NULL;
	assert_int_equal(guest_mem_create(256 * MiB, HUGEPAGES_NONE, &big), 0);
	mem = big;

	cfg.kernel = vmlinuz;
	cfg.initrd = initrd;
	assert_int_equal(boot_load(mem, &cfg, &res), 0);
	assert_int_equal(res.kind, BOOT_KIND_BZIMAGE);
	assert_int_equal(guest_mem_read(mem, BOOT_PARAMS_ADDR, &bp, sizeof(bp)), 0);
	assert_true(bp.hdr.version >= 0x20c);
	assert_true(bp.hdr.xloadflags & XLF_KERNEL_64);
	assert_int_equal(res.entry, bp.hdr.pref_address + 0x200);
	setup_size = (uint64_t)((bp.hdr.setup_sects ? bp.hdr.setup_sects : 4) + 1) * 512;
	cmp_file(vmlinuz, setup_size, bp.hdr.pref_address, 4096);
	if (initrd) {
		assert_int_equal(bp.hdr.ramdisk_size, (uint64_t)st.st_size);
		assert_int_equal(bp.hdr.ramdisk_image % 4096, 0);
		assert_true(bp.hdr.ramdisk_image + (uint64_t)st.st_size <= 256 * MiB);
		assert_true(bp.hdr.ramdisk_image >= bp.hdr.pref_address + bp.hdr.init_size);
		cmp_file(initrd, 0, bp.hdr.ramdisk_image, 4096);
		cmp_file(initrd, (uint64_t)st.st_size - 4096,
			 bp.hdr.ramdisk_image + (uint64_t)st.st_size - 4096, 4096);
	}

	/* The vmlinux inside it, extracted by the helper the nested tier uses. */
	snprintf(cmd, sizeof(cmd), "tests/tools/extract-vmlinux.sh %s %s", vmlinuz,
		 path("vmlinux"));
	if (access("tests/tools/extract-vmlinux.sh", X_OK) == 0 && system(cmd) == 0) {
		Elf64_Ehdr eh;
		Elf64_Phdr ph;
		int fd = open(path("vmlinux"), O_RDONLY);

		assert_true(fd >= 0);
		assert_int_equal(pread(fd, &eh, sizeof(eh), 0), sizeof(eh));
		assert_int_equal(pread(fd, &ph, sizeof(ph), (off_t)eh.e_phoff), sizeof(ph));
		close(fd);
		cfg.kernel = path("vmlinux");
		assert_int_equal(boot_load(mem, &cfg, &res), 0);
		assert_int_equal(res.kind, BOOT_KIND_ELF);
		assert_int_equal(res.entry, eh.e_entry);
		cmp_file(cfg.kernel, ph.p_offset, ph.p_paddr, 4096);
		if (initrd)
			assert_true(res.initrd_addr >= res.kernel_end);
		unlink(path("vmlinux"));
	} else {
		print_message("extract-vmlinux.sh failed: vmlinux part not run\n");
	}
	mem = saved;
	guest_mem_destroy(big);
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bzimage_parse), cmocka_unit_test(test_bzimage_malformed),
	    cmocka_unit_test(test_bzimage_boot),  cmocka_unit_test(test_boot_refusals),
	    cmocka_unit_test(test_elf_load),	  cmocka_unit_test(test_elf_malformed),
	    cmocka_unit_test(test_elf_boot),	  cmocka_unit_test(test_nfguest),
	    cmocka_unit_test(test_linux),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
