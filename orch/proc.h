/* SPDX-License-Identifier: MIT */
/* Processes of an appliance: spawning the switch and the VMMs with their
 * output in log files, telling a live recorded process from a recycled pid,
 * stopping them, and health checks (the switch answers its control socket;
 * a VM's vhost-user ports are up in the switch, or the VMM stays alive). */
#ifndef NFV_ORCH_PROC_H
#define NFV_ORCH_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "orch/state.h"

/* Starts the lines of each process instance in its log. */
#define PROC_LOG_MARK "---- nfvisor: starting "

/* fork+exec ARGV[0] (a path) with stdin /dev/null and stdout/stderr
 * appended to LOG, in its own process group, after a line PROC_LOG_MARK
 * "PROGRAM at TIME". 0 and *PID, or -errno (an exec failure is reported by
 * the child in LOG and shows as an exit status 127). */
int proc_spawn(char *const argv[], const char *log, pid_t *pid);

/* Start time of PID in clock ticks since boot: 0 or -ESRCH. */
int proc_starttime(pid_t pid, unsigned long long *start);

/* Whether R's process is alive (not a zombie) and is still the one recorded:
 * same start time and the same program name as argv[0] of its cmdline. */
bool proc_alive(const struct proc_rec *r);

/* SIGTERM, wait up to TIMEOUT_MS, then SIGKILL and wait again (up to 2 s).
 * Reaps it when it is our child. A dead or recycled pid is a no-op.
 * 0, or -ETIMEDOUT if even SIGKILL did not end it. */
int proc_stop(const struct proc_rec *r, unsigned timeout_ms);

/* Non-blocking: if our child PID has exited, 1 and *STATUS (wait status);
 * 0 if it is running; -errno (-ECHILD: not our child). */
int proc_reap(pid_t pid, int *status);

/* Reaps the caller's exited children whose pid is not in KEEP[0..N-1]
 * (helpers such as test hooks) and leaves the exit of every kept one for
 * proc_reap(), so its wait status is never lost. Stops at the first kept
 * child that has exited (the strays behind it are reaped by a later call,
 * once it has been reaped). Returns how many were reaped. */
int proc_reap_strays(const pid_t *keep, size_t n);
/* "exit status 1", "killed by signal 9 (Killed)". */
void proc_describe_status(int status, char *out, size_t len);

/* Waits up to TIMEOUT_MS until the switch (our child PID) answers on
 * control socket CTL. 0; -ECHILD when it exited (*STATUS says how);
 * -ETIMEDOUT. */
int proc_wait_switch(pid_t pid, const char *ctl, unsigned timeout_ms, int *status);

/* Waits until every switch port in PORTS[0..N-1] is up (the VM's virtio-net
 * driver connected), up to TIMEOUT_MS; with N == 0, until our child PID
 * has stayed alive for MIN_ALIVE_MS. 0; -ECHILD when it exited (*STATUS);
 * -ETIMEDOUT (then *MISSING names the first port not up). */
int proc_wait_vm(pid_t pid, const char *ctl, const char *const *ports, size_t n,
		 unsigned timeout_ms, unsigned min_alive_ms, int *status, const char **missing);

/* The first error line ("PROGRAM: ...error: ...") the last instance
 * started by proc_spawn() wrote to log PATH (its last 64 KiB): the cause,
 * where later error lines are often a register dump. 0 and OUT (truncated
 * to LEN), -ENOENT if there is none, or -errno. */
int proc_log_first_error(const char *path, char *out, size_t len);
/* Prints the last LINES lines of file PATH to F, each prefixed with PREFIX. */
void proc_log_tail(const char *path, unsigned lines, const char *prefix, FILE *f);

void proc_sleep_ms(unsigned ms);

#endif
