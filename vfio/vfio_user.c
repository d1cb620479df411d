/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "vfio-user"
#include "vfio/vfio_user.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "vfio/vfio_user_msg.h"
#include "vmm/mem.h"

#define VU_MAX_REGIONS 16
#define VU_MAX_IRQS    8
#define VU_MAX_ACCESS  4096 /* BAR/config accesses are small */

struct vfio_user {
	int sock;
	char name[112];
	pthread_mutex_t lock;
	uint16_t next_id;
	bool dead;
	uint32_t flags;
	unsigned num_regions, num_irqs;
	struct vfio_region regions[VU_MAX_REGIONS];
	struct vfio_irq irqs[VU_MAX_IRQS];
	uint8_t buf[VU_MAX_ACCESS + 64];
};

static void mark_dead(struct vfio_user *vu, int err)
{
	if (!vu->dead)
		pr_err("%s: connection to the device server lost (%s); the device stops "
		       "responding (reads all ones) until the VM is restarted",
		       vu->name, strerror(-err));
	vu->dead = true;
}

/* One request/reply. Reply payload into out (cap bytes), its length in
 * *olen. Returns 0, the server's -errno (error flag), or a transport
 * -errno (device marked dead). Caller holds the lock. */
static int request(struct vfio_user *vu, uint16_t cmd, const void *payload, size_t len,
		   const int *fds, unsigned nfds, void *out, size_t cap, size_t *olen)
{
	struct vfu_hdr h = {.cmd = cmd, .flags = VFU_F_TYPE_COMMAND};
	struct vfu_hdr r;
	int rfds[VFU_MAX_FDS];
	unsigned nr = 0;
	size_t got = 0;
	int ret;

	if (vu->dead)
		return -ENOTCONN;
	h.msg_id = vu->next_id++;
	ret = vfu_send(vu->sock, &h, payload, len, fds, nfds);
	if (ret) {
		mark_dead(vu, ret);
		return ret;
	}
	ret = vfu_recv(vu->sock, &r, out, cap, &got, rfds, &nr);
	for (unsigned i = 0; i < nr; i++)
		close(rfds[i]); /* we ask for no fds */
	if (ret) {
		mark_dead(vu, ret);
		return ret;
	}
	if ((r.flags & VFU_F_TYPE_MASK) != VFU_F_TYPE_REPLY || r.msg_id != h.msg_id ||
	    r.cmd != cmd) {
		mark_dead(vu, -EPROTO);
		return -EPROTO;
	}
	if (r.flags & VFU_F_ERROR)
		return r.error_no ? -(int)r.error_no : -EIO;
	if (olen)
		*olen = got;
	return 0;
}

static int locked_request(struct vfio_user *vu, uint16_t cmd, const void *payload, size_t len,
			  const int *fds, unsigned nfds, void *out, size_t cap, size_t *olen)
{
	int ret;

	pthread_mutex_lock(&vu->lock);
	ret = request(vu, cmd, payload, len, fds, nfds, out, cap, olen);
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

static int handshake(struct vfio_user *vu)
{
	static const char caps[] = "{\"capabilities\":{\"max_msg_fds\":16,"
				   "\"max_data_xfer_size\":1048576}}";
	uint8_t msg[sizeof(struct vfu_version) + sizeof(caps)];
	struct vfu_version v = {.major = VFU_MAJOR, .minor = VFU_MINOR}, *rv;
	struct vfio_device_info di = {.argsz = sizeof(di)};
	uint8_t reply[1024];
	size_t got = 0;
	int ret;

	memcpy(msg, &v, sizeof(v));
	memcpy(msg + sizeof(v), caps, sizeof(caps));
	ret = request(vu, VFU_VERSION, msg, sizeof(msg), NULL, 0, reply, sizeof(reply) - 1, &got);
	if (ret)
		return ret;
	if (got < sizeof(*rv)) {
		pr_err("%s: short VERSION reply", vu->name);
		return -EPROTO;
	}
	rv = (struct vfu_version *)reply;
	if (rv->major != VFU_MAJOR) {
		pr_err("%s: server speaks vfio-user %u.%u, we speak %u.%u", vu->name, rv->major,
		       rv->minor, VFU_MAJOR, VFU_MINOR);
		return -EPROTO;
	}
	ret = request(vu, VFU_DEVICE_GET_INFO, &di, sizeof(di), NULL, 0, &di, sizeof(di), &got);
	if (ret)
		return ret;
	if (got < sizeof(di) || !(di.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    di.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		pr_err("%s: not a PCI device (flags 0x%x, %u regions)", vu->name, di.flags,
		       di.num_regions);
		return -EOPNOTSUPP;
	}
	vu->flags = di.flags;
	vu->num_regions = di.num_regions < VU_MAX_REGIONS ? di.num_regions : VU_MAX_REGIONS;
	vu->num_irqs = di.num_irqs < VU_MAX_IRQS ? di.num_irqs : VU_MAX_IRQS;
	for (unsigned i = 0; i < vu->num_regions; i++) {
		uint8_t ri[256];
		struct vfio_region_info q = {.argsz = sizeof(ri), .index = i};

		ret = request(vu, VFU_DEVICE_GET_REGION_INFO, &q, sizeof(q), NULL, 0, ri,
			      sizeof(ri), &got);
		if (!ret)
			ret = vfio_region_parse(ri, got, &vu->regions[i]);
		if (ret) {
			pr_err("%s: region %u info: %s", vu->name, i, strerror(-ret));
			return ret;
		}
		/* No region fds are requested: nothing can be mmap'ed. */
		vu->regions[i].flags &= ~(uint32_t)VFIO_REGION_INFO_FLAG_MMAP;
	}
	for (unsigned i = 0; i < vu->num_irqs; i++) {
		struct vfio_irq_info ii = {.argsz = sizeof(ii), .index = i};

		ret = request(vu, VFU_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii), NULL, 0, &ii,
			      sizeof(ii), &got);
		if (ret || got < sizeof(ii)) {
			pr_err("%s: IRQ %u info failed", vu->name, i);
			return ret ? ret : -EPROTO;
		}
		vu->irqs[i] = (struct vfio_irq){.index = i, .flags = ii.flags, .count = ii.count};
	}
	return 0;
}

int vfio_user_attach(int sock, const char *name, struct vfio_user **out)
{
	struct vfio_user *vu = calloc(1, sizeof(*vu));
	int ret;

	if (!vu) {
		close(sock);
		return -ENOMEM;
	}
	vu->sock = sock;
	snprintf(vu->name, sizeof(vu->name), "%s", name ? name : "vfio-user");
	pthread_mutex_init(&vu->lock, NULL);
	ret = handshake(vu);
	if (ret) {
		vfio_user_close(vu);
		return ret;
	}
	*out = vu;
	return 0;
}

int vfio_user_connect(const char *path, struct vfio_user **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char name[112];
	int sock, ret;

	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		pr_err("vfio-user socket path '%s' is empty or longer than %zu bytes",
		       path ? path : "(null)", sizeof(sa.sun_path) - 1);
		return -EINVAL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		pr_err("vfio-user: cannot connect to %s: %s; start the device server first", path,
		       strerror(-ret));
		close(sock);
		return ret;
	}
	snprintf(name, sizeof(name), "vfio-user:%.100s", path);
	return vfio_user_attach(sock, name, out);
}

void vfio_user_close(struct vfio_user *vu)
{
	if (!vu)
		return;
	close(vu->sock);
	pthread_mutex_destroy(&vu->lock);
	free(vu);
}

bool vfio_user_dead(const struct vfio_user *vu)
{
	return vu->dead;
}

int vfio_user_dma_map_guest(struct vfio_user *vu, const struct guest_mem *mem)
{
	const struct mem_region *r;
	size_t n = guest_mem_regions(mem, &r);
	int ret;

	for (size_t i = 0; i < n; i++) {
		struct vfu_dma_map m = {
		    .argsz = sizeof(m),
		    .flags = VFU_DMA_F_READ | VFU_DMA_F_WRITE,
		    .offset = r[i].fd_offset,
		    .addr = r[i].gpa,
		    .size = r[i].size,
		};

		ret = locked_request(vu, VFU_DMA_MAP, &m, sizeof(m), &r[i].fd, 1, NULL, 0, NULL);
		if (ret) {
			pr_err("%s: DMA_MAP of guest RAM [0x%" PRIx64 ", +0x%" PRIx64
			       ") failed: %s",
			       vu->name, r[i].gpa, r[i].size, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* ---- struct vfio_dev_ops ------------------------------------------------------ */

static int vu_region_info(void *be, unsigned index, struct vfio_region *out)
{
	struct vfio_user *vu = be;

	if (index >= vu->num_regions)
		return -EINVAL;
	*out = vu->regions[index];
	return 0;
}

static int vu_irq_info(void *be, unsigned index, struct vfio_irq *out)
{
	struct vfio_user *vu = be;

	if (index >= vu->num_irqs)
		return -EINVAL;
	*out = vu->irqs[index];
	return 0;
}

static int vu_access(struct vfio_user *vu, unsigned index, uint64_t off, void *buf, size_t len,
		     bool write)
{
	const struct vfio_region *r = index < vu->num_regions ? &vu->regions[index] : NULL;
	struct vfu_region_access *a = (struct vfu_region_access *)vu->buf;
	size_t got = 0;
	int ret;

	if (!r || !len || len > VU_MAX_ACCESS || off > r->size || len > r->size - off)
		return -EINVAL;
	pthread_mutex_lock(&vu->lock);
	*a = (struct vfu_region_access){.offset = off, .region = index, .count = (uint32_t)len};
	if (write) {
		memcpy(a + 1, buf, len);
		ret = request(vu, VFU_REGION_WRITE, a, sizeof(*a) + len, NULL, 0, vu->buf,
			      sizeof(vu->buf), &got);
	} else {
		ret = request(vu, VFU_REGION_READ, a, sizeof(*a), NULL, 0, vu->buf, sizeof(vu->buf),
			      &got);
		if (!ret && (got != sizeof(*a) + len || a->count != len))
			ret = -EPROTO;
		if (!ret)
			memcpy(buf, a + 1, len);
	}
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

static int vu_read(void *be, unsigned index, uint64_t off, void *buf, size_t len)
{
	return vu_access(be, index, off, buf, len, false);
}

static int vu_write(void *be, unsigned index, uint64_t off, const void *buf, size_t len)
{
	return vu_access(be, index, off, (void *)buf, len, true);
}

static int vu_mmap(void *be, unsigned index, uint64_t off, uint64_t len, void **out)
{
	return -EINVAL; /* every access is a message */
}

static int vu_set_irqs(struct vfio_user *vu, uint32_t flags, unsigned start, unsigned count,
		       const int *fds)
{
	struct vfio_irq_set s = {.argsz = sizeof(s),
				 .flags = flags,
				 .index = VFIO_PCI_MSIX_IRQ_INDEX,
				 .start = start,
				 .count = count};
	int sendfds[VFU_MAX_FDS];
	unsigned n = 0;

	if (fds) {
		/* The protocol carries only real fds: every vector needs one. */
		if (count > VFU_MAX_FDS)
			return -E2BIG;
		for (unsigned i = 0; i < count; i++) {
			if (fds[i] < 0)
				return -EINVAL;
			sendfds[n++] = fds[i];
		}
	}
	return locked_request(vu, VFU_DEVICE_SET_IRQS, &s, sizeof(s), n ? sendfds : NULL, n, NULL,
			      0, NULL);
}

static int vu_set_msix(void *be, unsigned start, unsigned count, const int *fds)
{
	return vu_set_irqs(be, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, start,
			   count, fds);
}

static int vu_disable_msix(void *be)
{
	return vu_set_irqs(be, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
}

static int vu_reset(void *be)
{
	return locked_request(be, VFU_DEVICE_RESET, NULL, 0, NULL, 0, NULL, 0, NULL);
}

const struct vfio_dev_ops vfio_user_dev_ops = {
    .region_info = vu_region_info,
    .irq_info = vu_irq_info,
    .region_read = vu_read,
    .region_write = vu_write,
    .region_mmap = vu_mmap,
    .set_msix = vu_set_msix,
    .disable_msix = vu_disable_msix,
    .reset = vu_reset,
};
