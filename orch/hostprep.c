/* SPDX-License-Identifier: MIT */
/* Journaled host preparation (hugepages, VFs, VF settings, vfio-pci) and its
 * undo. */
#define LOG_PREFIX "hostprep"
#include "orch/hostprep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/parse.h"
#include "config/host.h"
#include "vfio/bind.h"
#include "vfio/sysfs.h"
#include "vfio/vf_netlink.h"

#define PCI_DEVS "sys/bus/pci/devices"
#define PCI_DRVS "sys/bus/pci/drivers"
#define VFIO_DRV "vfio-pci"

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void append(char *out, size_t len, const char *a)
{
	size_t o = strlen(out);

	if (o < len)
		snprintf(out + o, len - o, "%s", a);
}

/* ---- hugepages ---- */

int hostprep_hugepages(struct sysfs *fs, struct orch_state *st, const struct plan *plan,
		       char *summary, size_t len)
{
	unsigned kb = (unsigned)(cfg_hp_bytes(plan->hp_size) >> 10);
	char rel[160], one[96];
	int ret;

	summary[0] = '\0';
	for (size_t i = 0; plan->hp_size != CFG_HP_NONE && i < plan->nhp; i++) {
		const struct plan_hugepages *h = &plan->hp[i];
		unsigned old, now, want;

		if (!h->add)
			continue;
		snprintf(rel, sizeof(rel),
			 "sys/devices/system/node/node%d/hugepages/hugepages-%ukB", h->node, kb);
		if (!sysfs_exists(fs, "%s", rel))
			snprintf(rel, sizeof(rel), "sys/kernel/mm/hugepages/hugepages-%ukB", kb);
		ret = sysfs_read_uint(fs, &old, "%s/nr_hugepages", rel);
		if (ret) {
			pr_err("cannot read /%s/nr_hugepages: %s; is hugetlbfs support built in?",
			       rel, strerror(-ret));
			return ret;
		}
		want = old + h->add;
		ret = state_journal_add(st, NULL, "hp", "%s/nr_hugepages %u", rel, old);
		if (ret)
			return ret;
		snprintf(one, sizeof(one), "%u", want);
		ret = sysfs_write(fs, one, "%s/nr_hugepages", rel);
		if (ret) {
			pr_err("writing %u to /%s/nr_hugepages failed: %s; free memory or "
			       "reserve the pages at boot (hugepages=%u on the kernel command "
			       "line)",
			       want, rel, strerror(-ret), want);
			return ret;
		}
		ret = sysfs_read_uint(fs, &now, "%s/nr_hugepages", rel);
		if (!ret && now < want) {
			pr_err("node %d: asked the kernel for %u %s hugepages, got %u (memory is "
			       "fragmented or in use); free memory, or reserve them at boot with "
			       "hugepages=%u on the kernel command line",
			       h->node, want, cfg_hp_name(plan->hp_size), now, want);
			return -ENOMEM;
		}
		snprintf(one, sizeof(one), "%snode %d: %u -> %u %s pages", summary[0] ? ", " : "",
			 h->node, old, want, cfg_hp_name(plan->hp_size));
		append(summary, len, one);
	}
	if (!summary[0])
		snprintf(summary, len, "%s",
			 plan->hp_size == CFG_HP_NONE ? "none reserved" : "enough free, unchanged");
	return 0;
}

/* ---- SR-IOV VFs ---- */

static const char *pf_bdf_of(struct sysfs *fs, const struct plan *plan, const struct cfg_pf *pf,
			     char buf[BDF_STRLEN])
{
	for (size_t i = 0; i < plan->nactions; i++)
		if (plan->actions[i].kind == PLAN_SET_NUMVFS && plan->actions[i].pf == pf)
			return plan->actions[i].bdf;
	if (pf->at[PF_PCI].line) {
		format_pci_bdf(&pf->pci, buf);
		return buf;
	}
	if (pf->netdev && !host_netdev_bdf(fs, pf->netdev, buf))
		return buf;
	return NULL;
}

int hostprep_vfs(struct sysfs *fs, struct orch_state *st, struct plan *plan, char *summary,
		 size_t len)
{
	char val[32], one[96], buf[BDF_STRLEN];
	int ret;

	summary[0] = '\0';
	for (size_t i = 0; i < plan->nactions; i++) {
		struct plan_action *a = &plan->actions[i];
		unsigned old;
		char autoprobe[16] = "-";

		if (a->kind != PLAN_SET_NUMVFS)
			continue;
		ret = sysfs_read_uint(fs, &old, PCI_DEVS "/%s/sriov_numvfs", a->bdf);
		if (ret) {
			pr_err("%s: cannot read sriov_numvfs: %s; is it an SR-IOV PF?", a->bdf,
			       strerror(-ret));
			return ret;
		}
		if (sysfs_read(fs, autoprobe, sizeof(autoprobe),
			       PCI_DEVS "/%s/sriov_drivers_autoprobe", a->bdf))
			snprintf(autoprobe, sizeof(autoprobe), "-");
		ret = state_journal_add(st, NULL, "numvfs", "%s %u %s", a->bdf, old, autoprobe);
		if (ret)
			return ret;
		if (strcmp(autoprobe, "-"))
			sysfs_write(fs, "0", PCI_DEVS "/%s/sriov_drivers_autoprobe", a->bdf);
		if (old)
			ret = sysfs_write(fs, "0", PCI_DEVS "/%s/sriov_numvfs", a->bdf);
		snprintf(val, sizeof(val), "%u", a->to);
		if (!ret && a->to)
			ret = sysfs_write(fs, val, PCI_DEVS "/%s/sriov_numvfs", a->bdf);
		if (ret) {
			pr_err("%s: setting sriov_numvfs to %u failed: %s; check dmesg (the PF "
			       "driver may lack SR-IOV or the BIOS may have it off)",
			       a->bdf, a->to, strerror(-ret));
			return ret;
		}
		for (int t = 0; a->to && t < 500; t++) {
			if (sysfs_exists(fs, PCI_DEVS "/%s/virtfn%u", a->bdf, a->to - 1))
				break;
			if (t == 499) {
				pr_err("%s: VF %u did not appear within 5 s after writing "
				       "sriov_numvfs=%u; check dmesg",
				       a->bdf, a->to - 1, a->to);
				return -ETIMEDOUT;
			}
			sleep_ms(10);
		}
		snprintf(one, sizeof(one), "%s%s: %u -> %u VFs", summary[0] ? ", " : "", a->bdf,
			 old, a->to);
		append(summary, len, one);
	}
	for (size_t i = 0; i < plan->nactions; i++) {
		struct plan_action *a = &plan->actions[i];
		const char *pf;

		if (!a->is_vf || a->bdf[0])
			continue;
		pf = pf_bdf_of(fs, plan, a->pf, buf);
		if (!pf || host_vf_bdf(fs, pf, a->vf_index, a->bdf)) {
			pr_err("VF %u of PF \"%s\" (%s) does not exist after creating the VFs; "
			       "check pfs: numvfs and dmesg",
			       a->vf_index, a->pf->name, pf ? pf : "not found");
			a->bdf[0] = '\0';
			return -ENODEV;
		}
	}
	if (!summary[0])
		snprintf(summary, len, "none to create");
	return 0;
}

/* ---- VF settings over netlink ---- */

static int pf_ifname(struct sysfs *fs, const struct plan *plan, const struct cfg_pf *pf, char *out,
		     size_t len)
{
	char buf[BDF_STRLEN];
	const char *bdf;
	struct host_pci hp;

	if (pf->netdev) {
		snprintf(out, len, "%s", pf->netdev);
		return 0;
	}
	bdf = pf_bdf_of(fs, plan, pf, buf);
	if (bdf)
		host_pci(fs, bdf, &hp);
	if (!bdf || !hp.netdev[0]) {
		pr_err("PF \"%s\" (%s) has no network interface for the VF settings; load its "
		       "network driver or name it by netdev:",
		       pf->name, bdf ? bdf : "not found");
		return -ENODEV;
	}
	snprintf(out, len, "%s", hp.netdev);
	return 0;
}

int hostprep_vf_settings(struct sysfs *fs, struct orch_state *st, const struct plan *plan,
			 char *summary, size_t len)
{
	unsigned n = 0;
	int ret;

	summary[0] = '\0';
	for (size_t i = 0; i < plan->nactions; i++) {
		const struct plan_action *a = &plan->actions[i];
		const struct cfg_vf *vf;
		struct vf_config old = {0}, cfg = {0};
		struct vf_nl *nl = NULL;
		char ifname[32], mac[18];

		if (!a->is_vf || !a->nic || a->nic->kind != CFG_NIC_VF)
			continue;
		vf = &a->nic->vf;
		ret = pf_ifname(fs, plan, a->pf, ifname, sizeof(ifname));
		if (ret)
			return ret;
		ret = vf_nl_open(ifname, &nl);
		if (ret)
			return ret;
		ret = vf_nl_get(nl, a->vf_index, &old);
		if (ret)
			goto out;
		cfg.fields =
		    VF_CFG_MAC | VF_CFG_VLAN | VF_CFG_SPOOFCHK | VF_CFG_TRUST | VF_CFG_RATE;
		memcpy(cfg.mac, a->nic->mac, 6);
		cfg.vlan = (uint16_t)vf->vlan;
		cfg.spoofchk = vf->spoofchk;
		cfg.trust = vf->trust;
		cfg.max_tx_rate = vf->rate_mbps;
		format_mac(old.mac, mac);
		ret =
		    state_journal_add(st, NULL, "vfnl", "%s %u %x %s %u %u %d %d %u %u", ifname,
				      a->vf_index, cfg.fields & old.fields, mac, old.vlan, old.qos,
				      old.spoofchk, old.trust, old.min_tx_rate, old.max_tx_rate);
		if (!ret)
			ret = vf_nl_set(nl, a->vf_index, &cfg);
		if (ret)
			pr_err("%s VF %u: applying the VF settings of %s failed: %s", ifname,
			       a->vf_index, a->user, strerror(-ret));
		else
			n++;
	out:
		vf_nl_close(nl);
		if (ret)
			return ret;
	}
	snprintf(summary, len, "%u VF%s configured", n, n == 1 ? "" : "s");
	return 0;
}

static int undo_vfnl(const char *args)
{
	struct vf_config cfg = {0};
	struct vf_nl *nl;
	char ifname[32], mac[18];
	unsigned vf, vlan, qos, mn, mx;
	int spoof, trust, ret;

	if (sscanf(args, "%31s %u %x %17s %u %u %d %d %u %u", ifname, &vf, &cfg.fields, mac, &vlan,
		   &qos, &spoof, &trust, &mn, &mx) != 10 ||
	    parse_mac(mac, cfg.mac))
		return -EINVAL;
	cfg.vlan = (uint16_t)vlan;
	cfg.qos = (uint8_t)qos;
	cfg.spoofchk = spoof;
	cfg.trust = trust;
	cfg.min_tx_rate = mn;
	cfg.max_tx_rate = mx;
	ret = vf_nl_open(ifname, &nl);
	if (ret)
		return ret;
	ret = vf_nl_set(nl, vf, &cfg);
	vf_nl_close(nl);
	return ret;
}

/* ---- vfio-pci ---- */

static int wait_driver(struct sysfs *fs, const char *bdf, const char *want)
{
	char drv[DRIVER_STRLEN];

	for (int t = 0; t < 200; t++) {
		if (!pcidev_driver(fs, bdf, drv) && !strcmp(drv, want))
			return 0;
		sleep_ms(10);
	}
	return -EIO;
}

static int bind_one(struct sysfs *fs, struct orch_state *st, const char *bdf, bool *changed)
{
	char drv[DRIVER_STRLEN], ovr[DRIVER_STRLEN] = "";
	unsigned group;
	int ret;

	*changed = false;
	ret = pcidev_driver(fs, bdf, drv);
	if (ret) {
		pr_err("%s: cannot read its driver: %s; check lspci -D", bdf, strerror(-ret));
		return ret;
	}
	if (!strcmp(drv, VFIO_DRV))
		return 0;
	ret = pcidev_iommu_group(fs, bdf, &group);
	if (ret)
		return ret;
	if (!sysfs_exists(fs, PCI_DRVS "/" VFIO_DRV)) {
		pr_err("%s: the vfio-pci driver is not loaded; run: modprobe vfio-pci", bdf);
		return -ENODEV;
	}
	ret = pcidev_check_unused(fs, bdf);
	if (ret)
		return ret;
	if (sysfs_read(fs, ovr, sizeof(ovr), PCI_DEVS "/%s/driver_override", bdf) ||
	    !strcmp(ovr, "(null)"))
		ovr[0] = '\0';
	ret = state_journal_add(st, NULL, "bind", "%s %s %s", bdf, drv[0] ? drv : "-",
				ovr[0] ? ovr : "-");
	if (ret)
		return ret;
	*changed = true;
	ret = sysfs_write(fs, VFIO_DRV, PCI_DEVS "/%s/driver_override", bdf);
	if (!ret && drv[0])
		ret = sysfs_write(fs, bdf, PCI_DRVS "/%s/unbind", drv);
	if (!ret)
		ret = sysfs_write(fs, bdf, "sys/bus/pci/drivers_probe");
	if (!ret)
		ret = wait_driver(fs, bdf, VFIO_DRV);
	if (ret)
		pr_err("%s: binding to vfio-pci (from %s) failed: %s; check dmesg", bdf,
		       drv[0] ? drv : "no driver", strerror(-ret));
	return ret;
}

int hostprep_vfio(struct sysfs *fs, struct orch_state *st, const struct plan *plan, char *summary,
		  size_t len)
{
	unsigned bound = 0, already = 0;
	bool changed;
	int ret;

	for (size_t i = 0; i < plan->nactions; i++) {
		const struct plan_action *a = &plan->actions[i];

		if (a->kind != PLAN_BIND_VFIO)
			continue;
		if (!a->bdf[0]) {
			pr_err("%s: its VF has no PCI address (VFs not created)", a->user);
			return -ENODEV;
		}
		ret = bind_one(fs, st, a->bdf, &changed);
		if (ret)
			return ret;
		changed ? bound++ : already++;
	}
	snprintf(summary, len, "%u bound, %u already on vfio-pci", bound, already);
	return 0;
}

static int undo_bind(struct sysfs *fs, const char *args)
{
	char bdf[BDF_STRLEN], orig[DRIVER_STRLEN], ovr[DRIVER_STRLEN], drv[DRIVER_STRLEN];
	int ret = 0;

	if (sscanf(args, "%12s %63s %63s", bdf, orig, ovr) != 3)
		return -EINVAL;
	if (!strcmp(orig, "-"))
		orig[0] = '\0';
	if (!strcmp(ovr, "-"))
		ovr[0] = '\0';
	if (!sysfs_exists(fs, PCI_DEVS "/%s", bdf))
		return 0; /* a VF that is gone with its PF's VF count */
	if (!pcidev_driver(fs, bdf, drv) && drv[0] && strcmp(drv, orig))
		ret = sysfs_write(fs, bdf, PCI_DRVS "/%s/unbind", drv);
	if (!ret)
		ret = sysfs_write(fs, ovr, PCI_DEVS "/%s/driver_override", bdf);
	if (!ret && orig[0] && (pcidev_driver(fs, bdf, drv) || strcmp(drv, orig))) {
		ret = sysfs_write(fs, bdf, PCI_DRVS "/%s/bind", orig);
		if (ret == -ENOENT || ret == -ENODEV)
			ret = sysfs_write(fs, bdf, "sys/bus/pci/drivers_probe");
		if (!ret)
			ret = wait_driver(fs, bdf, orig);
	}
	if (ret)
		pr_err("%s: could not give it back to driver '%s': %s; run: echo %s > "
		       "/sys/bus/pci/drivers/%s/bind",
		       bdf, orig[0] ? orig : "(none)", strerror(-ret), bdf, orig[0] ? orig : "DRV");
	return ret;
}

static int undo_numvfs(struct sysfs *fs, const char *args)
{
	char bdf[BDF_STRLEN], autoprobe[16], val[16];
	unsigned old, now;
	int ret = 0;

	if (sscanf(args, "%12s %u %15s", bdf, &old, autoprobe) != 3)
		return -EINVAL;
	if (sysfs_read_uint(fs, &now, PCI_DEVS "/%s/sriov_numvfs", bdf) || now != old) {
		ret = sysfs_write(fs, "0", PCI_DEVS "/%s/sriov_numvfs", bdf);
		snprintf(val, sizeof(val), "%u", old);
		if (!ret && old)
			ret = sysfs_write(fs, val, PCI_DEVS "/%s/sriov_numvfs", bdf);
	}
	if (!ret && strcmp(autoprobe, "-"))
		ret = sysfs_write(fs, autoprobe, PCI_DEVS "/%s/sriov_drivers_autoprobe", bdf);
	if (ret)
		pr_err("%s: restoring sriov_numvfs %u failed: %s; run: echo 0 > "
		       "/sys/bus/pci/devices/%s/sriov_numvfs (then %u)",
		       bdf, old, strerror(-ret), bdf, old);
	return ret;
}

static int undo_hp(struct sysfs *fs, const char *args)
{
	char rel[200], v[16];
	unsigned old;
	int ret;

	if (sscanf(args, "%199s %u", rel, &old) != 2)
		return -EINVAL;
	snprintf(v, sizeof(v), "%u", old);
	ret = sysfs_write(fs, v, "%s", rel);
	if (ret)
		pr_err("restoring /%s to %u failed: %s; run: echo %u > /%s", rel, old,
		       strerror(-ret), old, rel);
	return ret;
}

int hostprep_note_file(struct orch_state *st, const char *path)
{
	if (strchr(path, ' ') || strchr(path, '\n')) {
		pr_err("path \"%s\" has a space or newline; use a path without one", path);
		return -EINVAL;
	}
	return state_journal_add(st, NULL, "file", "%s", path);
}

/* A directory up made (orch/jailprep.h): it must be empty again, unless
 * SHARED (then what is left in it belongs to another appliance: kept). */
static int undo_dir(const char *path, bool shared)
{
	int ret;

	if (!rmdir(path) || errno == ENOENT || (shared && (errno == ENOTEMPTY || errno == EEXIST)))
		return 0;
	ret = -errno;
	pr_err("cannot remove directory %s: %s%s", path, strerror(-ret),
	       ret == -ENOTEMPTY ? " (something was left in it: look, remove it by hand, run "
				   "`nfvisor down` again)"
				 : "");
	return ret;
}

int hostprep_undo(struct sysfs *fs, struct orch_state *st, bool verbose)
{
	struct journal_entry *e = NULL;
	size_t n = 0;
	int ret = state_journal_pending(st, &e, &n), first = 0;

	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(e[i].op, "hp"))
			ret = undo_hp(fs, e[i].args);
		else if (!strcmp(e[i].op, "numvfs"))
			ret = undo_numvfs(fs, e[i].args);
		else if (!strcmp(e[i].op, "vfnl"))
			ret = undo_vfnl(e[i].args);
		else if (!strcmp(e[i].op, "bind"))
			ret = undo_bind(fs, e[i].args);
		else if (!strcmp(e[i].op, "file"))
			ret = unlink(e[i].args) && errno != ENOENT ? -errno : 0;
		else if (!strcmp(e[i].op, "dir"))
			ret = undo_dir(e[i].args, false);
		else if (!strcmp(e[i].op, "shareddir"))
			ret = undo_dir(e[i].args, true);
		else
			ret = -EINVAL;
		if (ret == -EINVAL)
			pr_err(
			    "journal %s/%s: cannot undo entry %u \"%s %s\" (unknown or malformed); "
			    "undo it by hand",
			    state_dir(st), STATE_JOURNAL, e[i].seq, e[i].op, e[i].args);
		if (verbose)
			printf("  undo %-6s %s ... %s\n", e[i].op, e[i].args,
			       ret ? strerror(-ret) : "ok");
		if (!ret)
			ret = state_journal_undone(st, e[i].seq);
		if (ret && !first)
			first = ret;
	}
	free(e);
	return first;
}
