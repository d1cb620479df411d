/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "vf-netlink"
#include "vfio/vf_netlink.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/sriov.h>
#include <netlink/socket.h>

#include "common/log.h"
#include "common/parse.h"

/* What one VF looked like before our first change, and what we changed. */
struct vf_saved {
	unsigned vf;
	uint32_t changed; /* VF_CFG_* fields we have set */
	struct vf_config before;
};

struct vf_nl {
	struct nl_sock *sk;
	char ifname[IF_NAMESIZE];
	int ifindex;
	struct vf_saved *saved;
	size_t nsaved;
};

/* libnl reports -NLE_* codes; callers of this module get -errno. */
static int nle_to_errno(int nle)
{
	static const struct {
		int nle, err;
	} map[] = {
	    {NLE_OPNOTSUPP, EOPNOTSUPP}, {NLE_PERM, EPERM},	      {NLE_NODEV, ENODEV},
	    {NLE_INVAL, EINVAL},	 {NLE_RANGE, ERANGE},	      {NLE_BUSY, EBUSY},
	    {NLE_NOMEM, ENOMEM},	 {NLE_OBJ_NOTFOUND, ENOENT},  {NLE_AGAIN, EAGAIN},
	    {NLE_EXIST, EEXIST},	 {NLE_NOACCESS, EACCES},      {NLE_MSGSIZE, EMSGSIZE},
	    {NLE_BAD_SOCK, EBADF},	 {NLE_NOADDR, EADDRNOTAVAIL},
	};

	if (nle < 0)
		nle = -nle;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].nle == nle)
			return -map[i].err;
	return -EIO;
}

static void fields_str(uint32_t f, char *buf, size_t len)
{
	static const char *const names[] = {"mac", "vlan", "spoofchk", "trust", "state", "rate"};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(f & (1u << i)))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", names[i]);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

int vf_config_check(const struct vf_config *cfg)
{
	char mac[18];

	if (cfg->fields & ~(uint32_t)(VF_CFG_MAC | VF_CFG_VLAN | VF_CFG_SPOOFCHK | VF_CFG_TRUST |
				      VF_CFG_LINK_STATE | VF_CFG_RATE)) {
		pr_err("VF config has unknown field bits 0x%x", cfg->fields);
		return -EINVAL;
	}
	/* 00:00:00:00:00:00 is allowed: it is how drivers report (and take
	 * back) "no admin MAC", so restore needs it. */
	if ((cfg->fields & VF_CFG_MAC) && (cfg->mac[0] & 1)) {
		format_mac(cfg->mac, mac);
		pr_err("VF MAC %s is a multicast address; use a unicast one (first octet even), "
		       "e.g. 52:54:00:xx:xx:xx",
		       mac);
		return -EINVAL;
	}
	if (cfg->fields & VF_CFG_VLAN) {
		if (cfg->vlan > 4095) {
			pr_err("VF VLAN %u is out of range; use 1-4095 (0 = untagged)", cfg->vlan);
			return -EINVAL;
		}
		if (cfg->qos > 7) {
			pr_err("VF VLAN QoS %u is out of range; use 0-7", cfg->qos);
			return -EINVAL;
		}
		if (cfg->qos && !cfg->vlan) {
			pr_err("VF VLAN QoS %u given without a VLAN; set a VLAN 1-4095 too",
			       cfg->qos);
			return -EINVAL;
		}
	}
	if ((cfg->fields & VF_CFG_LINK_STATE) && cfg->link_state != VF_LINK_AUTO &&
	    cfg->link_state != VF_LINK_ENABLE && cfg->link_state != VF_LINK_DISABLE) {
		pr_err("VF link state %d is unknown; use auto, enable or disable",
		       (int)cfg->link_state);
		return -EINVAL;
	}
	if ((cfg->fields & VF_CFG_RATE) && cfg->max_tx_rate &&
	    cfg->min_tx_rate > cfg->max_tx_rate) {
		pr_err("VF min_tx_rate %u Mbit/s is above max_tx_rate %u Mbit/s; lower the minimum "
		       "or raise the maximum",
		       cfg->min_tx_rate, cfg->max_tx_rate);
		return -EINVAL;
	}
	return 0;
}

/* Fill a libnl VF object from cfg (only cfg->fields). */
static int fill_vf(struct rtnl_link_vf *vf, unsigned idx, const struct vf_config *cfg)
{
	rtnl_link_vf_set_index(vf, idx);
	if (cfg->fields & VF_CFG_MAC) {
		struct nl_addr *a = nl_addr_build(AF_LLC, cfg->mac, 6);

		if (!a)
			return -ENOMEM;
		rtnl_link_vf_set_addr(vf, a);
		nl_addr_put(a);
	}
	if (cfg->fields & VF_CFG_VLAN) {
		nl_vf_vlans_t *vlans;

		if (rtnl_link_vf_vlan_alloc(&vlans, 1) < 0)
			return -ENOMEM;
		vlans->vlans[0].vf_vlan = cfg->vlan;
		vlans->vlans[0].vf_vlan_qos = cfg->qos;
		vlans->vlans[0].vf_vlan_proto = ETH_P_8021Q; /* → IFLA_VF_VLAN */
		rtnl_link_vf_set_vlans(vf, vlans);
		rtnl_link_vf_vlan_put(vlans);
	}
	if (cfg->fields & VF_CFG_SPOOFCHK)
		rtnl_link_vf_set_spoofchk(vf, cfg->spoofchk);
	if (cfg->fields & VF_CFG_TRUST)
		rtnl_link_vf_set_trust(vf, cfg->trust);
	if (cfg->fields & VF_CFG_LINK_STATE)
		rtnl_link_vf_set_linkstate(vf, (uint32_t)cfg->link_state);
	if (cfg->fields & VF_CFG_RATE) {
		struct nl_vf_rate rate = {
		    .api = RTNL_LINK_VF_RATE_API_NEW,
		    .min_tx_rate = cfg->min_tx_rate,
		    .max_tx_rate = cfg->max_tx_rate,
		};
		rtnl_link_vf_set_rate(vf, &rate);
	}
	return 0;
}

int vf_nl_build_msg(int ifindex, unsigned idx, const struct vf_config *cfg, struct nl_msg **out)
{
	struct rtnl_link *orig, *change;
	struct rtnl_link_vf *vf;
	int ret;

	ret = vf_config_check(cfg);
	if (ret)
		return ret;
	orig = rtnl_link_alloc();
	change = rtnl_link_alloc();
	vf = rtnl_link_vf_alloc();
	if (!orig || !change || !vf) {
		ret = -ENOMEM;
		goto out;
	}
	rtnl_link_set_ifindex(orig, ifindex);
	ret = fill_vf(vf, idx, cfg);
	if (ret)
		goto out;
	ret = rtnl_link_vf_add(change, vf);
	if (ret < 0) {
		ret = nle_to_errno(ret);
		goto out;
	}
	ret = rtnl_link_build_change_request(orig, change, 0, out);
	if (ret < 0)
		ret = nle_to_errno(ret);
out:
	rtnl_link_vf_put(vf);
	rtnl_link_put(change);
	rtnl_link_put(orig);
	return ret;
}

int vf_nl_open(const char *pf_ifname, struct vf_nl **out)
{
	struct vf_nl *nl;
	int ret;

	if (!pf_ifname || !pf_ifname[0] || strlen(pf_ifname) >= IF_NAMESIZE) {
		pr_err("PF interface name '%s' is empty or longer than %d characters",
		       pf_ifname ? pf_ifname : "(null)", IF_NAMESIZE - 1);
		return -EINVAL;
	}
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	snprintf(nl->ifname, sizeof(nl->ifname), "%s", pf_ifname);
	nl->ifindex = (int)if_nametoindex(pf_ifname);
	if (!nl->ifindex) {
		ret = -errno;
		pr_err("PF interface '%s' does not exist (%s); list interfaces with `ip link`, or "
		       "find the PF's with `ls /sys/bus/pci/devices/<PF>/net`",
		       pf_ifname, strerror(-ret));
		ret = ret == -ENXIO ? -ENODEV : ret;
		goto err_free;
	}
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = nl_connect(nl->sk, NETLINK_ROUTE);
	if (ret < 0) {
		ret = nle_to_errno(ret);
		pr_err("cannot open an rtnetlink socket: %s", strerror(-ret));
		goto err_sock;
	}
	*out = nl;
	return 0;

err_sock:
	nl_socket_free(nl->sk);
err_free:
	free(nl);
	return ret;
}

void vf_nl_close(struct vf_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl->saved);
	free(nl);
}

static int get_link(struct vf_nl *nl, struct rtnl_link **link)
{
	int ret = rtnl_link_get_kernel(nl->sk, nl->ifindex, NULL, link);

	if (ret < 0) {
		ret = nle_to_errno(ret);
		pr_err("PF %s: reading its link (RTM_GETLINK) failed: %s", nl->ifname,
		       strerror(-ret));
	}
	return ret;
}

static unsigned link_num_vfs(struct rtnl_link *link)
{
	uint32_t n = 0;

	/* No IFLA_NUM_VF (no parent device, e.g. veth) means no VFs. */
	if (rtnl_link_get_num_vf(link, &n) < 0)
		return 0;
	return n;
}

int vf_nl_num_vfs(struct vf_nl *nl, unsigned *n)
{
	struct rtnl_link *link;
	int ret = get_link(nl, &link);

	if (ret)
		return ret;
	*n = link_num_vfs(link);
	rtnl_link_put(link);
	return 0;
}

int vf_nl_get(struct vf_nl *nl, unsigned idx, struct vf_config *out)
{
	struct rtnl_link_vf *vf;
	struct rtnl_link *link;
	struct nl_addr *addr;
	struct nl_vf_rate rate;
	nl_vf_vlans_t *vlans;
	uint32_t v;
	unsigned n;
	int ret;

	ret = get_link(nl, &link);
	if (ret)
		return ret;
	n = link_num_vfs(link);
	vf = idx < n ? rtnl_link_vf_get(link, idx) : NULL;
	if (!vf) {
		pr_err("PF %s has no VF %u: it reports %u VFs (IFLA_NUM_VF)%s", nl->ifname, idx, n,
		       n ? "" : "; not an SR-IOV PF, or no VFs created (sriov_numvfs)");
		ret = -ERANGE;
		goto out;
	}
	memset(out, 0, sizeof(*out));
	/* libnl omits VLAN 0 and rate 0 from the parsed VF: they mean "off". */
	out->fields = VF_CFG_VLAN | VF_CFG_RATE;
	if (!rtnl_link_vf_get_addr(vf, &addr) && nl_addr_get_len(addr) >= 6) {
		memcpy(out->mac, nl_addr_get_binary_addr(addr), 6);
		out->fields |= VF_CFG_MAC;
	}
	if (!rtnl_link_vf_get_vlans(vf, &vlans)) {
		if (vlans->size > 0) {
			out->vlan = (uint16_t)vlans->vlans[0].vf_vlan;
			out->qos = (uint8_t)vlans->vlans[0].vf_vlan_qos;
		}
		rtnl_link_vf_vlan_put(vlans);
	}
	if (!rtnl_link_vf_get_spoofchk(vf, &v)) {
		out->spoofchk = v;
		out->fields |= VF_CFG_SPOOFCHK;
	}
	if (!rtnl_link_vf_get_trust(vf, &v)) {
		out->trust = v;
		out->fields |= VF_CFG_TRUST;
	}
	if (!rtnl_link_vf_get_linkstate(vf, &v)) {
		out->link_state = (enum vf_link_state)v;
		out->fields |= VF_CFG_LINK_STATE;
	}
	if (!rtnl_link_vf_get_rate(vf, &rate)) {
		if (rate.api == RTNL_LINK_VF_RATE_API_OLD) {
			out->max_tx_rate = rate.rate;
		} else {
			out->min_tx_rate = rate.min_tx_rate;
			out->max_tx_rate = rate.max_tx_rate;
		}
	}
	rtnl_link_vf_put(vf);
out:
	rtnl_link_put(link);
	return ret;
}

int vf_nl_set(struct vf_nl *nl, unsigned idx, const struct vf_config *cfg)
{
	struct nl_msg *msg;
	char what[64];
	int ret;

	ret = vf_nl_build_msg(nl->ifindex, idx, cfg, &msg);
	if (ret)
		return ret;
	fields_str(cfg->fields, what, sizeof(what));
	ret = nl_send_sync(nl->sk, msg); /* frees msg */
	if (ret < 0) {
		ret = nle_to_errno(ret);
		pr_err("PF %s: setting VF %u %s failed: %s%s", nl->ifname, idx, what,
		       strerror(-ret),
		       ret == -EOPNOTSUPP ? " (the PF driver does not implement that VF setting; "
					    "is this an SR-IOV PF?)"
		       : ret == -EPERM	  ? " (needs CAP_NET_ADMIN)"
		       : ret == -EINVAL	  ? " (VF index or value rejected by the driver)"
					  : "");
		return ret;
	}
	pr_debug("PF %s: VF %u %s set", nl->ifname, idx, what);
	return 0;
}

static struct vf_saved *find_saved(struct vf_nl *nl, unsigned idx)
{
	for (size_t i = 0; i < nl->nsaved; i++)
		if (nl->saved[i].vf == idx)
			return &nl->saved[i];
	return NULL;
}

int vf_nl_apply(struct vf_nl *nl, unsigned idx, const struct vf_config *cfg)
{
	struct vf_config now;
	struct vf_saved *s;
	uint32_t missing = 0;
	char what[64];
	int ret;

	ret = vf_config_check(cfg);
	if (ret)
		return ret;
	s = find_saved(nl, idx);
	if (!s) {
		ret = vf_nl_get(nl, idx, &now);
		if (ret)
			return ret;
		s = realloc(nl->saved, (nl->nsaved + 1) * sizeof(*s));
		if (!s)
			return -ENOMEM;
		nl->saved = s;
		s = &nl->saved[nl->nsaved++];
		s->vf = idx;
		s->changed = 0;
		s->before = now;
	}
	ret = vf_nl_set(nl, idx, cfg);
	/* A partial apply may have changed some fields: restore them all. */
	s->changed |= cfg->fields;
	if (ret)
		return ret;
	if (vf_nl_get(nl, idx, &now))
		return 0;
	if ((cfg->fields & VF_CFG_MAC) && memcmp(now.mac, cfg->mac, 6))
		missing |= VF_CFG_MAC;
	if ((cfg->fields & VF_CFG_VLAN) && (now.vlan != cfg->vlan || now.qos != cfg->qos))
		missing |= VF_CFG_VLAN;
	if ((cfg->fields & VF_CFG_SPOOFCHK) &&
	    (!(now.fields & VF_CFG_SPOOFCHK) || now.spoofchk != cfg->spoofchk))
		missing |= VF_CFG_SPOOFCHK;
	if ((cfg->fields & VF_CFG_TRUST) &&
	    (!(now.fields & VF_CFG_TRUST) || now.trust != cfg->trust))
		missing |= VF_CFG_TRUST;
	if ((cfg->fields & VF_CFG_LINK_STATE) && now.link_state != cfg->link_state)
		missing |= VF_CFG_LINK_STATE;
	if ((cfg->fields & VF_CFG_RATE) &&
	    (now.min_tx_rate != cfg->min_tx_rate || now.max_tx_rate != cfg->max_tx_rate))
		missing |= VF_CFG_RATE;
	if (missing) {
		fields_str(missing, what, sizeof(what));
		pr_warn("PF %s: VF %u accepted the settings but reads back different %s; the "
			"driver may apply them only when the VF driver (re)initialises",
			nl->ifname, idx, what);
	}
	return 0;
}

int vf_nl_restore(struct vf_nl *nl)
{
	int first = 0;

	for (size_t i = 0; i < nl->nsaved; i++) {
		struct vf_saved *s = &nl->saved[i];
		struct vf_config back = s->before;
		int ret;

		back.fields &= s->changed;
		if (!back.fields)
			continue;
		ret = vf_nl_set(nl, s->vf, &back);
		if (ret) {
			pr_err("PF %s: VF %u keeps the settings this run gave it; reset them with "
			       "`ip link set %s vf %u ...`",
			       nl->ifname, s->vf, nl->ifname, s->vf);
			first = first ? first : ret;
		}
	}
	nl->nsaved = 0;
	return first;
}
