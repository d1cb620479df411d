/* SPDX-License-Identifier: MIT */
/* A fake sysfs tree plus a "fake kernel" that reacts to writes the way the
 * PCI core does (sriov_numvfs creates/removes VFs, unbind/bind/drivers_probe
 * move driver links, driver_override steers probing), for the vfio/ unit
 * tests. Every write is recorded in order. Test-only code. */
#ifndef NFV_TESTS_FAKE_SYSFS_H
#define NFV_TESTS_FAKE_SYSFS_H

#include <stdbool.h>

#include "vfio/sysfs.h"

#define FAKE_MAX_WRITES 128

struct fake_sys {
	char root[256];
	struct sysfs *fs;
	/* "relpath=value" per write, in order. */
	char writes[FAKE_MAX_WRITES][192];
	int nwrites;
	/* Native driver the fake kernel probes for new VFs / unbound devices. */
	char vf_driver[32];
	/* Fail the next write whose path ends in this suffix with this error. */
	char fail_suffix[64];
	int fail_errno;
	/* Stderr capture. */
	int saved_stderr;
	char errfile[300];
};

/* Build an empty tree (drivers vfio-pci, pcieport, nvme, ixgbe, ixgbevf,
 * ahci; drivers_probe; iommu_groups) in a new temp dir and open a sysfs on
 * it with the fake kernel hooked in. */
void fake_sys_init(struct fake_sys *f);
/* Remove the tree and close the sysfs. */
void fake_sys_fini(struct fake_sys *f);
/* Add a PCI device; group < 0: no iommu_group; driver NULL: unbound. native
 * is the driver drivers_probe picks without an override. */
void fake_add_dev(struct fake_sys *f, const char *bdf, int group, const char *driver,
		  const char *native);
/* Make bdf an SR-IOV PF with `total` VFs and netdev `ifname` (NULL: none). */
void fake_make_pf(struct fake_sys *f, const char *bdf, unsigned total, const char *ifname);
void fake_remove_driver(struct fake_sys *f, const char *drv);
/* Current driver ("" if none) and driver_override ("" if none). */
const char *fake_driver(struct fake_sys *f, const char *bdf);
const char *fake_override(struct fake_sys *f, const char *bdf);
/* Write a plain file under the root (creating directories). */
void fake_put(struct fake_sys *f, const char *rel, const char *content);
void fake_link(struct fake_sys *f, const char *rel, const char *target);
/* Index of the first recorded write "path-suffix=value" at or after from,
 * or -1. */
int fake_find_write(struct fake_sys *f, int from, const char *suffix, const char *value);

/* Redirect stderr into a file; fake_stderr_end returns what was captured
 * (static buffer) and restores stderr. */
void fake_stderr_begin(struct fake_sys *f);
const char *fake_stderr_end(struct fake_sys *f);

#endif
