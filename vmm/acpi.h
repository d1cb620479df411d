/* SPDX-License-Identifier: MIT */
/* ACPI tables for the guest: RSDP (v2) at RSDP_ADDR, then RSDT, XSDT, FADT
 * (rev 6, not hardware-reduced: PM1a event/control blocks at the ports of
 * vmm/layout.h, SCI on IRQ 9, reset by writing 0xFE to the i8042), FACS, DSDT
 * (\_S5 plus caller-supplied AML), MADT (a LAPIC per vCPU, the IOAPIC,
 * IRQ0 -> GSI 2, SCI level/active-high) and MCFG (the ECAM, buses 0 to
 * PCI_LAST_BUS),
 * all in [RSDP_ADDR, BIOS_AREA_END). */
#ifndef NFV_VMM_ACPI_H
#define NFV_VMM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/layout.h"
#include "vmm/mem.h"

/* The S5 (soft-off) sleep type in \_S5; the PM device (vmm/acpi_pm.h,
 * ACPI_SLP_TYP_S5) powers off when the guest writes SLP_EN with this
 * SLP_TYP to PM1a_CNT. nfguest uses the same value. */
#define ACPI_S5_SLP_TYP 5

/* The FADT reset register: a byte write of ACPI_RESET_VALUE to the i8042
 * command port (0xCF9 is not decoded: it overlaps the PCI 0xCF8 dword). */
#define ACPI_RESET_PORT	 PORT_I8042_CMD
#define ACPI_RESET_VALUE 0xfe

/* Room for the tables: caller AML beyond this is refused with -E2BIG. */
#define ACPI_AREA_END 0x100000ull

struct acpi_config {
	unsigned ncpus;	    /* 1..255; LAPIC IDs 0..ncpus-1 */
	unsigned ioapic_id; /* IOAPIC ID (same as the MP table's) */
	/* Describe PCI bus 0 in the DSDT: \_SB.PCI0 (PNP0A08/PNP0A03, segment
	 * 0, buses 0 to PCI_LAST_BUS, I/O 0xCF8-0xCFF, I/O windows 0-0xCF7 and 0xD00-0xFFFF,
	 * memory PCI_MMIO32_BASE..PCI_MMIO32_END and, if pci_mmio64_size is not 0,
	 * the prefetchable 64-bit window) and \_SB.MRES (PNP0C02) reserving the
	 * ECAM. No _PRT: devices use MSI/MSI-X. */
	bool pci;
	uint64_t pci_mmio64_base, pci_mmio64_size;
	/* AML appended to the DSDT body after \_S5 and PCI0 (a TermList, e.g.
	 * Scope(\_SB){...}); aml_pkglen() helps encode it. May be NULL/0. */
	const void *dsdt_aml;
	size_t dsdt_aml_len;
};

/* Write all tables. 0, -EINVAL (bad ncpus), -E2BIG (the caller's AML does
 * not fit below BIOS_AREA_END, message gives sizes), -EFAULT (RAM does not
 * cover the area). */
int acpi_write(struct guest_mem *mem, const struct acpi_config *cfg);

/* 8-bit checksum that makes the byte sum of [p, p+len) zero when stored.
 * The MP tables (vmm/mptable.c) use the same BIOS checksum. */
uint8_t acpi_checksum(const void *p, size_t len);

/* --- AML encoding helpers for callers building DSDT content --- */

/* Encode an AML PkgLength for a body of `body_len` bytes (the encoding's own
 * bytes are counted, as the spec requires). Writes 1-4 bytes to out and
 * returns how many; 0 if body_len is too large (>= 2^28 - 4). */
size_t aml_pkglen(uint8_t out[4], size_t body_len);

#endif
