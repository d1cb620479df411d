/* SPDX-License-Identifier: MIT */
/* Host CPU list validation against a fake /sys/devices/system/cpu tree:
 * wrong length, duplicates, missing and offline CPUs, CPUs outside the
 * process's affinity mask. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "vmm/pin.h"

static char root[64];

/* cpu0: no online file (boot CPU); cpu1, cpu3: online; cpu2: offline. */
static int setup(void **state)
{
	static const char *const online[] = {NULL, "1\n", "0\n", "1\n"};
	char path[128];
	int i;

	strcpy(root, "/tmp/nfv-cpu.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	for (i = 0; i < 4; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/cpu%d", root, i);
		mkdir(path, 0755);
		if (!online[i])
			continue;
		snprintf(path, sizeof(path), "%s/cpu%d/online", root, i);
		f = fopen(path, "w");
		fputs(online[i], f);
		fclose(f);
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void test_ok(void **state)
{
	int cpus[] = {1, 0, 3};
	char msg[256];

	assert_int_equal(pin_check("--pin", cpus, 3, 3, root, NULL, msg, sizeof(msg)), 0);
	assert_int_equal(pin_check("--emulator-pin", cpus, 1, 0, root, NULL, msg, sizeof(msg)), 0);
}

static void test_length(void **state)
{
	int cpus[] = {0, 1};
	char msg[256];

	assert_int_equal(pin_check("--pin", cpus, 2, 3, root, NULL, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "--pin lists 2 CPUs but the VM has 3 vCPUs"));
	assert_int_equal(pin_check("--pin", cpus, 2, 1, root, NULL, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "has 1 vCPU;"));
}

static void test_duplicate(void **state)
{
	int cpus[] = {1, 3, 1};
	char msg[256];

	assert_int_equal(pin_check("--pin", cpus, 3, 3, root, NULL, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "names CPU 1 twice"));
}

static void test_missing_offline(void **state)
{
	int missing[] = {0, 7}, offline[] = {2}, negative[] = {-1};
	char msg[256], expect[160];

	assert_int_equal(pin_check("--pin", missing, 2, 2, root, NULL, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "CPU 7 does not exist"));
	assert_int_equal(pin_check("--pin", offline, 1, 1, root, NULL, msg, sizeof(msg)), -EINVAL);
	snprintf(expect, sizeof(expect),
		 "CPU 2 is offline; bring it up with: echo 1 > %s/cpu2/online", root);
	assert_non_null(strstr(msg, expect));
	assert_int_equal(pin_check("--pin", negative, 1, 1, root, NULL, msg, sizeof(msg)), -EINVAL);
}

static void test_affinity(void **state)
{
	int cpus[] = {0, 3};
	cpu_set_t allowed;
	char msg[256];

	CPU_ZERO(&allowed);
	CPU_SET(0, &allowed);
	CPU_SET(1, &allowed);
	assert_int_equal(pin_check("--pin", cpus, 2, 2, root, &allowed, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "CPU 3 is outside the CPUs this process may run on"));
	CPU_SET(3, &allowed);
	assert_int_equal(pin_check("--pin", cpus, 2, 2, root, &allowed, msg, sizeof(msg)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ok),	      cmocka_unit_test(test_length),
	    cmocka_unit_test(test_duplicate), cmocka_unit_test(test_missing_offline),
	    cmocka_unit_test(test_affinity),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
