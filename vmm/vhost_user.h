/* SPDX-License-Identifier: MIT */
/* vhost-user FRONTEND: the messages a VMM sends to a vhost-user backend
 * (DPDK's vhost library, our switch) over a unix socket, and the socket
 * roles (we connect as client, or listen as server and accept).
 *
 * Every reply is checked strictly: same request id, version 1 with the
 * reply flag and nothing else, exactly the payload size the request
 * expects, no file descriptors. A violation is -EPROTO (with a message
 * naming the field); a closed socket is -ECONNRESET; no reply within the
 * give-up time is -ETIMEDOUT. A slow backend is not a dead one: while a
 * reply is late, a warning with the time waited is logged every progress
 * interval, and only a closed socket, the give-up time or a stop of the
 * VMM (struct vhost_user_abort, -ECANCELED) ends the wait.
 * After any error the session is dead: the caller
 * closes it and reconnects. When the backend offers REPLY_ACK and we
 * negotiate it, every SET_* message asks for an ack and a non-zero ack is
 * -EIO.
 *
 * A session is used by one thread at a time (the caller serialises). */
#ifndef NFV_VMM_VHOST_USER_H
#define NFV_VMM_VHOST_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/mem.h"

/* Requests (vhost-user spec, "front-end message types"). */
enum vhost_user_request {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_REQUEST_MAX = 50,
};

#define VHOST_USER_VERSION	       0x1u
#define VHOST_USER_VERSION_MASK	       0x3u
#define VHOST_USER_REPLY	       (1u << 2)
#define VHOST_USER_NEED_REPLY	       (1u << 3)
#define VHOST_USER_HDR_SIZE	       12u
#define VHOST_USER_PAYLOAD_MAX	       4096u
#define VHOST_USER_MAX_REGIONS	       8u
#define VHOST_USER_MAX_FDS	       8u
#define VHOST_USER_VRING_NOFD	       (1ull << 8)
#define VHOST_USER_VRING_IDX_MASK      0xffull
#define VHOST_USER_F_PROTOCOL_FEATURES 30

/* Protocol feature bits. */
#define VHOST_USER_PROTOCOL_F_MQ	0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3

/* Wire formats (little-endian host assumed: x86-64 only). */
struct vhost_user_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

struct vhost_user_vring_state {
	uint32_t index;
	uint32_t num;
} __attribute__((packed));

struct vhost_user_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
} __attribute__((packed));

struct vhost_user_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
} __attribute__((packed));

struct vhost_user_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_user_region regions[VHOST_USER_MAX_REGIONS];
} __attribute__((packed));

/* Encode a message into buf (VHOST_USER_HDR_SIZE + size bytes). -EINVAL if
 * size exceeds VHOST_USER_PAYLOAD_MAX. Returns the total length. */
int vhost_user_encode(uint8_t *buf, size_t buflen, uint32_t request, uint32_t flags,
		      const void *payload, uint32_t size);
/* Check a reply header against the request it answers and the payload size
 * expected (UINT32_MAX: any size up to VHOST_USER_PAYLOAD_MAX). 0 or
 * -EPROTO with a message naming the bad field. */
int vhost_user_check_reply(const struct vhost_user_hdr *hdr, uint32_t request,
			   uint32_t expect_size);

/* Socket roles. Connect to `path` (client role): 0 with a connected,
 * close-on-exec fd in *fd, or -errno (-ENOENT / -ECONNREFUSED while the
 * backend is not up). Listen on `path` (server role; a stale socket file is
 * replaced, a non-socket file is -EEXIST): listening fd in *fd. */
int vhost_user_connect(const char *path, int *fd);
int vhost_user_listen(const char *path, int *fd);

struct vhost_user;

/* Start a session on a connected socket; takes ownership of fd (closed by
 * vhost_user_close, also on failure here). timeout_ms bounds the wait for
 * each reply (from sending the request to its last byte); progress
 * warnings come every VHOST_USER_PROGRESS_MS until vhost_user_set_progress
 * says otherwise. */
int vhost_user_open(int fd, int timeout_ms, struct vhost_user **out);
#define VHOST_USER_PROGRESS_MS 10000
/* While a reply is late, log "still waiting" every every_ms (> 0), naming
 * the backend as `peer` (e.g. "virtio-net0 backend on '/run/x.sock'";
 * truncated to 127 bytes). */
void vhost_user_set_progress(struct vhost_user *vu, int every_ms, const char *peer);

/* What makes a reply wait give up at once with -ECANCELED (the VMM is
 * stopping, so a slow backend must not hold SIGTERM for minutes): one of
 * the first n_fds fds turning readable (polled, never read), or stopping()
 * (optional) being true before the wait or when a signal interrupts it (a
 * vCPU thread's kick). All zero: nothing aborts. */
struct vhost_user_abort {
	int fds[2];
	unsigned n_fds;
	bool (*stopping)(void *opaque);
	void *opaque;
};
void vhost_user_set_abort(struct vhost_user *vu, const struct vhost_user_abort *abort);
/* Close the socket and free. NULL is a no-op. */
void vhost_user_close(struct vhost_user *vu);
/* The socket, for poll()ing for a hang-up between requests. */
int vhost_user_fd(const struct vhost_user *vu);
/* Between requests, whether the session is still good: 0 when the socket
 * is open with nothing unread (a readiness event for it was stale: another
 * thread already read the reply that caused it), -ECONNRESET when the
 * backend closed it (or another socket error, as -errno), -EPROTO when it
 * holds bytes nobody asked for (a backend speaks only to answer). Never
 * blocks, consumes nothing. */
int vhost_user_check_idle(const struct vhost_user *vu);

/* One request per function; all 0 or -errno as above. */
int vhost_user_get_features(struct vhost_user *vu, uint64_t *features);
int vhost_user_set_features(struct vhost_user *vu, uint64_t features);
int vhost_user_get_protocol_features(struct vhost_user *vu, uint64_t *features);
/* Also turns on REPLY_ACK handling if that bit is in `features`. */
int vhost_user_set_protocol_features(struct vhost_user *vu, uint64_t features);
int vhost_user_set_owner(struct vhost_user *vu);
/* Only after MQ was negotiated. */
int vhost_user_get_queue_num(struct vhost_user *vu, uint64_t *num);
/* Guest RAM regions with their memfd; -EINVAL for 0 or more than
 * VHOST_USER_MAX_REGIONS regions or a region without fd. */
int vhost_user_set_mem_table(struct vhost_user *vu, const struct mem_region *regions, size_t n);
int vhost_user_set_vring_num(struct vhost_user *vu, unsigned idx, unsigned num);
/* Ring addresses are host virtual addresses in the mapped guest RAM. */
int vhost_user_set_vring_addr(struct vhost_user *vu, unsigned idx, uint64_t desc, uint64_t avail,
			      uint64_t used);
int vhost_user_set_vring_base(struct vhost_user *vu, unsigned idx, unsigned base);
/* Stops the ring in the backend and returns its next avail index. */
int vhost_user_get_vring_base(struct vhost_user *vu, unsigned idx, unsigned *base);
/* fd < 0 sends the "no fd" flag (polling mode). */
int vhost_user_set_vring_kick(struct vhost_user *vu, unsigned idx, int fd);
int vhost_user_set_vring_call(struct vhost_user *vu, unsigned idx, int fd);
int vhost_user_set_vring_enable(struct vhost_user *vu, unsigned idx, bool enable);

/* The session opening: GET_FEATURES; if the backend offers protocol
 * features, GET_PROTOCOL_FEATURES and SET_PROTOCOL_FEATURES(offered &
 * want_proto); GET_QUEUE_NUM if MQ was negotiated (else 1); SET_OWNER.
 * -EPROTO for a backend that reports 0 queues. */
int vhost_user_handshake(struct vhost_user *vu, uint64_t want_proto, uint64_t *features,
			 uint64_t *proto, uint64_t *queue_num);

/* Everything a backend needs to run one ring. */
struct vhost_user_vring {
	unsigned num;
	uint64_t desc, avail, used; /* host virtual addresses */
	unsigned base;		    /* next avail index to process */
	int kick_fd, call_fd;
	bool enabled;
};

/* The whole start sequence after a (re)connect: SET_FEATURES, SET_MEM_TABLE,
 * then per ring NUM, BASE, ADDR, KICK, CALL and (when protocol features are
 * negotiated) ENABLE. */
int vhost_user_start(struct vhost_user *vu, uint64_t features, const struct mem_region *regions,
		     size_t nregions, const struct vhost_user_vring *rings, unsigned nrings);

#endif
