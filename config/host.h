/* SPDX-License-Identifier: MIT */
/* Facts about this host that a plan depends on, read from sysfs under a
 * configurable root (so tests use a fake tree). Read-only: nothing here
 * changes the host. Paths are those of Linux 6.x sysfs. */
#ifndef NFV_CONFIG_HOST_H
#define NFV_CONFIG_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/parse.h"
#include "config/appliance.h"

struct sysfs;

#define CPUMASK_WORDS (CPUSET_MAX / 64)

struct host_cpumask {
	uint64_t w[CPUMASK_WORDS];
};

static inline bool host_cpu_in(const struct host_cpumask *m, int cpu)
{
	return cpu >= 0 && cpu < CPUSET_MAX && (m->w[cpu / 64] >> (cpu % 64)) & 1;
}

struct host_hugepages {
	bool supported; /* the size exists on this node */
	unsigned nr, free;
};

struct host_node {
	bool present;
	struct host_cpumask cpus;
	bool memfree_known;
	uint64_t memfree; /* bytes */
	struct host_hugepages hp_2m, hp_1g;
};

struct host_info {
	struct host_cpumask present, online, isolated, nohz_full;
	int cpu_node[CPUSET_MAX]; /* -1 when unknown */
	struct host_node node[CFG_MAX_NUMA];
	unsigned iommu_groups; /* 0: IOMMU off (or no devices) */
};

/* Reads CPUs, NUMA nodes, hugepage pools, isolation and IOMMU state.
 * Missing files mean "not configured" (e.g. no nohz_full); a host without
 * node directories is one node 0 with every CPU. Returns 0 or -errno. */
int host_read(struct sysfs *fs, struct host_info *h);

static inline const struct host_hugepages *host_hp(const struct host_info *h, int node,
						   enum cfg_hp size)
{
	return size == CFG_HP_1G ? &h->node[node].hp_1g : &h->node[node].hp_2m;
}

/* One PCI function as sysfs shows it. */
struct host_pci {
	bool present;
	char bdf[13];
	int numa_node;	 /* -1: unknown */
	char driver[64]; /* "" when unbound */
	int iommu_group; /* -1: none */
	bool sriov;	 /* has sriov_totalvfs */
	unsigned total_vfs, num_vfs;
	char netdev[32]; /* first interface under net/, "" if none */
};

/* Looks up BDF (canonical "0000:01:00.0"); present false when absent. */
void host_pci(struct sysfs *fs, const char *bdf, struct host_pci *out);

/* The PCI address behind interface NAME: 0 or -ENOENT. */
int host_netdev_bdf(struct sysfs *fs, const char *name, char bdf[13]);

/* BDF of VF INDEX of PF (virtfnN link): 0 or -ENOENT when not created. */
int host_vf_bdf(struct sysfs *fs, const char *pf_bdf, unsigned index, char bdf[13]);

/* Calls FN for every device in IOMMU group GROUP; returns how many. */
unsigned host_iommu_group_devices(struct sysfs *fs, int group,
				  void (*fn)(void *opaque, const char *bdf), void *opaque);

/* "0-3,8" for a mask, into OUT. */
void host_format_mask(const struct host_cpumask *m, char *out, size_t len);

#endif
