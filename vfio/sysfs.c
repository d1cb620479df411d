/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "sysfs"
#include "vfio/sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/parse.h"

struct sysfs {
	char root[PATH_MAX];
	sysfs_write_hook hook;
	void *hook_opaque;
};

int sysfs_open(const char *root, struct sysfs **out)
{
	struct sysfs *fs;
	struct stat st;
	size_t n;

	if (!root)
		root = "";
	n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		n--;
	if (n >= sizeof(fs->root) - 64) {
		pr_err("sysfs root '%s' is too long; use a shorter directory", root);
		return -ENAMETOOLONG;
	}
	if (n > 0 && (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))) {
		pr_err(
		    "sysfs root '%s' is not a directory; pass an existing directory or none for /",
		    root);
		return -ENOENT;
	}
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	memcpy(fs->root, root, n);
	fs->root[n] = '\0';
	*out = fs;
	return 0;
}

void sysfs_close(struct sysfs *fs)
{
	free(fs);
}

void sysfs_set_write_hook(struct sysfs *fs, sysfs_write_hook hook, void *opaque)
{
	fs->hook = hook;
	fs->hook_opaque = opaque;
}

const char *sysfs_root(const struct sysfs *fs)
{
	return fs->root;
}

static int vpath(const struct sysfs *fs, char *buf, size_t len, const char *fmt, va_list ap)
{
	int a, b;

	a = snprintf(buf, len, "%s/", fs->root);
	if (a < 0 || (size_t)a >= len)
		return -ENAMETOOLONG;
	b = vsnprintf(buf + a, len - (size_t)a, fmt, ap);
	if (b < 0 || (size_t)b >= len - (size_t)a)
		return -ENAMETOOLONG;
	return 0;
}

int sysfs_path(const struct sysfs *fs, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(fs, buf, len, fmt, ap);
	va_end(ap);
	return ret;
}

bool sysfs_exists(const struct sysfs *fs, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(fs, path, sizeof(path), fmt, ap);
	va_end(ap);
	return ret == 0 && access(path, F_OK) == 0;
}

static int read_path(const char *path, char *buf, size_t len)
{
	ssize_t n;
	size_t got = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (got + 1 >= len) {
			char extra;

			/* Only an overflow if more data follows. */
			n = read(fd, &extra, 1);
			if (n > 0)
				ret = -EOVERFLOW;
			else if (n < 0)
				ret = -errno;
			break;
		}
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (ret)
		return ret;
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		got--;
	buf[got] = '\0';
	return 0;
}

int sysfs_read(const struct sysfs *fs, char *buf, size_t len, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int ret;

	if (len == 0)
		return -EINVAL;
	va_start(ap, fmt);
	ret = vpath(fs, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret)
		return ret;
	return read_path(path, buf, len);
}

int sysfs_read_uint(const struct sysfs *fs, unsigned *out, const char *fmt, ...)
{
	char path[PATH_MAX], buf[32];
	uint64_t v;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(fs, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret)
		return ret;
	ret = read_path(path, buf, sizeof(buf));
	if (ret)
		return ret;
	if (parse_uint(buf, 0, UINT_MAX, &v))
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int sysfs_write(struct sysfs *fs, const char *value, const char *fmt, ...)
{
	char path[PATH_MAX];
	size_t len = strlen(value);
	const char *rel;
	va_list ap;
	ssize_t n;
	int fd, ret;

	va_start(ap, fmt);
	ret = vpath(fs, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret)
		return ret;
	rel = path + strlen(fs->root) + 1;
	pr_debug("write '%s' to %s", value, path);
	if (fs->hook) {
		ret = fs->hook(fs->hook_opaque, rel, value);
		if (ret)
			return ret;
	}
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* sysfs attributes take one write; an empty value still needs a byte. */
	if (len == 0) {
		value = "\n";
		len = 1;
	}
	n = write(fd, value, len);
	ret = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	return ret;
}

int sysfs_open_attr(const struct sysfs *fs, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int ret, fd;

	va_start(ap, fmt);
	ret = vpath(fs, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int sysfs_write_fd(struct sysfs *fs, int fd, const char *value, const char *relpath)
{
	size_t len = strlen(value);
	ssize_t n;
	int ret;

	pr_debug("write '%s' to %s (prepared fd)", value, relpath);
	if (fs->hook) {
		ret = fs->hook(fs->hook_opaque, relpath, value);
		if (ret)
			return ret;
	}
	if (len == 0) {
		value = "\n";
		len = 1;
	}
	/* sysfs attributes ignore the offset; pwrite keeps the fd reusable. */
	n = pwrite(fd, value, len, 0);
	return n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
}

int sysfs_link_name(const struct sysfs *fs, char *buf, size_t len, const char *fmt, ...)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	va_list ap;
	ssize_t n;
	int ret;

	va_start(ap, fmt);
	ret = vpath(fs, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret)
		return ret;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return errno == EINVAL ? -ENOLINK : -errno;
	target[n] = '\0';
	while (n > 1 && target[n - 1] == '/')
		target[--n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -EOVERFLOW;
	strcpy(buf, base);
	return 0;
}
