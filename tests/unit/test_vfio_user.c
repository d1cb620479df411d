/* SPDX-License-Identifier: MIT */
/* vfio-user: the wire codec (fds, bounds), and our client + the
 * passthrough device model against the test device server (in a thread,
 * over a socketpair): config space, BAR registers, DMA into guest RAM
 * (memfd shared with DMA_MAP), MSI-X through eventfds, a dead server. */
#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/vfio_user/testdev.h"
#include "vfio/pci_passthrough.h"
#include "vfio/vfio_user.h"
#include "vfio/vfio_user_msg.h"
#include "vmm/mem.h"

static void test_codec(void **state)
{
	struct vfu_hdr h = {.msg_id = 7, .cmd = VFU_REGION_READ}, r;
	int sv[2], efd = eventfd(0, 0), fds[VFU_MAX_FDS];
	uint8_t big[64] = {1, 2, 3}, buf[16];
	unsigned nfds;
	size_t len;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(vfu_send(sv[0], &h, big, 10, &efd, 1), 0);
	assert_int_equal(vfu_recv(sv[1], &r, buf, sizeof(buf), &len, fds, &nfds), 0);
	assert_int_equal(r.msg_id, 7);
	assert_int_equal(r.msg_size, sizeof(r) + 10);
	assert_int_equal(len, 10);
	assert_int_equal(buf[2], 3);
	assert_int_equal(nfds, 1);
	close(fds[0]);
	/* Too big for the receiver: drained, reported, stream still in sync. */
	assert_int_equal(vfu_send(sv[0], &h, big, sizeof(big), NULL, 0), 0);
	assert_int_equal(vfu_recv(sv[1], &r, buf, sizeof(buf), &len, fds, &nfds), -EMSGSIZE);
	assert_int_equal(vfu_send(sv[0], &h, big, 4, NULL, 0), 0);
	assert_int_equal(vfu_recv(sv[1], &r, buf, sizeof(buf), &len, fds, &nfds), 0);
	assert_int_equal(len, 4);
	/* A header claiming less than itself. */
	r = (struct vfu_hdr){.msg_size = 3};
	assert_int_equal(write(sv[0], &r, sizeof(r)), sizeof(r));
	assert_int_equal(vfu_recv(sv[1], &r, buf, sizeof(buf), &len, fds, &nfds), -EPROTO);
	close(sv[0]);
	assert_int_equal(vfu_recv(sv[1], &r, buf, sizeof(buf), &len, fds, &nfds), -ECONNRESET);
	close(sv[1]);
	close(efd);
}

/* ---- client + model against the test device ---- */

struct fake_router {
	int bound_fd[8];
	uint32_t gsi_of[8];
	int nroutes;
};

static int r_add(void *o, uint64_t a, uint32_t d, uint32_t *gsi)
{
	*gsi = 24 + (uint32_t)((struct fake_router *)o)->nroutes++;
	return 0;
}
static int r_update(void *o, uint32_t gsi, uint64_t a, uint32_t d)
{
	return 0;
}
static void r_del(void *o, uint32_t gsi)
{
}
static int r_irqfd(void *o, int fd, uint32_t gsi, bool assign)
{
	struct fake_router *r = o;

	r->bound_fd[(gsi - 24) % 8] = assign ? fd : -1;
	return 0;
}
static int r_signal(void *o, uint64_t a, uint32_t d)
{
	return 0;
}
static const struct msi_router_ops router = {r_add, r_update, r_del, r_irqfd, r_signal};

static int no_slot(void *o, uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
	fail_msg("vfio-user regions must never become memslots");
	return -EINVAL;
}
static const struct pt_memslot_ops slots = {no_slot};

struct env {
	struct testdev *td;
	int sv[2];
	pthread_t server;
	struct vfio_user *vu;
	struct guest_mem *mem;
	struct pci_bus *bus;
	struct pci_passthrough *pt;
	struct fake_router rt;
	unsigned slot;
	uint64_t bar0;
};

static void *serve(void *arg)
{
	struct env *e = arg;

	testdev_serve(e->td, e->sv[1]);
	return NULL;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct pci_bus_config bc;
	struct pt_config cfg;

	assert_int_equal(testdev_create(&e->td), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, e->sv), 0);
	assert_int_equal(pthread_create(&e->server, NULL, serve, e), 0);
	assert_int_equal(vfio_user_attach(e->sv[0], "testdev", &e->vu), 0);
	assert_int_equal(guest_mem_create(16 << 20, HUGEPAGES_NONE, &e->mem), 0);
	assert_int_equal(vfio_user_dma_map_guest(e->vu, e->mem), 0);
	pci_bus_default_config(16 << 20, &bc);
	assert_int_equal(pci_bus_create(&bc, &e->bus), 0);
	cfg = (struct pt_config){.name = "vfio-user-test",
				 .ops = &vfio_user_dev_ops,
				 .be = e->vu,
				 .msi = &router,
				 .msi_opaque = &e->rt,
				 .slots = &slots,
				 .slots_opaque = NULL,
				 .first_slot = 8};
	assert_int_equal(pci_passthrough_create(e->bus, &cfg, &e->pt), 0);
	e->slot = pci_dev_slot(pci_passthrough_pci_dev(e->pt));
	e->bar0 = pci_dev_bar_addr(pci_passthrough_pci_dev(e->pt), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	pci_passthrough_destroy(e->pt);
	pci_bus_destroy(e->bus);
	vfio_user_close(e->vu); /* closes sv[0]: the server loop ends */
	pthread_join(e->server, NULL);
	close(e->sv[1]);
	guest_mem_destroy(e->mem);
	testdev_destroy(e->td);
	free(e);
	return 0;
}

static uint32_t cfg_rd(struct env *e, unsigned reg, unsigned len)
{
	uint32_t v = 0;

	pci_ecam_access(e->bus, (uint64_t)e->slot << 15 | reg, &v, len, false);
	return v;
}
static void cfg_wr(struct env *e, unsigned reg, uint32_t v, unsigned len)
{
	pci_ecam_access(e->bus, (uint64_t)e->slot << 15 | reg, &v, len, true);
}
static uint32_t rd(struct env *e, uint64_t off)
{
	uint32_t v = 0;

	pci_bar_access(e->bus, e->bar0 + off, &v, 4, false, false);
	return v;
}
static void wr(struct env *e, uint64_t off, uint32_t v)
{
	pci_bar_access(e->bus, e->bar0 + off, &v, 4, true, false);
}

static void test_config_and_registers(void **state)
{
	struct env *e = *state;
	unsigned cap;

	assert_int_equal(cfg_rd(e, PCI_VENDOR_ID, 2), TD_VENDOR);
	assert_int_equal(cfg_rd(e, PCI_DEVICE_ID, 2), TD_DEVICE);
	cap = cfg_rd(e, PCI_CAPABILITY_LIST, 1);
	assert_int_equal(cfg_rd(e, cap, 1), PCI_CAP_ID_MSIX);
	assert_int_equal(cfg_rd(e, cap + PCI_MSIX_FLAGS, 2) & 0x7ff, TD_MSIX_VECS - 1);
	assert_int_equal(pci_dev_bar_size(pci_passthrough_pci_dev(e->pt), 0), TD_BAR0_SIZE);
	cfg_wr(e, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	assert_int_equal(rd(e, TD_REG_MAGIC), TD_MAGIC);
	assert_int_equal(rd(e, TD_REG_VERSION), 1);
	wr(e, TD_REG_SCRATCH, 0x5a5aa5a5);
	assert_int_equal(rd(e, TD_REG_SCRATCH), 0x5a5aa5a5);
	/* Everything was trapped and forwarded as messages. */
	assert_true(pci_passthrough_trapped_count(e->pt) >= 4);
	assert_int_equal(pci_passthrough_direct_mapped(e->pt), 0);
}

static void test_dma_into_guest_ram(void **state)
{
	struct env *e = *state;
	const uint64_t gpa = 0x10000;
	uint8_t *p = guest_mem_ptr(e->mem, gpa, 4096);
	uint32_t sum = 0;

	cfg_wr(e, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	memset(p, 0, 4096);
	wr(e, TD_REG_DMA_ADDR, (uint32_t)gpa);
	wr(e, TD_REG_DMA_ADDR + 4, 0);
	wr(e, TD_REG_DMA_LEN, 4096);
	wr(e, TD_REG_DMA_SEED, 7);
	wr(e, TD_REG_DMA_CMD, TD_DMA_FILL);
	assert_int_equal(rd(e, TD_REG_DMA_STATUS), TD_DMA_DONE);
	for (unsigned i = 0; i < 4096; i++) {
		assert_int_equal(p[i], (uint8_t)((7 + 31 * i) & 0xff));
		sum += p[i];
	}
	p[100] ^= 0xff; /* the guest changes a byte; the device must see it */
	sum = sum - (uint8_t)(p[100] ^ 0xff) + p[100];
	wr(e, TD_REG_DMA_CMD, TD_DMA_SUM);
	assert_int_equal(rd(e, TD_REG_DMA_STATUS), TD_DMA_DONE);
	assert_int_equal(rd(e, TD_REG_DMA_RESULT), sum);
	/* Outside guest RAM: refused by the device's DMA map lookup. */
	wr(e, TD_REG_DMA_ADDR, 0x40000000);
	wr(e, TD_REG_DMA_CMD, TD_DMA_FILL);
	assert_int_equal(rd(e, TD_REG_DMA_STATUS), TD_DMA_DONE | TD_DMA_ERROR);
}

static void test_msix_through_eventfds(void **state)
{
	struct env *e = *state;
	unsigned cap = cfg_rd(e, PCI_CAPABILITY_LIST, 1);
	uint64_t cnt = 0;
	uint32_t pba;
	int fd;

	cfg_wr(e, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	for (unsigned v = 0; v < TD_MSIX_VECS; v++) {
		wr(e, TD_MSIX_TABLE + 16 * v, 0xfee00000);
		wr(e, TD_MSIX_TABLE + 16 * v + 4, 0);
		wr(e, TD_MSIX_TABLE + 16 * v + 8, 0x40 + v);
	}
	cfg_wr(e, cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
	assert_true(pci_passthrough_msix_on(e->pt));
	wr(e, TD_MSIX_TABLE + 12, 0); /* unmask vector 0 only */
	fd = e->rt.bound_fd[0];
	assert_true(fd >= 0);
	wr(e, TD_REG_IRQ_CMD, 0);
	assert_int_equal(read(fd, &cnt, 8), 8); /* what KVM's irqfd would consume */
	assert_int_equal(cnt, 1);
	/* Vector 1 is masked: its interrupt waits in the PBA. */
	wr(e, TD_REG_IRQ_CMD, 1);
	pba = rd(e, TD_MSIX_PBA);
	assert_int_equal(pba & 2, 2);
	assert_int_equal(testdev_irqs_sent(e->td), 2);
	cfg_wr(e, cap + PCI_MSIX_FLAGS, 0, 2);
	assert_false(pci_passthrough_msix_on(e->pt));
}

static void test_server_gone(void **state)
{
	struct env *e = *state;

	cfg_wr(e, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	assert_int_equal(rd(e, TD_REG_MAGIC), TD_MAGIC);
	shutdown(e->sv[1], SHUT_RDWR); /* the server process died */
	pthread_join(e->server, NULL);
	e->server = pthread_self(); /* joined */
	assert_int_equal(rd(e, TD_REG_MAGIC), 0xffffffff);
	assert_true(vfio_user_dead(e->vu));
	wr(e, TD_REG_SCRATCH, 1);				  /* dropped, no crash */
	assert_int_equal(cfg_rd(e, PCI_VENDOR_ID, 2), TD_VENDOR); /* virtual config still there */
}

static int teardown_gone(void **state)
{
	struct env *e = *state;

	pci_passthrough_destroy(e->pt);
	pci_bus_destroy(e->bus);
	vfio_user_close(e->vu);
	close(e->sv[1]);
	guest_mem_destroy(e->mem);
	testdev_destroy(e->td);
	free(e);
	return 0;
}

static void *bad_server(void *arg)
{
	int s = *(int *)arg;
	struct vfu_hdr h;
	uint8_t buf[256];

	if (read(s, &h, sizeof(h)) > 0 && read(s, buf, h.msg_size - sizeof(h)) >= 0) {
		h.flags = 0; /* a "command", not a reply */
		h.msg_size = sizeof(h);
		if (write(s, &h, sizeof(h)) < 0)
			return NULL;
	}
	return NULL;
}

static void test_bad_server_refused(void **state)
{
	struct vfio_user *vu = NULL;
	pthread_t th;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(pthread_create(&th, NULL, bad_server, &sv[1]), 0);
	assert_int_equal(vfio_user_attach(sv[0], "bad", &vu), -EPROTO);
	assert_null(vu);
	pthread_join(th, NULL);
	close(sv[1]);
	assert_int_equal(vfio_user_connect("/nonexistent/nfv.sock", &vu), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_codec),
	    cmocka_unit_test_setup_teardown(test_config_and_registers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dma_into_guest_ram, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_msix_through_eventfds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_server_gone, setup, teardown_gone),
	    cmocka_unit_test(test_bad_server_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
