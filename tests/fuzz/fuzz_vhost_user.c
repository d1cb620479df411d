// SPDX-License-Identifier: MIT
/* libFuzzer target: the vhost-user frontend's reply handling
 * (vmm/vhost_user.c). The input is everything a hostile backend sends on
 * the socket: it is written to the peer end of a socketpair, which is then
 * shut for writing, and the frontend runs the handshake, GET_VRING_BASE
 * and the full start sequence (mem table, one ring, REPLY_ACK acks) against
 * it. Replies are parsed for real; a short input ends in EOF, never in a
 * wait. The first 12 bytes are also checked as a header by
 * vhost_user_check_reply() for every request type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/mem.h"
#include "vmm/vhost_user.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ram[4096];
	struct vhost_user_hdr hdr;
	struct vhost_user *vu;
	uint64_t features, proto, nq;
	unsigned base, req;
	int sv[2], efd;

	if (size >= sizeof(hdr)) {
		memcpy(&hdr, data, sizeof(hdr));
		for (req = 0; req <= VHOST_USER_SET_VRING_ENABLE; req++)
			vhost_user_check_reply(&hdr, req, req & 1 ? 8 : UINT32_MAX);
	}
	if (size > 1 << 16)
		return 0;
	/* A socket buffer holds the whole input (at most 64 KiB here). */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	if (size && write(sv[1], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);
	if (vhost_user_open(sv[0], 1000, &vu))
		abort();
	if (!vhost_user_handshake(
		vu, 1ull << VHOST_USER_PROTOCOL_F_MQ | 1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK,
		&features, &proto, &nq) &&
	    !vhost_user_get_vring_base(vu, 0, &base)) {
		struct mem_region reg = {.gpa = 0, .size = sizeof(ram), .hva = ram, .fd = -1};
		struct vhost_user_vring ring = {.num = 16,
						.desc = (uintptr_t)ram,
						.avail = (uintptr_t)ram + 256,
						.used = (uintptr_t)ram + 512,
						.enabled = true};

		efd = eventfd(0, EFD_CLOEXEC);
		if (efd < 0)
			abort();
		reg.fd = efd; /* any fd: only passed along with SCM_RIGHTS */
		ring.kick_fd = efd;
		ring.call_fd = efd;
		vhost_user_start(vu, features, &reg, 1, &ring, 1);
		close(efd);
	}
	vhost_user_close(vu);
	close(sv[1]);
	return 0;
}
