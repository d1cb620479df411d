/* SPDX-License-Identifier: MIT */
/* bootmeter: runs a VMM command, measures the time from fork to the first
 * output line containing a marker (default "nfguest: ready"), and at that
 * moment stops the process (SIGSTOP) to sum the Rss of /proc/PID/smaps,
 * with and without the guest-RAM mappings (paths starting with a prefix,
 * default "/memfd:"), then lets it run to its end.
 *
 *   bootmeter [--ready STR] [--guest-prefix STR] [--timeout S] -- CMD ARGS...
 * prints one line:
 *   ready_ms=X rss_kb=N guest_kb=N vmm_kb=N exit=N
 * (rss_kb=-1 when the process was gone before it could be sampled). Exit 0
 * when the marker was seen and the command exited 0, else 1; 2 usage. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BM_BUF 65536

struct bm_rss {
	long total_kb, guest_kb;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Sums Rss over pid's mappings; guest_kb over those whose path starts with
 * prefix. Returns 0, or -errno when smaps cannot be read. */
static int smaps_rss(pid_t pid, const char *prefix, struct bm_rss *r)
{
	char path[64], line[512];
	bool guest = false;
	FILE *f;
	long kb;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	r->total_kb = r->guest_kb = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off, ino;
		unsigned int maj, mnr;
		char perms[8];
		int pos = 0;

		/* Mapping header: "start-end perms offset dev inode [path]". */
		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &lo, &hi, perms, &off, &maj, &mnr,
			   &ino, &pos) == 7 &&
		    pos > 0) {
			guest = !strncmp(line + pos, prefix, strlen(prefix));
			continue;
		}
		if (!strncmp(line, "Rss:", 4) && sscanf(line + 4, "%ld", &kb) == 1) {
			r->total_kb += kb;
			if (guest)
				r->guest_kb += kb;
		}
	}
	fclose(f);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: bootmeter [--ready STR] [--guest-prefix STR] [--timeout S] -- CMD ARGS...\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"ready", required_argument, NULL, 'r'},
					   {"guest-prefix", required_argument, NULL, 'g'},
					   {"timeout", required_argument, NULL, 't'},
					   {NULL, 0, NULL, 0}};
	const char *ready = "nfguest: ready", *prefix = "/memfd:";
	struct bm_rss rss = {-1, -1};
	char *buf;
	size_t used = 0;
	double t0, ready_ms = -1, deadline;
	int c, pfd[2], status = 0, timeout = 120;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			ready = optarg;
			break;
		case 'g':
			prefix = optarg;
			break;
		case 't':
			timeout = atoi(optarg);
			if (timeout < 1 || timeout > 3600) {
				fprintf(stderr,
					"bootmeter: bad --timeout \"%s\": seconds 1..3600\n",
					optarg);
				return 2;
			}
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc || !*ready) {
		usage(stderr);
		return 2;
	}
	buf = malloc(BM_BUF + 1);
	if (!buf || pipe(pfd)) {
		fprintf(stderr, "bootmeter: %s\n", strerror(errno));
		return 1;
	}
	t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bootmeter: fork: %s\n", strerror(errno));
		return 1;
	}
	if (!pid) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "bootmeter: cannot run %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	deadline = t0 + timeout * 1e3;
	for (;;) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		double left = deadline - now_ms();
		ssize_t n;

		if (left <= 0) {
			fprintf(stderr, "bootmeter: %s still running after %d s: killed\n",
				argv[optind], timeout);
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (used == BM_BUF) { /* keep the tail: the marker may straddle */
			memmove(buf, buf + BM_BUF / 2, BM_BUF / 2);
			used = BM_BUF / 2;
		}
		n = read(pfd[0], buf + used, BM_BUF - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
		if (ready_ms < 0 && strstr(buf, ready)) {
			ready_ms = now_ms() - t0;
			if (!kill(pid, SIGSTOP)) {
				int st;

				if (waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st)) {
					if (smaps_rss(pid, prefix, &rss))
						rss.total_kb = rss.guest_kb = -1;
					kill(pid, SIGCONT);
				} else if (WIFEXITED(st) || WIFSIGNALED(st)) {
					status = st;
					pid = -1;
					break;
				}
			}
		}
	}
	close(pfd[0]);
	if (pid > 0 && waitpid(pid, &status, 0) != pid)
		status = -1;
	printf("ready_ms=%.3f rss_kb=%ld guest_kb=%ld vmm_kb=%ld exit=%d\n", ready_ms, rss.total_kb,
	       rss.guest_kb, rss.total_kb >= 0 ? rss.total_kb - rss.guest_kb : -1,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	free(buf);
	return ready_ms >= 0 && WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : 1;
}
