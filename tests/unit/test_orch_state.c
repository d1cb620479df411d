/* SPDX-License-Identifier: MIT */
/* orch/state: the write-ahead journal and process records in a temp dir. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "orch/state.h"

struct t {
	char base[64];
	char dir[96];
};

static int setup(void **state)
{
	static struct t t;

	snprintf(t.base, sizeof(t.base), "/tmp/nfv-orch-state.XXXXXX");
	assert_non_null(mkdtemp(t.base));
	snprintf(t.dir, sizeof(t.dir), "%s/app", t.base);
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	assert_int_equal(state_remove_dir(t->base), 0);
	return 0;
}

static void append_raw(const char *dir, const char *text)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, STATE_JOURNAL);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_create_twice(void **state)
{
	struct t *t = *state;
	struct orch_state *s, *s2 = NULL;

	assert_int_equal(state_create(t->dir, &s), 0);
	assert_string_equal(state_dir(s), t->dir);
	assert_int_equal(state_create(t->dir, &s2), -EEXIST);
	assert_null(s2);
	state_close(s);
	assert_int_equal(state_open("/nonexistent/nfv-orch", &s2), -ENOENT);
}

static void test_journal_pending_newest_first(void **state)
{
	struct t *t = *state;
	struct orch_state *s;
	struct journal_entry *e;
	unsigned seq[3];
	size_t n;

	assert_int_equal(state_create(t->dir, &s), 0);
	assert_int_equal(state_journal_add(s, &seq[0], "hp", "%s %u", "a/nr_hugepages", 10), 0);
	assert_int_equal(state_journal_add(s, &seq[1], "file", "%s", "/run/x.sock"), 0);
	assert_int_equal(state_journal_add(s, &seq[2], "bind", "0000:01:10.1 - -"), 0);
	assert_int_equal(seq[0], 1);
	assert_int_equal(seq[2], 3);
	assert_int_equal(state_journal_undone(s, seq[1]), 0);
	assert_int_equal(state_journal_pending(s, &e, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].seq, 3);
	assert_string_equal(e[0].op, "bind");
	assert_string_equal(e[0].args, "0000:01:10.1 - -");
	assert_int_equal(e[1].seq, 1);
	assert_string_equal(e[1].op, "hp");
	assert_string_equal(e[1].args, "a/nr_hugepages 10");
	free(e);
	/* Bad entries are refused, nothing written. */
	assert_int_equal(state_journal_add(s, NULL, "two words", "x"), -EINVAL);
	assert_int_equal(state_journal_add(s, NULL, "file", "a\nb"), -EINVAL);
	state_close(s);
}

static void test_torn_line_and_reopen(void **state)
{
	struct t *t = *state;
	struct orch_state *s;
	struct journal_entry *e;
	unsigned seq;
	size_t n;

	assert_int_equal(state_create(t->dir, &s), 0);
	assert_int_equal(state_journal_add(s, NULL, "hp", "p 1"), 0);
	state_close(s);
	/* A crash mid-write: a line without its newline, plus garbage. */
	append_raw(t->dir, "garbage\n2 numvfs 0000:01:00.0 0 1");
	assert_int_equal(state_open(t->dir, &s), 0);
	assert_int_equal(state_journal_pending(s, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].op, "hp");
	free(e);
	/* The torn entry is cut off, never undone; the next one stands alone. */
	assert_int_equal(state_journal_add(s, &seq, "file", "/x"), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(state_journal_pending(s, &e, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].op, "file");
	assert_string_equal(e[0].args, "/x");
	assert_string_equal(e[1].op, "hp");
	free(e);
	state_close(s);
}

static void test_undone_all(void **state)
{
	struct t *t = *state;
	struct orch_state *s;
	struct journal_entry *e;
	size_t n;

	assert_int_equal(state_create(t->dir, &s), 0);
	for (unsigned i = 0; i < 40; i++)
		assert_int_equal(state_journal_add(s, NULL, "file", "/f%u", i), 0);
	for (unsigned i = 1; i <= 40; i++)
		assert_int_equal(state_journal_undone(s, i), 0);
	assert_int_equal(state_journal_pending(s, &e, &n), 0);
	assert_int_equal(n, 0);
	free(e);
	state_close(s);
}

static void test_proc_records(void **state)
{
	struct t *t = *state;
	struct orch_state *s;
	struct proc_rec r = {.pid = 1234,
			     .start = 987654321ull,
			     .state = PROC_RUNNING,
			     .restarts = 2,
			     .since = 1700000000};
	struct proc_rec got, *list;
	char path[160];
	size_t n;
	FILE *f;

	assert_int_equal(state_create(t->dir, &s), 0);
	snprintf(r.comp, sizeof(r.comp), "vm.fw1");
	snprintf(r.exe, sizeof(r.exe), "/usr/bin/nfvisor-vmm");
	assert_int_equal(state_proc_write(s, &r), 0);
	snprintf(r.comp, sizeof(r.comp), "switch");
	r.pid = 99;
	r.state = PROC_RESTARTING;
	assert_int_equal(state_proc_write(s, &r), 0);
	assert_int_equal(state_proc_read(s, "vm.fw1", &got), 0);
	assert_int_equal(got.pid, 1234);
	assert_true(got.start == 987654321ull);
	assert_string_equal(got.exe, "/usr/bin/nfvisor-vmm");
	assert_int_equal(got.state, PROC_RUNNING);
	assert_int_equal(got.restarts, 2);
	assert_true(got.since == 1700000000);
	assert_int_equal(state_proc_list(s, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].comp, "switch"); /* sorted */
	assert_int_equal(list[0].state, PROC_RESTARTING);
	assert_string_equal(list[1].comp, "vm.fw1");
	free(list);
	/* No temp files are left behind by the atomic writes. */
	snprintf(path, sizeof(path), "%s/.proc.switch.tmp", t->dir);
	assert_int_equal(access(path, F_OK), -1);
	/* A corrupt record is an error, not a crash. */
	snprintf(path, sizeof(path), "%s/proc.bad", t->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("bad 12\n", f);
	fclose(f);
	assert_int_equal(state_proc_read(s, "bad", &got), -EINVAL);
	assert_int_equal(state_proc_read(s, "nope", &got), -ENOENT);
	/* Names with a slash or space are refused. */
	snprintf(r.comp, sizeof(r.comp), "../x");
	assert_int_equal(state_proc_write(s, &r), -EINVAL);
	assert_int_equal(state_proc_remove(s, "switch"), 0);
	assert_int_equal(state_proc_remove(s, "switch"), 0);
	assert_int_equal(state_proc_read(s, "switch", &got), -ENOENT);
	state_close(s);
}

static void test_events_and_remove_dir(void **state)
{
	struct t *t = *state;
	struct orch_state *s;
	char path[160], line[256];
	FILE *f;

	assert_int_equal(state_create(t->dir, &s), 0);
	state_event(s, "switch (pid %d) exited", 42);
	snprintf(path, sizeof(path), "%s/%s", t->dir, STATE_EVENTS);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_non_null(strstr(line, "Z switch (pid 42) exited\n"));
	snprintf(path, sizeof(path), "%s/sub", t->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/deeper", t->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/link", t->dir);
	assert_int_equal(symlink("/etc", path), 0);
	state_close(s);
	assert_int_equal(state_remove_dir(t->dir), 0);
	assert_int_equal(access(t->dir, F_OK), -1);
	assert_int_equal(access("/etc/passwd", F_OK), 0); /* links are not followed */
	assert_int_equal(state_remove_dir(t->dir), 0);	  /* absent is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_twice, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_journal_pending_newest_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_torn_line_and_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_undone_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_proc_records, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_events_and_remove_dir, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
