/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/parse.h"

static void test_size(void **state)
{
	uint64_t v;

	assert_int_equal(parse_size("512M", &v), 0);
	assert_int_equal(v, 512ull << 20);
	assert_int_equal(parse_size("2G", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(parse_size("64k", &v), 0);
	assert_int_equal(v, 64ull << 10);
	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("12Q", &v), -EINVAL);
	assert_int_equal(parse_size("", &v), -EINVAL);
	assert_int_equal(parse_size("-1G", &v), -EINVAL);
	assert_int_equal(parse_size("1GG", &v), -EINVAL);
	assert_int_equal(parse_size("99999999999T", &v), -ERANGE);
	assert_int_equal(parse_size("99999999999999999999", &v), -ERANGE);
}

static void test_cpu_list(void **state)
{
	int cpus[8];
	size_t n;

	assert_int_equal(parse_cpu_list("0,2,4-6", cpus, 8, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(cpus[0], 0);
	assert_int_equal(cpus[1], 2);
	assert_int_equal(cpus[4], 6);
	assert_int_equal(parse_cpu_list("1", cpus, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(parse_cpu_list("0-9", cpus, 8, &n), -E2BIG);
	assert_int_equal(parse_cpu_list("3-1", cpus, 8, &n), -EINVAL);
	assert_int_equal(parse_cpu_list("1,,2", cpus, 8, &n), -EINVAL);
	assert_int_equal(parse_cpu_list("a", cpus, 8, &n), -EINVAL);
	assert_int_equal(parse_cpu_list("", cpus, 8, &n), -EINVAL);
	assert_int_equal(parse_cpu_list("1,", cpus, 8, &n), -EINVAL);
	assert_int_equal(parse_cpu_list("5000", cpus, 8, &n), -ERANGE);
}

static void test_mac(void **state)
{
	uint8_t mac[6];
	char buf[18];

	assert_int_equal(parse_mac("52:54:00:AB:cd:0f", mac), 0);
	assert_int_equal(mac[3], 0xab);
	format_mac(mac, buf);
	assert_string_equal(buf, "52:54:00:ab:cd:0f");
	assert_int_equal(parse_mac("52:54:00:ab:cd", mac), -EINVAL);
	assert_int_equal(parse_mac("52:54:00:ab:cd:0g", mac), -EINVAL);
	assert_int_equal(parse_mac("52.54.00.ab.cd.0f", mac), -EINVAL);
}

static void test_bdf(void **state)
{
	struct pci_bdf b;
	char buf[13];

	assert_int_equal(parse_pci_bdf("0000:3b:02.1", &b), 0);
	assert_int_equal(b.bus, 0x3b);
	assert_int_equal(b.dev, 2);
	assert_int_equal(b.fn, 1);
	format_pci_bdf(&b, buf);
	assert_string_equal(buf, "0000:3b:02.1");
	assert_int_equal(parse_pci_bdf("3b:02.1", &b), 0);
	assert_int_equal(b.domain, 0);
	assert_int_equal(parse_pci_bdf("0000:3b:20.1", &b), -ERANGE);
	assert_int_equal(parse_pci_bdf("0000:3b:02.8", &b), -ERANGE);
	assert_int_equal(parse_pci_bdf("1:2.3", &b), -EINVAL);
	assert_int_equal(parse_pci_bdf("0000:3b:02.1x", &b), -EINVAL);
	assert_int_equal(parse_pci_bdf("0000:zz:02.1", &b), -EINVAL);
}

/* pci_bdf_equal compares fields: different padding bytes do not matter. */
static void test_bdf_equal(void **state)
{
	struct pci_bdf a, b;

	memset(&a, 0x00, sizeof(a));
	memset(&b, 0xff, sizeof(b));
	assert_int_equal(parse_pci_bdf("0000:3b:02.1", &a), 0);
	assert_int_equal(parse_pci_bdf("3b:02.1", &b), 0);
	b.domain = a.domain;
	b.bus = a.bus;
	b.dev = a.dev;
	b.fn = a.fn;
	assert_true(pci_bdf_equal(&a, &b));
	b.fn = 2;
	assert_false(pci_bdf_equal(&a, &b));
	b.fn = a.fn;
	b.domain = 1;
	assert_false(pci_bdf_equal(&a, &b));
}

/* parse_user: root is refused (its ids still given), an absent user is
 * -ENOENT with no lookup error, nobody (in every Debian passwd) resolves. */
static void test_user(void **state)
{
	unsigned uid = 1, gid = 1;
	int err = -1;

	assert_int_equal(parse_user("root", &uid, &gid, &err), -EPERM);
	assert_int_equal(uid, 0);
	assert_int_equal(gid, 0);
	assert_int_equal(parse_user("no-such-user-nfv", &uid, &gid, &err), -ENOENT);
	assert_int_equal(err, 0);
	assert_int_equal(parse_user("nobody", &uid, &gid, &err), 0);
	assert_true(uid > 0 && gid > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_size),      cmocka_unit_test(test_cpu_list),
	    cmocka_unit_test(test_mac),	      cmocka_unit_test(test_bdf),
	    cmocka_unit_test(test_bdf_equal), cmocka_unit_test(test_user),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
