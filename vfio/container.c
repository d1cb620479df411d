/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "vfio"
#include "vfio/container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/mem.h"

#define PAGE_4K 4096ull

struct vfio_group {
	struct vfio_container *c;
	unsigned id;
	int fd;
	unsigned refs; /* add_group calls not yet put */
	struct vfio_group *next;
};

struct dma_map {
	uint64_t iova, size;
};

struct vfio_container {
	struct sysfs *fs;
	int fd;
	bool iommu_set;
	struct vfio_group *groups;
	struct dma_map *maps;
	size_t nmaps, cap;
	uint64_t mapped;
};

bool vfio_host_has_iommufd(const struct sysfs *fs)
{
	return sysfs_exists(fs, "dev/iommu") && sysfs_exists(fs, "dev/vfio/devices");
}

int vfio_container_open(struct sysfs *fs, struct vfio_container **out)
{
	char path[PATH_MAX];
	struct vfio_container *c;
	int ret, v;

	if (sysfs_path(fs, path, sizeof(path), "dev/vfio/vfio"))
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fs = fs;
	c->fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->fd < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			pr_err(
			    "VFIO is not available: %s does not exist. Load it with `modprobe "
			    "vfio-pci` (pulls in vfio and vfio_iommu_type1); it needs an IOMMU: "
			    "enable VT-d/AMD-Vi in firmware and boot with intel_iommu=on (Intel) "
			    "or amd_iommu=on (AMD). If modprobe fails, the kernel lacks "
			    "CONFIG_VFIO/CONFIG_VFIO_PCI",
			    path);
		else
			pr_err("cannot open %s: %s%s", path, strerror(-ret),
			       ret == -EACCES || ret == -EPERM ? " (run as root)" : "");
		goto err_free;
	}
	v = ioctl(c->fd, VFIO_GET_API_VERSION);
	if (v < 0) {
		ret = -errno;
		pr_err("%s is not a VFIO container (VFIO_GET_API_VERSION: %s); check what created "
		       "that node",
		       path, strerror(-ret));
		ret = -EPROTO;
		goto err_close;
	}
	if (v != VFIO_API_VERSION) {
		pr_err("%s speaks VFIO API version %d, this program version %d; kernel and "
		       "nfvisor do not match",
		       path, v, VFIO_API_VERSION);
		ret = -EPROTO;
		goto err_close;
	}
	if (ioctl(c->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0) {
		pr_err("VFIO container %s offers no type1v2 IOMMU; run `modprobe vfio_iommu_type1` "
		       "and check that the IOMMU is on (intel_iommu=on / amd_iommu=on)",
		       path);
		ret = -EOPNOTSUPP;
		goto err_close;
	}
	if (vfio_host_has_iommufd(fs))
		pr_debug("host also has iommufd/cdev; using the type1v2 container interface");
	*out = c;
	return 0;

err_close:
	close(c->fd);
err_free:
	free(c);
	return ret;
}

/* Find a process holding /dev/vfio/<group> open: its pid, or 0. */
static pid_t find_holder(const struct sysfs *fs, unsigned group, char comm[32])
{
	char proc[PATH_MAX], fddir[PATH_MAX], target[256], want[32];
	struct dirent *p, *f;
	pid_t found = 0;
	DIR *pd, *fd;

	snprintf(want, sizeof(want), "/dev/vfio/%u", group);
	if (sysfs_path(fs, proc, sizeof(proc), "proc"))
		return 0;
	pd = opendir(proc);
	if (!pd)
		return 0;
	while (!found && (p = readdir(pd))) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9' || atoi(p->d_name) == getpid())
			continue;
		if (sysfs_path(fs, fddir, sizeof(fddir), "proc/%s/fd", p->d_name))
			continue;
		fd = opendir(fddir);
		if (!fd)
			continue;
		while ((f = readdir(fd))) {
			ssize_t n = readlinkat(dirfd(fd), f->d_name, target, sizeof(target) - 1);

			if (n <= 0)
				continue;
			target[n] = '\0';
			if (!strcmp(target, want)) {
				found = (pid_t)atoi(p->d_name);
				break;
			}
		}
		closedir(fd);
	}
	closedir(pd);
	comm[0] = '\0';
	if (found && sysfs_read(fs, comm, 32, "proc/%d/comm", (int)found))
		snprintf(comm, 32, "?");
	return found;
}

static int open_group_fd(struct vfio_container *c, unsigned group, int *fd)
{
	char path[PATH_MAX], comm[32];
	pid_t pid;
	int ret;

	if (sysfs_path(c->fs, path, sizeof(path), "dev/vfio/%u", group))
		return -ENAMETOOLONG;
	*fd = open(path, O_RDWR | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	ret = -errno;
	switch (ret) {
	case -ENOENT:
		if (sysfs_exists(c->fs, "sys/kernel/iommu_groups/%u", group))
			pr_err(
			    "IOMMU group %u has no %s: none of its devices is bound to vfio-pci; "
			    "bind the device first (driver_override + drivers_probe)",
			    group, path);
		else
			pr_err("IOMMU group %u does not exist (%s missing); check the device's "
			       "iommu_group link",
			       group, path);
		break;
	case -EBUSY:
		pid = find_holder(c->fs, group, comm);
		if (pid)
			pr_err("IOMMU group %u is in use by process %d (%s), another VM or the "
			       "switch; a device can be assigned to one user only",
			       group, (int)pid, comm);
		else
			pr_err("IOMMU group %u (%s) is already open by another user (another VM or "
			       "the switch); a device can be assigned to one user only",
			       group, path);
		break;
	default:
		pr_err("cannot open %s: %s%s", path, strerror(-ret),
		       ret == -EACCES || ret == -EPERM ? " (run as root or chown the group node)"
						       : "");
	}
	return ret;
}

int vfio_container_add_group(struct vfio_container *c, unsigned group, struct vfio_group **out)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};
	char blocker[BDF_STRLEN] = "";
	struct vfio_group *g;
	int ret;

	for (g = c->groups; g; g = g->next) {
		if (g->id == group) {
			g->refs++;
			*out = g;
			return 0;
		}
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->c = c;
	g->id = group;
	ret = open_group_fd(c, group, &g->fd);
	if (ret)
		goto err_free;
	if (ioctl(g->fd, VFIO_GROUP_GET_STATUS, &st) < 0) {
		ret = -errno;
		pr_err("IOMMU group %u: VFIO_GROUP_GET_STATUS failed: %s", group, strerror(-ret));
		goto err_close;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		/* Name the device that blocks it (the sysfs check logs it). */
		if (iommu_group_check_viable(c->fs, group, blocker) != -EBUSY)
			pr_err("IOMMU group %u is not viable: some device in it is bound to a host "
			       "driver; see /sys/kernel/iommu_groups/%u/devices and bind all of "
			       "them to vfio-pci",
			       group, group);
		ret = -EBUSY;
		goto err_close;
	}
	if (ioctl(g->fd, VFIO_GROUP_SET_CONTAINER, &c->fd) < 0) {
		ret = -errno;
		pr_err("IOMMU group %u: attaching it to the VFIO container failed: %s", group,
		       strerror(-ret));
		goto err_close;
	}
	if (!c->iommu_set) {
		if (ioctl(c->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0) {
			ret = -errno;
			pr_err("IOMMU group %u: selecting the type1v2 IOMMU failed: %s%s", group,
			       strerror(-ret),
			       ret == -EPERM ? " (no interrupt remapping: the host refuses unsafe "
					       "MSI; enable interrupt remapping in firmware)"
					     : "");
			goto err_unset;
		}
		c->iommu_set = true;
	}
	g->refs = 1;
	g->next = c->groups;
	c->groups = g;
	pr_debug("IOMMU group %u attached", group);
	*out = g;
	return 0;

err_unset:
	ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER);
err_close:
	close(g->fd);
err_free:
	free(g);
	return ret;
}

int vfio_container_add_device_group(struct vfio_container *c, const char *bdf,
				    struct vfio_group **out)
{
	unsigned group;
	int ret = pcidev_iommu_group(c->fs, bdf, &group);

	return ret ? ret : vfio_container_add_group(c, group, out);
}

void vfio_container_put_group(struct vfio_container *c, struct vfio_group *g)
{
	struct vfio_group **pp;

	if (!g || --g->refs > 0)
		return;
	for (pp = &c->groups; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER);
	close(g->fd);
	free(g);
	/* The IOMMU model (and its mappings) goes with the last group. */
	if (!c->groups) {
		c->iommu_set = false;
		c->nmaps = 0;
		c->mapped = 0;
	}
}

unsigned vfio_group_id(const struct vfio_group *g)
{
	return g->id;
}

int vfio_group_fd(const struct vfio_group *g)
{
	return g->fd;
}

struct sysfs *vfio_group_sysfs(const struct vfio_group *g)
{
	return g->c->fs;
}

static void explain_enomem(const struct vfio_container *c, uint64_t size)
{
	struct rlimit rl;
	uint64_t need_kib = (c->mapped + size + 1023) / 1024;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		pr_err("DMA mapping needs %" PRIu64 " KiB of locked memory in total but the "
		       "locked-memory limit (RLIMIT_MEMLOCK) is %llu KiB: raise it with `ulimit -l "
		       "%" PRIu64 "` (or `ulimit -l unlimited`, LimitMEMLOCK= in a systemd unit, "
		       "memlock in /etc/security/limits.conf)",
		       need_kib, (unsigned long long)rl.rlim_cur / 1024, need_kib);
	else
		pr_err("DMA mapping %" PRIu64 " bytes failed with ENOMEM although the "
		       "locked-memory limit is unlimited: the host is out of memory to pin, or "
		       "the IOMMU ran out of mapping entries (vfio_iommu_type1 dma_entry_limit)",
		       size);
}

int vfio_dma_map(struct vfio_container *c, uint64_t iova, uint64_t size, void *vaddr, bool writable)
{
	struct vfio_iommu_type1_dma_map map = {
	    .argsz = sizeof(map),
	    .flags = VFIO_DMA_MAP_FLAG_READ | (writable ? VFIO_DMA_MAP_FLAG_WRITE : 0),
	    .vaddr = (uintptr_t)vaddr,
	    .iova = iova,
	    .size = size,
	};
	int ret;

	if (!size || (iova | size | (uintptr_t)vaddr) & (PAGE_4K - 1) || iova + size < iova) {
		pr_err("DMA map of %" PRIu64 " bytes at IOVA 0x%" PRIx64 " from %p: size, IOVA "
		       "and address must be non-zero 4 KiB multiples without wrapping",
		       size, iova, vaddr);
		return -EINVAL;
	}
	if (!c->iommu_set) {
		pr_err("DMA map at IOVA 0x%" PRIx64 " before any IOMMU group was added; add the "
		       "device's group first",
		       iova);
		return -ENODEV;
	}
	if (c->nmaps == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct dma_map *m = realloc(c->maps, cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		c->maps = m;
		c->cap = cap;
	}
	if (ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &map) < 0) {
		ret = -errno;
		if (ret == -ENOMEM)
			explain_enomem(c, size);
		else
			pr_err("DMA map of %" PRIu64 " bytes at IOVA 0x%" PRIx64 " failed: %s%s",
			       size, iova, strerror(-ret),
			       ret == -EEXIST ? " (overlaps an existing mapping)" : "");
		return ret;
	}
	c->maps[c->nmaps++] = (struct dma_map){iova, size};
	c->mapped += size;
	pr_debug("DMA map IOVA 0x%" PRIx64 "+0x%" PRIx64 " -> %p", iova, size, vaddr);
	return 0;
}

int vfio_dma_unmap(struct vfio_container *c, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
	    .argsz = sizeof(unmap),
	    .iova = iova,
	    .size = size,
	};
	size_t i;
	int ret;

	for (i = 0; i < c->nmaps; i++)
		if (c->maps[i].iova == iova && c->maps[i].size == size)
			break;
	if (i == c->nmaps) {
		pr_err("DMA unmap of IOVA 0x%" PRIx64 "+0x%" PRIx64 ": no such mapping", iova,
		       size);
		return -ENOENT;
	}
	if (ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &unmap) < 0) {
		ret = -errno;
		pr_err("DMA unmap of IOVA 0x%" PRIx64 "+0x%" PRIx64 " failed: %s", iova, size,
		       strerror(-ret));
		return ret;
	}
	c->mapped -= size;
	c->maps[i] = c->maps[--c->nmaps];
	return 0;
}

int vfio_dma_map_guest(struct vfio_container *c, const struct guest_mem *mem)
{
	const struct mem_region *r;
	size_t n = guest_mem_regions(mem, &r);
	int ret;

	for (size_t i = 0; i < n; i++) {
		ret = vfio_dma_map(c, r[i].gpa, r[i].size, r[i].hva, true);
		if (ret) {
			pr_err("could not map guest RAM [0x%" PRIx64 ", 0x%" PRIx64 ") for device "
			       "DMA",
			       r[i].gpa, r[i].gpa + r[i].size);
			while (i-- > 0)
				vfio_dma_unmap(c, r[i].gpa, r[i].size);
			return ret;
		}
	}
	return 0;
}

uint64_t vfio_dma_mapped_bytes(const struct vfio_container *c)
{
	return c->mapped;
}

void vfio_container_close(struct vfio_container *c)
{
	struct vfio_group *g, *next;

	if (!c)
		return;
	while (c->nmaps > 0)
		if (vfio_dma_unmap(c, c->maps[c->nmaps - 1].iova, c->maps[c->nmaps - 1].size))
			c->nmaps--; /* already logged; the container close drops it */
	for (g = c->groups; g; g = next) {
		next = g->next;
		ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER);
		close(g->fd);
		free(g);
	}
	close(c->fd);
	free(c->maps);
	free(c);
}
