/* SPDX-License-Identifier: MIT */
/*
 * Decoding of ACPI tables held in memory the caller has validated. Nothing
 * here trusts the tables: every length is checked against the buffer, every
 * loop is bounded by it. Pure functions (no hardware access).
 */
#ifndef NFGUEST_ACPI_TABLES_H
#define NFGUEST_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "guest/cpulist.h"

#define ACPI_HDR_LEN 36
#define ACPI_RSDP_V1 20
#define ACPI_RSDP_V2 36

/* ACPI generic address structure. */
struct acpi_gas {
	uint8_t space; /* 0 = memory, 1 = I/O port */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
};

#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO	1

struct acpi_fadt_info {
	uint32_t flags;
	uint64_t dsdt;	   /* X_DSDT if present, else DSDT */
	uint32_t pm1a_cnt; /* I/O port, 0 if none */
	uint32_t pm1b_cnt;
	struct acpi_gas sleep_ctl; /* ACPI 5+ HW-reduced sleep control */
	int hw_reduced;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	int have_reset;
};

/* acpi_checksum_ok: 1 if the bytes sum to 0 mod 256. */
int acpi_checksum_ok(const uint8_t *p, size_t len);

/* acpi_table_len: the header's length field if it is within
 * [ACPI_HDR_LEN, max]; 0 otherwise. */
uint32_t acpi_table_len(const uint8_t *hdr, uint32_t max);

/* acpi_rsdp_parse: validate an RSDP (signature, v1 checksum, v2 extended
 * checksum when revision >= 2 and avail covers it) in avail bytes at p.
 * Returns 0 with rsdt/xsdt set (0 when absent) or -EINVAL. */
int acpi_rsdp_parse(const uint8_t *p, size_t avail, uint64_t *rsdt, uint64_t *xsdt);

/* acpi_sdt_entry: entry i of an RSDT (4-byte entries) or XSDT (8-byte)
 * of length len; 0 when i is beyond the table. */
uint64_t acpi_sdt_entry(const uint8_t *sdt, uint32_t len, int xsdt, unsigned int i);

/* acpi_madt_parse: add every enabled local APIC (and x2APIC with ID < 255)
 * of the MADT (len bytes) to out; lapic_base honours an address override.
 * Returns 0 or -EINVAL (table too short). */
int acpi_madt_parse(const uint8_t *madt, uint32_t len, struct cpu_list *out);

/* acpi_fadt_parse: the power-management fields of a FADT of len bytes (only
 * fields inside len are read). Returns 0 or -EINVAL. */
int acpi_fadt_parse(const uint8_t *fadt, uint32_t len, struct acpi_fadt_info *out);

/* acpi_aml_find_s5: find the \_S5_ package in AML (a DSDT/SSDT of len
 * bytes) by a bounded byte scan and decode its first element (SLP_TYPa).
 * Returns 0 with *slp_typ set, -ENOENT if absent, -EINVAL if malformed. */
int acpi_aml_find_s5(const uint8_t *aml, uint32_t len, uint8_t *slp_typ);

/* acpi_mcfg_parse: the ECAM window for PCI segment 0 from an MCFG of len
 * bytes. Returns 0 with base/start/end bus set, -ENOENT without a segment-0
 * entry, -EINVAL if the table is too short or the window nonsensical. */
int acpi_mcfg_parse(const uint8_t *mcfg, uint32_t len, uint64_t *base, uint8_t *bus_start,
		    uint8_t *bus_end);

#endif
