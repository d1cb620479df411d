/* SPDX-License-Identifier: MIT */
/* struct appliance → YAML, driven by the same key tables as the loader: every
 * value that was written or filled in (cfg_ok) is spelled out, so loading
 * the output gives the same appliance. */
#include "config/schema.h"

#include <errno.h>
#include <string.h>

struct dumper {
	FILE *f;
};

static void dump_table(struct dumper *d, const struct table *t, const void *obj, int indent,
		       bool item);

static void put_indent(struct dumper *d, int indent, bool *item)
{
	if (*item) {
		fprintf(d->f, "%*s- ", indent - 2, "");
		*item = false;
	} else {
		fprintf(d->f, "%*s", indent, "");
	}
}

static void put_string(struct dumper *d, const char *s)
{
	fputc('"', d->f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(d->f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(d->f, "\\x%02x", c);
		else
			fputc(c, d->f);
	}
	fputc('"', d->f);
}

static const char *enum_name(const struct enum_name *names, int v)
{
	for (; names->name; names++)
		if (names->value == v)
			return names->name;
	return "?";
}

/* One "key: value" line for a scalar kind. */
static void put_scalar(struct dumper *d, const struct field *f, const void *p)
{
	char buf[4096];

	switch (f->kind) {
	case F_NAME:
		fputs(p, d->f);
		break;
	case F_STR:
		put_string(d, *(char *const *)p);
		break;
	case F_UINT:
		fprintf(d->f, "%u", *(const unsigned *)p);
		break;
	case F_SIZE:
		cfg_format_size(*(const uint64_t *)p, buf, sizeof(buf));
		fputs(buf, d->f);
		break;
	case F_CPUS:
		cfg_format_cpus(p, buf, sizeof(buf));
		fprintf(d->f, "\"%s\"", buf);
		break;
	case F_MAC:
		format_mac(p, buf);
		fprintf(d->f, "\"%s\"", buf);
		break;
	case F_BDF:
		format_pci_bdf(p, buf);
		fprintf(d->f, "\"%s\"", buf);
		break;
	case F_BOOL:
		fputs(*(const bool *)p ? "true" : "false", d->f);
		break;
	case F_ENUM:
		fputs(enum_name(f->names, *(const int *)p), d->f);
		break;
	case F_MAP:
	case F_SEQ:
		break;
	}
	fputc('\n', d->f);
}

static void dump_ports(struct dumper *d, const void *obj, int indent)
{
	const struct cfg_switch *sw = obj;

	for (size_t i = 0; i < sw->nports; i++)
		dump_table(d, &port_table, &sw->ports[i], indent + 2, true);
}

static void dump_pfs(struct dumper *d, const void *obj, int indent)
{
	const struct appliance *app = obj;

	for (size_t i = 0; i < app->npfs; i++)
		dump_table(d, &pf_table, &app->pfs[i], indent + 2, true);
}

static void dump_vms(struct dumper *d, const void *obj, int indent)
{
	const struct appliance *app = obj;

	for (size_t i = 0; i < app->nvms; i++)
		dump_table(d, &vm_table, &app->vms[i], indent + 2, true);
}

static void dump_nics(struct dumper *d, const void *obj, int indent)
{
	const struct cfg_vm *vm = obj;

	for (size_t i = 0; i < vm->nnics; i++)
		dump_table(d, &nic_table, &vm->nics[i], indent + 2, true);
}

static void dump_devices(struct dumper *d, const void *obj, int indent)
{
	const struct cfg_vm *vm = obj;
	char bdf[13];

	for (size_t i = 0; i < vm->ndevices; i++) {
		format_pci_bdf(&vm->devices[i].bdf, bdf);
		fprintf(d->f, "%*s- %s: \"%s\"\n", indent, "",
			cfg_dev_kind_name(vm->devices[i].kind), bdf);
	}
}

static void dump_trunk(struct dumper *d, const void *obj, int indent)
{
	const struct cfg_vlan *v = obj;

	for (size_t i = 0; i < v->ntrunk; i++)
		fprintf(d->f, "%*s- %u\n", indent + 2, "", v->trunk[i]);
}

/* Sequence keys and their dumpers. */
static const struct {
	const struct table *t;
	unsigned idx;
	void (*dump)(struct dumper *d, const void *obj, int indent);
} seq_dumpers[] = {
    {&switch_table, SW_PORTS, dump_ports}, {&app_table, APP_PFS, dump_pfs},
    {&app_table, APP_VMS, dump_vms},	   {&vm_table, VM_NICS, dump_nics},
    {&vm_table, VM_DEVICES, dump_devices}, {&vlan_table, VLAN_TRUNK, dump_trunk},
};

/* Whether dumping OBJ with T prints anything (an empty mapping is left out:
 * "key:" alone would read back as "not given"). */
static bool has_values(const struct table *t, const void *obj)
{
	const struct cfg_mark *at = (const struct cfg_mark *)((const char *)obj + t->at_off);

	for (size_t i = 0; i < t->n; i++)
		if (cfg_ok(at[t->f[i].idx]) && !(t->f[i].kind == F_MAP && !t->f[i].sub))
			return true;
	return false;
}

static void dump_table(struct dumper *d, const struct table *t, const void *obj, int indent,
		       bool item)
{
	const struct cfg_mark *at = (const struct cfg_mark *)((const char *)obj + t->at_off);

	for (size_t i = 0; i < t->n; i++) {
		const struct field *f = &t->f[i];

		if (!cfg_ok(at[f->idx]))
			continue;
		/* A VF's MAC is dumped once, as the NIC's mac:. */
		if (t == &vf_table && f->idx == VF_MAC)
			continue;
		if (f->kind == F_MAP &&
		    (!f->sub || !has_values(f->sub, (const char *)obj + f->off)))
			continue; /* defaults: are already applied; {} says nothing */
		put_indent(d, indent, &item);
		fprintf(d->f, "%s:", f->key);
		if (f->kind == F_MAP) {
			fputc('\n', d->f);
			dump_table(d, f->sub, (const char *)obj + f->off, indent + 2, false);
		} else if (f->kind == F_SEQ) {
			fputc('\n', d->f);
			for (size_t k = 0; k < sizeof(seq_dumpers) / sizeof(seq_dumpers[0]); k++)
				if (seq_dumpers[k].t == t && seq_dumpers[k].idx == f->idx)
					seq_dumpers[k].dump(d, obj, indent);
		} else {
			fputc(' ', d->f);
			put_scalar(d, f, (const char *)obj + f->off);
		}
	}
	if (item) /* nothing was printed: keep the list item */
		fprintf(d->f, "%*s- {}\n", indent - 2, "");
}

int appliance_dump(const struct appliance *app, FILE *f)
{
	struct dumper d = {f};

	dump_table(&d, &app_table, app, 0, false);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
