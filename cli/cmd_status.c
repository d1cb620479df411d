/* SPDX-License-Identifier: MIT */
/* nfvisor status [NAME] [--json]: components, cores, switch port counters. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "config/appliance.h"
#include "config/conflict.h"
#include "config/launch.h"
#include "orch/orch.h"
#include "orch/proc.h"
#include "orch/state.h"
#include "orch/swctl.h"

#define STATUS_USAGE "usage: nfvisor status [--json] [NAME]\n"

static json_object *cpus_json(const struct cfg_cpus *c)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < c->n; i++)
		json_object_array_add(a, json_object_new_int(c->cpu[i]));
	return a;
}

static const struct cfg_vm *find_vm(const struct appliance *app, const char *name)
{
	for (size_t v = 0; app && v < app->nvms; v++)
		if (!strcmp(app->vms[v].name, name))
			return &app->vms[v];
	return NULL;
}

/* The CPUs vCPU thread VCPU of VMM process PID may run on, as the kernel
 * has them (the VMM names its vCPU threads "vcpu N"): 0 and OUT, or -ENOENT. */
static int vcpu_affinity(pid_t pid, unsigned vcpu, char *out, size_t len)
{
	char path[64], want[24], buf[256];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	snprintf(want, sizeof(want), "vcpu %u\n", vcpu);
	d = opendir(path);
	while (d && ret && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.20s/comm", (int)pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f) || strcmp(buf, want)) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/task/%.20s/status", (int)pid, de->d_name);
		f = fopen(path, "r");
		while (f && fgets(buf, sizeof(buf), f))
			if (!strncmp(buf, "Cpus_allowed_list:", 18)) {
				snprintf(out, len, "%s", buf + 18 + strspn(buf + 18, " \t"));
				out[strcspn(out, "\n")] = '\0';
				ret = 0;
				break;
			}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return ret;
}

/* A jailed VM: its jail directory and the ids its process runs as now
 * (/proc/PID/status: real uid/gid), null while it does not run; NULL when
 * the VM is not jailed. */
static json_object *jail_json(const struct cfg_vm *vm, pid_t pid, bool alive)
{
	json_object *o;
	char path[64], line[256], dir[PATH_MAX];
	long long uid = -1, gid = -1;
	FILE *f;

	if (!vm || !vm->jail.enabled)
		return NULL;
	o = json_object_new_object();
	cfg_jail_path(vm, dir, sizeof(dir));
	json_object_object_add(o, "dir", json_object_new_string(dir));
	json_object_object_add(o, "user",
			       vm->jail.user ? json_object_new_string(vm->jail.user) : NULL);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = alive ? fopen(path, "re") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "Uid: %lld", &uid);
		sscanf(line, "Gid: %lld", &gid);
	}
	if (f)
		fclose(f);
	json_object_object_add(o, "uid", uid >= 0 ? json_object_new_int64(uid) : NULL);
	json_object_object_add(o, "gid", gid >= 0 ? json_object_new_int64(gid) : NULL);
	return o;
}

static json_object *component_json(const struct proc_rec *r, const struct appliance *app,
				   time_t now)
{
	json_object *o = json_object_new_object();
	bool alive = proc_alive(r);
	const char *state = proc_state_name(r->state);
	bool is_vm = !strncmp(r->comp, "vm.", 3);

	if (r->state == PROC_RUNNING && !alive)
		state = "dead";
	json_object_object_add(o, "name", json_object_new_string(is_vm ? r->comp + 3 : r->comp));
	json_object_object_add(o, "kind", json_object_new_string(is_vm ? "vm" : r->comp));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "pid", json_object_new_int(alive ? (int)r->pid : 0));
	json_object_object_add(
	    o, "uptime_s",
	    json_object_new_int64(alive && r->since ? (int64_t)(now - r->since) : 0));
	json_object_object_add(o, "restarts", json_object_new_int((int)r->restarts));
	if (!strcmp(r->comp, "switch") && app) {
		json_object_object_add(o, "pmd_cores", cpus_json(&app->sw.pmd_cores));
	} else if (is_vm) {
		const struct cfg_vm *vm = find_vm(app, r->comp + 3);
		json_object *map = json_object_new_array();

		for (unsigned i = 0; vm && i < vm->vcpus; i++) {
			json_object *m = json_object_new_object();
			char aff[128];

			json_object_object_add(m, "vcpu", json_object_new_int((int)i));
			json_object_object_add(
			    m, "cpu", i < vm->pin.n ? json_object_new_int(vm->pin.cpu[i]) : NULL);
			/* What the kernel actually allows that thread. */
			if (alive && !vcpu_affinity(r->pid, i, aff, sizeof(aff)))
				json_object_object_add(m, "host_cpus", json_object_new_string(aff));
			json_object_array_add(map, m);
		}
		json_object_object_add(o, "vcpus", map);
		if (vm)
			json_object_object_add(o, "emulator_cores", cpus_json(&vm->emulator_pin));
		json_object_object_add(o, "jail", jail_json(vm, r->pid, alive));
	}
	return o;
}

/* Per-port state and counters from the switch; NULL when it does not answer. */
static json_object *ports_json(const char *ctl)
{
	json_object *ports = NULL, *stats = NULL, *pa, *sa, *out = NULL, *v;

	if (swctl_request(ctl, "{\"cmd\":\"ports\"}", 2000, &ports, NULL, 0) ||
	    swctl_request(ctl, "{\"cmd\":\"stats\"}", 2000, &stats, NULL, 0) ||
	    !json_object_object_get_ex(ports, "ports", &pa) ||
	    !json_object_object_get_ex(stats, "ports", &sa))
		goto out;
	out = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(sa); i++) {
		json_object *s = json_object_array_get_idx(sa, i), *o = json_object_new_object();
		const char *name =
		    json_object_object_get_ex(s, "name", &v) ? json_object_get_string(v) : "?";
		int64_t drops = 0;

		json_object_object_add(o, "name", json_object_new_string(name));
		for (size_t k = 0; k < json_object_array_length(pa); k++) {
			json_object *p = json_object_array_get_idx(pa, k), *n, *st;

			if (json_object_object_get_ex(p, "name", &n) &&
			    !strcmp(json_object_get_string(n), name) &&
			    json_object_object_get_ex(p, "state", &st))
				json_object_object_add(o, "state", json_object_get(st));
		}
		static const char *const keys[] = {"rx_packets", "tx_packets", "rx_bytes",
						   "tx_bytes"};
		for (size_t k = 0; k < 4; k++)
			json_object_object_add(
			    o, keys[k],
			    json_object_new_int64(json_object_object_get_ex(s, keys[k], &v)
						      ? json_object_get_int64(v)
						      : 0));
		if (json_object_object_get_ex(s, "drops", &v)) {
			json_object_object_foreach(v, key, val)
			{
				(void)key;
				drops += json_object_get_int64(val);
			}
		}
		json_object_object_add(o, "drops", json_object_new_int64(drops));
		json_object_array_add(out, o);
	}
out:
	json_object_put(ports);
	json_object_put(stats);
	return out;
}

static json_object *appliance_json(const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], ctl[PATH_MAX];
	struct orch_state *st = NULL;
	struct appliance *app = NULL;
	struct proc_rec *recs = NULL;
	struct diag_list d;
	size_t n = 0;
	time_t now = time(NULL);
	json_object *o, *comps;
	bool all_up = true;

	orch_state_path(name, dir, sizeof(dir));
	if (state_open(dir, &st))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "state_dir", json_object_new_string(dir));
	diag_init(&d);
	snprintf(path, sizeof(path), "%s/%s", dir, CFG_STATE_FILE);
	if (appliance_load(path, &d, &app))
		app = NULL;
	diag_free(&d);
	comps = json_object_new_array();
	if (!state_proc_list(st, &recs, &n))
		for (size_t i = 0; i < n; i++) {
			json_object *c = component_json(&recs[i], app, now), *s;

			json_object_object_get_ex(c, "state", &s);
			if (strcmp(json_object_get_string(s), "running"))
				all_up = false;
			json_object_array_add(comps, c);
		}
	json_object_object_add(o, "state",
			       json_object_new_string(!n       ? "incomplete"
						      : all_up ? "running"
							       : "degraded"));
	json_object_object_add(o, "components", comps);
	if (app && app->sw.present) {
		launch_switch_ctl(app, ctl, sizeof(ctl));
		json_object_object_add(o, "ports", ports_json(ctl));
	}
	free(recs);
	appliance_free(app);
	state_close(st);
	return o;
}

static void fmt_uptime(int64_t s, char *out, size_t len)
{
	if (s >= 3600)
		snprintf(out, len, "%lldh%02lldm", (long long)s / 3600, (long long)s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, len, "%lldm%02llds", (long long)s / 60, (long long)s % 60);
	else
		snprintf(out, len, "%llds", (long long)s);
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static int64_t jint(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static void print_cpus(json_object *a, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; a && i < json_object_array_length(a) && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%d", i ? "," : "",
				      json_object_get_int(json_object_array_get_idx(a, i)));
}

static void print_text(json_object *a)
{
	json_object *comps, *ports, *v;
	char up[32], cores[256], part[64];

	printf("appliance %s: %s (%s)\n", jstr(a, "name"), jstr(a, "state"), jstr(a, "state_dir"));
	printf("  %-14s %-10s %7s %8s %8s  %s\n", "COMPONENT", "STATE", "PID", "UPTIME", "RESTARTS",
	       "CORES");
	json_object_object_get_ex(a, "components", &comps);
	for (size_t i = 0; comps && i < json_object_array_length(comps); i++) {
		json_object *c = json_object_array_get_idx(comps, i);
		const char *kind = jstr(c, "kind");

		fmt_uptime(jint(c, "uptime_s"), up, sizeof(up));
		cores[0] = '\0';
		if (json_object_object_get_ex(c, "pmd_cores", &v)) {
			print_cpus(v, part, sizeof(part));
			snprintf(cores, sizeof(cores), "PMD %s", part);
		} else if (json_object_object_get_ex(c, "vcpus", &v)) {
			size_t o = 0;

			for (size_t k = 0; k < json_object_array_length(v) && o < sizeof(cores);
			     k++) {
				json_object *m = json_object_array_get_idx(v, k), *cpu;

				json_object_object_get_ex(m, "cpu", &cpu);
				o +=
				    (size_t)snprintf(cores + o, sizeof(cores) - o, "%svCPU%lld->%s",
						     k ? " " : "", (long long)jint(m, "vcpu"),
						     cpu ? json_object_get_string(cpu) : "any");
			}
			if (json_object_object_get_ex(c, "emulator_cores", &v) &&
			    json_object_array_length(v) && o < sizeof(cores)) {
				print_cpus(v, part, sizeof(part));
				snprintf(cores + o, sizeof(cores) - o, " emulator->%s", part);
			}
		}
		snprintf(part, sizeof(part), "%s%s", strcmp(kind, "vm") ? "" : "vm ",
			 jstr(c, "name"));
		printf("  %-14s %-10s %7lld %8s %8lld  %s\n", part, jstr(c, "state"),
		       (long long)jint(c, "pid"), jint(c, "pid") ? up : "-",
		       (long long)jint(c, "restarts"), cores[0] ? cores : "-");
	}
	if (!json_object_object_get_ex(a, "ports", &ports))
		return;
	if (!ports) {
		printf("  switch ports: the switch does not answer on its control socket\n");
		return;
	}
	printf("  %-14s %-5s %12s %12s %14s %14s %10s\n", "PORT", "STATE", "RX_PKTS", "TX_PKTS",
	       "RX_BYTES", "TX_BYTES", "DROPS");
	for (size_t i = 0; i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i);

		printf("  %-14s %-5s %12lld %12lld %14lld %14lld %10lld\n", jstr(p, "name"),
		       jstr(p, "state"), (long long)jint(p, "rx_packets"),
		       (long long)jint(p, "tx_packets"), (long long)jint(p, "rx_bytes"),
		       (long long)jint(p, "tx_bytes"), (long long)jint(p, "drops"));
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	json_object *all = json_object_new_object(), *arr = json_object_new_array();
	char *names[256];
	size_t nn = 0;
	bool json = false;
	int opt, status = 0;

	json_object_object_add(all, "appliances", arr);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			printf(STATUS_USAGE
			       "Every appliance under " CFG_RUN_DIR
			       " (or NAME): components, pids, cores, uptime, restarts,\n"
			       "switch port counters. Exit 1 when NAME is not up.\n");
			json_object_put(all);
			return 0;
		default:
			fprintf(stderr, STATUS_USAGE);
			json_object_put(all);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "nfvisor status: at most one appliance name\n" STATUS_USAGE);
		json_object_put(all);
		return EXIT_USAGE;
	}
	if (optind < argc) {
		names[nn++] = strdup(argv[optind]);
	} else {
		DIR *d = opendir(CFG_RUN_DIR);
		struct dirent *de;

		while (d && (de = readdir(d)) && nn < 256)
			if (de->d_name[0] != '.')
				names[nn++] = strdup(de->d_name);
		if (d)
			closedir(d);
		qsort(names, nn, sizeof(names[0]), cmp_str);
	}
	for (size_t i = 0; i < nn; i++) {
		json_object *a = names[i] ? appliance_json(names[i]) : NULL;

		if (!a && optind < argc) {
			fprintf(stderr, "nfvisor status: appliance \"%s\" is not up (no %s/%s)\n",
				argv[optind], CFG_RUN_DIR, argv[optind]);
			status = EXIT_INVALID;
		}
		if (a)
			json_object_array_add(arr, a);
		free(names[i]);
	}
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(
				   all, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		if (!json_object_array_length(arr) && !status)
			printf("no appliance is up\n");
		for (size_t i = 0; i < json_object_array_length(arr); i++)
			print_text(json_object_array_get_idx(arr, i));
	}
	json_object_put(all);
	return status;
}
