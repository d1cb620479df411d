/* SPDX-License-Identifier: MIT */
#include <stdint.h>

#include "guest/bootinfo.h"
#include "guest/errno.h"
#include "guest/layout.h"
#include "guest/lib.h"
#include "guest/printk.h"

/* Linux x86 boot protocol: offsets inside struct boot_params (zero page). */
#define BP_ACPI_RSDP_ADDR   0x070 /* u64 */
#define BP_EXT_CMD_LINE_PTR 0x0c8 /* u32, high half of cmd_line_ptr */
#define BP_E820_ENTRIES	    0x1e8 /* u8 */
#define BP_HDR_CMD_LINE_PTR 0x228 /* u32 */
#define BP_HDR_CMDLINE_SIZE 0x238 /* u32, max length (boot protocol >= 2.06) */
#define BP_E820_TABLE	    0x2d0 /* 128 x {u64 addr, u64 size, u32 type} */
#define BP_E820_ENTRY_SIZE  20

/* PVH: struct hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h). */
#define HVM_START_MAGIC	      0x336ec578
#define HVM_VERSION	      4	 /* u32 */
#define HVM_CMDLINE_PADDR     24 /* u64 */
#define HVM_RSDP_PADDR	      32 /* u64 */
#define HVM_MEMMAP_PADDR      40 /* u64, version >= 1 */
#define HVM_MEMMAP_ENTRIES    48 /* u32 */
#define HVM_MEMMAP_ENTRY_SIZE 24 /* {u64 addr, u64 size, u32 type, u32 rsvd} */

/* Loader structures must sit in the low 4 GiB our early tables map. */
#define LOW_LIMIT (4ull << 30)

struct boot_info boot_info;

static int low_ok(uint64_t addr, uint64_t len)
{
	return addr && addr + len >= addr && addr + len <= LOW_LIMIT;
}

static uint64_t rd64(uint64_t a)
{
	uint64_t v;

	memcpy(&v, (const void *)a, 8);
	return v;
}

static uint32_t rd32(uint64_t a)
{
	uint32_t v;

	memcpy(&v, (const void *)a, 4);
	return v;
}

static void copy_cmdline(uint64_t paddr, uint64_t max)
{
	uint64_t i;

	if (max == 0 || max > CMDLINE_MAX - 1)
		max = CMDLINE_MAX - 1;
	if (!low_ok(paddr, max))
		return;
	for (i = 0; i < max; i++) {
		char c = *(const volatile char *)(paddr + i);

		if (!c)
			break;
		boot_info.cmdline[i] = c;
	}
	boot_info.cmdline[i] = '\0';
}

static void add_e820(uint64_t addr, uint64_t size, uint32_t type)
{
	if (size == 0) /* some loaders pad the map with empty entries */
		return;
	if (boot_info.e820_count >= E820_MAX) {
		boot_info.e820_dropped++;
		return;
	}
	boot_info.e820[boot_info.e820_count].addr = addr;
	boot_info.e820[boot_info.e820_count].size = size;
	boot_info.e820[boot_info.e820_count].type = type;
	boot_info.e820_count++;
}

static int parse_linux64(uint64_t bp)
{
	unsigned int i, n;
	uint64_t cmd;

	if (!low_ok(bp, 4096)) {
		printk("nfguest: boot_params pointer rsi=0x%lx is not in the low 4 GiB; "
		       "the loader must pass the zero page address in rsi\n",
		       (unsigned long)bp);
		return -EINVAL;
	}
	boot_info.rsdp = rd64(bp + BP_ACPI_RSDP_ADDR);
	cmd = rd32(bp + BP_HDR_CMD_LINE_PTR) | ((uint64_t)rd32(bp + BP_EXT_CMD_LINE_PTR) << 32);
	copy_cmdline(cmd, rd32(bp + BP_HDR_CMDLINE_SIZE));
	n = *(const uint8_t *)(bp + BP_E820_ENTRIES);
	for (i = 0; i < n && i < E820_MAX; i++) {
		uint64_t e = bp + BP_E820_TABLE + (uint64_t)i * BP_E820_ENTRY_SIZE;

		add_e820(rd64(e), rd64(e + 8), rd32(e + 16));
	}
	if (n > E820_MAX)
		boot_info.e820_dropped += n - E820_MAX;
	return 0;
}

static int parse_pvh(uint64_t si)
{
	uint32_t magic, version, i, n;
	uint64_t map;

	if (!low_ok(si, 56)) {
		printk("nfguest: hvm_start_info pointer ebx=0x%lx is invalid; "
		       "the PVH loader must pass it in ebx\n",
		       (unsigned long)si);
		return -EINVAL;
	}
	magic = rd32(si);
	if (magic != HVM_START_MAGIC) {
		printk("nfguest: hvm_start_info at 0x%lx has magic 0x%x, expected 0x%x\n",
		       (unsigned long)si, magic, HVM_START_MAGIC);
		return -EINVAL;
	}
	version = rd32(si + HVM_VERSION);
	boot_info.rsdp = rd64(si + HVM_RSDP_PADDR);
	copy_cmdline(rd64(si + HVM_CMDLINE_PADDR), 0);
	if (version < 1)
		return 0;
	map = rd64(si + HVM_MEMMAP_PADDR);
	n = rd32(si + HVM_MEMMAP_ENTRIES);
	if (n > E820_MAX) {
		boot_info.e820_dropped += n - E820_MAX;
		n = E820_MAX;
	}
	if (!low_ok(map, (uint64_t)n * HVM_MEMMAP_ENTRY_SIZE))
		return 0;
	for (i = 0; i < n; i++) {
		uint64_t e = map + (uint64_t)i * HVM_MEMMAP_ENTRY_SIZE;

		add_e820(rd64(e), rd64(e + 8), rd32(e + 16));
	}
	return 0;
}

int bootinfo_parse(unsigned int kind, uint64_t paddr)
{
	boot_info.kind = kind;
	boot_info.info_paddr = paddr;
	boot_info.cmdline[0] = '\0';
	if (kind == BOOT_KIND_PVH)
		return parse_pvh(paddr);
	return parse_linux64(paddr);
}

const char *bootinfo_kind_name(unsigned int kind)
{
	return kind == BOOT_KIND_PVH ? "pvh" : "linux64";
}
