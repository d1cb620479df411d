/* SPDX-License-Identifier: MIT */
#include "vmm/rtc.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum {
	REG_SEC = 0x00,
	REG_MIN = 0x02,
	REG_HOUR = 0x04,
	REG_WDAY = 0x06,
	REG_MDAY = 0x07,
	REG_MON = 0x08,
	REG_YEAR = 0x09,
	REG_A = 0x0a,
	REG_B = 0x0b,
	REG_C = 0x0c,
	REG_D = 0x0d,
	REG_CENTURY = 0x32, /* the FADT's CENTURY field points here */
	CMOS_SIZE = 128,
};

#define A_DIVIDER_32K 0x26 /* 32.768 kHz time base, 1024 Hz rate */
#define B_24H	      0x02
#define B_BINARY      0x04
#define D_VRT	      0x80 /* battery good */
#define HOUR_PM	      0x80

struct rtc {
	pthread_mutex_t lock;
	time_t (*now)(void);
	uint8_t index;
	uint8_t cmos[CMOS_SIZE];
};

static time_t now_default(void)
{
	return time(NULL);
}

int rtc_create(time_t (*now)(void), struct rtc **out)
{
	struct rtc *rtc = calloc(1, sizeof(*rtc));

	/* glibc initialises its time zone on the first gmtime_r(), opening
	 * /etc/localtime; do it now, before the seccomp sandbox, not on a vCPU. */
	tzset();

	if (!rtc)
		return -ENOMEM;
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->now = now ? now : now_default;
	rtc->cmos[REG_A] = A_DIVIDER_32K;
	rtc->cmos[REG_B] = B_24H;
	rtc->cmos[REG_D] = D_VRT;
	*out = rtc;
	return 0;
}

void rtc_destroy(struct rtc *rtc)
{
	if (!rtc)
		return;
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}

static uint8_t encode(const struct rtc *rtc, unsigned v)
{
	if (rtc->cmos[REG_B] & B_BINARY)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t read_hour(const struct rtc *rtc, unsigned h)
{
	unsigned h12;

	if (rtc->cmos[REG_B] & B_24H)
		return encode(rtc, h);
	h12 = h % 12 ? h % 12 : 12;
	return (uint8_t)(encode(rtc, h12) | (h >= 12 ? HOUR_PM : 0));
}

static bool is_time_reg(uint8_t reg)
{
	return reg == REG_SEC || reg == REG_MIN || reg == REG_HOUR || reg == REG_WDAY ||
	       reg == REG_MDAY || reg == REG_MON || reg == REG_YEAR || reg == REG_CENTURY;
}

static uint8_t read_reg(struct rtc *rtc, uint8_t reg)
{
	time_t t;
	struct tm tm;

	if (reg == REG_C)
		return 0; /* no interrupt flags: the RTC raises no interrupts */
	if (!is_time_reg(reg))
		return rtc->cmos[reg]; /* status, alarm and CMOS RAM bytes */
	t = rtc->now();
	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	switch (reg) {
	case REG_SEC:
		return encode(rtc, (unsigned)tm.tm_sec % 60);
	case REG_MIN:
		return encode(rtc, (unsigned)tm.tm_min);
	case REG_HOUR:
		return read_hour(rtc, (unsigned)tm.tm_hour);
	case REG_WDAY:
		return encode(rtc, (unsigned)tm.tm_wday + 1);
	case REG_MDAY:
		return encode(rtc, (unsigned)tm.tm_mday);
	case REG_MON:
		return encode(rtc, (unsigned)tm.tm_mon + 1);
	case REG_YEAR:
		return encode(rtc, (unsigned)(tm.tm_year + 1900) % 100);
	default: /* REG_CENTURY */
		return encode(rtc, (unsigned)(tm.tm_year + 1900) / 100);
	}
}

static void write_reg(struct rtc *rtc, uint8_t reg, uint8_t v)
{
	if (is_time_reg(reg))
		return; /* the host owns the clock */
	switch (reg) {
	case REG_A:
		rtc->cmos[REG_A] = v & 0x7f; /* UIP is read-only */
		break;
	case REG_C:
	case REG_D:
		break; /* read-only */
	default:
		rtc->cmos[reg] = v;
		break;
	}
}

void rtc_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct rtc *rtc = opaque;

	if (offset >= RTC_NPORTS || len == 0)
		return;
	pthread_mutex_lock(&rtc->lock);
	if (offset == 0) {
		/* Bit 7 of the index masks NMIs on a PC; only the index is kept. */
		if (is_write)
			rtc->index = data[0] & 0x7f;
		else
			memset(data, 0xff, len);
	} else if (is_write) {
		write_reg(rtc, rtc->index, data[0]);
	} else {
		memset(data, 0, len);
		data[0] = read_reg(rtc, rtc->index);
	}
	pthread_mutex_unlock(&rtc->lock);
}
