/* SPDX-License-Identifier: MIT */
/* nfvisor-switch control socket client. */
#include "orch/swctl.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int swctl_request(const char *path, const char *req, unsigned timeout_ms,
		  struct json_object **reply, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	long long deadline = now_ms() + timeout_ms;
	char buf[65536];
	size_t got = 0, len = strlen(req);
	struct json_object *o, *ok, *e;
	int fd, ret = 0;

	if (err && errlen)
		err[0] = '\0';
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		goto out;
	}
	if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		ret = -EPIPE;
		goto out;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long left = deadline - now_ms();
		ssize_t r;

		if (memchr(buf, '\n', got))
			break;
		if (left <= 0 || got >= sizeof(buf) - 1) {
			ret = left <= 0 ? -ETIMEDOUT : -EPROTO;
			goto out;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			ret = -errno;
			goto out;
		}
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ret = r < 0 ? -errno : -EPROTO;
			goto out;
		}
		got += (size_t)r;
	}
	buf[got] = '\0';
	*strchr(buf, '\n') = '\0';
	o = json_tokener_parse(buf);
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "ok", &ok) || !json_object_get_boolean(ok)) {
		if (o && err && json_object_object_get_ex(o, "error", &e))
			snprintf(err, errlen, "%s", json_object_get_string(e));
		else if (err)
			snprintf(err, errlen, "unexpected reply \"%.80s\"", buf);
		json_object_put(o);
		ret = -EPROTO;
		goto out;
	}
	*reply = o;
out:
	close(fd);
	return ret;
}

int swctl_port_up(const char *path, const char *name, unsigned timeout_ms, bool *up)
{
	struct json_object *r = NULL, *ports, *p, *v;
	int ret = swctl_request(path, "{\"cmd\":\"ports\"}", timeout_ms, &r, NULL, 0);

	if (ret)
		return ret;
	ret = -ENOENT;
	if (json_object_object_get_ex(r, "ports", &ports) &&
	    json_object_is_type(ports, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(ports); i++) {
			p = json_object_array_get_idx(ports, i);
			if (!json_object_object_get_ex(p, "name", &v) ||
			    strcmp(json_object_get_string(v), name))
				continue;
			*up = json_object_object_get_ex(p, "state", &v) &&
			      !strcmp(json_object_get_string(v), "up");
			ret = 0;
			break;
		}
	}
	json_object_put(r);
	return ret;
}
