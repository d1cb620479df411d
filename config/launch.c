/* SPDX-License-Identifier: MIT */
#include "config/launch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 128

static int add(struct launch_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int add(struct launch_cmd *c, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (c->argc + 1 >= MAX_ARGS)
		return -E2BIG;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	c->argv[c->argc++] = s;
	c->argv[c->argc] = NULL;
	return 0;
}

static int start(struct launch_cmd *c, const char *bin)
{
	c->argc = 0;
	c->argv = calloc(MAX_ARGS, sizeof(char *));
	if (!c->argv)
		return -ENOMEM;
	return add(c, "%s", bin);
}

void launch_cmd_release(struct launch_cmd *c)
{
	for (size_t i = 0; c->argv && i < c->argc; i++)
		free(c->argv[i]);
	free(c->argv);
	c->argv = NULL;
	c->argc = 0;
}

void launch_switch_ctl(const struct appliance *app, char *out, size_t len)
{
	snprintf(out, len, "%s/%s/switch.ctl", CFG_RUN_DIR, app->name);
}

/* The PCI address of VF INDEX of PF, as far as the plan knows it. */
static void vf_bdf(const struct plan *plan, const struct cfg_pf *pf, unsigned index, char *out,
		   size_t len)
{
	for (size_t i = 0; plan && i < plan->nactions; i++) {
		const struct plan_action *a = &plan->actions[i];

		if (a->is_vf && a->pf == pf && a->vf_index == index && a->bdf[0]) {
			snprintf(out, len, "%s", a->bdf);
			return;
		}
	}
	snprintf(out, len, "VF%u@%s", index, pf ? pf->name : "?");
}

static void vlan_spec(const struct cfg_vlan *v, char *out, size_t len)
{
	size_t o;

	out[0] = '\0';
	if (v->mode == CFG_VLAN_ACCESS) {
		snprintf(out, len, ",vlan=access:%u", v->access);
	} else if (v->mode == CFG_VLAN_TRUNK) {
		o = (size_t)snprintf(out, len, ",vlan=trunk:");
		for (size_t i = 0; i < v->ntrunk && o < len; i++)
			o += (size_t)snprintf(out + o, len - o, "%s%u", i ? "+" : "", v->trunk[i]);
	}
}

static int port_arg(const struct appliance *app, const struct plan *plan, const struct cfg_port *p,
		    struct launch_cmd *c)
{
	char vlan[512], bdf[64], common[600];

	vlan_spec(&p->vlan, vlan, sizeof(vlan));
	snprintf(common, sizeof(common), "%s,mac-limit=%u", vlan, p->mac_limit);
	switch (p->type) {
	case CFG_PORT_VHOST_USER:
		return add(c, "--port=name=%s,type=vhost-user,path=%s,mode=%s,queues=%u%s", p->name,
			   p->path, cfg_vhost_mode_name(p->mode), p->queues, common);
	case CFG_PORT_VDEV:
		return add(c, "--port=name=%s,type=vdev,dev=%s%s", p->name, p->dev, common);
	case CFG_PORT_PCI:
		format_pci_bdf(&p->pci, bdf);
		return add(c, "--port=name=%s,type=pci,dev=%s,queues=%u%s", p->name, bdf, p->queues,
			   common);
	case CFG_PORT_VF:
		vf_bdf(plan, cfg_find_pf(app, p->pf), p->index, bdf, sizeof(bdf));
		return add(c, "--port=name=%s,type=pci,dev=%s,queues=%u%s", p->name, bdf, p->queues,
			   common);
	}
	return -EINVAL;
}

int launch_switch(const struct appliance *app, const struct plan *plan, const char *bin,
		  struct launch_cmd *out)
{
	const struct cfg_switch *sw = &app->sw;
	char cpus[512], ctl[256];
	int ret;

	snprintf(out->name, sizeof(out->name), "switch");
	cfg_format_cpus(&sw->pmd_cores, cpus, sizeof(cpus));
	launch_switch_ctl(app, ctl, sizeof(ctl));
	ret = start(out, bin);
	ret = ret ?: add(out, "--pmd-cores=%s", cpus);
	ret = ret ?: add(out, "--ctl=%s", ctl);
	ret = ret ?: add(out, "--file-prefix=nfvisor-%s", app->name);
	ret = ret ?: add(out, "--memory=%llu", (unsigned long long)(sw->memory >> 20));
	ret = ret ?: add(out, "--fdb-aging=%u", sw->fdb_aging);
	ret = ret ?: add(out, "--fdb-size=%u", sw->fdb_size);
	if (!ret && app->host.hp_size == CFG_HP_NONE)
		ret = add(out, "--no-huge");
	for (size_t i = 0; !ret && i < sw->nports; i++)
		ret = port_arg(app, plan, &sw->ports[i], out);
	if (ret)
		launch_cmd_release(out);
	return ret;
}

int launch_vm(const struct appliance *app, size_t v, const struct plan *plan, const char *bin,
	      struct launch_cmd *out)
{
	const struct cfg_vm *vm = &app->vms[v];
	char buf[512], mac[18];
	int ret;

	snprintf(out->name, sizeof(out->name), "vm %s", vm->name);
	cfg_format_size(vm->memory, buf, sizeof(buf));
	ret = start(out, bin);
	ret = ret ?: add(out, "--kernel=%s", vm->kernel);
	if (!ret && vm->initrd)
		ret = add(out, "--initrd=%s", vm->initrd);
	if (!ret && vm->cmdline)
		ret = add(out, "--cmdline=%s", vm->cmdline);
	ret = ret ?: add(out, "--memory=%s", buf);
	ret = ret ?: add(out, "--vcpus=%u", vm->vcpus);
	ret = ret ?: add(out, "--hugepages=%s", cfg_hp_name(vm->hugepages));
	if (!ret && vm->pin.n) {
		cfg_format_cpus(&vm->pin, buf, sizeof(buf));
		ret = add(out, "--pin=%s", buf);
	}
	if (!ret && vm->emulator_pin.n) {
		cfg_format_cpus(&vm->emulator_pin, buf, sizeof(buf));
		ret = add(out, "--emulator-pin=%s", buf);
	}
	if (!ret && vm->serial)
		ret = add(out, "--serial=file:%s", vm->serial);
	if (!ret && vm->jail.enabled) {
		ret = add(out, "--jail=%s/%s", vm->jail.dir, vm->name);
		if (!ret && vm->jail.user)
			ret = add(out, "--user=%s", vm->jail.user);
		else if (!ret)
			ret = add(out, "--uid=%u", vm->jail.uid)
				  ?: add(out, "--gid=%u", vm->jail.gid);
	}
	for (size_t k = 0; !ret && k < vm->nnics; k++) {
		const struct cfg_nic *nic = &vm->nics[k];
		const struct cfg_port *p;

		format_mac(nic->mac, mac);
		if (nic->kind == CFG_NIC_VF) {
			vf_bdf(plan, cfg_find_pf(app, nic->vf.pf), nic->vf.index, buf, sizeof(buf));
			ret = add(out, "--device=vfio:%s", buf);
			continue;
		}
		p = cfg_find_port(app, nic->switch_port);
		if (!p) {
			ret = -EINVAL; /* not a validated appliance */
			break;
		}
		/* The VMM serves the socket when the switch is its client. */
		ret = add(out, "--net=vhost-user:%s%s,mac=%s,queues=%u", p->path,
			  p->mode == CFG_VHOST_CLIENT ? ",server" : "", mac, p->queues);
	}
	for (size_t k = 0; !ret && k < vm->ndevices; k++) {
		format_pci_bdf(&vm->devices[k].bdf, buf);
		ret = add(out, "--device=vfio:%s", buf);
	}
	if (ret)
		launch_cmd_release(out);
	return ret;
}

void launch_cmd_print(const struct launch_cmd *c, FILE *f)
{
	for (size_t i = 0; i < c->argc; i++) {
		const char *a = c->argv[i];

		fputs(i ? " " : "", f);
		if (a[strcspn(a, " \t\n'\"\\$`*?[]{}()<>|&;#~!")] == '\0' && *a) {
			fputs(a, f);
			continue;
		}
		fputc('\'', f);
		for (; *a; a++) {
			if (*a == '\'')
				fputs("'\\''", f);
			else
				fputc(*a, f);
		}
		fputc('\'', f);
	}
	fputc('\n', f);
}
