/* SPDX-License-Identifier: MIT */
/* Port specification parsing: every accepted form, and errors that name the
 * bad key/value for every malformed one. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/portspec.h"

static void test_vhost(void **state)
{
	struct port_spec s;
	char err[256] = "";

	assert_int_equal(port_spec_parse("name=vm1,type=vhost-user,path=/run/x.sock,mode=client,"
					 "vlan=access:10,queues=2,mac-limit=4,flood-limit=1000",
					 &s, err, sizeof(err)),
			 0);
	assert_string_equal(s.name, "vm1");
	assert_int_equal(s.type, PORT_VHOST);
	assert_string_equal(s.path, "/run/x.sock");
	assert_true(s.client);
	assert_int_equal(s.vlan.mode, L2_ACCESS);
	assert_int_equal(s.vlan.access_vlan, 10);
	assert_int_equal(s.queues, 2);
	assert_int_equal(s.mac_limit, 4);
	assert_int_equal(s.flood_limit, 1000);
	/* Defaults: server, access VLAN 1, one queue. */
	assert_int_equal(port_spec_parse("name=a,type=vhost,path=/x", &s, err, sizeof(err)), 0);
	assert_false(s.client);
	assert_int_equal(s.vlan.access_vlan, 1);
	assert_int_equal(s.queues, 1);
}

static void test_trunk_lists(void **state)
{
	struct port_spec s;
	char err[256];

	assert_int_equal(port_spec_parse("name=t,type=vhost-user,path=/x,vlan=trunk:10+20+30-32",
					 &s, err, sizeof(err)),
			 0);
	assert_true(l2_cfg_allows(&s.vlan, 31));
	assert_false(l2_cfg_allows(&s.vlan, 11));
	/* ',' inside the list works when following items have no '='. */
	assert_int_equal(port_spec_parse("name=t,type=vhost-user,vlan=trunk:10,20,path=/x,queues=2",
					 &s, err, sizeof(err)),
			 0);
	assert_true(l2_cfg_allows(&s.vlan, 20));
	assert_string_equal(s.path, "/x");
	assert_int_equal(s.queues, 2);
}

static void test_vdev_pci(void **state)
{
	struct port_spec s;
	char err[256];

	assert_int_equal(
	    port_spec_parse("name=up0,type=vdev,dev=net_tap0,iface=nfvtap0,vlan=trunk:5", &s, err,
			    sizeof(err)),
	    0);
	assert_int_equal(s.type, PORT_VDEV);
	assert_string_equal(s.devname, "net_tap0");
	assert_string_equal(s.dev, "net_tap0,iface=nfvtap0");
	assert_int_equal(
	    port_spec_parse("name=r,type=vdev,dev=net_ring0,path=/x", &s, err, sizeof(err)), 0);
	assert_string_equal(s.dev, "net_ring0,path=/x");
	assert_int_equal(port_spec_parse("name=vf,type=pci,dev=03:00.1", &s, err, sizeof(err)), 0);
	assert_int_equal(s.type, PORT_PCI);
	assert_string_equal(s.devname, "0000:03:00.1");
}

#define BAD(spec, needle)                                                                          \
	do {                                                                                       \
		struct port_spec s_;                                                               \
		char e_[256] = "";                                                                 \
		assert_int_equal(port_spec_parse(spec, &s_, e_, sizeof(e_)), -EINVAL);             \
		if (!strstr(e_, needle))                                                           \
			fail_msg("error for '%s' is '%s', expected it to mention '%s'", spec, e_,  \
				 needle);                                                          \
	} while (0)

static void test_errors(void **state)
{
	BAD("type=vhost-user,path=/x", "missing name");
	BAD("name=a,path=/x", "missing type");
	BAD("name=a,type=virtio,path=/x", "type=virtio");
	BAD("name=a,type=vhost-user", "path=SOCKET");
	BAD("name=a,type=vhost-user,path=/x,mode=both", "mode=both");
	BAD("name=a,type=vhost-user,path=/x,vlan=access:0", "vlan=access:0");
	BAD("name=a,type=vhost-user,path=/x,vlan=trunk:", "vlan=trunk:");
	BAD("name=a,type=vhost-user,path=/x,vlan=hybrid:3", "vlan=hybrid:3");
	BAD("name=a,type=vhost-user,path=/x,queues=0", "queues=0");
	BAD("name=a,type=vhost-user,path=/x,queues=9", "queues=9");
	BAD("name=a,type=vhost-user,path=/x,mac-limit=-1", "mac-limit=-1");
	BAD("name=a,type=vhost-user,path=/x,iface=foo", "iface=foo");
	BAD("name=a,type=vdev", "dev=NAME");
	BAD("name=a,type=vdev,dev=tap0", "dev=tap0");
	BAD("name=a,type=pci,dev=zz:00.0", "dev=zz:00.0");
	BAD("name=a b,type=vdev,dev=net_tap0", "name=a b");
	BAD("name=a,type=vhost-user,path=/x,justakey", "justakey");
	BAD("name=0123456789012345678901234567890123,type=vdev,dev=net_tap0", "name=");
	BAD("", "missing name");
	BAD(NULL, "missing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vhost),
	    cmocka_unit_test(test_trunk_lists),
	    cmocka_unit_test(test_vdev_pci),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
