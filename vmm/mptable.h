/* SPDX-License-Identifier: MIT */
/* Intel MultiProcessor Specification 1.4 tables: the floating pointer and the
 * configuration table at EBDA_ADDR, describing N CPUs (APIC IDs 0..N-1, the
 * BSP is 0), a PCI and an ISA bus, the IOAPIC at IOAPIC_ADDR and the ISA
 * interrupt routing (IRQ0 -> pin 2). */
#ifndef NFV_VMM_MPTABLE_H
#define NFV_VMM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/mem.h"

#define MPTABLE_MAX_CPUS 255
#define MPTABLE_BUS_PCI	 0
#define MPTABLE_BUS_ISA	 1

/* Bytes mptable_write() uses for `ncpus` CPUs (floating pointer included). */
size_t mptable_size(unsigned ncpus);

/* The IOAPIC's ID in the MP table and MADT: the first ID after the CPUs. */
unsigned mptable_ioapic_id(unsigned ncpus);

/* Write the floating pointer at EBDA_ADDR and the configuration table right
 * after it. The whole range lies in [EBDA_ADDR, BIOS_AREA_START). 0, -EINVAL
 * for ncpus outside 1..MPTABLE_MAX_CPUS, -EFAULT if RAM does not cover it. */
int mptable_write(struct guest_mem *mem, unsigned ncpus);

/* The I/O interrupt routing, also used by tests: number of ISA IRQ entries. */
#define MPTABLE_ISA_IRQS 15 /* IRQ 0..15 without the cascade IRQ 2 */

#endif
