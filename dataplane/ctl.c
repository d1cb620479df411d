/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "ctl"
#include "dataplane/ctl.h"
#include "dataplane/ctl_req.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "common/log.h"
#include "common/parse.h"

#define CTL_MAX_CLIENTS 16
#define CTL_REQ_MAX	(64 * 1024)

struct ctl_client {
	int fd;
	size_t len;
	char *buf;
};

struct ctl {
	int fd;
	char path[108];
	struct ctl_ctx ctx;
	struct ctl_client cl[CTL_MAX_CLIENTS];
};

/* ---- replies ---- */

static json_object *reply_ok(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

static json_object *reply_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_object *reply_err(const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages quote client input: keep the reply valid UTF-8 JSON. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static const char *type_name(enum port_type t)
{
	return t == PORT_VHOST ? "vhost-user" : t == PORT_VDEV ? "vdev" : "pci";
}

/* Field helpers: return false (and set *err) on a missing/mistyped field. */
static bool get_str(json_object *req, const char *k, const char **out, json_object **err)
{
	json_object *v;

	if (!json_object_object_get_ex(req, k, &v) || !json_object_is_type(v, json_type_string)) {
		*err = reply_err("missing or non-string field \"%s\"", k);
		return false;
	}
	*out = json_object_get_string(v);
	return true;
}

static bool get_uint(json_object *req, const char *k, uint64_t max, uint64_t *out,
		     json_object **err)
{
	json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(req, k, &v) || !json_object_is_type(v, json_type_int)) {
		*err = reply_err("missing or non-integer field \"%s\"", k);
		return false;
	}
	x = json_object_get_int64(v);
	if (x < 0 || (uint64_t)x > max) {
		*err = reply_err("field \"%s\"=%lld out of range 0..%llu", k, (long long)x,
				 (unsigned long long)max);
		return false;
	}
	*out = (uint64_t)x;
	return true;
}

/* ---- commands ---- */

static json_object *port_json(const struct port_info *pi, unsigned idx)
{
	json_object *o = json_object_new_object();
	char vlan[512];

	l2_format_vlan(&pi->spec.vlan, vlan, sizeof(vlan));
	json_object_object_add(o, "name", json_object_new_string(pi->spec.name));
	json_object_object_add(o, "index", json_object_new_int((int)idx));
	json_object_object_add(o, "type", json_object_new_string(type_name(pi->spec.type)));
	json_object_object_add(o, "state", json_object_new_string(pi->up ? "up" : "down"));
	json_object_object_add(o, "vlan", json_object_new_string(vlan));
	if (pi->spec.type == PORT_VHOST) {
		json_object_object_add(o, "path", json_object_new_string(pi->spec.path));
		json_object_object_add(
		    o, "mode", json_object_new_string(pi->spec.client ? "client" : "server"));
		json_object_object_add(o, "vid", json_object_new_int(pi->vid));
	} else {
		json_object_object_add(o, "dev", json_object_new_string(pi->spec.dev));
		json_object_object_add(o, "ethdev", json_object_new_int(pi->eth_port));
	}
	json_object_object_add(o, "queues", json_object_new_int((int)pi->spec.queues));
	json_object_object_add(o, "queue_pairs", json_object_new_int((int)pi->qpairs));
	json_object_object_add(o, "rx_queues", json_object_new_int((int)pi->nb_rxq));
	json_object_object_add(o, "tx_queues", json_object_new_int((int)pi->nb_txq));
	add_u64(o, "mac_limit", pi->spec.mac_limit);
	add_u64(o, "flood_limit", pi->spec.flood_limit);
	return o;
}

static json_object *cmd_ports(const struct ctl_ctx *c, json_object *req)
{
	json_object *r = reply_ok(), *arr = json_object_new_array();

	ports_lock(c->pt);
	for (unsigned i = 0; i < PORT_MAX; i++) {
		struct port_info pi;

		if (port_info(c->pt, i, &pi) == 0)
			json_object_array_add(arr, port_json(&pi, i));
	}
	ports_unlock(c->pt);
	json_object_object_add(r, "ports", arr);
	return r;
}

static json_object *cmd_port_add(const struct ctl_ctx *c, json_object *req)
{
	struct port_spec spec;
	json_object *e = NULL;
	const char *s;
	char err[512];

	if (!get_str(req, "spec", &s, &e))
		return e;
	if (port_spec_parse(s, &spec, err, sizeof(err)))
		return reply_err("%s", err);
	if (port_add(c->pt, &spec, err, sizeof(err)))
		return reply_err("%s", err);
	return reply_ok();
}

static json_object *cmd_port_del(const struct ctl_ctx *c, json_object *req)
{
	json_object *e = NULL;
	const char *name;
	char err[256];

	if (!get_str(req, "name", &name, &e))
		return e;
	if (port_del(c->pt, name, err, sizeof(err)))
		return reply_err("%s", err);
	return reply_ok();
}

struct fdb_show_arg {
	const struct ctl_ctx *c;
	json_object *arr;
	int vlan;
	uint64_t now;
	char names[PORT_MAX][PORT_NAME_MAX];
};

static int fdb_show_cb(const struct fdb_entry *e, void *arg)
{
	struct fdb_show_arg *a = arg;
	json_object *o;
	char mac[18];

	if (a->vlan >= 0 && e->vlan != a->vlan)
		return 0;
	o = json_object_new_object();
	format_mac(e->mac, mac);
	json_object_object_add(o, "vlan", json_object_new_int(e->vlan));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	json_object_object_add(o, "port", json_object_new_string(a->names[e->port]));
	json_object_object_add(o, "static", json_object_new_boolean(e->is_static));
	if (!e->is_static)
		add_u64(o, "age_ms", a->now > e->last_seen_ms ? a->now - e->last_seen_ms : 0);
	json_object_array_add(a->arr, o);
	return 0;
}

static json_object *cmd_fdb_show(const struct ctl_ctx *c, json_object *req)
{
	struct fdb_show_arg *a = calloc(1, sizeof(*a));
	json_object *r, *e = NULL, *v;

	if (!a)
		return reply_err("out of memory");
	a->c = c;
	a->vlan = -1;
	if (json_object_object_get_ex(req, "vlan", &v)) {
		uint64_t vl;

		if (!get_uint(req, "vlan", 4095, &vl, &e)) {
			free(a);
			return e;
		}
		a->vlan = (int)vl;
	}
	a->now = c->now_ms();
	ports_lock(c->pt);
	for (unsigned i = 0; i < PORT_MAX; i++) {
		struct port_info pi;

		if (port_info(c->pt, i, &pi) == 0)
			snprintf(a->names[i], PORT_NAME_MAX, "%s", pi.spec.name);
		else
			snprintf(a->names[i], PORT_NAME_MAX, "#%u", i);
	}
	ports_unlock(c->pt);
	r = reply_ok();
	a->arr = json_object_new_array();
	fdb_walk(c->fdb, fdb_show_cb, a);
	json_object_object_add(r, "entries", a->arr);
	add_u64(r, "count", fdb_count(c->fdb));
	add_u64(r, "max_entries", fdb_max_entries(c->fdb));
	add_u64(r, "aging_s", fdb_get_aging(c->fdb) / 1000);
	free(a);
	return r;
}

static bool get_vlan_mac(json_object *req, uint16_t *vlan, uint8_t mac[6], json_object **e)
{
	const char *ms;
	uint64_t v;

	if (!get_uint(req, "vlan", L2_VLAN_MAX, &v, e) || !get_str(req, "mac", &ms, e))
		return false;
	if (v == 0) {
		*e = reply_err("vlan 0 is not a VLAN; use 1-4094");
		return false;
	}
	if (parse_mac(ms, mac)) {
		*e = reply_err("bad mac \"%s\": expected 52:54:00:12:34:56", ms);
		return false;
	}
	*vlan = (uint16_t)v;
	return true;
}

static json_object *cmd_fdb_add(const struct ctl_ctx *c, json_object *req)
{
	json_object *e = NULL;
	const char *port;
	uint8_t mac[6];
	uint16_t vlan;
	int idx, ret;

	if (!get_vlan_mac(req, &vlan, mac, &e) || !get_str(req, "port", &port, &e))
		return e;
	if (!fdb_mac_learnable(mac))
		return reply_err("mac %s is multicast or zero: only unicast MACs have entries",
				 json_object_get_string(json_object_object_get(req, "mac")));
	ports_lock(c->pt);
	idx = port_find(c->pt, port);
	ret = idx < 0 ? -ENOENT : fdb_add_static(c->fdb, vlan, mac, (unsigned)idx);
	ports_unlock(c->pt);
	if (ret == -ENOENT)
		return reply_err("no port named '%s'", port);
	if (ret)
		return reply_err("FDB full (%u entries); raise --fdb-size",
				 fdb_max_entries(c->fdb));
	return reply_ok();
}

static json_object *cmd_fdb_del(const struct ctl_ctx *c, json_object *req)
{
	json_object *e = NULL;
	uint8_t mac[6];
	uint16_t vlan;

	if (!get_vlan_mac(req, &vlan, mac, &e))
		return e;
	if (fdb_del(c->fdb, vlan, mac))
		return reply_err("no FDB entry for that MAC on VLAN %u", vlan);
	return reply_ok();
}

static json_object *cmd_fdb_flush(const struct ctl_ctx *c, json_object *req)
{
	json_object *r, *e = NULL;
	int idx = -1;
	unsigned n;

	if (json_object_object_get_ex(req, "port", NULL)) {
		const char *port;

		if (!get_str(req, "port", &port, &e))
			return e;
		ports_lock(c->pt);
		idx = port_find(c->pt, port);
		ports_unlock(c->pt);
		if (idx < 0)
			return reply_err("no port named '%s'", port);
	}
	n = fdb_flush(c->fdb, idx, false);
	r = reply_ok();
	add_u64(r, "removed", n);
	return r;
}

static json_object *cmd_fdb_aging(const struct ctl_ctx *c, json_object *req)
{
	json_object *e = NULL;
	uint64_t s;

	if (!get_uint(req, "seconds", 1000000, &s, &e))
		return e;
	fdb_set_aging(c->fdb, s * 1000);
	return reply_ok();
}

static json_object *port_stats_json(const struct ctl_ctx *c, unsigned idx,
				    const struct port_info *pi)
{
	json_object *o = json_object_new_object(), *qs = json_object_new_array();
	json_object *drops = json_object_new_object();
	uint64_t rxp = 0, rxb = 0, txp = 0, txb = 0, d[PD__COUNT] = {0};
	unsigned nq = pi->spec.type == PORT_VHOST ? (pi->qpairs ? pi->qpairs : 1) : PORT_MAX_Q;

	for (unsigned q = 0; q < nq; q++) {
		uint64_t a = 0, b = 0, x = 0, y = 0;

		for (unsigned l = 0; l < pmd_count(c->pmd); l++) {
			const struct port_counters *pc = pmd_counters(c->pmd, l, idx);

			a += atomic_load(&pc->rx_pkts[q]);
			b += atomic_load(&pc->rx_bytes[q]);
			x += atomic_load(&pc->tx_pkts[q]);
			y += atomic_load(&pc->tx_bytes[q]);
		}
		rxp += a;
		rxb += b;
		txp += x;
		txb += y;
		if (pi->spec.type != PORT_VHOST && q >= pi->nb_rxq && q >= pi->nb_txq && !a && !x)
			continue;
		{
			json_object *qo = json_object_new_object();

			json_object_object_add(qo, "queue", json_object_new_int((int)q));
			add_u64(qo, "rx_packets", a);
			add_u64(qo, "rx_bytes", b);
			add_u64(qo, "tx_packets", x);
			add_u64(qo, "tx_bytes", y);
			json_object_array_add(qs, qo);
		}
	}
	for (unsigned l = 0; l < pmd_count(c->pmd); l++)
		for (unsigned k = 0; k < PD__COUNT; k++)
			d[k] += atomic_load(&pmd_counters(c->pmd, l, idx)->drops[k]);
	json_object_object_add(o, "name", json_object_new_string(pi->spec.name));
	add_u64(o, "rx_packets", rxp);
	add_u64(o, "rx_bytes", rxb);
	add_u64(o, "tx_packets", txp);
	add_u64(o, "tx_bytes", txb);
	for (unsigned k = 0; k < PD__COUNT; k++)
		add_u64(drops, port_drop_name(k), d[k]);
	if (pi->spec.type != PORT_VHOST) {
		struct rte_eth_stats es;

		/* The NIC's own view: frames it had no descriptor for. */
		if (rte_eth_stats_get(pi->eth_port, &es) == 0) {
			add_u64(drops, "rx_no_descriptor", es.imissed);
			add_u64(drops, "rx_no_mbuf", es.rx_nombuf);
			add_u64(drops, "tx_errors", es.oerrors);
		}
	}
	json_object_object_add(o, "drops", drops);
	json_object_object_add(o, "queues", qs);
	return o;
}

static json_object *lcores_json(const struct ctl_ctx *c)
{
	json_object *arr = json_object_new_array();

	for (unsigned l = 0; l < pmd_count(c->pmd); l++) {
		json_object *o = json_object_new_object(), *qa = json_object_new_array();
		struct pmd_rxq_desc d[PORT_MAX * PORT_MAX_Q];
		uint64_t busy, idle;
		unsigned n;

		pmd_cycles(c->pmd, l, &busy, &idle);
		json_object_object_add(o, "lcore",
				       json_object_new_int((int)pmd_lcore_id(c->pmd, l)));
		add_u64(o, "busy_cycles", busy);
		add_u64(o, "idle_cycles", idle);
		n = pmd_assigned(c->pmd, l, d, PORT_MAX * PORT_MAX_Q);
		for (unsigned i = 0; i < n; i++) {
			struct port_info pi;
			json_object *q = json_object_new_object();

			port_info(c->pt, d[i].port, &pi);
			json_object_object_add(q, "port", json_object_new_string(pi.spec.name));
			json_object_object_add(q, "queue", json_object_new_int(d[i].queue));
			json_object_array_add(qa, q);
		}
		json_object_object_add(o, "rx_queues", qa);
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *cmd_stats(const struct ctl_ctx *c, json_object *req)
{
	json_object *r, *arr, *e = NULL;
	const char *only = NULL;
	bool found = false;

	if (json_object_object_get_ex(req, "port", NULL) && !get_str(req, "port", &only, &e))
		return e;
	arr = json_object_new_array();
	ports_lock(c->pt);
	for (unsigned i = 0; i < PORT_MAX; i++) {
		struct port_info pi;

		if (port_info(c->pt, i, &pi) || (only && strcmp(only, pi.spec.name)))
			continue;
		found = true;
		json_object_array_add(arr, port_stats_json(c, i, &pi));
	}
	if (only && !found) {
		ports_unlock(c->pt);
		json_object_put(arr);
		return reply_err("no port named '%s'", only);
	}
	r = reply_ok();
	json_object_object_add(r, "ports", arr);
	json_object_object_add(r, "lcores", lcores_json(c));
	ports_unlock(c->pt);
	add_u64(r, "fdb_entries", fdb_count(c->fdb));
	return r;
}

static json_object *cmd_lcores(const struct ctl_ctx *c, json_object *req)
{
	json_object *r = reply_ok();

	ports_lock(c->pt);
	json_object_object_add(r, "lcores", lcores_json(c));
	ports_unlock(c->pt);
	return r;
}

static json_object *cmd_help(const struct ctl_ctx *c, json_object *req);

static const struct {
	const char *name;
	json_object *(*fn)(const struct ctl_ctx *c, json_object *req);
} cmds[] = {
    {"ports", cmd_ports},	  {"port-add", cmd_port_add},	{"port-del", cmd_port_del},
    {"fdb-show", cmd_fdb_show},	  {"fdb-add", cmd_fdb_add},	{"fdb-del", cmd_fdb_del},
    {"fdb-flush", cmd_fdb_flush}, {"fdb-aging", cmd_fdb_aging}, {"stats", cmd_stats},
    {"lcores", cmd_lcores},	  {"help", cmd_help},
};

static json_object *cmd_help(const struct ctl_ctx *c, json_object *req)
{
	json_object *r = reply_ok(), *arr = json_object_new_array();

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		json_object_array_add(arr, json_object_new_string(cmds[i].name));
	json_object_object_add(r, "commands", arr);
	return r;
}

char *ctl_handle(const struct ctl_ctx *ctx, const char *req)
{
	json_object *in, *out = NULL;
	const char *name;
	char err[256];
	char *s;

	in = ctl_req_parse(req, &name, err, sizeof(err));
	if (!in) {
		out = reply_err("%s", err);
	} else {
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (!strcmp(cmds[i].name, name))
				out = cmds[i].fn(ctx, in);
		if (!out)
			out = reply_err("unknown command \"%.64s\" (try {\"cmd\":\"help\"})", name);
	}
	s = strdup(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	json_object_put(out);
	json_object_put(in);
	return s;
}

/* ---- server ---- */

static int sock_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int ctl_open(const char *path, const struct ctl_ctx *ctx, struct ctl **out)
{
	struct sockaddr_un sa;
	struct ctl *ctl;
	int fd, ret;

	ret = sock_addr(path, &sa);
	if (ret)
		return ret;
	/* Replace a stale socket, never a live one. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8) ||
	    fcntl(fd, F_SETFL, O_NONBLOCK)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl) {
		close(fd);
		unlink(path);
		return -ENOMEM;
	}
	ctl->fd = fd;
	strcpy(ctl->path, path);
	ctl->ctx = *ctx;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		ctl->cl[i].fd = -1;
	*out = ctl;
	return 0;
}

static void client_drop(struct ctl_client *cl)
{
	close(cl->fd);
	free(cl->buf);
	cl->fd = -1;
	cl->buf = NULL;
	cl->len = 0;
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Reads from a client and answers every complete line. */
static void client_read(struct ctl *ctl, struct ctl_client *cl)
{
	char tmp[4096];
	ssize_t r = read(cl->fd, tmp, sizeof(tmp));
	char *nl;

	if (r <= 0) {
		client_drop(cl);
		return;
	}
	if (cl->len + (size_t)r + 1 > CTL_REQ_MAX) {
		const char *msg = "{\"ok\":false,\"error\":\"request longer than 64 KiB\"}\n";

		write_all(cl->fd, msg, strlen(msg));
		client_drop(cl);
		return;
	}
	if (!cl->buf) {
		cl->buf = malloc(CTL_REQ_MAX);
		if (!cl->buf) {
			client_drop(cl);
			return;
		}
	}
	memcpy(cl->buf + cl->len, tmp, (size_t)r);
	cl->len += (size_t)r;
	cl->buf[cl->len] = 0;
	while ((nl = memchr(cl->buf, '\n', cl->len))) {
		size_t used = (size_t)(nl - cl->buf) + 1;
		char *rep;

		*nl = 0;
		if (nl != cl->buf) {
			rep = ctl_handle(&ctl->ctx, cl->buf);
			if (rep) {
				write_all(cl->fd, rep, strlen(rep));
				write_all(cl->fd, "\n", 1);
				free(rep);
			}
		}
		memmove(cl->buf, cl->buf + used, cl->len - used);
		cl->len -= used;
		cl->buf[cl->len] = 0;
	}
}

void ctl_poll(struct ctl *ctl, int timeout_ms)
{
	struct pollfd pfd[CTL_MAX_CLIENTS + 1];
	int idx[CTL_MAX_CLIENTS + 1], n = 0;

	pfd[n] = (struct pollfd){.fd = ctl->fd, .events = POLLIN};
	idx[n++] = -1;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (ctl->cl[i].fd < 0)
			continue;
		pfd[n] = (struct pollfd){.fd = ctl->cl[i].fd, .events = POLLIN};
		idx[n++] = i;
	}
	if (poll(pfd, (nfds_t)n, timeout_ms) <= 0)
		return;
	for (int k = 1; k < n; k++)
		if (pfd[k].revents)
			client_read(ctl, &ctl->cl[idx[k]]);
	if (pfd[0].revents & POLLIN) {
		int fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC);
		struct timeval tv = {1, 0};
		int i;

		if (fd < 0)
			return;
		for (i = 0; i < CTL_MAX_CLIENTS && ctl->cl[i].fd >= 0; i++)
			;
		if (i == CTL_MAX_CLIENTS) {
			const char *msg = "{\"ok\":false,\"error\":\"too many control clients\"}\n";

			write_all(fd, msg, strlen(msg));
			close(fd);
			return;
		}
		/* A client that stops reading cannot stall the switch long. */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		ctl->cl[i].fd = fd;
	}
}

void ctl_close(struct ctl *ctl)
{
	if (!ctl)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (ctl->cl[i].fd >= 0)
			client_drop(&ctl->cl[i]);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl);
}

/* ---- client ---- */

int ctl_request(const char *path, const char *req, int timeout_ms, char **reply)
{
	struct sockaddr_un sa;
	size_t cap = 65536, len = 0;
	char *buf;
	int fd, ret;

	ret = sock_addr(path, &sa);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	write_all(fd, req, strlen(req));
	write_all(fd, "\n", 1);
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, timeout_ms) <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r <= 0) {
			ret = len ? 0 : -ECONNRESET;
			break;
		}
		len += (size_t)r;
		if (memchr(buf, '\n', len)) {
			ret = 0;
			break;
		}
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	buf[len] = 0;
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = 0;
	*reply = buf;
	return 0;
}
