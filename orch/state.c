/* SPDX-License-Identifier: MIT */
/* Appliance state directory: write-ahead journal and process records. */
#define LOG_PREFIX "state"
#include "orch/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

struct orch_state {
	char dir[PATH_MAX];
	int dirfd;
	int jfd; /* journal, O_APPEND */
	unsigned next_seq;
};

static const char *const proc_state_names[] = {
    [PROC_STARTING] = "starting", [PROC_RUNNING] = "running", [PROC_RESTARTING] = "restarting",
    [PROC_FAILED] = "failed",	  [PROC_STOPPED] = "stopped",
};

const char *proc_state_name(enum proc_state st)
{
	return (unsigned)st < sizeof(proc_state_names) / sizeof(proc_state_names[0])
		   ? proc_state_names[st]
		   : "unknown";
}

const char *state_dir(const struct orch_state *s)
{
	return s->dir;
}

/* Reads the whole journal into a malloc'd NUL-terminated buffer. */
static int read_journal(struct orch_state *s, char **out)
{
	struct stat st;
	char *buf;
	ssize_t r;
	size_t got = 0;

	if (fstat(s->jfd, &st))
		return -errno;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		r = pread(s->jfd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	*out = buf;
	return 0;
}

static int state_init(const char *dir, bool create, struct orch_state **out)
{
	struct orch_state *s = calloc(1, sizeof(*s));
	char *text = NULL;
	int ret;

	if (!s)
		return -ENOMEM;
	s->dirfd = s->jfd = -1;
	if (snprintf(s->dir, sizeof(s->dir), "%s", dir) >= (int)sizeof(s->dir)) {
		ret = -ENAMETOOLONG;
		goto err;
	}
	if (create && mkdir(dir, 0755)) {
		ret = -errno;
		if (ret == -EEXIST)
			pr_err("state directory %s already exists: an appliance of that name is up "
			       "or was not taken down; run `nfvisor down NAME` first",
			       dir);
		else
			pr_err("cannot create state directory %s: %s", dir, strerror(-ret));
		goto err;
	}
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		ret = -errno;
		goto err;
	}
	s->jfd =
	    openat(s->dirfd, STATE_JOURNAL,
		   O_RDWR | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_EXCL : O_CREAT), 0644);
	if (s->jfd < 0) {
		ret = -errno;
		pr_err("cannot open %s/%s: %s", dir, STATE_JOURNAL, strerror(-ret));
		goto err;
	}
	if (create)
		fsync(s->dirfd);
	ret = read_journal(s, &text);
	if (ret)
		goto err;
	{
		/* A torn last line (crash mid-write) is cut off: its change was
		 * never made, and a later entry must not be glued to it. */
		char *last = strrchr(text, '\n');
		size_t keep = last ? (size_t)(last - text) + 1 : 0;

		if (keep != strlen(text)) {
			pr_warn("journal %s/%s: dropping a torn last entry \"%s\"", dir,
				STATE_JOURNAL, text + keep);
			if (ftruncate(s->jfd, (off_t)keep) || fsync(s->jfd)) {
				ret = -errno;
				goto err;
			}
			text[keep] = '\0';
		}
	}
	for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		unsigned seq;

		if (sscanf(line, "%u", &seq) == 1 && seq >= s->next_seq)
			s->next_seq = seq + 1;
	}
	if (!s->next_seq)
		s->next_seq = 1;
	free(text);
	*out = s;
	return 0;
err:
	free(text);
	state_close(s);
	return ret;
}

int state_create(const char *dir, struct orch_state **out)
{
	return state_init(dir, true, out);
}

int state_open(const char *dir, struct orch_state **out)
{
	struct stat st;

	if (stat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return state_init(dir, false, out);
}

void state_close(struct orch_state *s)
{
	if (!s)
		return;
	if (s->jfd >= 0)
		close(s->jfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s);
}

/* One write() of LINE, then fsync. A short write is cut off again. */
static int journal_write(struct orch_state *s, const char *line, size_t len)
{
	off_t end = lseek(s->jfd, 0, SEEK_END);
	ssize_t w;

	do
		w = write(s->jfd, line, len);
	while (w < 0 && errno == EINTR);
	if (w >= 0 && (size_t)w != len) {
		/* Cut the partial line off again (the change is not made). */
		if (end >= 0 && ftruncate(s->jfd, end))
			pr_warn("journal %s: cannot cut a partial entry: %s", s->dir,
				strerror(errno));
		return -EIO;
	}
	if (w < 0)
		return -errno;
	if (fsync(s->jfd))
		return -errno;
	return 0;
}

int state_journal_add(struct orch_state *s, unsigned *seq, const char *op, const char *fmt, ...)
{
	char line[512], args[420];
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(args) || strchr(args, '\n') || strlen(op) >= 16 ||
	    strchr(op, ' '))
		return -EINVAL;
	n = snprintf(line, sizeof(line), "%u %s %s\n", s->next_seq, op, args);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -EINVAL;
	ret = journal_write(s, line, (size_t)n);
	if (ret) {
		pr_err("cannot write the journal %s/%s: %s; the host change was not made", s->dir,
		       STATE_JOURNAL, strerror(-ret));
		return ret;
	}
	if (seq)
		*seq = s->next_seq;
	s->next_seq++;
	return 0;
}

int state_journal_undone(struct orch_state *s, unsigned seq)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%u undone\n", seq);

	return journal_write(s, line, (size_t)n);
}

int state_journal_pending(struct orch_state *s, struct journal_entry **out, size_t *n)
{
	struct journal_entry *v = NULL;
	size_t cnt = 0, cap = 0;
	char *text;
	int ret = read_journal(s, &text);

	if (ret)
		return ret;
	for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		struct journal_entry e = {0};
		int off = 0;

		*nl = '\0';
		if (!*line)
			continue;
		if (sscanf(line, "%u %15s %n", &e.seq, e.op, &off) < 2 || !off) {
			pr_warn("journal %s/%s: skipping malformed line \"%s\"", s->dir,
				STATE_JOURNAL, line);
			continue;
		}
		if (!strcmp(e.op, "undone")) {
			for (size_t i = 0; i < cnt; i++)
				if (v[i].seq == e.seq) {
					memmove(&v[i], &v[i + 1], (cnt - i - 1) * sizeof(*v));
					cnt--;
					break;
				}
			continue;
		}
		snprintf(e.args, sizeof(e.args), "%s", line + off);
		if (cnt == cap) {
			struct journal_entry *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				free(text);
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt++] = e;
	}
	free(text);
	for (size_t i = 0; i < cnt / 2; i++) {
		struct journal_entry t = v[i];

		v[i] = v[cnt - 1 - i];
		v[cnt - 1 - i] = t;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int state_write_file(struct orch_state *s, const char *name, const void *data, size_t len)
{
	char tmp[STATE_COMP_MAX + 32];
	const char *p = data;
	int fd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ret = w < 0 ? -errno : -EIO;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (!ret && fsync(fd))
		ret = -errno;
	close(fd);
	if (!ret && renameat(s->dirfd, tmp, s->dirfd, name))
		ret = -errno;
	if (ret)
		unlinkat(s->dirfd, tmp, 0);
	else
		fsync(s->dirfd);
	return ret;
}

#define PROC_PREFIX "proc."

int state_proc_write(struct orch_state *s, const struct proc_rec *r)
{
	char name[STATE_COMP_MAX + 8], buf[512];
	int n;

	if (!r->comp[0] || strchr(r->comp, '/') || strchr(r->comp, ' ') || strchr(r->exe, '\n') ||
	    strchr(r->exe, ' '))
		return -EINVAL;
	snprintf(name, sizeof(name), PROC_PREFIX "%s", r->comp);
	n = snprintf(buf, sizeof(buf), "%s %d %llu %s %s %u %lld\n", r->comp, (int)r->pid, r->start,
		     r->exe[0] ? r->exe : "-", proc_state_name(r->state), r->restarts,
		     (long long)r->since);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	return state_write_file(s, name, buf, (size_t)n);
}

static int parse_rec(const char *buf, struct proc_rec *r)
{
	char comp[STATE_COMP_MAX], exe[256], st[16];
	long long since;
	int pid;

	memset(r, 0, sizeof(*r));
	if (sscanf(buf, "%47s %d %llu %255s %15s %u %lld", comp, &pid, &r->start, exe, st,
		   &r->restarts, &since) != 7 ||
	    pid < 0)
		return -EINVAL;
	snprintf(r->comp, sizeof(r->comp), "%s", comp);
	snprintf(r->exe, sizeof(r->exe), "%s", strcmp(exe, "-") ? exe : "");
	r->pid = pid;
	r->since = (time_t)since;
	r->state = PROC_STOPPED;
	for (size_t i = 0; i < sizeof(proc_state_names) / sizeof(proc_state_names[0]); i++)
		if (!strcmp(st, proc_state_names[i]))
			r->state = (enum proc_state)i;
	return 0;
}

int state_proc_read(struct orch_state *s, const char *comp, struct proc_rec *r)
{
	char name[STATE_COMP_MAX + 8], buf[512];
	ssize_t n;
	int fd;

	snprintf(name, sizeof(name), PROC_PREFIX "%s", comp);
	fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return parse_rec(buf, r);
}

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct proc_rec *)a)->comp, ((const struct proc_rec *)b)->comp);
}

int state_proc_list(struct orch_state *s, struct proc_rec **out, size_t *n)
{
	struct proc_rec *v = NULL;
	size_t cnt = 0;
	struct dirent *de;
	int fd = dup(s->dirfd);
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		struct proc_rec r, *nv;

		if (strncmp(de->d_name, PROC_PREFIX, strlen(PROC_PREFIX)) ||
		    state_proc_read(s, de->d_name + strlen(PROC_PREFIX), &r))
			continue;
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		v[cnt++] = r;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_rec);
	*out = v;
	*n = cnt;
	return 0;
}

int state_proc_remove(struct orch_state *s, const char *comp)
{
	char name[STATE_COMP_MAX + 8];

	snprintf(name, sizeof(name), PROC_PREFIX "%s", comp);
	if (unlinkat(s->dirfd, name, 0) && errno != ENOENT)
		return -errno;
	fsync(s->dirfd);
	return 0;
}

void state_event(struct orch_state *s, const char *fmt, ...)
{
	char msg[512], line[600];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gmtime_r(&now, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02dZ %s\n", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, msg);
	fd = openat(s->dirfd, STATE_EVENTS, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1)) < 0)
		pr_debug("events.log: %s", strerror(errno));
	close(fd);
}

static int remove_at(int dfd, const char *name, int depth)
{
	struct stat st;
	int ret = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		int fd = depth < 8
			     ? openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
			     : -1;
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		struct dirent *de;

		if (!d) {
			if (fd >= 0)
				close(fd);
			return -ELOOP;
		}
		while ((de = readdir(d))) {
			int r;

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			r = remove_at(dirfd(d), de->d_name, depth + 1);
			if (r && !ret)
				ret = r;
		}
		closedir(d);
		if (unlinkat(dfd, name, AT_REMOVEDIR) && !ret)
			ret = -errno;
		return ret;
	}
	if (unlinkat(dfd, name, 0) && errno != ENOENT)
		return -errno;
	return 0;
}

int state_remove_dir(const char *dir)
{
	return remove_at(AT_FDCWD, dir, 0);
}
