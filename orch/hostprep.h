/* SPDX-License-Identifier: MIT */
/* Host preparation for `up`, every change journaled (orch/state.h) before it
 * is made, and its exact undo for `down` and for rollback:
 *   hp      RELPATH OLD                 nr_hugepages raised; undo writes OLD
 *   numvfs  PF OLDNUM OLDAUTOPROBE      VF count set; undo: 0, OLDNUM, autoprobe
 *   vfnl    IFNAME VF FIELDS MAC VLAN QOS SPOOF TRUST MIN MAX
 *                                       VF netlink settings; undo sets the old ones
 *   bind    BDF ORIGDRV|- OVERRIDE|-    bound to vfio-pci; undo rebinds ORIGDRV
 *   file    PATH                        a file up caused (socket); undo unlinks
 *   dir     PATH                        a directory up made (orch/jailprep.h); undo rmdir
 *   shareddir PATH                      the same, kept when not empty (another appliance's)
 * All sysfs paths go through struct sysfs (a fake root in tests). */
#ifndef NFV_ORCH_HOSTPREP_H
#define NFV_ORCH_HOSTPREP_H

#include <stdbool.h>
#include <stddef.h>

#include "config/plan.h"
#include "orch/state.h"

struct sysfs;

/* Raises nr_hugepages on every node of PLAN where free pages do not cover
 * what the appliance needs (plan->hp[].add), per node when the host has
 * NUMA node directories, else globally. Reads back what the kernel gave and
 * fails with -ENOMEM (message: how many it got, how to free memory) when it
 * is short. SUMMARY gets e.g. "node 0: 0 -> 128 2M pages" or "enough free".
 * 0 or -errno. */
int hostprep_hugepages(struct sysfs *fs, struct orch_state *st, const struct plan *plan,
		       char *summary, size_t len);

/* Sets sriov_numvfs of every PF with a PLAN_SET_NUMVFS action (autoprobe off
 * first, through 0), waits for the VFs, and fills in the PCI address of
 * every VF action of PLAN (which launch_switch/launch_vm need). 0 or -errno. */
int hostprep_vfs(struct sysfs *fs, struct orch_state *st, struct plan *plan, char *summary,
		 size_t len);

/* Applies the VF settings (MAC, VLAN, spoof check, trust, rate) of every VM
 * NIC that is a VF, through rtnetlink on the PF's interface. 0 or -errno. */
int hostprep_vf_settings(struct sysfs *fs, struct orch_state *st, const struct plan *plan,
			 char *summary, size_t len);

/* Binds every device of a PLAN_BIND_VFIO action to vfio-pci (devices
 * already on vfio-pci are left alone and not journaled). 0 or -errno. */
int hostprep_vfio(struct sysfs *fs, struct orch_state *st, const struct plan *plan, char *summary,
		  size_t len);

/* Records PATH (a socket the switch or a VMM creates) so undo removes it. */
int hostprep_note_file(struct orch_state *st, const char *path);

/* Undoes every pending journal entry of ST, newest first, marking each
 * undone. Keeps going after a failure (each logged with what is left and
 * how to fix it); returns 0 or the first -errno. VERBOSE prints one line per
 * entry to stdout. */
int hostprep_undo(struct sysfs *fs, struct orch_state *st, bool verbose);

#endif
