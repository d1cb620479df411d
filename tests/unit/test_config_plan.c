/* SPDX-License-Identifier: MIT */
/* nfvisor plan against fake sysfs trees (tests/config/sysfs-*): each
 * tests/config/plan/NAME.yaml names its tree on line 1 ("# sysfs: DIR") and
 * gives exactly the diagnostics in NAME.err; a few plans are also checked
 * field by field and as JSON. Runs from the repository root. */
#include <errno.h>
#include <glob.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/appliance.h"
#include "config/conflict.h"
#include "config/launch.h"
#include "config/plan.h"
#include "vfio/sysfs.h"
#include "tests/unit/test_util.h"

struct run {
	struct appliance *app;
	struct plan *plan;
	struct sysfs *fs;
	struct diag_list d;
	char *diags; /* "LINE:COL: message\n"... */
};

static void run_plan(const char *yaml, struct run *r)
{
	char root[256], run[256] = "", *text = read_all(yaml), *out = NULL, *line2;
	size_t len = 0;
	FILE *f;

	memset(r, 0, sizeof(*r));
	assert_non_null(text);
	assert_int_equal(sscanf(text, "# sysfs: %200s", root + strlen("tests/config/")), 1);
	memcpy(root, "tests/config/", strlen("tests/config/"));
	/* An optional second line "# run: DIR" names the running appliances. */
	line2 = strchr(text, '\n');
	if (line2 && sscanf(line2 + 1, "# run: %200s", run + strlen("tests/config/")) == 1)
		memcpy(run, "tests/config/", strlen("tests/config/"));
	free(text);
	assert_int_equal(sysfs_open(root, &r->fs), 0);
	diag_init(&r->d);
	assert_int_equal(appliance_load(yaml, &r->d, &r->app), 0);
	assert_int_equal(plan_build(r->app, r->fs, &r->d, &r->plan), 0);
	if (run[0])
		assert_true(appliance_check_running(r->app, run, &r->d) >= 0);
	f = open_memstream(&out, &len);
	assert_non_null(f);
	for (size_t i = 0; i < r->d.n; i++) {
		char *s = diag_format(&r->d, i);

		assert_non_null(s);
		fprintf(f, "%s\n", s);
		free(s);
	}
	fclose(f);
	r->diags = out;
}

static void run_free(struct run *r)
{
	plan_free(r->plan);
	appliance_free(r->app);
	diag_free(&r->d);
	sysfs_close(r->fs);
	free(r->diags);
}

static void test_plan_corpus(void **state)
{
	size_t failed = 0;
	glob_t g;

	assert_int_equal(glob("tests/config/plan/*.yaml", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 5);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char errpath[512], *want;
		struct run r;

		snprintf(errpath, sizeof(errpath), "%.*s.err", (int)strlen(g.gl_pathv[i]) - 5,
			 g.gl_pathv[i]);
		want = read_all(errpath);
		run_plan(g.gl_pathv[i], &r);
		if (!want || strcmp(want, r.diags)) {
			print_error("%s: diagnostics differ\n", g.gl_pathv[i]);
			print_lines("expected", want ? want : "(no .err file)");
			print_lines("got", r.diags);
			failed++;
		}
		free(want);
		run_free(&r);
	}
	globfree(&g);
	assert_int_equal(failed, 0);
}

static void test_hugepage_shortage(void **state)
{
	struct run r;

	run_plan("tests/config/plan/hugepage-shortage.yaml", &r);
	assert_int_equal(r.plan->hp_size, CFG_HP_2M);
	assert_int_equal(r.plan->nhp, 1);
	assert_int_equal(r.plan->hp[0].needed, 192); /* 256M VM + 128M switch */
	assert_int_equal(r.plan->hp[0].free, 10);
	assert_int_equal(r.plan->hp[0].add, 182);
	assert_int_equal(r.d.nerrors, 1);
	run_free(&r);
}

/* Collisions with running appliances: two checked (one state file is
 * broken), everything shared is reported. */
static void test_running_appliances(void **state)
{
	struct diag_list d;
	struct appliance *app;

	diag_init(&d);
	assert_int_equal(appliance_load("tests/config/plan/conflicts.yaml", &d, &app), 0);
	assert_int_equal(appliance_check_running(app, "tests/config/run-busy", &d), 3);
	assert_int_equal(d.nerrors, 7);
	assert_int_equal(appliance_check_running(app, "tests/config/no-such-run-dir", &d), 0);
	assert_int_equal(d.nerrors, 7);
	appliance_free(app);
	diag_free(&d);
}

/* Without NUMA directories: one node 0, the global hugepage pool. */
static void test_flat_host(void **state)
{
	struct run r;

	run_plan("tests/config/plan/flat.yaml", &r);
	assert_int_equal(r.plan->nhp, 1);
	assert_int_equal(r.plan->hp[0].node, 0);
	assert_int_equal(r.plan->hp[0].needed, 32);
	assert_int_equal(r.plan->hp[0].free, 2);
	assert_int_equal(r.plan->hp[0].total, 4);
	assert_int_equal(r.plan->hp[0].add, 30);
	assert_int_equal(r.plan->ncpus, 4);
	assert_int_equal(r.plan->cpus[3].node, 0);
	assert_false(r.plan->cpus[3].nohz_full);
	assert_int_equal(r.d.nerrors, 0);
	run_free(&r);
}

static void test_no_iommu(void **state)
{
	struct run r;

	run_plan("tests/config/plan/no-iommu.yaml", &r);
	assert_true(r.plan->needs_iommu);
	assert_int_equal(r.plan->iommu_groups, 0);
	assert_int_equal(r.plan->nactions, 1);
	assert_string_equal(r.plan->actions[0].bdf, "0000:04:00.0");
	assert_string_equal(r.plan->actions[0].driver, "nvme");
	run_free(&r);
}

static void test_numa_actions(void **state)
{
	const struct plan_action *a;
	struct run r;

	run_plan("tests/config/plan/numa.yaml", &r);
	assert_int_equal(r.d.nerrors, 0);
	assert_int_equal(r.plan->nactions, 5);
	a = &r.plan->actions[0];
	assert_int_equal(a->kind, PLAN_SET_NUMVFS);
	assert_string_equal(a->bdf, "0000:3b:00.0");
	assert_int_equal(a->from, 0);
	assert_int_equal(a->to, 4);
	assert_int_equal(a->numa_node, 1);
	a = &r.plan->actions[2]; /* fw's first NIC: a VF that up creates */
	assert_int_equal(a->kind, PLAN_BIND_VFIO);
	assert_true(a->is_vf);
	assert_string_equal(a->bdf, "");
	assert_string_equal(a->pf->name, "outside");
	assert_non_null(a->nic);
	assert_int_equal(a->nic->vf.vlan, 100);
	a = &r.plan->actions[3]; /* an existing VF */
	assert_string_equal(a->bdf, "0000:5e:02.1");
	assert_int_equal(a->iommu_group, 13);
	assert_string_equal(a->user, "VM fw");
	/* CPU 4 runs the PMD, CPU 2 fw's vCPU 0. */
	assert_int_equal(r.plan->cpus[4].cpu, 4);
	assert_int_equal(r.plan->cpus[4].uses[0].kind, PLAN_USE_PMD);
	assert_int_equal(r.plan->cpus[4].node, 1);
	assert_int_equal(r.plan->cpus[2].uses[0].kind, PLAN_USE_VCPU);
	assert_string_equal(r.plan->cpus[2].uses[0].vm, "fw");
	assert_true(r.plan->cpus[2].isolated);
	assert_false(r.plan->cpus[4].isolated);
	assert_int_equal(r.plan->hp[0].needed, 3);
	assert_int_equal(r.plan->hp[1].needed, 1);
	run_free(&r);
}

static struct json_object *get(struct json_object *o, const char *path)
{
	char buf[128], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(tok));
		else if (!json_object_object_get_ex(o, tok, &o))
			o = NULL;
	}
	if (!o)
		fail_msg("no %s in the plan's JSON", path);
	return o;
}

static void test_ok_json(void **state)
{
	struct json_object *o;
	struct run r;

	run_plan("tests/config/plan/ok.yaml", &r);
	assert_int_equal(r.d.n, 0);
	o = plan_json(r.plan, &r.d);
	assert_non_null(o);
	assert_true(json_object_get_boolean(get(o, "ok")));
	assert_string_equal(json_object_get_string(get(o, "appliance")), "fits");
	assert_int_equal(json_object_get_int(get(o, "errors")), 0);
	assert_string_equal(json_object_get_string(get(o, "hugepage_size")), "2M");
	assert_int_equal(json_object_get_int(get(o, "hugepages.0.needed")), 32);
	assert_int_equal(json_object_get_int(get(o, "hugepages.0.add")), 0);
	assert_string_equal(json_object_get_string(get(o, "actions.0.action")), "bind_vfio");
	assert_string_equal(json_object_get_string(get(o, "actions.0.bdf")), "0000:5e:02.1");
	assert_string_equal(json_object_get_string(get(o, "actions.0.mac")), "52:54:00:00:00:01");
	assert_int_equal(json_object_get_int(get(o, "actions.0.rate_mbps")), 100);
	assert_string_equal(json_object_get_string(get(o, "cores.2.uses.0.kind")), "vcpu");
	assert_int_equal(json_object_get_int(get(o, "cores.3.uses.0.vcpu")), 1);
	assert_true(json_object_get_boolean(get(o, "iommu.enabled")));
	assert_int_equal(json_object_array_length(get(o, "diagnostics")), 0);
	assert_string_equal(json_object_get_string(get(o, "processes.0.name")), "vm fw");
	assert_string_equal(json_object_get_string(get(o, "processes.0.argv.0")), "nfvisor-vmm");
	assert_string_equal(json_object_get_string(get(o, "processes.0.argv.8")),
			    "--device=vfio:0000:5e:02.1");
	json_object_put(o);
	run_free(&r);
}

/* The JSON carries every diagnostic with its position. */
static void test_json_diagnostics(void **state)
{
	struct json_object *o;
	struct run r;

	run_plan("tests/config/plan/hugepage-shortage.yaml", &r);
	o = plan_json(r.plan, &r.d);
	assert_non_null(o);
	assert_false(json_object_get_boolean(get(o, "ok")));
	assert_int_equal(json_object_get_int(get(o, "errors")), 1);
	assert_int_equal(json_object_get_int(get(o, "warnings")), 1);
	assert_string_equal(json_object_get_string(get(o, "diagnostics.1.severity")), "error");
	assert_int_equal(json_object_get_int(get(o, "diagnostics.1.line")), 5);
	assert_int_equal(json_object_get_int(get(o, "diagnostics.1.col")), 32);
	json_object_put(o);
	run_free(&r);
}

static void assert_argv(const struct launch_cmd *c, const char *const *want)
{
	size_t n = 0;

	for (; want[n]; n++) {
		assert_true(n < c->argc);
		assert_string_equal(c->argv[n], want[n]);
	}
	assert_int_equal(c->argc, n);
	assert_null(c->argv[n]);
}

/* The commands up runs for the demo, exactly. */
static void test_launch_demo(void **state)
{
	static const char *const sw[] = {
	    "nfvisor-switch",
	    "--pmd-cores=1",
	    "--ctl=/run/nfvisor/demo/switch.ctl",
	    "--file-prefix=nfvisor-demo",
	    "--memory=128",
	    "--fdb-aging=300",
	    "--fdb-size=4096",
	    "--port=name=uplink,type=vdev,dev=net_tap0,iface=nfv-demo0,mac-limit=0",
	    "--port=name=vm1-eth0,type=vhost-user,path=/run/nfvisor/demo/vm1-eth0.sock,"
	    "mode=server,queues=1,mac-limit=0",
	    "--port=name=vm2-eth0,type=vhost-user,path=/run/nfvisor/demo/vm2-eth0.sock,"
	    "mode=server,queues=1,mac-limit=0",
	    NULL};
	static const char *const vm2[] = {
	    "/usr/bin/nfvisor-vmm",
	    "--kernel=build/guest/nfguest.elf",
	    "--cmdline=mode=reflect",
	    "--memory=64M",
	    "--vcpus=1",
	    "--hugepages=2M",
	    "--pin=0",
	    "--emulator-pin=0",
	    "--serial=file:/run/nfvisor/demo/vm2.serial.log",
	    "--net=vhost-user:/run/nfvisor/demo/vm2-eth0.sock,mac=52:54:00:00:02:01,queues=1",
	    NULL};
	struct appliance *app;
	struct launch_cmd c;
	struct diag_list d;

	diag_init(&d);
	assert_int_equal(appliance_load("examples/demo.yaml", &d, &app), 0);
	assert_int_equal(launch_switch(app, NULL, "nfvisor-switch", &c), 0);
	assert_string_equal(c.name, "switch");
	assert_argv(&c, sw);
	launch_cmd_release(&c);
	assert_int_equal(launch_vm(app, 1, NULL, "/usr/bin/nfvisor-vmm", &c), 0);
	assert_string_equal(c.name, "vm vm2");
	assert_argv(&c, vm2);
	launch_cmd_release(&c);
	appliance_free(app);
	diag_free(&d);
}

/* VFs: the plan's address when the VF exists, a placeholder until up makes
 * it; VLAN trunks and client-mode sockets. */
static void test_launch_vfs(void **state)
{
	static const char *const fw[] = {"nfvisor-vmm",
					 "--kernel=tests/config/plan/kernel.bin",
					 "--memory=2G",
					 "--vcpus=2",
					 "--hugepages=1G",
					 "--pin=2,3",
					 "--emulator-pin=0",
					 "--serial=file:/run/nfvisor/numa/fw.serial.log",
					 "--device=vfio:VF0@outside",
					 "--device=vfio:0000:5e:02.1",
					 "--device=vfio:0000:04:00.0",
					 NULL};
	struct launch_cmd c;
	struct run r;

	run_plan("tests/config/plan/numa.yaml", &r);
	assert_int_equal(launch_vm(r.app, 0, r.plan, "nfvisor-vmm", &c), 0);
	assert_argv(&c, fw);
	launch_cmd_release(&c);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_corpus), cmocka_unit_test(test_hugepage_shortage),
	    cmocka_unit_test(test_no_iommu),	cmocka_unit_test(test_numa_actions),
	    cmocka_unit_test(test_ok_json),	cmocka_unit_test(test_json_diagnostics),
	    cmocka_unit_test(test_launch_demo), cmocka_unit_test(test_launch_vfs),
	    cmocka_unit_test(test_flat_host),	cmocka_unit_test(test_running_appliances),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
