/* SPDX-License-Identifier: MIT */
/* TAP output for the C check programs of tests/hw (run by the nested tier and
 * make check-hw): numbered "ok N - ..." / "not ok N - ..." lines on stdout. */
#ifndef NFV_TESTS_HW_TAP_H
#define NFV_TESTS_HW_TAP_H

#include <stdbool.h>

/* Print one result line; stderr is flushed first so diagnostics stay in order. */
void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* How many results were "not ok" so far. */
unsigned tap_failures(void);
/* Print the plan "1..N" for the N results so far (TAP allows it at the end). */
void tap_plan(void);

#endif
