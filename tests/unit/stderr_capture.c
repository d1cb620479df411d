/* SPDX-License-Identifier: MIT */
#include "tests/unit/stderr_capture.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

static char errbuf[4096];
static int saved_fd = -1;

void stderr_capture_begin(void)
{
	int fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);

	assert_true(fd >= 0);
	fflush(stderr);
	saved_fd = dup(2);
	dup2(fd, 2);
	close(fd);
}

const char *stderr_capture_end(void)
{
	ssize_t n;

	fflush(stderr);
	lseek(2, 0, SEEK_SET);
	n = read(2, errbuf, sizeof(errbuf) - 1);
	errbuf[n > 0 ? n : 0] = '\0';
	dup2(saved_fd, 2);
	close(saved_fd);
	saved_fd = -1;
	fputs(errbuf, stderr);
	return errbuf;
}
