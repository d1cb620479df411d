/* SPDX-License-Identifier: MIT */
/* The jailer (see jail.h): mount namespace + private tmpfs root + uid/gid
 * drop + capability drop + no_new_privs, entered after every fd is open. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOG_PREFIX "jail"
#include "common/log.h"
#include "common/parse.h"
#include "vmm/jail.h"

#define OLD_ROOT "/.old-root"

int vmm_jail_parse_id(const char *option, const char *arg, unsigned *out)
{
	uint64_t v;

	/* (uid_t)-1 means "unchanged" to setresuid(); 0 is root. */
	if (parse_uint(arg, 1, 4294967294ull, &v)) {
		pr_err("invalid %s value '%s': expected a numeric id from 1 to 4294967294 "
		       "(0 would keep root)",
		       option, arg);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

int vmm_jail_set_user(struct vmm_jail *j, const char *name)
{
	unsigned uid = 0, gid = 0;
	int err, ret = parse_user(name, &uid, &gid, &err);

	if (ret == -ENOENT) {
		pr_err("--user '%s': no such user in the user database%s%s (create it, or "
		       "give --uid N --gid N)",
		       name, err ? ": " : "", err ? strerror(err) : "");
		return -ENOENT;
	}
	if (ret) {
		pr_err("--user '%s' has uid %u gid %u: the jail needs an unprivileged user "
		       "and group (not 0)",
		       name, uid, gid);
		return -EINVAL;
	}
	j->uid = uid;
	j->gid = gid;
	j->has_uid = j->has_gid = true;
	return 0;
}

int vmm_jail_keep(struct vmm_jail *j, const char *path)
{
	if (j->n_keep >= VMM_JAIL_KEEP_MAX) {
		pr_err("more than %d socket directories to keep in the jail ('%s')",
		       VMM_JAIL_KEEP_MAX, path);
		return -E2BIG;
	}
	j->keep[j->n_keep++] = path;
	return 0;
}

int vmm_jail_check(const struct vmm_jail *j)
{
	struct stat st;

	if (!j->dir) {
		if (j->has_uid || j->has_gid) {
			pr_err("--uid/--gid/--user only apply inside a jail: add --jail DIR");
			return -EINVAL;
		}
		return 0;
	}
	if (j->dir[0] != '/' || !strcmp(j->dir, "/") || strlen(j->dir) >= PATH_MAX / 2) {
		pr_err("invalid --jail '%s': expected an absolute path of a directory other "
		       "than / (e.g. /run/nfvisor/jail)",
		       j->dir);
		return -EINVAL;
	}
	if (stat(j->dir, &st) < 0) {
		pr_err("--jail '%s': %s (create the directory first; it stays empty)", j->dir,
		       strerror(errno));
		return -EINVAL;
	}
	if (!S_ISDIR(st.st_mode)) {
		pr_err("--jail '%s' is not a directory", j->dir);
		return -EINVAL;
	}
	if (!j->has_uid || !j->has_gid) {
		pr_err("--jail '%s' needs the user to run as: --user NAME or --uid N --gid N",
		       j->dir);
		return -EINVAL;
	}
	return 0;
}

/* mkdir -p of `path` (absolute) below the jail root `root`. */
static int make_dirs(const char *root, const char *path)
{
	char p[PATH_MAX];
	size_t i, base = strlen(root);
	int n;

	n = snprintf(p, sizeof(p), "%s%s", root, path);
	if (n < 0 || (size_t)n >= sizeof(p))
		return -ENAMETOOLONG;
	for (i = base + 1; i <= (size_t)n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		p[i] = i == (size_t)n ? '\0' : '/';
	}
	return 0;
}

/* Bind the directory of each kept socket, read-only, at the same path. */
static int keep_dirs(const struct vmm_jail *j)
{
	char dir[PATH_MAX], real[PATH_MAX], dst[PATH_MAX];
	unsigned i;
	char *slash;
	int ret;

	for (i = 0; i < j->n_keep; i++) {
		snprintf(dir, sizeof(dir), "%s", j->keep[i]);
		slash = strrchr(dir, '/');
		if (!slash)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (!realpath(dir, real)) {
			ret = -errno;
			pr_err("cannot resolve the directory of socket '%s': %s", j->keep[i],
			       strerror(-ret));
			return ret;
		}
		if (!strcmp(real, "/")) {
			pr_err("socket '%s' is in / itself: the jail would show the whole host; "
			       "put the socket in its own directory",
			       j->keep[i]);
			return -EINVAL;
		}
		ret = make_dirs(j->dir, real);
		if (ret) {
			pr_err("cannot create '%s' in the jail: %s", real, strerror(-ret));
			return ret;
		}
		snprintf(dst, sizeof(dst), "%s%s", j->dir, real);
		if (mount(real, dst, NULL, MS_BIND, NULL) < 0 ||
		    mount(NULL, dst, NULL,
			  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) < 0) {
			ret = -errno;
			pr_err("cannot bind '%s' into the jail: %s", real, strerror(-ret));
			return ret;
		}
		pr_debug("kept %s (socket %s) in the jail", real, j->keep[i]);
	}
	return 0;
}

/* Make the tmpfs at j->dir the root. pivot_root detaches the old root
 * entirely; it is refused when the current root is the initial ramfs (as in
 * an initramfs-only system), where the tmpfs is moved over / and chroot'ed
 * into instead: the old root is then shadowed and, without
 * CAP_SYS_CHROOT, unreachable. */
static int change_root(const struct vmm_jail *j)
{
	char old[PATH_MAX];

	snprintf(old, sizeof(old), "%s%s", j->dir, OLD_ROOT);
	if (mkdir(old, 0700) < 0)
		return -errno;
	if (syscall(SYS_pivot_root, j->dir, old) == 0) {
		if (chdir("/") < 0 || umount2(OLD_ROOT, MNT_DETACH) < 0)
			return -errno;
		if (rmdir(OLD_ROOT) < 0)
			return -errno;
		return 0;
	}
	if (errno != EINVAL)
		return -errno;
	if (rmdir(old) < 0)
		return -errno;
	pr_debug("pivot_root refused (root is the initial ramfs): moving the jail over /");
	if (chdir(j->dir) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		return -errno;
	return 0;
}

/* Empty the bounding and ambient sets, then switch ids (which clears the
 * effective and permitted sets), then clear what is left. */
static int drop_to_user(const struct vmm_jail *j)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	unsigned long cap;

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	for (cap = 0; cap <= 63; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;
			return -errno;
		}
	}
	if (setgroups(0, NULL) < 0 || setresgid(j->gid, j->gid, j->gid) < 0 ||
	    setresuid(j->uid, j->uid, j->uid) < 0)
		return -errno;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* A process that could get root back is not jailed. */
	if (setresuid(0, 0, 0) == 0)
		return -EPERM;
	return 0;
}

int vmm_jail_enter(const struct vmm_jail *j)
{
	char cwd[PATH_MAX];
	int ret;

	if (!j || !j->dir)
		return 0;
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/");
	if (unshare(CLONE_NEWNS) < 0) {
		ret = -errno;
		pr_err("cannot create a mount namespace for --jail '%s': %s (needs root or "
		       "CAP_SYS_ADMIN, and a single-threaded VMM)",
		       j->dir, strerror(-ret));
		return ret;
	}
	/* Nothing done below propagates back to the host's mount table. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		ret = -errno;
		pr_err("cannot make the jail's mounts private: %s", strerror(-ret));
		return ret;
	}
	if (mount("nfvisor-jail", j->dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=64k,nr_inodes=256,mode=0755") < 0) {
		ret = -errno;
		pr_err("cannot mount the jail's tmpfs on '%s': %s", j->dir, strerror(-ret));
		return ret;
	}
	ret = keep_dirs(j);
	if (ret)
		return ret;
	ret = change_root(j);
	if (ret) {
		pr_err("cannot make '%s' the VMM's root: %s", j->dir, strerror(-ret));
		return ret;
	}
	/* Relative socket paths keep working when their directory was kept. */
	if (chdir(cwd) < 0 && chdir("/") < 0) {
		ret = -errno;
		pr_err("cannot change to / in the jail: %s", strerror(-ret));
		return ret;
	}
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0) {
		ret = -errno;
		pr_err("cannot make the jail's root read-only: %s", strerror(-ret));
		return ret;
	}
	ret = drop_to_user(j);
	if (ret) {
		pr_err("cannot drop to uid %u gid %u in the jail: %s", (unsigned)j->uid,
		       (unsigned)j->gid, strerror(-ret));
		return ret;
	}
#if defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer's exit check needs /proc/PID/task and ptrace. */
	pr_warn("sanitizer build: LeakSanitizer cannot check for leaks inside the jail; run with "
		"ASAN_OPTIONS=detect_leaks=0");
#endif
	pr_info("jailed in %s as uid %u gid %u (private mount namespace, no capabilities)", j->dir,
		(unsigned)j->uid, (unsigned)j->gid);
	return 0;
}
