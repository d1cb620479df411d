/* SPDX-License-Identifier: MIT */
/* Helpers shared by the corpus-driven unit tests (test_config*). Include
 * after <cmocka.h>. Test-only code. */
#ifndef NFV_TESTS_TEST_UTIL_H
#define NFV_TESTS_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* cmocka's print_error truncates long messages: one call per line. */
static inline void print_lines(const char *title, const char *text)
{
	const char *p = text;

	print_error("--- %s\n", title);
	while (p && *p) {
		size_t n = strcspn(p, "\n");

		print_error("%.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* The whole file at PATH, NUL-terminated (empty string for an empty file);
 * NULL if it cannot be opened. The caller frees it. */
static inline char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

/* Creates a temporary file from TMPL ("/tmp/name-XXXXXX", rewritten in
 * place) holding TEXT; the caller unlinks it. */
static inline void write_temp(char *tmpl, const char *text)
{
	size_t n = strlen(text);
	int fd = mkstemp(tmpl);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
}

#endif
