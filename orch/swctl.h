/* SPDX-License-Identifier: MIT */
/* Client of nfvisor-switch's control socket (dataplane/README.md): one JSON
 * request line, one reply line. */
#ifndef NFV_ORCH_SWCTL_H
#define NFV_ORCH_SWCTL_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* Sends REQ to the switch listening on unix socket PATH and parses the
 * reply within TIMEOUT_MS. 0 and *REPLY (json_object_put() it) when the
 * reply says "ok":true; -ENOENT/-ECONNREFUSED when nothing listens,
 * -ETIMEDOUT, -EPROTO for a reply that is not JSON or says "ok":false (the
 * switch's "error" is copied to ERR when ERR is non-NULL), -errno. */
int swctl_request(const char *path, const char *req, unsigned timeout_ms,
		  struct json_object **reply, char *err, size_t errlen);

/* Whether the switch reports port NAME with state "up" (a vhost-user port is
 * up once its VM's virtio-net driver is ready). 0 and *UP, -ENOENT when the
 * switch has no such port, or an error of swctl_request. */
int swctl_port_up(const char *path, const char *name, unsigned timeout_ms, bool *up);

#endif
