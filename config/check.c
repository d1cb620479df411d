/* SPDX-License-Identifier: MIT */
/* Semantic checks of a parsed appliance: cross references, core and memory
 * budgets, uniqueness. Also applies defaults: and fills effective values.
 * Values that failed to parse (cfg_ok() false) are skipped, so one mistake
 * gives one message. */
#include "config/schema.h"

#include <stdlib.h>
#include <string.h>

#define BIT(n)		(1u << (n))
#define PORT_COMMON	(BIT(PORT_NAME) | BIT(PORT_TYPE) | BIT(PORT_VLAN) | BIT(PORT_MAC_LIMIT))
#define DEFAULT_MEMORY	(128ull << 20)
#define DEFAULT_SW_MEM	(128ull << 20)
#define DEFAULT_AGING	300
#define DEFAULT_FDB	4096
#define SOCKET_PATH_MAX 107 /* sun_path holds 108 bytes with the NUL */

/* Which keys each port type takes, which it needs, and how to say so. */
static const struct {
	unsigned allowed, required;
	const char *takes;
} port_rules[] = {
    [CFG_PORT_VHOST_USER] = {BIT(PORT_PATH) | BIT(PORT_MODE) | BIT(PORT_QUEUES), 0,
			     "path:, mode: and queues:"},
    [CFG_PORT_VDEV] = {BIT(PORT_DEV), BIT(PORT_DEV), "dev: (a DPDK vdev string)"},
    [CFG_PORT_PCI] = {BIT(PORT_PCI) | BIT(PORT_QUEUES), BIT(PORT_PCI),
		      "pci: (the NIC's PCI address) and queues:"},
    [CFG_PORT_VF] = {BIT(PORT_PF) | BIT(PORT_INDEX) | BIT(PORT_QUEUES),
		     BIT(PORT_PF) | BIT(PORT_INDEX), "pf:, index: and queues:"},
};

/* Who uses a host CPU. */
enum cpu_use { USE_NONE, USE_PMD, USE_VCPU, USE_EMU };
struct cpu_owner {
	enum cpu_use use;
	size_t vm;
	size_t vcpu;
};

struct checker {
	struct appliance *app;
	struct diag_list *d;
	bool dedicated;
	uint64_t dedset[CPUSET_MAX / 64];
	struct cpu_owner cpu[CPUSET_MAX];
	char dedstr[256];
};

static struct cfg_mark at_or(struct cfg_mark m, struct cfg_mark fallback)
{
	return m.line ? m : fallback;
}

void cfg_format_cpus(const struct cfg_cpus *cpus, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < cpus->n && o < len; i++) {
		size_t j = i;

		while (j + 1 < cpus->n && cpus->cpu[j + 1] == cpus->cpu[j] + 1)
			j++;
		if (j >= i + 2) {
			o += (size_t)snprintf(out + o, len - o, "%s%d-%d", o ? "," : "",
					      cpus->cpu[i], cpus->cpu[j]);
			i = j;
		} else {
			o += (size_t)snprintf(out + o, len - o, "%s%d", o ? "," : "", cpus->cpu[i]);
		}
	}
}

static bool cpus_dup(struct cfg_cpus *dst, const struct cfg_cpus *src)
{
	dst->cpu = NULL;
	dst->col = NULL;
	dst->n = 0;
	if (!src->n)
		return true;
	dst->cpu = malloc(src->n * sizeof(int));
	dst->col = malloc(src->n * sizeof(unsigned));
	if (!dst->cpu || !dst->col)
		return false;
	memcpy(dst->cpu, src->cpu, src->n * sizeof(int));
	memcpy(dst->col, src->col, src->n * sizeof(unsigned));
	dst->n = src->n;
	return true;
}

/* ---- defaults ---- */

static bool apply_field(struct cfg_vm *vm, const struct cfg_vm *def, const struct field *f)
{
	void *dst = (char *)vm + f->off;
	const void *src = (const char *)def + f->off;

	switch (f->kind) {
	case F_STR:
		*(char **)dst = strdup(*(char *const *)src);
		return *(char **)dst != NULL;
	case F_CPUS:
		return cpus_dup(dst, src);
	case F_UINT:
	case F_ENUM:
		memcpy(dst, src, sizeof(unsigned));
		return true;
	case F_SIZE:
		memcpy(dst, src, sizeof(uint64_t));
		return true;
	default:
		return true; /* no other kinds are allowed under defaults: */
	}
}

static void apply_defaults(struct checker *c, const struct cfg_vm *def)
{
	for (size_t i = 0; i < c->app->nvms; i++) {
		struct cfg_vm *vm = &c->app->vms[i];

		for (size_t j = 0; j < vm_table.n; j++) {
			const struct field *f = &vm_table.f[j];

			/* jail: merges key by key (config/jail.c). */
			if (f->idx == VM_JAIL) {
				if (!cfg_ok(def->at[VM_JAIL]) ||
				    (vm->at[VM_JAIL].line && !cfg_ok(vm->at[VM_JAIL])))
					continue;
				if (!cfg_jail_merge(&vm->jail, &def->jail))
					c->d->oom = true;
				if (!vm->at[VM_JAIL].line)
					vm->at[VM_JAIL] = def->at[VM_JAIL];
				continue;
			}
			if (!f->in_defaults || vm->at[f->idx].line || !cfg_ok(def->at[f->idx]))
				continue;
			if (!apply_field(vm, def, f)) {
				c->d->oom = true;
				continue;
			}
			vm->at[f->idx] = def->at[f->idx];
		}
	}
}

/* Built-in defaults. A filled value gets the mark of its owner so the dump
 * spells it out; values that were written but invalid stay untouched. */
static void fill(struct cfg_mark *at, unsigned idx, struct cfg_mark owner)
{
	at[idx] = owner;
}

static void fill_vm(struct checker *c, struct cfg_vm *vm)
{
	const struct appliance *app = c->app;

	if (!vm->at[VM_VCPUS].line) {
		vm->vcpus = vm->pin.n ? (unsigned)vm->pin.n : 1;
		fill(vm->at, VM_VCPUS, vm->mark);
	}
	if (!vm->at[VM_MEMORY].line) {
		vm->memory = DEFAULT_MEMORY;
		fill(vm->at, VM_MEMORY, vm->mark);
	}
	if (!vm->at[VM_HUGEPAGES].line) {
		vm->hugepages = cfg_ok(app->host.hp_at[HP_SIZE]) ? app->host.hp_size : CFG_HP_NONE;
		fill(vm->at, VM_HUGEPAGES, vm->mark);
	}
	if (!vm->at[VM_RESTART].line) {
		vm->restart = CFG_RESTART_ON_FAILURE;
		fill(vm->at, VM_RESTART, vm->mark);
	}
	if (!vm->at[VM_MAX_RESTARTS].line) {
		vm->max_restarts = CFG_DEFAULT_MAX_RESTARTS;
		fill(vm->at, VM_MAX_RESTARTS, vm->mark);
	}
	if (!vm->at[VM_RESTART_WINDOW].line) {
		vm->restart_window = CFG_DEFAULT_RESTART_WINDOW;
		fill(vm->at, VM_RESTART_WINDOW, vm->mark);
	}
	if (!vm->at[VM_SERIAL].line && app->name[0] && vm->name[0]) {
		if (asprintf(&vm->serial, "%s/%s/%s.serial.log", CFG_RUN_DIR, app->name, vm->name) <
		    0) {
			vm->serial = NULL;
			c->d->oom = true;
		} else {
			fill(vm->at, VM_SERIAL, vm->mark);
		}
	}
}

/* ---- names ---- */

/* Reports NAME at M if an earlier entry (index < i) has it. */
#define CHECK_UNIQUE(c, arr, i, namefield, atarr, idx, what)                                       \
	do {                                                                                       \
		for (size_t j_ = 0; j_ < (i); j_++) {                                              \
			if (!cfg_ok((arr)[j_].atarr[idx]) ||                                       \
			    strcmp((arr)[j_].namefield, (arr)[i].namefield))                       \
				continue;                                                          \
			diag_err((c)->d, (arr)[i].atarr[idx],                                      \
				 "%s name \"%s\" is already used at line %u; names must be "       \
				 "unique",                                                         \
				 what, (arr)[i].namefield, (arr)[j_].atarr[idx].line);             \
			break;                                                                     \
		}                                                                                  \
	} while (0)

static void list_names(char *out, size_t len, const char *(*name)(const struct appliance *, size_t),
		       const struct appliance *app, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++)
		if (name(app, i)[0])
			o +=
			    (size_t)snprintf(out + o, len - o, "%s%s", o ? ", " : "", name(app, i));
}

static const char *port_name(const struct appliance *app, size_t i)
{
	return app->sw.ports[i].name;
}

static const char *pf_name(const struct appliance *app, size_t i)
{
	return app->pfs[i].name;
}

/* Resolves a PF reference; reports and returns NULL when it is not declared. */
static const struct cfg_pf *need_pf(struct checker *c, const char *name, struct cfg_mark m,
				    const char *path)
{
	const struct cfg_pf *pf = cfg_find_pf(c->app, name);
	char names[256];

	if (pf || (c->app->at[APP_PFS].line && !cfg_ok(c->app->at[APP_PFS])))
		return pf; /* found, or pfs: itself is broken and already reported */
	list_names(names, sizeof(names), pf_name, c->app, c->app->npfs);
	if (names[0])
		diag_err(c->d, m, "%s: no PF named \"%s\"; declared PFs: %s", path, name, names);
	else
		diag_err(c->d, m,
			 "%s: no PF named \"%s\"; declare it under pfs: (name, pci or "
			 "netdev, numvfs)",
			 path, name);
	return NULL;
}

static void check_vf_index(struct checker *c, const struct cfg_pf *pf, unsigned index,
			   struct cfg_mark m, const char *path)
{
	if (!cfg_ok(pf->at[PF_NUMVFS]) || index < pf->numvfs)
		return;
	diag_err(c->d, m, "%s: VF %u does not exist; PF \"%s\" has numvfs: %u (indexes 0-%u)", path,
		 index, pf->name, pf->numvfs, pf->numvfs - 1);
}

/* ---- switch, PFs ---- */

static void check_port(struct checker *c, size_t i)
{
	struct cfg_port *p = &c->app->sw.ports[i];
	char path[64], pth[80];

	snprintf(path, sizeof(path), "switch.ports[%zu]", i);
	CHECK_UNIQUE(c, c->app->sw.ports, i, name, at, PORT_NAME, "port");
	if (cfg_ok(p->at[PORT_TYPE])) {
		const char *tn = cfg_port_type_name(p->type);

		for (unsigned k = 0; k < PORT__COUNT; k++) {
			if (!p->at[k].line ||
			    ((PORT_COMMON | port_rules[p->type].allowed) & BIT(k)))
				continue;
			snprintf(pth, sizeof(pth), "%s.%s", path, port_table.f[k].key);
			diag_err(c->d, p->at[k],
				 "%s: key \"%s\" does not apply to a %s port; a %s port takes %s",
				 pth, port_table.f[k].key, tn, tn, port_rules[p->type].takes);
		}
		for (unsigned k = 0; k < PORT__COUNT; k++)
			if ((port_rules[p->type].required & BIT(k)) && !p->at[k].line)
				diag_err(c->d, p->mark, "%s: a %s port needs %s:", path, tn,
					 port_table.f[k].key);
	}
	if (p->at[PORT_VLAN].line) {
		struct cfg_vlan *v = &p->vlan;

		snprintf(pth, sizeof(pth), "%s.vlan", path);
		if (v->at[VLAN_ACCESS].line && v->at[VLAN_TRUNK].line)
			diag_err(c->d, v->at[VLAN_TRUNK],
				 "%s: give either access: VLAN or trunk: [VLANs], not both", pth);
		else if (!v->at[VLAN_ACCESS].line && !v->at[VLAN_TRUNK].line &&
			 cfg_ok(p->at[PORT_VLAN]))
			diag_err(c->d, p->at[PORT_VLAN],
				 "%s: needs access: VLAN (e.g. access: 10) or trunk: [VLANs] (e.g. "
				 "trunk: [10, 20])",
				 pth);
		else if (v->at[VLAN_ACCESS].line)
			v->mode = CFG_VLAN_ACCESS;
		else if (v->ntrunk)
			v->mode = CFG_VLAN_TRUNK;
	}
	if (cfg_ok(p->at[PORT_PATH]) && strlen(p->path) > SOCKET_PATH_MAX)
		diag_err(c->d, p->at[PORT_PATH],
			 "%s.path: the socket path is %zu characters; a UNIX socket path has at "
			 "most %d",
			 path, strlen(p->path), SOCKET_PATH_MAX);
	if (cfg_ok(p->at[PORT_TYPE]) && p->type == CFG_PORT_VF && cfg_ok(p->at[PORT_PF])) {
		const struct cfg_pf *pf;

		snprintf(pth, sizeof(pth), "%s.pf", path);
		pf = need_pf(c, p->pf, p->at[PORT_PF], pth);
		snprintf(pth, sizeof(pth), "%s.index", path);
		if (pf && cfg_ok(p->at[PORT_INDEX]))
			check_vf_index(c, pf, p->index, p->at[PORT_INDEX], pth);
	}
}

static void fill_port(struct checker *c, struct cfg_port *p)
{
	if (!cfg_ok(p->at[PORT_TYPE]))
		return;
	if (!p->at[PORT_MAC_LIMIT].line)
		fill(p->at, PORT_MAC_LIMIT, p->mark);
	if (p->type == CFG_PORT_VDEV)
		return;
	if (!p->at[PORT_QUEUES].line) {
		p->queues = 1;
		fill(p->at, PORT_QUEUES, p->mark);
	}
	if (p->type != CFG_PORT_VHOST_USER)
		return;
	if (!p->at[PORT_MODE].line) {
		p->mode = CFG_VHOST_SERVER;
		fill(p->at, PORT_MODE, p->mark);
	}
	if (!p->at[PORT_PATH].line && c->app->name[0] && p->name[0]) {
		const struct cfg_vm *jailed = cfg_jailed_user(c->app, p->name);
		int n;

		/* A jailed VMM sees its sockets' directory: one of its own. */
		if (jailed)
			n = asprintf(&p->path, "%s/%s/vhost-%s/%s.sock", CFG_RUN_DIR, c->app->name,
				     jailed->name, p->name);
		else
			n = asprintf(&p->path, "%s/%s/%s.sock", CFG_RUN_DIR, c->app->name, p->name);
		if (n < 0) {
			p->path = NULL;
			c->d->oom = true;
		} else if (strlen(p->path) > SOCKET_PATH_MAX) {
			diag_err(
			    c->d, p->at[PORT_NAME],
			    "switch.ports[%zu]: the default socket path \"%s\" (port of jailed "
			    "VM \"%s\") is %zu characters, over the %d a UNIX socket takes; "
			    "give path: or shorter names",
			    (size_t)(p - c->app->sw.ports), p->path, jailed ? jailed->name : "",
			    strlen(p->path), SOCKET_PATH_MAX);
		} else {
			fill(p->at, PORT_PATH, p->mark);
		}
	}
}

static bool ifname_ok(const char *s)
{
	if (strlen(s) > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static void check_pf(struct checker *c, size_t i)
{
	struct cfg_pf *pf = &c->app->pfs[i];
	char path[64];

	snprintf(path, sizeof(path), "pfs[%zu]", i);
	CHECK_UNIQUE(c, c->app->pfs, i, name, at, PF_NAME, "PF");
	if (!pf->mark.line)
		return; /* not a mapping: already reported */
	if (!pf->at[PF_PCI].line && !pf->at[PF_NETDEV].line)
		diag_err(c->d, pf->mark,
			 "%s: needs pci: (the PF's PCI address) or netdev: (its interface name)",
			 path);
	else if (pf->at[PF_PCI].line && pf->at[PF_NETDEV].line)
		diag_err(c->d, pf->at[PF_NETDEV],
			 "%s.netdev: give either pci: or netdev:, not both", path);
	else if (cfg_ok(pf->at[PF_NETDEV]) && !ifname_ok(pf->netdev))
		diag_err(c->d, pf->at[PF_NETDEV],
			 "%s.netdev: \"%s\" is not an interface name; use up to 15 characters "
			 "without '/', ':' or spaces, e.g. ens1f0",
			 path, pf->netdev);
}

/* ---- cores ---- */

static bool in_dedicated(const struct checker *c, int cpu)
{
	return c->dedset[cpu / 64] & (1ull << (cpu % 64));
}

static void describe_owner(const struct checker *c, int cpu, char *out, size_t len)
{
	const struct cpu_owner *o = &c->cpu[cpu];
	const struct cfg_vm *vm = &c->app->vms[o->vm];

	switch (o->use) {
	case USE_PMD:
		snprintf(out, len, "a switch PMD thread (switch.pmd_cores, line %u)",
			 c->app->sw.at[SW_PMD_CORES].line);
		break;
	case USE_VCPU:
		snprintf(out, len, "vCPU %zu of VM \"%s\" (line %u)", o->vcpu, vm->name,
			 vm->at[VM_PIN].line);
		break;
	case USE_EMU:
		snprintf(out, len, "the emulator threads of VM \"%s\" (line %u)", vm->name,
			 vm->at[VM_EMULATOR_PIN].line);
		break;
	case USE_NONE:
		snprintf(out, len, "nothing");
		break;
	}
}

/* Checks a list of CPUs that need dedicated, exclusive cores (PMD, vCPU). */
static void claim_cpus(struct checker *c, const struct cfg_cpus *cpus, struct cfg_mark m,
		       const char *path, enum cpu_use use, size_t vm)
{
	char who[160];

	for (size_t i = 0; i < cpus->n; i++) {
		int cpu = cpus->cpu[i];

		if (!c->dedicated)
			continue; /* shared mode: anything goes (warned once) */
		if (!in_dedicated(c, cpu)) {
			diag_err(c->d, cfg_cpu_mark(cpus, i, m),
				 "%s: CPU %d is not in host.dedicated_cores \"%s\"; %s need "
				 "dedicated CPUs",
				 path, cpu, c->dedstr, use == USE_PMD ? "PMD threads" : "vCPUs");
			continue;
		}
		if (c->cpu[cpu].use != USE_NONE) {
			describe_owner(c, cpu, who, sizeof(who));
			diag_err(c->d, cfg_cpu_mark(cpus, i, m),
				 "%s: CPU %d is already used by %s; each vCPU and PMD thread needs "
				 "a CPU of its own",
				 path, cpu, who);
			continue;
		}
		c->cpu[cpu] = (struct cpu_owner){use, vm, i};
	}
}

static void check_emulator(struct checker *c, size_t v, const char *path)
{
	struct cfg_vm *vm = &c->app->vms[v];
	char who[160];

	if (cfg_ok(vm->at[VM_EMULATOR_PIN]) && vm->emulator_pin.n > CFG_MAX_EMULATOR_PIN)
		diag_err(c->d, vm->at[VM_EMULATOR_PIN],
			 "%s.emulator_pin: lists %zu CPUs; give at most %d (the VMM pins its "
			 "emulator threads to 1 or 2 CPUs)",
			 path, vm->emulator_pin.n, CFG_MAX_EMULATOR_PIN);

	if (!c->dedicated || !cfg_ok(vm->at[VM_EMULATOR_PIN]))
		return;
	for (size_t i = 0; i < vm->emulator_pin.n; i++) {
		int cpu = vm->emulator_pin.cpu[i];

		if (c->cpu[cpu].use == USE_PMD || c->cpu[cpu].use == USE_VCPU) {
			describe_owner(c, cpu, who, sizeof(who));
			diag_err(c->d, cfg_cpu_mark(&vm->emulator_pin, i, vm->at[VM_EMULATOR_PIN]),
				 "%s.emulator_pin: CPU %d runs %s; put emulator threads on "
				 "housekeeping CPUs outside the vCPU and PMD cores",
				 path, cpu, who);
		}
	}
}

static void check_cores(struct checker *c)
{
	struct appliance *app = c->app;
	char path[64];

	if (cfg_ok(app->host.at[HOST_DEDICATED_CORES]) && app->host.dedicated.n) {
		c->dedicated = true;
		for (size_t i = 0; i < app->host.dedicated.n; i++)
			c->dedset[app->host.dedicated.cpu[i] / 64] |=
			    1ull << (app->host.dedicated.cpu[i] % 64);
		cfg_format_cpus(&app->host.dedicated, c->dedstr, sizeof(c->dedstr));
	} else if (!app->host.at[HOST_DEDICATED_CORES].line && (app->nvms || app->sw.present)) {
		diag_warn(c->d, at_or(app->at[APP_HOST], (struct cfg_mark){1, 1}),
			  "host.dedicated_cores is not set: vCPUs and switch PMD threads share "
			  "CPUs with the host and with each other; set it (e.g. dedicated_cores: "
			  "\"2-7\") to give them isolated CPUs");
	}
	if (app->sw.present && cfg_ok(app->sw.at[SW_PMD_CORES]))
		claim_cpus(c, &app->sw.pmd_cores, app->sw.at[SW_PMD_CORES], "switch.pmd_cores",
			   USE_PMD, 0);
	for (size_t v = 0; v < app->nvms; v++) {
		struct cfg_vm *vm = &app->vms[v];

		snprintf(path, sizeof(path), "vms[%zu].pin", v);
		if (!vm->at[VM_PIN].line) {
			if (c->dedicated && vm->mark.line)
				diag_err(c->d, vm->mark,
					 "vms[%zu]: pin: is required when host.dedicated_cores is "
					 "set; pin each vCPU to a CPU of \"%s\"",
					 v, c->dedstr);
			continue;
		}
		if (!cfg_ok(vm->at[VM_PIN]))
			continue;
		if (cfg_ok(vm->at[VM_VCPUS]) && vm->pin.n != vm->vcpus) {
			diag_err(c->d, vm->at[VM_PIN],
				 "%s: %zu CPU%s for %u vCPU%s; list exactly one CPU per vCPU", path,
				 vm->pin.n, vm->pin.n == 1 ? "" : "s", vm->vcpus,
				 vm->vcpus == 1 ? "" : "s");
			continue;
		}
		claim_cpus(c, &vm->pin, vm->at[VM_PIN], path, USE_VCPU, v);
	}
	for (size_t v = 0; v < app->nvms; v++) {
		snprintf(path, sizeof(path), "vms[%zu]", v);
		check_emulator(c, v, path);
	}
}

/* ---- memory ---- */

static void check_memory(struct checker *c)
{
	struct appliance *app = c->app;
	const struct cfg_host *h = &app->host;
	bool reserved = cfg_ok(h->hp_at[HP_SIZE]);
	uint64_t page = reserved ? cfg_hp_bytes(h->hp_size) : 0, vmbytes = 0, swbytes = 0;
	char a[32], b[32], cnt[32];

	for (size_t v = 0; v < app->nvms; v++) {
		struct cfg_vm *vm = &app->vms[v];
		uint64_t vpage = cfg_hp_bytes(vm->hugepages);

		if (!cfg_ok(vm->at[VM_HUGEPAGES]) || !cfg_ok(vm->at[VM_MEMORY]))
			continue;
		cfg_format_size(vm->memory, a, sizeof(a));
		cfg_format_size(vpage, b, sizeof(b));
		if (vm->memory % vpage) {
			cfg_format_size((vm->memory / vpage + 1) * vpage, cnt, sizeof(cnt));
			diag_err(c->d, vm->at[VM_MEMORY],
				 "vms[%zu].memory: %s is not a multiple of the VM's page size %s; "
				 "use e.g. %s",
				 v, a, b, cnt);
			continue;
		}
		if (vm->hugepages == CFG_HP_NONE)
			continue;
		if (!reserved) {
			if (!h->hp_at[HP_SIZE].line)
				diag_err(
				    c->d, at_or(vm->at[VM_HUGEPAGES], vm->mark),
				    "vms[%zu].hugepages: %s pages, but host.hugepages reserves "
				    "none; add host: {hugepages: {size: %s, count: N}} or use "
				    "hugepages: none",
				    v, b, b);
			continue;
		}
		if (vm->hugepages != h->hp_size) {
			diag_err(c->d, at_or(vm->at[VM_HUGEPAGES], vm->mark),
				 "vms[%zu].hugepages: %s pages, but host.hugepages.size is %s; use "
				 "hugepages: %s (or none)",
				 v, b, cfg_hp_name(h->hp_size), cfg_hp_name(h->hp_size));
			continue;
		}
		vmbytes += vm->memory;
	}
	if (app->sw.present) {
		if (!app->sw.at[SW_MEMORY].line) {
			app->sw.memory = DEFAULT_SW_MEM;
			fill(app->sw.at, SW_MEMORY, app->sw.mark);
		}
		if (reserved && cfg_ok(app->sw.at[SW_MEMORY])) {
			if (app->sw.memory % page) {
				cfg_format_size(app->sw.memory, a, sizeof(a));
				cfg_format_size(page, b, sizeof(b));
				diag_err(
				    c->d, app->sw.at[SW_MEMORY],
				    "switch.memory: %s is not a multiple of the hugepage size %s",
				    a, b);
			} else {
				swbytes = app->sw.memory;
			}
		}
	}
	if (reserved && cfg_ok(h->hp_at[HP_COUNT]) && (vmbytes + swbytes) / page > h->hp_count) {
		uint64_t need = (vmbytes + swbytes) / page;

		cfg_format_size(vmbytes, a, sizeof(a));
		cfg_format_size(swbytes, b, sizeof(b));
		cfg_format_size((uint64_t)h->hp_count * page, cnt, sizeof(cnt));
		diag_err(c->d, h->hp_at[HP_COUNT],
			 "host.hugepages.count: the appliance needs %llu pages of %s (VMs %s + "
			 "switch %s) but count: %u reserves only %s; raise count to %llu",
			 (unsigned long long)need, cfg_hp_name(h->hp_size), a, b, h->hp_count, cnt,
			 (unsigned long long)need);
	}
}

/* ---- NICs and devices ---- */

static void nic_path(char *out, size_t len, size_t v, size_t n, const char *key)
{
	snprintf(out, len, "vms[%zu].nics[%zu]%s%s", v, n, key ? "." : "", key ? key : "");
}

static void check_nic_port(struct checker *c, size_t v, size_t n, struct cfg_mark *used_at,
			   size_t *used_by)
{
	const struct appliance *app = c->app;
	const struct cfg_nic *nic = &app->vms[v].nics[n];
	const struct cfg_port *p = cfg_find_port(app, nic->switch_port);
	char path[96], names[256];
	size_t pi;

	nic_path(path, sizeof(path), v, n, "switch_port");
	if (!p && app->sw.at[SW_PORTS].line && !cfg_ok(app->sw.at[SW_PORTS]))
		return; /* switch.ports itself is broken, already reported */
	if (!p) {
		list_names(names, sizeof(names), port_name, app, app->sw.nports);
		if (names[0])
			diag_err(c->d, nic->at[NIC_SWITCH_PORT],
				 "%s: no switch port named \"%s\"; declared ports: %s", path,
				 nic->switch_port, names);
		else
			diag_err(c->d, nic->at[NIC_SWITCH_PORT],
				 "%s: no switch port named \"%s\"; declare it under switch.ports "
				 "with type: vhost-user",
				 path, nic->switch_port);
		return;
	}
	pi = (size_t)(p - app->sw.ports);
	if (cfg_ok(p->at[PORT_TYPE]) && p->type != CFG_PORT_VHOST_USER) {
		diag_err(c->d, nic->at[NIC_SWITCH_PORT],
			 "%s: port \"%s\" is a %s port; a VM NIC attaches to a vhost-user port",
			 path, p->name, cfg_port_type_name(p->type));
		return;
	}
	if (used_at[pi].line) {
		diag_err(c->d, nic->at[NIC_SWITCH_PORT],
			 "%s: port \"%s\" is already used by VM \"%s\" (line %u); a vhost-user "
			 "port connects one NIC",
			 path, p->name, app->vms[used_by[pi]].name, used_at[pi].line);
		return;
	}
	used_at[pi] = nic->at[NIC_SWITCH_PORT];
	used_by[pi] = v;
}

/* A (PF, VF index) pair is handed to one user only. */
struct vf_use {
	const struct cfg_pf *pf;
	unsigned index;
	struct cfg_mark m;
	char who[64];
};

static void claim_vf(struct checker *c, struct vf_use *uses, size_t *n, struct vf_use u,
		     const char *path)
{
	for (size_t i = 0; i < *n; i++) {
		if (uses[i].pf != u.pf || uses[i].index != u.index)
			continue;
		diag_err(c->d, u.m,
			 "%s: VF %u of PF \"%s\" is already used by %s (line %u); each VF has "
			 "one user",
			 path, u.index, u.pf->name, uses[i].who, uses[i].m.line);
		return;
	}
	uses[(*n)++] = u;
}

static void check_vfs(struct checker *c)
{
	struct appliance *app = c->app;
	size_t cap = app->sw.nports + app->nvms * CFG_MAX_NICS, n = 0;
	struct vf_use *uses = calloc(cap ? cap : 1, sizeof(*uses));
	bool pf_used[CFG_MAX_PFS] = {false};
	char path[96];

	if (!uses) {
		c->d->oom = true;
		return;
	}
	for (size_t i = 0; i < app->sw.nports; i++) {
		const struct cfg_port *p = &app->sw.ports[i];
		struct vf_use u = {.index = p->index, .m = p->at[PORT_PF]};

		if (!cfg_ok(p->at[PORT_TYPE]) || p->type != CFG_PORT_VF ||
		    !cfg_ok(p->at[PORT_PF]) || !cfg_ok(p->at[PORT_INDEX]))
			continue;
		u.pf = cfg_find_pf(app, p->pf);
		if (!u.pf)
			continue;
		pf_used[u.pf - app->pfs] = true;
		snprintf(u.who, sizeof(u.who), "switch port \"%s\"", p->name);
		snprintf(path, sizeof(path), "switch.ports[%zu]", i);
		claim_vf(c, uses, &n, u, path);
	}
	for (size_t v = 0; v < app->nvms; v++) {
		for (size_t k = 0; k < app->vms[v].nnics; k++) {
			struct cfg_nic *nic = &app->vms[v].nics[k];
			struct vf_use u = {.index = nic->vf.index, .m = nic->at[NIC_VF]};

			if (nic->kind == CFG_NIC_VF && cfg_ok(nic->vf.at[VF_PF]) &&
			    cfg_find_pf(app, nic->vf.pf))
				pf_used[cfg_find_pf(app, nic->vf.pf) - app->pfs] = true;

			if (nic->kind != CFG_NIC_VF || !cfg_ok(nic->vf.at[VF_PF]))
				continue;
			nic_path(path, sizeof(path), v, k, "vf.pf");
			u.pf = need_pf(c, nic->vf.pf, nic->vf.at[VF_PF], path);
			if (!u.pf || !cfg_ok(nic->vf.at[VF_INDEX]))
				continue;
			nic_path(path, sizeof(path), v, k, "vf.index");
			check_vf_index(c, u.pf, u.index, nic->vf.at[VF_INDEX], path);
			snprintf(u.who, sizeof(u.who), "VM \"%s\"", app->vms[v].name);
			nic_path(path, sizeof(path), v, k, "vf");
			claim_vf(c, uses, &n, u, path);
		}
	}
	for (size_t i = 0; i < app->npfs; i++)
		if (!pf_used[i] && app->pfs[i].mark.line && app->pfs[i].name[0] &&
		    cfg_ok(app->pfs[i].at[PF_NUMVFS]))
			diag_warn(
			    c->d, app->pfs[i].mark,
			    "pfs[%zu]: no NIC or switch port uses a VF of PF \"%s\"; up still "
			    "creates its %u VFs",
			    i, app->pfs[i].name, app->pfs[i].numvfs);
	free(uses);
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static bool mac_taken(const struct appliance *app, const uint8_t mac[6], const struct cfg_nic *self)
{
	for (size_t v = 0; v < app->nvms; v++)
		for (size_t k = 0; k < app->vms[v].nnics; k++) {
			const struct cfg_nic *o = &app->vms[v].nics[k];

			if (o != self && o->at[NIC_MAC].col && !memcmp(o->mac, mac, 6))
				return true;
		}
	return false;
}

/* MACs: written ones must be unique; missing ones are derived from the
 * appliance name and position (52:54:00:hh:vv:nn), stable across loads. */
static void check_macs(struct checker *c)
{
	struct appliance *app = c->app;
	char path[96], mac[18];

	for (size_t v = 0; v < app->nvms; v++)
		for (size_t k = 0; k < app->vms[v].nnics; k++) {
			struct cfg_nic *nic = &app->vms[v].nics[k];
			bool dup = false;

			if (!cfg_ok(nic->at[NIC_MAC]))
				continue;
			for (size_t w = 0; w <= v && !dup; w++)
				for (size_t j = 0; j < app->vms[w].nnics && !dup; j++) {
					const struct cfg_nic *o = &app->vms[w].nics[j];

					if (w == v && j >= k)
						break;
					if (!cfg_ok(o->at[NIC_MAC]) || memcmp(o->mac, nic->mac, 6))
						continue;
					dup = true;
					format_mac(nic->mac, mac);
					nic_path(path, sizeof(path), v, k, "mac");
					diag_err(c->d, nic->at[NIC_MAC],
						 "%s: %s is already used by VM \"%s\" (line %u); "
						 "MACs must be unique",
						 path, mac, app->vms[w].name, o->at[NIC_MAC].line);
				}
		}
	for (size_t v = 0; v < app->nvms; v++)
		for (size_t k = 0; k < app->vms[v].nnics; k++) {
			struct cfg_nic *nic = &app->vms[v].nics[k];
			uint32_t h = fnv1a(app->name);

			if (nic->at[NIC_MAC].line)
				continue;
			nic->mac[0] = 0x52;
			nic->mac[1] = 0x54;
			nic->mac[2] = 0x00;
			nic->mac[3] = (uint8_t)h;
			nic->mac[4] = (uint8_t)(v + 1);
			nic->mac[5] = (uint8_t)(k + 1);
			/* 512 NICs at most: 65536 candidates always hold a free one. */
			for (unsigned t = 0; t < 65536 && mac_taken(app, nic->mac, nic); t++)
				if (!++nic->mac[3])
					nic->mac[2]++;
			fill(nic->at, NIC_MAC, nic->mark);
		}
}

static void check_nics(struct checker *c)
{
	struct appliance *app = c->app;
	size_t np = app->sw.nports ? app->sw.nports : 1;
	struct cfg_mark *used_at = calloc(np, sizeof(*used_at));
	size_t *used_by = calloc(np, sizeof(*used_by));
	char path[96];

	if (!used_at || !used_by) {
		c->d->oom = true;
		goto out;
	}
	for (size_t v = 0; v < app->nvms; v++) {
		struct cfg_vm *vm = &app->vms[v];

		for (size_t k = 0; k < vm->nnics; k++) {
			struct cfg_nic *nic = &vm->nics[k];

			if (cfg_ok(nic->at[NIC_NAME]))
				for (size_t j = 0; j < k; j++)
					if (cfg_ok(vm->nics[j].at[NIC_NAME]) &&
					    !strcmp(vm->nics[j].name, nic->name)) {
						nic_path(path, sizeof(path), v, k, "name");
						diag_err(
						    c->d, nic->at[NIC_NAME],
						    "%s: NIC name \"%s\" is already used at line "
						    "%u; names must be unique within a VM",
						    path, nic->name, vm->nics[j].at[NIC_NAME].line);
						break;
					}
			if (nic->kind == CFG_NIC_PORT && cfg_ok(nic->at[NIC_SWITCH_PORT]))
				check_nic_port(c, v, k, used_at, used_by);
		}
	}
	for (size_t i = 0; i < app->sw.nports; i++) {
		const struct cfg_port *p = &app->sw.ports[i];

		if (cfg_ok(p->at[PORT_TYPE]) && p->type == CFG_PORT_VHOST_USER &&
		    !used_at[i].line && p->name[0])
			diag_warn(c->d, p->mark,
				  "switch.ports[%zu]: vhost-user port \"%s\" is not used by any VM "
				  "NIC; its socket will wait for a connection",
				  i, p->name);
	}
	check_vfs(c);
	check_macs(c);
out:
	free(used_at);
	free(used_by);
}

/* A PCI function is owned by one user: a PF, a switch pci port or a VM. */
struct bdf_use {
	struct pci_bdf bdf;
	struct cfg_mark m;
	char who[64];
	bool pf;
};

static void claim_bdf(struct checker *c, struct bdf_use *uses, size_t *n, const struct bdf_use *u,
		      const char *path)
{
	char bdf[13];

	for (size_t i = 0; i < *n; i++) {
		if (!pci_bdf_equal(&uses[i].bdf, &u->bdf))
			continue;
		format_pci_bdf(&u->bdf, bdf);
		diag_err(c->d, u->m, "%s: %s is already %s (line %u); %s", path, bdf, uses[i].who,
			 uses[i].m.line,
			 uses[i].pf ? "a PF stays with the host: pass one of its VFs instead"
				    : "a PCI function has one user");
		return;
	}
	uses[(*n)++] = *u;
}

static void check_devices(struct checker *c)
{
	struct appliance *app = c->app;
	size_t cap = app->npfs + app->sw.nports + app->nvms * CFG_MAX_DEVICES, n = 0;
	struct bdf_use *uses = calloc(cap ? cap : 1, sizeof(*uses));
	char path[96];

	if (!uses) {
		c->d->oom = true;
		return;
	}
	for (size_t i = 0; i < app->npfs; i++) {
		const struct cfg_pf *pf = &app->pfs[i];
		struct bdf_use u = {pf->pci, pf->at[PF_PCI], "", true};

		if (!cfg_ok(pf->at[PF_PCI]))
			continue;
		snprintf(u.who, sizeof(u.who), "used as PF \"%s\"", pf->name);
		snprintf(path, sizeof(path), "pfs[%zu].pci", i);
		claim_bdf(c, uses, &n, &u, path);
	}
	for (size_t i = 0; i < app->sw.nports; i++) {
		const struct cfg_port *p = &app->sw.ports[i];
		struct bdf_use u = {p->pci, p->at[PORT_PCI], "", false};

		if (!cfg_ok(p->at[PORT_PCI]))
			continue;
		snprintf(u.who, sizeof(u.who), "used by switch port \"%s\"", p->name);
		snprintf(path, sizeof(path), "switch.ports[%zu].pci", i);
		claim_bdf(c, uses, &n, &u, path);
	}
	for (size_t v = 0; v < app->nvms; v++)
		for (size_t k = 0; k < app->vms[v].ndevices; k++) {
			const struct cfg_device *dev = &app->vms[v].devices[k];
			struct bdf_use u = {dev->bdf, dev->mark, "", false};

			if (!cfg_ok(dev->mark))
				continue;
			snprintf(u.who, sizeof(u.who), "assigned to VM \"%s\"", app->vms[v].name);
			snprintf(path, sizeof(path), "vms[%zu].devices[%zu].%s", v, k,
				 cfg_dev_kind_name(dev->kind));
			claim_bdf(c, uses, &n, &u, path);
		}
	free(uses);
}

/* ---- entry ---- */

void cfg_check(struct appliance *app, struct cfg_vm *defaults, struct diag_list *d)
{
	struct checker *c = calloc(1, sizeof(*c));
	char path[48];

	if (!c) {
		d->oom = true;
		return;
	}
	c->app = app;
	c->d = d;
	cfg_jail_check_values(d, &defaults->jail, "defaults.jail");
	for (size_t v = 0; v < app->nvms; v++) {
		snprintf(path, sizeof(path), "vms[%zu].jail", v);
		cfg_jail_check_values(d, &app->vms[v].jail, path);
	}
	apply_defaults(c, defaults);
	for (size_t v = 0; v < app->nvms; v++)
		if (app->vms[v].mark.line)
			cfg_jail_fill(app, &app->vms[v], v, d);
	for (size_t i = 0; i < app->npfs; i++)
		check_pf(c, i);
	for (size_t i = 0; i < app->sw.nports; i++) {
		check_port(c, i);
		fill_port(c, &app->sw.ports[i]);
	}
	if (app->sw.present) {
		if (!app->sw.fdb_at[FDB_AGING].line) {
			app->sw.fdb_aging = DEFAULT_AGING;
			fill(app->sw.fdb_at, FDB_AGING, app->sw.mark);
		}
		if (!app->sw.fdb_at[FDB_SIZE].line) {
			app->sw.fdb_size = DEFAULT_FDB;
			fill(app->sw.fdb_at, FDB_SIZE, app->sw.mark);
		}
	}
	for (size_t v = 0; v < app->nvms; v++) {
		struct cfg_vm *vm = &app->vms[v];

		CHECK_UNIQUE(c, app->vms, v, name, at, VM_NAME, "VM");
		if (!vm->mark.line)
			continue; /* not a mapping: already reported */
		if (!vm->at[VM_KERNEL].line)
			diag_err(d, vm->mark,
				 "vms[%zu]: missing required key \"kernel\" (set it here or under "
				 "defaults:)",
				 v);
		fill_vm(c, vm);
	}
	check_cores(c);
	check_memory(c);
	check_nics(c);
	check_devices(c);
	cfg_jail_check_sockets(app, d);
	free(c);
}
