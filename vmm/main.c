/* SPDX-License-Identifier: MIT */
/* nfvisor-vmm: one KVM virtual machine per process. Parses and validates the
 * command line into a struct vm_config, then builds, runs and tears down
 * the VM. Exit status: 0 guest poweroff/reset or SIGTERM/SIGINT, 1 runtime
 * failure, 2 invalid command line. */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/parse.h"
#include "vmm/pci_vm.h"
#include "vmm/pin.h"
#include "vmm/vm.h"

#define EXIT_USAGE     2
#define DEFAULT_MEMORY (256ull << 20)
#define MAX_MEMORY     (1ull << 40)
#define SERIAL_LIMIT   (16ull << 20)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nfvisor-vmm --kernel PATH [options]\n"
		"Run one KVM virtual machine; exits 0 when the guest powers off or resets.\n"
		"\n"
		"  --kernel PATH         64-bit ELF (vmlinux, nfguest.elf) or bzImage to boot\n"
		"  --initrd PATH         initial ramdisk\n"
		"  --cmdline STR         kernel command line\n"
		"  --memory SIZE         guest RAM, e.g. 512M, 2G (default 256M, minimum 16M)\n"
		"  --vcpus N             number of vCPUs, 1-%d (default 1)\n"
		"  --pin CPU,CPU...      pin vCPU i to the i-th host CPU (one per vCPU)\n"
		"  --emulator-pin CPU[,CPU]  pin the emulation/IO thread\n"
		"  --hugepages 2M|1G|none    guest RAM backing (default 2M hugepages)\n"
		"  --serial stdio|file:PATH  COM1 console (default stdio)\n"
		"  --serial-limit SIZE   empty a file: console when it reaches SIZE\n"
		"                        (default 16M, 0 = never)\n"
		"  --net vhost-user:PATH[,server][,mac=MAC][,queues=N]  virtio-net device whose\n"
		"                        packets a vhost-user backend serves (repeatable)\n"
		"  --device vfio:BDF|vfio-user:SOCKET  pass a PCI device through: kernel VFIO or\n"
		"                        a vfio-user device server (repeatable)\n"
		"  --seccomp on|off|log  syscall filter + capability drop before the guest runs;\n"
		"                        log: report forbidden syscalls only (default on)\n"
		"  --jail DIR            once its files are open: own mount namespace, root an\n"
		"                        empty read-only tmpfs over DIR, run as this unprivileged\n"
		"  --uid N --gid N       user without capabilities (or --user NAME)\n"
		"  --help                this text\n",
		VM_MAX_VCPUS);
}

/* Parse a CPU list option into cpus; messages name the option and value. */
static int parse_cpus(const char *option, const char *value, int *cpus, size_t max, size_t *n)
{
	int ret = parse_cpu_list(value, cpus, max, n);

	if (ret == -E2BIG)
		pr_err("%s %s lists more than %zu CPUs", option, value, max);
	else if (ret == -ERANGE)
		pr_err("%s %s: CPU numbers must be below %d", option, value, CPUSET_MAX);
	else if (ret)
		pr_err("invalid %s value '%s': expected a CPU list like 2,3 or 2-5", option, value);
	return ret;
}

static int parse_hugepages(const char *v, enum hugepage_kind *out)
{
	if (!strcasecmp(v, "2M") || !strcasecmp(v, "2MB"))
		*out = HUGEPAGES_2M;
	else if (!strcasecmp(v, "1G") || !strcasecmp(v, "1GB"))
		*out = HUGEPAGES_1G;
	else if (!strcasecmp(v, "none"))
		*out = HUGEPAGES_NONE;
	else {
		pr_err("invalid --hugepages value '%s': expected 2M, 1G or none", v);
		return -EINVAL;
	}
	return 0;
}

static int parse_serial(const char *v, const char **file)
{
	if (!strcmp(v, "stdio")) {
		*file = NULL;
		return 0;
	}
	if (!strncmp(v, "file:", 5) && v[5]) {
		*file = v + 5;
		return 0;
	}
	pr_err("invalid --serial value '%s': expected stdio or file:PATH", v);
	return -EINVAL;
}

/* Checks that need the whole command line. */
static int validate(struct vm_config *cfg, const char *pin_arg, const char *emu_arg)
{
	uint64_t page = hugepage_size(cfg->hugepages);
	cpu_set_t allowed;
	char msg[512];
	size_t n, i, j;

	if (!cfg->kernel) {
		pr_err("--kernel PATH is required (see --help)");
		return -EINVAL;
	}
	if (cfg->mem_size < VM_MIN_MEMORY || cfg->mem_size > MAX_MEMORY) {
		pr_err("--memory %llu MiB is out of range: use 16M to 1T",
		       (unsigned long long)(cfg->mem_size >> 20));
		return -EINVAL;
	}
	if (cfg->mem_size % page) {
		pr_err("--memory %llu KiB is not a multiple of the %llu KiB page size of "
		       "--hugepages; round it up to %llu KiB",
		       (unsigned long long)(cfg->mem_size >> 10), (unsigned long long)(page >> 10),
		       (unsigned long long)((cfg->mem_size + page - 1) / page * page >> 10));
		return -EINVAL;
	}
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0) {
		pr_err("sched_getaffinity: %s", strerror(errno));
		return -errno;
	}
	if (pin_arg) {
		if (parse_cpus("--pin", pin_arg, cfg->pin, VM_MAX_VCPUS, &n))
			return -EINVAL;
		if (pin_check("--pin", cfg->pin, n, cfg->vcpus, NULL, &allowed, msg, sizeof(msg))) {
			pr_err("%s", msg);
			return -EINVAL;
		}
		cfg->pinned = true;
	}
	if (emu_arg) {
		if (parse_cpus("--emulator-pin", emu_arg, cfg->emu_pin, VM_MAX_EMU_PIN, &n))
			return -EINVAL;
		if (pin_check("--emulator-pin", cfg->emu_pin, n, 0, NULL, &allowed, msg,
			      sizeof(msg))) {
			pr_err("%s", msg);
			return -EINVAL;
		}
		cfg->n_emu_pin = (unsigned)n;
		for (i = 0; cfg->pinned && i < n; i++)
			for (j = 0; j < cfg->vcpus; j++)
				if (cfg->emu_pin[i] == cfg->pin[j])
					pr_warn("--emulator-pin CPU %d is also vCPU %zu's CPU; "
						"they will compete for it",
						cfg->emu_pin[i], j);
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum {
		OPT_KERNEL = 256,
		OPT_INITRD,
		OPT_CMDLINE,
		OPT_MEMORY,
		OPT_VCPUS,
		OPT_PIN,
		OPT_EMU_PIN,
		OPT_HUGEPAGES,
		OPT_SERIAL,
		OPT_SERIAL_LIMIT,
		OPT_NET,
		OPT_DEVICE,
		OPT_SECCOMP,
		OPT_JAIL,
		OPT_UID,
		OPT_GID,
		OPT_USER,
		OPT_HELP
	};
	static const struct option opts[] = {
	    {"kernel", required_argument, NULL, OPT_KERNEL},
	    {"initrd", required_argument, NULL, OPT_INITRD},
	    {"cmdline", required_argument, NULL, OPT_CMDLINE},
	    {"memory", required_argument, NULL, OPT_MEMORY},
	    {"vcpus", required_argument, NULL, OPT_VCPUS},
	    {"pin", required_argument, NULL, OPT_PIN},
	    {"emulator-pin", required_argument, NULL, OPT_EMU_PIN},
	    {"hugepages", required_argument, NULL, OPT_HUGEPAGES},
	    {"serial", required_argument, NULL, OPT_SERIAL},
	    {"serial-limit", required_argument, NULL, OPT_SERIAL_LIMIT},
	    {"net", required_argument, NULL, OPT_NET},
	    {"device", required_argument, NULL, OPT_DEVICE},
	    {"seccomp", required_argument, NULL, OPT_SECCOMP},
	    {"jail", required_argument, NULL, OPT_JAIL},
	    {"uid", required_argument, NULL, OPT_UID},
	    {"gid", required_argument, NULL, OPT_GID},
	    {"user", required_argument, NULL, OPT_USER},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0},
	};
	struct vm_config cfg = {
	    .mem_size = DEFAULT_MEMORY,
	    .hugepages = HUGEPAGES_2M,
	    .vcpus = 1,
	    .serial_limit = SERIAL_LIMIT,
	};
	static struct pci_vm_config pci; /* PCI bus and devices (vmm/pci_vm.h) */
	struct vmm_jail jail = {0};
	unsigned id, i;
	const char *pin_arg = NULL, *emu_arg = NULL;
	struct vm *vm;
	uint64_t v;
	int opt, ret;

	log_set_program("nfvisor-vmm");
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_KERNEL:
			cfg.kernel = optarg;
			break;
		case OPT_INITRD:
			cfg.initrd = optarg;
			break;
		case OPT_CMDLINE:
			cfg.cmdline = optarg;
			break;
		case OPT_MEMORY:
			if (parse_size(optarg, &cfg.mem_size)) {
				pr_err("invalid --memory value '%s': expected a size like 512M or "
				       "2G",
				       optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_VCPUS:
			if (parse_uint(optarg, 1, VM_MAX_VCPUS, &v)) {
				pr_err("invalid --vcpus value '%s': expected 1 to %d", optarg,
				       VM_MAX_VCPUS);
				return EXIT_USAGE;
			}
			cfg.vcpus = (unsigned)v;
			break;
		case OPT_PIN:
			pin_arg = optarg;
			break;
		case OPT_EMU_PIN:
			emu_arg = optarg;
			break;
		case OPT_HUGEPAGES:
			if (parse_hugepages(optarg, &cfg.hugepages))
				return EXIT_USAGE;
			break;
		case OPT_SERIAL:
			if (parse_serial(optarg, &cfg.serial_file))
				return EXIT_USAGE;
			break;
		case OPT_SERIAL_LIMIT:
			if (parse_size(optarg, &cfg.serial_limit) ||
			    (cfg.serial_limit && cfg.serial_limit < 4096)) {
				pr_err("invalid --serial-limit '%s': expected 0 or a size >= 4K "
				       "like 16M",
				       optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_NET:
			if (pci_vm_add_net(&pci, optarg))
				return EXIT_USAGE;
			break;
		case OPT_SECCOMP:
			if (vmm_seccomp_parse(optarg, &cfg.seccomp))
				return EXIT_USAGE;
			break;
		case OPT_DEVICE:
			if (pci_vm_add_device(&pci, optarg))
				return EXIT_USAGE;
			break;
		case OPT_JAIL:
			jail.dir = optarg;
			break;
		case OPT_UID:
			if (vmm_jail_parse_id("--uid", optarg, &id))
				return EXIT_USAGE;
			jail.uid = id;
			jail.has_uid = true;
			break;
		case OPT_GID:
			if (vmm_jail_parse_id("--gid", optarg, &id))
				return EXIT_USAGE;
			jail.gid = id;
			jail.has_gid = true;
			break;
		case OPT_USER:
			if (vmm_jail_set_user(&jail, optarg))
				return EXIT_USAGE;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s' (see --help)", argv[optind]);
		return EXIT_USAGE;
	}
	if (validate(&cfg, pin_arg, emu_arg) || vmm_jail_check(&jail))
		return EXIT_USAGE;
	/* A vhost-user client reconnects by path: keep its directory visible. */
	for (i = 0; jail.dir && i < pci.n_net; i++)
		if (!pci.net[i].server && vmm_jail_keep(&jail, pci.net[i].path))
			return EXIT_USAGE;
	cfg.jail = &jail;
	if (!cfg.pinned)
		pr_info("no --pin given: vCPU threads float over the host CPUs (--pin CPU,... "
			"dedicates one host CPU per vCPU)");

	/* A closed console must not kill the VMM; writes just fail. */
	signal(SIGPIPE, SIG_IGN);
	cfg.hooks =
	    (struct vm_hooks){.setup = pci_vm_setup, .teardown = pci_vm_teardown, .opaque = &pci};
	cfg.pci = true;
	cfg.ram_shared = pci.n_net > 0;
	for (i = 0; i < pci.n_vfio; i++)
		if (pci.vfio[i].kind == VFIO_DEV_USER)
			cfg.ram_shared = true;
	ret = vm_create(&cfg, &vm);
	if (ret)
		return 1;
	ret = vm_run(vm);
	vm_destroy(vm);
	return ret;
}
