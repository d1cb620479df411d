/* SPDX-License-Identifier: MIT */
/* The guest-physical memory map every part of the VMM agrees on.
 *
 *   0x0000_0500  GDT            0x0000_7000  boot_params (zero page)
 *   0x0000_9000  PML4, PDPT, 4 PDs (identity map of the first 4 GiB, 2 MiB pages)
 *   0x0002_0000  kernel command line (up to CMDLINE_MAX)
 *   0x0009_fc00  EBDA: MP floating pointer + MP table
 *   0x000e_0000  ACPI RSDP (BIOS area, found by a scan of 0xe0000-0xfffff)
 *   0x0010_0000  kernel (bzImage protected-mode part; ELF at its own paddr)
 *   RAM up to min(size, 3 GiB); the rest resumes at 4 GiB.
 *   0xc000_0000 .. 0xffff_ffff  32-bit PCI hole: ECAM, 32-bit BARs, IOAPIC, LAPIC
 *   above the last RAM byte (1 GiB aligned): 64-bit BARs.
 */
#ifndef NFV_VMM_LAYOUT_H
#define NFV_VMM_LAYOUT_H

#define GDT_ADDR	 0x500ull
#define BOOT_PARAMS_ADDR 0x7000ull
#define PML4_ADDR	 0x9000ull
#define PDPT_ADDR	 0xa000ull
#define PD_ADDR		 0xb000ull /* 4 pages: 0xb000-0xefff */
#define BOOT_STACK_ADDR	 0x8ff0ull
#define CMDLINE_ADDR	 0x20000ull
#define CMDLINE_MAX	 0x10000ull /* bytes including NUL; bzImage may lower it */
#define EBDA_ADDR	 0x9fc00ull
#define LOW_RAM_END	 0x9fc00ull /* conventional memory ends at the EBDA */
#define BIOS_AREA_START	 0xe0000ull
#define RSDP_ADDR	 0xe0000ull
#define ACPI_TABLES_ADDR 0xe1000ull /* up to 0xfffff */
#define BIOS_AREA_END	 0x100000ull
#define HIGH_MEM_START	 0x100000ull /* 1 MiB */

#define PCI_HOLE_START	   0xc0000000ull /* 3 GiB */
#define PCI_HOLE_END	   0x100000000ull
#define RAM_ABOVE_4G_START 0x100000000ull
#define PCI_ECAM_BASE	   0xe0000000ull
#define PCI_ECAM_SIZE	   0x10000000ull /* 256 buses */
#define PCI_MMIO32_BASE	   0xc0000000ull /* 32-bit BARs: 0xc000_0000 .. ECAM */
#define PCI_MMIO32_END	   PCI_ECAM_BASE
#define IOAPIC_ADDR	   0xfec00000ull
#define LAPIC_ADDR	   0xfee00000ull

/* The last bus the guest is told about (MCFG, \_SB.PCI0 bus range). Only
 * bus 0 exists (vmm/pci.h); announcing 0-255 makes Linux probe 255 empty
 * buses one config read per slot (pcibios_fixup_peer_bridges), which
 * costs thousands of VM exits at boot. The ECAM window stays 256 MiB. */
#define PCI_LAST_BUS 0

/* I/O ports. */
#define PORT_COM1	   0x3f8
#define PORT_I8042_DATA	   0x60
#define PORT_I8042_CMD	   0x64
#define PORT_ACPI_PM1A_EVT 0x600 /* 4 bytes: status, enable */
#define PORT_ACPI_PM1A_CNT 0x604 /* 2 bytes: SLP_TYP/SLP_EN */
#define PORT_PCI_CONFIG	   0xcf8 /* 0xcf8 address, 0xcfc..0xcff data */

/* ISA interrupt lines (IOAPIC pins, identity to GSIs). */
#define IRQ_COM1     4
#define IRQ_ACPI_SCI 9

#endif
