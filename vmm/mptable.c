// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/acpi.h"
#include "vmm/layout.h"
#include "vmm/mptable.h"

/* MP spec 1.4, chapter 4. */
struct mpf_intel {
	char signature[4]; /* "_MP_" */
	uint32_t physptr;
	uint8_t length; /* in 16-byte units */
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mpc_table {
	char signature[4]; /* "PCMP" */
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;
	uint32_t cpufeature;
	uint32_t featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;
	uint8_t busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type;
	uint8_t irqtype;
	uint16_t irqflag;
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} __attribute__((packed));

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };

#define CPU_ENABLED	  1
#define CPU_BOOTPROCESSOR 2
#define APIC_VERSION	  0x14
#define IOAPIC_VERSION	  0x11
#define MPC_APIC_USABLE	  1
#define CPU_SIGNATURE	  0x600 /* family 6 */
#define CPU_FEATURES	  0x201 /* FPU | APIC */
#define MP_ALL_LAPICS	  0xff

static size_t table_len(unsigned ncpus)
{
	return sizeof(struct mpc_table) + ncpus * sizeof(struct mpc_cpu) +
	       2 * sizeof(struct mpc_bus) + sizeof(struct mpc_ioapic) +
	       MPTABLE_ISA_IRQS * sizeof(struct mpc_intsrc) + 2 * sizeof(struct mpc_intsrc);
}

size_t mptable_size(unsigned ncpus)
{
	return sizeof(struct mpf_intel) + table_len(ncpus);
}

unsigned mptable_ioapic_id(unsigned ncpus)
{
	return ncpus;
}

int mptable_write(struct guest_mem *mem, unsigned ncpus)
{
	uint64_t tbl_gpa = EBDA_ADDR + sizeof(struct mpf_intel);
	size_t len, irq;
	struct mpf_intel *mpf;
	struct mpc_table *mpc;
	uint8_t *buf, *p;
	unsigned i, entries = 0;

	if (ncpus == 0 || ncpus > MPTABLE_MAX_CPUS)
		return -EINVAL;
	len = table_len(ncpus);
	buf = guest_mem_ptr(mem, EBDA_ADDR, sizeof(*mpf) + len);
	if (!buf)
		return -EFAULT;
	memset(buf, 0, sizeof(*mpf) + len);
	mpf = (struct mpf_intel *)buf;
	mpc = (struct mpc_table *)(buf + sizeof(*mpf));
	p = (uint8_t *)(mpc + 1);

	for (i = 0; i < ncpus; i++, entries++) {
		struct mpc_cpu *c = (struct mpc_cpu *)p;

		c->type = MP_PROCESSOR;
		c->apicid = (uint8_t)i;
		c->apicver = APIC_VERSION;
		c->cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0);
		c->cpufeature = CPU_SIGNATURE;
		c->featureflag = CPU_FEATURES;
		p += sizeof(*c);
	}
	for (i = 0; i < 2; i++, entries++) {
		struct mpc_bus *b = (struct mpc_bus *)p;

		b->type = MP_BUS;
		b->busid = (uint8_t)(i == 0 ? MPTABLE_BUS_PCI : MPTABLE_BUS_ISA);
		memcpy(b->bustype, i == 0 ? "PCI   " : "ISA   ", 6);
		p += sizeof(*b);
	}
	{
		struct mpc_ioapic *io = (struct mpc_ioapic *)p;

		io->type = MP_IOAPIC;
		io->apicid = (uint8_t)mptable_ioapic_id(ncpus);
		io->apicver = IOAPIC_VERSION;
		io->flags = MPC_APIC_USABLE;
		io->apicaddr = (uint32_t)IOAPIC_ADDR;
		p += sizeof(*io);
		entries++;
	}
	/* ISA IRQs, edge/active-high (conforming), identity to IOAPIC pins
	 * except IRQ0: the PIT is wired to pin 2, as on every PC chipset. */
	for (irq = 0; irq < 16; irq++) {
		struct mpc_intsrc *s = (struct mpc_intsrc *)p;

		if (irq == 2)
			continue;
		s->type = MP_INTSRC;
		s->irqtype = MP_INT;
		s->srcbus = MPTABLE_BUS_ISA;
		s->srcbusirq = (uint8_t)irq;
		s->dstapic = (uint8_t)mptable_ioapic_id(ncpus);
		s->dstirq = (uint8_t)(irq == 0 ? 2 : irq);
		p += sizeof(*s);
		entries++;
	}
	/* Local interrupts of every LAPIC: the 8259 on LINT0, NMI on LINT1. */
	for (i = 0; i < 2; i++, entries++) {
		struct mpc_intsrc *s = (struct mpc_intsrc *)p;

		s->type = MP_LINTSRC;
		s->irqtype = i == 0 ? MP_EXTINT : MP_NMI;
		s->srcbus = MPTABLE_BUS_ISA;
		s->srcbusirq = 0;
		s->dstapic = MP_ALL_LAPICS;
		s->dstirq = (uint8_t)i;
		p += sizeof(*s);
	}

	memcpy(mpc->signature, "PCMP", 4);
	mpc->length = (uint16_t)len;
	mpc->spec = 4;
	memcpy(mpc->oem, "NFVISOR ", 8);
	memcpy(mpc->productid, "NFVISOR VMM ", 12);
	mpc->oemcount = (uint16_t)entries;
	mpc->lapic = (uint32_t)LAPIC_ADDR;
	mpc->checksum = acpi_checksum(mpc, len);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = (uint32_t)tbl_gpa;
	mpf->length = 1;
	mpf->specification = 4;
	mpf->checksum = acpi_checksum(mpf, sizeof(*mpf));
	return 0;
}
