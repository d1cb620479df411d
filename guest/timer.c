/* SPDX-License-Identifier: MIT */
#include "guest/io.h"
#include "guest/timer.h"

#define PIT_HZ	     1193182
#define PIT_CH2	     0x42
#define PIT_CMD	     0x43
#define PORT_61	     0x61
#define CALIB_MS     10
#define FALLBACK_KHZ 3000000ull
#define MIN_KHZ	     100000ull	 /* 100 MHz */
#define MAX_KHZ	     20000000ull /* 20 GHz */

static uint64_t tsc_khz = FALLBACK_KHZ;
static const char *tsc_src = "assumed";

static int khz_sane(uint64_t khz)
{
	return khz >= MIN_KHZ && khz <= MAX_KHZ;
}

static uint64_t khz_from_hypervisor(void)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 31))) /* no hypervisor bit */
		return 0;
	cpuid(0x40000000, 0, &a, &b, &c, &d);
	if (a < 0x40000010 || a > 0x400000ff)
		return 0;
	cpuid(0x40000010, 0, &a, &b, &c, &d);
	return a;
}

/* kvmclock (KVM's paravirtual clock, feature CLOCKSOURCE2): KVM writes the
 * host's exact TSC-to-nanoseconds scale into a page the guest names with
 * MSR_KVM_SYSTEM_TIME_NEW: ns = ((tsc << shift) * mul) >> 32 (shift may be
 * negative). Read once, then switched off again. */
#define MSR_KVM_SYSTEM_TIME_NEW	 0x4b564d01u
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)

struct pvclock_time {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));

static volatile struct pvclock_time kvmclock __attribute__((aligned(64)));

static uint64_t khz_from_kvmclock(void)
{
	uint32_t a, b, c, d, mul, version;
	int8_t shift;
	uint64_t khz;
	int i;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 31)))
		return 0;
	cpuid(0x40000000, 0, &a, &b, &c, &d);
	if (b != 0x4b4d564b || c != 0x564b4d56 || d != 0x4d || a < 0x40000001) /* "KVMKVMKVM" */
		return 0;
	cpuid(0x40000001, 0, &a, &b, &c, &d);
	if (!(a & KVM_FEATURE_CLOCKSOURCE2))
		return 0;
	/* the image is identity-mapped: the variable's address is physical */
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)(uintptr_t)&kvmclock | 1);
	for (i = 0; i < 1000; i++) {
		version = kvmclock.version;
		__asm__ volatile("" ::: "memory");
		mul = kvmclock.tsc_to_system_mul;
		shift = kvmclock.tsc_shift;
		__asm__ volatile("" ::: "memory");
		if (!(version & 1) && version == kvmclock.version && mul)
			break;
		mul = 0;
	}
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
	if (!mul || shift < -31 || shift > 31)
		return 0;
	/* ticks per ms = 1e6 ns * 2^32 / (mul * 2^shift) */
	khz = (1000000ull << 32) / mul;
	return shift >= 0 ? khz >> shift : khz << -shift;
}

static uint64_t khz_from_cpuid15(void)
{
	uint32_t a, b, c, d, max;

	cpuid(0, 0, &max, &b, &c, &d);
	if (max < 0x15)
		return 0;
	cpuid(0x15, 0, &a, &b, &c, &d);
	if (!a || !b || !c)
		return 0;
	return (uint64_t)c / 1000 * b / a;
}

static uint64_t khz_from_cpuid16(void)
{
	uint32_t a, b, c, d, max;

	cpuid(0, 0, &max, &b, &c, &d);
	if (max < 0x16)
		return 0;
	cpuid(0x16, 0, &a, &b, &c, &d);
	return (uint64_t)(a & 0xffff) * 1000;
}

/* Count TSC ticks while PIT channel 2 counts down CALIB_MS. Returns 0 when
 * no PIT answers (the read-back count is not what was just programmed) or
 * the output never rises within a bounded number of polls. */
static uint64_t khz_from_pit(void)
{
	const uint16_t latch = PIT_HZ / (1000 / CALIB_MS);
	uint8_t saved = inb(PORT_61);
	uint64_t t0, t1;
	uint16_t count;
	unsigned long i;

	outb(PORT_61, (saved & ~0x02) | 0x01); /* gate on, speaker off */
	outb(PIT_CMD, 0xb0);		       /* ch2, lo/hi, mode 0, binary */
	outb(PIT_CH2, latch & 0xff);
	outb(PIT_CH2, latch >> 8);
	outb(PIT_CMD, 0x80); /* latch ch2 */
	count = inb(PIT_CH2);
	count |= (uint16_t)inb(PIT_CH2) << 8;
	if (count == 0 || count > latch)
		goto no_pit;
	t0 = rdtsc();
	for (i = 0; i < 5000000ul; i++) {
		if (inb(PORT_61) & 0x20)
			break;
		if (rdtsc() - t0 > (1ull << 28)) /* >10x a 10 ms PIT period */
			goto no_pit;
	}
	t1 = rdtsc();
	if (i == 0 || i == 5000000ul)
		goto no_pit;
	outb(PORT_61, saved);
	return (t1 - t0) / CALIB_MS;
no_pit:
	outb(PORT_61, saved);
	return 0;
}

void timer_init(void)
{
	static const struct {
		const char *name;
		uint64_t (*fn)(void);
	} sources[] = {
	    {"hypervisor-leaf", khz_from_hypervisor}, {"kvmclock", khz_from_kvmclock},
	    {"cpuid-15h", khz_from_cpuid15},	      {"pit", khz_from_pit},
	    {"cpuid-16h", khz_from_cpuid16},
	};
	unsigned int i;

	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		uint64_t khz = sources[i].fn();

		if (khz_sane(khz)) {
			tsc_khz = khz;
			tsc_src = sources[i].name;
			return;
		}
	}
}

uint64_t timer_tsc_khz(void)
{
	return tsc_khz;
}

const char *timer_source(void)
{
	return tsc_src;
}

uint64_t timer_deadline(uint64_t us)
{
	return rdtsc() + us * tsc_khz / 1000;
}

int timer_expired(uint64_t deadline)
{
	return (int64_t)(rdtsc() - deadline) >= 0;
}

void udelay(uint64_t us)
{
	uint64_t end = timer_deadline(us);

	while (!timer_expired(end))
		cpu_relax();
}

uint64_t timer_us_since(uint64_t start)
{
	return (rdtsc() - start) * 1000 / tsc_khz;
}
