/* SPDX-License-Identifier: MIT */
/* The appliance file's key tables, shared by the loader (config/load.c), the
 * semantic checks (config/check.c) and the dumper (config/dump.c). Internal
 * to config/: other modules use config/appliance.h. */
#ifndef NFV_CONFIG_SCHEMA_H
#define NFV_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/appliance.h"

/* How a key's value is parsed and where it is stored. */
enum fkind {
	F_NAME, /* char[CFG_NAME_MAX], [A-Za-z0-9_-]{1,31} */
	F_STR,	/* char *, malloc'd */
	F_UINT, /* unsigned (or int) within [min, max] */
	F_SIZE, /* uint64_t bytes within [min, max] */
	F_CPUS, /* struct cfg_cpus, no duplicates */
	F_MAC,	/* uint8_t[6], unicast */
	F_BDF,	/* struct pci_bdf */
	F_BOOL, /* bool */
	F_ENUM, /* int, from names[] */
	F_MAP,	/* nested mapping parsed with sub into the object at off */
	F_SEQ,	/* a sequence handled by seq() */
};

struct enum_name {
	const char *name;
	int value;
};

struct loader;
struct table;

struct field {
	const char *key;
	enum fkind kind;
	unsigned idx; /* index into the table's at[] array */
	size_t off;   /* value offset inside the object */
	uint64_t min, max;
	const struct enum_name *names; /* F_ENUM, ends with {NULL} */
	const struct table *sub;       /* F_MAP */
	/* F_SEQ: parses the sequence node N into OBJ; PATH names it. False
	 * when the sequence as a whole is rejected (too long, no memory). */
	bool (*seq)(struct loader *l, void *n, void *obj, const char *path);
	bool required;
	bool in_defaults; /* may appear under defaults: (VM table only) */
};

struct table {
	const char *what; /* "a VM", used in messages */
	const struct field *f;
	size_t n;
	size_t at_off; /* offset of the struct cfg_mark at[] array in the object */
};

extern const struct table app_table, host_table, hp_table, switch_table, fdb_table, port_table,
    vlan_table, pf_table, vm_table, nic_table, vf_table, jail_table;

extern const struct enum_name hp_names[], port_type_names[], vhost_mode_names[], restart_names[];

/* A value was written and parsed fine. */
static inline bool cfg_ok(struct cfg_mark m)
{
	return m.line && m.col;
}

/* Semantic checks and defaults (config/check.c): runs after the structural
 * parse; DEFAULTS is the parsed defaults: section (all at[] zero if absent). */
void cfg_check(struct appliance *app, struct cfg_vm *defaults, struct diag_list *d);

/* jail: keys (config/jail.c). Reports bad user:/dir: values of J (written
 * at PATH, e.g. "defaults.jail") and marks them invalid (col 0). */
void cfg_jail_check_values(struct diag_list *d, struct cfg_jail *j, const char *path);
/* Copies into VM what DEF sets and VM does not (the identity only when VM
 * names none). False when out of memory. */
bool cfg_jail_merge(struct cfg_jail *vm, const struct cfg_jail *def);
/* After merging: the effective enabled and dir of VM (index V), and the
 * identity rules of an enabled jail, reported to D. */
void cfg_jail_fill(const struct appliance *app, struct cfg_vm *vm, size_t v, struct diag_list *d);
/* Socket paths written for jailed VMs' ports that the jail cannot keep
 * (in /: error) or that expose the state directory (warning). */
void cfg_jail_check_sockets(const struct appliance *app, struct diag_list *d);

/* Frees what a VM/port owns, not the struct itself. */
void cfg_vm_release(struct cfg_vm *vm);

#endif
