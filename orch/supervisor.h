/* SPDX-License-Identifier: MIT */
/* Watches a running appliance's processes (children of the calling
 * process) and restarts a crashed one per its restart policy: the switch
 * always, a VM per its `restart:` (on-failure: not after a clean exit;
 * never), at most `max_restarts` times within `restart_window` seconds
 * (the switch: CFG_DEFAULT_MAX_RESTARTS in CFG_DEFAULT_RESTART_WINDOW),
 * after which the component is marked failed.
 * Every exit, restart and give-up goes to the state dir's events.log. */
#ifndef NFV_ORCH_SUPERVISOR_H
#define NFV_ORCH_SUPERVISOR_H

#include <stdbool.h>

struct orch;
struct orch_opts;

/* Runs until SIGTERM, SIGINT or SIGHUP. FOREGROUND: then takes the
 * appliance down (orch_down) and returns its result; otherwise returns 0
 * leaving everything running (`nfvisor down` is stopping it). */
int supervisor_run(struct orch *o, const struct orch_opts *opts, bool foreground);

#endif
