/* SPDX-License-Identifier: MIT */
#include "vfio/vfio_user_msg.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int vfu_send(int sock, struct vfu_hdr *h, const void *payload, size_t len, const int *fds,
	     unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VFU_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = {{h, sizeof(*h)}, {(void *)payload, len}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	size_t total = sizeof(*h) + len, sent = 0;

	if (nfds > VFU_MAX_FDS || len > VFU_MAX_MSG - sizeof(*h))
		return -EINVAL;
	h->msg_size = (uint32_t)total;
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	while (sent < total) {
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		sent += (size_t)n;
		/* Continue after a short send: fds went with the first part. */
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
		while (n > 0 && msg.msg_iovlen) {
			size_t take =
			    (size_t)n < msg.msg_iov->iov_len ? (size_t)n : msg.msg_iov->iov_len;

			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + take;
			msg.msg_iov->iov_len -= take;
			n -= (ssize_t)take;
			if (!msg.msg_iov->iov_len) {
				msg.msg_iov++;
				msg.msg_iovlen--;
			}
		}
	}
	return 0;
}

static int read_full(int sock, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(sock, (char *)buf + got, len - got, 0);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

int vfu_recv(int sock, struct vfu_hdr *h, void *buf, size_t cap, size_t *len, int *fds,
	     unsigned *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VFU_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {h, sizeof(*h)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf)};
	size_t payload;
	ssize_t n;
	int ret;

	*nfds = 0;
	*len = 0;
	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		unsigned cnt = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int *in = (int *)CMSG_DATA(c);

		for (unsigned i = 0; i < cnt; i++) {
			if (*nfds < VFU_MAX_FDS)
				fds[(*nfds)++] = in[i];
			else
				close(in[i]);
		}
	}
	if ((size_t)n < sizeof(*h)) {
		ret = read_full(sock, (char *)h + n, sizeof(*h) - (size_t)n);
		if (ret)
			goto err_fds;
	}
	if (h->msg_size < sizeof(*h) || h->msg_size > VFU_MAX_MSG) {
		ret = -EPROTO;
		goto err_fds;
	}
	payload = h->msg_size - sizeof(*h);
	if (payload > cap) {
		char sink[512];

		while (payload) {
			size_t take = payload < sizeof(sink) ? payload : sizeof(sink);

			ret = read_full(sock, sink, take);
			if (ret)
				goto err_fds;
			payload -= take;
		}
		ret = -EMSGSIZE;
		goto err_fds;
	}
	ret = read_full(sock, buf, payload);
	if (ret)
		goto err_fds;
	*len = payload;
	return 0;

err_fds:
	for (unsigned i = 0; i < *nfds; i++)
		close(fds[i]);
	*nfds = 0;
	return ret;
}
