/* SPDX-License-Identifier: MIT */
#include "config/conflict.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/schema.h"

/* Who keeps a CPU busy in an appliance: a PMD thread or a vCPU. */
struct busy {
	const char *vm; /* NULL: PMD */
	unsigned vcpu;
	bool set;
};

static void busy_map(const struct appliance *app, struct busy *map)
{
	for (size_t i = 0; i < app->sw.pmd_cores.n; i++)
		map[app->sw.pmd_cores.cpu[i]] = (struct busy){NULL, 0, true};
	for (size_t v = 0; v < app->nvms; v++)
		for (size_t i = 0; i < app->vms[v].pin.n; i++)
			map[app->vms[v].pin.cpu[i]] =
			    (struct busy){app->vms[v].name, (unsigned)i, true};
}

static void check_cpus(const struct appliance *app, const struct appliance *other,
		       const struct busy *theirs, const struct cfg_cpus *cpus, struct cfg_mark m,
		       const char *path, struct diag_list *d)
{
	bool strict = app->host.dedicated.n || other->host.dedicated.n;

	for (size_t i = 0; i < cpus->n; i++) {
		const struct busy *b = &theirs[cpus->cpu[i]];
		char who[96];

		if (!b->set)
			continue;
		if (b->vm)
			snprintf(who, sizeof(who), "vCPU %u of VM \"%s\"", b->vcpu, b->vm);
		else
			snprintf(who, sizeof(who), "a switch PMD thread");
		diag_add(d, strict ? DIAG_ERROR : DIAG_WARNING, cfg_cpu_mark(cpus, i, m),
			 "%s: CPU %d already runs %s of running appliance \"%s\"; pick another CPU "
			 "or take \"%s\" down",
			 path, cpus->cpu[i], who, other->name, other->name);
	}
}

/* "iface=NAME" of a vdev string, into OUT ("" when absent). */
static void vdev_iface(const char *dev, char *out, size_t len)
{
	const char *p = dev ? strstr(dev, "iface=") : NULL;

	out[0] = '\0';
	if (p && (p == dev || p[-1] == ','))
		snprintf(out, len, "%.*s", (int)strcspn(p + 6, ","), p + 6);
}

/* Every PCI function OTHER owns: PFs, pci ports, VM devices. */
static const char *other_owns_bdf(const struct appliance *other, const struct pci_bdf *bdf)
{
	for (size_t i = 0; i < other->npfs; i++)
		if (other->pfs[i].at[PF_PCI].line && pci_bdf_equal(&other->pfs[i].pci, bdf))
			return "a PF";
	for (size_t i = 0; i < other->sw.nports; i++)
		if (other->sw.ports[i].type == CFG_PORT_PCI &&
		    pci_bdf_equal(&other->sw.ports[i].pci, bdf))
			return "a switch port";
	for (size_t v = 0; v < other->nvms; v++)
		for (size_t k = 0; k < other->vms[v].ndevices; k++)
			if (pci_bdf_equal(&other->vms[v].devices[k].bdf, bdf))
				return "a VM's device";
	return NULL;
}

static void check_bdf(const struct appliance *other, const struct pci_bdf *bdf, struct cfg_mark m,
		      const char *path, struct diag_list *d)
{
	const char *what = other_owns_bdf(other, bdf);
	char s[13];

	if (!what)
		return;
	format_pci_bdf(bdf, s);
	diag_err(d, m, "%s: %s is %s of running appliance \"%s\"; a PCI function has one user",
		 path, s, what, other->name);
}

void appliance_conflicts(const struct appliance *app, const struct appliance *other,
			 struct diag_list *d)
{
	struct busy *theirs = calloc(CPUSET_MAX, sizeof(*theirs));
	char path[96], a[64], b[64];

	if (!theirs) {
		d->oom = true;
		return;
	}
	busy_map(other, theirs);
	check_cpus(app, other, theirs, &app->sw.pmd_cores, app->sw.at[SW_PMD_CORES],
		   "switch.pmd_cores", d);
	for (size_t v = 0; v < app->nvms; v++) {
		snprintf(path, sizeof(path), "vms[%zu].pin", v);
		check_cpus(app, other, theirs, &app->vms[v].pin, app->vms[v].at[VM_PIN], path, d);
	}
	free(theirs);

	for (size_t i = 0; i < app->sw.nports; i++) {
		const struct cfg_port *p = &app->sw.ports[i];

		for (size_t j = 0; j < other->sw.nports; j++) {
			const struct cfg_port *q = &other->sw.ports[j];

			if (p->type == CFG_PORT_VHOST_USER && q->type == CFG_PORT_VHOST_USER &&
			    !strcmp(p->path, q->path))
				diag_err(
				    d, p->at[PORT_PATH],
				    "switch.ports[%zu].path: socket %s belongs to port \"%s\" of "
				    "running appliance \"%s\"; use another path",
				    i, p->path, q->name, other->name);
			if (p->type != CFG_PORT_VDEV || q->type != CFG_PORT_VDEV)
				continue;
			vdev_iface(p->dev, a, sizeof(a));
			vdev_iface(q->dev, b, sizeof(b));
			if (a[0] && !strcmp(a, b))
				diag_err(
				    d, p->at[PORT_DEV],
				    "switch.ports[%zu].dev: interface %s belongs to port \"%s\" "
				    "of running appliance \"%s\"; use another iface=",
				    i, a, q->name, other->name);
		}
		if (p->type == CFG_PORT_PCI) {
			snprintf(path, sizeof(path), "switch.ports[%zu].pci", i);
			check_bdf(other, &p->pci, p->at[PORT_PCI], path, d);
		}
	}
	for (size_t i = 0; i < app->npfs; i++) {
		const struct cfg_pf *pf = &app->pfs[i];

		snprintf(path, sizeof(path), "pfs[%zu]", i);
		if (pf->at[PF_PCI].line) {
			check_bdf(other, &pf->pci, pf->at[PF_PCI], path, d);
			continue;
		}
		for (size_t j = 0; j < other->npfs; j++)
			if (other->pfs[j].netdev && !strcmp(other->pfs[j].netdev, pf->netdev))
				diag_err(
				    d, pf->at[PF_NETDEV],
				    "%s: PF %s is managed by running appliance \"%s\" (PF \"%s\"); "
				    "two appliances cannot both set its VFs",
				    path, pf->netdev, other->name, other->pfs[j].name);
	}
	for (size_t v = 0; v < app->nvms; v++)
		for (size_t k = 0; k < app->vms[v].ndevices; k++) {
			const struct cfg_device *dev = &app->vms[v].devices[k];

			snprintf(path, sizeof(path), "vms[%zu].devices[%zu].%s", v, k,
				 cfg_dev_kind_name(dev->kind));
			check_bdf(other, &dev->bdf, dev->mark, path, d);
		}
}

static int not_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

int appliance_check_running(const struct appliance *app, const char *run_dir, struct diag_list *d)
{
	const char *dir = run_dir ? run_dir : CFG_RUN_DIR;
	struct dirent **list;
	struct stat st;
	int n = 0, count;

	/* Sorted, so the report does not depend on directory order. */
	count = scandir(dir, &list, not_dot, alphasort);
	if (count < 0)
		return errno == ENOENT ? 0 : -errno;
	for (int i = 0; i < count; i++) {
		const char *name = list[i]->d_name;
		struct appliance *other = NULL;
		struct diag_list od;
		char *file;

		if (asprintf(&file, "%s/%s/%s", dir, name, CFG_STATE_FILE) < 0) {
			n = -ENOMEM;
			break;
		}
		if (stat(file, &st)) {
			free(file);
			continue; /* not an appliance's state directory */
		}
		n++;
		if (!strcmp(name, app->name))
			diag_err(d, app->at[APP_NAME],
				 "name: appliance \"%s\" is already up (state in %s/%s); take it "
				 "down first (nfvisor down %s) or rename this one",
				 app->name, dir, name, app->name);
		diag_init(&od);
		if (appliance_load(file, &od, &other))
			diag_warn(
			    d, (struct cfg_mark){0, 0},
			    "running appliance state %s does not load (%zu error%s); it is not "
			    "checked for collisions",
			    file, od.nerrors, od.nerrors == 1 ? "" : "s");
		else if (strcmp(name, app->name))
			appliance_conflicts(app, other, d);
		appliance_free(other);
		diag_free(&od);
		free(file);
	}
	for (int i = 0; i < count; i++)
		free(list[i]);
	free(list);
	diag_sort(d);
	return n;
}
