/* SPDX-License-Identifier: MIT */
/* nfvisor-switch: DPDK vhost-user L2 learning switch. See dataplane/README.md
 * for the command line, the port syntax and the control protocol. */
#define LOG_PREFIX NULL
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "common/log.h"
#include "common/parse.h"
#include "dataplane/ctl.h"
#include "dataplane/fdb.h"
#include "dataplane/l2.h"
#include "dataplane/pmd.h"
#include "dataplane/port.h"

#define DEFAULT_CTL   "/run/nfvisor-switch.sock"
#define DEFAULT_MBUFS 16383u
#define MAX_EAL_ARGS  64

struct opts {
	struct port_spec ports[PORT_MAX];
	unsigned n_ports;
	int pmd_cpus[PMD_MAX_LCORES];
	size_t n_pmd;
	int main_cpu;
	const char *ctl;
	uint64_t aging_s, fdb_size, mbufs, memory_mb;
	const char *file_prefix;
	bool pci, no_huge;
	int eal_argc; /* user EAL args after "--" */
	char **eal_argv;
};

static volatile sig_atomic_t stop;
static uint64_t tsc_per_ms = 1;

static void on_signal(int sig)
{
	stop = sig;
}

static uint64_t now_ms(void)
{
	return rte_rdtsc() / tsc_per_ms;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nfvisor-switch [options] [-- EAL arguments]\n"
		"       nfvisor-switch --ctl-client SOCKET 'JSON request'\n"
		"  --port SPEC        add a port (repeatable):\n"
		"                     name=N,type=vhost-user,path=SOCK[,mode=server|client]\n"
		"                     name=N,type=vdev,dev=net_tap0[,iface=tap0][,DEVARG=V...]\n"
		"                     name=N,type=pci,dev=0000:01:00.1[,DEVARG=V...]\n"
		"                     common: vlan=access:VID|trunk:VID+VID+LO-HI, queues=N,\n"
		"                     mac-limit=N, flood-limit=PPS\n"
		"  --pmd-cores LIST   CPUs for PMD lcores (default: the last CPU)\n"
		"  --main-core CPU    CPU of the control thread (default: first CPU not a PMD)\n"
		"  --ctl PATH         control socket (default %s)\n"
		"  --fdb-aging SEC    FDB aging time, 0 = never (default 300)\n"
		"  --fdb-size N       FDB entries (default %u)\n"
		"  --mbufs N          mbufs in the pool (default %u)\n"
		"  --memory MB        DPDK memory (default 256)\n"
		"  --file-prefix P    DPDK file prefix (default nfvisor-switch)\n"
		"  --no-huge          run without hugepages (slower; vhost still works)\n"
		"  --pci              scan the PCI bus even if no pci port is given\n"
		"  With '-- EAL args' the EAL line is used as is and every worker lcore\n"
		"  becomes a PMD.\n",
		DEFAULT_CTL, FDB_DEFAULT_SIZE, DEFAULT_MBUFS);
}

enum {
	OPT_PORT = 256,
	OPT_PMD,
	OPT_MAIN,
	OPT_CTL,
	OPT_AGING,
	OPT_FDB_SIZE,
	OPT_MBUFS,
	OPT_MEMORY,
	OPT_PREFIX,
	OPT_NOHUGE,
	OPT_PCI,
	OPT_CLIENT,
	OPT_HELP
};

static const struct option long_opts[] = {
    {"port", required_argument, NULL, OPT_PORT},
    {"pmd-cores", required_argument, NULL, OPT_PMD},
    {"main-core", required_argument, NULL, OPT_MAIN},
    {"ctl", required_argument, NULL, OPT_CTL},
    {"fdb-aging", required_argument, NULL, OPT_AGING},
    {"fdb-size", required_argument, NULL, OPT_FDB_SIZE},
    {"mbufs", required_argument, NULL, OPT_MBUFS},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"file-prefix", required_argument, NULL, OPT_PREFIX},
    {"no-huge", no_argument, NULL, OPT_NOHUGE},
    {"pci", no_argument, NULL, OPT_PCI},
    {"ctl-client", required_argument, NULL, OPT_CLIENT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int run_client(const char *path, const char *req)
{
	char *reply = NULL;
	int ret;

	if (!req) {
		fprintf(stderr,
			"nfvisor-switch: --ctl-client %s needs a JSON request argument, "
			"e.g. '{\"cmd\":\"ports\"}'\n",
			path);
		return 2;
	}
	/* The switch may answer and close before reading a huge request. */
	signal(SIGPIPE, SIG_IGN);
	ret = ctl_request(path, req, 10000, &reply);
	if (ret) {
		fprintf(stderr,
			"nfvisor-switch: cannot reach the switch at %s: %s (is it running "
			"with --ctl %s?)\n",
			path, strerror(-ret), path);
		return 2;
	}
	printf("%s\n", reply);
	ret = strstr(reply, "\"ok\":true") ? 0 : 1;
	free(reply);
	return ret;
}

static int parse_num(const char *opt, const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	if (parse_uint(v, min, max, out)) {
		pr_err("bad %s %s: expected a number in %llu..%llu", opt, v,
		       (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	return 0;
}

/* Returns 0, -EINVAL (message printed), or 1 for "client mode done". */
static int parse_opts(int argc, char **argv, struct opts *o, int *client_rc)
{
	char err[512];
	int c;

	o->main_cpu = -1;
	o->ctl = DEFAULT_CTL;
	o->aging_s = 300;
	o->fdb_size = FDB_DEFAULT_SIZE;
	o->mbufs = DEFAULT_MBUFS;
	o->memory_mb = 256;
	o->file_prefix = "nfvisor-switch";
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		uint64_t v;

		switch (c) {
		case OPT_PORT:
			if (o->n_ports == PORT_MAX) {
				pr_err("too many --port options (at most %d)", PORT_MAX);
				return -EINVAL;
			}
			if (port_spec_parse(optarg, &o->ports[o->n_ports], err, sizeof(err))) {
				pr_err("--port %s: %s", optarg, err);
				return -EINVAL;
			}
			o->pci |= o->ports[o->n_ports].type == PORT_PCI;
			o->n_ports++;
			break;
		case OPT_PMD:
			if (parse_cpu_list(optarg, o->pmd_cpus, PMD_MAX_LCORES, &o->n_pmd) ||
			    !o->n_pmd) {
				pr_err("bad --pmd-cores %s: expected a CPU list like 1 or 2-3 (at "
				       "most %d CPUs)",
				       optarg, PMD_MAX_LCORES);
				return -EINVAL;
			}
			break;
		case OPT_MAIN:
			if (parse_num("--main-core", optarg, 0, CPUSET_MAX - 1, &v))
				return -EINVAL;
			o->main_cpu = (int)v;
			break;
		case OPT_CTL:
			o->ctl = optarg;
			break;
		case OPT_AGING:
			if (parse_num("--fdb-aging", optarg, 0, 1000000, &o->aging_s))
				return -EINVAL;
			break;
		case OPT_FDB_SIZE:
			if (parse_num("--fdb-size", optarg, 1, 1u << 24, &o->fdb_size))
				return -EINVAL;
			break;
		case OPT_MBUFS:
			if (parse_num("--mbufs", optarg, 1023, 1u << 24, &o->mbufs))
				return -EINVAL;
			break;
		case OPT_MEMORY:
			if (parse_num("--memory", optarg, 16, 1u << 20, &o->memory_mb))
				return -EINVAL;
			break;
		case OPT_PREFIX:
			o->file_prefix = optarg;
			break;
		case OPT_NOHUGE:
			o->no_huge = true;
			break;
		case OPT_PCI:
			o->pci = true;
			break;
		case OPT_CLIENT:
			*client_rc = run_client(optarg, optind < argc ? argv[optind] : NULL);
			return 1;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			*client_rc = 0;
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--")) {
			pr_err("unexpected argument '%s' (EAL arguments go after --)",
			       argv[optind]);
			return -EINVAL;
		}
		o->eal_argc = argc - optind;
		o->eal_argv = argv + optind;
	}
	return 0;
}

/* Builds the EAL command line from our options. */
static int build_eal_args(struct opts *o, char **argv, int *argc, char *lcores, size_t lsz,
			  char *mem)
{
	int n = 0, ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	size_t off;

	if (ncpu < 1)
		ncpu = 1;
	if (!o->n_pmd) {
		o->pmd_cpus[0] = ncpu - 1;
		o->n_pmd = 1;
	}
	if (o->main_cpu < 0) {
		o->main_cpu = 0;
		for (int cpu = 0; cpu < ncpu; cpu++) {
			bool used = false;

			for (size_t i = 0; i < o->n_pmd; i++)
				used |= o->pmd_cpus[i] == cpu;
			if (!used) {
				o->main_cpu = cpu;
				break;
			}
		}
	}
	for (size_t i = 0; i < o->n_pmd; i++) {
		if (o->pmd_cpus[i] == o->main_cpu) {
			pr_err("--pmd-cores includes CPU %d, which is also the control thread's "
			       "(--main-core); give the PMDs CPUs of their own",
			       o->main_cpu);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (o->pmd_cpus[i] == o->pmd_cpus[j]) {
				pr_err("--pmd-cores lists CPU %d twice", o->pmd_cpus[i]);
				return -EINVAL;
			}
	}
	off = (size_t)snprintf(lcores, lsz, "0@%d", o->main_cpu);
	for (size_t i = 0; i < o->n_pmd && off < lsz; i++)
		off += (size_t)snprintf(lcores + off, lsz - off, ",%zu@%d", i + 1, o->pmd_cpus[i]);
	snprintf(mem, 24, "%llu", (unsigned long long)o->memory_mb);
	argv[n++] = "nfvisor-switch";
	argv[n++] = "--lcores";
	argv[n++] = lcores;
	argv[n++] = "--file-prefix";
	argv[n++] = (char *)o->file_prefix;
	argv[n++] = "-m";
	argv[n++] = mem;
	/* --no-huge implies legacy memory, which --in-memory refuses; it
	 * leaves no hugepage files either. */
	argv[n++] = o->no_huge ? "--no-huge" : "--in-memory";
	argv[n++] = "--log-level=lib.eal:warning";
	/* Connection events are logged by the switch itself (up/down). */
	argv[n++] = "--log-level=lib.vhost.config:warning";
	if (!o->pci)
		argv[n++] = "--no-pci";
	argv[n] = NULL;
	*argc = n;
	return 0;
}

int main(int argc, char **argv)
{
	char *eal_argv[MAX_EAL_ARGS + 2], lcores[512], mem[24], err[512];
	unsigned lcore_ids[PMD_MAX_LCORES], n_lcores = 0, lcore;
	struct rte_mempool *pool = NULL;
	struct port_table *pt = NULL;
	struct pmd *pmd = NULL;
	struct ctl *ctl = NULL;
	struct fdb *fdb = NULL;
	struct l2 *l2 = NULL;
	struct ctl_ctx cctx;
	struct opts *o;
	int eal_argc, ret, rc = 1, client_rc = 0;
	uint64_t last_age;

	log_set_program("nfvisor-switch");
	o = calloc(1, sizeof(*o));
	if (!o) {
		pr_err("out of memory");
		return 1;
	}
	ret = parse_opts(argc, argv, o, &client_rc);
	if (ret) {
		free(o);
		return ret > 0 ? client_rc : 2;
	}
	if (o->eal_argc) {
		if (o->eal_argc > MAX_EAL_ARGS) {
			pr_err("too many EAL arguments (%d, at most %d)", o->eal_argc,
			       MAX_EAL_ARGS);
			goto out_free;
		}
		eal_argv[0] = "nfvisor-switch";
		memcpy(eal_argv + 1, o->eal_argv, (size_t)o->eal_argc * sizeof(char *));
		eal_argc = o->eal_argc + 1;
		eal_argv[eal_argc] = NULL;
	} else if (build_eal_args(o, eal_argv, &eal_argc, lcores, sizeof(lcores), mem)) {
		goto out_free;
	}

	ret = rte_eal_init(eal_argc, eal_argv);
	if (ret < 0) {
		pr_err("DPDK EAL initialisation failed (%s); check hugepages (grep Huge "
		       "/proc/meminfo), CPU numbers and the EAL arguments",
		       rte_strerror(rte_errno));
		goto out_free;
	}
	tsc_per_ms = rte_get_tsc_hz() / 1000 ? rte_get_tsc_hz() / 1000 : 1;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (n_lcores < PMD_MAX_LCORES)
			lcore_ids[n_lcores++] = lcore;
	}
	if (!n_lcores) {
		pr_err("no worker lcore for the PMD loop; give --pmd-cores a CPU other than the "
		       "control thread's (or an EAL core list with at least 2 lcores)");
		goto out_eal;
	}
	pool = rte_pktmbuf_pool_create("nfv_mbufs", (unsigned)o->mbufs, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!pool) {
		pr_err("cannot allocate %llu mbufs (%s); lower --mbufs or raise --memory",
		       (unsigned long long)o->mbufs, rte_strerror(rte_errno));
		goto out_eal;
	}
	ret = fdb_create((uint32_t)o->fdb_size, o->aging_s * 1000, &fdb);
	if (!ret)
		ret = l2_create(fdb, &l2);
	if (!ret)
		ret = ports_create(l2, NULL, pool, n_lcores, &pt);
	if (!ret)
		ret = pmd_create(l2, pt, pool, lcore_ids, n_lcores, &pmd);
	if (ret) {
		pr_err("cannot set up the switch tables: %s", strerror(-ret));
		goto out_tables;
	}
	ports_set_pmd(pt, pmd);
	cctx = (struct ctl_ctx){.pt = pt, .pmd = pmd, .l2 = l2, .fdb = fdb, .now_ms = now_ms};
	ret = ctl_open(o->ctl, &cctx, &ctl);
	if (ret) {
		pr_err("cannot serve the control socket %s: %s%s", o->ctl, strerror(-ret),
		       ret == -EADDRINUSE ? " (another switch runs there; use --ctl PATH)" : "");
		goto out_tables;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	ret = pmd_start(pmd);
	if (ret)
		goto out_ctl;
	for (unsigned i = 0; i < o->n_ports; i++) {
		if (port_add(pt, &o->ports[i], err, sizeof(err))) {
			pr_err("%s", err);
			goto out_ports;
		}
	}
	pr_info("running: %u port(s), %u PMD lcore(s), control socket %s", o->n_ports, n_lcores,
		o->ctl);
	last_age = now_ms();
	while (!stop) {
		uint64_t t;

		ctl_poll(ctl, 50);
		ports_poll(pt);
		t = now_ms();
		if (t - last_age >= 1000) {
			fdb_age(fdb, t);
			last_age = t;
		}
	}
	pr_info("signal %d: shutting down", (int)stop);
	rc = 0;
out_ports:
	ports_destroy(pt); /* with the PMDs still running: clean handshakes */
	pt = NULL;
	pmd_stop(pmd);
out_ctl:
	ctl_close(ctl);
out_tables:
	if (pt)
		ports_set_pmd(pt, NULL);
	pmd_destroy(pmd);
	ports_destroy(pt);
	l2_destroy(l2);
	fdb_destroy(fdb);
	rte_mempool_free(pool);
out_eal:
	rte_eal_cleanup();
out_free:
	free(o);
	return rc;
}
