/* SPDX-License-Identifier: MIT */
/* Restart loop for a running appliance. */
#define LOG_PREFIX "supervisor"
#include "orch/supervisor.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "config/appliance.h"
#include "orch/orch.h"
#include "orch/proc.h"
#include "orch/state.h"

struct watch {
	time_t *recent; /* times of the restarts within the window */
	size_t nrecent;
};

struct policy {
	enum cfg_restart restart;
	unsigned max, window;
};

static struct policy policy(const struct orch *o, const char *comp)
{
	const struct appliance *app = orch_appliance(o);

	if (!strncmp(comp, "vm.", 3))
		for (size_t v = 0; v < app->nvms; v++)
			if (!strcmp(app->vms[v].name, comp + 3))
				return (struct policy){app->vms[v].restart,
						       app->vms[v].max_restarts,
						       app->vms[v].restart_window};
	/* The switch: always, with the default limit. */
	return (struct policy){CFG_RESTART_ALWAYS, CFG_DEFAULT_MAX_RESTARTS,
			       CFG_DEFAULT_RESTART_WINDOW};
}

/* Whether another restart fits in P's window (and records it). */
static bool may_restart(struct watch *w, const struct policy *p, time_t now)
{
	size_t k = 0;

	for (size_t i = 0; i < w->nrecent; i++)
		if (now - w->recent[i] < (time_t)p->window)
			w->recent[k++] = w->recent[i];
	w->nrecent = k;
	if (k >= p->max)
		return false;
	if (!w->recent) {
		w->recent = calloc(p->max, sizeof(*w->recent));
		if (!w->recent)
			return false;
	}
	w->recent[w->nrecent++] = now;
	return true;
}

static void handle_exit(struct orch *o, struct watch *w, struct proc_rec *r, int status)
{
	struct orch_state *st = orch_state(o);
	struct policy pol = policy(o, r->comp);
	bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	char how[96];
	int ret;

	proc_describe_status(status, how, sizeof(how));
	if (!WIFEXITED(status) || clean) {
		state_event(st, "%s (pid %d) exited: %s", r->comp, (int)r->pid, how);
	} else {
		char log[PATH_MAX], why[512];

		/* The reason in the event itself: the log gets the next
		 * instance's lines (and a register dump can be long). */
		snprintf(log, sizeof(log), "%s/%s.log", state_dir(st), r->comp);
		if (proc_log_first_error(log, why, sizeof(why)))
			snprintf(why, sizeof(why), "no error line in %.400s", log);
		state_event(st, "%s (pid %d) exited: %s; first error: %s", r->comp, (int)r->pid,
			    how, why);
	}
	orch_exited(o, r->comp);
	r->pid = 0;
	if (pol.restart == CFG_RESTART_NEVER || (pol.restart == CFG_RESTART_ON_FAILURE && clean)) {
		state_event(st, "%s not restarted (restart: %s)", r->comp,
			    cfg_restart_name(pol.restart));
		r->state = clean ? PROC_STOPPED : PROC_FAILED;
		state_proc_write(st, r);
		return;
	}
	if (!may_restart(w, &pol, time(NULL))) {
		state_event(st,
			    "%s failed: %u restarts within %u s (max_restarts, restart_window); "
			    "giving up: nfvisor down, fix it, nfvisor up",
			    r->comp, pol.max, pol.window);
		r->state = PROC_FAILED;
		state_proc_write(st, r);
		return;
	}
	r->state = PROC_RESTARTING;
	state_proc_write(st, r);
	ret = orch_restart(o, r->comp);
	if (ret) {
		state_event(st, "restarting %s failed: %s; will retry", r->comp, strerror(-ret));
		return;
	}
	if (!state_proc_read(st, r->comp, r))
		state_event(st, "restarted %s (pid %d, restart %u)", r->comp, (int)r->pid,
			    r->restarts);
}

/* Reaps exited children that are no component (test hooks and other
 * strays). A component that exits meanwhile stays a zombie for the next
 * pass: reaping it here would lose its exit status (reported as 255) and
 * with it the restart policy's clean/failed decision. KEEP has room for
 * every component. */
static void reap_strays(struct orch *o, pid_t *keep)
{
	struct proc_rec r;
	size_t n = 0;

	for (size_t i = 0; i < orch_ncomps(o); i++)
		if (!state_proc_read(orch_state(o), orch_comp(o, i), &r) && r.pid > 0)
			keep[n++] = r.pid;
	proc_reap_strays(keep, n);
}

/* One pass: reap exited children and handle them; retry components left
 * not running after a failed restart. */
static void check_all(struct orch *o, struct watch *watches, pid_t *keep)
{
	struct orch_state *st = orch_state(o);

	for (size_t i = 0; i < orch_ncomps(o); i++) {
		struct proc_rec r;
		int status = 0;

		if (state_proc_read(st, orch_comp(o, i), &r))
			continue;
		if (r.state == PROC_FAILED || r.state == PROC_STOPPED)
			continue;
		if (r.pid > 0) {
			int got = proc_reap(r.pid, &status);

			if (got == 0)
				continue;
			if (got < 0) {
				if (proc_alive(&r))
					continue;
				status = 0x100 * 255; /* not our child: unknown, count as failure */
			}
		} else {
			status = 0x100 * 255; /* a restart that failed */
		}
		handle_exit(o, &watches[i], &r, status);
	}
	reap_strays(o, keep);
}

int supervisor_run(struct orch *o, const struct orch_opts *opts, bool foreground)
{
	struct watch *watches = calloc(orch_ncomps(o) + 1, sizeof(*watches));
	pid_t *keep = calloc(orch_ncomps(o) + 1, sizeof(*keep));
	struct timespec tick = {0, 250 * 1000000L};
	sigset_t set;
	int sig, ret = 0;

	if (!watches || !keep) {
		free(watches);
		free(keep);
		return -ENOMEM;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	state_event(orch_state(o), "supervisor running (pid %d, %s)", (int)getpid(),
		    foreground ? "foreground" : "daemon");
	for (;;) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
			break;
		check_all(o, watches, keep);
	}
	state_event(orch_state(o), "supervisor stopping (signal %d)", sig);
	if (foreground) {
		char name[CFG_NAME_MAX];

		snprintf(name, sizeof(name), "%s", orch_appliance(o)->name);
		printf("\nnfvisor: %s received; taking \"%s\" down\n", strsignal(sig), name);
		fflush(stdout);
		ret = orch_down(name, opts, true);
	}
	for (size_t i = 0; i < orch_ncomps(o); i++)
		free(watches[i].recent);
	free(watches);
	free(keep);
	return ret;
}
