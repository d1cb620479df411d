/* SPDX-License-Identifier: MIT */
/* The switch control request parser (dataplane/ctl_req.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/ctl_req.h"

static void test_valid(void **state)
{
	const char *cmd = NULL;
	char err[128] = "";
	json_object *r = ctl_req_parse("{\"cmd\":\"fdb-add\",\"vlan\":10}", &cmd, err, sizeof(err));

	assert_non_null(r);
	assert_string_equal(cmd, "fdb-add");
	assert_string_equal(err, "");
	json_object_put(r);
}

static void expect_refused(const char *line, const char *msg_part)
{
	const char *cmd = NULL;
	char err[128] = "";

	assert_null(ctl_req_parse(line, &cmd, err, sizeof(err)));
	assert_null(cmd);
	assert_non_null(strstr(err, msg_part));
}

static void test_refused(void **state)
{
	expect_refused("{\"cmd\":", "malformed JSON request");
	expect_refused("\xff\xfe", "malformed JSON request");
	expect_refused("", "malformed JSON request");
	expect_refused("[1,2]", "needs a string field \"cmd\"");
	expect_refused("{\"cmd\":7}", "needs a string field \"cmd\"");
	expect_refused("{\"name\":\"x\"}", "needs a string field \"cmd\"");
	expect_refused("\"help\"", "needs a string field \"cmd\"");
}

static void test_short_error_buffer(void **state)
{
	const char *cmd = NULL;
	char err[8];

	assert_null(ctl_req_parse("{", &cmd, err, sizeof(err)));
	assert_int_equal(strlen(err), sizeof(err) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_short_error_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
