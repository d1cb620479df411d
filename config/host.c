/* SPDX-License-Identifier: MIT */
#include "config/host.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio/sysfs.h"

/* A cpulist file ("0-3,8", possibly empty or "(null)") into M. */
static void read_mask(struct sysfs *fs, struct host_cpumask *m, const char *rel)
{
	char buf[4096];
	int *cpus;
	size_t n;

	memset(m, 0, sizeof(*m));
	if (sysfs_read(fs, buf, sizeof(buf), "%s", rel) || !buf[0])
		return;
	cpus = malloc(CPUSET_MAX * sizeof(int));
	if (!cpus)
		return;
	if (!parse_cpu_list(buf, cpus, CPUSET_MAX, &n))
		for (size_t i = 0; i < n; i++)
			m->w[cpus[i] / 64] |= 1ull << (cpus[i] % 64);
	free(cpus);
}

void host_format_mask(const struct host_cpumask *m, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (int c = 0; c < CPUSET_MAX && o < len; c++) {
		int e = c;

		if (!host_cpu_in(m, c))
			continue;
		while (e + 1 < CPUSET_MAX && host_cpu_in(m, e + 1))
			e++;
		if (e > c)
			o += (size_t)snprintf(out + o, len - o, "%s%d-%d", o ? "," : "", c, e);
		else
			o += (size_t)snprintf(out + o, len - o, "%s%d", o ? "," : "", c);
		c = e;
	}
}

static void read_hp(struct sysfs *fs, struct host_hugepages *hp, const char *dir)
{
	hp->supported = sysfs_exists(fs, "%s", dir);
	if (!hp->supported)
		return;
	if (sysfs_read_uint(fs, &hp->nr, "%s/nr_hugepages", dir))
		hp->nr = 0;
	if (sysfs_read_uint(fs, &hp->free, "%s/free_hugepages", dir))
		hp->free = 0;
}

/* "Node 0 MemFree:  123456 kB" from a node's meminfo. */
static void read_memfree(struct sysfs *fs, struct host_node *n, int id)
{
	char buf[8192], *p;
	unsigned long long kb;

	if (sysfs_read(fs, buf, sizeof(buf), "sys/devices/system/node/node%d/meminfo", id))
		return;
	p = strstr(buf, "MemFree:");
	if (!p || sscanf(p, "MemFree: %llu kB", &kb) != 1)
		return;
	n->memfree_known = true;
	n->memfree = kb << 10;
}

int host_read(struct sysfs *fs, struct host_info *h)
{
	struct host_cpumask nodes;
	char rel[128];
	DIR *dir;
	char path[4096];

	memset(h, 0, sizeof(*h));
	for (int i = 0; i < CPUSET_MAX; i++)
		h->cpu_node[i] = -1;
	read_mask(fs, &h->present, "sys/devices/system/cpu/present");
	read_mask(fs, &h->online, "sys/devices/system/cpu/online");
	if (!sysfs_exists(fs, "sys/devices/system/cpu/online"))
		h->online = h->present;
	read_mask(fs, &h->isolated, "sys/devices/system/cpu/isolated");
	read_mask(fs, &h->nohz_full, "sys/devices/system/cpu/nohz_full");
	read_mask(fs, &nodes, "sys/devices/system/node/online");
	if (!host_cpu_in(&nodes, 0) && !sysfs_exists(fs, "sys/devices/system/node/node0")) {
		/* No NUMA information: one node with every CPU, global pools. */
		h->node[0].present = true;
		h->node[0].cpus = h->present;
		read_hp(fs, &h->node[0].hp_2m, "sys/kernel/mm/hugepages/hugepages-2048kB");
		read_hp(fs, &h->node[0].hp_1g, "sys/kernel/mm/hugepages/hugepages-1048576kB");
	} else {
		if (!nodes.w[0])
			nodes.w[0] = 1;
		for (int n = 0; n < CFG_MAX_NUMA; n++) {
			struct host_node *node = &h->node[n];

			if (!host_cpu_in(&nodes, n))
				continue;
			node->present = true;
			snprintf(rel, sizeof(rel), "sys/devices/system/node/node%d/cpulist", n);
			read_mask(fs, &node->cpus, rel);
			snprintf(rel, sizeof(rel),
				 "sys/devices/system/node/node%d/hugepages/hugepages-2048kB", n);
			read_hp(fs, &node->hp_2m, rel);
			snprintf(rel, sizeof(rel),
				 "sys/devices/system/node/node%d/hugepages/hugepages-1048576kB", n);
			read_hp(fs, &node->hp_1g, rel);
			read_memfree(fs, node, n);
		}
	}
	for (int n = 0; n < CFG_MAX_NUMA; n++)
		for (int c = 0; c < CPUSET_MAX && h->node[n].present; c++)
			if (host_cpu_in(&h->node[n].cpus, c))
				h->cpu_node[c] = n;
	if (sysfs_path(fs, path, sizeof(path), "sys/kernel/iommu_groups"))
		return -ENAMETOOLONG;
	dir = opendir(path);
	if (dir) {
		struct dirent *e;

		while ((e = readdir(dir)))
			if (e->d_name[0] != '.')
				h->iommu_groups++;
		closedir(dir);
	}
	return 0;
}

void host_pci(struct sysfs *fs, const char *bdf, struct host_pci *out)
{
	const char *dev = "sys/bus/pci/devices";
	char buf[64], path[4096];
	unsigned v;
	DIR *dir;

	memset(out, 0, sizeof(*out));
	snprintf(out->bdf, sizeof(out->bdf), "%s", bdf);
	out->numa_node = -1;
	out->iommu_group = -1;
	out->present = sysfs_exists(fs, "%s/%s", dev, bdf);
	if (!out->present)
		return;
	if (!sysfs_read(fs, buf, sizeof(buf), "%s/%s/numa_node", dev, bdf))
		out->numa_node = atoi(buf) < 0 ? -1 : atoi(buf);
	if (sysfs_link_name(fs, out->driver, sizeof(out->driver), "%s/%s/driver", dev, bdf))
		out->driver[0] = '\0';
	if (!sysfs_link_name(fs, buf, sizeof(buf), "%s/%s/iommu_group", dev, bdf))
		out->iommu_group = atoi(buf);
	if (!sysfs_read_uint(fs, &v, "%s/%s/sriov_totalvfs", dev, bdf)) {
		out->sriov = true;
		out->total_vfs = v;
		if (!sysfs_read_uint(fs, &v, "%s/%s/sriov_numvfs", dev, bdf))
			out->num_vfs = v;
	}
	if (sysfs_path(fs, path, sizeof(path), "%s/%s/net", dev, bdf))
		return;
	dir = opendir(path);
	if (dir) {
		struct dirent *e;

		while ((e = readdir(dir)))
			if (e->d_name[0] != '.') {
				snprintf(out->netdev, sizeof(out->netdev), "%.31s", e->d_name);
				break;
			}
		closedir(dir);
	}
}

int host_netdev_bdf(struct sysfs *fs, const char *name, char bdf[13])
{
	char buf[64];
	struct pci_bdf b;

	if (sysfs_link_name(fs, buf, sizeof(buf), "sys/class/net/%s/device", name))
		return -ENOENT;
	if (parse_pci_bdf(buf, &b))
		return -ENOENT; /* not a PCI device (virtual interface) */
	format_pci_bdf(&b, bdf);
	return 0;
}

int host_vf_bdf(struct sysfs *fs, const char *pf_bdf, unsigned index, char bdf[13])
{
	char buf[64];
	struct pci_bdf b;

	if (sysfs_link_name(fs, buf, sizeof(buf), "sys/bus/pci/devices/%s/virtfn%u", pf_bdf,
			    index) ||
	    parse_pci_bdf(buf, &b))
		return -ENOENT;
	format_pci_bdf(&b, bdf);
	return 0;
}

unsigned host_iommu_group_devices(struct sysfs *fs, int group,
				  void (*fn)(void *opaque, const char *bdf), void *opaque)
{
	char path[4096];
	struct dirent *e;
	unsigned n = 0;
	DIR *dir;

	if (group < 0 ||
	    sysfs_path(fs, path, sizeof(path), "sys/kernel/iommu_groups/%d/devices", group))
		return 0;
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		if (fn)
			fn(opaque, e->d_name);
	}
	closedir(dir);
	return n;
}
