/* SPDX-License-Identifier: MIT */
/* The command lines `up` runs for an appliance: one nfvisor-switch and one
 * nfvisor-vmm per VM, built from the validated appliance and a plan (which
 * knows the PCI addresses of VFs that already exist). Pure: no side effects. */
#ifndef NFV_CONFIG_LAUNCH_H
#define NFV_CONFIG_LAUNCH_H

#include <stddef.h>
#include <stdio.h>

#include "config/appliance.h"
#include "config/plan.h"

/* Program names as plan shows them; up passes the paths it resolved. */
#define LAUNCH_SWITCH_BIN "nfvisor-switch"
#define LAUNCH_VMM_BIN	  "nfvisor-vmm"

/* A command: argv[0..argc-1] then NULL, all malloc'd. */
struct launch_cmd {
	char name[CFG_NAME_MAX + 8]; /* "switch" or "vm NAME" */
	char **argv;
	size_t argc;
};

/* The switch's control socket and DPDK file prefix for APP. */
void launch_switch_ctl(const struct appliance *app, char *out, size_t len);

/* nfvisor-switch (program path BIN) for APP; APP must have a switch.
 * A vf port whose VF does not exist yet gets dev=VF<index>@<pf> (up builds
 * the command again after creating VFs). Returns 0 or -ENOMEM. */
int launch_switch(const struct appliance *app, const struct plan *plan, const char *bin,
		  struct launch_cmd *out);

/* nfvisor-vmm (program path BIN) for VM index V of APP; VF NICs and devices
 * become --device vfio:BDF; a jailed VM gets --jail <jail.dir>/<vm> and
 * --user NAME (or --uid N --gid N). Returns 0 or -ENOMEM. */
int launch_vm(const struct appliance *app, size_t v, const struct plan *plan, const char *bin,
	      struct launch_cmd *out);

void launch_cmd_release(struct launch_cmd *c);

/* The command as one shell-quoted line. */
void launch_cmd_print(const struct launch_cmd *c, FILE *f);

#endif
