/* SPDX-License-Identifier: MIT */
/* What `up` would do with an appliance on this host, checked without
 * changing anything: which host CPU runs which thread, hugepages needed vs
 * free per NUMA node, VFs to create, devices to bind to vfio-pci, and every
 * problem the host has with the appliance (missing CPUs, kernel files,
 * devices, IOMMU, NUMA locality, isolation), as diagnostics tied to the
 * appliance file's lines. The plan is plain data for `up` to act on. */
#ifndef NFV_CONFIG_PLAN_H
#define NFV_CONFIG_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include "config/appliance.h"

struct sysfs;
struct json_object;

enum plan_use_kind { PLAN_USE_PMD, PLAN_USE_VCPU, PLAN_USE_EMULATOR };
struct plan_use {
	enum plan_use_kind kind;
	const char *vm; /* VM name (points into the appliance); NULL for PMD */
	unsigned vcpu;
};

struct plan_cpu {
	int cpu;
	int node; /* -1: unknown */
	bool exists, online, dedicated, isolated, nohz_full;
	struct plan_use *uses;
	size_t nuses;
};

struct plan_hugepages {
	int node;
	unsigned needed; /* pages of the appliance's size on this node */
	unsigned free, total;
	unsigned add; /* pages up has to add to nr_hugepages */
	bool supported;
	bool memfree_known;
	uint64_t memfree;
};

enum plan_action_kind { PLAN_SET_NUMVFS, PLAN_BIND_VFIO };
struct plan_action {
	enum plan_action_kind kind;
	char bdf[13];		 /* "" for a VF that up creates */
	const struct cfg_pf *pf; /* SET_NUMVFS, and VFs */
	bool is_vf;
	unsigned vf_index;
	unsigned from, to;	   /* SET_NUMVFS: sriov_numvfs now and wanted */
	char driver[64];	   /* current driver, "" unbound */
	int numa_node;		   /* of the device, -1 unknown */
	int iommu_group;	   /* -1 none/unknown */
	char user[80];		   /* "VM fw", "switch port phys0" */
	const struct cfg_nic *nic; /* VF settings for a VM NIC, else NULL */
	const struct cfg_device *dev;
};

/* A jailed VM's ids, looked up on this host (user: through the user
 * database). on == false: the VM is not jailed or its user is unknown. */
struct plan_jail {
	bool on;
	unsigned uid, gid;
};

struct plan {
	const struct appliance *app;
	struct plan_jail jail[CFG_MAX_VMS]; /* per VM, in file order */
	char root[256];			    /* sysfs root, "/" for the real one */
	struct plan_cpu *cpus;
	size_t ncpus;
	enum cfg_hp hp_size; /* CFG_HP_NONE: the appliance reserves none */
	struct plan_hugepages hp[CFG_MAX_NUMA];
	size_t nhp;
	struct plan_action *actions;
	size_t nactions;
	unsigned iommu_groups;
	bool needs_iommu;
};

/* Builds the plan of APP against the host whose sysfs is under FS. Problems
 * are appended to D (errors: up would fail; warnings: up would run but
 * worse than it could). Returns 0 and *out (free with plan_free), or
 * -ENOMEM. Reads kernel/initrd paths relative to the working directory. */
int plan_build(const struct appliance *app, struct sysfs *fs, struct diag_list *d,
	       struct plan **out);
void plan_free(struct plan *p);

/* Human-readable plan (without the diagnostics, which the caller prints). */
void plan_print(const struct plan *p, FILE *f);

/* The plan and diagnostics D as one JSON object (caller json_object_put()s);
 * NULL on allocation failure. FILE prefixes nothing: positions are fields. */
struct json_object *plan_json(const struct plan *p, const struct diag_list *d);

#endif
