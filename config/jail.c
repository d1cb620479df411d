/* SPDX-License-Identifier: MIT */
/* The jail: keys of the appliance file (defaults.jail and vms[].jail):
 * value checks, merging the defaults into a VM, effective values. What a
 * jailed VMM can reach is decided by vmm/jail.c; docs/appliance-file.md
 * describes the keys. */
#include "config/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A user name as useradd(8) takes it: letters, digits, '.', '_', '-', no
 * leading '-', at most 32 characters (a trailing '$' for machine accounts
 * is not useful here). */
static bool user_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 32 || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '.' && *s != '_' && *s != '-')
			return false;
	return true;
}

/* What is wrong with DIR as a jail parent directory, or NULL. */
static const char *dir_problem(const char *dir)
{
	const char *p;

	if (dir[0] != '/')
		return "is not an absolute path";
	if (!strcmp(dir, "/"))
		return "is / itself (up would make the VMs' jail directories in /)";
	if (strlen(dir) > CFG_JAIL_DIR_MAX)
		return "is too long";
	if (dir[strlen(dir) - 1] == '/')
		return "ends with '/'";
	for (p = dir; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return "holds a space or control character";
		if (p[0] != '/')
			continue;
		if (p[1] == '/')
			return "holds an empty component (\"//\")";
		if (p[1] == '.' &&
		    (p[2] == '/' || !p[2] || (p[2] == '.' && (p[3] == '/' || !p[3]))))
			return "holds a \".\" or \"..\" component";
	}
	return NULL;
}

void cfg_jail_check_values(struct diag_list *d, struct cfg_jail *j, const char *path)
{
	const char *why;

	if (cfg_ok(j->at[JAIL_USER]) && !user_ok(j->user)) {
		diag_err(d, j->at[JAIL_USER],
			 "%s.user: \"%.40s\" is not a user name; use 1 to 32 letters, digits, '.', "
			 "'_' or '-' (not starting with '-'), or give uid: and gid: instead",
			 path, j->user);
		j->at[JAIL_USER].col = 0;
	}
	if (cfg_ok(j->at[JAIL_DIR]) && (why = dir_problem(j->dir))) {
		diag_err(d, j->at[JAIL_DIR],
			 "%s.dir: \"%.80s\" %s; use an absolute, normalised directory path other "
			 "than /, e.g. /srv/nfvisor/jail (up creates <dir>/<vm> in it)",
			 path, j->dir, why);
		j->at[JAIL_DIR].col = 0;
	}
}

static bool copy_str(char **dst, const char *src)
{
	*dst = strdup(src);
	return *dst != NULL;
}

bool cfg_jail_merge(struct cfg_jail *vm, const struct cfg_jail *def)
{
	bool own_identity =
	    vm->at[JAIL_USER].line || vm->at[JAIL_UID].line || vm->at[JAIL_GID].line;

	if (!vm->at[JAIL_ENABLED].line && cfg_ok(def->at[JAIL_ENABLED])) {
		vm->enabled = def->enabled;
		vm->at[JAIL_ENABLED] = def->at[JAIL_ENABLED];
	}
	if (!vm->at[JAIL_DIR].line && cfg_ok(def->at[JAIL_DIR])) {
		if (!copy_str(&vm->dir, def->dir))
			return false;
		vm->at[JAIL_DIR] = def->at[JAIL_DIR];
	}
	/* A VM that names its own user does not get half of the defaults' one. */
	if (own_identity)
		return true;
	if (cfg_ok(def->at[JAIL_USER])) {
		if (!copy_str(&vm->user, def->user))
			return false;
		vm->at[JAIL_USER] = def->at[JAIL_USER];
	}
	if (cfg_ok(def->at[JAIL_UID])) {
		vm->uid = def->uid;
		vm->at[JAIL_UID] = def->at[JAIL_UID];
	}
	if (cfg_ok(def->at[JAIL_GID])) {
		vm->gid = def->gid;
		vm->at[JAIL_GID] = def->at[JAIL_GID];
	}
	return true;
}

void cfg_jail_fill(const struct appliance *app, struct cfg_vm *vm, size_t v, struct diag_list *d)
{
	struct cfg_jail *j = &vm->jail;
	struct cfg_mark jm = vm->at[VM_JAIL];
	char path[48];

	if (!cfg_ok(jm))
		return; /* no jail: anywhere (not jailed), or not a mapping (reported) */
	snprintf(path, sizeof(path), "vms[%zu].jail", v);
	if (!j->at[JAIL_ENABLED].line) {
		j->enabled = true;
		j->at[JAIL_ENABLED] = jm;
	}
	if (!j->enabled)
		return;
	if (j->at[JAIL_USER].line && (j->at[JAIL_UID].line || j->at[JAIL_GID].line)) {
		diag_err(d, j->at[JAIL_UID].line ? j->at[JAIL_UID] : j->at[JAIL_GID],
			 "%s: give user: NAME or uid: and gid:, not both (user: \"%.40s\" is at "
			 "line %u)",
			 path, j->user ? j->user : "", j->at[JAIL_USER].line);
	} else if (j->at[JAIL_UID].line && !j->at[JAIL_GID].line) {
		diag_err(d, j->at[JAIL_UID], "%s.uid: give gid: too (the group to run as, not 0)",
			 path);
	} else if (j->at[JAIL_GID].line && !j->at[JAIL_UID].line) {
		diag_err(d, j->at[JAIL_GID], "%s.gid: give uid: too (the user to run as, not 0)",
			 path);
	} else if (!j->at[JAIL_USER].line && !j->at[JAIL_UID].line) {
		diag_err(d, jm,
			 "%s: a jailed VM needs the user to run as: add user: NAME, or uid: N and "
			 "gid: N (here or under defaults.jail), or enabled: false",
			 path);
	}
	if (!j->at[JAIL_DIR].line && app->name[0]) {
		if (asprintf(&j->dir, "%s/%s/jail", CFG_RUN_DIR, app->name) < 0) {
			j->dir = NULL;
			d->oom = true;
			return;
		}
		j->at[JAIL_DIR] = jm;
	}
}

const struct cfg_vm *cfg_jailed_user(const struct appliance *app, const char *port)
{
	for (size_t v = 0; v < app->nvms; v++) {
		const struct cfg_vm *vm = &app->vms[v];

		if (!vm->jail.enabled)
			continue;
		for (size_t k = 0; k < vm->nnics; k++)
			if (vm->nics[k].kind == CFG_NIC_PORT &&
			    !strcmp(vm->nics[k].switch_port, port))
				return vm;
	}
	return NULL;
}

/* A written socket path of a jailed VM's port: the VMM keeps the socket's
 * directory visible in its jail (a client reconnects by path). In / it
 * cannot (nfvisor-vmm refuses); the appliance's state directory would show
 * the jailed VMM the journal, every log and other VMs' serial output. */
void cfg_jail_check_sockets(const struct appliance *app, struct diag_list *d)
{
	char state[CFG_NAME_MAX + 32];
	size_t n = (size_t)snprintf(state, sizeof(state), "%s/%s", CFG_RUN_DIR, app->name);

	for (size_t i = 0; i < app->sw.nports; i++) {
		const struct cfg_port *p = &app->sw.ports[i];
		const struct cfg_vm *vm = cfg_jailed_user(app, p->name);
		struct cfg_mark m = p->at[PORT_PATH];
		const char *slash;

		/* Only paths written in the file (a filled one has the port's mark). */
		if (!vm || !p->path || !cfg_ok(m) || p->type != CFG_PORT_VHOST_USER ||
		    p->mode != CFG_VHOST_SERVER || p->path[0] != '/' ||
		    (m.line == p->mark.line && m.col == p->mark.col))
			continue;
		slash = strrchr(p->path, '/');
		if (slash == p->path)
			diag_err(d, m,
				 "switch.ports[%zu].path: \"%s\" is in / itself; jailed VM \"%s\" "
				 "keeps its socket's directory visible, which cannot be /: put the "
				 "socket in a directory of its own (or leave path: out)",
				 i, p->path, vm->name);
		else if ((size_t)(slash - p->path) == n && !strncmp(p->path, state, n))
			diag_warn(d, m,
				  "switch.ports[%zu].path: \"%s\" is in %s; jailed VM \"%s\" would "
				  "see that whole directory (journal, logs, other VMs' serial "
				  "output); leave path: out to get %s/vhost-%s/",
				  i, p->path, state, vm->name, state, vm->name);
	}
}
