/* SPDX-License-Identifier: MIT */
/* Validation of host CPU lists (--pin, --emulator-pin) against the machine:
 * the CPU must exist and be online in sysfs, be allowed by this process's
 * affinity mask (cpuset), and appear once. */
#ifndef NFV_VMM_PIN_H
#define NFV_VMM_PIN_H

#include <sched.h>
#include <stddef.h>

/* Check `cpus[0..n)` for `option` (named in messages). `expected` > 0
 * requires exactly that many entries (the vCPU count for --pin).
 * `sysfs_cpu_root` is /sys/devices/system/cpu unless a test passes a fake
 * tree; `allowed` is the affinity mask to respect (NULL: not checked).
 * 0, or -EINVAL with one line in msg naming the CPU and how to fix it. */
int pin_check(const char *option, const int *cpus, size_t n, size_t expected,
	      const char *sysfs_cpu_root, const cpu_set_t *allowed, char *msg, size_t msg_len);

#endif
