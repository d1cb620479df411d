/* SPDX-License-Identifier: MIT */
/* orch/proc: reaping stray children must never take a component's exit
 * status (the supervisor decides restarts on it), with real child
 * processes of this test. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "orch/proc.h"

/* A child that exits with CODE at once. */
static pid_t child_exiting(int code)
{
	pid_t p = fork();

	assert_true(p >= 0);
	if (!p)
		_exit(code);
	return p;
}

/* Waits (up to 10 s) until PID has exited, without reaping it. */
static void wait_zombie(pid_t pid)
{
	struct timespec ts = {0, 10 * 1000000L};

	for (int i = 0; i < 1000; i++) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT), 0);
		if (si.si_pid == pid)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("child %d did not exit within 10 s", (int)pid);
}

static void test_no_children(void **state)
{
	pid_t none = 12345;

	(void)state;
	assert_int_equal(proc_reap_strays(NULL, 0), 0);
	assert_int_equal(proc_reap_strays(&none, 1), 0);
}

/* The race the supervisor had: a component exits between its own check and
 * the sweep for strays; the sweep must leave it for proc_reap(). */
static void test_component_status_kept(void **state)
{
	pid_t comp, stray, keep[2];
	int status = 0;

	(void)state;
	stray = child_exiting(0);
	comp = child_exiting(3);
	wait_zombie(stray);
	wait_zombie(comp);
	keep[0] = 99999; /* a recorded pid that is no child: ignored */
	keep[1] = comp;
	/* Whichever the kernel reports first, the component survives the
	 * sweep with its status; the stray is gone after the next sweep. */
	proc_reap_strays(keep, 2);
	assert_int_equal(proc_reap(comp, &status), 1);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	proc_reap_strays(keep, 2);
	assert_int_equal(waitpid(stray, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_running_component_untouched(void **state)
{
	pid_t comp, strays[3];
	int status = 0, reaped = 0;

	(void)state;
	comp = fork();
	assert_true(comp >= 0);
	if (!comp) {
		pause();
		_exit(0);
	}
	for (int i = 0; i < 3; i++)
		strays[i] = child_exiting(7);
	for (int i = 0; i < 3; i++)
		wait_zombie(strays[i]);
	reaped = proc_reap_strays(&comp, 1);
	assert_int_equal(reaped, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(waitpid(strays[i], NULL, WNOHANG), -1);
	assert_int_equal(proc_reap(comp, &status), 0); /* still running */
	assert_int_equal(kill(comp, SIGKILL), 0);
	wait_zombie(comp);
	assert_int_equal(proc_reap_strays(&comp, 1), 0);
	assert_int_equal(proc_reap(comp, &status), 1);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The supervisor puts a crashed instance's first error line in events.log:
 * the first one after the last start mark, not a register dump line after
 * it nor an earlier instance's error. */
static void test_log_first_error(void **state)
{
	char path[] = "/tmp/nfv-orch-proc.XXXXXX", out[64];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, PROC_LOG_MARK
		   "nfvisor-vmm at 2026-01-01T00:00:00Z\n"
		   "nfvisor-vmm: vm: error: the old instance\n" PROC_LOG_MARK
		   "nfvisor-vmm at 2026-01-01T00:00:09Z\n"
		   "nfvisor-vmm: warning: not this\n"
		   "nfvisor-vmm: vcpu: error: vCPU 0: triple fault (KVM_EXIT_SHUTDOWN), stopping\n"
		   "nfvisor-vmm: vcpu: error:   rip 0000000000100000\n");
	assert_int_equal(proc_log_first_error(path, out, sizeof(out)), 0);
	assert_string_equal(out, "nfvisor-vmm: vcpu: error: vCPU 0: triple fault (KVM_EXIT_SHUTDO");
	/* The last instance logged no error: none, whatever came before. */
	write_file(path, "nfvisor-vmm: vm: error: before any mark\n" PROC_LOG_MARK
			 "nfvisor-vmm at 2026-01-01T00:00:09Z\ninfo only\n");
	assert_int_equal(proc_log_first_error(path, out, sizeof(out)), -ENOENT);
	/* A log without marks (written by someone else): its first error. */
	write_file(path, "a: error: first\nb: error: second");
	assert_int_equal(proc_log_first_error(path, out, sizeof(out)), 0);
	assert_string_equal(out, "a: error: first");
	write_file(path, "");
	assert_int_equal(proc_log_first_error(path, out, sizeof(out)), -ENOENT);
	unlink(path);
	assert_int_equal(proc_log_first_error(path, out, sizeof(out)), -ENOENT);
}

/* proc_spawn() starts each instance's lines with a mark; a restart appends. */
static void test_spawn_marks_log(void **state)
{
	char path[] = "/tmp/nfv-orch-proc.XXXXXX", out[128], head[64];
	char *const argv[] = {"/bin/sh", "-c", "echo 'sh: t: error: boom' >&2; exit 3", NULL};
	int fd = mkstemp(path), status = 0;
	ssize_t n;
	pid_t p;

	(void)state;
	assert_true(fd >= 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(proc_spawn(argv, path, &p), 0);
		assert_int_equal(waitpid(p, &status, 0), p);
		assert_int_equal(WEXITSTATUS(status), 3);
	}
	n = pread(fd, head, sizeof(head) - 1, 0);
	assert_true(n > 0);
	head[n] = '\0';
	assert_memory_equal(head, PROC_LOG_MARK "sh at ", strlen(PROC_LOG_MARK "sh at "));
	assert_int_equal(proc_log_first_error(path, out, sizeof(out)), 0);
	assert_string_equal(out, "sh: t: error: boom");
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_children),
	    cmocka_unit_test(test_component_status_kept),
	    cmocka_unit_test(test_running_component_untouched),
	    cmocka_unit_test(test_log_first_error),
	    cmocka_unit_test(test_spawn_marks_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
