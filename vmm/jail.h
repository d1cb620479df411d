/* SPDX-License-Identifier: MIT */
/* The jailer (Firecracker's idea, inside nfvisor-vmm): once every device,
 * memory and socket fd is open and before any vCPU runs, the VMM enters a
 * new mount namespace whose root is a private, read-only, empty tmpfs
 * mounted over the --jail directory, so no host file is visible any more;
 * it then drops to an unprivileged uid/gid with no supplementary groups, no
 * capabilities and no_new_privs. The seccomp filter (vmm/seccomp.h) comes
 * after. The only host paths kept are the directories of vhost-user client
 * sockets (read-only bind mounts, for reconnects). The host's mount table
 * is never changed, so nothing is left behind when the VMM ends. */
#ifndef NFV_VMM_JAIL_H
#define NFV_VMM_JAIL_H

#include <stdbool.h>
#include <sys/types.h>

#define VMM_JAIL_KEEP_MAX 8

/* Plain configuration from the command line. dir == NULL: no jail. */
struct vmm_jail {
	const char *dir; /* absolute path of an existing directory, not "/" */
	uid_t uid;	 /* != 0 */
	gid_t gid;	 /* != 0 */
	bool has_uid, has_gid;
	const char *keep[VMM_JAIL_KEEP_MAX]; /* paths whose directory stays visible */
	unsigned n_keep;
};

/* Parse a --uid/--gid value (option names the flag in messages): a decimal
 * id from 1 to 4294967294. 0 or -EINVAL (logged, naming the value). */
int vmm_jail_parse_id(const char *option, const char *arg, unsigned *out);

/* --user NAME: look NAME up in the user database (before the jail hides
 * it) and take its uid and primary gid. 0 or -EINVAL/-ENOENT (logged). */
int vmm_jail_set_user(struct vmm_jail *j, const char *name);

/* Keep the directory of `path` (a vhost-user client socket) visible inside
 * the jail at the same path, read-only. 0 or -E2BIG beyond
 * VMM_JAIL_KEEP_MAX (logged). `path` must outlive the jail config. */
int vmm_jail_keep(struct vmm_jail *j, const char *path);

/* Whole-command-line checks: with a dir, the uid and gid are set and
 * non-zero and dir is an absolute path of an existing directory other than
 * "/"; without a dir, no uid/gid was given. 0 or -EINVAL (logged, naming the
 * value and the fix). Touches nothing. */
int vmm_jail_check(const struct vmm_jail *j);

/* Enter the jail on the calling thread (call with no other thread of the
 * process running, after every fd is open). No-op when j->dir is NULL.
 * Returns 0 or -errno (logged); on failure the caller must not run the
 * guest (the process may be half-way in: new namespace, still root). */
int vmm_jail_enter(const struct vmm_jail *j);

#endif
