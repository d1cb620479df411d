/* SPDX-License-Identifier: MIT */
/* Per-VF settings on an SR-IOV PF's netdev through rtnetlink (libnl-route-3,
 * IFLA_VFINFO_LIST / IFLA_VF_INFO): MAC, VLAN + QoS, spoof check, trust,
 * link state and min/max TX rate. The first change to a VF records what the
 * PF reported before, so vf_nl_restore puts every touched VF back. Set
 * these before the VF's driver binds (drivers read the admin MAC at probe). */
#ifndef NFV_VFIO_VF_NETLINK_H
#define NFV_VFIO_VF_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

struct nl_msg;
struct vf_nl;

/* Which fields of struct vf_config are meaningful. */
enum {
	VF_CFG_MAC = 1u << 0,
	VF_CFG_VLAN = 1u << 1, /* vlan + qos; vlan 0 turns VLAN insertion off */
	VF_CFG_SPOOFCHK = 1u << 2,
	VF_CFG_TRUST = 1u << 3,
	VF_CFG_LINK_STATE = 1u << 4,
	VF_CFG_RATE = 1u << 5, /* min_tx_rate + max_tx_rate, Mbit/s, 0 = no limit */
};

enum vf_link_state { VF_LINK_AUTO = 0, VF_LINK_ENABLE = 1, VF_LINK_DISABLE = 2 };

struct vf_config {
	uint32_t fields; /* VF_CFG_* */
	uint8_t mac[6];
	uint16_t vlan; /* 0..4095 */
	uint8_t qos;   /* 0..7 */
	bool spoofchk;
	bool trust;
	enum vf_link_state link_state;
	uint32_t min_tx_rate;
	uint32_t max_tx_rate;
};

/* Check a config before sending it: 0, or -EINVAL with a message naming
 * the field and its valid range (VLAN > 4095, QoS > 7, QoS without VLAN,
 * min rate above max, link state unknown, multicast MAC). */
int vf_config_check(const struct vf_config *cfg);

/* Build the RTM_NEWLINK change request for VF `vf` of interface `ifindex`
 * (what vf_nl_set sends): 0 and *out (free with nlmsg_free), or -errno. */
int vf_nl_build_msg(int ifindex, unsigned vf, const struct vf_config *cfg, struct nl_msg **out);

/* Open an rtnetlink socket for PF interface `pf_ifname`: 0, -ENODEV (no
 * such interface, message names it and `ip link`), -errno. */
int vf_nl_open(const char *pf_ifname, struct vf_nl **out);
/* Close without restoring (call vf_nl_restore first to undo changes). */
void vf_nl_close(struct vf_nl *nl);

/* Number of VFs the PF reports (IFLA_NUM_VF; 0 for non-SR-IOV devices). */
int vf_nl_num_vfs(struct vf_nl *nl, unsigned *n);

/* Current settings of VF vf as the PF reports them; out->fields says which
 * the driver reported. -ERANGE if the PF has no such VF (message gives the
 * count). */
int vf_nl_get(struct vf_nl *nl, unsigned vf, struct vf_config *out);

/* Send the settings in cfg->fields for VF vf, nothing else: 0 or -errno
 * (-EOPNOTSUPP: the driver lacks that VF operation; message says which). */
int vf_nl_set(struct vf_nl *nl, unsigned vf, const struct vf_config *cfg);

/* vf_nl_get (recording the values on the first change of this VF), then
 * vf_nl_set, then read back and warn about fields the driver did not take. */
int vf_nl_apply(struct vf_nl *nl, unsigned vf, const struct vf_config *cfg);

/* Put every VF changed through vf_nl_apply back to its recorded values
 * (only the fields that were changed). 0 or the first -errno. */
int vf_nl_restore(struct vf_nl *nl);

#endif
