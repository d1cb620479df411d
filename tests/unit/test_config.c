/* SPDX-License-Identifier: MIT */
/* Appliance files: every file in tests/config/invalid/ gives exactly the
 * diagnostics in its sibling .err file ("LINE:COL: message" per line, in
 * order); every example validates and survives load → dump → load → dump
 * unchanged. Runs from the repository root (tests/run.sh does). */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/appliance.h"
#include "tests/unit/test_util.h"

#define CORPUS "tests/config/invalid"

/* All diagnostics of loading PATH, one "LINE:COL: message" per line. */
static char *diagnostics(const char *path, int *ret)
{
	struct appliance *app = NULL;
	struct diag_list d;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	diag_init(&d);
	*ret = appliance_load(path, &d, &app);
	for (size_t i = 0; i < d.n; i++) {
		char *s = diag_format(&d, i);

		assert_non_null(s);
		fprintf(f, "%s\n", s);
		free(s);
	}
	diag_free(&d);
	appliance_free(app);
	fclose(f);
	return out;
}

static void test_invalid_corpus(void **state)
{
	glob_t g;
	size_t failed = 0;

	assert_int_equal(glob(CORPUS "/*.yaml", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 40);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char errpath[512], *want, *got;
		int ret;

		snprintf(errpath, sizeof(errpath), "%.*s.err", (int)strlen(g.gl_pathv[i]) - 5,
			 g.gl_pathv[i]);
		want = read_all(errpath);
		got = diagnostics(g.gl_pathv[i], &ret);
		if (!want) {
			print_error("%s: missing %s\n", g.gl_pathv[i], errpath);
			failed++;
		} else if (strcmp(want, got)) {
			print_error("%s: diagnostics differ\n", g.gl_pathv[i]);
			print_lines("expected", want);
			print_lines("got", got);
			failed++;
		} else if (ret != -EINVAL) {
			print_error("%s: loaded without errors (ret %d)\n", g.gl_pathv[i], ret);
			failed++;
		}
		free(want);
		free(got);
	}
	globfree(&g);
	assert_int_equal(failed, 0);
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

static struct appliance *load_ok(const char *path)
{
	struct appliance *app = NULL;
	struct diag_list d;
	int ret;

	diag_init(&d);
	ret = appliance_load(path, &d, &app);
	if (ret) {
		for (size_t i = 0; i < d.n; i++) {
			char *s = diag_format(&d, i);

			print_error("%s:%s\n", path, s);
			free(s);
		}
	}
	assert_int_equal(d.nerrors, 0);
	diag_free(&d);
	assert_int_equal(ret, 0);
	return app;
}

static void test_examples_roundtrip(void **state)
{
	glob_t g;

	assert_int_equal(glob("examples/*.yaml", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 4);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char tmp[] = "/tmp/nfv-config-XXXXXX";
		struct appliance *a = load_ok(g.gl_pathv[i]), *b;
		char *d1 = dump_string(a), *d2;

		write_temp(tmp, d1);
		b = load_ok(tmp);
		d2 = dump_string(b);
		assert_string_equal(d1, d2);
		/* A few effective values survive by value, not just as text. */
		assert_string_equal(a->name, b->name);
		assert_int_equal(a->nvms, b->nvms);
		assert_int_equal(a->sw.nports, b->sw.nports);
		for (size_t v = 0; v < a->nvms; v++) {
			assert_int_equal(a->vms[v].memory, b->vms[v].memory);
			assert_int_equal(a->vms[v].vcpus, b->vms[v].vcpus);
			assert_int_equal(a->vms[v].nnics, b->vms[v].nnics);
			for (size_t k = 0; k < a->vms[v].nnics; k++)
				assert_memory_equal(a->vms[v].nics[k].mac, b->vms[v].nics[k].mac,
						    6);
		}
		unlink(tmp);
		free(d1);
		free(d2);
		appliance_free(a);
		appliance_free(b);
	}
	globfree(&g);
}

/* The demo's effective values, as up will use them. */
static void test_demo_values(void **state)
{
	struct appliance *app = load_ok("examples/demo.yaml");
	const struct cfg_port *p;

	assert_string_equal(app->name, "demo");
	assert_int_equal(app->host.hp_size, CFG_HP_2M);
	assert_int_equal(app->host.hp_count, 128);
	assert_int_equal(app->host.dedicated.n, 0);
	assert_int_equal(app->sw.pmd_cores.n, 1);
	assert_int_equal(app->sw.pmd_cores.cpu[0], 1);
	assert_int_equal(app->nvms, 2);
	assert_string_equal(app->vms[0].kernel, "build/guest/nfguest.elf");
	assert_int_equal(app->vms[1].memory, 64 << 20);
	assert_int_equal(app->vms[1].hugepages, CFG_HP_2M);
	assert_int_equal(app->vms[1].emulator_pin.n, 1);
	assert_string_equal(app->vms[1].serial, "/run/nfvisor/demo/vm2.serial.log");
	p = cfg_find_port(app, "vm1-eth0");
	assert_non_null(p);
	assert_int_equal(p->type, CFG_PORT_VHOST_USER);
	assert_int_equal(p->mode, CFG_VHOST_SERVER);
	assert_string_equal(p->path, "/run/nfvisor/demo/vm1-eth0.sock");
	p = cfg_find_port(app, "uplink");
	assert_non_null(p);
	assert_string_equal(p->dev, "net_tap0,iface=nfv-demo0");
	assert_null(cfg_find_port(app, "nope"));
	appliance_free(app);
}

static void test_missing_file(void **state)
{
	int ret;
	char *got = diagnostics("tests/config/does-not-exist.yaml", &ret);

	assert_int_equal(ret, -EINVAL);
	assert_string_equal(got, "cannot open: No such file or directory\n");
	free(got);
}

/* Defaults fill only what a VM leaves out; generated MACs are stable. */
static void test_defaults_and_macs(void **state)
{
	static const char yaml[] = "name: t\n"
				   "defaults: {kernel: k, memory: 32M, vcpus: 2}\n"
				   "vms:\n"
				   "  - {name: a, nics: [{switch_port: p}]}\n"
				   "  - {name: b, kernel: other, memory: 16M, vcpus: 1}\n"
				   "switch:\n"
				   "  pmd_cores: '1'\n"
				   "  ports: [{name: p, type: vhost-user}]\n";
	char tmp[] = "/tmp/nfv-config-XXXXXX";
	struct appliance *app;
	uint8_t mac[6];

	write_temp(tmp, yaml);
	app = load_ok(tmp);
	assert_string_equal(app->vms[0].kernel, "k");
	assert_int_equal(app->vms[0].memory, 32 << 20);
	assert_int_equal(app->vms[0].vcpus, 2);
	assert_int_equal(app->vms[0].hugepages, CFG_HP_NONE);
	assert_string_equal(app->vms[1].kernel, "other");
	assert_int_equal(app->vms[1].memory, 16 << 20);
	assert_int_equal(app->vms[1].vcpus, 1);
	memcpy(mac, app->vms[0].nics[0].mac, 6);
	assert_int_equal(mac[0], 0x52);
	assert_int_equal(mac[4], 1);
	assert_int_equal(mac[5], 1);
	appliance_free(app);
	app = load_ok(tmp);
	assert_memory_equal(app->vms[0].nics[0].mac, mac, 6);
	appliance_free(app);
	unlink(tmp);
}

/* Each CPU of a list knows its column, for errors about one CPU; text that
 * cannot be mapped back (escapes) falls back to the list's position. */
static void test_cpu_columns(void **state)
{
	static const char yaml[] = "name: t\n"
				   "host:\n"
				   "  dedicated_cores: 2-4,7\n"
				   "vms:\n"
				   "  - {name: a, kernel: k, pin: '2,3'}\n"
				   "  - {name: b, kernel: k, pin: \"4,\\x37\"}\n";
	char tmp[] = "/tmp/nfv-config-XXXXXX";
	struct appliance *app;
	const struct cfg_cpus *c;
	struct cfg_mark m;

	write_temp(tmp, yaml);
	app = load_ok(tmp);
	c = &app->host.dedicated;
	assert_int_equal(c->n, 4);
	assert_int_equal(c->col[0], 20); /* "2-4" covers CPUs 2, 3, 4 */
	assert_int_equal(c->col[2], 20);
	assert_int_equal(c->col[3], 24);
	c = &app->vms[0].pin;
	assert_int_equal(c->col[0], 32); /* after the quote */
	assert_int_equal(c->col[1], 34);
	m = cfg_cpu_mark(c, 1, app->vms[0].at[VM_PIN]);
	assert_int_equal(m.line, 5);
	assert_int_equal(m.col, 34);
	c = &app->vms[1].pin; /* "\x37" is 7: no column */
	assert_int_equal(c->cpu[1], 7);
	assert_int_equal(c->col[1], 0);
	m = cfg_cpu_mark(c, 1, app->vms[1].at[VM_PIN]);
	assert_int_equal(m.line, 6);
	assert_int_equal(m.col, 31);
	appliance_free(app);
	unlink(tmp);
}

/* Small xorshift PRNG: the same mutations on every run. */
static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Damaged appliance files never crash the loader, leak or load silently
 * with garbage: each either loads (and dumps) or reports positioned errors. */
static void test_mutations(void **state)
{
	static const char alphabet[] = ":-[]{}&*!|>'\"#,\n \t0123456789abcxyzMG.~";
	static const char *const seeds[] = {"examples/demo.yaml", "examples/chain.yaml",
					    "examples/firewall.yaml", "examples/nvme.yaml"};
	uint32_t rnd = 0x12345678;
	char tmp[] = "/tmp/nfv-config-XXXXXX";
	int fd = mkstemp(tmp);

	assert_true(fd >= 0);
	close(fd);
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		char *orig = read_all(seeds[s]);
		size_t len;

		assert_non_null(orig);
		len = strlen(orig);
		for (int iter = 0; iter < 400; iter++) {
			char *buf = strdup(orig);
			size_t n = len;
			int edits = 1 + (int)(next_rand(&rnd) % 4);
			struct appliance *app = NULL;
			struct diag_list d;
			FILE *f;

			assert_non_null(buf);
			for (int e = 0; e < edits && n > 2; e++) {
				size_t pos = next_rand(&rnd) % n;

				if (next_rand(&rnd) % 3 == 0) { /* delete a few bytes */
					size_t k = 1 + next_rand(&rnd) % 8;

					if (pos + k > n)
						k = n - pos;
					memmove(buf + pos, buf + pos + k, n - pos - k + 1);
					n -= k;
				} else { /* overwrite one byte */
					buf[pos] =
					    alphabet[next_rand(&rnd) % (sizeof(alphabet) - 1)];
				}
			}
			f = fopen(tmp, "wb");
			assert_non_null(f);
			fwrite(buf, 1, n, f);
			fclose(f);
			diag_init(&d);
			if (!appliance_load(tmp, &d, &app)) {
				/* What loads must survive its own dump. */
				char *d1 = dump_string(app), *d2;
				struct appliance *again;

				f = fopen(tmp, "wb");
				assert_non_null(f);
				fputs(d1, f);
				fclose(f);
				again = load_ok(tmp);
				d2 = dump_string(again);
				assert_string_equal(d1, d2);
				appliance_free(again);
				free(d1);
				free(d2);
			} else {
				assert_true(d.nerrors > 0);
				for (size_t i = 0; i < d.n; i++)
					assert_true(d.v[i].mark.line > 0 || d.v[i].msg[0]);
			}
			appliance_free(app);
			diag_free(&d);
			free(buf);
		}
		free(orig);
	}
	unlink(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_invalid_corpus),    cmocka_unit_test(test_examples_roundtrip),
	    cmocka_unit_test(test_demo_values),	      cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_defaults_and_macs), cmocka_unit_test(test_mutations),
	    cmocka_unit_test(test_cpu_columns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
