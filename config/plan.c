/* SPDX-License-Identifier: MIT */
#include "config/plan.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/parse.h"
#include "config/host.h"
#include "config/schema.h"
#include "vfio/sysfs.h"

struct planner {
	const struct appliance *app;
	struct sysfs *fs;
	struct diag_list *d;
	struct host_info *h;
	struct plan *p;
	char cpus_str[256];
	char nodes_str[128];
	struct cfg_mark first_passthrough; /* first user that needs the IOMMU */
};

/* ---- cores ---- */

static struct plan_cpu *cpu_row(struct planner *pl, int cpu)
{
	struct plan *p = pl->p;

	for (size_t i = 0; i < p->ncpus; i++)
		if (p->cpus[i].cpu == cpu)
			return &p->cpus[i];
	return NULL;
}

static int add_use(struct planner *pl, int cpu, struct plan_use u)
{
	struct plan_cpu *c = cpu_row(pl, cpu);
	struct plan_use *v;

	if (!c)
		return 0;
	v = realloc(c->uses, (c->nuses + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->uses = v;
	c->uses[c->nuses++] = u;
	return 0;
}

static int cmp_cpu(const void *a, const void *b)
{
	return ((const struct plan_cpu *)a)->cpu - ((const struct plan_cpu *)b)->cpu;
}

/* Reports the CPUs of LIST that this host does not have or has offline. */
static void check_cpu_list(struct planner *pl, const struct cfg_cpus *list, struct cfg_mark m,
			   const char *path)
{
	struct host_cpumask missing = {{0}}, offline = {{0}};
	struct cfg_mark first_missing = m, first_offline = m;
	bool any_missing = false, any_offline = false;
	char s[256];

	for (size_t i = 0; i < list->n; i++) {
		int cpu = list->cpu[i];

		if (!host_cpu_in(&pl->h->present, cpu)) {
			missing.w[cpu / 64] |= 1ull << (cpu % 64);
			if (!any_missing)
				first_missing = cfg_cpu_mark(list, i, m);
			any_missing = true;
		} else if (!host_cpu_in(&pl->h->online, cpu)) {
			offline.w[cpu / 64] |= 1ull << (cpu % 64);
			if (!any_offline)
				first_offline = cfg_cpu_mark(list, i, m);
			any_offline = true;
		}
	}
	host_format_mask(&missing, s, sizeof(s));
	if (s[0])
		diag_err(pl->d, first_missing,
			 "%s: CPU%s %s %s not exist on this host (it has CPUs %s)", path,
			 strpbrk(s, ",-") ? "s" : "", s, strpbrk(s, ",-") ? "do" : "does",
			 pl->cpus_str);
	host_format_mask(&offline, s, sizeof(s));
	if (s[0] && strpbrk(s, ",-"))
		diag_err(pl->d, first_offline,
			 "%s: CPUs %s are offline; bring them online with echo 1 > "
			 "/sys/devices/system/cpu/cpuN/online",
			 path, s);
	else if (s[0])
		diag_err(pl->d, first_offline,
			 "%s: CPU %s is offline; bring it online with echo 1 > "
			 "/sys/devices/system/cpu/cpu%s/online",
			 path, s, s);
}

static int build_cpus(struct planner *pl)
{
	const struct appliance *app = pl->app;
	const struct host_info *h = pl->h;
	struct host_cpumask all = h->present;
	struct plan *p = pl->p;
	char path[64];
	int ret;

	/* Rows: every CPU of the host plus any the file names. */
	for (size_t i = 0; i < app->host.dedicated.n; i++)
		all.w[app->host.dedicated.cpu[i] / 64] |= 1ull << (app->host.dedicated.cpu[i] % 64);
	for (size_t i = 0; i < app->sw.pmd_cores.n; i++)
		all.w[app->sw.pmd_cores.cpu[i] / 64] |= 1ull << (app->sw.pmd_cores.cpu[i] % 64);
	for (size_t v = 0; v < app->nvms; v++) {
		const struct cfg_vm *vm = &app->vms[v];

		for (size_t i = 0; i < vm->pin.n; i++)
			all.w[vm->pin.cpu[i] / 64] |= 1ull << (vm->pin.cpu[i] % 64);
		for (size_t i = 0; i < vm->emulator_pin.n; i++)
			all.w[vm->emulator_pin.cpu[i] / 64] |= 1ull
							       << (vm->emulator_pin.cpu[i] % 64);
	}
	p->cpus = calloc(CPUSET_MAX, sizeof(*p->cpus));
	if (!p->cpus)
		return -ENOMEM;
	for (int c = 0; c < CPUSET_MAX; c++) {
		struct plan_cpu *row;

		if (!host_cpu_in(&all, c))
			continue;
		row = &p->cpus[p->ncpus++];
		row->cpu = c;
		row->node = h->cpu_node[c];
		row->exists = host_cpu_in(&h->present, c);
		row->online = host_cpu_in(&h->online, c);
		row->isolated = host_cpu_in(&h->isolated, c);
		row->nohz_full = host_cpu_in(&h->nohz_full, c);
	}
	for (size_t i = 0; i < app->host.dedicated.n; i++)
		cpu_row(pl, app->host.dedicated.cpu[i])->dedicated = true;
	qsort(p->cpus, p->ncpus, sizeof(*p->cpus), cmp_cpu);

	check_cpu_list(pl, &app->host.dedicated, app->host.at[HOST_DEDICATED_CORES],
		       "host.dedicated_cores");
	check_cpu_list(pl, &app->sw.pmd_cores, app->sw.at[SW_PMD_CORES], "switch.pmd_cores");
	for (size_t i = 0; i < app->sw.pmd_cores.n; i++) {
		ret =
		    add_use(pl, app->sw.pmd_cores.cpu[i], (struct plan_use){PLAN_USE_PMD, NULL, 0});
		if (ret)
			return ret;
	}
	for (size_t v = 0; v < app->nvms; v++) {
		const struct cfg_vm *vm = &app->vms[v];

		snprintf(path, sizeof(path), "vms[%zu].pin", v);
		check_cpu_list(pl, &vm->pin, vm->at[VM_PIN], path);
		snprintf(path, sizeof(path), "vms[%zu].emulator_pin", v);
		check_cpu_list(pl, &vm->emulator_pin, vm->at[VM_EMULATOR_PIN], path);
		for (size_t i = 0; i < vm->pin.n; i++) {
			ret = add_use(pl, vm->pin.cpu[i],
				      (struct plan_use){PLAN_USE_VCPU, vm->name, (unsigned)i});
			if (ret)
				return ret;
		}
		for (size_t i = 0; i < vm->emulator_pin.n; i++) {
			ret = add_use(pl, vm->emulator_pin.cpu[i],
				      (struct plan_use){PLAN_USE_EMULATOR, vm->name, 0});
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Dedicated cores the scheduler still balances onto, or ticks on. */
static void check_isolation(struct planner *pl)
{
	const struct appliance *app = pl->app;
	struct host_cpumask miss_iso = {{0}}, miss_nohz = {{0}};
	char ded[256], miss[256], cur[256];

	if (!app->host.dedicated.n)
		return;
	cfg_format_cpus(&app->host.dedicated, ded, sizeof(ded));
	for (size_t i = 0; i < app->host.dedicated.n; i++) {
		int c = app->host.dedicated.cpu[i];

		if (!host_cpu_in(&pl->h->present, c))
			continue;
		if (!host_cpu_in(&pl->h->isolated, c))
			miss_iso.w[c / 64] |= 1ull << (c % 64);
		if (!host_cpu_in(&pl->h->nohz_full, c))
			miss_nohz.w[c / 64] |= 1ull << (c % 64);
	}
	host_format_mask(&miss_iso, miss, sizeof(miss));
	host_format_mask(&pl->h->isolated, cur, sizeof(cur));
	if (miss[0])
		diag_warn(pl->d, app->host.at[HOST_DEDICATED_CORES],
			  "host.dedicated_cores: CPUs %s are not isolated (isolcpus: %s); boot "
			  "with isolcpus=%s so other tasks stay off them",
			  miss, cur[0] ? cur : "none", ded);
	host_format_mask(&miss_nohz, miss, sizeof(miss));
	host_format_mask(&pl->h->nohz_full, cur, sizeof(cur));
	if (miss[0])
		diag_warn(
		    pl->d, app->host.at[HOST_DEDICATED_CORES],
		    "host.dedicated_cores: CPUs %s are not in nohz_full (nohz_full: %s); boot "
		    "with nohz_full=%s to stop the scheduler tick on them",
		    miss, cur[0] ? cur : "none", ded);
}

/* ---- NUMA ---- */

/* The node a VM's memory comes from: numa_node:, else its first vCPU's. */
static int vm_node(const struct planner *pl, const struct cfg_vm *vm)
{
	if (vm->numa_node >= 0)
		return vm->numa_node;
	if (vm->pin.n && pl->h->cpu_node[vm->pin.cpu[0]] >= 0)
		return pl->h->cpu_node[vm->pin.cpu[0]];
	return 0;
}

static int switch_node(const struct planner *pl)
{
	const struct cfg_switch *sw = &pl->app->sw;

	if (sw->pmd_cores.n && pl->h->cpu_node[sw->pmd_cores.cpu[0]] >= 0)
		return pl->h->cpu_node[sw->pmd_cores.cpu[0]];
	return 0;
}

static void check_vm_numa(struct planner *pl, size_t v)
{
	const struct cfg_vm *vm = &pl->app->vms[v];

	if (vm->numa_node >= 0 && !pl->h->node[vm->numa_node].present) {
		diag_err(pl->d, vm->at[VM_NUMA_NODE],
			 "vms[%zu].numa_node: node %d does not exist on this host (nodes %s)", v,
			 vm->numa_node, pl->nodes_str);
		return;
	}
	for (size_t i = 0; i < vm->pin.n; i++) {
		int n = pl->h->cpu_node[vm->pin.cpu[i]];

		if (n >= 0 && n != vm_node(pl, vm)) {
			diag_warn(pl->d, cfg_cpu_mark(&vm->pin, i, vm->at[VM_PIN]),
				  "vms[%zu].pin: vCPU %zu runs on CPU %d of node %d but the VM's "
				  "memory is on node %d; keep a VM's vCPUs and memory on one node",
				  v, i, vm->pin.cpu[i], n, vm_node(pl, vm));
			return;
		}
	}
}

/* ---- hugepages ---- */

static void build_hugepages(struct planner *pl)
{
	const struct appliance *app = pl->app;
	struct plan *p = pl->p;
	uint64_t page;
	unsigned need[CFG_MAX_NUMA] = {0};
	char a[32], b[32];
	bool unsupported = false;

	p->hp_size = app->host.hp_at[HP_SIZE].line ? app->host.hp_size : CFG_HP_NONE;
	if (p->hp_size == CFG_HP_NONE)
		return;
	page = cfg_hp_bytes(p->hp_size);
	for (size_t v = 0; v < app->nvms; v++) {
		const struct cfg_vm *vm = &app->vms[v];
		int n = vm_node(pl, vm);

		if (vm->hugepages == p->hp_size && n < CFG_MAX_NUMA)
			need[n] += (unsigned)(vm->memory / page);
	}
	if (app->sw.present)
		need[switch_node(pl)] += (unsigned)(app->sw.memory / page);
	for (int n = 0; n < CFG_MAX_NUMA; n++) {
		const struct host_node *hn = &pl->h->node[n];
		const struct host_hugepages *hp = host_hp(pl->h, n, p->hp_size);
		struct plan_hugepages *row;

		if (!hn->present && !need[n])
			continue;
		row = &p->hp[p->nhp++];
		row->node = n;
		row->needed = need[n];
		row->supported = hn->present && hp->supported;
		row->free = hp->free;
		row->total = hp->nr;
		row->add = need[n] > hp->free ? need[n] - hp->free : 0;
		row->memfree_known = hn->memfree_known;
		row->memfree = hn->memfree;
		if (!need[n] || !hn->present)
			continue; /* a missing node is reported by check_vm_numa */
		if (!row->supported) {
			if (!unsupported)
				diag_err(
				    pl->d, app->host.hp_at[HP_SIZE],
				    "host.hugepages.size: node %d has no %s hugepages; boot with "
				    "hugepagesz=%s hugepages=N or use size: %s",
				    n, cfg_hp_name(p->hp_size), cfg_hp_name(p->hp_size),
				    p->hp_size == CFG_HP_1G ? "2M" : "1G");
			unsupported = true;
			continue;
		}
		if (row->add && row->memfree_known && row->add * page > row->memfree) {
			cfg_format_size(row->add * page, a, sizeof(a));
			cfg_format_size(row->memfree & ~((1ull << 20) - 1), b, sizeof(b));
			diag_err(
			    pl->d, app->host.hp_at[HP_COUNT],
			    "host.hugepages: node %d needs %u more %s pages (%s) but only %s of "
			    "memory is free there; free memory or give the VMs less",
			    n, row->add, cfg_hp_name(p->hp_size), a, b);
		}
	}
}

/* ---- devices ---- */

static struct plan_action *new_action(struct planner *pl)
{
	struct plan *p = pl->p;
	struct plan_action *v = realloc(p->actions, (p->nactions + 1) * sizeof(*v));

	if (!v)
		return NULL;
	p->actions = v;
	memset(&v[p->nactions], 0, sizeof(v[0]));
	v[p->nactions].numa_node = -1;
	v[p->nactions].iommu_group = -1;
	return &v[p->nactions++];
}

static void needs_iommu(struct planner *pl, struct cfg_mark m)
{
	if (!pl->p->needs_iommu)
		pl->first_passthrough = m;
	pl->p->needs_iommu = true;
}

/* The PF's PCI address on this host, "" when it cannot be found. */
static void pf_bdf(struct planner *pl, const struct cfg_pf *pf, size_t i, char bdf[13])
{
	bdf[0] = '\0';
	if (pf->at[PF_PCI].line) {
		format_pci_bdf(&pf->pci, bdf);
	} else if (host_netdev_bdf(pl->fs, pf->netdev, bdf)) {
		diag_err(pl->d, pf->at[PF_NETDEV],
			 "pfs[%zu].netdev: no PCI network interface \"%s\" on this host; check "
			 "ip link or give pci: instead",
			 i, pf->netdev);
		bdf[0] = '\0';
	}
}

static int build_pfs(struct planner *pl, char (*bdfs)[13], struct host_pci *pcis)
{
	const struct appliance *app = pl->app;

	for (size_t i = 0; i < app->npfs; i++) {
		const struct cfg_pf *pf = &app->pfs[i];
		struct host_pci *hp = &pcis[i];
		struct cfg_mark m = pf->at[PF_PCI].line ? pf->at[PF_PCI] : pf->at[PF_NETDEV];
		struct plan_action *a;

		pf_bdf(pl, pf, i, bdfs[i]);
		if (!bdfs[i][0])
			continue;
		host_pci(pl->fs, bdfs[i], hp);
		if (!hp->present) {
			diag_err(pl->d, m, "pfs[%zu]: no PCI device %s on this host; check lspci",
				 i, bdfs[i]);
			bdfs[i][0] = '\0';
			continue;
		}
		if (!hp->sriov) {
			diag_err(
			    pl->d, m,
			    "pfs[%zu]: %s (driver %s) does not support SR-IOV (no sriov_totalvfs); "
			    "use an SR-IOV capable NIC",
			    i, bdfs[i], hp->driver[0] ? hp->driver : "none");
			bdfs[i][0] = '\0';
			continue;
		}
		if (pf->numvfs > hp->total_vfs) {
			diag_err(pl->d, pf->at[PF_NUMVFS],
				 "pfs[%zu].numvfs: %u, but %s supports at most %u VFs", i,
				 pf->numvfs, bdfs[i], hp->total_vfs);
			continue;
		}
		if (hp->num_vfs == pf->numvfs)
			continue;
		if (hp->num_vfs)
			diag_warn(pl->d, pf->at[PF_NUMVFS],
				  "pfs[%zu].numvfs: %s has %u VFs now; up resets sriov_numvfs to 0 "
				  "and then %u, which removes the VFs in use",
				  i, bdfs[i], hp->num_vfs, pf->numvfs);
		a = new_action(pl);
		if (!a)
			return -ENOMEM;
		a->kind = PLAN_SET_NUMVFS;
		snprintf(a->bdf, sizeof(a->bdf), "%s", bdfs[i]);
		a->pf = pf;
		a->from = hp->num_vfs;
		a->to = pf->numvfs;
		snprintf(a->driver, sizeof(a->driver), "%s", hp->driver);
		a->numa_node = hp->numa_node;
		a->iommu_group = hp->iommu_group;
	}
	return 0;
}

struct group_walk {
	const char *self;
	const struct cfg_vm *vm; /* devices of this VM are fine group mates */
	char others[256];
};

static void iommu_group_mate(void *opaque, const char *bdf)
{
	struct group_walk *g = opaque;
	size_t o = strlen(g->others);
	char mine[13];

	if (!strcmp(bdf, g->self))
		return;
	for (size_t i = 0; g->vm && i < g->vm->ndevices; i++) {
		format_pci_bdf(&g->vm->devices[i].bdf, mine);
		if (!strcmp(mine, bdf))
			return;
	}
	snprintf(g->others + o, sizeof(g->others) - o, "%s%s", o ? ", " : "", bdf);
}

/* One passthrough (or DPDK) device: present, IOMMU group, NUMA node. */
static int bind_device(struct planner *pl, const char *bdf, struct cfg_mark m, const char *path,
		       const char *user, int want_node, const char *node_of,
		       const struct cfg_vm *vm, struct plan_action **out)
{
	struct plan_action *a;
	struct host_pci hp;

	*out = NULL;
	needs_iommu(pl, m);
	host_pci(pl->fs, bdf, &hp);
	if (!hp.present) {
		diag_err(pl->d, m, "%s: no PCI device %s on this host; check lspci", path, bdf);
		return 0;
	}
	a = new_action(pl);
	if (!a)
		return -ENOMEM;
	a->kind = PLAN_BIND_VFIO;
	snprintf(a->bdf, sizeof(a->bdf), "%s", bdf);
	snprintf(a->driver, sizeof(a->driver), "%s", hp.driver);
	snprintf(a->user, sizeof(a->user), "%s", user);
	a->numa_node = hp.numa_node;
	a->iommu_group = hp.iommu_group;
	if (hp.numa_node >= 0 && want_node >= 0 && hp.numa_node != want_node)
		diag_warn(pl->d, m,
			  "%s: %s is on NUMA node %d but %s on node %d; every packet and DMA "
			  "crosses the interconnect: use a device on node %d or move the %s",
			  path, bdf, hp.numa_node, node_of, want_node, want_node,
			  vm ? "VM (pin: and numa_node:)" : "PMD cores");
	if (pl->h->iommu_groups && hp.iommu_group < 0)
		diag_err(pl->d, m, "%s: %s has no IOMMU group; it cannot be passed through", path,
			 bdf);
	if (hp.iommu_group >= 0) {
		struct group_walk g = {.self = bdf, .vm = vm};

		host_iommu_group_devices(pl->fs, hp.iommu_group, iommu_group_mate, &g);
		if (g.others[0])
			diag_warn(pl->d, m,
				  "%s: IOMMU group %d of %s also holds %s; all devices of a group "
				  "go to the same VM or must be unbound from their drivers",
				  path, hp.iommu_group, bdf, g.others);
	}
	*out = a;
	return 0;
}

/* A VF: bound now if it exists, else up creates it first. */
static int bind_vf(struct planner *pl, const struct cfg_pf *pf, const char *pfbdf,
		   const struct host_pci *pfpci, unsigned index, struct cfg_mark m,
		   const char *path, const char *user, int want_node, const char *node_of,
		   const struct cfg_vm *vm, struct plan_action **out)
{
	char bdf[13];
	struct plan_action *a;
	int ret;

	*out = NULL;
	if (!pfbdf[0])
		return 0; /* the PF has already been reported */
	if (!host_vf_bdf(pl->fs, pfbdf, index, bdf) && pfpci->num_vfs == pf->numvfs) {
		ret = bind_device(pl, bdf, m, path, user, want_node, node_of, vm, &a);
		if (ret || !a)
			return ret;
	} else {
		needs_iommu(pl, m);
		a = new_action(pl);
		if (!a)
			return -ENOMEM;
		a->kind = PLAN_BIND_VFIO;
		snprintf(a->user, sizeof(a->user), "%s", user);
		a->numa_node = pfpci->numa_node;
		if (pfpci->numa_node >= 0 && want_node >= 0 && pfpci->numa_node != want_node)
			diag_warn(pl->d, m,
				  "%s: PF \"%s\" (%s) is on NUMA node %d but %s on node %d; use a "
				  "PF on node %d or move the %s",
				  path, pf->name, pfbdf, pfpci->numa_node, node_of, want_node,
				  want_node, vm ? "VM (pin: and numa_node:)" : "PMD cores");
	}
	a->pf = pf;
	a->is_vf = true;
	a->vf_index = index;
	*out = a;
	return 0;
}

static int build_devices(struct planner *pl)
{
	const struct appliance *app = pl->app;
	char(*bdfs)[13] = calloc(app->npfs + 1, sizeof(*bdfs));
	struct host_pci *pcis = calloc(app->npfs + 1, sizeof(*pcis));
	char path[96], user[80], bdf[13], node_of[96];
	struct plan_action *a;
	int ret = -ENOMEM;

	if (!bdfs || !pcis)
		goto out;
	ret = build_pfs(pl, bdfs, pcis);
	if (ret)
		goto out;
	snprintf(node_of, sizeof(node_of), "the switch's PMD cores are");
	for (size_t i = 0; i < app->sw.nports; i++) {
		const struct cfg_port *port = &app->sw.ports[i];
		int sn = app->sw.pmd_cores.n ? pl->h->cpu_node[app->sw.pmd_cores.cpu[0]] : -1;

		ret = 0;
		snprintf(user, sizeof(user), "switch port %s", port->name);
		if (port->type == CFG_PORT_PCI) {
			snprintf(path, sizeof(path), "switch.ports[%zu].pci", i);
			format_pci_bdf(&port->pci, bdf);
			ret = bind_device(pl, bdf, port->at[PORT_PCI], path, user, sn, node_of,
					  NULL, &a);
		} else if (port->type == CFG_PORT_VF) {
			const struct cfg_pf *pf = cfg_find_pf(app, port->pf);
			size_t pi = (size_t)(pf - app->pfs);

			snprintf(path, sizeof(path), "switch.ports[%zu]", i);
			ret = bind_vf(pl, pf, bdfs[pi], &pcis[pi], port->index, port->at[PORT_PF],
				      path, user, sn, node_of, NULL, &a);
		}
		if (ret)
			goto out;
	}
	for (size_t v = 0; v < app->nvms; v++) {
		const struct cfg_vm *vm = &app->vms[v];
		int vn = vm_node(pl, vm);

		snprintf(user, sizeof(user), "VM %s", vm->name);
		snprintf(node_of, sizeof(node_of), "VM \"%s\" is", vm->name);
		for (size_t k = 0; k < vm->nnics; k++) {
			const struct cfg_nic *nic = &vm->nics[k];
			const struct cfg_pf *pf;
			size_t pi;

			if (nic->kind != CFG_NIC_VF)
				continue;
			pf = cfg_find_pf(app, nic->vf.pf);
			pi = (size_t)(pf - app->pfs);
			snprintf(path, sizeof(path), "vms[%zu].nics[%zu].vf", v, k);
			ret = bind_vf(pl, pf, bdfs[pi], &pcis[pi], nic->vf.index, nic->at[NIC_VF],
				      path, user, vn, node_of, vm, &a);
			if (ret)
				goto out;
			if (a)
				a->nic = nic;
		}
		for (size_t k = 0; k < vm->ndevices; k++) {
			const struct cfg_device *dev = &vm->devices[k];

			snprintf(path, sizeof(path), "vms[%zu].devices[%zu].%s", v, k,
				 cfg_dev_kind_name(dev->kind));
			format_pci_bdf(&dev->bdf, bdf);
			ret = bind_device(pl, bdf, dev->mark, path, user, vn, node_of, vm, &a);
			if (ret)
				goto out;
			if (a)
				a->dev = dev;
		}
	}
	if (pl->p->needs_iommu && !pl->h->iommu_groups)
		diag_err(
		    pl->d, pl->first_passthrough,
		    "passthrough unavailable: the IOMMU is off (/sys/kernel/iommu_groups is "
		    "empty); enable VT-d or AMD-Vi in the firmware and boot with intel_iommu=on "
		    "or amd_iommu=on, plus iommu=pt");
	ret = 0;
out:
	free(bdfs);
	free(pcis);
	return ret;
}

/* ---- files ---- */

static void check_file(struct planner *pl, const char *file, struct cfg_mark m, size_t v,
		       const char *key)
{
	if (!file || !access(file, R_OK))
		return;
	diag_err(pl->d, m,
		 "vms[%zu].%s: cannot read \"%s\": %s; build it or fix the path "
		 "(relative paths start at the current directory)",
		 v, key, file, strerror(errno));
}

/* Files up creates (serial logs, vhost-user sockets) need an existing
 * directory, unless it is the appliance's own run directory, which up makes. */
static void check_dir(struct planner *pl, const char *file, struct cfg_mark m, const char *path)
{
	char own[CFG_NAME_MAX + 32], *dir;
	struct stat st;
	const char *slash;

	if (!file)
		return;
	snprintf(own, sizeof(own), "%s/%s/", CFG_RUN_DIR, pl->app->name);
	if (!strncmp(file, own, strlen(own)))
		return;
	slash = strrchr(file, '/');
	if (!slash)
		return; /* the current directory */
	dir = strndup(file, slash == file ? 1 : (size_t)(slash - file));
	if (!dir)
		return;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		diag_err(pl->d, m,
			 "%s: directory \"%s\" does not exist; create it or use another path", path,
			 dir);
	else if (access(dir, W_OK))
		diag_err(pl->d, m, "%s: directory \"%s\" is not writable: %s", path, dir,
			 strerror(errno));
	free(dir);
}

/* ---- jails ---- */

/* A jailed VM: its user exists and is not root; up can create its jail
 * directory (jail.dir exists or its parent does, and <dir>/<vm> does not). */
static void check_jail(struct planner *pl, size_t v)
{
	const struct cfg_vm *vm = &pl->app->vms[v];
	const struct cfg_jail *j = &vm->jail;
	struct plan_jail *pj = &pl->p->jail[v];
	char own[CFG_NAME_MAX + 32], jdir[PATH_MAX], *parent;
	unsigned uid = 0, gid = 0;
	struct stat st;
	int err, ret;

	if (!j->enabled || !j->dir)
		return;
	if (j->user) {
		ret = parse_user(j->user, &uid, &gid, &err);
		if (ret == -ENOENT) {
			diag_err(pl->d, j->at[JAIL_USER],
				 "vms[%zu].jail.user: no user \"%s\" on this host%s%s; create it "
				 "(useradd --system --no-create-home --shell /usr/sbin/nologin %s) "
				 "or give uid: and gid:",
				 v, j->user, err ? ": " : "", err ? strerror(err) : "", j->user);
			return;
		}
		if (ret) {
			diag_err(pl->d, j->at[JAIL_USER],
				 "vms[%zu].jail.user: \"%s\" has uid %u gid %u; the jail needs an "
				 "unprivileged user and group (not 0)",
				 v, j->user, uid, gid);
			return;
		}
		*pj = (struct plan_jail){true, uid, gid};
	} else {
		*pj = (struct plan_jail){true, j->uid, j->gid};
	}
	snprintf(own, sizeof(own), "%s/%s/", CFG_RUN_DIR, pl->app->name);
	if (!strncmp(j->dir, own, strlen(own)))
		return; /* inside the state directory, which up creates */
	cfg_jail_path(vm, jdir, sizeof(jdir));
	if (!lstat(jdir, &st)) {
		diag_err(pl->d, j->at[JAIL_DIR],
			 "vms[%zu].jail.dir: \"%s\" exists already; up creates a new, empty "
			 "jail directory per VM: remove it (a crashed appliance's?) or use another "
			 "dir:",
			 v, jdir);
		return;
	}
	if (!stat(j->dir, &st)) {
		if (!S_ISDIR(st.st_mode))
			diag_err(pl->d, j->at[JAIL_DIR],
				 "vms[%zu].jail.dir: \"%s\" is not a directory", v, j->dir);
		return;
	}
	parent = strndup(j->dir, (size_t)(strrchr(j->dir, '/') - j->dir));
	if (!parent)
		return;
	if (parent[0] && (stat(parent, &st) || !S_ISDIR(st.st_mode)))
		diag_err(pl->d, j->at[JAIL_DIR],
			 "vms[%zu].jail.dir: neither \"%s\" nor its parent \"%s\" exists; up "
			 "creates one level: create the parent or use another dir:",
			 v, j->dir, parent);
	free(parent);
}

/* ---- entry ---- */

int plan_build(const struct appliance *app, struct sysfs *fs, struct diag_list *d,
	       struct plan **out)
{
	struct planner pl = {.app = app, .fs = fs, .d = d};
	char path[64];
	struct plan *p;
	int ret = -ENOMEM;
	size_t o = 0;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	pl.h = calloc(1, sizeof(*pl.h));
	if (!p || !pl.h)
		goto err;
	pl.p = p;
	p->app = app;
	snprintf(p->root, sizeof(p->root), "%s", sysfs_root(fs)[0] ? sysfs_root(fs) : "/");
	ret = host_read(fs, pl.h);
	if (ret)
		goto err;
	p->iommu_groups = pl.h->iommu_groups;
	host_format_mask(&pl.h->present, pl.cpus_str, sizeof(pl.cpus_str));
	for (int n = 0; n < CFG_MAX_NUMA; n++)
		if (pl.h->node[n].present)
			o += (size_t)snprintf(pl.nodes_str + o, sizeof(pl.nodes_str) - o, "%s%d",
					      o ? "," : "", n);
	ret = build_cpus(&pl);
	if (ret)
		goto err;
	check_isolation(&pl);
	for (size_t v = 0; v < app->nvms; v++) {
		check_vm_numa(&pl, v);
		check_file(&pl, app->vms[v].kernel, app->vms[v].at[VM_KERNEL], v, "kernel");
		check_file(&pl, app->vms[v].initrd, app->vms[v].at[VM_INITRD], v, "initrd");
		snprintf(path, sizeof(path), "vms[%zu].serial", v);
		check_dir(&pl, app->vms[v].serial, app->vms[v].at[VM_SERIAL], path);
		check_jail(&pl, v);
	}
	for (size_t i = 0; i < app->sw.nports; i++) {
		snprintf(path, sizeof(path), "switch.ports[%zu].path", i);
		check_dir(&pl, app->sw.ports[i].path, app->sw.ports[i].at[PORT_PATH], path);
	}
	build_hugepages(&pl);
	ret = build_devices(&pl);
	if (ret)
		goto err;
	free(pl.h);
	diag_sort(d);
	*out = p;
	return 0;
err:
	free(pl.h);
	plan_free(p);
	return ret;
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->ncpus; i++)
		free(p->cpus[i].uses);
	free(p->cpus);
	free(p->actions);
	free(p);
}
