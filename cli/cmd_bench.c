/* SPDX-License-Identifier: MIT */
/* nfvisor bench --list | SCENARIO [options]: which benchmark scenarios this
 * host can run (and why not), and running one through bench/bench.sh. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"

#define BENCH_USAGE                                                                                \
	"usage: nfvisor bench --list\n"                                                            \
	"       nfvisor bench SCENARIO [--quick] [--out DIR] [--sizes 64,128,...] [--trial-sec "   \
	"S]\n"                                                                                     \
	"                              [--loss PCT] [--repeat N] [--resolution PCT]\n"             \
	"                              [--contenders switch,testpmd,ovs]\n"                        \
	"       nfvisor bench nvme [--quick] [--out DIR] [--runtime S] [--qds 1,32] [--repeat "    \
	"N]\n"

#define BENCH_HUGEPAGES 456 /* 2 MiB pages: generator + contender, 256 MiB each */
#define OVS_DPDK	"/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"

struct bench_env {
	char repo[PATH_MAX];  /* holds bench/bench.sh */
	char build[PATH_MAX]; /* holds nfvisor, nfvisor-switch, bench/nfv-trafgen */
};

struct scenario {
	const char *name;
	const char *what;
	const char *script; /* driver under the source tree */
	/* Writes why scenario name cannot run here into why; 0 when it can. */
	int (*check)(const char *name, const struct bench_env *env, char *why, size_t len);
};

static bool in_path(const char *cmd)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n && n < sizeof(buf) - strlen(cmd) - 2) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, cmd);
			if (!access(buf, X_OK))
				return true;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

/* The number a sysfs attribute DIR/DEV/ATTR starts with, decimal (base 10)
 * or hexadecimal with or without 0x (base 16); -1 when it cannot be read. */
static long attr_num(const char *dir, const char *dev, const char *attr, int base)
{
	char path[PATH_MAX];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, dev, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, base == 16 ? "%lx" : "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Whether directory dir has an entry (hidden ones left out) that match
 * accepts (match NULL: any); the first one is copied into name unless name
 * is NULL. */
static bool find_entry(const char *dir, bool (*match)(const char *entry), char *name, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		found = !match || match(e->d_name);
		if (found && name)
			snprintf(name, len, "%s", e->d_name);
	}
	closedir(d);
	return found;
}

/* The probes the scenario checks share: each returns 0 when the host has
 * what is asked for, else writes why not (and how to get it) into why and
 * returns -errno. */

static int need_built(const struct bench_env *env, const char *name, int mode, char *why,
		      size_t len)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", env->build, name);
	if (access(p, mode)) {
		snprintf(why, len, "%s not built (run make)", p);
		return -ENOENT;
	}
	return 0;
}

static int need_root(const char *for_what, char *why, size_t len)
{
	if (!geteuid())
		return 0;
	snprintf(why, len, "needs root (%s)", for_what);
	return -EPERM;
}

/* who: what needs KVM; then: what to do on a host without it. */
static int need_kvm(const char *who, const char *then, char *why, size_t len)
{
	int err;

	if (!access("/dev/kvm", R_OK | W_OK))
		return 0;
	err = errno;
	snprintf(why, len, "no /dev/kvm on this host (%s): %s need KVM; %s", strerror(err), who,
		 then);
	return -ENODEV;
}

/* tools: a NULL-terminated list of programs to find in PATH. gnuplot is an
 * alternatives link; a minimal root may ship only the program it points to. */
static int need_tools(const char *const *tools, char *why, size_t len)
{
	for (; *tools; tools++) {
		if (!strcmp(*tools, "gnuplot") &&
		    (in_path("gnuplot-nox") || in_path("gnuplot-qt") || in_path("gnuplot-x11")))
			continue;
		if (!in_path(*tools)) {
			snprintf(why, len, "%s not installed (scripts/install-deps.sh installs it)",
				 *tools);
			return -ENOENT;
		}
	}
	return 0;
}

/* What every DPDK scenario needs on the host (and all switch-loopback needs). */
static int check_dpdk_host(const char *name, const struct bench_env *env, char *why, size_t len)
{
	long free_hp;
	int ret;

	ret = need_root("hugepages, vhost-user sockets", why, len);
	if (ret)
		return ret;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		snprintf(why, len, "needs 2 CPUs (generator and PMD on different cores), have %ld",
			 sysconf(_SC_NPROCESSORS_ONLN));
		return -ENODEV;
	}
	free_hp = attr_num("/sys/kernel/mm/hugepages", "hugepages-2048kB", "free_hugepages", 10);
	if (free_hp < BENCH_HUGEPAGES) {
		snprintf(why, len,
			 "needs %d free 2 MiB hugepages, %ld free (echo 1024 > "
			 "/proc/sys/vm/nr_hugepages)",
			 BENCH_HUGEPAGES, free_hp < 0 ? 0 : free_hp);
		return -ENOMEM;
	}
	ret = need_tools((const char *const[]){"dpdk-testpmd", "jq", "gnuplot", NULL}, why, len);
	if (!ret)
		ret = need_built(env, "nfvisor-switch", X_OK, why, len);
	if (!ret)
		ret = need_built(env, "bench/nfv-trafgen", X_OK, why, len);
	return ret;
}

/* Hint for hosts without /dev/kvm: the nested tier has KVM. */
#define NESTED_HINT                                                                                \
	"to try it anyway, run it in the nested tier: tests/nested/l1run.sh --smp 2 --mem 3072 "   \
	"--hugepages 700 --dpdk --add /usr/bin/gnuplot -- 'build/nfvisor bench %s --quick' "       \
	"(KVM inside a TCG VM: the numbers say nothing about this host)"

/* vm2vm and pvp: KVM, the DPDK host, nfvisor-vmm and nfguest. */
static int check_vm_dpdk(const char *name, const struct bench_env *env, char *why, size_t len)
{
	char hint[384];
	int ret;

	snprintf(hint, sizeof(hint), NESTED_HINT, name);
	ret = need_kvm("VM scenarios", hint, why, len);
	if (!ret)
		ret = check_dpdk_host(name, env, why, len);
	if (!ret)
		ret = need_built(env, "nfvisor-vmm", X_OK, why, len);
	if (!ret)
		ret = need_built(env, "guest/nfguest.elf", R_OK, why, len);
	return ret;
}

#define PCI_DEVICES "/sys/bus/pci/devices"
#define NVME_CLASS  0x010802

static bool is_sriov_nic(const char *ifname)
{
	return attr_num("/sys/class/net", ifname, "device/sriov_totalvfs", 10) > 0;
}

/* An SR-IOV capable NVMe PF (bench/nvme.sh takes a VF of it without being
 * told). */
static bool is_sriov_nvme(const char *bdf)
{
	return attr_num(PCI_DEVICES, bdf, "class", 16) == NVME_CLASS &&
	       attr_num(PCI_DEVICES, bdf, "sriov_totalvfs", 10) > 0;
}

/* The PF's VFs (vendor = the PF's, device from sriov_vf_device) must be
 * virtio-net: the only NIC nfguest drives. */
static bool vf_is_virtio_net(const char *pf, char *why, size_t len)
{
	long vendor = attr_num(PCI_DEVICES, pf, "vendor", 16);
	long device = attr_num(PCI_DEVICES, pf, "sriov_vf_device", 16);

	if (vendor == 0x1af4 && (device == 0x1041 || device == 0x1000))
		return true;
	snprintf(why, len,
		 "NFV_HW_PF=%s: its VFs are %04lx:%04lx; the VM side is nfguest, which drives "
		 "only virtio-net VFs (1af4:1041)",
		 pf, vendor, device);
	return false;
}

/* vf-pvp: the PF named by NFV_HW_PF (bench/lib.bash takes 4 of its VFs),
 * virtio-net VFs, then what the VM side needs. */
static int check_vf(const char *name, const struct bench_env *env, char *why, size_t len)
{
	const char *pf = getenv("NFV_HW_PF");
	long total;
	int ret;

	if (!find_entry("/sys/class/net", is_sriov_nic, NULL, 0)) {
		snprintf(why, len,
			 "no SR-IOV NIC (no /sys/class/net/*/device/sriov_totalvfs above 0)");
		return -ENODEV;
	}
	if (!pf || !*pf) {
		snprintf(why, len,
			 "set NFV_HW_PF=BDF to the SR-IOV PF to use (4 of its VFs are taken and "
			 "given back)");
		return -ENODEV;
	}
	total = attr_num(PCI_DEVICES, pf, "sriov_totalvfs", 10);
	if (total < 4) {
		snprintf(why, len,
			 "NFV_HW_PF=%s: " PCI_DEVICES "/%s/sriov_totalvfs reads %ld; vf-pvp needs "
			 "a PF with 4 VFs",
			 pf, pf, total);
		return -ENODEV;
	}
	if (!vf_is_virtio_net(pf, why, len))
		return -ENODEV;
	ret = check_vm_dpdk(name, env, why, len);
	if (!ret && access("/sys/bus/pci/drivers/vfio-pci", F_OK) &&
	    access("/sys/module/vfio_pci", F_OK)) {
		snprintf(why, len, "vfio-pci is not loaded (modprobe vfio-pci)");
		ret = -ENODEV;
	}
	return ret;
}

/* Where to run the nvme scenario on a host without NVMe or KVM. */
#define NVME_NESTED_HINT                                                                           \
	"in the nested tier (emulated SR-IOV NVMe, KVM inside TCG: numbers say nothing about "     \
	"this host) run NESTED_SLOW=1 tests/nested/bench_nvme.sh"

/* nvme: an NVMe controller (NFV_HW_NVME=BDF, or an SR-IOV NVMe PF to take a
 * VF of), /dev/kvm, QEMU for the emulated path, nfvisor-vmm, and fio (or an
 * already built guest initramfs) for the workload. */
static int check_nvme(const char *name, const struct bench_env *env, char *why, size_t len)
{
	const char *bdf = getenv("NFV_HW_NVME");
	char p[PATH_MAX + 64], pf[NAME_MAX + 1];
	int ret;

	if (bdf && *bdf) {
		if (attr_num(PCI_DEVICES, bdf, "class", 16) != NVME_CLASS) {
			snprintf(why, len,
				 "NFV_HW_NVME=%s is not an NVMe controller (" PCI_DEVICES
				 "/%s/class is not 0x010802); name one from lspci -D -d ::0108",
				 bdf, bdf);
			return -ENODEV;
		}
	} else if (!find_entry("/sys/class/nvme", NULL, NULL, 0)) {
		snprintf(why, len,
			 "no NVMe controller (/sys/class/nvme is empty); " NVME_NESTED_HINT);
		return -ENODEV;
	} else if (!find_entry(PCI_DEVICES, is_sriov_nvme, pf, sizeof(pf))) {
		snprintf(why, len,
			 "set NFV_HW_NVME=BDF to the NVMe controller to pass through (none has "
			 "SR-IOV, so the whole controller is taken for the run; its namespace "
			 "must not be mounted)");
		return -ENODEV;
	}
	ret = need_kvm("both guests", NVME_NESTED_HINT, why, len);
	if (!ret)
		ret = need_root("vfio-pci binding, the namespace's block device", why, len);
	if (!ret)
		ret = need_tools((const char *const[]){"qemu-system-x86_64", "jq", "gnuplot", NULL},
				 why, len);
	if (ret)
		return ret;
	snprintf(p, sizeof(p), "%s/nested/nvme-l2-initrd.cpio", env->build);
	if (!in_path("fio") && !getenv("NFV_NVME_INITRD") && access(p, R_OK)) {
		snprintf(why, len,
			 "fio not installed (scripts/install-deps.sh installs it) and no guest "
			 "initramfs %s built with it",
			 p);
		return -ENOENT;
	}
	return need_built(env, "nfvisor-vmm", X_OK, why, len);
}

static const struct scenario scenarios[] = {
    {"switch-loopback", "no VM: nfv-trafgen virtio-user <-> switch (the emulated path's ceiling)",
     "bench/bench.sh", check_dpdk_host},
    {"vm2vm", "VM <-> VM through the switch (nfguest benchgen -> benchsink)", "bench/bench.sh",
     check_vm_dpdk},
    {"pvp", "phy -> switch -> VM (nfguest fwd) -> switch -> phy", "bench/bench.sh", check_vm_dpdk},
    {"vf-pvp", "phy -> VF -> VM (nfguest fwd) -> VF -> phy (SR-IOV passthrough)", "bench/bench.sh",
     check_vf},
    {"nvme", "NVMe passthrough (nfvisor-vmm) vs QEMU virtio-blk: fio 4K randread IOPS, latency",
     "bench/nvme.sh", check_nvme},
};

static const struct scenario *find_scenario(const char *name)
{
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

/* Fills env from NFV_BENCH_DIR (the repo) and the directory of our binary. */
static int bench_env_init(struct bench_env *env)
{
	const char *over = getenv("NFV_BENCH_DIR");
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		fprintf(stderr, "nfvisor bench: cannot read /proc/self/exe: %s\n", strerror(errno));
		return -errno;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(env->build, sizeof(env->build), "%s", self);
	if (over) {
		snprintf(env->repo, sizeof(env->repo), "%s", over);
	} else {
		slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		snprintf(env->repo, sizeof(env->repo), "%s", self);
	}
	return 0;
}

static int list(const struct bench_env *env)
{
	char why[512], ovs[160];

	printf("%-16s %-5s %s\n", "SCENARIO", "RUNS", "WHAT / WHY NOT");
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *s = &scenarios[i];
		bool ok;

		why[0] = '\0';
		ok = !s->check(s->name, env, why, sizeof(why));
		printf("%-16s %-5s %s\n", s->name, ok ? "yes" : "no", s->what);
		if (!ok)
			printf("%-16s %-5s skipped: %s\n", "", "", why);
	}
	if (access(OVS_DPDK, X_OK))
		snprintf(ovs, sizeof(ovs), "skipped: openvswitch-switch-dpdk not installed");
	else
		snprintf(ovs, sizeof(ovs), "yes (%s)", OVS_DPDK);
	printf("\nbaselines in the same run: testpmd io-forwarding: %s; OVS-DPDK: %s\n",
	       in_path("dpdk-testpmd") ? "yes" : "skipped: dpdk-testpmd not installed", ovs);
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	const struct scenario *s;
	struct bench_env env;
	char why[512], script[PATH_MAX + 32], build_env[PATH_MAX + 8];
	char **args;

	if (argc < 2) {
		fputs(BENCH_USAGE, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(BENCH_USAGE, stdout);
		return 0;
	}
	if (bench_env_init(&env))
		return EXIT_INVALID;
	if (!strcmp(argv[1], "--list")) {
		if (argc != 2) {
			fprintf(stderr, "nfvisor bench: --list takes no arguments, got \"%s\"\n",
				argv[2]);
			return EXIT_USAGE;
		}
		return list(&env);
	}
	s = find_scenario(argv[1]);
	if (!s) {
		fprintf(
		    stderr,
		    "nfvisor bench: unknown scenario \"%s\" (nfvisor bench --list names them)\n",
		    argv[1]);
		return EXIT_USAGE;
	}
	why[0] = '\0';
	if (s->check(s->name, &env, why, sizeof(why))) {
		fprintf(stderr, "nfvisor bench: %s skipped: %s\n", s->name, why);
		return EXIT_INVALID;
	}
	snprintf(script, sizeof(script), "%s/%s", env.repo, s->script);
	if (access(script, R_OK)) {
		fprintf(stderr,
			"nfvisor bench: %s not found: run nfvisor from the source tree's build/ or "
			"set NFV_BENCH_DIR to the source tree\n",
			script);
		return EXIT_INVALID;
	}
	snprintf(build_env, sizeof(build_env), "BUILD=%s", env.build);
	if (putenv(build_env)) {
		fprintf(stderr, "nfvisor bench: cannot set BUILD: %s\n", strerror(errno));
		return EXIT_INVALID;
	}
	args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args) {
		fprintf(stderr, "nfvisor bench: out of memory\n");
		return EXIT_INVALID;
	}
	args[0] = "bash";
	args[1] = script;
	for (int i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	execvp("bash", args);
	fprintf(stderr, "nfvisor bench: cannot run bash %s: %s\n", script, strerror(errno));
	free(args);
	return EXIT_INVALID;
}
