/* SPDX-License-Identifier: MIT */
/* vfio-user wire format (QEMU docs/interop/vfio-user.rst): a 16-byte header
 * then a command-specific payload, over an AF_UNIX stream socket, with file
 * descriptors (guest memory, eventfds) as SCM_RIGHTS on the message. Shared
 * by our client (vfio/vfio_user) and the test device server. */
#ifndef NFV_VFIO_VFIO_USER_MSG_H
#define NFV_VFIO_VFIO_USER_MSG_H

#include <stddef.h>
#include <stdint.h>

enum vfio_user_cmd {
	VFU_VERSION = 1,
	VFU_DMA_MAP = 2,
	VFU_DMA_UNMAP = 3,
	VFU_DEVICE_GET_INFO = 4,
	VFU_DEVICE_GET_REGION_INFO = 5,
	VFU_DEVICE_GET_REGION_IO_FDS = 6,
	VFU_DEVICE_GET_IRQ_INFO = 7,
	VFU_DEVICE_SET_IRQS = 8,
	VFU_REGION_READ = 9,
	VFU_REGION_WRITE = 10,
	VFU_DMA_READ = 11,
	VFU_DMA_WRITE = 12,
	VFU_DEVICE_RESET = 13,
};

#define VFU_F_TYPE_MASK	   0xfu
#define VFU_F_TYPE_COMMAND 0u
#define VFU_F_TYPE_REPLY   1u
#define VFU_F_NO_REPLY	   (1u << 4)
#define VFU_F_ERROR	   (1u << 5)

#define VFU_MAJOR    0
#define VFU_MINOR    1
#define VFU_MAX_DATA (1u << 20) /* max_data_xfer_size we accept and use */
#define VFU_MAX_MSG  (VFU_MAX_DATA + 64)
#define VFU_MAX_FDS  16

struct vfu_hdr {
	uint16_t msg_id;
	uint16_t cmd;
	uint32_t msg_size; /* header included */
	uint32_t flags;
	uint32_t error_no;
} __attribute__((packed));

struct vfu_version {
	uint16_t major, minor;
	/* NUL-terminated JSON capabilities follow */
} __attribute__((packed));

struct vfu_dma_map {
	uint32_t argsz;
	uint32_t flags; /* 1 read, 2 write, 4 mappable (fd attached) */
	uint64_t offset;
	uint64_t addr;
	uint64_t size;
} __attribute__((packed));

struct vfu_dma_unmap {
	uint32_t argsz;
	uint32_t flags;
	uint64_t addr;
	uint64_t size;
} __attribute__((packed));

struct vfu_region_access {
	uint64_t offset;
	uint32_t region;
	uint32_t count;
	/* data follows (write request, read reply) */
} __attribute__((packed));

#define VFU_DMA_F_READ	1u
#define VFU_DMA_F_WRITE 2u

/* Send one message (header filled by the caller except msg_size) with
 * `len` payload bytes and up to VFU_MAX_FDS fds. 0 or -errno (-EPIPE when
 * the peer is gone). */
int vfu_send(int sock, struct vfu_hdr *h, const void *payload, size_t len, const int *fds,
	     unsigned nfds);

/* Receive one whole message: header into *h, payload into buf (cap bytes;
 * -EMSGSIZE and the message is drained if larger or above VFU_MAX_MSG),
 * its length in *len, received fds into fds (*nfds; extra fds are closed).
 * -ECONNRESET on orderly close, -EPROTO on a malformed header, -errno. */
int vfu_recv(int sock, struct vfu_hdr *h, void *buf, size_t cap, size_t *len, int *fds,
	     unsigned *nfds);

#endif
