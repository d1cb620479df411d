/* SPDX-License-Identifier: MIT */
/* Control socket: one JSON object per line over a UNIX stream socket, one
 * JSON reply line per request ({"ok":true,...} or {"ok":false,"error":...}).
 * Served from the main (non-PMD) thread; a malformed request only earns an
 * error reply. Commands (field "cmd"):
 *   ports                              list ports
 *   port-add   {"spec":"name=..,type=.."}  same syntax as --port
 *   port-del   {"name":N}
 *   fdb-show   [{"vlan":V}]
 *   fdb-add    {"vlan":V,"mac":M,"port":N}   static entry
 *   fdb-del    {"vlan":V,"mac":M}
 *   fdb-flush  [{"port":N}]            dynamic entries (of one port)
 *   fdb-aging  {"seconds":S}           0 disables aging
 *   stats      [{"port":N}]            per port and per queue counters, drops
 *   lcores                             per PMD lcore busy/idle cycles, queues
 *   help */
#ifndef NFV_DATAPLANE_CTL_H
#define NFV_DATAPLANE_CTL_H

#include <stdint.h>

#include "dataplane/l2.h"
#include "dataplane/pmd.h"
#include "dataplane/port.h"

struct ctl_ctx {
	struct port_table *pt;
	struct pmd *pmd;
	struct l2 *l2;
	struct fdb *fdb;
	uint64_t (*now_ms)(void); /* the clock the PMDs learn with */
};

struct ctl;

/* Listens on path (an existing socket file is replaced only if nobody
 * answers on it). -EADDRINUSE if another switch serves it. */
int ctl_open(const char *path, const struct ctl_ctx *ctx, struct ctl **out);
/* Serves pending clients, waiting at most timeout_ms. */
void ctl_poll(struct ctl *ctl, int timeout_ms);
/* Closes every connection and removes the socket file. */
void ctl_close(struct ctl *ctl);

/* Handles one request; returns a malloc'd JSON reply (never NULL unless out
 * of memory). Exposed for tests. */
char *ctl_handle(const struct ctl_ctx *ctx, const char *req);

/* Client: sends req to the switch at path and returns its reply line
 * (malloc'd) in *reply. -errno if the switch cannot be reached. */
int ctl_request(const char *path, const char *req, int timeout_ms, char **reply);

#endif
