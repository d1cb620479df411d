/* SPDX-License-Identifier: MIT */
/* nfvisor validate [--dump] FILE: syntax and semantics, no host checks. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "config/appliance.h"

int cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dump", no_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct appliance *app;
	struct diag_list d;
	bool dump = false;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "dh", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			dump = true;
			break;
		case 'h':
			printf("usage: nfvisor validate [--dump] FILE\n");
			return 0;
		default:
			fprintf(stderr, "usage: nfvisor validate [--dump] FILE\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr,
			"nfvisor validate: expected one appliance file, got %d arguments\n"
			"usage: nfvisor validate [--dump] FILE\n",
			argc - optind);
		return EXIT_USAGE;
	}
	diag_init(&d);
	ret = appliance_load(argv[optind], &d, &app);
	diag_print(&d, argv[optind], stderr);
	diag_free(&d);
	if (ret == -ENOMEM) {
		fprintf(stderr, "nfvisor validate: out of memory\n");
		return EXIT_INVALID;
	}
	if (ret)
		return EXIT_INVALID;
	if (dump) {
		ret = appliance_dump(app, stdout);
	} else {
		printf("%s: valid: appliance \"%s\", %zu VM%s, %zu switch port%s, %zu PF%s\n",
		       argv[optind], app->name, app->nvms, app->nvms == 1 ? "" : "s",
		       app->sw.nports, app->sw.nports == 1 ? "" : "s", app->npfs,
		       app->npfs == 1 ? "" : "s");
	}
	appliance_free(app);
	return ret ? EXIT_INVALID : 0;
}
