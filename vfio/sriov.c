/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "sriov"
#include "vfio/sriov.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

#define PCI_DEVS "sys/bus/pci/devices"

struct sriov_pf {
	struct sysfs *fs;
	char bdf[BDF_STRLEN];
	unsigned total;
	unsigned orig_numvfs;
	int orig_autoprobe;	       /* -1: attribute absent */
	bool touched_numvfs;	       /* we wrote sriov_numvfs or autoprobe */
	struct pci_binding **assigned; /* [total], by VF index */
};

int sriov_pf_open(struct sysfs *fs, const char *pf_bdf, struct sriov_pf **out)
{
	char path[PATH_MAX];
	struct sriov_pf *pf;
	unsigned v;
	int ret;

	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	pf->fs = fs;
	ret = pcidev_lookup(fs, pf_bdf, pf->bdf);
	if (ret)
		goto err_free;
	ret = sysfs_read_uint(fs, &pf->total, PCI_DEVS "/%s/sriov_totalvfs", pf->bdf);
	if (ret) {
		sysfs_path(fs, path, sizeof(path), PCI_DEVS "/%s/sriov_totalvfs", pf->bdf);
		pr_err("PCI device %s is not an SR-IOV physical function (%s: %s); pick the PF "
		       "(`lspci -vs %s` lists 'Single Root I/O Virtualization'), and the kernel "
		       "needs CONFIG_PCI_IOV",
		       pf->bdf, path, strerror(-ret), pf->bdf);
		ret = -EOPNOTSUPP;
		goto err_free;
	}
	ret = sysfs_read_uint(fs, &pf->orig_numvfs, PCI_DEVS "/%s/sriov_numvfs", pf->bdf);
	if (ret) {
		sysfs_path(fs, path, sizeof(path), PCI_DEVS "/%s/sriov_numvfs", pf->bdf);
		pr_err("PF %s: cannot read %s: %s", pf->bdf, path, strerror(-ret));
		goto err_free;
	}
	pf->orig_autoprobe = -1;
	if (!sysfs_read_uint(fs, &v, PCI_DEVS "/%s/sriov_drivers_autoprobe", pf->bdf))
		pf->orig_autoprobe = v ? 1 : 0;
	pf->assigned = calloc(pf->total ? pf->total : 1, sizeof(*pf->assigned));
	if (!pf->assigned) {
		ret = -ENOMEM;
		goto err_free;
	}
	pr_debug("PF %s: %u of %u VFs enabled", pf->bdf, pf->orig_numvfs, pf->total);
	*out = pf;
	return 0;

err_free:
	free(pf);
	return ret;
}

const char *sriov_pf_bdf(const struct sriov_pf *pf)
{
	return pf->bdf;
}

unsigned sriov_pf_total_vfs(const struct sriov_pf *pf)
{
	return pf->total;
}

int sriov_pf_num_vfs(const struct sriov_pf *pf, unsigned *n)
{
	return sysfs_read_uint(pf->fs, n, PCI_DEVS "/%s/sriov_numvfs", pf->bdf);
}

int sriov_pf_vf_bdf(const struct sriov_pf *pf, unsigned idx, char bdf[BDF_STRLEN])
{
	char path[PATH_MAX];
	unsigned n = 0;
	int ret;

	ret = sriov_pf_num_vfs(pf, &n);
	if (ret)
		return ret;
	if (idx >= n) {
		pr_err("PF %s: VF index %u does not exist: %u VFs enabled (sriov_numvfs), at most "
		       "%u (sriov_totalvfs); create more VFs or use an index below %u",
		       pf->bdf, idx, n, pf->total, n);
		return -ERANGE;
	}
	ret = sysfs_link_name(pf->fs, bdf, BDF_STRLEN, PCI_DEVS "/%s/virtfn%u", pf->bdf, idx);
	if (ret) {
		sysfs_path(pf->fs, path, sizeof(path), PCI_DEVS "/%s/virtfn%u", pf->bdf, idx);
		pr_err("PF %s: VF %u has no link %s (%s) although sriov_numvfs is %u", pf->bdf, idx,
		       path, strerror(-ret), n);
	}
	return ret;
}

int sriov_pf_vf_group(const struct sriov_pf *pf, unsigned idx, unsigned *group)
{
	char bdf[BDF_STRLEN];
	int ret = sriov_pf_vf_bdf(pf, idx, bdf);

	return ret ? ret : pcidev_iommu_group(pf->fs, bdf, group);
}

int sriov_pf_netdev(const struct sriov_pf *pf, char *name, size_t len)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int ret = -ENODEV;
	DIR *d;

	if (sysfs_path(pf->fs, dir, sizeof(dir), PCI_DEVS "/%s/net", pf->bdf))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			ret = strlen(de->d_name) < len ? 0 : -EOVERFLOW;
			if (!ret)
				strcpy(name, de->d_name);
			break;
		}
		closedir(d);
	}
	if (ret == -ENODEV)
		pr_err("PF %s has no network interface (%s is empty or missing): its driver does "
		       "not expose a netdev, so VF MAC/VLAN cannot be set through netlink",
		       pf->bdf, dir);
	return ret;
}

/* -EBUSY if any of the current VFs is assigned (by us) or on vfio-pci. */
static int check_no_vf_assigned(const struct sriov_pf *pf, unsigned numvfs)
{
	char bdf[BDF_STRLEN], drv[DRIVER_STRLEN];

	for (unsigned i = 0; i < numvfs; i++) {
		if (sysfs_link_name(pf->fs, bdf, sizeof(bdf), PCI_DEVS "/%s/virtfn%u", pf->bdf, i))
			continue;
		if (i < pf->total && pf->assigned[i]) {
			pr_err(
			    "PF %s: cannot change the VF count while VF %u (%s) is assigned to a "
			    "VM; release it first",
			    pf->bdf, i, bdf);
			return -EBUSY;
		}
		if (!pcidev_driver(pf->fs, bdf, drv) && !strcmp(drv, "vfio-pci")) {
			pr_err(
			    "PF %s: cannot change the VF count while VF %u (%s) is bound to "
			    "vfio-pci (in use by a VM or the switch); stop its user and unbind it: "
			    "echo %s > /sys/bus/pci/drivers/vfio-pci/unbind",
			    pf->bdf, i, bdf, bdf);
			return -EBUSY;
		}
	}
	return 0;
}

static int write_numvfs(struct sriov_pf *pf, unsigned n)
{
	char val[16], path[PATH_MAX];
	int ret;

	snprintf(val, sizeof(val), "%u", n);
	ret = sysfs_write(pf->fs, val, PCI_DEVS "/%s/sriov_numvfs", pf->bdf);
	if (ret) {
		sysfs_path(pf->fs, path, sizeof(path), PCI_DEVS "/%s/sriov_numvfs", pf->bdf);
		pr_err("PF %s: writing %u to %s failed: %s%s", pf->bdf, n, path, strerror(-ret),
		       ret == -ENOENT || ret == -EOPNOTSUPP
			   ? " (its driver does not support SR-IOV configuration)"
		       : ret == -EBUSY ? " (VFs still in use)"
				       : "; see dmesg");
	}
	return ret;
}

/* Wait until virtfn0..n-1 exist; the kernel creates them during the write,
 * but hotplug handling may lag on some platforms. */
static int wait_vfs(const struct sriov_pf *pf, unsigned n)
{
	const struct timespec tick = {0, 10 * 1000 * 1000};
	char path[PATH_MAX];

	for (int t = 0; t < 500; t++) {
		unsigned i = 0;

		while (i < n && sysfs_exists(pf->fs, PCI_DEVS "/%s/virtfn%u", pf->bdf, i))
			i++;
		if (i == n)
			return 0;
		nanosleep(&tick, NULL);
	}
	sysfs_path(pf->fs, path, sizeof(path), PCI_DEVS "/%s/virtfn%u", pf->bdf, n - 1);
	pr_err("PF %s: %u VFs enabled but %s did not appear within 5 s; see dmesg", pf->bdf, n,
	       path);
	return -ETIMEDOUT;
}

/* Change the VF count; with quiet_probe, host VF drivers are kept off the
 * new VFs (drivers_autoprobe 0). */
static int change_count(struct sriov_pf *pf, unsigned n, bool quiet_probe)
{
	unsigned cur;
	int ret;

	if (n > pf->total) {
		pr_err("PF %s: %u VFs requested but sriov_totalvfs is %u; ask for at most %u",
		       pf->bdf, n, pf->total, pf->total);
		return -ERANGE;
	}
	ret = sriov_pf_num_vfs(pf, &cur);
	if (ret) {
		pr_err("PF %s: cannot read sriov_numvfs: %s", pf->bdf, strerror(-ret));
		return ret;
	}
	if (cur == n)
		return 0;
	ret = check_no_vf_assigned(pf, cur);
	if (ret)
		return ret;
	pf->touched_numvfs = true;
	if (quiet_probe && n > 0 && pf->orig_autoprobe == 1) {
		ret = sysfs_write(pf->fs, "0", PCI_DEVS "/%s/sriov_drivers_autoprobe", pf->bdf);
		if (ret) {
			pr_err("PF %s: cannot clear sriov_drivers_autoprobe: %s", pf->bdf,
			       strerror(-ret));
			return ret;
		}
	}
	/* The kernel refuses nonzero → different nonzero (-EBUSY). */
	if (cur > 0) {
		ret = write_numvfs(pf, 0);
		if (ret)
			return ret;
	}
	if (n > 0) {
		ret = write_numvfs(pf, n);
		if (ret)
			return ret;
		ret = wait_vfs(pf, n);
		if (ret)
			return ret;
	}
	pr_info("PF %s: %u VFs enabled (was %u)", pf->bdf, n, cur);
	return 0;
}

int sriov_pf_set_num_vfs(struct sriov_pf *pf, unsigned n)
{
	return change_count(pf, n, true);
}

int sriov_pf_assign_vf(struct sriov_pf *pf, unsigned idx)
{
	char bdf[BDF_STRLEN];
	int ret;

	ret = sriov_pf_vf_bdf(pf, idx, bdf);
	if (ret)
		return ret;
	if (pf->assigned[idx]) {
		pr_err("PF %s: VF %u (%s) is already assigned", pf->bdf, idx, bdf);
		return -EALREADY;
	}
	return pci_bind_vfio(pf->fs, bdf, &pf->assigned[idx]);
}

int sriov_pf_unassign_vf(struct sriov_pf *pf, unsigned idx)
{
	int ret;

	if (idx >= pf->total || !pf->assigned[idx]) {
		pr_err("PF %s: VF %u is not assigned through this PF; nothing to release", pf->bdf,
		       idx);
		return -ENOENT;
	}
	ret = pci_binding_release(pf->assigned[idx]);
	pf->assigned[idx] = NULL;
	return ret;
}

bool sriov_pf_vf_assigned(const struct sriov_pf *pf, unsigned idx)
{
	return idx < pf->total && pf->assigned[idx];
}

int sriov_pf_release(struct sriov_pf *pf)
{
	char val[16];
	int ret, first = 0;

	if (!pf)
		return 0;
	for (unsigned i = 0; i < pf->total; i++) {
		if (!pf->assigned[i])
			continue;
		ret = pci_binding_release(pf->assigned[i]);
		pf->assigned[i] = NULL;
		first = first ? first : ret;
	}
	if (pf->touched_numvfs) {
		/* Autoprobe first, so VFs recreated for the host get its drivers. */
		if (pf->orig_autoprobe >= 0) {
			snprintf(val, sizeof(val), "%d", pf->orig_autoprobe);
			ret = sysfs_write(pf->fs, val, PCI_DEVS "/%s/sriov_drivers_autoprobe",
					  pf->bdf);
			if (ret)
				pr_err("PF %s: could not restore sriov_drivers_autoprobe=%d: %s",
				       pf->bdf, pf->orig_autoprobe, strerror(-ret));
			first = first ? first : ret;
		}
		ret = change_count(pf, pf->orig_numvfs, false);
		if (ret && pf->orig_numvfs)
			pr_err("PF %s: could not restore %u VFs; run: echo 0 > "
			       "/sys/bus/pci/devices/%s/sriov_numvfs; echo %u > "
			       "/sys/bus/pci/devices/%s/sriov_numvfs",
			       pf->bdf, pf->orig_numvfs, pf->bdf, pf->orig_numvfs, pf->bdf);
		else if (ret)
			pr_err("PF %s: could not remove the VFs it created; run: echo 0 > "
			       "/sys/bus/pci/devices/%s/sriov_numvfs",
			       pf->bdf, pf->bdf);
		first = first ? first : ret;
	}
	free(pf->assigned);
	free(pf);
	return first;
}
