/* SPDX-License-Identifier: MIT */
/* Local APIC in xAPIC (MMIO) mode. */
#ifndef NFGUEST_LAPIC_H
#define NFGUEST_LAPIC_H

#include <stdint.h>

/* lapic_init: use the LAPIC at base (0 = 0xFEE00000): map it uncached,
 * globally enable it in IA32_APIC_BASE and software-enable it (SVR, spurious
 * vector 0xff). Returns 0, -ENODEV (no APIC in CPUID, or x2APIC mode already
 * on) or -EINVAL (unusable base). Call on the BSP only. */
int lapic_init(uint64_t base);

/* lapic_enable_local: software-enable the LAPIC of the calling CPU. */
void lapic_enable_local(void);

uint64_t lapic_base(void);

/* lapic_id: the calling CPU's APIC ID. */
uint32_t lapic_id(void);

/* lapic_send_ipi: write ICR (dest APIC ID, low word) after the previous IPI
 * was delivered; bounded wait. Returns 0 or -ETIMEDOUT. */
int lapic_send_ipi(uint32_t dest, uint32_t icr_low);

void lapic_eoi(void);

/* lapic_timer_periodic: fire vector every count timer ticks (divide by 1);
 * count 0 stops the timer. Used only to bound how long hlt can sleep. */
void lapic_timer_periodic(uint8_t vector, uint32_t count);

#endif
