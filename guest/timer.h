/* SPDX-License-Identifier: MIT */
/*
 * TSC-based delays. timer_init finds the TSC frequency from, in order: the
 * hypervisor leaf 0x40000010, KVM's kvmclock scale (exact under KVM), CPUID
 * 0x15, a 10 ms PIT channel-2 measurement
 * (skipped when no PIT answers), CPUID 0x16, else it assumes 3 GHz. The
 * result bounds waits and paces benchgen; only benchgen's rates need it
 * exact.
 */
#ifndef NFGUEST_TIMER_H
#define NFGUEST_TIMER_H

#include <stdint.h>

void timer_init(void);

/* tsc_khz: TSC ticks per millisecond; tsc_source: how it was found. */
uint64_t timer_tsc_khz(void);
const char *timer_source(void);

/* udelay: busy-wait at least us microseconds (by the calibrated TSC). */
void udelay(uint64_t us);

/* timer_deadline / timer_expired: a TSC deadline us microseconds from now. */
uint64_t timer_deadline(uint64_t us);
int timer_expired(uint64_t deadline);

/* timer_us_since: microseconds elapsed since TSC value start. */
uint64_t timer_us_since(uint64_t start);

#endif
