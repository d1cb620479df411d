/* SPDX-License-Identifier: MIT */
#include "config/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(struct diag_list *d)
{
	memset(d, 0, sizeof(*d));
}

void diag_free(struct diag_list *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void diag_add(struct diag_list *d, enum diag_severity sev, struct cfg_mark mark, const char *fmt,
	      ...)
{
	va_list ap;
	char *msg;
	int n;

	if (sev == DIAG_ERROR)
		d->nerrors++;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct diag *v = realloc(d->v, cap * sizeof(*v));

		if (!v) {
			d->oom = true;
			return;
		}
		d->v = v;
		d->cap = cap;
	}
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		d->oom = true;
		return;
	}
	d->v[d->n] = (struct diag){.severity = sev, .mark = mark, .msg = msg, .seq = d->n};
	d->n++;
}

static int diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;

	if (x->mark.line != y->mark.line)
		return x->mark.line < y->mark.line ? -1 : 1;
	if (x->mark.col != y->mark.col)
		return x->mark.col < y->mark.col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void diag_sort(struct diag_list *d)
{
	if (d->n)
		qsort(d->v, d->n, sizeof(d->v[0]), diag_cmp);
}

char *diag_format(const struct diag_list *d, size_t i)
{
	const struct diag *g = &d->v[i];
	const char *sev = g->severity == DIAG_WARNING ? "warning: " : "";
	char *s;
	int n;

	if (g->mark.line)
		n = asprintf(&s, "%u:%u: %s%s", g->mark.line, g->mark.col, sev, g->msg);
	else
		n = asprintf(&s, "%s%s", sev, g->msg);
	return n < 0 ? NULL : s;
}

void diag_print(const struct diag_list *d, const char *file, FILE *f)
{
	for (size_t i = 0; i < d->n; i++) {
		char *s = diag_format(d, i);

		if (s)
			fprintf(f, "%s:%s%s\n", file, d->v[i].mark.line ? "" : " ", s);
		free(s);
	}
	if (d->oom)
		fprintf(f, "%s: out of memory: some messages were lost\n", file);
}
