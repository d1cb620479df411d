/* SPDX-License-Identifier: MIT */
/* The jail: keys of the appliance file, from real YAML: defaults merged key
 * by key (the identity whole), effective values, the socket directory of a
 * jailed VM's ports, load → dump → load, the nfvisor-vmm command line and
 * the ids plan looks up. Error messages are in tests/config/invalid/jail-*
 * and tests/config/plan/jail.* (test_config, test_config_plan). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "config/appliance.h"
#include "config/launch.h"
#include "config/plan.h"
#include "tests/unit/test_util.h"
#include "vfio/sysfs.h"

static const char yaml[] = "name: jt\n"
			   "switch:\n"
			   "  pmd_cores: '1'\n"
			   "  ports:\n"
			   "    - {name: p1, type: vhost-user}\n"
			   "    - {name: p2, type: vhost-user, mode: client}\n"
			   "    - {name: p3, type: vhost-user}\n"
			   "    - {name: p4, type: vhost-user, path: /tmp/nfv-jt-p4.sock}\n"
			   "defaults:\n"
			   "  kernel: k\n"
			   "  jail: {user: nobody, dir: /srv/nfv-jail}\n"
			   "vms:\n"
			   "  - {name: a, nics: [{switch_port: p1}, {switch_port: p4}]}\n"
			   "  - name: b\n"
			   "    jail: {uid: 64123, gid: 64124}\n"
			   "    nics: [{switch_port: p2}]\n"
			   "  - name: c\n"
			   "    jail: {enabled: false}\n"
			   "    nics: [{switch_port: p3}]\n"
			   "  - {name: d, jail: {dir: /var/lib/nfv-jail}}\n";

/* Loads TEXT from a temporary file, which is removed again. */
static struct appliance *load_text(const char *text)
{
	char tmp[] = "/tmp/nfv-jail-XXXXXX";
	struct appliance *app = NULL;
	struct diag_list d;
	int ret;

	write_temp(tmp, text);
	diag_init(&d);
	ret = appliance_load(tmp, &d, &app);
	unlink(tmp);
	assert_int_equal(ret, 0);
	assert_int_equal(d.nerrors, 0);
	diag_free(&d);
	return app;
}

static char *dump_string(const struct appliance *app)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	assert_int_equal(appliance_dump(app, f), 0);
	fclose(f);
	return out;
}

/* Defaults apply key by key; a VM's own uid/gid replace the defaults' user
 * as a whole; enabled: false turns the jail off; no jail: anywhere is off. */
static void test_merge_and_effective(void **state)
{
	char dir[300];
	struct appliance *app = load_text(yaml);
	const struct cfg_jail *a = &app->vms[0].jail, *b = &app->vms[1].jail,
			      *c = &app->vms[2].jail, *d = &app->vms[3].jail;

	assert_true(a->enabled);
	assert_string_equal(a->user, "nobody");
	assert_string_equal(a->dir, "/srv/nfv-jail");
	cfg_jail_path(&app->vms[0], dir, sizeof(dir));
	assert_string_equal(dir, "/srv/nfv-jail/a");
	assert_true(b->enabled);
	assert_null(b->user); /* not half of the defaults' identity */
	assert_int_equal(b->uid, 64123);
	assert_int_equal(b->gid, 64124);
	assert_string_equal(b->dir, "/srv/nfv-jail");
	assert_false(c->enabled);
	assert_true(d->enabled);
	assert_string_equal(d->user, "nobody");
	assert_string_equal(d->dir, "/var/lib/nfv-jail");
	/* Ports of jailed VMs get a socket directory of their own; a written
	 * path stays; a port of an unjailed VM keeps the shared directory. */
	assert_string_equal(cfg_find_port(app, "p1")->path, "/run/nfvisor/jt/vhost-a/p1.sock");
	assert_string_equal(cfg_find_port(app, "p2")->path, "/run/nfvisor/jt/vhost-b/p2.sock");
	assert_string_equal(cfg_find_port(app, "p3")->path, "/run/nfvisor/jt/p3.sock");
	assert_string_equal(cfg_find_port(app, "p4")->path, "/tmp/nfv-jt-p4.sock");
	assert_ptr_equal(cfg_jailed_user(app, "p1"), &app->vms[0]);
	assert_null(cfg_jailed_user(app, "p3"));
	appliance_free(app);

	/* Without jail: anywhere nothing is jailed; jail: {...} alone is on,
	 * with the default directory under the appliance's run directory. */
	app = load_text("name: t2\n"
			"vms:\n"
			"  - {name: a, kernel: k}\n"
			"  - {name: b, kernel: k, jail: {uid: 7, gid: 8}}\n");
	assert_false(app->vms[0].jail.enabled);
	assert_null(app->vms[0].jail.dir);
	assert_true(app->vms[1].jail.enabled);
	assert_string_equal(app->vms[1].jail.dir, "/run/nfvisor/t2/jail");
	appliance_free(app);
}

/* validate --dump spells every effective jail value out and reads back the
 * same; a VM without a jail dumps no jail: key. */
static void test_dump_roundtrip(void **state)
{
	struct appliance *app = load_text(yaml), *again;
	char *d1 = dump_string(app), *d2;

	assert_non_null(strstr(d1, "  jail:\n    enabled: true\n    user: \"nobody\"\n"
				   "    dir: \"/srv/nfv-jail\"\n"));
	assert_non_null(strstr(d1, "    uid: 64123\n    gid: 64124\n"));
	again = load_text(d1);
	d2 = dump_string(again);
	assert_string_equal(d1, d2);
	assert_int_equal(again->vms[1].jail.uid, 64123);
	assert_false(again->vms[2].jail.enabled);
	free(d1);
	free(d2);
	appliance_free(app);
	appliance_free(again);
	app = load_text("name: t3\nvms: [{name: a, kernel: k}]\n");
	d1 = dump_string(app);
	assert_null(strstr(d1, "jail"));
	free(d1);
	appliance_free(app);
}

static bool has_arg(const struct launch_cmd *c, const char *arg)
{
	for (size_t i = 0; i < c->argc; i++)
		if (!strcmp(c->argv[i], arg))
			return true;
	return false;
}

static bool has_prefix(const struct launch_cmd *c, const char *prefix)
{
	for (size_t i = 0; i < c->argc; i++)
		if (!strncmp(c->argv[i], prefix, strlen(prefix)))
			return true;
	return false;
}

/* The VMM gets --jail <dir>/<vm> and the identity; unjailed VMs nothing. */
static void test_launch(void **state)
{
	struct appliance *app = load_text(yaml);
	struct launch_cmd c = {.argv = NULL};

	assert_int_equal(launch_vm(app, 0, NULL, "vmm", &c), 0);
	assert_true(has_arg(&c, "--jail=/srv/nfv-jail/a"));
	assert_true(has_arg(&c, "--user=nobody"));
	assert_true(has_prefix(&c, "--net=vhost-user:/run/nfvisor/jt/vhost-a/p1.sock,mac="));
	launch_cmd_release(&c);
	assert_int_equal(launch_vm(app, 1, NULL, "vmm", &c), 0);
	assert_true(has_arg(&c, "--jail=/srv/nfv-jail/b"));
	assert_true(has_arg(&c, "--uid=64123"));
	assert_true(has_arg(&c, "--gid=64124"));
	assert_false(has_arg(&c, "--user=nobody"));
	launch_cmd_release(&c);
	assert_int_equal(launch_vm(app, 2, NULL, "vmm", &c), 0);
	for (size_t i = 0; i < c.argc; i++)
		assert_null(strstr(c.argv[i], "--jail"));
	launch_cmd_release(&c);
	appliance_free(app);
}

/* plan looks the ids up: numeric ids as given, a user by name. */
static void test_plan_ids(void **state)
{
	struct appliance *app =
	    load_text("name: t4\n"
		      "vms:\n"
		      "  - {name: a, kernel: /dev/null, jail: {uid: 7, gid: 8}}\n"
		      "  - {name: b, kernel: /dev/null, jail: {user: root}}\n"
		      "  - {name: c, kernel: /dev/null}\n");
	struct sysfs *fs = NULL;
	struct plan *plan = NULL;
	struct diag_list d;

	diag_init(&d);
	assert_int_equal(sysfs_open("tests/config/sysfs-small", &fs), 0);
	assert_int_equal(plan_build(app, fs, &d, &plan), 0);
	assert_true(plan->jail[0].on);
	assert_int_equal(plan->jail[0].uid, 7);
	assert_int_equal(plan->jail[0].gid, 8);
	assert_false(plan->jail[1].on); /* root: refused */
	assert_false(plan->jail[2].on);
	/* plan --json lists every VM's jail with the ids. */
	{
		struct json_object *j = plan_json(plan, &d), *jails, *a, *v;

		assert_non_null(j);
		assert_true(json_object_object_get_ex(j, "jails", &jails));
		assert_int_equal(json_object_array_length(jails), 3);
		a = json_object_array_get_idx(jails, 0);
		assert_true(json_object_object_get_ex(a, "dir", &v));
		assert_string_equal(json_object_get_string(v), "/run/nfvisor/t4/jail/a");
		assert_true(json_object_object_get_ex(a, "uid", &v));
		assert_int_equal(json_object_get_int(v), 7);
		a = json_object_array_get_idx(jails, 2);
		assert_true(json_object_object_get_ex(a, "enabled", &v));
		assert_false(json_object_get_boolean(v));
		json_object_put(j);
	}
	assert_int_equal(d.nerrors, 1);
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].severity != DIAG_WARNING)
			assert_non_null(strstr(d.v[i].msg, "\"root\" has uid 0"));
	plan_free(plan);
	sysfs_close(fs);
	diag_free(&d);
	appliance_free(app);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge_and_effective),
	    cmocka_unit_test(test_dump_roundtrip),
	    cmocka_unit_test(test_launch),
	    cmocka_unit_test(test_plan_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
