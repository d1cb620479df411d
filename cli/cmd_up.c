/* SPDX-License-Identifier: MIT */
/* nfvisor up [--foreground] FILE: bring an appliance up and supervise it.
 *
 * Without --foreground the work is done by a detached child (setsid) whose
 * output is relayed through a pipe; once everything is up the child sends
 * a "ready" marker, detaches its output to the state dir's supervisor.log
 * and stays behind as the supervisor (the parent of the switch and VMMs, so
 * it sees their exits). The command's exit status is the child's result. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "config/appliance.h"
#include "orch/orch.h"
#include "orch/state.h"
#include "orch/supervisor.h"

#define UP_USAGE   "usage: nfvisor up [--foreground] FILE\n"
#define READY_MARK "\001nfvisor-ready\n"

/* Parent side: copy the child's stdout (FD[0]) and stderr (FD[1]) until
 * both end; the exit status is 0 if the ready marker came, else the
 * child's. */
static int relay(const int fd[2], pid_t child)
{
	struct pollfd p[2] = {{.fd = fd[0], .events = POLLIN}, {.fd = fd[1], .events = POLLIN}};
	size_t mlen = strlen(READY_MARK);
	bool ready = false;
	char buf[4096];
	int st, open_fds = 2;

	while (open_fds) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			FILE *out = i ? stderr : stdout;
			ssize_t n;
			char *m;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
				continue;
			}
			m = i ? NULL : memmem(buf, (size_t)n, READY_MARK, mlen);
			if (m) {
				ready = true;
				memmove(m, m + mlen, (size_t)n - (size_t)(m - buf) - mlen);
				n -= (ssize_t)mlen;
			}
			if (n > 0)
				fwrite(buf, 1, (size_t)n, out);
			fflush(out);
		}
	}
	if (ready)
		return 0;
	if (waitpid(child, &st, 0) == child && WIFEXITED(st))
		return WEXITSTATUS(st);
	return EXIT_INVALID;
}

/* Child side, after success: tell the parent and leave the terminal. */
static void detach(struct orch *o)
{
	char log[PATH_MAX + 32];
	int fd;

	snprintf(log, sizeof(log), "%s/supervisor.log", state_dir(orch_state(o)));
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	fputs(READY_MARK, stdout);
	fflush(stdout);
	fflush(stderr);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
}

int cmd_up(int argc, char **argv)
{
	static const struct option opts[] = {{"foreground", no_argument, NULL, 'f'},
					     {"test-hook", required_argument, NULL, 'T'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct orch_opts oo = {0};
	struct orch *o = NULL;
	bool foreground = false;
	int opt, po[2], pe[2], ret;
	pid_t child;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			foreground = true;
			break;
		case 'T':
			oo.test_hook = optarg;
			break;
		case 'h':
			printf(UP_USAGE
			       "Preflight (the checks of `nfvisor plan`), host preparation, the "
			       "switch, then the VMs,\neach health-checked; any failure rolls "
			       "everything back. Then a supervisor restarts\ncrashed processes "
			       "(in the terminal with --foreground; Ctrl-C takes it down).\n"
			       "State: " CFG_RUN_DIR "/NAME/ (events.log, *.log). Env: "
			       "NFV_SWITCH_TIMEOUT, NFV_VM_TIMEOUT, NFV_STOP_TIMEOUT (s).\n");
			return 0;
		default:
			fprintf(stderr, UP_USAGE);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr,
			"nfvisor up: expected one appliance file, got %d arguments\n" UP_USAGE,
			argc - optind);
		return EXIT_USAGE;
	}
	if (!foreground) {
		if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
			perror("nfvisor up: pipe");
			return EXIT_INVALID;
		}
		fflush(stdout);
		child = fork();
		if (child < 0) {
			perror("nfvisor up: fork");
			return EXIT_INVALID;
		}
		if (child > 0) {
			int fds[2] = {po[0], pe[0]};

			close(po[1]);
			close(pe[1]);
			return relay(fds, child);
		}
		close(po[0]);
		close(pe[0]);
		setsid();
		signal(SIGHUP, SIG_IGN);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[1]);
		close(pe[1]);
		setvbuf(stdout, NULL, _IOLBF, 0);
	}
	/* Ctrl-C / SIGTERM while coming up: noticed between steps, which then
	 * roll back (orch_up); after that the supervisor takes them. */
	{
		sigset_t stop;

		sigemptyset(&stop);
		sigaddset(&stop, SIGINT);
		sigaddset(&stop, SIGTERM);
		sigaddset(&stop, SIGHUP);
		sigprocmask(SIG_BLOCK, &stop, NULL);
	}
	ret = orch_up(argv[optind], &oo, &o);
	if (ret) {
		fflush(stdout);
		return EXIT_INVALID;
	}
	printf("appliance \"%s\" is up; supervisor pid %d%s\n"
	       "  nfvisor status %s    nfvisor down %s    events: %s/" STATE_EVENTS "\n",
	       orch_appliance(o)->name, (int)getpid(),
	       foreground ? " (foreground: Ctrl-C takes it down)" : "", orch_appliance(o)->name,
	       orch_appliance(o)->name, state_dir(orch_state(o)));
	fflush(stdout);
	if (!foreground)
		detach(o);
	ret = supervisor_run(o, &oo, foreground);
	orch_free(o);
	return ret ? EXIT_INVALID : 0;
}
