/* SPDX-License-Identifier: MIT */
/* vfio-user-testdev --socket PATH [--crash-after N]: serve the test device
 * (testdev.h) to one vfio-user client at a time, for ever; SIGTERM/SIGINT
 * end it (exit 0). --crash-after N drops dead (exit 3, socket closed without
 * a reply) on the N+1th message of a connection, to test clients. */
#define LOG_PREFIX "testdev"
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "tests/vfio_user/testdev.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"socket", required_argument, NULL, 's'},
					     {"crash-after", required_argument, NULL, 'c'},
					     {NULL, 0, NULL, 0}};
	unsigned crash_after = 0;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sigaction act = {.sa_handler = on_signal};
	const char *path = NULL;
	struct testdev *td;
	int opt, lsock;

	log_set_program("vfio-user-testdev");
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 's') {
			path = optarg;
		} else if (opt == 'c' && atoi(optarg) > 0) {
			crash_after = (unsigned)atoi(optarg);
		} else {
			fprintf(stderr,
				"usage: vfio-user-testdev --socket PATH [--crash-after N]\n");
			return 2;
		}
	}
	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr,
			"vfio-user-testdev: --socket PATH is required (at most %zu bytes)\n",
			sizeof(sa.sun_path) - 1);
		return 2;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&sa, sizeof(sa)) || listen(lsock, 1)) {
		pr_err("cannot listen on %s: %s", path, strerror(errno));
		return 1;
	}
	if (testdev_create(&td))
		return 1;
	testdev_set_crash_after(td, crash_after);
	pr_info("listening on %s (device %04x:%04x)", path, TD_VENDOR, TD_DEVICE);
	while (!stop) {
		int c = accept(lsock, NULL, NULL);
		int ret;

		if (c < 0) {
			if (errno == EINTR)
				continue;
			pr_err("accept on %s: %s", path, strerror(errno));
			break;
		}
		ret = testdev_serve(td, c);
		close(c);
		if (ret == -ECONNABORTED) {
			pr_err("crashing on purpose (--crash-after %u)", crash_after);
			unlink(path);
			return 3;
		}
		pr_info("client left (%s); %llu interrupts sent so far",
			ret ? strerror(-ret) : "closed", (unsigned long long)testdev_irqs_sent(td));
	}
	close(lsock);
	unlink(path);
	testdev_destroy(td);
	return 0;
}
