/* SPDX-License-Identifier: MIT */
/* MC146818 RTC/CMOS at ports 0x70 (index, bit 7 = NMI mask) and 0x71
 * (data): the time registers read the host's UTC wall clock (BCD or binary,
 * 24 or 12 hour, as status register B selects), the update-in-progress bit
 * is never set, and the other CMOS bytes are plain RAM. Guest writes to the
 * time registers are ignored (the host owns the clock). No interrupts. */
#ifndef NFV_VMM_RTC_H
#define NFV_VMM_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define RTC_PORT   0x70
#define RTC_NPORTS 2

struct rtc;

/* now: time source (NULL: time(NULL)); tests pass a fixed clock. */
int rtc_create(time_t (*now)(void), struct rtc **out);
void rtc_destroy(struct rtc *rtc);

/* bus_handler_fn for RTC_PORT, len RTC_NPORTS. */
void rtc_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
