/* SPDX-License-Identifier: MIT */
/*
 * Starting the APs: INIT-SIPI-SIPI to every listed CPU but the BSP through a
 * real-mode trampoline copied to TRAMP_BASE. Each AP reaches long mode on the
 * BSP's page tables, takes its own stack, counts itself with a locked add
 * and parks in cli;hlt (or runs the work function, see smp_run_on_aps).
 */
#ifndef NFGUEST_SMP_H
#define NFGUEST_SMP_H

#include <stdint.h>

#include "guest/cpulist.h"

struct smp_result {
	uint32_t bsp_apic_id;
	unsigned int expected; /* APs that were sent SIPIs */
	unsigned int online;   /* APs that came up */
	unsigned int ipi_errors;
	uint64_t wait_us;    /* time from the first INIT to the last AP (or timeout) */
	const char *skipped; /* why no AP was started, or 0 */
};

/* smp_start: start every CPU in cpus except the caller (the BSP) and wait up
 * to timeout_ms for them. The trampoline page must not hold anything still
 * needed (boot info is copied before this). Returns 0 (res filled; a CPU
 * that did not answer is not an error) or -ENODEV when there is no usable
 * LAPIC (res->skipped says why). */
int smp_start(const struct cpu_list *cpus, unsigned int timeout_ms, struct smp_result *res);

/* smp_cpus_online: CPUs running, including the BSP. */
unsigned int smp_cpus_online(void);

#endif
