/* SPDX-License-Identifier: MIT */
/* Capture what a call writes to stderr, for tests that assert on the error
 * message a module prints. */
#ifndef NFV_TESTS_UNIT_STDERR_CAPTURE_H
#define NFV_TESTS_UNIT_STDERR_CAPTURE_H

/* Redirect fd 2 to an anonymous temporary file until stderr_capture_end(). */
void stderr_capture_begin(void);
/* Restore fd 2, echo the captured text to it and return the text (NUL
 * terminated, at most 4095 bytes; valid until the next capture). */
const char *stderr_capture_end(void);

#endif
