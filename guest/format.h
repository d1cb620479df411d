/* SPDX-License-Identifier: MIT */
/*
 * A tiny printf engine: %d %i %u %x %X %p %s %c %%, flags '-' and '0',
 * a width (digits or '*'), and the length modifiers h, l, ll, z (ignored
 * where they change nothing). A NULL %s prints "(null)"; an unknown
 * conversion is printed literally. No floating point.
 */
#ifndef NFGUEST_FORMAT_H
#define NFGUEST_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*fmt_out_fn)(char c, void *arg);

/* fmt_vformat: feed the formatted text to out(c, arg) one character at a
 * time; returns the number of characters produced. */
int fmt_vformat(fmt_out_fn out, void *arg, const char *fmt, va_list ap);

/* fmt_snprintf: format into buf (always NUL-terminated when size > 0);
 * returns the length the full text would have had, like snprintf. */
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
