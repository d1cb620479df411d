// SPDX-License-Identifier: MIT
/* libFuzzer target: the appliance YAML loader and validator (config/load.c,
 * check.c) on arbitrary files. Every diagnostic is formatted; an accepted
 * file is dumped, the dump is loaded again and must load and dump to the
 * same text (the round-trip contract in config/appliance.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/appliance.h"
#include "config/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dump(const struct appliance *app, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f || appliance_dump(app, f))
		abort();
	fclose(f);
	return buf;
}

static int load_fd(int fd, const void *data, size_t size, struct diag_list *d,
		   struct appliance **app)
{
	char path[64];

	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return appliance_load(path, d, app);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct appliance *app = NULL, *again = NULL;
	struct diag_list d, d2;
	char *t1, *t2;
	size_t i, l1, l2;

	if (fd < 0 && (fd = memfd_create("fuzz-config", MFD_CLOEXEC)) < 0)
		abort();
	diag_init(&d);
	if (load_fd(fd, data, size, &d, &app) == 0) {
		t1 = dump(app, &l1);
		diag_init(&d2);
		if (load_fd(fd, t1, l1, &d2, &again)) {
			diag_print(&d2, "dump", stderr);
			fprintf(stderr, "dump that does not load:\n%s\n", t1);
			abort();
		}
		t2 = dump(again, &l2);
		if (l1 != l2 || memcmp(t1, t2, l1)) {
			fprintf(stderr, "dump 1:\n%s\ndump 2:\n%s\n", t1, t2);
			abort();
		}
		free(t1);
		free(t2);
		appliance_free(again);
		diag_free(&d2);
		appliance_free(app);
	}
	for (i = 0; i < d.n; i++)
		free(diag_format(&d, i));
	diag_free(&d);
	return 0;
}
