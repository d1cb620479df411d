/* SPDX-License-Identifier: MIT */
#include "vmm/pin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYSFS_CPU_ROOT "/sys/devices/system/cpu"

/* 1 online, 0 offline, -ENOENT no such CPU. A CPU directory without an
 * "online" file (often cpu0, which cannot be unplugged) is online. */
static int cpu_online(const char *root, int cpu)
{
	char path[512], c = '0';
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/cpu%d", root, cpu);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/cpu%d/online", root, cpu);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : -errno;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

int pin_check(const char *option, const int *cpus, size_t n, size_t expected,
	      const char *sysfs_cpu_root, const cpu_set_t *allowed, char *msg, size_t msg_len)
{
	size_t i, j;
	int st;

	if (!sysfs_cpu_root)
		sysfs_cpu_root = SYSFS_CPU_ROOT;
	if (expected && n != expected) {
		snprintf(msg, msg_len,
			 "%s lists %zu CPU%s but the VM has %zu vCPU%s; give exactly one host CPU "
			 "per vCPU",
			 option, n, n == 1 ? "" : "s", expected, expected == 1 ? "" : "s");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++) {
			if (cpus[j] == cpus[i]) {
				snprintf(msg, msg_len,
					 "%s names CPU %d twice; each entry needs its own host CPU",
					 option, cpus[i]);
				return -EINVAL;
			}
		}
		st = cpus[i] < 0 ? -ENOENT : cpu_online(sysfs_cpu_root, cpus[i]);
		if (st < 0) {
			snprintf(msg, msg_len,
				 "%s: CPU %d does not exist on this host (see %s for the CPUs "
				 "there are)",
				 option, cpus[i], sysfs_cpu_root);
			return -EINVAL;
		}
		if (st == 0) {
			snprintf(
			    msg, msg_len,
			    "%s: CPU %d is offline; bring it up with: echo 1 > %s/cpu%d/online",
			    option, cpus[i], sysfs_cpu_root, cpus[i]);
			return -EINVAL;
		}
		if (allowed && (cpus[i] >= CPU_SETSIZE || !CPU_ISSET(cpus[i], allowed))) {
			snprintf(msg, msg_len,
				 "%s: CPU %d is outside the CPUs this process may run on (its "
				 "affinity/cpuset); pick an allowed CPU or widen the cpuset",
				 option, cpus[i]);
			return -EINVAL;
		}
	}
	return 0;
}
