/* SPDX-License-Identifier: MIT */
#include "guest/acpi_tables.h"
#include "guest/errno.h"
#include "guest/lib.h"
#include "guest/mp_tables.h"

#define MP_T_CPU       0
#define MP_T_CPU_LEN   20
#define MP_T_OTHER_LEN 8
#define MP_CPU_EN      0x01

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int mp_fps_parse(const uint8_t *p, uint64_t *cfg)
{
	if (memcmp(p, "_MP_", 4) || p[8] != 1 || !acpi_checksum_ok(p, MP_FPS_LEN))
		return -EINVAL;
	*cfg = get32(p + 4);
	return 0;
}

uint32_t mp_cfg_len(const uint8_t *cfg, uint32_t max)
{
	uint32_t len = (uint32_t)cfg[4] | (uint32_t)cfg[5] << 8;

	return len >= MP_CFG_HDR && len <= max ? len : 0;
}

int mp_cfg_parse(const uint8_t *cfg, uint32_t len, struct cpu_list *out)
{
	uint32_t off = MP_CFG_HDR;

	if (len < MP_CFG_HDR || memcmp(cfg, "PCMP", 4) || mp_cfg_len(cfg, len) != len ||
	    !acpi_checksum_ok(cfg, len))
		return -EINVAL;
	/* Like Linux, walk by the table length, not the entry count (some
	 * firmware, e.g. qboot, leaves the count 0). Every step advances off. */
	out->lapic_base = get32(cfg + 36);
	while (off < len) {
		const uint8_t *e = cfg + off;

		if (e[0] == MP_T_CPU) {
			if (off + MP_T_CPU_LEN > len)
				break;
			if (e[3] & MP_CPU_EN)
				cpulist_add(out, e[1]);
			else
				out->disabled++;
			off += MP_T_CPU_LEN;
		} else if (e[0] <= 4) {
			off += MP_T_OTHER_LEN;
		} else {
			break; /* unknown entry type: its length is unknown */
		}
	}
	return 0;
}
