/* SPDX-License-Identifier: MIT */
/* Freestanding string/memory helpers (the compiler may also emit calls to
 * memcpy/memset/memmove/memcmp, so they carry the standard names). */
#ifndef NFGUEST_LIB_H
#define NFGUEST_LIB_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
/* strnlen: length of s, at most max. */
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
