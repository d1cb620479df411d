/* SPDX-License-Identifier: MIT */
#include "guest/bootinfo.h"
#include "guest/errno.h"
#include "guest/idt.h"
#include "guest/io.h"
#include "guest/lapic.h"
#include "guest/layout.h"
#include "guest/lib.h"
#include "guest/smp.h"
#include "guest/timer.h"

#define ICR_INIT      0x00004500 /* INIT, level assert */
#define ICR_STARTUP   0x00004600 /* STARTUP, vector = page number */
#define INIT_DELAY_US 10000
#define SIPI_DELAY_US 200

extern const char trampoline_start[], trampoline_end[];
void ap_main(unsigned int idx);

static unsigned int ap_online;

void ap_main(unsigned int idx)
{
	(void)idx;
	idt_load();
	lapic_enable_local();
	__atomic_fetch_add(&ap_online, 1, __ATOMIC_SEQ_CST); /* lock xadd / lock add */
	/* returns to ap_entry64, which parks the CPU in cli;hlt */
}

unsigned int smp_cpus_online(void)
{
	return 1 + __atomic_load_n(&ap_online, __ATOMIC_SEQ_CST);
}

static uint32_t cpuid_apic_id(void)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	return b >> 24;
}

/* The 10 ms INIT de-assert wait of the MP spec. Like Linux, skip it on
 * CPUs with an integrated APIC that do not need it (Intel family 6+, AMD
 * family 0xF+) and under a hypervisor, where it only costs boot time. */
static uint64_t init_delay_us(void)
{
	uint32_t a, b, c, d, family;
	char vendor[12];

	cpuid(1, 0, &a, &b, &c, &d);
	if (c & (1u << 31))
		return 0;
	family = (a >> 8) & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	cpuid(0, 0, &a, (uint32_t *)&vendor[0], (uint32_t *)&vendor[8], (uint32_t *)&vendor[4]);
	if ((!memcmp(vendor, "GenuineIntel", 12) && family >= 6) ||
	    (!memcmp(vendor, "AuthenticAMD", 12) && family >= 0xf))
		return 0;
	return INIT_DELAY_US;
}

static void send_all(const struct cpu_list *cpus, uint32_t bsp, uint32_t icr,
		     struct smp_result *res)
{
	unsigned int i;

	for (i = 0; i < cpus->count; i++)
		if (cpus->apic_id[i] != bsp && lapic_send_ipi(cpus->apic_id[i], icr))
			res->ipi_errors++;
}

int smp_start(const struct cpu_list *cpus, unsigned int timeout_ms, struct smp_result *res)
{
	size_t tsize = (size_t)(trampoline_end - trampoline_start);
	uint64_t start, deadline;
	unsigned int i;
	uint32_t bsp;
	int err;

	memset(res, 0, sizeof(*res));
	bsp = cpuid_apic_id();
	res->bsp_apic_id = bsp;
	for (i = 0; i < cpus->count; i++)
		if (cpus->apic_id[i] != bsp)
			res->expected++;
	if (!res->expected)
		return 0;
	if (tsize > TRAMP_MAX) {
		res->skipped = "trampoline larger than its page";
		res->expected = 0;
		return -EINVAL;
	}
	if (boot_info.e820_count &&
	    !e820_is_ram(boot_info.e820, boot_info.e820_count, TRAMP_BASE, TRAMP_MAX)) {
		res->skipped = "the trampoline page 0x8000 is not RAM in the E820 map";
		res->expected = 0;
		return -ENODEV;
	}
	err = lapic_init(cpus->lapic_base < (4ull << 30) ? cpus->lapic_base : 0);
	if (err) {
		res->skipped = "no usable xAPIC (absent, x2APIC mode, or bad base)";
		res->expected = 0;
		return -ENODEV;
	}
	res->bsp_apic_id = lapic_id();
	bsp = res->bsp_apic_id;
	res->expected = 0;
	for (i = 0; i < cpus->count; i++)
		if (cpus->apic_id[i] != bsp)
			res->expected++;
	memcpy(phys_ptr(TRAMP_BASE), trampoline_start, tsize);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	start = rdtsc();
	send_all(cpus, bsp, ICR_INIT, res);
	udelay(init_delay_us());
	send_all(cpus, bsp, ICR_STARTUP | (TRAMP_BASE >> 12), res);
	udelay(SIPI_DELAY_US);
	if (__atomic_load_n(&ap_online, __ATOMIC_SEQ_CST) < res->expected)
		send_all(cpus, bsp, ICR_STARTUP | (TRAMP_BASE >> 12), res);
	deadline = timer_deadline((uint64_t)timeout_ms * 1000);
	while (__atomic_load_n(&ap_online, __ATOMIC_SEQ_CST) < res->expected &&
	       !timer_expired(deadline))
		cpu_relax();
	res->wait_us = timer_us_since(start);
	res->online = __atomic_load_n(&ap_online, __ATOMIC_SEQ_CST);
	return 0;
}
