/* SPDX-License-Identifier: MIT */
/*
 * ACPI discovery in guest memory: RSDP (loader hint, else the EBDA's first
 * KiB and 0xE0000-0xFFFFF), XSDT/RSDT, FADT, MADT, DSDT's \_S5_. Every table
 * must be mapped, have a sane length and a valid checksum to be used.
 */
#ifndef NFGUEST_ACPI_H
#define NFGUEST_ACPI_H

#include <stdint.h>

#include "guest/acpi_tables.h"
#include "guest/cpulist.h"

struct acpi_state {
	uint64_t rsdp, rsdt, xsdt;
	uint64_t fadt, madt, dsdt, mcfg;
	unsigned int tables;   /* valid tables seen in the XSDT/RSDT */
	unsigned int rejected; /* entries skipped: unmapped, bad length/checksum */
	int have_fadt;
	struct acpi_fadt_info fadt_info;
	uint8_t s5_typ;	       /* SLP_TYP for S5 */
	const char *s5_source; /* "dsdt" or "default" */
};

/* acpi_init: find and validate the tables; rsdp_hint may be 0. Returns 0 or
 * -ENODEV when no valid RSDP exists (not an error for callers: the MP table
 * and the i8042 remain). */
int acpi_init(uint64_t rsdp_hint);

const struct acpi_state *acpi_get(void);

/* acpi_cpus: fill out from the MADT. Returns 0, or -ENODEV without one. */
int acpi_cpus(struct cpu_list *out);

/* acpi_poweroff: request S5 through PM1a/PM1b_CNT or, on a HW-reduced
 * platform, the sleep control register. Returns -ENODEV when there is no
 * usable FADT (otherwise returns 0 after the write; the caller waits). */
int acpi_poweroff(void);

/* acpi_reset: write the FADT reset register if there is one; -ENODEV if not. */
int acpi_reset(void);

/* acpi_scan_rsdp: the RSDP address from the BIOS areas, 0 if none. */
uint64_t acpi_scan_rsdp(void);

#endif
