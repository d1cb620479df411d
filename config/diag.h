/* SPDX-License-Identifier: MIT */
/* Diagnostics tied to positions in a file: collected, sorted, then printed
 * all at once as "FILE:LINE:COL: message" (errors) or
 * "FILE:LINE:COL: warning: message". */
#ifndef NFV_CONFIG_DIAG_H
#define NFV_CONFIG_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* 1-based position; line 0 means "no position" (or "not given"). */
struct cfg_mark {
	unsigned line, col;
};

enum diag_severity { DIAG_ERROR, DIAG_WARNING };

struct diag {
	enum diag_severity severity;
	struct cfg_mark mark;
	char *msg;
	size_t seq; /* insertion order, keeps the sort stable */
};

struct diag_list {
	struct diag *v;
	size_t n, cap;
	size_t nerrors;
	bool oom; /* a message could not be stored */
};

void diag_init(struct diag_list *d);
void diag_free(struct diag_list *d);

/* Appends one diagnostic. Allocation failure sets d->oom (and still counts
 * an error) rather than failing: callers keep going. */
void diag_add(struct diag_list *d, enum diag_severity sev, struct cfg_mark mark, const char *fmt,
	      ...) __attribute__((format(printf, 4, 5)));
#define diag_err(d, m, ...)  diag_add(d, DIAG_ERROR, m, __VA_ARGS__)
#define diag_warn(d, m, ...) diag_add(d, DIAG_WARNING, m, __VA_ARGS__)

/* Sorts by position (unpositioned first), keeping insertion order for ties. */
void diag_sort(struct diag_list *d);

/* Formats diagnostic I as "LINE:COL: [warning: ]message" (no file name;
 * "[warning: ]message" alone when it has no position) into a new string the
 * caller frees; NULL on allocation failure. */
char *diag_format(const struct diag_list *d, size_t i);

/* Prints every diagnostic, each prefixed with "FILE:". */
void diag_print(const struct diag_list *d, const char *file, FILE *f);

#endif
