/* SPDX-License-Identifier: MIT */
/* nfvisor plan [--json] [--sysfs-root DIR] FILE: what up would do here. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "config/appliance.h"
#include "config/conflict.h"
#include "config/plan.h"
#include "vfio/sysfs.h"

#define PLAN_USAGE "usage: nfvisor plan [--json] [--sysfs-root DIR] [--run-dir DIR] FILE\n"

int cmd_plan(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {"sysfs-root", required_argument, NULL, 'r'},
					     {"run-dir", required_argument, NULL, 'R'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *root = getenv("NFV_SYSFS_ROOT");
	const char *run_dir = getenv("NFV_RUN_DIR");
	struct appliance *app = NULL;
	struct plan *plan = NULL;
	struct sysfs *fs = NULL;
	struct diag_list d;
	bool json = false;
	int opt, ret, running = 0, status = EXIT_INVALID;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "jr:R:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'r':
			root = optarg;
			break;
		case 'R':
			run_dir = optarg;
			break;
		case 'h':
			printf(PLAN_USAGE
			       "The sysfs root defaults to $NFV_SYSFS_ROOT, else /; the "
			       "directory of running appliances to $NFV_RUN_DIR, else " CFG_RUN_DIR
			       ".\n");
			return 0;
		default:
			fprintf(stderr, PLAN_USAGE);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr,
			"nfvisor plan: expected one appliance file, got %d arguments\n" PLAN_USAGE,
			argc - optind);
		return EXIT_USAGE;
	}
	ret = sysfs_open(root, &fs);
	if (ret) {
		fprintf(stderr, "nfvisor plan: sysfs root \"%s\": %s; pass an existing directory\n",
			root ? root : "/", strerror(-ret));
		return EXIT_USAGE;
	}
	diag_init(&d);
	ret = appliance_load(argv[optind], &d, &app);
	if (ret == -EINVAL) {
		diag_print(&d, argv[optind], stderr);
		fprintf(stderr, "nfvisor plan: %s is not valid (%zu error%s); fix it first\n",
			argv[optind], d.nerrors, d.nerrors == 1 ? "" : "s");
		goto out;
	}
	if (!ret)
		ret = plan_build(app, fs, &d, &plan);
	if (!ret) {
		running = appliance_check_running(app, run_dir, &d);
		ret = running < 0 ? running : 0;
	}
	if (ret) {
		fprintf(stderr, "nfvisor plan: %s\n", strerror(-ret));
		goto out;
	}
	if (json) {
		struct json_object *o = plan_json(plan, &d);

		if (!o) {
			fprintf(stderr, "nfvisor plan: out of memory\n");
			goto out;
		}
		json_object_object_add(o, "running_appliances", json_object_new_int(running));
		printf("%s\n", json_object_to_json_string_ext(
				   o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		plan_print(plan, stdout);
		printf("running appliances: %d checked for collisions (%s)\n", running,
		       run_dir ? run_dir : CFG_RUN_DIR);
		fflush(stdout);
		diag_print(&d, argv[optind], stderr);
		printf("plan: %s (%zu error%s, %zu warning%s)\n",
		       d.nerrors ? "up would fail" : "ok", d.nerrors, d.nerrors == 1 ? "" : "s",
		       d.n - d.nerrors, d.n - d.nerrors == 1 ? "" : "s");
	}
	status = d.nerrors ? EXIT_INVALID : 0;
out:
	plan_free(plan);
	appliance_free(app);
	diag_free(&d);
	sysfs_close(fs);
	return status;
}
