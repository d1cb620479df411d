/* SPDX-License-Identifier: MIT */
/* A plan as text for people and as JSON for programs. */
#include "config/plan.h"

#include "config/launch.h"

#include <json-c/json.h>
#include <limits.h>
#include <string.h>

static void use_text(const struct plan_use *u, char *out, size_t len)
{
	switch (u->kind) {
	case PLAN_USE_PMD:
		snprintf(out, len, "switch PMD");
		break;
	case PLAN_USE_VCPU:
		snprintf(out, len, "%s vCPU%u", u->vm, u->vcpu);
		break;
	case PLAN_USE_EMULATOR:
		snprintf(out, len, "%s emulator", u->vm);
		break;
	}
}

static void vf_settings(const struct cfg_nic *nic, char *out, size_t len)
{
	char mac[18];

	format_mac(nic->mac, mac);
	snprintf(out, len, ", mac %s, vlan %u, spoofchk %s, trust %s, rate %s%.0u%s", mac,
		 nic->vf.vlan, nic->vf.spoofchk ? "on" : "off", nic->vf.trust ? "on" : "off",
		 nic->vf.rate_mbps ? "" : "unlimited", nic->vf.rate_mbps,
		 nic->vf.rate_mbps ? " Mbps" : "");
}

static void print_cores(const struct plan *p, FILE *f)
{
	char u[96], node[16];

	fprintf(f, "cores (%s):\n", p->app->host.dedicated.n ? "dedicated" : "shared mode");
	for (size_t i = 0; i < p->ncpus; i++) {
		const struct plan_cpu *c = &p->cpus[i];

		if (c->node >= 0)
			snprintf(node, sizeof(node), "%d", c->node);
		else
			snprintf(node, sizeof(node), "?");
		fprintf(f, "  cpu %-3d node %-2s %-8s %-10s", c->cpu, node,
			!c->exists  ? "missing"
			: c->online ? "online"
				    : "offline",
			c->dedicated ? (c->isolated ? "dedicated" : "dedicated*") : "host");
		if (!c->nuses)
			fprintf(f, " %s", c->dedicated ? "idle" : "-");
		for (size_t k = 0; k < c->nuses; k++) {
			use_text(&c->uses[k], u, sizeof(u));
			fprintf(f, "%s %s", k ? "," : "", u);
		}
		fputc('\n', f);
	}
	if (p->app->host.dedicated.n)
		fprintf(f, "  (* not in isolcpus)\n");
	for (size_t v = 0; v < p->app->nvms; v++)
		if (!p->app->vms[v].pin.n)
			fprintf(f, "  VM %s: %u vCPU%s floating over the host's CPUs\n",
				p->app->vms[v].name, p->app->vms[v].vcpus,
				p->app->vms[v].vcpus == 1 ? "" : "s");
}

/* Builds command I of the appliance (0: the switch if any, then the VMs);
 * returns 1 past the end, 0 or -errno. */
static int process(const struct plan *p, size_t i, struct launch_cmd *c)
{
	const struct appliance *app = p->app;

	if (app->sw.present) {
		if (i == 0)
			return launch_switch(app, p, LAUNCH_SWITCH_BIN, c);
		i--;
	}
	if (i >= app->nvms)
		return 1;
	return launch_vm(app, i, p, LAUNCH_VMM_BIN, c);
}

static void print_jails(const struct plan *p, FILE *f)
{
	const struct appliance *app = p->app;
	char dir[PATH_MAX];
	bool any = false;

	for (size_t v = 0; v < app->nvms; v++) {
		const struct cfg_vm *vm = &app->vms[v];

		if (!vm->jail.enabled)
			continue;
		if (!any)
			fprintf(f, "jails (own mount namespace, no capabilities):\n");
		any = true;
		cfg_jail_path(vm, dir, sizeof(dir));
		fprintf(f, "  VM %s: %s as ", vm->name, dir);
		if (vm->jail.user)
			fprintf(f, "user %s", vm->jail.user);
		if (p->jail[v].on)
			fprintf(f, "%suid %u gid %u%s", vm->jail.user ? " (" : "", p->jail[v].uid,
				p->jail[v].gid, vm->jail.user ? ")" : "");
		fputc('\n', f);
	}
	for (size_t v = 0; any && v < app->nvms; v++)
		if (!app->vms[v].jail.enabled)
			fprintf(f, "  VM %s: not jailed (jail: {enabled: false})\n",
				app->vms[v].name);
}

static void print_processes(const struct plan *p, FILE *f)
{
	struct launch_cmd c = {.argv = NULL};
	int ret;

	fprintf(f, "processes:\n");
	for (size_t i = 0; (ret = process(p, i, &c)) != 1; i++) {
		if (ret) {
			fprintf(f, "  (cannot build command %zu: %s)\n", i, strerror(-ret));
			continue;
		}
		fprintf(f, "  %s: ", c.name);
		launch_cmd_print(&c, f);
		launch_cmd_release(&c);
	}
}

void plan_print(const struct plan *p, FILE *f)
{
	char s[160];

	fprintf(f, "appliance \"%s\" (%s) on this host (sysfs root %s)\n", p->app->name,
		p->app->file, p->root);
	print_cores(p, f);
	if (p->hp_size == CFG_HP_NONE) {
		fprintf(f, "hugepages: none reserved (host.hugepages not set)\n");
	} else {
		fprintf(f, "hugepages (%s, reservation %u):\n", cfg_hp_name(p->hp_size),
			p->app->host.hp_count);
		for (size_t i = 0; i < p->nhp; i++) {
			const struct plan_hugepages *h = &p->hp[i];

			if (!h->supported) {
				fprintf(f, "  node %d: need %u, no %s pages on this node\n",
					h->node, h->needed, cfg_hp_name(p->hp_size));
				continue;
			}
			fprintf(f, "  node %d: need %u, free %u of %u", h->node, h->needed, h->free,
				h->total);
			if (h->add)
				fprintf(f, " -> up adds %u (nr_hugepages %u -> %u)", h->add,
					h->total, h->total + h->add);
			else if (h->needed)
				fprintf(f, " -> enough");
			fputc('\n', f);
		}
	}
	fprintf(f, "devices:%s\n", p->nactions ? "" : " none");
	for (size_t i = 0; i < p->nactions; i++) {
		const struct plan_action *a = &p->actions[i];

		if (a->kind == PLAN_SET_NUMVFS) {
			fprintf(f, "  PF %s %s (driver %s, node %d): sriov_numvfs %u -> %u\n",
				a->pf->name, a->bdf, a->driver[0] ? a->driver : "none",
				a->numa_node, a->from, a->to);
			continue;
		}
		s[0] = '\0';
		if (a->nic)
			vf_settings(a->nic, s, sizeof(s));
		if (a->is_vf)
			fprintf(f, "  VF %u of PF %s %s", a->vf_index, a->pf->name,
				a->bdf[0] ? a->bdf : "(created by up)");
		else
			fprintf(f, "  %s %s", a->dev ? cfg_dev_kind_name(a->dev->kind) : "pci",
				a->bdf);
		if (a->is_vf && !a->bdf[0])
			fprintf(f, ": -> vfio-pci, for %s%s", a->user, s);
		else
			fprintf(f, ": driver %s -> vfio-pci, for %s%s",
				a->driver[0] ? a->driver : "none", a->user, s);
		if (a->iommu_group >= 0)
			fprintf(f, ", IOMMU group %d", a->iommu_group);
		fputc('\n', f);
	}
	print_jails(p, f);
	print_processes(p, f);
	if (p->iommu_groups)
		fprintf(f, "iommu: on (%u groups)\n", p->iommu_groups);
	else
		fprintf(f, "iommu: off (no groups in /sys/kernel/iommu_groups): passthrough %s\n",
			p->needs_iommu ? "unavailable" : "not needed");
}

static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static struct json_object *cores_json(const struct plan *p)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < p->ncpus; i++) {
		const struct plan_cpu *c = &p->cpus[i];
		struct json_object *o = json_object_new_object(), *uses = json_object_new_array();

		add(o, "cpu", json_object_new_int(c->cpu));
		add(o, "node", c->node >= 0 ? json_object_new_int(c->node) : NULL);
		add(o, "exists", json_object_new_boolean(c->exists));
		add(o, "online", json_object_new_boolean(c->online));
		add(o, "dedicated", json_object_new_boolean(c->dedicated));
		add(o, "isolated", json_object_new_boolean(c->isolated));
		add(o, "nohz_full", json_object_new_boolean(c->nohz_full));
		for (size_t k = 0; k < c->nuses; k++) {
			static const char *const kinds[] = {"pmd", "vcpu", "emulator"};
			struct json_object *u = json_object_new_object();

			add(u, "kind", json_object_new_string(kinds[c->uses[k].kind]));
			if (c->uses[k].vm)
				add(u, "vm", json_object_new_string(c->uses[k].vm));
			if (c->uses[k].kind == PLAN_USE_VCPU)
				add(u, "vcpu", json_object_new_int((int)c->uses[k].vcpu));
			json_object_array_add(uses, u);
		}
		add(o, "uses", uses);
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *actions_json(const struct plan *p)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < p->nactions; i++) {
		const struct plan_action *a = &p->actions[i];
		struct json_object *o = json_object_new_object();
		char mac[18];

		add(o, "action",
		    json_object_new_string(a->kind == PLAN_SET_NUMVFS ? "set_numvfs"
								      : "bind_vfio"));
		add(o, "bdf", a->bdf[0] ? json_object_new_string(a->bdf) : NULL);
		if (a->pf)
			add(o, "pf", json_object_new_string(a->pf->name));
		if (a->kind == PLAN_SET_NUMVFS) {
			add(o, "from", json_object_new_int((int)a->from));
			add(o, "to", json_object_new_int((int)a->to));
		} else {
			add(o, "user", json_object_new_string(a->user));
			if (a->is_vf)
				add(o, "vf", json_object_new_int((int)a->vf_index));
			if (a->dev)
				add(o, "kind",
				    json_object_new_string(cfg_dev_kind_name(a->dev->kind)));
		}
		if (a->nic) {
			format_mac(a->nic->mac, mac);
			add(o, "mac", json_object_new_string(mac));
			add(o, "vlan", json_object_new_int((int)a->nic->vf.vlan));
			add(o, "spoofchk", json_object_new_boolean(a->nic->vf.spoofchk));
			add(o, "trust", json_object_new_boolean(a->nic->vf.trust));
			add(o, "rate_mbps", json_object_new_int((int)a->nic->vf.rate_mbps));
		}
		add(o, "driver", a->driver[0] ? json_object_new_string(a->driver) : NULL);
		add(o, "numa_node", a->numa_node >= 0 ? json_object_new_int(a->numa_node) : NULL);
		add(o, "iommu_group",
		    a->iommu_group >= 0 ? json_object_new_int(a->iommu_group) : NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *jails_json(const struct plan *p)
{
	struct json_object *arr = json_object_new_array();
	char dir[PATH_MAX];

	for (size_t v = 0; v < p->app->nvms; v++) {
		const struct cfg_vm *vm = &p->app->vms[v];
		struct json_object *o = json_object_new_object();

		add(o, "vm", json_object_new_string(vm->name));
		add(o, "enabled", json_object_new_boolean(vm->jail.enabled));
		if (vm->jail.enabled) {
			cfg_jail_path(vm, dir, sizeof(dir));
			add(o, "dir", json_object_new_string(dir));
			add(o, "user",
			    vm->jail.user ? json_object_new_string(vm->jail.user) : NULL);
			add(o, "uid", p->jail[v].on ? json_object_new_int64(p->jail[v].uid) : NULL);
			add(o, "gid", p->jail[v].on ? json_object_new_int64(p->jail[v].gid) : NULL);
		}
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *processes_json(const struct plan *p)
{
	struct json_object *arr = json_object_new_array();
	struct launch_cmd c = {.argv = NULL};
	int ret;

	for (size_t i = 0; (ret = process(p, i, &c)) != 1; i++) {
		struct json_object *o, *argv;

		if (ret)
			continue;
		o = json_object_new_object();
		argv = json_object_new_array();
		add(o, "name", json_object_new_string(c.name));
		for (size_t k = 0; k < c.argc; k++)
			json_object_array_add(argv, json_object_new_string(c.argv[k]));
		add(o, "argv", argv);
		json_object_array_add(arr, o);
		launch_cmd_release(&c);
	}
	return arr;
}

struct json_object *plan_json(const struct plan *p, const struct diag_list *d)
{
	struct json_object *o = json_object_new_object(), *hp = json_object_new_array(),
			   *diags = json_object_new_array(), *iommu = json_object_new_object();
	size_t warnings = 0;

	if (!o || !hp || !diags || !iommu) {
		json_object_put(o);
		json_object_put(hp);
		json_object_put(diags);
		json_object_put(iommu);
		return NULL;
	}
	add(o, "appliance", json_object_new_string(p->app->name));
	add(o, "file", json_object_new_string(p->app->file));
	add(o, "sysfs_root", json_object_new_string(p->root));
	add(o, "cores", cores_json(p));
	add(o, "hugepage_size",
	    p->hp_size == CFG_HP_NONE ? NULL : json_object_new_string(cfg_hp_name(p->hp_size)));
	for (size_t i = 0; i < p->nhp; i++) {
		struct json_object *h = json_object_new_object();

		add(h, "node", json_object_new_int(p->hp[i].node));
		add(h, "supported", json_object_new_boolean(p->hp[i].supported));
		add(h, "needed", json_object_new_int((int)p->hp[i].needed));
		add(h, "free", json_object_new_int((int)p->hp[i].free));
		add(h, "total", json_object_new_int((int)p->hp[i].total));
		add(h, "add", json_object_new_int((int)p->hp[i].add));
		json_object_array_add(hp, h);
	}
	add(o, "hugepages", hp);
	add(o, "actions", actions_json(p));
	add(iommu, "enabled", json_object_new_boolean(p->iommu_groups > 0));
	add(iommu, "groups", json_object_new_int((int)p->iommu_groups));
	add(iommu, "needed", json_object_new_boolean(p->needs_iommu));
	add(o, "iommu", iommu);
	add(o, "jails", jails_json(p));
	add(o, "processes", processes_json(p));
	for (size_t i = 0; i < d->n; i++) {
		struct json_object *g = json_object_new_object();

		warnings += d->v[i].severity == DIAG_WARNING;
		add(g, "severity",
		    json_object_new_string(d->v[i].severity == DIAG_WARNING ? "warning" : "error"));
		add(g, "line", json_object_new_int((int)d->v[i].mark.line));
		add(g, "col", json_object_new_int((int)d->v[i].mark.col));
		add(g, "message", json_object_new_string(d->v[i].msg));
		json_object_array_add(diags, g);
	}
	add(o, "diagnostics", diags);
	add(o, "errors", json_object_new_int((int)d->nerrors));
	add(o, "warnings", json_object_new_int((int)warnings));
	add(o, "ok", json_object_new_boolean(d->nerrors == 0));
	return o;
}
