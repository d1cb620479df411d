/* SPDX-License-Identifier: MIT */
/*
 * nfguest command line: words separated by blanks, each "key=value" or a
 * bare "key". Lookups return the first occurrence. Pure functions.
 */
#ifndef NFGUEST_CMDLINE_H
#define NFGUEST_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

/* cmdline_get: copy the value of key (empty for a bare key) into val (size
 * bytes, NUL-terminated). Returns 0, -ENOENT if key is absent, -E2BIG if the
 * value does not fit (val then holds a truncated copy). */
int cmdline_get(const char *cmdline, const char *key, char *val, size_t size);

/* cmdline_get_u64: the value of key as a decimal or 0x-hex number.
 * Returns 0, -ENOENT, -EINVAL (not a number) or -ERANGE (over 64 bits). */
int cmdline_get_u64(const char *cmdline, const char *key, uint64_t *out);

/* cmdline_parse_u64: parse a whole string as decimal or 0x-hex. Returns 0,
 * -EINVAL or -ERANGE. */
int cmdline_parse_u64(const char *s, uint64_t *out);

#endif
