/* SPDX-License-Identifier: MIT */
/* vfio/vf_netlink: the RTM_NEWLINK request it builds (attributes checked
 * one by one), input checks, and real rtnetlink calls against a veth (no
 * SR-IOV ops) in a private network namespace, which must fail cleanly. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "tests/unit/stderr_capture.h"
#include "vfio/vf_netlink.h"

/* Parse the IFLA_VF_INFO nest of a built message into tb[]. */
static struct nlattr *vf_info(struct nl_msg *msg, struct nlattr **tb)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *list, *info;

	list = nlmsg_find_attr(h, sizeof(struct ifinfomsg), IFLA_VFINFO_LIST);
	assert_non_null(list);
	info = nla_find(nla_data(list), nla_len(list), IFLA_VF_INFO);
	assert_non_null(info);
	assert_int_equal(nla_parse_nested(tb, IFLA_VF_MAX, info, NULL), 0);
	return info;
}

static void test_build_all_fields(void **state)
{
	struct vf_config c = {
	    .fields = VF_CFG_MAC | VF_CFG_VLAN | VF_CFG_SPOOFCHK | VF_CFG_TRUST |
		      VF_CFG_LINK_STATE | VF_CFG_RATE,
	    .mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
	    .vlan = 100,
	    .qos = 3,
	    .spoofchk = true,
	    .trust = false,
	    .link_state = VF_LINK_DISABLE,
	    .min_tx_rate = 100,
	    .max_tx_rate = 1000,
	};
	struct nlattr *tb[IFLA_VF_MAX + 1];
	struct ifinfomsg *ifi;
	struct nl_msg *msg;
	struct ifla_vf_mac *mac;
	struct ifla_vf_vlan *vlan;
	struct ifla_vf_spoofchk *sc;
	struct ifla_vf_trust *tr;
	struct ifla_vf_link_state *ls;
	struct ifla_vf_rate *rate;

	assert_int_equal(vf_nl_build_msg(42, 3, &c, &msg), 0);
	assert_int_equal(nlmsg_hdr(msg)->nlmsg_type, RTM_NEWLINK);
	ifi = nlmsg_data(nlmsg_hdr(msg));
	assert_int_equal(ifi->ifi_index, 42);
	vf_info(msg, tb);

	assert_non_null(tb[IFLA_VF_MAC]);
	mac = nla_data(tb[IFLA_VF_MAC]);
	assert_int_equal(mac->vf, 3);
	assert_memory_equal(mac->mac, c.mac, 6);

	assert_non_null(tb[IFLA_VF_VLAN]);
	vlan = nla_data(tb[IFLA_VF_VLAN]);
	assert_int_equal(vlan->vf, 3);
	assert_int_equal(vlan->vlan, 100);
	assert_int_equal(vlan->qos, 3);
	assert_null(tb[IFLA_VF_VLAN_LIST]);

	assert_non_null(tb[IFLA_VF_SPOOFCHK]);
	sc = nla_data(tb[IFLA_VF_SPOOFCHK]);
	assert_int_equal(sc->vf, 3);
	assert_int_equal(sc->setting, 1);

	assert_non_null(tb[IFLA_VF_TRUST]);
	tr = nla_data(tb[IFLA_VF_TRUST]);
	assert_int_equal(tr->vf, 3);
	assert_int_equal(tr->setting, 0);

	assert_non_null(tb[IFLA_VF_LINK_STATE]);
	ls = nla_data(tb[IFLA_VF_LINK_STATE]);
	assert_int_equal(ls->vf, 3);
	assert_int_equal(ls->link_state, IFLA_VF_LINK_STATE_DISABLE);

	assert_non_null(tb[IFLA_VF_RATE]);
	rate = nla_data(tb[IFLA_VF_RATE]);
	assert_int_equal(rate->vf, 3);
	assert_int_equal(rate->min_tx_rate, 100);
	assert_int_equal(rate->max_tx_rate, 1000);
	/* The old single-rate attribute is not sent alongside. */
	assert_null(tb[IFLA_VF_TX_RATE]);
	nlmsg_free(msg);
}

static void test_build_only_requested(void **state)
{
	struct vf_config c = {.fields = VF_CFG_TRUST, .trust = true};
	struct nlattr *tb[IFLA_VF_MAX + 1];
	struct nl_msg *msg;

	assert_int_equal(vf_nl_build_msg(7, 0, &c, &msg), 0);
	vf_info(msg, tb);
	assert_non_null(tb[IFLA_VF_TRUST]);
	assert_int_equal(((struct ifla_vf_trust *)nla_data(tb[IFLA_VF_TRUST]))->setting, 1);
	assert_null(tb[IFLA_VF_MAC]);
	assert_null(tb[IFLA_VF_VLAN]);
	assert_null(tb[IFLA_VF_SPOOFCHK]);
	assert_null(tb[IFLA_VF_LINK_STATE]);
	assert_null(tb[IFLA_VF_RATE]);
	/* Nothing but the VF list is changed on the link. */
	assert_null(nlmsg_find_attr(nlmsg_hdr(msg), sizeof(struct ifinfomsg), IFLA_MTU));
	assert_null(nlmsg_find_attr(nlmsg_hdr(msg), sizeof(struct ifinfomsg), IFLA_IFNAME));
	nlmsg_free(msg);

	/* VLAN 0 (untag) is sent as an explicit IFLA_VF_VLAN 0. */
	c = (struct vf_config){.fields = VF_CFG_VLAN, .vlan = 0};
	assert_int_equal(vf_nl_build_msg(7, 1, &c, &msg), 0);
	vf_info(msg, tb);
	assert_non_null(tb[IFLA_VF_VLAN]);
	assert_int_equal(((struct ifla_vf_vlan *)nla_data(tb[IFLA_VF_VLAN]))->vlan, 0);
	assert_int_equal(((struct ifla_vf_vlan *)nla_data(tb[IFLA_VF_VLAN]))->vf, 1);
	nlmsg_free(msg);
}

static void test_config_check(void **state)
{
	struct vf_config c = {.fields = VF_CFG_VLAN, .vlan = 4096};
	struct nl_msg *msg = NULL;

	assert_int_equal(vf_config_check(&c), -EINVAL);
	assert_int_equal(vf_nl_build_msg(1, 0, &c, &msg), -EINVAL);
	assert_null(msg);
	c.vlan = 4095;
	assert_int_equal(vf_config_check(&c), 0);
	c.qos = 8;
	assert_int_equal(vf_config_check(&c), -EINVAL);
	c = (struct vf_config){.fields = VF_CFG_VLAN, .qos = 2};
	assert_int_equal(vf_config_check(&c), -EINVAL);
	c = (struct vf_config){.fields = VF_CFG_MAC, .mac = {0x01, 0, 0x5e, 0, 0, 1}};
	assert_int_equal(vf_config_check(&c), -EINVAL);
	c = (struct vf_config){.fields = VF_CFG_MAC}; /* zero MAC: "none", allowed */
	assert_int_equal(vf_config_check(&c), 0);
	c = (struct vf_config){.fields = VF_CFG_RATE, .min_tx_rate = 500, .max_tx_rate = 100};
	assert_int_equal(vf_config_check(&c), -EINVAL);
	c.max_tx_rate = 0; /* no maximum: any minimum */
	assert_int_equal(vf_config_check(&c), 0);
	c = (struct vf_config){.fields = VF_CFG_LINK_STATE, .link_state = (enum vf_link_state)7};
	assert_int_equal(vf_config_check(&c), -EINVAL);
	c = (struct vf_config){.fields = 1u << 20};
	assert_int_equal(vf_config_check(&c), -EINVAL);
}

static void test_veth_fails_cleanly(void **state)
{
	struct vf_config c = {.fields = VF_CFG_MAC | VF_CFG_SPOOFCHK,
			      .mac = {0x52, 0x54, 0, 1, 2, 3},
			      .spoofchk = true};
	struct vf_config got;
	struct nl_sock *sk;
	struct vf_nl *nl;
	const char *err;
	unsigned n = 99;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		skip(); /* needs root / CAP_SYS_ADMIN for a private netns */
		return;
	}
	sk = nl_socket_alloc();
	assert_non_null(sk);
	assert_int_equal(nl_connect(sk, NETLINK_ROUTE), 0);
	assert_int_equal(rtnl_link_veth_add(sk, "nfvpf0", "nfvpf0p", getpid()), 0);
	nl_socket_free(sk);

	stderr_capture_begin();
	assert_int_equal(vf_nl_open("nfv-nonexistent", &nl), -ENODEV);
	err = stderr_capture_end();
	assert_non_null(strstr(err, "'nfv-nonexistent' does not exist"));

	assert_int_equal(vf_nl_open("nfvpf0", &nl), 0);
	assert_int_equal(vf_nl_num_vfs(nl, &n), 0);
	assert_int_equal(n, 0);

	stderr_capture_begin();
	assert_int_equal(vf_nl_get(nl, 0, &got), -ERANGE);
	err = stderr_capture_end();
	assert_non_null(strstr(err, "PF nfvpf0 has no VF 0: it reports 0 VFs"));

	/* The kernel gets the request and refuses it: veth has no VF ops. */
	stderr_capture_begin();
	assert_int_equal(vf_nl_set(nl, 0, &c), -EOPNOTSUPP);
	err = stderr_capture_end();
	assert_non_null(strstr(err, "PF nfvpf0: setting VF 0 mac,spoofchk failed"));
	assert_non_null(strstr(err, "does not implement"));

	/* apply reads first and stops there; nothing recorded, restore is a no-op. */
	stderr_capture_begin();
	assert_int_equal(vf_nl_apply(nl, 0, &c), -ERANGE);
	stderr_capture_end();
	assert_int_equal(vf_nl_restore(nl), 0);
	vf_nl_close(nl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_all_fields),
	    cmocka_unit_test(test_build_only_requested),
	    cmocka_unit_test(test_config_check),
	    cmocka_unit_test(test_veth_fails_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
