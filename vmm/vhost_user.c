// SPDX-License-Identifier: MIT
/* vhost-user frontend: message encoding, strict reply checks, socket roles. */
#define LOG_PREFIX "vhost-user"
#include "vmm/vhost_user.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "common/log.h"

struct vhost_user {
	int fd;
	int timeout_ms;	 /* give up on a reply after this long */
	int progress_ms; /* "still waiting" warning interval */
	char peer[128];	 /* names the backend in those warnings */
	bool reply_ack;	 /* REPLY_ACK negotiated */
	bool proto;	 /* VHOST_USER_F_PROTOCOL_FEATURES acked in SET_FEATURES */
	bool have_proto; /* backend offered protocol features */
	struct vhost_user_abort abort;
};

static const char *const req_names[] = {
    [VHOST_USER_GET_FEATURES] = "GET_FEATURES",
    [VHOST_USER_SET_FEATURES] = "SET_FEATURES",
    [VHOST_USER_SET_OWNER] = "SET_OWNER",
    [VHOST_USER_RESET_OWNER] = "RESET_OWNER",
    [VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
    [VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
    [VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
    [VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
    [VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
    [VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
    [VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
    [VHOST_USER_SET_VRING_ERR] = "SET_VRING_ERR",
    [VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
    [VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
    [VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
    [VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
};

static const char *req_name(uint32_t r)
{
	if (r < sizeof(req_names) / sizeof(req_names[0]) && req_names[r])
		return req_names[r];
	return "UNKNOWN";
}

int vhost_user_encode(uint8_t *buf, size_t buflen, uint32_t request, uint32_t flags,
		      const void *payload, uint32_t size)
{
	struct vhost_user_hdr h = {
	    .request = request,
	    .flags = (flags & ~VHOST_USER_VERSION_MASK) | VHOST_USER_VERSION,
	    .size = size,
	};

	if (size > VHOST_USER_PAYLOAD_MAX || buflen < VHOST_USER_HDR_SIZE + (size_t)size)
		return -EINVAL;
	memcpy(buf, &h, sizeof(h));
	if (size)
		memcpy(buf + VHOST_USER_HDR_SIZE, payload, size);
	return (int)(VHOST_USER_HDR_SIZE + size);
}

int vhost_user_check_reply(const struct vhost_user_hdr *hdr, uint32_t request, uint32_t expect_size)
{
	if (hdr->request != request) {
		pr_err("reply to %s carries request id %u; the backend is out of sync",
		       req_name(request), hdr->request);
		return -EPROTO;
	}
	if (hdr->flags != (VHOST_USER_VERSION | VHOST_USER_REPLY)) {
		pr_err("reply to %s has flags %#x, expected %#x (version 1, reply); the backend "
		       "speaks another protocol version",
		       req_name(request), hdr->flags, VHOST_USER_VERSION | VHOST_USER_REPLY);
		return -EPROTO;
	}
	if (hdr->size > VHOST_USER_PAYLOAD_MAX ||
	    (expect_size != UINT32_MAX && hdr->size != expect_size)) {
		pr_err("reply to %s has a %u-byte payload, expected %u", req_name(request),
		       hdr->size, expect_size == UINT32_MAX ? VHOST_USER_PAYLOAD_MAX : expect_size);
		return -EPROTO;
	}
	return 0;
}

/* ---- sockets ---- */

static int fill_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		pr_err("socket path '%s' is longer than %zu bytes; use a shorter path", path,
		       sizeof(sa->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

int vhost_user_connect(const char *path, int *fd)
{
	struct sockaddr_un sa;
	int s, ret;

	ret = fill_addr(path, &sa);
	if (ret)
		return ret;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		close(s);
		return ret;
	}
	*fd = s;
	return 0;
}

int vhost_user_listen(const char *path, int *fd)
{
	struct sockaddr_un sa;
	struct stat st;
	int s, ret;

	ret = fill_addr(path, &sa);
	if (ret)
		return ret;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			pr_err("'%s' exists and is not a socket; remove it or pick another path",
			       path);
			return -EEXIST;
		}
		unlink(path); /* stale socket of an earlier run */
	}
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0) {
		ret = -errno;
		pr_err("cannot listen on '%s': %s", path, strerror(-ret));
		close(s);
		return ret;
	}
	*fd = s;
	return 0;
}

/* ---- session ---- */

int vhost_user_open(int fd, int timeout_ms, struct vhost_user **out)
{
	struct vhost_user *vu = calloc(1, sizeof(*vu));

	if (!vu) {
		close(fd);
		return -ENOMEM;
	}
	vu->fd = fd;
	vu->timeout_ms = timeout_ms;
	vu->progress_ms = VHOST_USER_PROGRESS_MS;
	strcpy(vu->peer, "the backend");
	*out = vu;
	return 0;
}

void vhost_user_set_progress(struct vhost_user *vu, int every_ms, const char *peer)
{
	if (every_ms > 0)
		vu->progress_ms = every_ms;
	snprintf(vu->peer, sizeof(vu->peer), "%s", peer);
}

void vhost_user_set_abort(struct vhost_user *vu, const struct vhost_user_abort *abort)
{
	vu->abort = *abort;
	if (vu->abort.n_fds > 2)
		vu->abort.n_fds = 2;
}

void vhost_user_close(struct vhost_user *vu)
{
	if (!vu)
		return;
	close(vu->fd);
	free(vu);
}

int vhost_user_fd(const struct vhost_user *vu)
{
	return vu->fd;
}

int vhost_user_check_idle(const struct vhost_user *vu)
{
	char c;
	ssize_t n = recv(vu->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n > 0)
		return -EPROTO;
	if (n == 0)
		return -ECONNRESET;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	return -errno;
}

static int send_msg(struct vhost_user *vu, uint32_t request, uint32_t flags, const void *payload,
		    uint32_t size, const int *fds, unsigned nfds)
{
	uint8_t buf[VHOST_USER_HDR_SIZE + VHOST_USER_PAYLOAD_MAX];
	union {
		char b[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	int len = vhost_user_encode(buf, sizeof(buf), request, flags, payload, size);
	ssize_t n;

	if (len < 0 || nfds > VHOST_USER_MAX_FDS)
		return -EINVAL;
	iov.iov_base = buf;
	iov.iov_len = (size_t)len;
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do {
		n = sendmsg(vu->fd, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = errno;

		pr_err("sending %s: %s", req_name(request), strerror(err));
		return (err == EPIPE || err == ECONNRESET) ? -ECONNRESET : -err;
	}
	if (n != len) {
		/* Unix stream sockets send small messages whole; a short send
		 * means the peer went away mid-message. */
		pr_err("sending %s: short write (%zd of %d bytes)", req_name(request), n, len);
		return -ECONNRESET;
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The wait for one reply: when it started, when the next "still waiting"
 * warning is due. */
struct reply_wait {
	int64_t start, next_note;
};

/* Whether the VMM is stopping: an abort fd is readable (readable = 1 from
 * poll), or a signal interrupted the wait and stopping() says so. */
static bool aborted(struct vhost_user *vu, const struct pollfd *p, bool interrupted)
{
	for (unsigned i = 1; i <= vu->abort.n_fds; i++)
		if (p[i].revents & POLLIN)
			return true;
	return interrupted && vu->abort.stopping && vu->abort.stopping(vu->abort.opaque);
}

/* Wait until the socket is readable (1), -ETIMEDOUT once the reply is
 * timeout_ms late, or -ECANCELED when the VMM is stopping. A late reply is
 * logged every progress_ms: a backend in a loaded host (OVS waiting for
 * DPDK's memory lock, a nested TCG tier) can take minutes and still
 * answer. */
static int wait_readable(struct vhost_user *vu, uint32_t request, struct reply_wait *w)
{
	if (vu->abort.stopping && vu->abort.stopping(vu->abort.opaque))
		return -ECANCELED;
	for (;;) {
		struct pollfd p[3] = {
		    {.fd = vu->fd, .events = POLLIN},
		    {.fd = vu->abort.fds[0], .events = POLLIN},
		    {.fd = vu->abort.fds[1], .events = POLLIN},
		};
		nfds_t n = 1 + vu->abort.n_fds;
		int64_t waited = now_ms() - w->start, until;
		int r;

		if (waited >= vu->timeout_ms) {
			pr_err("no reply to %s from %s within %d ms; the backend is stuck (see its "
			       "log); dropping the session to reconnect",
			       req_name(request), vu->peer, vu->timeout_ms);
			return -ETIMEDOUT;
		}
		if (waited >= w->next_note - w->start) {
			pr_warn("still waiting for the reply to %s from %s: %lld s so far; the "
				"connection is open, so it may only be slow (a loaded host); "
				"giving up after %d s",
				req_name(request), vu->peer, (long long)(waited / 1000),
				vu->timeout_ms / 1000);
			w->next_note += vu->progress_ms;
			continue;
		}
		until = w->next_note - w->start;
		if (until > vu->timeout_ms)
			until = vu->timeout_ms;
		r = poll(p, n, (int)(until - waited));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (aborted(vu, p, r < 0)) {
			pr_warn("stopping: no longer waiting for the reply to %s from %s",
				req_name(request), vu->peer);
			return -ECANCELED;
		}
		if (r > 0 && p[0].revents)
			return 1;
	}
}

/* Read exactly len bytes before the reply is timeout_ms late. Any fd that
 * arrives is closed and makes the reply malformed (replies we handle never
 * carry fds). */
static int recv_exact(struct vhost_user *vu, uint32_t request, void *buf, size_t len,
		      struct reply_wait *w)
{
	size_t got = 0;
	bool fds_seen = false;

	while (got < len) {
		union {
			char b[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = {.iov_base = (uint8_t *)buf + got, .iov_len = len - got};
		struct msghdr mh = {
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		    .msg_control = ctl.b,
		    .msg_controllen = sizeof(ctl.b),
		};
		ssize_t n;
		int r;

		r = wait_readable(vu, request, w);
		if (r < 0)
			return r;
		n = recvmsg(vu->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			pr_err("reading the reply to %s: %s", req_name(request), strerror(errno));
			return -ECONNRESET;
		}
		if (n == 0) {
			pr_err("backend closed the connection while we waited for the reply to %s",
			       req_name(request));
			return -ECONNRESET;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				int fd;

				for (size_t i = 0; i < nfd; i++) {
					memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
					close(fd);
				}
				fds_seen = true;
			}
		}
		if (mh.msg_flags & MSG_CTRUNC)
			fds_seen = true;
		got += (size_t)n;
	}
	if (fds_seen) {
		pr_err("reply to %s carried file descriptors; refused", req_name(request));
		return -EPROTO;
	}
	return 0;
}

/* Receive the reply to `request` with exactly `size` payload bytes. */
static int recv_reply(struct vhost_user *vu, uint32_t request, void *payload, uint32_t size)
{
	struct vhost_user_hdr h;
	struct reply_wait w;
	int ret;

	w.start = now_ms();
	w.next_note = w.start + vu->progress_ms;
	ret = recv_exact(vu, request, &h, sizeof(h), &w);
	if (ret)
		return ret;
	ret = vhost_user_check_reply(&h, request, size);
	if (ret)
		return ret;
	return size ? recv_exact(vu, request, payload, size, &w) : 0;
}

static int get_u64(struct vhost_user *vu, uint32_t request, uint64_t *val)
{
	int ret = send_msg(vu, request, 0, NULL, 0, NULL, 0);

	if (ret)
		return ret;
	return recv_reply(vu, request, val, sizeof(*val));
}

/* A request without a reply of its own: with REPLY_ACK, ask for the ack. */
static int set_msg(struct vhost_user *vu, uint32_t request, const void *payload, uint32_t size,
		   const int *fds, unsigned nfds)
{
	uint64_t ack;
	int ret;

	ret = send_msg(vu, request, vu->reply_ack ? VHOST_USER_NEED_REPLY : 0, payload, size, fds,
		       nfds);
	if (ret || !vu->reply_ack)
		return ret;
	ret = recv_reply(vu, request, &ack, sizeof(ack));
	if (ret)
		return ret;
	if (ack != 0) {
		pr_err("backend refused %s (ack %#llx)", req_name(request),
		       (unsigned long long)ack);
		return -EIO;
	}
	return 0;
}

int vhost_user_get_features(struct vhost_user *vu, uint64_t *features)
{
	int ret = get_u64(vu, VHOST_USER_GET_FEATURES, features);

	if (!ret)
		vu->have_proto = *features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
	return ret;
}

int vhost_user_set_features(struct vhost_user *vu, uint64_t features)
{
	int ret = set_msg(vu, VHOST_USER_SET_FEATURES, &features, sizeof(features), NULL, 0);

	if (!ret)
		vu->proto = features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
	return ret;
}

int vhost_user_get_protocol_features(struct vhost_user *vu, uint64_t *features)
{
	return get_u64(vu, VHOST_USER_GET_PROTOCOL_FEATURES, features);
}

int vhost_user_set_protocol_features(struct vhost_user *vu, uint64_t features)
{
	/* The ack for this very message is not requested: REPLY_ACK takes
	 * effect for the messages after it. */
	int ret =
	    send_msg(vu, VHOST_USER_SET_PROTOCOL_FEATURES, 0, &features, sizeof(features), NULL, 0);

	if (!ret)
		vu->reply_ack = features & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK);
	return ret;
}

int vhost_user_set_owner(struct vhost_user *vu)
{
	return set_msg(vu, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0);
}

int vhost_user_get_queue_num(struct vhost_user *vu, uint64_t *num)
{
	return get_u64(vu, VHOST_USER_GET_QUEUE_NUM, num);
}

int vhost_user_set_mem_table(struct vhost_user *vu, const struct mem_region *regions, size_t n)
{
	struct vhost_user_mem_table t;
	int fds[VHOST_USER_MAX_REGIONS];

	if (n == 0 || n > VHOST_USER_MAX_REGIONS)
		return -EINVAL;
	memset(&t, 0, sizeof(t));
	t.nregions = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		if (regions[i].fd < 0 || !regions[i].size)
			return -EINVAL;
		t.regions[i].guest_phys_addr = regions[i].gpa;
		t.regions[i].memory_size = regions[i].size;
		t.regions[i].userspace_addr = (uint64_t)(uintptr_t)regions[i].hva;
		t.regions[i].mmap_offset = regions[i].fd_offset;
		fds[i] = regions[i].fd;
	}
	/* The payload is the header plus n regions (QEMU and DPDK agree). */
	return set_msg(vu, VHOST_USER_SET_MEM_TABLE, &t,
		       (uint32_t)(8 + n * sizeof(struct vhost_user_region)), fds, (unsigned)n);
}

static int set_state(struct vhost_user *vu, uint32_t request, unsigned idx, unsigned num)
{
	struct vhost_user_vring_state s = {.index = idx, .num = num};

	return set_msg(vu, request, &s, sizeof(s), NULL, 0);
}

int vhost_user_set_vring_num(struct vhost_user *vu, unsigned idx, unsigned num)
{
	return set_state(vu, VHOST_USER_SET_VRING_NUM, idx, num);
}

int vhost_user_set_vring_base(struct vhost_user *vu, unsigned idx, unsigned base)
{
	return set_state(vu, VHOST_USER_SET_VRING_BASE, idx, base);
}

int vhost_user_set_vring_enable(struct vhost_user *vu, unsigned idx, bool enable)
{
	return set_state(vu, VHOST_USER_SET_VRING_ENABLE, idx, enable);
}

int vhost_user_set_vring_addr(struct vhost_user *vu, unsigned idx, uint64_t desc, uint64_t avail,
			      uint64_t used)
{
	struct vhost_user_vring_addr a = {
	    .index = idx,
	    .desc_user_addr = desc,
	    .used_user_addr = used,
	    .avail_user_addr = avail,
	};

	return set_msg(vu, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
}

int vhost_user_get_vring_base(struct vhost_user *vu, unsigned idx, unsigned *base)
{
	struct vhost_user_vring_state s = {.index = idx};
	int ret;

	ret = send_msg(vu, VHOST_USER_GET_VRING_BASE, 0, &s, sizeof(s), NULL, 0);
	if (ret)
		return ret;
	ret = recv_reply(vu, VHOST_USER_GET_VRING_BASE, &s, sizeof(s));
	if (ret)
		return ret;
	if (s.index != idx || s.num > 0xffff) {
		pr_err("GET_VRING_BASE for ring %u answered ring %u base %u; refused", idx, s.index,
		       s.num);
		return -EPROTO;
	}
	*base = s.num;
	return 0;
}

static int set_vring_fd(struct vhost_user *vu, uint32_t request, unsigned idx, int fd)
{
	uint64_t v = idx & VHOST_USER_VRING_IDX_MASK;

	if (fd < 0) {
		v |= VHOST_USER_VRING_NOFD;
		return set_msg(vu, request, &v, sizeof(v), NULL, 0);
	}
	return set_msg(vu, request, &v, sizeof(v), &fd, 1);
}

int vhost_user_set_vring_kick(struct vhost_user *vu, unsigned idx, int fd)
{
	return set_vring_fd(vu, VHOST_USER_SET_VRING_KICK, idx, fd);
}

int vhost_user_set_vring_call(struct vhost_user *vu, unsigned idx, int fd)
{
	return set_vring_fd(vu, VHOST_USER_SET_VRING_CALL, idx, fd);
}

int vhost_user_handshake(struct vhost_user *vu, uint64_t want_proto, uint64_t *features,
			 uint64_t *proto, uint64_t *queue_num)
{
	int ret;

	*proto = 0;
	*queue_num = 1;
	ret = vhost_user_get_features(vu, features);
	if (ret)
		return ret;
	if (vu->have_proto) {
		uint64_t offered;

		ret = vhost_user_get_protocol_features(vu, &offered);
		if (ret)
			return ret;
		*proto = offered & want_proto;
		ret = vhost_user_set_protocol_features(vu, *proto);
		if (ret)
			return ret;
		if (*proto & (1ull << VHOST_USER_PROTOCOL_F_MQ)) {
			ret = vhost_user_get_queue_num(vu, queue_num);
			if (ret)
				return ret;
			if (*queue_num == 0) {
				pr_err("backend reports 0 queues; it is misconfigured");
				return -EPROTO;
			}
		}
	}
	return vhost_user_set_owner(vu);
}

int vhost_user_start(struct vhost_user *vu, uint64_t features, const struct mem_region *regions,
		     size_t nregions, const struct vhost_user_vring *rings, unsigned nrings)
{
	int ret;

	ret = vhost_user_set_features(vu, features);
	if (ret)
		return ret;
	ret = vhost_user_set_mem_table(vu, regions, nregions);
	if (ret)
		return ret;
	for (unsigned i = 0; i < nrings; i++) {
		const struct vhost_user_vring *r = &rings[i];

		if (!r->num)
			continue; /* the guest never set this ring up */
		ret = vhost_user_set_vring_num(vu, i, r->num);
		if (!ret)
			ret = vhost_user_set_vring_base(vu, i, r->base);
		if (!ret)
			ret = vhost_user_set_vring_addr(vu, i, r->desc, r->avail, r->used);
		if (!ret)
			ret = vhost_user_set_vring_kick(vu, i, r->kick_fd);
		if (!ret)
			ret = vhost_user_set_vring_call(vu, i, r->call_fd);
		if (!ret && vu->proto)
			ret = vhost_user_set_vring_enable(vu, i, r->enabled);
		if (ret)
			return ret;
	}
	return 0;
}
