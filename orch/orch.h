/* SPDX-License-Identifier: MIT */
/* Bringing an appliance up and down: preflight (the plan's checks), host
 * preparation, the switch, the VMs — each step printed as "[i/N] ... ok"
 * and health-checked, any failure rolling back everything done so far —
 * and the teardown that `down`, a rollback and a foreground supervisor's
 * exit share. State lives in CFG_RUN_DIR/<name>/ (orch/state.h). */
#ifndef NFV_ORCH_ORCH_H
#define NFV_ORCH_ORCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "orch/state.h"

struct orch;
struct appliance;

/* Timeouts; zeros take the defaults (environment NFV_SWITCH_TIMEOUT,
 * NFV_VM_TIMEOUT, NFV_STOP_TIMEOUT in seconds, else 60, 60, 10). */
struct orch_opts {
	unsigned switch_timeout_ms;
	unsigned vm_timeout_ms;
	unsigned stop_timeout_ms;
	/* Shell command run before every step with $NFV_STEP set ("hugepages",
	 * "switch", "vm:NAME", ...); a nonzero exit fails the step. Tests use it
	 * to inject failures; NULL: none. */
	const char *test_hook;
};

/* Fills defaults (from the environment) into OPTS. */
void orch_opts_defaults(struct orch_opts *opts);

/* Brings up the appliance of FILE, printing progress to stdout and problems
 * to stderr. On success 0 and *OUT (the running appliance, for the
 * supervisor); on failure everything done is rolled back (processes
 * stopped, host restored, state directory removed) and -errno returned
 * (-EINVAL: the file or the plan has errors; -EEXIST: already up; -EINTR:
 * SIGINT or SIGTERM is pending — block them around the call — at a step). */
int orch_up(const char *file, const struct orch_opts *opts, struct orch **out);

/* Frees O (does not stop anything). */
void orch_free(struct orch *o);

const struct appliance *orch_appliance(const struct orch *o);
struct orch_state *orch_state(struct orch *o);
size_t orch_ncomps(const struct orch *o);
/* Component I: "switch" or "vm.NAME". */
const char *orch_comp(const struct orch *o, size_t i);

/* Component COMP exited (the supervisor reaped it): removes what its
 * process would have removed itself had it not been jailed or killed (the
 * vhost-user sockets a VMM served). */
void orch_exited(struct orch *o, const char *comp);

/* Starts component COMP again (after it exited) and health-checks it;
 * updates its record (new pid, restarts + 1). 0 or -errno. */
int orch_restart(struct orch *o, const char *comp);

/* Takes appliance NAME down: stops the supervisor (unless it is the
 * calling process), the VMs, the switch; undoes the journal; removes
 * leftovers and the state directory. Works on whatever is left after a
 * crash; an appliance that is not up is 0 ("not running" printed when
 * VERBOSE). Returns 0 or the first -errno (everything else still done). */
int orch_down(const char *name, const struct orch_opts *opts, bool verbose);

/* CFG_RUN_DIR/NAME into OUT. */
void orch_state_path(const char *name, char *out, size_t len);

#endif
