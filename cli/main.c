/* SPDX-License-Identifier: MIT */
/* nfvisor: the appliance orchestrator. Dispatches subcommands by table. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "common/log.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
} commands[] = {
    {"validate", cmd_validate,
     "validate [--dump] FILE    check an appliance file; print every error as "
     "FILE:LINE:COL: message\n"
     "                            (--dump: print the file with every effective value)"},
    {"plan", cmd_plan,
     "plan [--json] [--sysfs-root DIR] [--run-dir DIR] FILE\n"
     "                            show what `up` would do on this host, without changing it"},
    {"up", cmd_up,
     "up [--foreground] FILE   bring the appliance up (host prep, switch, VMs) and supervise "
     "it"},
    {"down", cmd_down,
     "down NAME|FILE           stop everything and restore the host as up found it"},
    {"status", cmd_status,
     "status [--json] [NAME]   components, pids, cores, uptime, restarts, port counters"},
    {"bench", cmd_bench,
     "bench --list | SCENARIO [--quick] [--out DIR] ...\n"
     "                            measure the I/O paths on this host (docs/bench.md)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: nfvisor COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\nexit status: 0 ok, 1 the appliance or host has problems, 2 usage error\n"
		   "docs/appliance-file.md describes the appliance file.\n");
}

int main(int argc, char **argv)
{
	log_set_program("nfvisor");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "nfvisor: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
