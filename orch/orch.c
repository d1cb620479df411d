/* SPDX-License-Identifier: MIT */
/* up (step by step, with rollback), restart of one component, and down. */
#define LOG_PREFIX "orch"
#include "orch/orch.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "config/appliance.h"
#include "config/conflict.h"
#include "config/launch.h"
#include "config/plan.h"
#include "orch/hostprep.h"
#include "orch/jailprep.h"
#include "orch/proc.h"
#include "vfio/sysfs.h"

struct comp {
	char name[STATE_COMP_MAX];
	bool is_switch;
	size_t vm;
	struct launch_cmd cmd;
	const char **ports; /* switch ports whose "up" proves the VM healthy */
	size_t nports;
};

struct orch {
	struct appliance *app;
	struct plan *plan;
	struct sysfs *fs;
	struct orch_state *st;
	struct orch_opts opts;
	char file[PATH_MAX];
	char dir[PATH_MAX];
	char ctl[PATH_MAX];
	char switch_bin[PATH_MAX];
	char vmm_bin[PATH_MAX];
	struct comp *comps;
	size_t ncomps;
	unsigned step, nsteps;
};

static unsigned env_seconds(const char *name, unsigned def)
{
	const char *v = getenv(name);
	uint64_t s;

	if (v && !parse_uint(v, 1, 3600, &s))
		return (unsigned)s * 1000;
	return def * 1000;
}

void orch_opts_defaults(struct orch_opts *opts)
{
	if (!opts->switch_timeout_ms)
		opts->switch_timeout_ms = env_seconds("NFV_SWITCH_TIMEOUT", 60);
	if (!opts->vm_timeout_ms)
		opts->vm_timeout_ms = env_seconds("NFV_VM_TIMEOUT", 60);
	if (!opts->stop_timeout_ms)
		opts->stop_timeout_ms = env_seconds("NFV_STOP_TIMEOUT", 10);
}

void orch_state_path(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", CFG_RUN_DIR, name);
}

const struct appliance *orch_appliance(const struct orch *o)
{
	return o->app;
}

struct orch_state *orch_state(struct orch *o)
{
	return o->st;
}

size_t orch_ncomps(const struct orch *o)
{
	return o->ncomps;
}

const char *orch_comp(const struct orch *o, size_t i)
{
	return i < o->ncomps ? o->comps[i].name : NULL;
}

void orch_free(struct orch *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->ncomps; i++) {
		launch_cmd_release(&o->comps[i].cmd);
		free(o->comps[i].ports);
	}
	free(o->comps);
	state_close(o->st);
	plan_free(o->plan);
	appliance_free(o->app);
	sysfs_close(o->fs);
	free(o);
}

/* PROG beside our own executable, unless ENV names it. */
static int resolve_bin(const char *env, const char *prog, char *out, size_t len)
{
	const char *v = getenv(env);
	char self[PATH_MAX];
	ssize_t n;

	if (v && *v) {
		snprintf(out, len, "%s", v);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			return -errno;
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		if (snprintf(out, len, "%.3900s/%s", self, prog) >= (int)len)
			return -ENAMETOOLONG;
	}
	if (access(out, X_OK)) {
		fprintf(stderr,
			"nfvisor up: %s is not an executable (%s); build it with make or set %s to "
			"its path\n",
			out, strerror(errno), env);
		return -ENOENT;
	}
	return 0;
}

/* Last component of PATH (records keep names: paths may hold spaces). */
static const char *program_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* ---- steps ---- */

static int step_begin(struct orch *o, const char *hook_name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int step_begin(struct orch *o, const char *hook_name, const char *fmt, ...)
{
	va_list ap;

	o->step++;
	printf("[%u/%u] ", o->step, o->nsteps);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" ... ");
	fflush(stdout);
	{
		sigset_t pending;

		if (!sigpending(&pending) &&
		    (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM))) {
			printf("INTERRUPTED\n");
			fprintf(stderr, "nfvisor up: interrupted (SIGINT/SIGTERM)\n");
			return -EINTR;
		}
	}
	if (o->opts.test_hook && hook_name) {
		char cmd[4096];
		int st;

		snprintf(cmd, sizeof(cmd), "NFV_STEP='%s'; export NFV_STEP; %s", hook_name,
			 o->opts.test_hook);
		st = system(cmd);
		if (st != 0) {
			printf("FAILED\n");
			fprintf(stderr, "nfvisor up: test hook failed before step %s (status %d)\n",
				hook_name, st);
			return -ECANCELED;
		}
	}
	return 0;
}

static void step_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void step_ok(const char *fmt, ...)
{
	va_list ap;

	printf("ok (");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(")\n");
	fflush(stdout);
}

static void step_failed(void)
{
	printf("FAILED\n");
	fflush(stdout);
}

static struct comp *find_comp(struct orch *o, const char *name)
{
	for (size_t i = 0; i < o->ncomps; i++)
		if (!strcmp(o->comps[i].name, name))
			return &o->comps[i];
	return NULL;
}

/* Hugepages of size HP that are free and not reserved by a mapping yet to
 * fault them in: what nfvisor-vmm counts before it allocates guest RAM. */
static int hp_available(const struct orch *o, enum cfg_hp hp, unsigned *avail)
{
	unsigned kb = (unsigned)(cfg_hp_bytes(hp) >> 10), free_pages, resv = 0;
	int ret = sysfs_read_uint(o->fs, &free_pages,
				  "sys/kernel/mm/hugepages/hugepages-%ukB/free_hugepages", kb);

	if (ret)
		return ret;
	sysfs_read_uint(o->fs, &resv, "sys/kernel/mm/hugepages/hugepages-%ukB/resv_hugepages", kb);
	*avail = free_pages > resv ? free_pages - resv : 0;
	return 0;
}

/* Before a VM is restarted: its previous instance's guest RAM stays mapped
 * by the switch (vhost-user SET_MEM_TABLE) until the switch has handled the
 * closed session, so its hugepages are not free yet. A VMM started in that
 * window fails its hugepage check and exits 1 at once (on a host whose pool
 * is sized for the appliance). Waits up to MS for them; logs the wait. */
static void wait_vm_hugepages(struct orch *o, const struct comp *c, unsigned ms)
{
	const struct cfg_vm *vm = &o->app->vms[c->vm];
	uint64_t page = cfg_hp_bytes(vm->hugepages);
	unsigned need, have = 0, waited = 0;

	if (vm->hugepages == CFG_HP_NONE || !page)
		return;
	need = (unsigned)((vm->memory + page - 1) / page);
	while (!hp_available(o, vm->hugepages, &have) && have < need && waited < ms) {
		proc_sleep_ms(50);
		waited += 50;
	}
	if (!waited)
		return;
	state_event(o->st,
		    "%s: waited %u ms for %u free %s hugepages (the previous instance's guest RAM "
		    "was still mapped by the switch)%s",
		    c->name, waited, need, cfg_hp_name(vm->hugepages),
		    have < need ? "; still short, starting it anyway" : "");
}

/* Spawns C and health-checks it; writes its record. DETAIL gets "pid N". */
static int start_comp(struct orch *o, struct comp *c, unsigned restarts, char *detail, size_t len)
{
	struct proc_rec r = {0};
	char log[PATH_MAX + 64], how[96];
	const char *missing = NULL;
	int status = 0, ret;
	unsigned timeout = c->is_switch ? o->opts.switch_timeout_ms : o->opts.vm_timeout_ms;

	snprintf(log, sizeof(log), "%s/%s.log", o->dir, c->name);
	snprintf(r.comp, sizeof(r.comp), "%s", c->name);
	/* The program name is what tells our process from a recycled pid. */
	snprintf(r.exe, sizeof(r.exe), "%s", program_name(c->cmd.argv[0]));
	r.restarts = restarts;
	r.state = PROC_STARTING;
	if (restarts && !c->is_switch)
		wait_vm_hugepages(o, c, timeout);
	ret = proc_spawn(c->cmd.argv, log, &r.pid);
	if (ret) {
		if (!restarts)
			step_failed();
		fprintf(stderr, "nfvisor: cannot start %s: %s\n", c->name, strerror(-ret));
		return ret;
	}
	r.since = time(NULL);
	proc_starttime(r.pid, &r.start);
	ret = state_proc_write(o->st, &r);
	if (ret) {
		fprintf(stderr, "nfvisor: cannot record %s (pid %d) in %s: %s\n", c->name,
			(int)r.pid, o->dir, strerror(-ret));
		kill(r.pid, SIGKILL);
		waitpid(r.pid, NULL, 0);
		return ret;
	}
	if (c->is_switch) {
		ret = proc_wait_switch(r.pid, o->ctl, timeout, &status);
		/* Its sockets are new files: jailed VMMs must be able to reconnect. */
		if (!ret)
			ret = jailprep_grant_sockets(o->plan);
	} else
		ret = proc_wait_vm(r.pid, o->ctl, c->ports, c->nports, timeout, 500, &status,
				   &missing);
	if (!r.start)
		proc_starttime(r.pid, &r.start);
	if (ret) {
		if (!restarts)
			step_failed();
		if (ret == -ECHILD) {
			proc_describe_status(status, how, sizeof(how));
			fprintf(
			    stderr,
			    "nfvisor: %s (pid %d) exited while starting (%s); last lines of %s:\n",
			    c->name, (int)r.pid, how, log);
		} else if (c->is_switch && ret != -ETIMEDOUT) {
			fprintf(stderr,
				"nfvisor: the switch (pid %d) is up but its sockets could not be "
				"given to the jailed VMs (above); last lines of %s:\n",
				(int)r.pid, log);
		} else if (c->is_switch) {
			fprintf(stderr,
				"nfvisor: the switch (pid %d) did not answer on %s within %u s; "
				"raise NFV_SWITCH_TIMEOUT if the host is slow; last lines of %s:\n",
				(int)r.pid, o->ctl, timeout / 1000, log);
		} else {
			fprintf(stderr,
				"nfvisor: %s (pid %d): switch port %s did not come up within %u s "
				"(the guest's virtio-net driver never connected); raise "
				"NFV_VM_TIMEOUT if the host is slow; last lines of %s:\n",
				c->name, (int)r.pid, missing ? missing : "?", timeout / 1000, log);
		}
		proc_log_tail(log, 8, "  | ", stderr);
		if (ret != -ECHILD)
			proc_stop(&r, o->opts.stop_timeout_ms);
		/* A failed restart is another crash for the supervisor to count. */
		r.state = restarts ? PROC_RESTARTING : ret == -ECHILD ? PROC_FAILED : PROC_STOPPED;
		r.pid = 0;
		state_proc_write(o->st, &r);
		return ret;
	}
	r.state = PROC_RUNNING;
	state_proc_write(o->st, &r);
	snprintf(detail, len, "pid %d", (int)r.pid);
	return 0;
}

void orch_exited(struct orch *o, const char *comp)
{
	struct comp *c = find_comp(o, comp);

	if (c && !c->is_switch)
		jailprep_vm_exited(o->plan, c->vm);
}

int orch_restart(struct orch *o, const char *comp)
{
	struct comp *c = find_comp(o, comp);
	struct proc_rec r;
	char detail[64];
	unsigned restarts = 0;

	if (!c)
		return -ENOENT;
	if (!state_proc_read(o->st, comp, &r))
		restarts = r.restarts;
	return start_comp(o, c, restarts + 1, detail, sizeof(detail));
}

/* ---- building the components ---- */

static int build_comps(struct orch *o)
{
	const struct appliance *app = o->app;
	size_t n = (app->sw.present ? 1 : 0) + app->nvms;
	int ret;

	o->comps = calloc(n ? n : 1, sizeof(*o->comps));
	if (!o->comps)
		return -ENOMEM;
	if (app->sw.present) {
		struct comp *c = &o->comps[o->ncomps++];

		snprintf(c->name, sizeof(c->name), "switch");
		c->is_switch = true;
		ret = launch_switch(app, o->plan, o->switch_bin, &c->cmd);
		if (ret)
			return ret;
	}
	for (size_t v = 0; v < app->nvms; v++) {
		const struct cfg_vm *vm = &app->vms[v];
		struct comp *c = &o->comps[o->ncomps++];

		snprintf(c->name, sizeof(c->name), "vm.%s", vm->name);
		c->vm = v;
		ret = launch_vm(app, v, o->plan, o->vmm_bin, &c->cmd);
		if (ret)
			return ret;
		c->ports = calloc(vm->nnics + 1, sizeof(*c->ports));
		if (!c->ports)
			return -ENOMEM;
		for (size_t i = 0; app->sw.present && i < vm->nnics; i++)
			if (vm->nics[i].kind == CFG_NIC_PORT)
				c->ports[c->nports++] = vm->nics[i].switch_port;
	}
	return 0;
}

static bool plan_has(const struct plan *p, enum plan_action_kind k, bool nic)
{
	for (size_t i = 0; i < p->nactions; i++)
		if (nic ? (p->actions[i].nic && p->actions[i].nic->kind == CFG_NIC_VF)
			: p->actions[i].kind == k)
			return true;
	return false;
}

static int write_appliance_copy(struct orch *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	if (!f)
		return -ENOMEM;
	ret = appliance_dump(o->app, f);
	fclose(f);
	if (!ret)
		ret = state_write_file(o->st, CFG_STATE_FILE, buf, len);
	free(buf);
	return ret;
}

static int record_self(struct orch *o)
{
	struct proc_rec r = {.state = PROC_RUNNING};

	snprintf(r.comp, sizeof(r.comp), "supervisor");
	r.pid = getpid();
	r.since = time(NULL);
	proc_starttime(r.pid, &r.start);
	snprintf(r.exe, sizeof(r.exe), "%s", program_name(program_invocation_name));
	return state_proc_write(o->st, &r);
}

/* Files the processes create, so down removes them even after SIGKILL. */
static int note_files(struct orch *o)
{
	const struct appliance *app = o->app;
	int ret = 0;

	if (app->sw.present)
		ret = hostprep_note_file(o->st, o->ctl);
	for (size_t i = 0; !ret && app->sw.present && i < app->sw.nports; i++)
		if (app->sw.ports[i].type == CFG_PORT_VHOST_USER)
			ret = hostprep_note_file(o->st, app->sw.ports[i].path);
	return ret;
}

static int preflight(struct orch *o, const char *file)
{
	struct diag_list d;
	int ret;

	diag_init(&d);
	ret = appliance_load(file, &d, &o->app);
	if (ret == -EINVAL) {
		diag_print(&d, file, stderr);
		fprintf(stderr, "nfvisor up: %s is not valid (%zu error%s); nothing was changed\n",
			file, d.nerrors, d.nerrors == 1 ? "" : "s");
		goto out;
	}
	if (ret)
		goto out;
	ret = sysfs_open(getenv("NFV_SYSFS_ROOT"), &o->fs);
	if (ret) {
		fprintf(stderr, "nfvisor up: sysfs root \"%s\": %s; unset NFV_SYSFS_ROOT\n",
			getenv("NFV_SYSFS_ROOT"), strerror(-ret));
		goto out;
	}
	ret = plan_build(o->app, o->fs, &d, &o->plan);
	if (!ret) {
		ret = appliance_check_running(o->app, NULL, &d);
		ret = ret < 0 ? ret : 0;
	}
	if (ret)
		goto out;
	if (o->app->sw.present &&
	    resolve_bin("NFV_SWITCH_BIN", LAUNCH_SWITCH_BIN, o->switch_bin, sizeof(o->switch_bin)))
		ret = -ENOENT;
	if (o->app->nvms &&
	    resolve_bin("NFV_VMM_BIN", LAUNCH_VMM_BIN, o->vmm_bin, sizeof(o->vmm_bin)))
		ret = -ENOENT;
	diag_print(&d, file, stderr);
	if (ret)
		goto out;
	if (d.nerrors) {
		fprintf(stderr,
			"nfvisor up: `nfvisor plan %s` has %zu error%s on this host; nothing was "
			"changed\n",
			file, d.nerrors, d.nerrors == 1 ? "" : "s");
		ret = -EINVAL;
		goto out;
	}
	orch_state_path(o->app->name, o->dir, sizeof(o->dir));
	launch_switch_ctl(o->app, o->ctl, sizeof(o->ctl));
	o->nsteps = 2 + (o->app->sw.present ? 1 : 0) + (unsigned)o->app->nvms +
		    plan_has(o->plan, PLAN_SET_NUMVFS, false) + plan_has(o->plan, 0, true) +
		    plan_has(o->plan, PLAN_BIND_VFIO, false);
	o->step = 1;
	printf("[1/%u] preflight %s (appliance \"%s\") ... ok (%zu warning%s)\n", o->nsteps, file,
	       o->app->name, d.n - d.nerrors, d.n - d.nerrors == 1 ? "" : "s");
	fflush(stdout);
out:
	diag_free(&d);
	return ret;
}

static int run_steps(struct orch *o)
{
	char detail[512];
	int ret;

	if (mkdir(CFG_RUN_DIR, 0755) && errno != EEXIST) {
		ret = -errno;
		fprintf(stderr, "nfvisor up: cannot create %s: %s (run as root)\n", CFG_RUN_DIR,
			strerror(-ret));
		return ret;
	}
	ret = state_create(o->dir, &o->st);
	if (ret)
		return ret == -EEXIST ? -EEXIST : ret;
	ret = write_appliance_copy(o);
	if (!ret)
		ret = record_self(o);
	/* Directories before the files in them: undo goes newest first. */
	if (!ret)
		ret = jailprep_dirs(o->st, o->plan, o->dir);
	if (!ret)
		ret = note_files(o);
	if (ret) {
		fprintf(stderr, "nfvisor up: cannot write the state in %s: %s\n", o->dir,
			strerror(-ret));
		return ret;
	}
	state_event(o->st, "up: %s from %s", o->app->name, o->file);

	ret = step_begin(o, "hugepages", "reserving hugepages");
	if (!ret) {
		ret = hostprep_hugepages(o->fs, o->st, o->plan, detail, sizeof(detail));
		ret ? step_failed() : step_ok("%s", detail);
	}
	if (!ret && plan_has(o->plan, PLAN_SET_NUMVFS, false)) {
		ret = step_begin(o, "vfs", "creating SR-IOV VFs");
		if (!ret) {
			ret = hostprep_vfs(o->fs, o->st, o->plan, detail, sizeof(detail));
			ret ? step_failed() : step_ok("%s", detail);
		}
	}
	if (!ret && plan_has(o->plan, 0, true)) {
		ret = step_begin(o, "vf-settings", "applying VF settings (MAC, VLAN, trust, rate)");
		if (!ret) {
			ret = hostprep_vf_settings(o->fs, o->st, o->plan, detail, sizeof(detail));
			ret ? step_failed() : step_ok("%s", detail);
		}
	}
	if (!ret && plan_has(o->plan, PLAN_BIND_VFIO, false)) {
		ret = step_begin(o, "vfio", "binding devices to vfio-pci");
		if (!ret) {
			ret = hostprep_vfio(o->fs, o->st, o->plan, detail, sizeof(detail));
			ret ? step_failed() : step_ok("%s", detail);
		}
	}
	if (ret)
		return ret;
	/* VF addresses are known now: build the command lines. */
	ret = build_comps(o);
	if (ret) {
		fprintf(stderr, "nfvisor up: building command lines: %s\n", strerror(-ret));
		return ret;
	}
	for (size_t i = 0; i < o->ncomps; i++) {
		struct comp *c = &o->comps[i];
		char hook[STATE_COMP_MAX + 4];

		snprintf(hook, sizeof(hook), "%s%s", c->is_switch ? "" : "vm:",
			 c->is_switch ? "switch" : o->app->vms[c->vm].name);
		if (c->is_switch)
			ret = step_begin(o, hook, "starting switch");
		else
			ret = step_begin(o, hook, "starting VM %s", o->app->vms[c->vm].name);
		if (ret)
			return ret;
		ret = start_comp(o, c, 0, detail, sizeof(detail));
		if (ret)
			return ret;
		step_ok("%s", detail);
		state_event(o->st, "started %s (%s)", c->name, detail);
	}
	return 0;
}

int orch_up(const char *file, const struct orch_opts *opts, struct orch **out)
{
	struct orch *o = calloc(1, sizeof(*o));
	int ret;

	if (!o)
		return -ENOMEM;
	o->opts = *opts;
	orch_opts_defaults(&o->opts);
	snprintf(o->file, sizeof(o->file), "%s", file);
	ret = preflight(o, file);
	if (ret)
		goto err;
	ret = run_steps(o);
	if (ret) {
		bool created = o->st != NULL;
		int r2;

		if (!created) {
			if (ret == -EEXIST)
				fprintf(stderr,
					"nfvisor up: appliance \"%s\" is already up (or was not "
					"taken down); `nfvisor down %s` first\n",
					o->app->name, o->app->name);
			goto err;
		}
		printf("up failed at step %u/%u; rolling back everything done so far:\n", o->step,
		       o->nsteps);
		fflush(stdout);
		state_close(o->st);
		o->st = NULL;
		r2 = orch_down(o->app->name, &o->opts, true);
		printf("rollback %s\n", r2 ? "INCOMPLETE (see the errors above)" : "complete");
		fflush(stdout);
		goto err;
	}
	*out = o;
	return 0;
err:
	orch_free(o);
	return ret;
}

/* ---- down ---- */

static bool is_vm(const struct proc_rec *r)
{
	return !strncmp(r->comp, "vm.", 3);
}

static int stop_one(struct orch_state *st, const struct proc_rec *r, unsigned timeout, bool verbose)
{
	bool alive = proc_alive(r);
	int ret = alive ? proc_stop(r, timeout) : 0;

	if (verbose) {
		if (alive)
			printf("  stopping %s (pid %d) ... %s\n", r->comp, (int)r->pid,
			       ret ? "FAILED (still running)" : "ok");
		else
			printf("  stopping %s ... not running\n", r->comp);
		fflush(stdout);
	}
	if (ret)
		fprintf(stderr, "nfvisor down: %s (pid %d) survived SIGKILL; check `ps -p %d`\n",
			r->comp, (int)r->pid, (int)r->pid);
	else
		state_proc_remove(st, r->comp);
	return ret;
}

/* DPDK's runtime files for --file-prefix nfvisor-NAME (normally none: the
 * switch runs --in-memory; a killed one may leave some). */
static void remove_dpdk_leftovers(const char *name)
{
	char pat[PATH_MAX];
	glob_t g;

	snprintf(pat, sizeof(pat), "/dev/hugepages/nfvisor-%smap_*", name);
	if (!glob(pat, 0, NULL, &g)) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
		globfree(&g);
	}
	snprintf(pat, sizeof(pat), "/var/run/dpdk/nfvisor-%s", name);
	state_remove_dir(pat);
}

int orch_down(const char *name, const struct orch_opts *opts_in, bool verbose)
{
	struct orch_opts opts = *opts_in;
	struct orch_state *st = NULL;
	struct sysfs *fs = NULL;
	struct proc_rec *recs = NULL;
	size_t n = 0;
	char dir[PATH_MAX];
	int ret, first = 0;

	orch_opts_defaults(&opts);
	orch_state_path(name, dir, sizeof(dir));
	ret = state_open(dir, &st);
	if (ret == -ENOENT) {
		if (verbose)
			printf("appliance \"%s\" is not up (no %s)\n", name, dir);
		return 0;
	}
	if (ret) {
		fprintf(stderr, "nfvisor down: cannot open the state in %s: %s\n", dir,
			strerror(-ret));
		return ret;
	}
	ret = state_proc_list(st, &recs, &n);
	if (ret)
		goto out;
	/* The supervisor first, so that nothing is restarted behind our back. A
	 * foreground supervisor takes the appliance down itself on SIGTERM. */
	for (size_t i = 0; i < n; i++) {
		if (strcmp(recs[i].comp, "supervisor"))
			continue;
		if (recs[i].pid == getpid()) {
			state_proc_remove(st, recs[i].comp);
			continue;
		}
		ret = stop_one(st, &recs[i], 120000, verbose);
		first = first ? first : ret;
		if (access(dir, F_OK)) {
			if (verbose)
				printf("  the supervisor took the appliance down\n");
			goto out;
		}
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(recs[i].comp, "supervisor") || is_vm(&recs[i]) != !pass)
				continue;
			ret = stop_one(st, &recs[i], opts.stop_timeout_ms, verbose);
			first = first ? first : ret;
		}
	if (first) {
		fprintf(stderr,
			"nfvisor down: processes of \"%s\" are still running; the host changes and "
			"%s are kept; run `nfvisor down %s` again\n",
			name, dir, name);
		goto out;
	}
	ret = sysfs_open(getenv("NFV_SYSFS_ROOT"), &fs);
	if (!ret)
		ret = hostprep_undo(fs, st, verbose);
	if (ret) {
		fprintf(stderr,
			"nfvisor down: restoring the host failed (above); %s/%s keeps what is left "
			"to undo: run `nfvisor down %s` again after fixing it\n",
			dir, STATE_JOURNAL, name);
		first = ret;
		goto out;
	}
	remove_dpdk_leftovers(name);
	state_close(st);
	st = NULL;
	ret = state_remove_dir(dir);
	if (ret) {
		fprintf(stderr, "nfvisor down: removing %s: %s\n", dir, strerror(-ret));
		first = ret;
	} else if (verbose) {
		printf("  removed %s\n", dir);
	}
out:
	free(recs);
	state_close(st);
	sysfs_close(fs);
	return first ? first : (ret < 0 ? ret : 0);
}
