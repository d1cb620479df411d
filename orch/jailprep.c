/* SPDX-License-Identifier: MIT */
/* Jail directories, socket directories and socket owners for jailed VMs
 * (see jailprep.h). */
#define LOG_PREFIX "jail"
#include "orch/jailprep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

/* mkdir PATH with MODE (root:GID), journaled first as OP ("dir", or
 * "shareddir" for a jail.dir other appliances may use too); an entry whose
 * mkdir failed is marked undone at once, so undo never removes a directory
 * that was there before. */
static int make_dir(struct orch_state *st, const char *op, const char *path, mode_t mode, gid_t gid)
{
	unsigned seq;
	int ret;

	if (strpbrk(path, " \n")) {
		pr_err("directory \"%s\" has a space or newline; use a path without one", path);
		return -EINVAL;
	}
	ret = state_journal_add(st, &seq, op, "%s", path);
	if (ret)
		return ret;
	if (mkdir(path, mode) < 0) {
		ret = -errno;
		pr_err("cannot create %s: %s%s", path, strerror(-ret),
		       ret == -EEXIST ? " (left by an appliance that crashed? remove it, or give "
					"another jail.dir)"
				      : "");
		state_journal_undone(st, seq);
		return ret;
	}
	/* Not the umask's mode; group: the jailed VMM may search it. */
	if (chmod(path, mode) < 0 || (gid && chown(path, 0, gid) < 0)) {
		ret = -errno;
		pr_err("cannot set mode %o group %u on %s: %s", (unsigned)mode, (unsigned)gid, path,
		       strerror(-ret));
		return ret;
	}
	return 0;
}

/* The index of the jailed VM using switch port PORT, or -1. */
static long jailed_vm(const struct plan *plan, const struct cfg_port *port)
{
	const struct cfg_vm *vm = cfg_jailed_user(plan->app, port->name);

	if (!vm || !plan->jail[vm - plan->app->vms].on)
		return -1;
	return vm - plan->app->vms;
}

/* The directory of socket PATH when it is one level below STATE_DIR. */
static bool sock_subdir(const char *path, const char *state_dir, char *out, size_t len)
{
	size_t n = strlen(state_dir);
	const char *rest, *slash;

	if (strncmp(path, state_dir, n) || path[n] != '/')
		return false;
	rest = path + n + 1;
	slash = strchr(rest, '/');
	if (!slash || strchr(slash + 1, '/') || slash == rest)
		return false;
	snprintf(out, len, "%.*s", (int)(slash - path), path);
	return true;
}

int jailprep_dirs(struct orch_state *st, const struct plan *plan, const char *state_dir)
{
	const struct appliance *app = plan->app;
	char dir[PATH_MAX];
	struct stat sb;
	int ret;

	for (size_t v = 0; v < app->nvms; v++) {
		const struct cfg_vm *vm = &app->vms[v];

		if (!vm->jail.enabled || !plan->jail[v].on)
			continue;
		/* Another appliance may make its VMs' jails in it too. */
		if (lstat(vm->jail.dir, &sb) < 0) {
			ret = make_dir(st, "shareddir", vm->jail.dir, 0755, 0);
			if (ret)
				return ret;
		}
		cfg_jail_path(vm, dir, sizeof(dir));
		ret = make_dir(st, "dir", dir, 0755, 0);
		if (ret)
			return ret;
	}
	for (size_t i = 0; app->sw.present && i < app->sw.nports; i++) {
		const struct cfg_port *p = &app->sw.ports[i];
		long v;

		if (p->type != CFG_PORT_VHOST_USER || !p->path ||
		    !sock_subdir(p->path, state_dir, dir, sizeof(dir)) || !lstat(dir, &sb))
			continue;
		v = jailed_vm(plan, p);
		ret = make_dir(st, "dir", dir, v < 0 ? 0755 : 0750, v < 0 ? 0 : plan->jail[v].gid);
		if (ret)
			return ret;
	}
	return 0;
}

int jailprep_grant_sockets(const struct plan *plan)
{
	const struct appliance *app = plan->app;
	int first = 0;

	for (size_t i = 0; app->sw.present && i < app->sw.nports; i++) {
		const struct cfg_port *p = &app->sw.ports[i];
		long v = p->type == CFG_PORT_VHOST_USER ? jailed_vm(plan, p) : -1;

		if (v < 0 || p->mode != CFG_VHOST_SERVER)
			continue;
		/* Never through a symbolic link put in the socket's place. */
		if (fchownat(AT_FDCWD, p->path, plan->jail[v].uid, plan->jail[v].gid,
			     AT_SYMLINK_NOFOLLOW) < 0) {
			int ret = -errno;

			pr_err("cannot give socket %s to VM %s (uid %u gid %u): %s; a jailed VMM "
			       "cannot reconnect to it after a switch restart",
			       p->path, app->vms[v].name, plan->jail[v].uid, plan->jail[v].gid,
			       strerror(-ret));
			first = first ? first : ret;
		}
	}
	return first;
}

void jailprep_vm_exited(const struct plan *plan, size_t v)
{
	const struct cfg_vm *vm = &plan->app->vms[v];
	struct stat sb;

	for (size_t k = 0; k < vm->nnics; k++) {
		const struct cfg_port *p;

		if (vm->nics[k].kind != CFG_NIC_PORT)
			continue;
		p = cfg_find_port(plan->app, vm->nics[k].switch_port);
		if (!p || p->mode != CFG_VHOST_CLIENT || !p->path)
			continue;
		/* Only a socket: the path is the VMM's, nothing else's. */
		if (lstat(p->path, &sb) || !S_ISSOCK(sb.st_mode))
			continue;
		if (unlink(p->path) < 0 && errno != ENOENT)
			pr_warn("cannot remove VM %s's socket %s: %s", vm->name, p->path,
				strerror(errno));
		else
			pr_debug("removed VM %s's socket %s", vm->name, p->path);
	}
}
