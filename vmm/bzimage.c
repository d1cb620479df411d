// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#define LOG_PREFIX "boot"
#include "common/log.h"
#include "vmm/bzimage.h"
#include "vmm/layout.h"

#define BOOT_FLAG_OFFSET 0x1fe
#define BOOT_FLAG	 0xaa55
#define SECTOR		 512
#define ENTRY64_OFFSET	 0x200
#define HEAP_END	 0xfe00 /* setup heap end, relative to the real-mode base */
#define LOADER_UNDEFINED 0xff

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

bool bzimage_probe(const void *buf, size_t len)
{
	const uint8_t *b = buf;

	return len >= BZIMAGE_MAGIC_OFFSET + 4 && get16(b + BOOT_FLAG_OFFSET) == BOOT_FLAG &&
	       get32(b + BZIMAGE_MAGIC_OFFSET) == BZIMAGE_MAGIC;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int bzimage_parse(const void *buf, size_t len, uint64_t file_size, const char *name,
		  struct bzimage_info *out)
{
	const uint8_t *b = buf;
	struct setup_header *h = &out->hdr;
	unsigned setup_sects;
	uint64_t syssize;

	memset(out, 0, sizeof(*out));
	if (len > file_size)
		len = file_size;
	if (len < BZIMAGE_MAGIC_OFFSET + 4) {
		pr_err("%s: truncated: %zu bytes, a bzImage setup header needs at least %d", name,
		       len, BZIMAGE_MAGIC_OFFSET + 4);
		return -ENOEXEC;
	}
	if (!bzimage_probe(b, len)) {
		pr_err("%s: not a bzImage: no 0xaa55 boot flag at 0x1fe / \"HdrS\" magic at 0x202",
		       name);
		return -ENOEXEC;
	}
	/* The header ends at 0x202 + the byte at 0x201 (the jump offset). */
	out->hdr_len = BZIMAGE_MAGIC_OFFSET + b[0x201] - BZIMAGE_HDR_OFFSET;
	if (out->hdr_len > sizeof(*h))
		out->hdr_len = sizeof(*h);
	if (BZIMAGE_HDR_OFFSET + out->hdr_len > len) {
		pr_err("%s: truncated: the setup header ends at 0x%x, the file has %zu bytes", name,
		       BZIMAGE_HDR_OFFSET + out->hdr_len, len);
		return -ENOEXEC;
	}
	memcpy(h, b + BZIMAGE_HDR_OFFSET, out->hdr_len);

	if (h->version < BZIMAGE_MIN_VERSION) {
		pr_err("%s: boot protocol %u.%02u is too old: need >= 2.06 (Linux >= 2.6.22)", name,
		       h->version >> 8, h->version & 0xff);
		return -ENOEXEC;
	}
	if (!(h->loadflags & LOADED_HIGH)) {
		pr_err("%s: a zImage (loaded below 1 MiB) is not supported: use a bzImage", name);
		return -ENOEXEC;
	}
	if (h->version < 0x020c || !(h->xloadflags & XLF_KERNEL_64)) {
		pr_err("%s: no 64-bit entry point (boot protocol %u.%02u, xloadflags 0x%x lacks "
		       "XLF_KERNEL_64): use an x86-64 kernel",
		       name, h->version >> 8, h->version & 0xff, h->xloadflags);
		return -ENOEXEC;
	}
	if (h->relocatable_kernel &&
	    (h->kernel_alignment == 0 || (h->kernel_alignment & (h->kernel_alignment - 1)))) {
		pr_err("%s: kernel_alignment 0x%x is not a power of two", name,
		       h->kernel_alignment);
		return -EINVAL;
	}

	setup_sects = h->setup_sects ? h->setup_sects : 4;
	out->setup_size = (uint64_t)(setup_sects + 1) * SECTOR;
	if (file_size <= out->setup_size) {
		pr_err("%s: truncated: %" PRIu64 " bytes, the setup code alone is %" PRIu64
		       " (setup_sects %u)",
		       name, file_size, out->setup_size, setup_sects);
		return -ENOEXEC;
	}
	out->kernel_size = file_size - out->setup_size;
	syssize = (uint64_t)h->syssize * 16;
	if (syssize > out->kernel_size) {
		pr_err("%s: truncated: the header declares %" PRIu64
		       " bytes of protected-mode kernel, the file has %" PRIu64,
		       name, syssize, out->kernel_size);
		return -ENOEXEC;
	}

	out->cmdline_max = (uint64_t)h->cmdline_size + 1;
	if (out->cmdline_max > CMDLINE_MAX)
		out->cmdline_max = CMDLINE_MAX;

	/* A 64-bit kernel decompresses at max(align_up(load, kernel_alignment),
	 * LOAD_PHYSICAL_ADDR = pref_address) whatever the load address, so
	 * loading it right there saves it a move. */
	out->load_addr = h->pref_address ? h->pref_address : HIGH_MEM_START;
	if (out->load_addr < HIGH_MEM_START || out->load_addr >= PCI_HOLE_START) {
		pr_err("%s: pref_address 0x%" PRIx64 " is outside [1 MiB, 3 GiB)", name,
		       out->load_addr);
		return -EINVAL;
	}
	out->mem_end = out->load_addr;
	if (h->relocatable_kernel)
		out->mem_end = align_up(out->load_addr, h->kernel_alignment);
	out->mem_end += h->init_size > out->kernel_size ? h->init_size : out->kernel_size;
	h->code32_start = (uint32_t)out->load_addr;
	return 0;
}

int bzimage_load(struct guest_mem *mem, int fd, const char *name, uint64_t ram_end,
		 struct bzimage_info *info)
{
	uint64_t done = 0;
	uint8_t *dst;

	if (info->mem_end > ram_end) {
		pr_err("%s: the kernel needs memory up to %" PRIu64 " MiB (loaded at 0x%" PRIx64
		       ", init_size %" PRIu64 " MiB) but RAM below 3 GiB ends at %" PRIu64
		       " MiB: use a larger --memory",
		       name, (info->mem_end + (1 << 20) - 1) >> 20, info->load_addr,
		       (uint64_t)info->hdr.init_size >> 20, ram_end >> 20);
		return -ENOMEM;
	}
	dst = guest_mem_ptr(mem, info->load_addr, info->kernel_size);
	if (!dst) {
		pr_err("%s: kernel [0x%" PRIx64 ", +%" PRIu64 ") is outside guest memory", name,
		       info->load_addr, info->kernel_size);
		return -ENOMEM;
	}
	while (done < info->kernel_size) {
		ssize_t n = pread(fd, dst + done, info->kernel_size - done,
				  (off_t)(info->setup_size + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : -EIO;

			pr_err("%s: read of the kernel failed at offset %" PRIu64 ": %s", name,
			       info->setup_size + done, n < 0 ? strerror(-err) : "file shrank");
			return err;
		}
		done += (uint64_t)n;
	}
	return 0;
}

uint64_t bzimage_entry(const struct bzimage_info *info)
{
	return info->load_addr + ENTRY64_OFFSET;
}

uint64_t bzimage_initrd_limit(const struct bzimage_info *info)
{
	/* initrd_addr_max is the address of the last byte the initrd may use. */
	uint64_t lim = (uint64_t)info->hdr.initrd_addr_max + 1;

	if (info->hdr.initrd_addr_max == 0)
		lim = 0x38000000; /* the boot protocol's default for old kernels */
	return lim < PCI_HOLE_START ? lim : PCI_HOLE_START;
}

void bzimage_init_params(const struct bzimage_info *info, struct boot_params *bp)
{
	memset(bp, 0, sizeof(*bp));
	memcpy(&bp->hdr, &info->hdr, info->hdr_len);
	bp->hdr.type_of_loader = LOADER_UNDEFINED;
	bp->hdr.loadflags |= LOADED_HIGH | CAN_USE_HEAP;
	bp->hdr.loadflags &= (uint8_t)~QUIET_FLAG;
	bp->hdr.heap_end_ptr = HEAP_END;
	bp->hdr.code32_start = (uint32_t)info->load_addr;
	bp->hdr.vid_mode = 0xffff; /* "normal" */
}
