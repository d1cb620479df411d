/* SPDX-License-Identifier: MIT */
/* What `up` prepares for jailed VMs (docs/orchestrator.md, "Jails") and
 * undoes on `down`: each VM's empty jail directory <jail.dir>/<vm> (and
 * jail.dir when missing), the per-VM vhost-user socket directories under
 * the state directory, the socket files' owner (so a jailed VMM can
 * reconnect after a switch restart), and the sockets a VMM served itself
 * (a jailed VMM cannot unlink them at exit: it no longer sees the path).
 * Directories are journaled before they are made, as
 *   dir       PATH                      a directory up made; undo removes it (rmdir)
 *   shareddir PATH                      a jail.dir up made; undo removes it if empty
 *                                       (another appliance's VMs may use it by then) */
#ifndef NFV_ORCH_JAILPREP_H
#define NFV_ORCH_JAILPREP_H

#include "config/appliance.h"
#include "config/plan.h"
#include "orch/state.h"

/* Creates, journaled, the missing directories of the vhost-user sockets
 * under STATE_DIR (one level: STATE_DIR/<sub>/<sock>; mode 0750, group of
 * the jailed VM that uses the port, else 0755) and every jailed VM's
 * jail.dir (if missing, one level) and <jail.dir>/<vm> (must not exist).
 * Call before the socket files are noted in the journal, so that undo
 * (newest first) removes the files before their directories. 0 or -errno
 * (logged, naming the path). */
int jailprep_dirs(struct orch_state *st, const struct plan *plan, const char *state_dir);

/* Gives every switch-created socket of a jailed VM (its NIC's port in
 * server mode) to the VM's uid/gid, so the unprivileged VMM can connect to
 * it again after a switch restart. Call after the switch is healthy. 0 or
 * the first -errno (logged; a missing socket is -ENOENT). */
int jailprep_grant_sockets(const struct plan *plan);

/* VM V of PLAN's appliance exited: removes the sockets it served (NIC
 * ports in client mode), which a jailed VMM leaves behind. Best effort. */
void jailprep_vm_exited(const struct plan *plan, size_t v);

#endif
