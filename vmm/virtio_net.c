// SPDX-License-Identifier: MIT
/* virtio-net device model over a vhost-user backend, with the control
 * queue and the backend session (connect, lose, reconnect) in the VMM. */
#define LOG_PREFIX "virtio-net"
#include "vmm/virtio_net.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "common/log.h"
#include "common/parse.h"
#include "vmm/vhost_user.h"

#define F(b) (1ull << (b))
/* Bits the VMM implements itself (config space, control queue). */
#define FRONTEND_FEATURES (F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS))
/* Bits the backend must implement for the data queues. */
#define BACKEND_FEATURES (F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_EVENT_IDX))
#define PROTO_WANT	 (F(VHOST_USER_PROTOCOL_F_MQ) | F(VHOST_USER_PROTOCOL_F_REPLY_ACK))
#define BACKOFF_MIN_MS	 100u
#define BACKOFF_MAX_MS	 3200u
#define NET_CFG_LEN	 10u /* mac, status, max_virtqueue_pairs */
#define CTRL_CMD_MAX	 64u /* bytes of command we read */

struct virtio_net {
	pthread_mutex_t lock;
	struct virtio_net_host host;
	struct virtio_net_opts opts;
	char name[32];
	struct virtio_pci *vp;
	uint8_t mac[6];
	unsigned nq; /* data queues + control queue (if any) */
	bool has_ctrl;

	/* Backend session. timer_fd: the next connect (client) or the end of
	 * an accept pause (server, listen_paused). */
	int listen_fd, timer_fd;
	unsigned backoff_ms;
	bool listen_paused, warned_accept;
	struct vhost_user *vu;
	uint64_t be_features, be_proto, be_queues;
	bool be_known;
	unsigned sessions;
	bool warned_features;

	/* Driver state (a snapshot taken at DRIVER_OK). */
	bool active, started;
	uint64_t features;
	struct virtio_queue_info q[VIRTIO_QUEUES_MAX];
	unsigned pairs;
	bool link_up;

	/* Control queue, pointers into guest RAM checked at activation. */
	struct vring_desc *cdesc;
	struct vring_avail *cavail;
	struct vring_used *cused;
	uint16_t clast;
	bool ctrl_broken;
	bool warned_ctrl;
};

/* ---- option parsing ---- */

int virtio_net_parse(const char *s, struct virtio_net_opts *out)
{
	static const char prefix[] = "vhost-user:";
	char buf[512], *save = NULL, *tok;
	uint64_t v;
	bool first = true;

	memset(out, 0, sizeof(*out));
	out->queues = 1;
	if (strncmp(s, prefix, sizeof(prefix) - 1) != 0) {
		pr_err("--net '%s': only 'vhost-user:PATH[,server][,mac=MAC][,queues=N]' is "
		       "supported",
		       s);
		return -EINVAL;
	}
	if (snprintf(buf, sizeof(buf), "%s", s + sizeof(prefix) - 1) >= (int)sizeof(buf)) {
		pr_err("--net '%s' is too long", s);
		return -EINVAL;
	}
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save), first = false) {
		if (first) {
			if (!*tok || strlen(tok) >= sizeof(out->path)) {
				pr_err("--net '%s': socket path must be 1..%zu characters", s,
				       sizeof(out->path) - 1);
				return -EINVAL;
			}
			strcpy(out->path, tok);
		} else if (strcmp(tok, "server") == 0) {
			out->server = true;
		} else if (strncmp(tok, "mac=", 4) == 0) {
			if (parse_mac(tok + 4, out->mac) || (out->mac[0] & 1)) {
				pr_err("--net '%s': '%s' is not a unicast MAC like "
				       "52:54:00:12:34:56",
				       s, tok + 4);
				return -EINVAL;
			}
			out->has_mac = true;
		} else if (strncmp(tok, "queues=", 7) == 0) {
			if (parse_uint(tok + 7, 1, VIRTIO_NET_PAIRS_MAX, &v)) {
				pr_err("--net '%s': queues must be 1..%d queue pairs, not '%s'", s,
				       VIRTIO_NET_PAIRS_MAX, tok + 7);
				return -EINVAL;
			}
			out->queues = (unsigned)v;
		} else {
			pr_err("--net '%s': unknown option '%s' (known: server, mac=MAC, "
			       "queues=N)",
			       s, tok);
			return -EINVAL;
		}
	}
	if (!out->path[0] || s[sizeof(prefix) - 1] == ',') {
		pr_err("--net '%s': missing socket path after 'vhost-user:'", s);
		return -EINVAL;
	}
	return 0;
}

/* ---- features and link ---- */

static bool mq_possible(const struct virtio_net *n)
{
	if (n->opts.queues < 2)
		return false;
	if (!n->be_known)
		return true;
	return (n->be_proto & F(VHOST_USER_PROTOCOL_F_MQ)) && n->be_queues >= n->opts.queues;
}

static uint64_t offered_features(struct virtio_net *n)
{
	uint64_t f = FRONTEND_FEATURES;

	if (n->be_known)
		f |= n->be_features & BACKEND_FEATURES;
	else
		f |= F(VIRTIO_NET_F_MRG_RXBUF);
	if (n->has_ctrl && mq_possible(n))
		f |= F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_MQ);
	return f;
}

static uint64_t net_features(void *opaque)
{
	struct virtio_net *n = opaque;
	uint64_t f;

	pthread_mutex_lock(&n->lock);
	f = offered_features(n);
	pthread_mutex_unlock(&n->lock);
	return f;
}

static void set_link(struct virtio_net *n, bool up)
{
	if (n->link_up == up)
		return;
	n->link_up = up;
	pr_info("%s: link %s", n->name, up ? "up" : "down");
	virtio_pci_config_changed(n->vp);
}

static void net_cfg_read(void *opaque, uint32_t off, void *data, unsigned len)
{
	struct virtio_net *n = opaque;
	struct virtio_net_config c;
	uint8_t img[sizeof(c)];

	memset(&c, 0, sizeof(c));
	pthread_mutex_lock(&n->lock);
	memcpy(c.mac, n->mac, 6);
	c.status = n->link_up ? VIRTIO_NET_S_LINK_UP : 0;
	c.max_virtqueue_pairs = (uint16_t)n->opts.queues;
	pthread_mutex_unlock(&n->lock);
	memcpy(img, &c, sizeof(c));
	if (off < NET_CFG_LEN && len <= NET_CFG_LEN - off)
		memcpy(data, img + off, len);
}

/* ---- backend session ---- */

/* Make the emulation thread notice a dead session: a shut-down socket
 * polls as readable + HUP, and session_event() cleans up there. */
static void session_fail(struct virtio_net *n)
{
	if (n->vu)
		shutdown(vhost_user_fd(n->vu), SHUT_RDWR);
	n->started = false;
	set_link(n, false);
}

static int start_backend(struct virtio_net *n)
{
	struct vhost_user_vring rings[2 * VIRTIO_NET_PAIRS_MAX];
	const struct mem_region *regions;
	size_t nreg = guest_mem_regions(n->host.pci.mem, &regions);
	unsigned ndata = 2 * n->opts.queues;
	uint64_t want =
	    n->features & ~(FRONTEND_FEATURES | F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_MQ));
	uint64_t send;
	int ret;

	/* The backend must run every data-path feature the driver took. */
	if (want & ~n->be_features) {
		if (!n->warned_features) {
			n->warned_features = true;
			pr_err("%s: backend features %#llx lack %#llx, which the guest driver "
			       "negotiated; start the backend with the same options as before",
			       n->name, (unsigned long long)n->be_features,
			       (unsigned long long)(want & ~n->be_features));
		}
		return -EOPNOTSUPP;
	}
	if ((n->features & F(VIRTIO_NET_F_MQ)) && !mq_possible(n)) {
		pr_err("%s: backend offers %llu queue pairs, the guest uses %u", n->name,
		       (unsigned long long)n->be_queues, n->opts.queues);
		return -EOPNOTSUPP;
	}
	send = (n->features & n->be_features) | F(VIRTIO_F_VERSION_1);
	if (n->be_features & F(VHOST_USER_F_PROTOCOL_FEATURES))
		send |= F(VHOST_USER_F_PROTOCOL_FEATURES);
	memset(rings, 0, sizeof(rings));
	for (unsigned i = 0; i < ndata; i++) {
		const struct virtio_queue_info *q = &n->q[i];
		struct vring_used *used;

		if (!q->enabled)
			continue;
		used = guest_mem_ptr(n->host.pci.mem, q->used, sizeof(*used));
		if (!used)
			return -EFAULT; /* checked at DRIVER_OK; RAM does not move */
		rings[i] = (struct vhost_user_vring){
		    .num = q->size,
		    .desc = (uint64_t)(uintptr_t)guest_mem_ptr(n->host.pci.mem, q->desc, 16),
		    .avail = (uint64_t)(uintptr_t)guest_mem_ptr(n->host.pci.mem, q->avail, 4),
		    .used = (uint64_t)(uintptr_t)used,
		    /* After a backend restart, resume where the used ring is:
		     * everything before it was completed. */
		    .base =
			atomic_load_explicit((_Atomic uint16_t *)&used->idx, memory_order_acquire),
		    .kick_fd = q->kick_fd,
		    .call_fd = q->call_fd,
		    .enabled = i < 2 * n->pairs,
		};
	}
	ret = vhost_user_start(n->vu, send, regions, nreg, rings, ndata);
	if (ret) {
		pr_err("%s: starting the backend failed (%s); reconnecting", n->name,
		       strerror(-ret));
		session_fail(n);
		return ret;
	}
	n->started = true;
	/* Kicks that arrived while no backend listened are in the kick fds;
	 * one more makes an interrupt-driven backend look at every ring. */
	for (unsigned i = 0; i < ndata; i++)
		if (n->q[i].enabled)
			(void)!eventfd_write(n->q[i].kick_fd, 1);
	return 0;
}

/* Lock held. Arm the timer backoff_ms from now and double the backoff. */
static void arm_timer(struct virtio_net *n)
{
	struct itimerspec its = {0};

	its.it_value.tv_sec = n->backoff_ms / 1000;
	its.it_value.tv_nsec = (long)(n->backoff_ms % 1000) * 1000000L;
	timerfd_settime(n->timer_fd, 0, &its, NULL);
	n->backoff_ms = n->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : n->backoff_ms * 2;
}

static void schedule_reconnect(struct virtio_net *n)
{
	if (!n->opts.server) /* a server waits: the backend comes to us */
		arm_timer(n);
}

static void session_event(void *arg, uint32_t events);

/* Lock held. Drop the session: unwatch, close, link down. */
static void session_close(struct virtio_net *n)
{
	if (!n->vu)
		return;
	n->host.unwatch(n->host.watch_opaque, vhost_user_fd(n->vu));
	vhost_user_close(n->vu);
	n->vu = NULL;
	n->started = false;
	set_link(n, false);
}

/* Lock held. A connected socket: handshake, then start if the driver is
 * ready. Takes ownership of fd. */
static int session_open(struct virtio_net *n, int fd)
{
	char peer[sizeof(n->name) + sizeof(n->opts.path) + 24];
	uint64_t feat, proto, nq;
	int ret;

	ret = vhost_user_open(fd, VIRTIO_NET_TIMEOUT_MS, &n->vu);
	if (ret)
		return ret;
	snprintf(peer, sizeof(peer), "%s's backend on '%s'", n->name, n->opts.path);
	vhost_user_set_progress(n->vu, VHOST_USER_PROGRESS_MS, peer);
	vhost_user_set_abort(n->vu, &n->host.abort);
	ret = vhost_user_handshake(n->vu, PROTO_WANT, &feat, &proto, &nq);
	if (ret)
		goto err_close;
	if (!(feat & F(VIRTIO_F_VERSION_1))) {
		pr_err("%s: backend at '%s' does not offer VIRTIO_F_VERSION_1 (features %#llx)",
		       n->name, n->opts.path, (unsigned long long)feat);
		ret = -EPROTO;
		goto err_close;
	}
	ret = n->host.watch(n->host.watch_opaque, vhost_user_fd(n->vu), EPOLLIN | EPOLLRDHUP,
			    session_event, n);
	if (ret)
		goto err_close;
	n->be_features = feat;
	n->be_proto = proto;
	n->be_queues = nq;
	n->be_known = true;
	n->sessions++;
	n->backoff_ms = BACKOFF_MIN_MS;
	pr_info("%s: backend session %u on '%s' (features %#llx, protocol %#llx, %llu queue "
		"pairs)",
		n->name, n->sessions, n->opts.path, (unsigned long long)feat,
		(unsigned long long)proto, (unsigned long long)nq);
	if (n->active && start_backend(n))
		return 0; /* start_backend arranged the reconnect */
	set_link(n, true);
	return 0;

err_close:
	vhost_user_close(n->vu);
	n->vu = NULL;
	return ret;
}

/* The session socket became readable or hung up. A vCPU thread that
 * starts the backend at DRIVER_OK reads its replies (REPLY_ACK) while this
 * thread waits for the lock, so the event may be stale by now: only a
 * socket that really closed, failed or holds unasked-for bytes ends the
 * session. */
static void session_event(void *arg, uint32_t events)
{
	struct virtio_net *n = arg;
	int st;

	pthread_mutex_lock(&n->lock);
	st = n->vu ? vhost_user_check_idle(n->vu) : 0;
	if (st) {
		if (st == -EPROTO)
			pr_warn("%s: backend on '%s' sent a message nobody asked for; dropping "
				"the session",
				n->name, n->opts.path);
		pr_warn("%s: backend on '%s' disconnected; link down, %s", n->name, n->opts.path,
			n->opts.server ? "waiting for it to reconnect" : "reconnecting");
		session_close(n);
		n->backoff_ms = BACKOFF_MIN_MS;
		schedule_reconnect(n);
	}
	pthread_mutex_unlock(&n->lock);
}

static void accept_event(void *arg, uint32_t events);

static void timer_event(void *arg, uint32_t events)
{
	struct virtio_net *n = arg;
	uint64_t exp;
	int fd, ret;

	(void)!read(n->timer_fd, &exp, sizeof(exp));
	pthread_mutex_lock(&n->lock);
	if (n->opts.server) {
		/* The accept pause is over: listen again. */
		if (n->listen_paused &&
		    !n->host.watch(n->host.watch_opaque, n->listen_fd, EPOLLIN, accept_event, n))
			n->listen_paused = false;
		else if (n->listen_paused)
			arm_timer(n);
	} else if (!n->vu) {
		ret = vhost_user_connect(n->opts.path, &fd);
		if (ret == 0)
			ret = session_open(n, fd);
		if (ret)
			schedule_reconnect(n);
	}
	pthread_mutex_unlock(&n->lock);
}

static void accept_event(void *arg, uint32_t events)
{
	struct virtio_net *n = arg;
	int fd = accept4(n->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED)
			return; /* nothing queued (any more) */
		/* Out of fds or memory: the connection stays queued and the
		 * socket readable, so the level-triggered event loop would spin
		 * on this error. Stop listening for a backoff instead. */
		pthread_mutex_lock(&n->lock);
		if (!n->warned_accept)
			pr_warn("%s: cannot accept a backend on '%s': %s (raise the open-files "
				"limit, ulimit -n, if it is EMFILE); retrying with a backoff",
				n->name, n->opts.path, strerror(err));
		n->warned_accept = true;
		if (!n->host.unwatch(n->host.watch_opaque, n->listen_fd))
			n->listen_paused = true;
		arm_timer(n);
		pthread_mutex_unlock(&n->lock);
		return;
	}
	pthread_mutex_lock(&n->lock);
	n->warned_accept = false;
	n->backoff_ms = BACKOFF_MIN_MS;
	if (n->vu) {
		pr_warn("%s: a second backend connected to '%s' while one is active; refused",
			n->name, n->opts.path);
		close(fd);
	} else if (session_open(n, fd)) {
		pr_warn("%s: backend handshake on '%s' failed; waiting for the next connection",
			n->name, n->opts.path);
	}
	pthread_mutex_unlock(&n->lock);
}

/* ---- control queue ---- */

/* Lock held. One control command: returns the ack to write. */
static uint8_t ctrl_command(struct virtio_net *n, const uint8_t *cmd, size_t len)
{
	struct virtio_net_ctrl_hdr h;
	uint16_t pairs;

	if (len < sizeof(h))
		return VIRTIO_NET_ERR;
	memcpy(&h, cmd, sizeof(h));
	if (h.class != VIRTIO_NET_CTRL_MQ || h.cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET ||
	    !(n->features & F(VIRTIO_NET_F_MQ)) || len < sizeof(h) + 2)
		return VIRTIO_NET_ERR;
	memcpy(&pairs, cmd + sizeof(h), 2);
	if (pairs < 1 || pairs > n->opts.queues)
		return VIRTIO_NET_ERR;
	n->pairs = pairs;
	if (n->started) {
		for (unsigned i = 0; i < 2 * n->opts.queues; i++) {
			if (!n->q[i].enabled)
				continue;
			if (vhost_user_set_vring_enable(n->vu, i, i < 2u * pairs)) {
				session_fail(n);
				break;
			}
		}
	}
	return VIRTIO_NET_OK;
}

/* Lock held. Walk one descriptor chain from `head`: gather up to
 * CTRL_CMD_MAX readable bytes, find the first writable byte. Every
 * descriptor is checked; the walk stops after `size` descriptors. */
static int ctrl_chain(struct virtio_net *n, uint16_t size, uint16_t head, uint8_t *cmd,
		      size_t *cmd_len, uint8_t **ack)
{
	uint16_t i = head;
	bool writable_seen = false;

	*cmd_len = 0;
	*ack = NULL;
	for (unsigned count = 0;; count++) {
		struct vring_desc d;
		void *p;

		if (i >= size || count >= size)
			return -EINVAL; /* out of range or a loop */
		memcpy(&d, &n->cdesc[i], sizeof(d));
		if (d.flags & VRING_DESC_F_INDIRECT)
			return -EINVAL; /* not negotiated */
		if (d.len) {
			p = guest_mem_ptr(n->host.pci.mem, d.addr, d.len);
			if (!p)
				return -EFAULT;
			if (d.flags & VRING_DESC_F_WRITE) {
				writable_seen = true;
				if (!*ack)
					*ack = p;
			} else if (writable_seen) {
				return -EINVAL; /* readable after writable */
			} else {
				size_t take = d.len;

				if (take > CTRL_CMD_MAX - *cmd_len)
					take = CTRL_CMD_MAX - *cmd_len;
				memcpy(cmd + *cmd_len, p, take);
				*cmd_len += take;
			}
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		i = d.next;
	}
	return *ack ? 0 : -EINVAL;
}

static void ctrl_process(struct virtio_net *n)
{
	const struct virtio_queue_info *q = &n->q[n->nq - 1];
	uint16_t size = q->size, avail_idx, used_idx;
	unsigned done = 0;

	if (!n->active || !n->has_ctrl || !q->enabled || n->ctrl_broken)
		return;
	avail_idx = atomic_load_explicit((_Atomic uint16_t *)&n->cavail->idx, memory_order_acquire);
	if ((uint16_t)(avail_idx - n->clast) > size) {
		if (!n->warned_ctrl)
			pr_warn(
			    "%s: control queue avail index %u is %u ahead of %u (size %u); device "
			    "needs reset",
			    n->name, avail_idx, (uint16_t)(avail_idx - n->clast), n->clast, size);
		goto broken;
	}
	used_idx = atomic_load_explicit((_Atomic uint16_t *)&n->cused->idx, memory_order_relaxed);
	while (n->clast != avail_idx) {
		uint16_t head = n->cavail->ring[n->clast % size];
		uint8_t cmd[CTRL_CMD_MAX], *ack;
		size_t len;
		int ret = ctrl_chain(n, size, head, cmd, &len, &ack);

		if (ret) {
			if (!n->warned_ctrl)
				pr_warn(
				    "%s: control queue descriptor chain at head %u is malformed "
				    "(%s); device needs reset (logged once per device)",
				    n->name, head, strerror(-ret));
			goto broken;
		}
		*ack = ctrl_command(n, cmd, len);
		n->cused->ring[used_idx % size].id = head;
		n->cused->ring[used_idx % size].len = 1;
		used_idx++;
		n->clast++;
		done++;
	}
	if (done) {
		atomic_store_explicit((_Atomic uint16_t *)&n->cused->idx, used_idx,
				      memory_order_release);
		(void)!eventfd_write(q->call_fd, 1);
	}
	return;
broken:
	n->warned_ctrl = true;
	n->ctrl_broken = true;
	virtio_pci_needs_reset(n->vp);
}

static void ctrl_event(void *arg, uint32_t events)
{
	struct virtio_net *n = arg;
	eventfd_t v;

	(void)!eventfd_read(virtio_pci_kick_fd(n->vp, n->nq - 1), &v);
	pthread_mutex_lock(&n->lock);
	ctrl_process(n);
	pthread_mutex_unlock(&n->lock);
}

/* ---- transport callbacks ---- */

static int net_activate(void *opaque, uint64_t features, const struct virtio_queue_info *q,
			unsigned nq)
{
	struct virtio_net *n = opaque;
	int ret = 0;

	pthread_mutex_lock(&n->lock);
	n->features = features;
	memcpy(n->q, q, nq * sizeof(*q));
	n->pairs = (features & F(VIRTIO_NET_F_MQ)) ? 1 : n->opts.queues;
	n->clast = 0;
	n->ctrl_broken = false;
	n->cdesc = NULL;
	if (n->has_ctrl && q[nq - 1].enabled) {
		const struct virtio_queue_info *c = &q[nq - 1];

		/* Whole rings were checked by the transport; keep pointers. */
		n->cdesc = guest_mem_ptr(n->host.pci.mem, c->desc, 16ull * c->size);
		n->cavail = guest_mem_ptr(n->host.pci.mem, c->avail, 6 + 2ull * c->size);
		n->cused = guest_mem_ptr(n->host.pci.mem, c->used, 6 + 8ull * c->size);
		if (!n->cdesc || !n->cavail || !n->cused)
			ret = -EFAULT;
	}
	if (!ret) {
		n->active = true;
		if (n->vu && start_backend(n) == -EOPNOTSUPP)
			session_fail(n);
	}
	pthread_mutex_unlock(&n->lock);
	return ret;
}

static void net_reset(void *opaque)
{
	struct virtio_net *n = opaque;

	pthread_mutex_lock(&n->lock);
	if (n->started && n->vu) {
		/* GET_VRING_BASE stops each ring in the backend. */
		for (unsigned i = 0; i < 2 * n->opts.queues; i++) {
			unsigned base;

			if (n->q[i].enabled && vhost_user_get_vring_base(n->vu, i, &base)) {
				session_fail(n);
				break;
			}
		}
	}
	n->started = false;
	n->active = false;
	n->features = 0;
	n->cdesc = NULL;
	pthread_mutex_unlock(&n->lock);
}

static const struct virtio_dev_ops net_ops = {
    .features = net_features,
    .cfg_read = net_cfg_read,
    .activate = net_activate,
    .reset = net_reset,
};

/* ---- construction ---- */

int virtio_net_create(const struct virtio_net_host *host, const struct virtio_net_opts *opts,
		      unsigned index, struct virtio_net **out)
{
	struct virtio_pci_desc d = {
	    .device_type = VIRTIO_ID_NET,
	    .queue_size_max = VIRTIO_NET_QUEUE_SIZE,
	    .device_cfg_len = NET_CFG_LEN,
	    .class_code = 0x020000, /* network, ethernet */
	};
	struct virtio_net *n;
	int ret, fd;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	pthread_mutex_init(&n->lock, NULL);
	n->host = *host;
	n->opts = *opts;
	n->listen_fd = n->timer_fd = -1;
	n->backoff_ms = BACKOFF_MIN_MS;
	snprintf(n->name, sizeof(n->name), "virtio-net%u", index);
	if (opts->has_mac) {
		memcpy(n->mac, opts->mac, 6);
	} else {
		uint32_t pid = (uint32_t)getpid();

		/* Locally administered, distinct per VMM process and device. */
		n->mac[0] = 0x52;
		n->mac[1] = 0x54;
		n->mac[2] = (uint8_t)(pid >> 16);
		n->mac[3] = (uint8_t)(pid >> 8);
		n->mac[4] = (uint8_t)pid;
		n->mac[5] = (uint8_t)index;
	}
	n->has_ctrl = opts->queues > 1;
	n->nq = 2 * opts->queues + (n->has_ctrl ? 1 : 0);
	d.name = n->name;
	d.num_queues = n->nq;
	ret = virtio_pci_create(&host->pci, &d, &net_ops, n, &n->vp);
	if (ret)
		goto err_free;
	if (n->has_ctrl) {
		ret = host->watch(host->watch_opaque, virtio_pci_kick_fd(n->vp, n->nq - 1), EPOLLIN,
				  ctrl_event, n);
		if (ret)
			goto err_vp;
	}
	n->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (n->timer_fd < 0) {
		ret = -errno;
		goto err_ctrl;
	}
	ret = host->watch(host->watch_opaque, n->timer_fd, EPOLLIN, timer_event, n);
	if (ret)
		goto err_timer;
	if (opts->server) {
		ret = vhost_user_listen(opts->path, &n->listen_fd);
		if (ret)
			goto err_timer_watch;
		ret = host->watch(host->watch_opaque, n->listen_fd, EPOLLIN, accept_event, n);
		if (ret)
			goto err_listen;
		pr_info("%s: waiting for a vhost-user backend on '%s'", n->name, opts->path);
	} else {
		pthread_mutex_lock(&n->lock);
		ret = vhost_user_connect(opts->path, &fd);
		if (ret == 0)
			ret = session_open(n, fd);
		if (ret) {
			pr_warn("%s: no vhost-user backend at '%s' yet (%s); link down, retrying",
				n->name, opts->path, strerror(-ret));
			schedule_reconnect(n);
		}
		pthread_mutex_unlock(&n->lock);
	}
	*out = n;
	return 0;

err_listen:
	close(n->listen_fd);
	unlink(opts->path);
err_timer_watch:
	host->unwatch(host->watch_opaque, n->timer_fd);
err_timer:
	close(n->timer_fd);
err_ctrl:
	if (n->has_ctrl)
		host->unwatch(host->watch_opaque, virtio_pci_kick_fd(n->vp, n->nq - 1));
err_vp:
	virtio_pci_destroy(n->vp);
err_free:
	pthread_mutex_destroy(&n->lock);
	free(n);
	return ret;
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	session_close(n);
	pthread_mutex_unlock(&n->lock);
	if (n->listen_fd >= 0) {
		if (!n->listen_paused)
			n->host.unwatch(n->host.watch_opaque, n->listen_fd);
		close(n->listen_fd);
		unlink(n->opts.path);
	}
	if (n->timer_fd >= 0) {
		n->host.unwatch(n->host.watch_opaque, n->timer_fd);
		close(n->timer_fd);
	}
	if (n->has_ctrl)
		n->host.unwatch(n->host.watch_opaque, virtio_pci_kick_fd(n->vp, n->nq - 1));
	virtio_pci_destroy(n->vp);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

bool virtio_net_link_up(struct virtio_net *n)
{
	bool up;

	pthread_mutex_lock(&n->lock);
	up = n->link_up;
	pthread_mutex_unlock(&n->lock);
	return up;
}

unsigned virtio_net_sessions(struct virtio_net *n)
{
	unsigned s;

	pthread_mutex_lock(&n->lock);
	s = n->sessions;
	pthread_mutex_unlock(&n->lock);
	return s;
}

unsigned virtio_net_pairs_enabled(struct virtio_net *n)
{
	unsigned p;

	pthread_mutex_lock(&n->lock);
	p = n->pairs;
	pthread_mutex_unlock(&n->lock);
	return p;
}

struct virtio_pci *virtio_net_transport(struct virtio_net *n)
{
	return n->vp;
}
