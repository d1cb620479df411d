/* SPDX-License-Identifier: MIT */
/* The record of a running appliance under RUN_DIR/<name>/: a journal of every
 * host change `up` made (so `down` undoes exactly those, in reverse order,
 * even after a crash) and one record per process (switch, VMs, supervisor).
 *
 * Journal: one line per entry, "SEQ OP ARGS...", appended with a single
 * write() and fsync'ed before the change it describes is made (write-ahead),
 * so a crash mid-change leaves an entry whose undo is harmless. Undoing entry
 * SEQ appends "SEQ undone"; a torn last line (no newline) is ignored.
 * Process records are small files rewritten atomically (temp file, fsync,
 * rename, fsync of the directory). */
#ifndef NFV_ORCH_STATE_H
#define NFV_ORCH_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define STATE_JOURNAL  "journal"
#define STATE_EVENTS   "events.log"
#define STATE_COMP_MAX 48 /* "switch", "supervisor", "vm.NAME" */

struct orch_state;

/* Creates DIR (mode 0755; its parent must exist) and an empty journal.
 * -EEXIST when DIR already exists (an appliance of that name is up or was
 * not taken down: message says to run `nfvisor down`). 0 or -errno. */
int state_create(const char *dir, struct orch_state **out);

/* Opens the record in existing DIR: 0, -ENOENT (not running), -errno. */
int state_open(const char *dir, struct orch_state **out);
void state_close(struct orch_state *s);
const char *state_dir(const struct orch_state *s);

/* Appends one journal entry "SEQ OP ARGS" (ARGS from FMT; no newlines) and
 * fsyncs it. *SEQ (if non-NULL) gets the entry's number. 0 or -errno. */
int state_journal_add(struct orch_state *s, unsigned *seq, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Marks entry SEQ as undone (appended and fsync'ed). 0 or -errno. */
int state_journal_undone(struct orch_state *s, unsigned seq);

/* One journal entry that has not been undone. */
struct journal_entry {
	unsigned seq;
	char op[16];
	char args[400];
};

/* The entries not yet undone, newest first, in *OUT (free()) and *N.
 * 0 or -errno; a malformed line is skipped with a warning. */
int state_journal_pending(struct orch_state *s, struct journal_entry **out, size_t *n);

enum proc_state { PROC_STARTING, PROC_RUNNING, PROC_RESTARTING, PROC_FAILED, PROC_STOPPED };
const char *proc_state_name(enum proc_state st);

/* A process the appliance runs. START is its start time in clock ticks
 * since boot (/proc/PID/stat field 22): with the program's name it tells a
 * live process from a recycled pid. */
struct proc_rec {
	char comp[STATE_COMP_MAX];
	pid_t pid; /* 0: not running */
	unsigned long long start;
	char exe[256];
	enum proc_state state;
	unsigned restarts;
	time_t since; /* when the current pid was started (wall clock) */
};

/* Writes (atomically replaces) the record of R->comp. 0 or -errno. */
int state_proc_write(struct orch_state *s, const struct proc_rec *r);
/* Reads the record of COMP: 0, -ENOENT, -EINVAL (corrupt), -errno. */
int state_proc_read(struct orch_state *s, const char *comp, struct proc_rec *r);
/* Every record, sorted by component name, in *OUT (free()). 0 or -errno. */
int state_proc_list(struct orch_state *s, struct proc_rec **out, size_t *n);
/* Removes the record of COMP (absent is fine). */
int state_proc_remove(struct orch_state *s, const char *comp);

/* Writes DATA as file NAME in the state dir atomically. 0 or -errno. */
int state_write_file(struct orch_state *s, const char *name, const void *data, size_t len);

/* Appends "TIMESTAMP MESSAGE\n" to events.log (best effort). */
void state_event(struct orch_state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Removes DIR and everything in it (regular files, sockets, links, and
 * subdirectories). 0, or -errno of the first failure. Absent is fine. */
int state_remove_dir(const char *dir);

#endif
