/* SPDX-License-Identifier: MIT */
/* Two appliances on one host must not collide: a running appliance keeps a
 * copy of its file (as `validate --dump` prints it) in
 * RUN_DIR/<name>/appliance.yaml, and a new one is checked against all of
 * them: the name, busy CPUs (vCPUs, PMD threads), vhost-user sockets, tap
 * interfaces, PCI functions and PFs. Read-only. */
#ifndef NFV_CONFIG_CONFLICT_H
#define NFV_CONFIG_CONFLICT_H

#include "config/appliance.h"

#define CFG_STATE_FILE "appliance.yaml"

/* Reports into D (at APP's positions) everything APP would share with
 * OTHER, a running appliance. */
void appliance_conflicts(const struct appliance *app, const struct appliance *other,
			 struct diag_list *d);

/* Checks APP against every appliance running under RUN_DIR (NULL: the
 * default /run/nfvisor). A state file that does not load is a warning.
 * Returns the number of running appliances looked at, or -errno. */
int appliance_check_running(const struct appliance *app, const char *run_dir, struct diag_list *d);

#endif
