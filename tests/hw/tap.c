/* SPDX-License-Identifier: MIT */
#include "tests/hw/tap.h"

#include <stdarg.h>
#include <stdio.h>

static unsigned tap_n, tap_failed;

void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	fflush(stderr);
	printf("%sok %u - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	tap_failed += !ok;
}

unsigned tap_failures(void)
{
	return tap_failed;
}

void tap_plan(void)
{
	printf("1..%u\n", tap_n);
}
