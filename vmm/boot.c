// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_PREFIX "boot"
#include "common/log.h"
#include "vmm/acpi.h"
#include "vmm/boot.h"
#include "vmm/bzimage.h"
#include "vmm/e820.h"
#include "vmm/elf.h"
#include "vmm/layout.h"
#include "vmm/mptable.h"
#include "vmm/x86.h"

#define PAGE_SIZE 4096ull
#define ELF_KERNEL_ALIGN                                                                           \
	0x1000000u /* what a vmlinux was linked for (Firecracker does the same)                    \
		    */

/* Open `path` read-only and return its size; -errno with a message. */
static int open_file(const char *path, const char *what, int *fd, uint64_t *size)
{
	struct stat st;
	int err;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		err = -errno;
		pr_err("%s %s: %s", what, path, strerror(-err));
		return err;
	}
	if (fstat(*fd, &st) < 0) {
		err = -errno;
		pr_err("%s %s: %s", what, path, strerror(-err));
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		pr_err("%s %s: not a regular file", what, path);
		goto err_close;
	}
	*size = (uint64_t)st.st_size;
	return 0;

err_close:
	close(*fd);
	*fd = -1;
	return err;
}

static int read_head(int fd, const char *path, uint8_t *buf, size_t len, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t n = pread(fd, buf + *got, len - *got, (off_t)*got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			pr_err("kernel %s: read failed: %s", path, strerror(-err));
			return err;
		}
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

/* Load the kernel: fills kind/entry/kernel range, and starts the zero page. */
static int load_kernel(struct guest_mem *mem, const struct boot_config *cfg, uint64_t ram_end,
		       struct boot_result *out, struct boot_params *bp, uint64_t *cmdline_max,
		       uint64_t *initrd_limit)
{
	uint8_t head[BZIMAGE_PROBE_LEN];
	uint64_t size = 0;
	size_t got;
	int fd, ret;

	ret = open_file(cfg->kernel, "kernel", &fd, &size);
	if (ret)
		return ret;
	ret = read_head(fd, cfg->kernel, head, sizeof(head), &got);
	if (ret)
		goto out;
	if (size == 0) {
		pr_err("kernel %s: empty file", cfg->kernel);
		ret = -ENOEXEC;
	} else if (elf_probe(head, got)) {
		struct elf_info ei;

		ret = elf_load(mem, fd, size, cfg->kernel, &ei);
		if (ret)
			goto out;
		out->kind = BOOT_KIND_ELF;
		out->entry = ei.entry;
		out->kernel_start = ei.start;
		out->kernel_end = ei.end;
		out->has_pvh = ei.has_pvh;
		out->pvh_entry = ei.pvh_entry;
		/* A zero page as a vmlinux (and nfguest) read it. */
		memset(bp, 0, sizeof(*bp));
		bp->hdr.boot_flag = 0xaa55;
		bp->hdr.header = BZIMAGE_MAGIC;
		bp->hdr.type_of_loader = 0xff;
		bp->hdr.kernel_alignment = ELF_KERNEL_ALIGN;
		*cmdline_max = CMDLINE_MAX;
		*initrd_limit = ram_end;
	} else if (bzimage_probe(head, got)) {
		struct bzimage_info bi;

		ret = bzimage_parse(head, got, size, cfg->kernel, &bi);
		if (!ret)
			ret = bzimage_load(mem, fd, cfg->kernel, ram_end, &bi);
		if (ret)
			goto out;
		out->kind = BOOT_KIND_BZIMAGE;
		out->entry = bzimage_entry(&bi);
		out->kernel_start = bi.load_addr;
		out->kernel_end = bi.mem_end;
		bzimage_init_params(&bi, bp);
		*cmdline_max = bi.cmdline_max;
		*initrd_limit = bzimage_initrd_limit(&bi);
	} else {
		pr_err("kernel %s: not a kernel: neither a 64-bit x86 ELF (vmlinux) nor a bzImage "
		       "(%s)",
		       cfg->kernel,
		       got < BZIMAGE_MAGIC_OFFSET + 4 ? "file too short for a boot header"
						      : "no \"HdrS\" magic at offset 0x202");
		ret = -ENOEXEC;
	}
out:
	close(fd);
	return ret;
}

/* Place the initrd page-aligned at the top of [kernel_end, limit). */
static int load_initrd(struct guest_mem *mem, const char *path, uint64_t kernel_end, uint64_t limit,
		       struct boot_result *out)
{
	uint64_t size = 0, addr, done = 0;
	uint8_t *dst;
	int fd, ret;

	ret = open_file(path, "initrd", &fd, &size);
	if (ret)
		return ret;
	if (size == 0) {
		pr_err("initrd %s: empty file", path);
		ret = -EINVAL;
		goto out;
	}
	kernel_end = (kernel_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (size > limit || ((limit - size) & ~(PAGE_SIZE - 1)) < kernel_end) {
		pr_err("initrd %s: %" PRIu64 " bytes do not fit: %" PRIu64
		       " bytes are free between the kernel's end (0x%" PRIx64
		       ") and the initrd limit (0x%" PRIx64 "): use a larger --memory",
		       path, size, limit > kernel_end ? limit - kernel_end : 0, kernel_end, limit);
		ret = -ENOMEM;
		goto out;
	}
	addr = (limit - size) & ~(PAGE_SIZE - 1);
	dst = guest_mem_ptr(mem, addr, size);
	if (!dst) {
		ret = -EFAULT;
		goto out;
	}
	while (done < size) {
		ssize_t n = pread(fd, dst + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			pr_err("initrd %s: read failed at offset %" PRIu64 ": %s", path, done,
			       n < 0 ? strerror(-ret) : "file shrank");
			goto out;
		}
		done += (uint64_t)n;
	}
	out->initrd_addr = addr;
	out->initrd_size = size;
out:
	close(fd);
	return ret;
}

int boot_load(struct guest_mem *mem, const struct boot_config *cfg, struct boot_result *out)
{
	const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
	uint64_t ram_end, cmdline_max = 0, initrd_limit = 0, cmdline_len;
	struct acpi_config acfg;
	const struct mem_region *regions;
	struct boot_params *bp;
	size_t nregions;
	int ret, n;

	memset(out, 0, sizeof(*out));
	if (cfg->ncpus == 0 || cfg->ncpus > BOOT_MAX_CPUS) {
		pr_err("%u vCPUs: the MP table and MADT describe 1..%d", cfg->ncpus, BOOT_MAX_CPUS);
		return -EINVAL;
	}
	nregions = guest_mem_regions(mem, &regions);
	if (nregions == 0 || regions[0].gpa != 0 || regions[0].size < 2 * HIGH_MEM_START) {
		pr_err("guest memory of %" PRIu64 " bytes is too small: at least 2 MiB needed",
		       guest_mem_size(mem));
		return -EINVAL;
	}
	ram_end = regions[0].size;
	bp = guest_mem_ptr(mem, BOOT_PARAMS_ADDR, sizeof(*bp));
	if (!bp)
		return -EFAULT;

	ret = load_kernel(mem, cfg, ram_end, out, bp, &cmdline_max, &initrd_limit);
	if (ret)
		return ret;

	cmdline_len = strlen(cmdline);
	if (cmdline_len + 1 > cmdline_max) {
		pr_err("kernel %s: command line of %" PRIu64 " bytes is too long: it accepts at "
		       "most %" PRIu64,
		       cfg->kernel, cmdline_len, cmdline_max - 1);
		return -E2BIG;
	}
	if (guest_mem_write(mem, CMDLINE_ADDR, cmdline, cmdline_len + 1))
		return -EFAULT;
	bp->hdr.cmd_line_ptr = (uint32_t)CMDLINE_ADDR;
	bp->ext_cmd_line_ptr = 0;
	bp->hdr.cmdline_size = (uint32_t)(cmdline_max - 1);

	if (cfg->initrd) {
		if (initrd_limit > ram_end)
			initrd_limit = ram_end;
		ret = load_initrd(mem, cfg->initrd, out->kernel_end, initrd_limit, out);
		if (ret)
			return ret;
		bp->hdr.ramdisk_image = (uint32_t)out->initrd_addr;
		bp->hdr.ramdisk_size = (uint32_t)out->initrd_size;
		bp->ext_ramdisk_image = (uint32_t)(out->initrd_addr >> 32);
		bp->ext_ramdisk_size = (uint32_t)(out->initrd_size >> 32);
	}

	n = e820_build(regions, nregions, bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE);
	if (n < 0) {
		pr_err("cannot describe guest memory in E820: %s", strerror(-n));
		return n;
	}
	bp->e820_entries = (uint8_t)n;
	bp->acpi_rsdp_addr = RSDP_ADDR;

	ret = mptable_write(mem, cfg->ncpus);
	if (ret) {
		pr_err("cannot write the MP table for %u vCPUs: %s", cfg->ncpus, strerror(-ret));
		return ret;
	}
	memset(&acfg, 0, sizeof(acfg));
	acfg.ncpus = cfg->ncpus;
	acfg.ioapic_id = mptable_ioapic_id(cfg->ncpus);
	acfg.pci = cfg->pci;
	acfg.pci_mmio64_base = cfg->pci_mmio64_base;
	acfg.pci_mmio64_size = cfg->pci_mmio64_size;
	acfg.dsdt_aml = cfg->dsdt_aml;
	acfg.dsdt_aml_len = cfg->dsdt_aml_len;
	ret = acpi_write(mem, &acfg);
	if (ret) {
		if (ret != -E2BIG)
			pr_err("cannot write the ACPI tables: %s", strerror(-ret));
		return ret;
	}
	ret = x86_setup_tables(mem);
	if (ret) {
		pr_err("cannot write the GDT and page tables: %s", strerror(-ret));
		return ret;
	}

	out->boot_params = BOOT_PARAMS_ADDR;
	out->stack = BOOT_STACK_ADDR;
	return 0;
}

void boot_fill_regs(const struct boot_result *res, struct kvm_regs *regs)
{
	x86_fill_regs(regs, res->entry, res->boot_params, res->stack);
}

void boot_fill_sregs(struct kvm_sregs *sregs)
{
	x86_fill_sregs(sregs);
}
