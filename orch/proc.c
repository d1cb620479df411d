/* SPDX-License-Identifier: MIT */
/* Spawning, identifying, stopping and health-checking appliance processes. */
#define LOG_PREFIX "proc"
#include "orch/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "orch/swctl.h"

void proc_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int proc_spawn(char *const argv[], const char *log, pid_t *pid)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	pid_t p;

	if (fd < 0) {
		int ret = -errno;

		pr_err("cannot open log file %s: %s", log, strerror(-ret));
		return ret;
	}
	{
		char when[32];
		time_t now = time(NULL);
		struct tm tm;

		/* Where this instance's lines begin (restarts append). */
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
		dprintf(fd, "%s%s at %s\n", PROC_LOG_MARK,
			strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0], when);
	}
	p = fork();
	if (p < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	if (!p) {
		int nul = open("/dev/null", O_RDONLY);
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		setpgid(0, 0);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		dprintf(2, "nfvisor: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd);
	*pid = p;
	return 0;
}

int proc_starttime(pid_t pid, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -ESRCH;
	if (p[2] == 'Z' || p[2] == 'X')
		return -ESRCH; /* zombie: dead for our purposes */
	p += 2;
	/* Fields after the command: state is field 3, starttime field 22. */
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || sscanf(p, "%llu", &v) != 1)
		return -ESRCH;
	*start = v;
	return 0;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

bool proc_alive(const struct proc_rec *r)
{
	unsigned long long start;
	char path[64], cmd[512];
	ssize_t n;
	int fd;

	if (r->pid <= 0 || proc_starttime(r->pid, &start) || start != r->start)
		return false;
	if (!r->exe[0])
		return true;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)r->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return false;
	cmd[n] = '\0';
	return !strcmp(base(cmd), base(r->exe));
}

int proc_reap(pid_t pid, int *status)
{
	pid_t w = waitpid(pid, status, WNOHANG);

	if (w < 0)
		return -errno;
	return w == pid;
}

int proc_reap_strays(const pid_t *keep, size_t n)
{
	int reaped = 0;

	for (;;) {
		siginfo_t si;
		bool kept = false;

		/* Look first (WNOWAIT), reap only what is not kept: a kept
		 * child's wait status belongs to proc_reap()'s caller. */
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid <= 0)
			break;
		for (size_t i = 0; i < n && !kept; i++)
			kept = keep[i] == si.si_pid;
		/* waitid() reports the same child until it is reaped: a kept
		 * one ends the pass (strays behind it wait for the next). */
		if (kept || waitpid(si.si_pid, NULL, WNOHANG) != si.si_pid)
			break;
		reaped++;
	}
	return reaped;
}

void proc_describe_status(int status, char *out, size_t len)
{
	if (WIFEXITED(status))
		snprintf(out, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(out, len, "wait status 0x%x", (unsigned)status);
}

/* Waits until R's process is gone (reaping our child), up to MS. */
static bool wait_gone(const struct proc_rec *r, unsigned ms)
{
	long long end = now_ms() + ms;
	int st;

	for (;;) {
		if (proc_reap(r->pid, &st) == 1 || !proc_alive(r))
			return true;
		if (now_ms() >= end)
			return false;
		proc_sleep_ms(20);
	}
}

int proc_stop(const struct proc_rec *r, unsigned timeout_ms)
{
	int st;

	if (!proc_alive(r)) {
		proc_reap(r->pid, &st);
		return 0;
	}
	kill(r->pid, SIGTERM);
	if (wait_gone(r, timeout_ms))
		return 0;
	pr_warn("%s (pid %d) did not exit %u ms after SIGTERM; sending SIGKILL", r->comp,
		(int)r->pid, timeout_ms);
	kill(r->pid, SIGKILL);
	return wait_gone(r, 2000) ? 0 : -ETIMEDOUT;
}

int proc_wait_switch(pid_t pid, const char *ctl, unsigned timeout_ms, int *status)
{
	long long end = now_ms() + timeout_ms;
	struct json_object *r;

	for (;;) {
		if (proc_reap(pid, status) == 1)
			return -ECHILD;
		if (!swctl_request(ctl, "{\"cmd\":\"ports\"}", 1000, &r, NULL, 0)) {
			json_object_put(r);
			return 0;
		}
		if (now_ms() >= end)
			return -ETIMEDOUT;
		proc_sleep_ms(100);
	}
}

int proc_wait_vm(pid_t pid, const char *ctl, const char *const *ports, size_t n,
		 unsigned timeout_ms, unsigned min_alive_ms, int *status, const char **missing)
{
	long long t0 = now_ms(), end = t0 + timeout_ms;

	*missing = NULL;
	for (;;) {
		size_t up = 0;

		if (proc_reap(pid, status) == 1)
			return -ECHILD;
		for (size_t i = 0; i < n; i++) {
			bool u = false;

			if (!swctl_port_up(ctl, ports[i], 1000, &u) && u) {
				up++;
			} else {
				*missing = ports[i];
				break;
			}
		}
		if (n ? up == n : now_ms() - t0 >= min_alive_ms) {
			*missing = NULL;
			/* A VM that dies right after connecting is not healthy. */
			proc_sleep_ms(n ? 100 : 0);
			if (proc_reap(pid, status) == 1)
				return -ECHILD;
			return 0;
		}
		if (now_ms() >= end)
			return -ETIMEDOUT;
		proc_sleep_ms(100);
	}
}

int proc_log_first_error(const char *path, char *out, size_t len)
{
	char buf[65536], *start, *line, *end, *m;
	ssize_t n;
	off_t file_end, size;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	file_end = lseek(fd, 0, SEEK_END);
	size = file_end > (off_t)sizeof(buf) - 1 ? (off_t)sizeof(buf) - 1 : file_end;
	n = file_end < 0 ? -1 : pread(fd, buf, (size_t)size, file_end - size);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	/* The last instance's lines: after the last start mark. */
	start = buf;
	for (m = strstr(buf, PROC_LOG_MARK); m; m = strstr(m + 1, PROC_LOG_MARK))
		start = m;
	for (line = start; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (memmem(line, (size_t)(end - line), ": error: ", 9)) {
			snprintf(out, len, "%.*s", (int)(end - line), line);
			return 0;
		}
	}
	return -ENOENT;
}

void proc_log_tail(const char *path, unsigned lines, const char *prefix, FILE *f)
{
	char *buf = NULL, *start;
	size_t len = 0;
	FILE *in = fopen(path, "r");
	unsigned seen = 0;

	if (!in)
		return;
	if (getdelim(&buf, &len, '\0', in) < 0 || !buf) {
		free(buf);
		fclose(in);
		return;
	}
	fclose(in);
	len = strlen(buf);
	while (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	start = buf + len;
	while (start > buf) {
		if (start[-1] == '\n' && ++seen == lines)
			break;
		start--;
	}
	for (char *l = start, *nl; l && *l; l = nl ? nl + 1 : NULL) {
		nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		fprintf(f, "%s%s\n", prefix, l);
	}
	free(buf);
}
