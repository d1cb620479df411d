/* SPDX-License-Identifier: MIT */
/* The jailer's command-line side (vmm/jail.c): id parsing, --user lookup,
 * kept socket directories and the whole-command-line check. Entering the
 * jail needs root and KVM: tests/kvm/vmm_jail.sh. */
#include <errno.h>
#include <pwd.h>
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

#include "tests/unit/stderr_capture.h"
#include "vmm/jail.h"

static char dir[64], file[80];

static int setup(void **state)
{
	FILE *f;

	strcpy(dir, "/tmp/nfv-jail.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(file, sizeof(file), "%s/file", dir);
	f = fopen(file, "w");
	if (!f)
		return -1;
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	unlink(file);
	rmdir(dir);
	return 0;
}

static void test_parse_id(void **state)
{
	unsigned v = 7;

	assert_int_equal(vmm_jail_parse_id("--uid", "1", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(vmm_jail_parse_id("--uid", "4294967294", &v), 0);
	assert_int_equal(v, 4294967294u);
	v = 7;
	stderr_capture_begin();
	assert_int_equal(vmm_jail_parse_id("--uid", "0", &v), -EINVAL);
	assert_non_null(strstr(stderr_capture_end(), "invalid --uid value '0'"));
	assert_int_equal(vmm_jail_parse_id("--gid", "4294967295", &v), -EINVAL);
	assert_int_equal(vmm_jail_parse_id("--gid", "-5", &v), -EINVAL);
	assert_int_equal(vmm_jail_parse_id("--gid", "12x", &v), -EINVAL);
	assert_int_equal(vmm_jail_parse_id("--gid", "", &v), -EINVAL);
	assert_int_equal(v, 7); /* untouched on error */
}

static void test_check(void **state)
{
	struct vmm_jail j = {0};

	/* no jail at all */
	assert_int_equal(vmm_jail_check(&j), 0);
	/* ids without a jail */
	j.has_uid = true;
	j.uid = 1000;
	assert_int_equal(vmm_jail_check(&j), -EINVAL);
	/* a jail without ids, then with only one of them */
	j = (struct vmm_jail){.dir = dir};
	assert_int_equal(vmm_jail_check(&j), -EINVAL);
	j.has_uid = true;
	j.uid = 1000;
	assert_int_equal(vmm_jail_check(&j), -EINVAL);
	j.has_gid = true;
	j.gid = 1000;
	assert_int_equal(vmm_jail_check(&j), 0);
	/* bad directories */
	j.dir = "relative/dir";
	assert_int_equal(vmm_jail_check(&j), -EINVAL);
	j.dir = "/";
	assert_int_equal(vmm_jail_check(&j), -EINVAL);
	j.dir = file;
	assert_int_equal(vmm_jail_check(&j), -EINVAL);
	j.dir = "/nonexistent/nfv-jail";
	stderr_capture_begin();
	assert_int_equal(vmm_jail_check(&j), -EINVAL);
	assert_non_null(strstr(stderr_capture_end(),
			       "--jail '/nonexistent/nfv-jail': No such file or directory"));
}

static void test_keep(void **state)
{
	struct vmm_jail j = {.dir = dir};
	unsigned i;

	for (i = 0; i < VMM_JAIL_KEEP_MAX; i++)
		assert_int_equal(vmm_jail_keep(&j, "/run/sw/vm.sock"), 0);
	assert_int_equal(j.n_keep, VMM_JAIL_KEEP_MAX);
	assert_int_equal(vmm_jail_keep(&j, "/run/sw/one-too-many.sock"), -E2BIG);
	assert_int_equal(j.n_keep, VMM_JAIL_KEEP_MAX);
}

static void test_user(void **state)
{
	struct vmm_jail j = {0};
	struct passwd *pw;

	stderr_capture_begin();
	assert_int_equal(vmm_jail_set_user(&j, "no-such-user-nfv"), -ENOENT);
	assert_non_null(strstr(stderr_capture_end(), "--user 'no-such-user-nfv'"));
	assert_false(j.has_uid || j.has_gid);
	if (getpwnam("root")) {
		assert_int_equal(vmm_jail_set_user(&j, "root"), -EINVAL);
		assert_false(j.has_uid || j.has_gid);
	}
	pw = getpwnam("nobody");
	if (!pw || !pw->pw_uid || !pw->pw_gid)
		skip();
	assert_int_equal(vmm_jail_set_user(&j, "nobody"), 0);
	assert_true(j.has_uid && j.has_gid);
	assert_int_equal(j.uid, pw->pw_uid);
	assert_int_equal(j.gid, pw->pw_gid);
}

static void test_enter_without_jail(void **state)
{
	struct vmm_jail j = {0};

	/* no dir: nothing happens (the VMM runs unjailed) */
	assert_int_equal(vmm_jail_enter(NULL), 0);
	assert_int_equal(vmm_jail_enter(&j), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_id),
	    cmocka_unit_test_setup_teardown(test_check, setup, teardown),
	    cmocka_unit_test(test_keep),
	    cmocka_unit_test(test_user),
	    cmocka_unit_test(test_enter_without_jail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
