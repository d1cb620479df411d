/* SPDX-License-Identifier: MIT */
#include "guest/cpulist.h"
#include "guest/errno.h"
#include "guest/io.h"
#include "guest/lapic.h"
#include "guest/paging.h"

#define MSR_APIC_BASE	0x1b
#define APIC_BASE_EN	(1ull << 11)
#define APIC_BASE_X2	(1ull << 10)
#define LAPIC_ID	0x020
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_ICR 0x380
#define LAPIC_TIMER_DIV 0x3e0
#define LVT_PERIODIC	(1u << 17)
#define LVT_MASKED	(1u << 16)
#define SVR_ENABLE	0x100
#define ICR_PENDING	(1u << 12)
#define ICR_SPIN	1000000

static uint64_t base = LAPIC_DEFAULT_BASE;

uint64_t lapic_base(void)
{
	return base;
}

static uint32_t rd(uint32_t reg)
{
	return mmio_read32(base + reg);
}

static void wr(uint32_t reg, uint32_t v)
{
	mmio_write32(base + reg, v);
}

int lapic_init(uint64_t b)
{
	uint32_t a, bx, c, d;
	uint64_t msr;

	cpuid(1, 0, &a, &bx, &c, &d);
	if (!(d & (1u << 9)))
		return -ENODEV;
	if (!b)
		b = LAPIC_DEFAULT_BASE;
	if (b & 0xfff)
		return -EINVAL;
	if (paging_map(b, 4096, 1))
		return -EINVAL;
	msr = rdmsr(MSR_APIC_BASE);
	if (msr & APIC_BASE_X2)
		return -ENODEV;
	if (!(msr & APIC_BASE_EN) || (msr & 0xffffff000ull) != b)
		wrmsr(MSR_APIC_BASE, (msr & 0xfff & ~APIC_BASE_X2) | APIC_BASE_EN | b);
	base = b;
	/* nfguest takes interrupts only through the LAPIC (MSI-X, its timer):
	 * mask the legacy 8259s, which firmware leaves delivering the PIT at
	 * vector 8 (it would look like a double fault). */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	lapic_enable_local();
	return 0;
}

void lapic_enable_local(void)
{
	wr(LAPIC_SVR, rd(LAPIC_SVR) | SVR_ENABLE | 0xff);
}

uint32_t lapic_id(void)
{
	return rd(LAPIC_ID) >> 24;
}

static int wait_idle(void)
{
	int i;

	for (i = 0; i < ICR_SPIN; i++) {
		if (!(rd(LAPIC_ICR_LO) & ICR_PENDING))
			return 0;
		cpu_relax();
	}
	return -ETIMEDOUT;
}

int lapic_send_ipi(uint32_t dest, uint32_t icr_low)
{
	if (wait_idle())
		return -ETIMEDOUT;
	wr(LAPIC_ICR_HI, dest << 24);
	wr(LAPIC_ICR_LO, icr_low);
	return wait_idle();
}

void lapic_eoi(void)
{
	wr(LAPIC_EOI, 0);
}

void lapic_timer_periodic(uint8_t vector, uint32_t count)
{
	if (!count) {
		wr(LAPIC_LVT_TIMER, LVT_MASKED);
		wr(LAPIC_TIMER_ICR, 0);
		return;
	}
	wr(LAPIC_TIMER_DIV, 0xb); /* divide by 1 */
	wr(LAPIC_LVT_TIMER, LVT_PERIODIC | vector);
	wr(LAPIC_TIMER_ICR, count);
}
