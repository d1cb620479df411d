/* SPDX-License-Identifier: MIT */
/*
 * Modes that exercise a VMM's error paths: unknown port and MMIO accesses
 * (must be counted and ignored), a triple fault (must end the VMM non-zero
 * with a register dump) and a reset (must end it with 0).
 */
#include "guest/acpi.h"
#include "guest/idt.h"
#include "guest/io.h"
#include "guest/nfguest.h"
#include "guest/paging.h"
#include "guest/power.h"
#include "guest/printk.h"

#define MMIO_HOLE_START 0xc0000000ull
#define MMIO_HOLE_END	0xfec00000ull /* IOAPIC, HPET, LAPIC above */

/* Ports whose writes would end or disturb the VM (reset, poweroff, the
 * console, interrupt controllers, firmware config) are never touched. */
static int port_forbidden(uint32_t port)
{
	static const struct {
		uint16_t lo, hi;
	} deny[] = {
	    {0x20, 0x21},   {0x40, 0x43},     {0x60, 0x64},   {0x70, 0x71},
	    {0x92, 0x92},   {0xa0, 0xa1},     {0x3f8, 0x3ff}, {0x510, 0x51b},
	    {0x600, 0x63f}, {0xb000, 0xb03f}, {0xcf8, 0xcff},
	};
	const struct acpi_fadt_info *f = &acpi_get()->fadt_info;
	unsigned int i;

	for (i = 0; i < sizeof(deny) / sizeof(deny[0]); i++)
		if (port >= deny[i].lo && port <= deny[i].hi)
			return 1;
	if ((f->pm1a_cnt && port >= f->pm1a_cnt && port < f->pm1a_cnt + 2) ||
	    (f->pm1b_cnt && port >= f->pm1b_cnt && port < f->pm1b_cnt + 2))
		return 1;
	if (f->sleep_ctl.space == ACPI_GAS_IO && port == f->sleep_ctl.address)
		return 1;
	return 0;
}

void mode_ioport_spam(void)
{
	uint64_t base, count;
	uint32_t p, done = 0, ff = 0;

	if (mode_arg_u64("port_base", 0x2000, 0, 0xffff, &base) ||
	    mode_arg_u64("port_count", 4096, 1, 0x10000 - base, &count))
		return;
	for (p = (uint32_t)base; p < base + count; p++) {
		if (port_forbidden(p))
			continue;
		outb((uint16_t)p, 0xa5);
		if (inb((uint16_t)p) == 0xff)
			ff++;
		outw((uint16_t)p, 0x5aa5);
		(void)inw((uint16_t)p);
		outl((uint16_t)p, 0xdeadbeef);
		(void)inl((uint16_t)p);
		done++;
	}
	printk("nfguest: ioport_spam ports=%u base=0x%lx reads_ff=%u\n", done, (unsigned long)base,
	       ff);
}

void mode_mmio_spam(void)
{
	uint64_t base, count, a;
	uint32_t done = 0, ones = 0;

	if (mode_arg_u64("mmio_base", 0xd0000000ull, MMIO_HOLE_START, MMIO_HOLE_END - 4096,
			 &base) ||
	    mode_arg_u64("mmio_count", 256, 1, (MMIO_HOLE_END - base) / 4096, &count))
		return;
	base &= ~0xfffull;
	for (a = base; a < base + count * 4096; a += 4096) {
		if (mmio_read32(a) == 0xffffffffu)
			ones++;
		mmio_write32(a, 0xdeadbeef);
		mmio_write8(a + 1, 0x5a);
		(void)mmio_read8(a + 3);
		done++;
	}
	printk("nfguest: mmio_spam pages=%u base=0x%lx reads_ones=%u\n", done, (unsigned long)base,
	       ones);
}

void mode_triple_fault(void)
{
	printk("nfguest: triple_fault\n");
	idt_load_null();
	__asm__ volatile("ud2");
	printk("nfguest: triple_fault: still running after ud2 with an empty IDT\n");
}

void mode_reset(void)
{
	printk("nfguest: reset\n");
	power_reset();
}
