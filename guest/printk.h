/* SPDX-License-Identifier: MIT */
/* Console output on COM1, one CPU at a time. */
#ifndef NFGUEST_PRINTK_H
#define NFGUEST_PRINTK_H

#include <stdarg.h>

/* printk: format (see guest/format.h) and write to COM1 under a spinlock. */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);

#endif
