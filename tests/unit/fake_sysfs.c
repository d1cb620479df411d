/* SPDX-License-Identifier: MIT */
#include "tests/unit/fake_sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#define DEVS "sys/bus/pci/devices"
#define DRVS "sys/bus/pci/drivers"

static void pathf(struct fake_sys *f, char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void pathf(struct fake_sys *f, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(buf, len, "%s/", f->root);

	va_start(ap, fmt);
	vsnprintf(buf + n, len - (size_t)n, fmt, ap);
	va_end(ap);
}

static void mkdirs(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	}
	mkdir(tmp, 0755);
}

void fake_put(struct fake_sys *f, const char *rel, const char *content)
{
	char path[PATH_MAX], dir[PATH_MAX];
	FILE *fp;

	pathf(f, path, sizeof(path), "%s", rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

void fake_link(struct fake_sys *f, const char *rel, const char *target)
{
	char path[PATH_MAX], dir[PATH_MAX];

	pathf(f, path, sizeof(path), "%s", rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
}

static void get(struct fake_sys *f, const char *rel, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *fp;

	buf[0] = '\0';
	pathf(f, path, sizeof(path), "%s", rel);
	fp = fopen(path, "r");
	if (!fp)
		return;
	if (!fgets(buf, (int)len, fp))
		buf[0] = '\0';
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
}

static void rm(struct fake_sys *f, const char *rel)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", f->root, rel);
	assert_int_equal(system(cmd), 0);
}

static bool exists(struct fake_sys *f, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	pathf(f, path, sizeof(path), "%s", rel);
	return lstat(path, &st) == 0;
}

const char *fake_driver(struct fake_sys *f, const char *bdf)
{
	static char name[64];
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	pathf(f, path, sizeof(path), DEVS "/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return "";
	target[n] = '\0';
	snprintf(name, sizeof(name), "%s", strrchr(target, '/') + 1);
	return name;
}

const char *fake_override(struct fake_sys *f, const char *bdf)
{
	static char val[64];
	char rel[128];

	snprintf(rel, sizeof(rel), DEVS "/%s/driver_override", bdf);
	get(f, rel, val, sizeof(val));
	if (!strcmp(val, "(null)"))
		val[0] = '\0';
	return val;
}

static void set_driver(struct fake_sys *f, const char *bdf, const char *drv)
{
	char rel[128], target[128];

	snprintf(rel, sizeof(rel), DEVS "/%s/driver", bdf);
	if (!drv || !drv[0]) {
		rm(f, rel);
		return;
	}
	snprintf(target, sizeof(target), "../../drivers/%s", drv);
	fake_link(f, rel, target);
}

static void add_driver(struct fake_sys *f, const char *drv)
{
	char rel[128];

	snprintf(rel, sizeof(rel), DRVS "/%s/bind", drv);
	fake_put(f, rel, "");
	snprintf(rel, sizeof(rel), DRVS "/%s/unbind", drv);
	fake_put(f, rel, "");
}

void fake_remove_driver(struct fake_sys *f, const char *drv)
{
	char rel[128];

	snprintf(rel, sizeof(rel), DRVS "/%s", drv);
	rm(f, rel);
}

void fake_add_dev(struct fake_sys *f, const char *bdf, int group, const char *driver,
		  const char *native)
{
	char rel[160], target[160];

	snprintf(rel, sizeof(rel), DEVS "/%s/driver_override", bdf);
	fake_put(f, rel, "(null)\n");
	snprintf(rel, sizeof(rel), DEVS "/%s/native", bdf); /* fake-kernel private */
	fake_put(f, rel, native ? native : "");
	if (group >= 0) {
		snprintf(rel, sizeof(rel), DEVS "/%s/iommu_group", bdf);
		snprintf(target, sizeof(target), "../../../../kernel/iommu_groups/%d", group);
		fake_link(f, rel, target);
		snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices/%s", group, bdf);
		snprintf(target, sizeof(target), "../../../../bus/pci/devices/%s", bdf);
		fake_link(f, rel, target);
	}
	set_driver(f, bdf, driver);
}

void fake_make_pf(struct fake_sys *f, const char *bdf, unsigned total, const char *ifname)
{
	char rel[160], val[16];

	snprintf(val, sizeof(val), "%u\n", total);
	snprintf(rel, sizeof(rel), DEVS "/%s/sriov_totalvfs", bdf);
	fake_put(f, rel, val);
	snprintf(rel, sizeof(rel), DEVS "/%s/sriov_numvfs", bdf);
	fake_put(f, rel, "0\n");
	snprintf(rel, sizeof(rel), DEVS "/%s/sriov_drivers_autoprobe", bdf);
	fake_put(f, rel, "1\n");
	if (ifname) {
		snprintf(rel, sizeof(rel), DEVS "/%s/net/%s/ifindex", bdf, ifname);
		fake_put(f, rel, "7\n");
	}
}

/* ---- the fake kernel ------------------------------------------------------ */

static int k_numvfs(struct fake_sys *f, const char *pf, const char *value)
{
	char rel[160], buf[32], vf[32];
	unsigned n = (unsigned)atoi(value), cur, total;

	snprintf(rel, sizeof(rel), DEVS "/%s/sriov_numvfs", pf);
	get(f, rel, buf, sizeof(buf));
	cur = (unsigned)atoi(buf);
	snprintf(rel, sizeof(rel), DEVS "/%s/sriov_totalvfs", pf);
	get(f, rel, buf, sizeof(buf));
	total = (unsigned)atoi(buf);
	if (n > total)
		return -ERANGE;
	if (cur && n && cur != n)
		return -EBUSY; /* as sriov_numvfs_store */
	if (n == 0) {
		for (unsigned i = 0; i < cur; i++) {
			snprintf(vf, sizeof(vf), "%.8s10.%u", pf, i);
			snprintf(rel, sizeof(rel), DEVS "/%s", vf);
			rm(f, rel);
			snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%u", 100 + i);
			rm(f, rel);
			snprintf(rel, sizeof(rel), DEVS "/%s/virtfn%u", pf, i);
			rm(f, rel);
		}
		return 0;
	}
	snprintf(rel, sizeof(rel), DEVS "/%s/sriov_drivers_autoprobe", pf);
	get(f, rel, buf, sizeof(buf));
	for (unsigned i = 0; i < n; i++) {
		char target[64];

		snprintf(vf, sizeof(vf), "%.8s10.%u", pf, i);
		fake_add_dev(f, vf, (int)(100 + i), !strcmp(buf, "1") ? f->vf_driver : NULL,
			     f->vf_driver);
		snprintf(rel, sizeof(rel), DEVS "/%s/virtfn%u", pf, i);
		snprintf(target, sizeof(target), "../%s", vf);
		fake_link(f, rel, target);
	}
	return 0;
}

static int k_probe(struct fake_sys *f, const char *bdf)
{
	char rel[160], native[64], drvdir[160];
	const char *want;

	snprintf(rel, sizeof(rel), DEVS "/%s", bdf);
	if (!exists(f, rel))
		return -ENODEV;
	if (fake_driver(f, bdf)[0])
		return 0;
	want = fake_override(f, bdf);
	if (!want[0]) {
		snprintf(rel, sizeof(rel), DEVS "/%s/native", bdf);
		get(f, rel, native, sizeof(native));
		want = native;
	}
	snprintf(drvdir, sizeof(drvdir), DRVS "/%s", want);
	if (want[0] && exists(f, drvdir))
		set_driver(f, bdf, want);
	return 0;
}

static int fake_kernel(void *opaque, const char *rel, const char *value)
{
	struct fake_sys *f = opaque;
	char dev[64], drv[64], tail[64];
	size_t rl = strlen(rel), sl = strlen(f->fail_suffix);

	if (f->nwrites < FAKE_MAX_WRITES)
		snprintf(f->writes[f->nwrites++], sizeof(f->writes[0]), "%s=%s", rel, value);
	if (sl && rl >= sl && !strcmp(rel + rl - sl, f->fail_suffix)) {
		f->fail_suffix[0] = '\0';
		return -f->fail_errno;
	}
	if (sscanf(rel, DEVS "/%63[^/]/%63s", dev, tail) == 2) {
		if (!strcmp(tail, "sriov_numvfs"))
			return k_numvfs(f, dev, value);
		return 0; /* driver_override, autoprobe: plain stores */
	}
	if (!strcmp(rel, "sys/bus/pci/drivers_probe"))
		return k_probe(f, value);
	if (sscanf(rel, DRVS "/%63[^/]/%63s", drv, tail) == 2) {
		if (!strcmp(tail, "unbind")) {
			if (strcmp(fake_driver(f, value), drv))
				return -ENODEV;
			set_driver(f, value, NULL);
			return 0;
		}
		if (!strcmp(tail, "bind")) {
			if (fake_driver(f, value)[0])
				return -EBUSY;
			set_driver(f, value, drv);
			return 0;
		}
	}
	return 0;
}

void fake_sys_init(struct fake_sys *f)
{
	static const char *const drivers[] = {"vfio-pci", "pcieport", "nvme",
					      "ixgbe",	  "ixgbevf",  "ahci"};

	memset(f, 0, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/nfv-fakesys.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		add_driver(f, drivers[i]);
	fake_put(f, "sys/bus/pci/drivers_probe", "");
	fake_put(f, "sys/kernel/iommu_groups/.keep", "");
	fake_put(f, "proc/mounts", "proc /proc proc rw 0 0\n");
	snprintf(f->vf_driver, sizeof(f->vf_driver), "ixgbevf");
	assert_int_equal(sysfs_open(f->root, &f->fs), 0);
	sysfs_set_write_hook(f->fs, fake_kernel, f);
}

void fake_sys_fini(struct fake_sys *f)
{
	char cmd[300];

	sysfs_close(f->fs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
}

int fake_find_write(struct fake_sys *f, int from, const char *suffix, const char *value)
{
	for (int i = from < 0 ? 0 : from; i < f->nwrites; i++) {
		const char *eq = strrchr(f->writes[i], '=');
		size_t pl = (size_t)(eq - f->writes[i]), sl = strlen(suffix);

		if (pl >= sl && !strncmp(f->writes[i] + pl - sl, suffix, sl) &&
		    !strcmp(eq + 1, value))
			return i;
	}
	return -1;
}

void fake_stderr_begin(struct fake_sys *f)
{
	int fd;

	fflush(stderr);
	snprintf(f->errfile, sizeof(f->errfile), "%s/stderr.txt", f->root);
	fd = open(f->errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	f->saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

const char *fake_stderr_end(struct fake_sys *f)
{
	static char buf[8192];
	ssize_t n;
	int fd;

	fflush(stderr);
	dup2(f->saved_stderr, 2);
	close(f->saved_stderr);
	fd = open(f->errfile, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	/* Echo for the test log. */
	fputs(buf, stderr);
	return buf;
}
