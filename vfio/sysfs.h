/* SPDX-License-Identifier: MIT */
/* Access to sysfs (and /dev) under a configurable root, so the SR-IOV and
 * driver-binding code runs unchanged against the real /sys or against a fake
 * tree that unit tests build in a temp dir. All paths given to these
 * functions are relative to the root ("sys/bus/pci/devices/..."), built from
 * a printf format. Every write is logged at debug level and first passed to
 * an optional hook: a test's "fake kernel" uses it to apply the side effects
 * the real kernel would (create virtfnN links, move driver links) or to fail
 * the write as the kernel would. */
#ifndef NFV_VFIO_SYSFS_H
#define NFV_VFIO_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

struct sysfs;

/* Called before each write with the root-relative path and the value.
 * Return 0 to let the write proceed, -errno to fail it with that error
 * (the file is then left untouched). */
typedef int (*sysfs_write_hook)(void *opaque, const char *relpath, const char *value);

/* root NULL or "" means the real filesystem ("/"). The root must be an
 * existing directory (-ENOENT otherwise). */
int sysfs_open(const char *root, struct sysfs **out);
void sysfs_close(struct sysfs *fs);
void sysfs_set_write_hook(struct sysfs *fs, sysfs_write_hook hook, void *opaque);
/* "" for the real root, else the root without a trailing slash. */
const char *sysfs_root(const struct sysfs *fs);

/* Absolute path of a relative one: 0 or -ENAMETOOLONG. */
int sysfs_path(const struct sysfs *fs, char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Whether the path exists (following symlinks). */
bool sysfs_exists(const struct sysfs *fs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Read a whole attribute, trailing newlines stripped: 0 or -errno
 * (-EOVERFLOW if it does not fit in buf). */
int sysfs_read(const struct sysfs *fs, char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Read a decimal unsigned attribute: 0, -errno, or -EINVAL if not a number. */
int sysfs_read_uint(const struct sysfs *fs, unsigned *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Write value (as one write()): 0 or -errno from the hook or the kernel. */
int sysfs_write(struct sysfs *fs, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Open an attribute now for writes later (before a sandbox forbids
 * opening files): fd (O_WRONLY, O_CLOEXEC) or -errno. */
int sysfs_open_attr(const struct sysfs *fs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Write value through an fd from sysfs_open_attr; relpath is what the hook
 * and the debug log see. 0 or -errno. */
int sysfs_write_fd(struct sysfs *fs, int fd, const char *value, const char *relpath);

/* Last component of a symlink's target ("vfio-pci" for .../driver,
 * "7" for .../iommu_group): 0, -ENOENT if there is no link, -errno. */
int sysfs_link_name(const struct sysfs *fs, char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
