/* SPDX-License-Identifier: MIT */
/* The control socket's request parser, separate from the DPDK-bound
 * command handlers in ctl.c so it can be unit- and fuzz-tested alone. */
#ifndef NFV_DATAPLANE_CTL_REQ_H
#define NFV_DATAPLANE_CTL_REQ_H

#include <json-c/json.h>
#include <stddef.h>

/* Parses one request line: a JSON object with a string field "cmd".
 * Returns the object (release with json_object_put) and points *cmd at its
 * command name; or NULL with a message for the client in err (at most
 * errlen bytes, NUL-terminated) naming what is wrong and how to fix it. */
json_object *ctl_req_parse(const char *line, const char **cmd, char *err, size_t errlen);

#endif
