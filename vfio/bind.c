/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "vfio-bind"
#include "vfio/bind.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/parse.h"

#define PCI_DEVS "sys/bus/pci/devices"
#define PCI_DRVS "sys/bus/pci/drivers"
#define VFIO_DRV "vfio-pci"

struct pci_binding {
	struct sysfs *fs;
	char bdf[BDF_STRLEN];
	char orig_driver[DRIVER_STRLEN];
	char orig_override[DRIVER_STRLEN]; /* "" when none */
	bool changed;
	bool prepared; /* fds below are open */
	int fd_unbind, fd_override, fd_bind;
};

static void close_prepared(struct pci_binding *b)
{
	if (!b->prepared)
		return;
	close(b->fd_unbind);
	close(b->fd_override);
	if (b->fd_bind >= 0)
		close(b->fd_bind);
	b->prepared = false;
}

int pci_binding_prepare_release(struct pci_binding *b)
{
	int ret;

	if (!b->changed || b->prepared)
		return 0;
	b->fd_bind = -1;
	b->fd_unbind = sysfs_open_attr(b->fs, PCI_DRVS "/" VFIO_DRV "/unbind");
	if (b->fd_unbind < 0)
		return b->fd_unbind;
	b->fd_override = sysfs_open_attr(b->fs, PCI_DEVS "/%s/driver_override", b->bdf);
	if (b->fd_override < 0) {
		ret = b->fd_override;
		close(b->fd_unbind);
		return ret;
	}
	if (b->orig_driver[0]) {
		b->fd_bind = sysfs_open_attr(b->fs, PCI_DRVS "/%s/bind", b->orig_driver);
		if (b->fd_bind < 0) {
			ret = b->fd_bind;
			close(b->fd_unbind);
			close(b->fd_override);
			return ret;
		}
	}
	b->prepared = true;
	return 0;
}

/* restore() through the prepared fds: no open, no readlink. */
static int restore_prepared(struct pci_binding *b)
{
	char rel[128];
	int ret, first = 0;

	ret = sysfs_write_fd(b->fs, b->fd_unbind, b->bdf, PCI_DRVS "/" VFIO_DRV "/unbind");
	if (ret && ret != -ENODEV) {
		pr_err("%s: unbinding vfio-pci failed: %s; run: echo %s > "
		       "/sys/bus/pci/drivers/vfio-pci/unbind",
		       b->bdf, strerror(-ret), b->bdf);
		first = ret;
	}
	snprintf(rel, sizeof(rel), PCI_DEVS "/%s/driver_override", b->bdf);
	ret = sysfs_write_fd(b->fs, b->fd_override, b->orig_override, rel);
	if (ret) {
		pr_err("%s: restoring driver_override to '%s' failed: %s; run: echo '%s' > "
		       "/sys/bus/pci/devices/%s/driver_override",
		       b->bdf, b->orig_override, strerror(-ret), b->orig_override, b->bdf);
		first = first ? first : ret;
	}
	if (b->fd_bind >= 0 && !first) {
		snprintf(rel, sizeof(rel), PCI_DRVS "/%s/bind", b->orig_driver);
		ret = sysfs_write_fd(b->fs, b->fd_bind, b->bdf, rel);
		if (ret) {
			pr_err("%s: could not rebind original driver '%s' (%s); run: echo %s > "
			       "/sys/bus/pci/drivers/%s/bind",
			       b->bdf, b->orig_driver, strerror(-ret), b->bdf, b->orig_driver);
			first = ret;
		} else {
			pr_info("%s: restored driver '%s'", b->bdf, b->orig_driver);
		}
	}
	close_prepared(b);
	return first;
}

int pcidev_lookup(const struct sysfs *fs, const char *bdf_in, char bdf[BDF_STRLEN])
{
	struct pci_bdf b;
	char path[PATH_MAX];

	if (!bdf_in || parse_pci_bdf(bdf_in, &b)) {
		pr_err(
		    "'%s' is not a PCI address; use DDDD:BB:DD.F or BB:DD.F as `lspci -D` prints",
		    bdf_in ? bdf_in : "(null)");
		return -EINVAL;
	}
	format_pci_bdf(&b, bdf);
	if (!sysfs_exists(fs, PCI_DEVS "/%s", bdf)) {
		sysfs_path(fs, path, sizeof(path), PCI_DEVS "/%s", bdf);
		pr_err(
		    "PCI device %s does not exist (%s missing); check the address with `lspci -D`",
		    bdf, path);
		return -ENODEV;
	}
	return 0;
}

int pcidev_driver(const struct sysfs *fs, const char *bdf, char drv[DRIVER_STRLEN])
{
	int ret = sysfs_link_name(fs, drv, DRIVER_STRLEN, PCI_DEVS "/%s/driver", bdf);

	if (ret == -ENOENT) {
		drv[0] = '\0';
		return 0;
	}
	return ret;
}

int pcidev_iommu_group(const struct sysfs *fs, const char *bdf, unsigned *group)
{
	char name[32], path[PATH_MAX];
	uint64_t v;
	int ret;

	ret = sysfs_link_name(fs, name, sizeof(name), PCI_DEVS "/%s/iommu_group", bdf);
	if (ret == -ENOENT) {
		sysfs_path(fs, path, sizeof(path), PCI_DEVS "/%s/iommu_group", bdf);
		pr_err("PCI device %s has no IOMMU group (%s missing): the IOMMU is off. Enable "
		       "VT-d/AMD-Vi in firmware and boot with intel_iommu=on (Intel) or "
		       "amd_iommu=on (AMD) on the kernel command line",
		       bdf, path);
		return -ENXIO;
	}
	if (ret)
		return ret;
	if (parse_uint(name, 0, UINT_MAX, &v)) {
		pr_err("PCI device %s: iommu_group link ends in '%s', not a group number", bdf,
		       name);
		return -EINVAL;
	}
	*group = (unsigned)v;
	return 0;
}

/* Drivers the kernel lets coexist with VFIO in one group (their
 * driver_managed_dma is set, or they do no DMA). */
static bool driver_dma_safe(const char *drv)
{
	static const char *const ok[] = {"", VFIO_DRV, "pci-stub", "pcieport"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(drv, ok[i]))
			return true;
	return false;
}

int iommu_group_check_viable(const struct sysfs *fs, unsigned group, char blocker[BDF_STRLEN])
{
	char dir[PATH_MAX], drv[DRIVER_STRLEN], members[512] = "";
	struct dirent *de;
	int ret = 0, n = 0;
	size_t used = 0;
	DIR *d;

	if (sysfs_path(fs, dir, sizeof(dir), "sys/kernel/iommu_groups/%u/devices", group))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d) {
		ret = -errno;
		pr_err("IOMMU group %u does not exist (%s: %s)", group, dir, strerror(-ret));
		return ret == -ENOENT ? -ENOENT : ret;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		if (used < sizeof(members) - 16) {
			int w = snprintf(members + used, sizeof(members) - used, "%s%s",
					 used ? " " : "", de->d_name);
			if (w > 0)
				used += (size_t)w;
		}
		if (ret)
			continue;
		ret = pcidev_driver(fs, de->d_name, drv);
		if (ret) {
			pr_err("IOMMU group %u: cannot read the driver of %s: %s", group,
			       de->d_name, strerror(-ret));
			continue;
		}
		if (!driver_dma_safe(drv)) {
			if (blocker)
				snprintf(blocker, BDF_STRLEN, "%.12s", de->d_name);
			pr_err(
			    "IOMMU group %u is not viable: device %s is bound to host driver '%s'. "
			    "Every device in the group must be on vfio-pci or unbound: bind %s to "
			    "vfio-pci too (or unbind it: echo %s > "
			    "/sys/bus/pci/drivers/%s/unbind), "
			    "or move the card to a slot with its own group (ACS)",
			    group, de->d_name, drv, de->d_name, de->d_name, drv);
			ret = -EBUSY;
		}
	}
	closedir(d);
	if (ret == -EBUSY)
		pr_err("IOMMU group %u has %d devices: %s", group, n, members);
	return ret;
}

/* ---- storage-in-use check ------------------------------------------------- */

/* Whether block device `name` belongs to the PCI device: its sysfs path runs
 * through the device, or (NVMe multipath) its subsystem has a controller on
 * the device. */
static bool block_on_device(const struct sysfs *fs, const char *name, const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX], needle[BDF_STRLEN + 2], dev[BDF_STRLEN];
	struct dirent *de;
	ssize_t n;
	bool hit = false;
	DIR *d;

	if (sysfs_path(fs, path, sizeof(path), "sys/block/%s", name))
		return false;
	n = readlink(path, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		snprintf(needle, sizeof(needle), "/%s/", bdf);
		if (strstr(target, needle))
			return true;
	}
	/* Multipath NVMe: sys/block/nvmeXnY/device -> nvme-subsysN, whose
	 * nvmeK entries are controllers with a PCI device link. */
	if (sysfs_path(fs, path, sizeof(path), "sys/block/%s/device", name))
		return false;
	d = opendir(path);
	if (!d)
		return false;
	while (!hit && (de = readdir(d))) {
		if (strncmp(de->d_name, "nvme", 4))
			continue;
		if (!sysfs_link_name(fs, dev, sizeof(dev), "sys/block/%s/device/%s/device", name,
				     de->d_name) &&
		    !strcmp(dev, bdf))
			hit = true;
	}
	closedir(d);
	return hit;
}

/* Whether `dev` ("/dev/nvme0n1p2") is block device `name` or a partition of it. */
static bool dev_matches(const char *dev, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(dev, "/dev/", 5) || strncmp(dev + 5, name, n))
		return false;
	dev += 5 + n;
	if (*dev == 'p')
		dev++;
	while (*dev >= '0' && *dev <= '9')
		dev++;
	return *dev == '\0';
}

/* -EBUSY if a mount or swap in root/proc/{mounts,swaps} uses block `name`. */
static int block_mounted(const struct sysfs *fs, const char *bdf, const char *name)
{
	static const char *const tables[] = {"proc/mounts", "proc/swaps"};
	char path[PATH_MAX], line[1024], dev[512], where[512];
	int ret = 0;

	for (size_t i = 0; i < 2 && !ret; i++) {
		FILE *f;

		if (sysfs_path(fs, path, sizeof(path), "%s", tables[i]))
			return -ENAMETOOLONG;
		f = fopen(path, "re");
		if (!f)
			continue; /* no swaps file: nothing swapped */
		while (!ret && fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%511s %511s", dev, where) != 2)
				continue;
			if (!dev_matches(dev, name))
				continue;
			pr_err("PCI device %s holds %s, %s %s; the host is using it (refusing to "
			       "unbind its driver). Unmount/swapoff it first, and never pass the "
			       "root device",
			       bdf, dev, i ? "used as swap" : "mounted on", i ? "" : where);
			ret = -EBUSY;
		}
		fclose(f);
	}
	return ret;
}

int pcidev_check_unused(const struct sysfs *fs, const char *bdf)
{
	char dir[PATH_MAX], holders[PATH_MAX];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	if (sysfs_path(fs, dir, sizeof(dir), "sys/block"))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return 0; /* no block layer visible: nothing to protect */
	while (!ret && (de = readdir(d))) {
		DIR *h;

		if (de->d_name[0] == '.' || !block_on_device(fs, de->d_name, bdf))
			continue;
		ret = block_mounted(fs, bdf, de->d_name);
		if (ret)
			break;
		if (sysfs_path(fs, holders, sizeof(holders), "sys/block/%s/holders", de->d_name))
			continue;
		h = opendir(holders);
		if (!h)
			continue;
		for (struct dirent *he; (he = readdir(h));) {
			if (he->d_name[0] == '.')
				continue;
			pr_err("PCI device %s holds /dev/%s, which is in use by %s (device mapper, "
			       "md or LVM); stop that user first",
			       bdf, de->d_name, he->d_name);
			ret = -EBUSY;
			break;
		}
		closedir(h);
	}
	closedir(d);
	return ret;
}

/* ---- binding ---------------------------------------------------------------- */

/* The kernel binds synchronously on the write, but give udev-style delays a
 * short grace period before declaring failure. */
static int wait_driver(const struct sysfs *fs, const char *bdf, const char *want,
		       char got[DRIVER_STRLEN])
{
	const struct timespec tick = {0, 10 * 1000 * 1000};

	for (int i = 0; i < 100; i++) {
		int ret = pcidev_driver(fs, bdf, got);

		if (ret)
			return ret;
		if (!strcmp(got, want))
			return 0;
		nanosleep(&tick, NULL);
	}
	return -EIO;
}

static int read_override(const struct sysfs *fs, const char *bdf, char out[DRIVER_STRLEN])
{
	int ret = sysfs_read(fs, out, DRIVER_STRLEN, PCI_DEVS "/%s/driver_override", bdf);

	if (!ret && !strcmp(out, "(null)"))
		out[0] = '\0';
	return ret;
}

/* Put driver_override and the original driver back. */
static int restore(struct pci_binding *b)
{
	char drv[DRIVER_STRLEN];
	int ret, first = 0;

	if (b->prepared)
		return restore_prepared(b);
	ret = pcidev_driver(b->fs, b->bdf, drv);
	if (!ret && drv[0] && strcmp(drv, b->orig_driver)) {
		ret = sysfs_write(b->fs, b->bdf, PCI_DRVS "/%s/unbind", drv);
		if (ret) {
			pr_err("%s: unbinding driver '%s' failed: %s; run: echo %s > "
			       "/sys/bus/pci/drivers/%s/unbind",
			       b->bdf, drv, strerror(-ret), b->bdf, drv);
			first = ret;
		}
	}
	ret = sysfs_write(b->fs, b->orig_override, PCI_DEVS "/%s/driver_override", b->bdf);
	if (ret) {
		pr_err("%s: restoring driver_override to '%s' failed: %s; run: echo '%s' > "
		       "/sys/bus/pci/devices/%s/driver_override",
		       b->bdf, b->orig_override, strerror(-ret), b->orig_override, b->bdf);
		first = first ? first : ret;
	}
	if (!b->orig_driver[0] || first)
		return first;
	ret = pcidev_driver(b->fs, b->bdf, drv);
	if (!ret && !strcmp(drv, b->orig_driver))
		return 0;
	ret = sysfs_write(b->fs, b->bdf, PCI_DRVS "/%s/bind", b->orig_driver);
	if (ret == -ENOENT || ret == -ENODEV)
		ret = sysfs_write(b->fs, b->bdf, "sys/bus/pci/drivers_probe");
	if (!ret)
		ret = wait_driver(b->fs, b->bdf, b->orig_driver, drv);
	if (ret) {
		pr_err("%s: could not rebind original driver '%s' (%s); run: echo %s > "
		       "/sys/bus/pci/drivers/%s/bind",
		       b->bdf, b->orig_driver, strerror(-ret), b->bdf, b->orig_driver);
		return ret;
	}
	pr_info("%s: restored driver '%s'", b->bdf, b->orig_driver);
	return 0;
}

int pci_bind_vfio(struct sysfs *fs, const char *bdf_in, struct pci_binding **out)
{
	char path[PATH_MAX], drv[DRIVER_STRLEN];
	struct pci_binding *b;
	unsigned group;
	int ret;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->fs = fs;
	ret = pcidev_lookup(fs, bdf_in, b->bdf);
	if (ret)
		goto err_free;
	ret = pcidev_iommu_group(fs, b->bdf, &group);
	if (ret)
		goto err_free;
	ret = pcidev_driver(fs, b->bdf, b->orig_driver);
	if (ret) {
		pr_err("%s: cannot read its driver link: %s", b->bdf, strerror(-ret));
		goto err_free;
	}
	if (!strcmp(b->orig_driver, VFIO_DRV)) {
		pr_info("%s (IOMMU group %u) is already bound to vfio-pci; leaving it as is",
			b->bdf, group);
		*out = b;
		return 0;
	}
	if (!sysfs_exists(fs, PCI_DRVS "/" VFIO_DRV)) {
		sysfs_path(fs, path, sizeof(path), PCI_DRVS "/" VFIO_DRV);
		pr_err("cannot bind %s: the vfio-pci driver is not loaded (%s missing); run "
		       "`modprobe vfio-pci`",
		       b->bdf, path);
		ret = -ENOENT;
		goto err_free;
	}
	ret = read_override(fs, b->bdf, b->orig_override);
	if (ret) {
		sysfs_path(fs, path, sizeof(path), PCI_DEVS "/%s/driver_override", b->bdf);
		pr_err(
		    "cannot bind %s: reading %s failed (%s); driver_override needs Linux >= 3.16",
		    b->bdf, path, strerror(-ret));
		goto err_free;
	}
	if (b->orig_driver[0]) {
		ret = pcidev_check_unused(fs, b->bdf);
		if (ret)
			goto err_free;
	}

	b->changed = true;
	ret = sysfs_write(fs, VFIO_DRV, PCI_DEVS "/%s/driver_override", b->bdf);
	if (ret) {
		pr_err("%s: writing 'vfio-pci' to driver_override failed: %s", b->bdf,
		       strerror(-ret));
		goto err_restore;
	}
	if (b->orig_driver[0]) {
		ret = sysfs_write(fs, b->bdf, PCI_DRVS "/%s/unbind", b->orig_driver);
		if (ret) {
			pr_err("%s: unbinding host driver '%s' failed: %s (is the device busy?)",
			       b->bdf, b->orig_driver, strerror(-ret));
			goto err_restore;
		}
	}
	ret = sysfs_write(fs, b->bdf, "sys/bus/pci/drivers_probe");
	if (ret) {
		pr_err("%s: drivers_probe failed: %s; see dmesg for vfio-pci's reason", b->bdf,
		       strerror(-ret));
		goto err_restore;
	}
	ret = wait_driver(fs, b->bdf, VFIO_DRV, drv);
	if (ret) {
		pr_err("%s: after drivers_probe it is bound to '%s', not vfio-pci; see dmesg",
		       b->bdf, drv[0] ? drv : "(no driver)");
		goto err_restore;
	}
	pr_info("%s (IOMMU group %u): bound to vfio-pci (was '%s')", b->bdf, group,
		b->orig_driver[0] ? b->orig_driver : "no driver");
	*out = b;
	return 0;

err_restore:
	restore(b);
err_free:
	free(b);
	return ret;
}

int pci_binding_release(struct pci_binding *b)
{
	int ret = 0;

	if (!b)
		return 0;
	if (b->changed)
		ret = restore(b);
	close_prepared(b);
	free(b);
	return ret;
}

const char *pci_binding_bdf(const struct pci_binding *b)
{
	return b->bdf;
}

const char *pci_binding_orig_driver(const struct pci_binding *b)
{
	return b->orig_driver;
}

bool pci_binding_changed(const struct pci_binding *b)
{
	return b->changed;
}
