/* SPDX-License-Identifier: MIT */
/* vhost-user frontend against an in-process fake backend over a
 * socketpair: the normal handshake and start sequence, then malformed
 * replies and mid-handshake closes (clean error, no fd or memory leak),
 * slow backends (waited for, with progress warnings) and stuck ones. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "vmm/vhost_user.h"

enum fault {
	F_NONE,
	F_BAD_REQUEST_ID,
	F_BAD_VERSION,
	F_NO_REPLY_FLAG,
	F_EXTRA_FLAG,
	F_SHORT_SIZE,
	F_LONG_SIZE,
	F_HUGE_SIZE,
	F_WITH_FD,
	F_TRUNCATED,   /* header, half the payload, close */
	F_CLOSE,       /* close instead of replying */
	F_SILENT,      /* never reply (timeout) */
	F_NACK,	       /* REPLY_ACK with a non-zero status */
	F_WRONG_INDEX, /* GET_VRING_BASE answers another ring */
	F_ZERO_QUEUES,
	F_SLOW,	   /* a correct reply after delay_ms */
	F_TRICKLE, /* the header, then one payload byte per delay_ms */
};

#define LOG_MAX 64

struct fake {
	int fd;
	pthread_t thread;
	/* Script: fault applies to the reply for request `fault_on`. */
	enum fault fault;
	uint32_t fault_on;
	int close_after; /* close after this many messages (0: never) */
	int delay_ms;	 /* F_SLOW, F_TRICKLE */
	uint64_t features, proto;
	/* Log of what the frontend sent. */
	int n;
	uint32_t req[LOG_MAX], flags[LOG_MAX], size[LOG_MAX];
	int nfds[LOG_MAX];
	uint8_t payload[LOG_MAX][256];
};

static ssize_t recv_with_fds(int fd, void *buf, size_t len, int *nfds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr a;
	} ctl;
	struct iovec iov = {buf, len};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b)};
	ssize_t n = recvmsg(fd, &mh, MSG_WAITALL);

	*nfds = 0;
	if (n <= 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (size_t i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(f); /* the backend would mmap / poll it; we only count */
		}
		*nfds += (int)k;
	}
	return n;
}

static void send_raw(int fd, uint32_t req, uint32_t flags, uint32_t size, const void *p,
		     size_t plen, int pass_fd)
{
	uint8_t buf[64];
	struct vhost_user_hdr h = {req, flags, size};
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr a;
	} ctl;
	struct iovec iov = {buf, sizeof(h) + plen};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	memcpy(buf, &h, sizeof(h));
	if (plen)
		memcpy(buf + sizeof(h), p, plen);
	if (pass_fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	(void)!sendmsg(fd, &mh, MSG_NOSIGNAL);
}

/* Reply to `req` with an 8-byte payload, applying the scripted fault. */
static bool reply(struct fake *f, uint32_t req, const void *p, uint32_t size)
{
	uint32_t fl = VHOST_USER_VERSION | VHOST_USER_REPLY;
	enum fault x = f->fault_on == req ? f->fault : F_NONE;
	int efd;

	switch (x) {
	case F_BAD_REQUEST_ID:
		send_raw(f->fd, req + 1, fl, size, p, size, -1);
		break;
	case F_BAD_VERSION:
		send_raw(f->fd, req, 2 | VHOST_USER_REPLY, size, p, size, -1);
		break;
	case F_NO_REPLY_FLAG:
		send_raw(f->fd, req, VHOST_USER_VERSION, size, p, size, -1);
		break;
	case F_EXTRA_FLAG:
		send_raw(f->fd, req, fl | VHOST_USER_NEED_REPLY, size, p, size, -1);
		break;
	case F_SHORT_SIZE:
		send_raw(f->fd, req, fl, size - 4, p, size - 4, -1);
		break;
	case F_LONG_SIZE:
		send_raw(f->fd, req, fl, size + 8, p, size, -1);
		send_raw(f->fd, 0, 0, 0, NULL, 0, -1); /* 12 more bytes */
		break;
	case F_HUGE_SIZE:
		send_raw(f->fd, req, fl, 0xffffffffu, p, size, -1);
		break;
	case F_WITH_FD:
		efd = eventfd(0, EFD_CLOEXEC);
		send_raw(f->fd, req, fl, size, p, size, efd);
		close(efd);
		break;
	case F_TRUNCATED:
		send_raw(f->fd, req, fl, size, p, size / 2, -1);
		return false;
	case F_CLOSE:
		return false;
	case F_SILENT:
		break;
	case F_SLOW:
		usleep((useconds_t)f->delay_ms * 1000);
		send_raw(f->fd, req, fl, size, p, size, -1);
		break;
	case F_TRICKLE:
		send_raw(f->fd, req, fl, size, NULL, 0, -1);
		for (uint32_t b = 0; b < size; b++) {
			usleep((useconds_t)f->delay_ms * 1000);
			if (send(f->fd, (const uint8_t *)p + b, 1, MSG_NOSIGNAL) != 1)
				return false;
		}
		break;
	default:
		send_raw(f->fd, req, fl, size, p, size, -1);
	}
	return true;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	for (;;) {
		struct vhost_user_hdr h;
		uint8_t payload[VHOST_USER_PAYLOAD_MAX];
		int nfds, i = f->n;
		uint64_t v;
		struct vhost_user_vring_state st;
		ssize_t n = recv_with_fds(f->fd, &h, sizeof(h), &nfds);

		if (n != (ssize_t)sizeof(h))
			break;
		if (h.size > sizeof(payload) ||
		    (h.size && recv(f->fd, payload, h.size, MSG_WAITALL) != (ssize_t)h.size))
			break;
		if (i < LOG_MAX) {
			f->req[i] = h.request;
			f->flags[i] = h.flags;
			f->size[i] = h.size;
			f->nfds[i] = nfds;
			memcpy(f->payload[i], payload, h.size < 256 ? h.size : 256);
			f->n++;
		}
		if (f->close_after && f->n >= f->close_after)
			break;
		switch (h.request) {
		case VHOST_USER_GET_FEATURES:
			v = f->features;
			if (!reply(f, h.request, &v, 8))
				goto out;
			continue;
		case VHOST_USER_GET_PROTOCOL_FEATURES:
			v = f->proto;
			if (!reply(f, h.request, &v, 8))
				goto out;
			continue;
		case VHOST_USER_GET_QUEUE_NUM:
			v = f->fault == F_ZERO_QUEUES ? 0 : 4;
			if (!reply(f, h.request, &v, 8))
				goto out;
			continue;
		case VHOST_USER_GET_VRING_BASE:
			memcpy(&st, payload, sizeof(st));
			if (f->fault == F_WRONG_INDEX)
				st.index++;
			st.num = 77;
			if (!reply(f, h.request, &st, sizeof(st)))
				goto out;
			continue;
		default:
			break;
		}
		if (h.flags & VHOST_USER_NEED_REPLY) {
			v = (f->fault == F_NACK && f->fault_on == h.request) ? 1 : 0;
			if (!reply(f, h.request, &v, 8))
				goto out;
		}
	}
out:
	close(f->fd);
	return NULL;
}

#define FEAT_VERSION_1 (1ull << 32)
#define FEAT_MRG_RXBUF (1ull << 15)
#define FEAT_PROTO     (1ull << VHOST_USER_F_PROTOCOL_FEATURES)
#define PROTO_WANT     ((1ull << VHOST_USER_PROTOCOL_F_MQ) | (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK))

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

struct env {
	struct fake f;
	struct vhost_user *vu;
	int fds_before;
};

static void start_fake(struct env *e, enum fault fault, uint32_t on, int timeout_ms)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	e->f.fd = sv[1];
	e->f.fault = fault;
	e->f.fault_on = on;
	if (!e->f.features)
		e->f.features = FEAT_VERSION_1 | FEAT_MRG_RXBUF | FEAT_PROTO;
	if (!e->f.proto)
		e->f.proto = PROTO_WANT | (1ull << 1);
	assert_int_equal(pthread_create(&e->f.thread, NULL, fake_main, &e->f), 0);
	assert_int_equal(vhost_user_open(sv[0], timeout_ms, &e->vu), 0);
}

static void stop_fake(struct env *e)
{
	vhost_user_close(e->vu);
	e->vu = NULL;
	pthread_join(e->f.thread, NULL);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->fds_before = count_fds();
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	if (e->vu)
		stop_fake(e);
	/* Every fd we (or a malformed reply) opened is closed again. */
	assert_int_equal(count_fds(), e->fds_before);
	free(e);
	return 0;
}

static void test_encode_and_check(void **state)
{
	uint8_t buf[VHOST_USER_HDR_SIZE + VHOST_USER_PAYLOAD_MAX];
	struct vhost_user_hdr h;
	uint64_t v = 0x1122334455667788ull;

	assert_int_equal(vhost_user_encode(buf, sizeof(buf), VHOST_USER_SET_FEATURES, 0, &v, 8),
			 20);
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.request, VHOST_USER_SET_FEATURES);
	assert_int_equal(h.flags, VHOST_USER_VERSION);
	assert_int_equal(h.size, 8);
	assert_memory_equal(buf + 12, &v, 8);
	/* Version bits are always ours, whatever the caller passes. */
	vhost_user_encode(buf, sizeof(buf), 1, 3 | VHOST_USER_NEED_REPLY, NULL, 0);
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.flags, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY);
	assert_int_equal(vhost_user_encode(buf, sizeof(buf), 1, 0, buf, VHOST_USER_PAYLOAD_MAX + 1),
			 -EINVAL);
	assert_int_equal(vhost_user_encode(buf, 15, 1, 0, &v, 8), -EINVAL);

	h = (struct vhost_user_hdr){1, VHOST_USER_VERSION | VHOST_USER_REPLY, 8};
	assert_int_equal(vhost_user_check_reply(&h, 1, 8), 0);
	assert_int_equal(vhost_user_check_reply(&h, 2, 8), -EPROTO);
	assert_int_equal(vhost_user_check_reply(&h, 1, 16), -EPROTO);
	assert_int_equal(vhost_user_check_reply(&h, 1, UINT32_MAX), 0);
	h.size = VHOST_USER_PAYLOAD_MAX + 1;
	assert_int_equal(vhost_user_check_reply(&h, 1, UINT32_MAX), -EPROTO);
	h = (struct vhost_user_hdr){1, VHOST_USER_VERSION, 8};
	assert_int_equal(vhost_user_check_reply(&h, 1, 8), -EPROTO);
	h.flags = 2 | VHOST_USER_REPLY;
	assert_int_equal(vhost_user_check_reply(&h, 1, 8), -EPROTO);
}

static void test_handshake_and_start(void **state)
{
	struct env *e = *state;
	uint64_t feat, proto, nq;
	int memfd = memfd_create("ram", MFD_CLOEXEC), kick = eventfd(0, EFD_CLOEXEC),
	    call = eventfd(0, EFD_CLOEXEC);
	struct mem_region regs[2] = {
	    {.gpa = 0, .size = 0x1000, .hva = (void *)0x7f0000000000ull, .fd = memfd},
	    {.gpa = 0x100000000ull,
	     .size = 0x2000,
	     .hva = (void *)0x7f0000001000ull,
	     .fd = memfd,
	     .fd_offset = 0x1000},
	};
	struct vhost_user_vring rings[3] = {
	    {.num = 256,
	     .desc = 0x1000,
	     .avail = 0x2000,
	     .used = 0x3000,
	     .base = 5,
	     .kick_fd = kick,
	     .call_fd = call,
	     .enabled = true},
	    {.num = 0}, /* not set up by the guest: skipped */
	    {.num = 128,
	     .desc = 0x4000,
	     .avail = 0x5000,
	     .used = 0x6000,
	     .kick_fd = -1,
	     .call_fd = call,
	     .enabled = false},
	};
	unsigned base;
	int i;

	start_fake(e, F_NONE, 0, 1000);
	assert_int_equal(vhost_user_handshake(e->vu, PROTO_WANT, &feat, &proto, &nq), 0);
	assert_int_equal(feat, FEAT_VERSION_1 | FEAT_MRG_RXBUF | FEAT_PROTO);
	assert_int_equal(proto, PROTO_WANT); /* bit 1 offered but not wanted */
	assert_int_equal(nq, 4);
	assert_int_equal(vhost_user_start(e->vu, FEAT_VERSION_1 | FEAT_PROTO, regs, 2, rings, 3),
			 0);
	assert_int_equal(vhost_user_get_vring_base(e->vu, 2, &base), 0);
	assert_int_equal(base, 77);
	stop_fake(e);

	/* The wire conversation, message by message. */
	i = 0;
	assert_int_equal(e->f.req[i++], VHOST_USER_GET_FEATURES);
	assert_int_equal(e->f.req[i++], VHOST_USER_GET_PROTOCOL_FEATURES);
	assert_int_equal(e->f.req[i], VHOST_USER_SET_PROTOCOL_FEATURES);
	assert_int_equal(e->f.flags[i], VHOST_USER_VERSION); /* no ack asked for this one */
	i++;
	assert_int_equal(e->f.req[i++], VHOST_USER_GET_QUEUE_NUM);
	assert_int_equal(e->f.req[i], VHOST_USER_SET_OWNER);
	assert_int_equal(e->f.flags[i], VHOST_USER_VERSION | VHOST_USER_NEED_REPLY);
	i++;
	assert_int_equal(e->f.req[i++], VHOST_USER_SET_FEATURES);
	assert_int_equal(e->f.req[i], VHOST_USER_SET_MEM_TABLE);
	assert_int_equal(e->f.nfds[i], 2);
	assert_int_equal(e->f.size[i], 8 + 2 * 32);
	{
		struct vhost_user_mem_table t;

		memcpy(&t, e->f.payload[i], 8 + 2 * 32);
		assert_int_equal(t.nregions, 2);
		assert_int_equal(t.regions[1].guest_phys_addr, 0x100000000ull);
		assert_int_equal(t.regions[1].memory_size, 0x2000);
		assert_int_equal(t.regions[1].userspace_addr, 0x7f0000001000ull);
		assert_int_equal(t.regions[1].mmap_offset, 0x1000);
	}
	i++;
	/* Ring 0. */
	assert_int_equal(e->f.req[i++], VHOST_USER_SET_VRING_NUM);
	assert_int_equal(e->f.req[i], VHOST_USER_SET_VRING_BASE);
	{
		struct vhost_user_vring_state s;

		memcpy(&s, e->f.payload[i], 8);
		assert_int_equal(s.index, 0);
		assert_int_equal(s.num, 5);
	}
	i++;
	assert_int_equal(e->f.req[i], VHOST_USER_SET_VRING_ADDR);
	{
		struct vhost_user_vring_addr a;

		memcpy(&a, e->f.payload[i], sizeof(a));
		assert_int_equal(a.desc_user_addr, 0x1000);
		assert_int_equal(a.avail_user_addr, 0x2000);
		assert_int_equal(a.used_user_addr, 0x3000);
	}
	i++;
	assert_int_equal(e->f.req[i], VHOST_USER_SET_VRING_KICK);
	assert_int_equal(e->f.nfds[i], 1);
	i++;
	assert_int_equal(e->f.req[i], VHOST_USER_SET_VRING_CALL);
	assert_int_equal(e->f.nfds[i], 1);
	i++;
	assert_int_equal(e->f.req[i++], VHOST_USER_SET_VRING_ENABLE);
	/* Ring 1 skipped; ring 2 in polling mode (kick without fd), disabled. */
	assert_int_equal(e->f.req[i++], VHOST_USER_SET_VRING_NUM);
	assert_int_equal(e->f.req[i++], VHOST_USER_SET_VRING_BASE);
	assert_int_equal(e->f.req[i++], VHOST_USER_SET_VRING_ADDR);
	assert_int_equal(e->f.req[i], VHOST_USER_SET_VRING_KICK);
	assert_int_equal(e->f.nfds[i], 0);
	{
		uint64_t v;

		memcpy(&v, e->f.payload[i], 8);
		assert_int_equal(v, 2 | VHOST_USER_VRING_NOFD);
	}
	i++;
	assert_int_equal(e->f.req[i++], VHOST_USER_SET_VRING_CALL);
	assert_int_equal(e->f.req[i], VHOST_USER_SET_VRING_ENABLE);
	{
		struct vhost_user_vring_state s;

		memcpy(&s, e->f.payload[i], 8);
		assert_int_equal(s.index, 2);
		assert_int_equal(s.num, 0);
	}
	i++;
	assert_int_equal(e->f.req[i++], VHOST_USER_GET_VRING_BASE);
	assert_int_equal(e->f.n, i);
	close(memfd);
	close(kick);
	close(call);
}

static void test_no_protocol_features(void **state)
{
	struct env *e = *state;
	uint64_t feat, proto, nq;

	/* A backend without protocol features: no GET_PROTOCOL_FEATURES, no
	 * acks, one queue pair, rings start enabled (no SET_VRING_ENABLE). */
	e->f.features = FEAT_VERSION_1;
	start_fake(e, F_NONE, 0, 1000);
	assert_int_equal(vhost_user_handshake(e->vu, PROTO_WANT, &feat, &proto, &nq), 0);
	assert_int_equal(proto, 0);
	assert_int_equal(nq, 1);
	assert_int_equal(vhost_user_set_features(e->vu, FEAT_VERSION_1), 0);
	assert_int_equal(vhost_user_set_vring_enable(e->vu, 0, true), 0);
	stop_fake(e);
	assert_int_equal(e->f.n, 4);
	assert_int_equal(e->f.req[1], VHOST_USER_SET_OWNER);
	assert_int_equal(e->f.flags[1], VHOST_USER_VERSION);
}

/* Each malformed reply to GET_FEATURES fails cleanly with the right code. */
static void test_malformed_replies(void **state)
{
	static const struct {
		enum fault f;
		int ret;
	} cases[] = {
	    {F_BAD_REQUEST_ID, -EPROTO}, {F_BAD_VERSION, -EPROTO}, {F_NO_REPLY_FLAG, -EPROTO},
	    {F_EXTRA_FLAG, -EPROTO},	 {F_SHORT_SIZE, -EPROTO},  {F_LONG_SIZE, -EPROTO},
	    {F_HUGE_SIZE, -EPROTO},	 {F_WITH_FD, -EPROTO},	   {F_TRUNCATED, -ECONNRESET},
	    {F_CLOSE, -ECONNRESET},	 {F_SILENT, -ETIMEDOUT},
	};
	struct env *e = *state;

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint64_t feat = 0xdead;

		memset(&e->f, 0, sizeof(e->f));
		start_fake(e, cases[c].f, VHOST_USER_GET_FEATURES, 200);
		assert_int_equal(vhost_user_get_features(e->vu, &feat), cases[c].ret);
		stop_fake(e);
	}
}

static void test_mid_handshake_close(void **state)
{
	struct env *e = *state;
	uint64_t feat, proto, nq;

	/* The backend dies after each possible number of messages. */
	for (int k = 1; k <= 5; k++) {
		memset(&e->f, 0, sizeof(e->f));
		e->f.close_after = k;
		start_fake(e, F_NONE, 0, 1000);
		assert_int_equal(vhost_user_handshake(e->vu, PROTO_WANT, &feat, &proto, &nq),
				 -ECONNRESET);
		stop_fake(e);
	}
	/* Dies during the start sequence, after SET_MEM_TABLE passed two fds. */
	{
		int memfd = memfd_create("ram", MFD_CLOEXEC);
		struct mem_region r = {.gpa = 0, .size = 4096, .hva = (void *)0x1000, .fd = memfd};
		struct vhost_user_vring ring = {.num = 64, .kick_fd = -1, .call_fd = -1};

		memset(&e->f, 0, sizeof(e->f));
		e->f.close_after = 7; /* handshake(5) + SET_FEATURES + SET_MEM_TABLE */
		start_fake(e, F_NONE, 0, 1000);
		assert_int_equal(vhost_user_handshake(e->vu, PROTO_WANT, &feat, &proto, &nq), 0);
		assert_int_equal(vhost_user_start(e->vu, FEAT_VERSION_1, &r, 1, &ring, 1),
				 -ECONNRESET);
		stop_fake(e);
		close(memfd);
	}
}

static void test_acks_and_bad_answers(void **state)
{
	struct env *e = *state;
	uint64_t feat, proto, nq;
	unsigned base;
	struct mem_region r = {.size = 4096, .fd = -1};

	/* A refused SET_FEATURES (non-zero ack). */
	start_fake(e, F_NACK, VHOST_USER_SET_FEATURES, 1000);
	assert_int_equal(vhost_user_handshake(e->vu, PROTO_WANT, &feat, &proto, &nq), 0);
	assert_int_equal(vhost_user_set_features(e->vu, FEAT_VERSION_1), -EIO);
	/* Bad arguments never reach the wire. */
	assert_int_equal(vhost_user_set_mem_table(e->vu, &r, 1), -EINVAL);
	assert_int_equal(vhost_user_set_mem_table(e->vu, &r, 0), -EINVAL);
	assert_int_equal(vhost_user_set_mem_table(e->vu, &r, VHOST_USER_MAX_REGIONS + 1), -EINVAL);
	stop_fake(e);
	/* The ack itself malformed. */
	memset(&e->f, 0, sizeof(e->f));
	start_fake(e, F_SHORT_SIZE, VHOST_USER_SET_OWNER, 1000);
	assert_int_equal(vhost_user_handshake(e->vu, PROTO_WANT, &feat, &proto, &nq), -EPROTO);
	stop_fake(e);
	/* GET_VRING_BASE answering another ring. */
	memset(&e->f, 0, sizeof(e->f));
	start_fake(e, F_WRONG_INDEX, 0, 1000);
	assert_int_equal(vhost_user_get_vring_base(e->vu, 1, &base), -EPROTO);
	stop_fake(e);
	/* A backend with zero queues. */
	memset(&e->f, 0, sizeof(e->f));
	start_fake(e, F_ZERO_QUEUES, 0, 1000);
	assert_int_equal(vhost_user_handshake(e->vu, PROTO_WANT, &feat, &proto, &nq), -EPROTO);
	stop_fake(e);
}

static void test_sockets(void **state)
{
	char dir[] = "/tmp/vutest.XXXXXX", path[128];
	int l, c, a, f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	/* Nobody listening yet. */
	assert_int_equal(vhost_user_connect(path, &c), -ENOENT);
	assert_int_equal(vhost_user_listen(path, &l), 0);
	assert_int_equal(vhost_user_connect(path, &c), 0);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(a >= 0);
	close(a);
	close(c);
	close(l);
	/* A stale socket file is replaced; a regular file is refused. */
	assert_int_equal(vhost_user_listen(path, &l), 0);
	close(l);
	unlink(path);
	f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(f >= 0);
	close(f);
	assert_int_equal(vhost_user_listen(path, &l), -EEXIST);
	unlink(path);
	rmdir(dir);
	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = 0;
	assert_int_equal(vhost_user_connect(path, &c), -ENAMETOOLONG);
}

/* Between requests: an open socket with nothing unread is idle (a stale
 * readiness event), bytes nobody asked for are a protocol error (left
 * unread), a closed peer is a reset. */
static void test_check_idle(void **state)
{
	struct vhost_user *vu;
	char c;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(vhost_user_open(sv[0], 100, &vu), 0);
	assert_int_equal(vhost_user_check_idle(vu), 0);
	assert_int_equal(vhost_user_check_idle(vu), 0);
	assert_int_equal(write(sv[1], "x", 1), 1);
	assert_int_equal(vhost_user_check_idle(vu), -EPROTO);
	assert_int_equal(vhost_user_check_idle(vu), -EPROTO); /* peeked, not consumed */
	assert_int_equal(read(sv[0], &c, 1), 1);
	assert_int_equal(c, 'x');
	assert_int_equal(vhost_user_check_idle(vu), 0);
	close(sv[1]);
	assert_int_equal(vhost_user_check_idle(vu), -ECONNRESET);
	vhost_user_close(vu);
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Run `fn` with stderr going to a file; its text (NUL-terminated) in out. */
static void capture_stderr(void (*fn)(void *), void *arg, char *out, size_t outlen)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fileno(tmp), STDERR_FILENO), STDERR_FILENO);
	fn(arg);
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, outlen - 1, tmp);
	out[n] = 0;
	fclose(tmp);
}

struct slow_case {
	struct env *e;
	int ret;
	uint64_t feat;
	long ms;
};

static void get_features_timed(void *arg)
{
	struct slow_case *c = arg;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	c->ret = vhost_user_get_features(c->e->vu, &c->feat);
	c->ms = elapsed_ms(&t0);
}

/* A backend that answers after several progress intervals (OVS whose
 * vhost thread waits for DPDK's memory lock) is waited for, with a
 * "still waiting" warning per interval naming the request and the peer,
 * and the session goes on normally afterwards. */
static void test_slow_backend_is_waited_for(void **state)
{
	struct env *e = *state;
	struct slow_case c = {.e = e};
	char log[4096];
	uint64_t proto;

	memset(&e->f, 0, sizeof(e->f));
	e->f.delay_ms = 450;
	start_fake(e, F_SLOW, VHOST_USER_GET_FEATURES, 5000);
	vhost_user_set_progress(e->vu, 100, "test backend on 'x.sock'");
	capture_stderr(get_features_timed, &c, log, sizeof(log));
	assert_int_equal(c.ret, 0);
	assert_true(c.feat & FEAT_VERSION_1);
	assert_true(c.ms >= 400);
	assert_non_null(strstr(log, "still waiting for the reply to GET_FEATURES from test "
				    "backend on 'x.sock'"));
	/* One note per 100 ms waited (no flood, no silence). */
	{
		long notes = 0;

		for (const char *q = log; (q = strstr(q, "still waiting")); q++)
			notes++;
		assert_in_range(notes, 2, c.ms / 100 + 1);
	}
	assert_int_equal(vhost_user_get_protocol_features(e->vu, &proto), 0);
	stop_fake(e);
}

/* The give-up time bounds the whole reply, not each read: a backend that
 * trickles its reply a byte per 200 ms (8 bytes: 1.6 s) against a 600 ms
 * limit is stuck, though no single read waits 600 ms. */
static void test_timeout_bounds_whole_reply(void **state)
{
	struct env *e = *state;
	struct slow_case c = {.e = e};
	char log[4096];

	memset(&e->f, 0, sizeof(e->f));
	e->f.delay_ms = 200;
	start_fake(e, F_TRICKLE, VHOST_USER_GET_FEATURES, 600);
	vhost_user_set_progress(e->vu, 250, "trickling backend");
	capture_stderr(get_features_timed, &c, log, sizeof(log));
	assert_int_equal(c.ret, -ETIMEDOUT);
	assert_in_range(c.ms, 550, 1500);
	assert_non_null(
	    strstr(log, "no reply to GET_FEATURES from trickling backend within 600 ms"));
	assert_non_null(strstr(log, "still waiting"));
	stop_fake(e);

	/* A silent backend: the same limit, and no note when the interval is
	 * longer than the limit (the default 10 s against 200 ms). */
	memset(&e->f, 0, sizeof(e->f));
	start_fake(e, F_SILENT, VHOST_USER_GET_FEATURES, 200);
	capture_stderr(get_features_timed, &c, log, sizeof(log));
	assert_int_equal(c.ret, -ETIMEDOUT);
	assert_in_range(c.ms, 190, 1200);
	assert_null(strstr(log, "still waiting"));
	assert_non_null(strstr(log, "from the backend within 200 ms"));
	stop_fake(e);
}

/* A stopping VMM does not sit out a slow backend's reply: the wait ends at
 * once with -ECANCELED when an abort fd turns readable (SIGTERM pending on
 * the signalfd, the stop eventfd), when a signal interrupts it and
 * stopping() is true (a kicked vCPU thread), or before it starts. */
static atomic_bool g_stopping;

static bool test_stopping(void *opaque)
{
	(void)opaque;
	return atomic_load(&g_stopping);
}

static void on_kick(int sig)
{
	(void)sig;
}

struct aborter {
	int fd;		  /* eventfd to write, or -1 */
	pthread_t victim; /* thread to signal when fd < 0 */
};

static void *abort_later(void *arg)
{
	struct aborter *a = arg;
	uint64_t one = 1;

	usleep(150 * 1000);
	if (a->fd >= 0) {
		assert_int_equal(write(a->fd, &one, sizeof(one)), sizeof(one));
	} else {
		atomic_store(&g_stopping, true);
		pthread_kill(a->victim, SIGUSR1);
	}
	return NULL;
}

/* GET_FEATURES to a silent backend with abort conditions ab, aborted by a
 * 150 ms later: it must end with -ECANCELED soon after. */
static void wait_aborted(struct env *e, const struct vhost_user_abort *ab, struct aborter *a,
			 struct slow_case *c, char *log, size_t loglen)
{
	pthread_t t;

	memset(&e->f, 0, sizeof(e->f));
	start_fake(e, F_SILENT, VHOST_USER_GET_FEATURES, 10000);
	vhost_user_set_abort(e->vu, ab);
	assert_int_equal(pthread_create(&t, NULL, abort_later, a), 0);
	capture_stderr(get_features_timed, c, log, loglen);
	pthread_join(t, NULL);
	assert_int_equal(c->ret, -ECANCELED);
	assert_in_range(c->ms, 100, 3000);
}

static void test_stop_ends_the_wait(void **state)
{
	struct env *e = *state;
	struct slow_case c = {.e = e};
	struct aborter a = {.victim = pthread_self()};
	struct vhost_user_abort ab = {.n_fds = 2, .stopping = test_stopping};
	struct sigaction sa = {.sa_handler = on_kick}, old;
	char log[4096];
	uint64_t v;

	/* An abort fd: the second one, the first never readable. */
	ab.fds[0] = eventfd(0, EFD_CLOEXEC);
	ab.fds[1] = a.fd = eventfd(0, EFD_CLOEXEC);
	assert_true(ab.fds[0] >= 0 && ab.fds[1] >= 0);
	wait_aborted(e, &ab, &a, &c, log, sizeof(log));
	assert_non_null(strstr(log, "stopping: no longer waiting for the reply to GET_FEATURES"));
	/* Polled, never read: the event loop still sees the event. */
	assert_int_equal(read(ab.fds[1], &v, sizeof(v)), sizeof(v));
	stop_fake(e);

	/* A signal with stopping() true (no SA_RESTART, like the vCPU kick). */
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	atomic_store(&g_stopping, false);
	a.fd = -1;
	wait_aborted(e, &ab, &a, &c, log, sizeof(log));

	/* Already stopping: no wait at all. */
	get_features_timed(&c);
	assert_int_equal(c.ret, -ECANCELED);
	assert_true(c.ms < 100);
	stop_fake(e);
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	atomic_store(&g_stopping, false);
	close(ab.fds[0]);
	close(ab.fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_and_check),
	    cmocka_unit_test_setup_teardown(test_handshake_and_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_protocol_features, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_replies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mid_handshake_close, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_acks_and_bad_answers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sockets, setup, teardown),
	    cmocka_unit_test(test_check_idle),
	    cmocka_unit_test_setup_teardown(test_slow_backend_is_waited_for, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout_bounds_whole_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_ends_the_wait, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
