/* SPDX-License-Identifier: MIT */
/* nfvisor down NAME|FILE: take an appliance down and restore the host. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "config/appliance.h"
#include "orch/orch.h"

#define DOWN_USAGE "usage: nfvisor down NAME|FILE\n"

/* The appliance name: ARG itself, or the name: of appliance file ARG. */
static int name_of(const char *arg, char *name, size_t len)
{
	struct appliance *app = NULL;
	struct diag_list d;
	struct stat st;
	int ret;

	if (stat(arg, &st) || !S_ISREG(st.st_mode)) {
		if (!*arg || strchr(arg, '/') || strlen(arg) >= CFG_NAME_MAX) {
			fprintf(stderr,
				"nfvisor down: \"%s\" is neither an appliance name nor a readable "
				"file; see `nfvisor status` for what is up\n",
				arg);
			return -EINVAL;
		}
		snprintf(name, len, "%s", arg);
		return 0;
	}
	diag_init(&d);
	ret = appliance_load(arg, &d, &app);
	if (ret) {
		diag_print(&d, arg, stderr);
		fprintf(stderr,
			"nfvisor down: cannot read the name from %s; give the name instead\n", arg);
	} else {
		snprintf(name, len, "%s", app->name);
	}
	appliance_free(app);
	diag_free(&d);
	return ret;
}

int cmd_down(int argc, char **argv)
{
	struct orch_opts oo = {0};
	char name[CFG_NAME_MAX];
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf(DOWN_USAGE "Stops the supervisor, the VMs (SIGTERM, then SIGKILL after "
				  "$NFV_STOP_TIMEOUT s, default 10) and the switch,\nundoes every "
				  "host change up made, and removes " CFG_RUN_DIR
				  "/NAME. Safe to repeat.\n");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "nfvisor down: expected one appliance name or file\n" DOWN_USAGE);
		return EXIT_USAGE;
	}
	if (name_of(argv[1], name, sizeof(name)))
		return EXIT_USAGE;
	printf("taking \"%s\" down\n", name);
	ret = orch_down(name, &oo, true);
	printf("%s\n", ret ? "down: INCOMPLETE (see the errors above)" : "down: done");
	return ret ? EXIT_INVALID : 0;
}
