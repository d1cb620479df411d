/* SPDX-License-Identifier: MIT */
#include "guest/acpi_tables.h"
#include "guest/errno.h"
#include "guest/lib.h"

/* FADT field offsets (ACPI 6.x, table 5.9). */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT	   40
#define FADT_PM1A_CNT	   64
#define FADT_PM1B_CNT	   68
#define FADT_FLAGS	   112
#define FADT_RESET_REG	   116
#define FADT_RESET_VALUE   128
#define FADT_X_DSDT	   140
#define FADT_X_PM1A_CNT	   172
#define FADT_X_PM1B_CNT	   184
#define FADT_SLEEP_CTL	   244
#define FADT_HW_REDUCED	   (1u << 20)
#define FADT_RESET_REG_SUP (1u << 10)

/* MADT */
#define MADT_ENTRIES	 44
#define MADT_LAPIC_ADDR	 36
#define MADT_T_LAPIC	 0
#define MADT_T_LAPIC_OVR 5
#define MADT_T_X2APIC	 9
#define MADT_ENABLED	 1u

/* AML opcodes */
#define AML_ZERO    0x00
#define AML_ONE	    0x01
#define AML_NAME    0x08
#define AML_BYTE    0x0a
#define AML_WORD    0x0b
#define AML_DWORD   0x0c
#define AML_PACKAGE 0x12
#define AML_ONES    0xff

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

int acpi_checksum_ok(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += p[i];
	return sum == 0;
}

uint32_t acpi_table_len(const uint8_t *hdr, uint32_t max)
{
	uint32_t len = get32(hdr + 4);

	return len >= ACPI_HDR_LEN && len <= max ? len : 0;
}

int acpi_rsdp_parse(const uint8_t *p, size_t avail, uint64_t *rsdt, uint64_t *xsdt)
{
	uint32_t len;

	*rsdt = 0;
	*xsdt = 0;
	if (avail < ACPI_RSDP_V1 || memcmp(p, "RSD PTR ", 8) || !acpi_checksum_ok(p, ACPI_RSDP_V1))
		return -EINVAL;
	*rsdt = get32(p + 16);
	if (p[15] >= 2 && avail >= ACPI_RSDP_V2) {
		len = get32(p + 20);
		if (len >= ACPI_RSDP_V2 && len <= avail && acpi_checksum_ok(p, len))
			*xsdt = get64(p + 24);
	}
	return 0;
}

uint64_t acpi_sdt_entry(const uint8_t *sdt, uint32_t len, int xsdt, unsigned int i)
{
	uint32_t esz = xsdt ? 8 : 4;
	uint64_t off = ACPI_HDR_LEN + (uint64_t)i * esz;

	if (len < ACPI_HDR_LEN || off + esz > len)
		return 0;
	return xsdt ? get64(sdt + off) : get32(sdt + off);
}

int acpi_madt_parse(const uint8_t *madt, uint32_t len, struct cpu_list *out)
{
	uint32_t off = MADT_ENTRIES;

	if (len < MADT_ENTRIES)
		return -EINVAL;
	out->lapic_base = get32(madt + MADT_LAPIC_ADDR);
	while (off + 2 <= len) {
		const uint8_t *e = madt + off;
		uint8_t type = e[0], elen = e[1];

		if (elen < 2 || off + elen > len)
			break;
		if (type == MADT_T_LAPIC && elen >= 8) {
			if (get32(e + 4) & MADT_ENABLED)
				cpulist_add(out, e[3]);
			else
				out->disabled++;
		} else if (type == MADT_T_X2APIC && elen >= 16) {
			if (get32(e + 8) & MADT_ENABLED)
				cpulist_add(out, get32(e + 4));
			else
				out->disabled++;
		} else if (type == MADT_T_LAPIC_OVR && elen >= 12) {
			out->lapic_base = get64(e + 4);
		}
		off += elen;
	}
	return 0;
}

static void get_gas(const uint8_t *p, struct acpi_gas *g)
{
	g->space = p[0];
	g->bit_width = p[1];
	g->bit_offset = p[2];
	g->access_size = p[3];
	g->address = get64(p + 4);
}

int acpi_fadt_parse(const uint8_t *fadt, uint32_t len, struct acpi_fadt_info *out)
{
	memset(out, 0, sizeof(*out));
	if (len < FADT_PM1B_CNT + 4)
		return -EINVAL;
	out->dsdt = get32(fadt + FADT_DSDT);
	out->pm1a_cnt = get32(fadt + FADT_PM1A_CNT);
	out->pm1b_cnt = get32(fadt + FADT_PM1B_CNT);
	if (len >= FADT_FLAGS + 4)
		out->flags = get32(fadt + FADT_FLAGS);
	out->hw_reduced = !!(out->flags & FADT_HW_REDUCED);
	if (len >= FADT_RESET_VALUE + 1 && (out->flags & FADT_RESET_REG_SUP)) {
		get_gas(fadt + FADT_RESET_REG, &out->reset_reg);
		out->reset_value = fadt[FADT_RESET_VALUE];
		out->have_reset = out->reset_reg.address != 0;
	}
	if (len >= FADT_X_DSDT + 8 && get64(fadt + FADT_X_DSDT))
		out->dsdt = get64(fadt + FADT_X_DSDT);
	if (len >= FADT_X_PM1A_CNT + 12 && !out->pm1a_cnt && fadt[FADT_X_PM1A_CNT] == ACPI_GAS_IO &&
	    get64(fadt + FADT_X_PM1A_CNT + 4) < 0x10000)
		out->pm1a_cnt = (uint32_t)get64(fadt + FADT_X_PM1A_CNT + 4);
	if (len >= FADT_X_PM1B_CNT + 12 && !out->pm1b_cnt && fadt[FADT_X_PM1B_CNT] == ACPI_GAS_IO &&
	    get64(fadt + FADT_X_PM1B_CNT + 4) < 0x10000)
		out->pm1b_cnt = (uint32_t)get64(fadt + FADT_X_PM1B_CNT + 4);
	if (len >= FADT_SLEEP_CTL + 12)
		get_gas(fadt + FADT_SLEEP_CTL, &out->sleep_ctl);
	if (out->pm1a_cnt > 0xffff)
		out->pm1a_cnt = 0;
	if (out->pm1b_cnt > 0xffff)
		out->pm1b_cnt = 0;
	return 0;
}

/* Decode the AML integer at p (at most avail bytes). */
static int aml_integer(const uint8_t *p, uint32_t avail, uint8_t *val)
{
	if (avail < 1)
		return -EINVAL;
	switch (p[0]) {
	case AML_ZERO:
		*val = 0;
		return 0;
	case AML_ONE:
		*val = 1;
		return 0;
	case AML_ONES:
		*val = 0xff;
		return 0;
	case AML_BYTE:
	case AML_WORD:
	case AML_DWORD:
		if (avail < 2)
			return -EINVAL;
		*val = p[1];
		return 0;
	default:
		return -EINVAL;
	}
}

int acpi_aml_find_s5(const uint8_t *aml, uint32_t len, uint8_t *slp_typ)
{
	uint32_t i;

	for (i = ACPI_HDR_LEN; i + 4 <= len; i++) {
		uint32_t pos, pkglen_bytes;

		if (memcmp(aml + i, "_S5_", 4))
			continue;
		/* NameOp "_S5_" or NameOp '\' "_S5_" */
		if (!(aml[i - 1] == AML_NAME || (aml[i - 1] == '\\' && aml[i - 2] == AML_NAME)))
			continue;
		pos = i + 4;
		if (pos >= len || aml[pos] != AML_PACKAGE)
			return -EINVAL;
		pos++;
		if (pos >= len)
			return -EINVAL;
		pkglen_bytes = 1 + (aml[pos] >> 6);
		pos += pkglen_bytes; /* PkgLength */
		pos += 1;	     /* NumElements */
		if (pos >= len)
			return -EINVAL;
		return aml_integer(aml + pos, len - pos, slp_typ);
	}
	return -ENOENT;
}

int acpi_mcfg_parse(const uint8_t *mcfg, uint32_t len, uint64_t *base, uint8_t *bus_start,
		    uint8_t *bus_end)
{
	uint32_t off;

	if (len < ACPI_HDR_LEN + 8)
		return -EINVAL;
	for (off = ACPI_HDR_LEN + 8; off + 16 <= len; off += 16) {
		const uint8_t *e = mcfg + off;

		if ((e[8] | e[9] << 8) != 0)
			continue;
		*base = get64(e);
		*bus_start = e[10];
		*bus_end = e[11];
		if (!*base || (*base & 0xfffff) || *bus_end < *bus_start)
			return -EINVAL;
		return 0;
	}
	return -ENOENT;
}
