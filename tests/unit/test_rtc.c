/* SPDX-License-Identifier: MIT */
/* RTC/CMOS against a fixed clock: BCD and binary time, 12/24 hour, status
 * registers (UIP never set, battery good), CMOS RAM, ignored time writes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/rtc.h"

/* 2026-11-29 17:45:09 UTC, a Sunday. */
static time_t fixed(void)
{
	return 1795974309;
}

static uint8_t rd(struct rtc *r, uint8_t reg)
{
	uint8_t v = reg | 0x80; /* NMI mask bit must not matter */

	rtc_io(r, 0, &v, 1, true);
	rtc_io(r, 1, &v, 1, false);
	return v;
}

static void wr(struct rtc *r, uint8_t reg, uint8_t val)
{
	rtc_io(r, 0, &reg, 1, true);
	rtc_io(r, 1, &val, 1, true);
}

static void test_bcd_24h(void **state)
{
	struct rtc *r;

	assert_int_equal(rtc_create(fixed, &r), 0);
	assert_int_equal(rd(r, 0x00), 0x09);
	assert_int_equal(rd(r, 0x02), 0x45);
	assert_int_equal(rd(r, 0x04), 0x17);
	assert_int_equal(rd(r, 0x06), 0x01); /* Sunday */
	assert_int_equal(rd(r, 0x07), 0x29);
	assert_int_equal(rd(r, 0x08), 0x11);
	assert_int_equal(rd(r, 0x09), 0x26);
	assert_int_equal(rd(r, 0x32), 0x20);
	assert_int_equal(rd(r, 0x0a) & 0x80, 0); /* no update in progress */
	assert_int_equal(rd(r, 0x0d), 0x80);
	rtc_destroy(r);
}

static void test_binary_12h(void **state)
{
	struct rtc *r;

	assert_int_equal(rtc_create(fixed, &r), 0);
	wr(r, 0x0b, 0x04); /* binary, 12 hour */
	assert_int_equal(rd(r, 0x0b), 0x04);
	assert_int_equal(rd(r, 0x02), 45);
	assert_int_equal(rd(r, 0x04), 0x80 | 5); /* 5 PM */
	assert_int_equal(rd(r, 0x09), 26);
	wr(r, 0x0b, 0x00); /* BCD, 12 hour */
	assert_int_equal(rd(r, 0x04), 0x85);
	rtc_destroy(r);
}

static void test_ram_and_writes(void **state)
{
	struct rtc *r;
	uint8_t v = 0;

	assert_int_equal(rtc_create(fixed, &r), 0);
	wr(r, 0x40, 0xab);
	assert_int_equal(rd(r, 0x40), 0xab);
	wr(r, 0x00, 0x59); /* time writes are ignored */
	assert_int_equal(rd(r, 0x00), 0x09);
	wr(r, 0x0a, 0xa6); /* UIP cannot be set */
	assert_int_equal(rd(r, 0x0a), 0x26);
	wr(r, 0x0c, 0xff);
	assert_int_equal(rd(r, 0x0c), 0);
	rtc_io(r, 2, &v, 1, false); /* out of range: ignored */
	rtc_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bcd_24h),
	    cmocka_unit_test(test_binary_12h),
	    cmocka_unit_test(test_ram_and_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
