/* SPDX-License-Identifier: MIT */
/* MSI-X: capability, table and PBA semantics against a fake router that
 * behaves like KVM's irqfd (assign injects if the eventfd is signalled). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <cmocka.h>
#include <linux/pci_regs.h>

#include "vmm/msix.h"
#include "vmm/pci.h"

#define NGSI 64

struct fake_router {
	bool used[NGSI];
	uint64_t addr[NGSI];
	uint32_t data[NGSI];
	int bound_fd[NGSI][4];
	int injected[NGSI]; /* per GSI */
	int signals;	    /* msix_notify deliveries */
	uint64_t sig_addr;
	uint32_t sig_data;
	int adds, updates, dels;
	bool fail_add;
};

static int fr_route_add(void *o, uint64_t addr, uint32_t data, uint32_t *gsi)
{
	struct fake_router *r = o;

	if (r->fail_add)
		return -ENOSPC;
	for (uint32_t g = 24; g < NGSI; g++) {
		if (!r->used[g]) {
			r->used[g] = true;
			r->addr[g] = addr;
			r->data[g] = data;
			*gsi = g;
			r->adds++;
			return 0;
		}
	}
	return -ENOSPC;
}

static int fr_route_update(void *o, uint32_t gsi, uint64_t addr, uint32_t data)
{
	struct fake_router *r = o;

	assert_true(r->used[gsi]);
	r->addr[gsi] = addr;
	r->data[gsi] = data;
	r->updates++;
	return 0;
}

static void fr_route_del(void *o, uint32_t gsi)
{
	struct fake_router *r = o;

	assert_true(r->used[gsi]);
	for (int i = 0; i < 4; i++)
		assert_int_equal(r->bound_fd[gsi][i], 0); /* irqfds go first */
	r->used[gsi] = false;
	r->dels++;
}

static int fr_irqfd(void *o, int fd, uint32_t gsi, bool assign)
{
	struct fake_router *r = o;
	uint64_t cnt;

	assert_true(r->used[gsi]);
	for (int i = 0; i < 4; i++) {
		if (assign && r->bound_fd[gsi][i] == 0) {
			r->bound_fd[gsi][i] = fd;
			/* KVM: assigning an already signalled eventfd injects. */
			if (read(fd, &cnt, sizeof(cnt)) == sizeof(cnt))
				r->injected[gsi]++;
			return 0;
		}
		if (!assign && r->bound_fd[gsi][i] == fd) {
			r->bound_fd[gsi][i] = 0;
			return 0;
		}
	}
	fail_msg("irqfd %s of fd %d on gsi %u unexpected", assign ? "assign" : "deassign", fd, gsi);
	return -EINVAL;
}

static int fr_signal(void *o, uint64_t addr, uint32_t data)
{
	struct fake_router *r = o;

	r->signals++;
	r->sig_addr = addr;
	r->sig_data = data;
	return 1;
}

static const struct msi_router_ops fr_ops = {
    .route_add = fr_route_add,
    .route_update = fr_route_update,
    .route_del = fr_route_del,
    .irqfd = fr_irqfd,
    .signal = fr_signal,
};

/* The device side of an interrupt: the backend writes its call eventfd;
 * if KVM has it as an irqfd the write becomes an injection right away. */
static bool fd_bound(struct fake_router *r, int fd, uint32_t *gsi)
{
	for (uint32_t g = 0; g < NGSI; g++)
		for (int i = 0; i < 4; i++)
			if (r->used[g] && r->bound_fd[g][i] == fd) {
				*gsi = g;
				return true;
			}
	return false;
}

static void backend_signal(struct fake_router *r, int fd)
{
	uint64_t one = 1;
	uint32_t gsi;

	if (fd_bound(r, fd, &gsi))
		r->injected[gsi]++;
	else
		assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

struct env {
	struct fake_router r;
	struct pci_bus *bus;
	struct pci_dev *dev;
	struct msix *msix;
	uint8_t cap;
	int efd[4];
};

static void env_cfg_write(void *o, uint32_t off, uint32_t val, unsigned len)
{
	struct env *e = o;

	if (e->msix)
		msix_cfg_write(e->msix, off, val, len);
}

static const struct pci_dev_ops env_ops = {.cfg_write = env_cfg_write};

#define NVEC	  4
#define TABLE_OFF 0x1000
#define PBA_OFF	  0x2000

static int setup(void **state)
{
	struct pci_dev_desc d = {
	    .name = "msixdev",
	    .vendor_id = 0x1af4,
	    .device_id = 0x1041,
	    .bars = {[0] = {PCI_BAR_MEM32, 0x4000, false}},
	};
	struct pci_bus_config c;
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	pci_bus_default_config(1ull << 30, &c);
	assert_int_equal(pci_bus_create(&c, &e->bus), 0);
	assert_int_equal(pci_dev_register(e->bus, &d, &env_ops, e, &e->dev), 0);
	assert_int_equal(msix_create(e->dev, NVEC, 0, TABLE_OFF, PBA_OFF, &fr_ops, &e->r, &e->msix),
			 0);
	e->cap = (uint8_t)pci_cfg_get(e->dev, PCI_CAPABILITY_LIST, 1);
	for (int i = 0; i < 4; i++) {
		e->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		assert_true(e->efd[i] >= 0);
	}
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	msix_destroy(e->msix);
	for (uint32_t g = 0; g < NGSI; g++)
		assert_false(e->r.used[g]); /* destroy removed every route */
	for (int i = 0; i < 4; i++)
		close(e->efd[i]);
	pci_bus_destroy(e->bus);
	free(e);
	return 0;
}

/* Guest-side accessors. */
static void ctl_write(struct env *e, uint16_t v)
{
	uint32_t x = v;
	uint64_t off = ((uint64_t)pci_dev_slot(e->dev) << 15) | (e->cap + PCI_MSIX_FLAGS);

	assert_int_equal(pci_ecam_access(e->bus, off, &x, 2, true), 0);
}

static uint32_t tbl_read(struct env *e, unsigned vec, unsigned field)
{
	uint32_t v = 0;

	assert_true(msix_bar_access(e->msix, 0, TABLE_OFF + vec * 16 + field, &v, 4, false));
	return v;
}

static void tbl_write(struct env *e, unsigned vec, unsigned field, uint32_t v)
{
	assert_true(msix_bar_access(e->msix, 0, TABLE_OFF + vec * 16 + field, &v, 4, true));
}

static uint64_t pba(struct env *e)
{
	uint64_t v = 0;

	assert_true(msix_bar_access(e->msix, 0, PBA_OFF, &v, 8, false));
	return v;
}

static void program(struct env *e, unsigned vec, uint32_t addr, uint32_t data)
{
	tbl_write(e, vec, PCI_MSIX_ENTRY_LOWER_ADDR, addr);
	tbl_write(e, vec, PCI_MSIX_ENTRY_UPPER_ADDR, 0);
	tbl_write(e, vec, PCI_MSIX_ENTRY_DATA, data);
}

static void test_capability(void **state)
{
	struct env *e = *state;
	uint32_t v;

	assert_int_equal(pci_cfg_get(e->dev, e->cap, 1), PCI_CAP_ID_MSIX);
	assert_int_equal(pci_cfg_get(e->dev, e->cap + PCI_MSIX_FLAGS, 2), NVEC - 1);
	assert_int_equal(pci_cfg_get(e->dev, e->cap + PCI_MSIX_TABLE, 4), TABLE_OFF | 0);
	assert_int_equal(pci_cfg_get(e->dev, e->cap + PCI_MSIX_PBA, 4), PBA_OFF | 0);
	/* Only enable and mask-all are writable; table size and BIR are not. */
	ctl_write(e, 0xffff);
	assert_int_equal(pci_cfg_get(e->dev, e->cap + PCI_MSIX_FLAGS, 2),
			 PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | (NVEC - 1));
	assert_true(msix_enabled(e->msix));
	v = 0xffffffff;
	pci_ecam_access(e->bus, ((uint64_t)pci_dev_slot(e->dev) << 15) | (e->cap + PCI_MSIX_TABLE),
			&v, 4, true);
	assert_int_equal(pci_cfg_get(e->dev, e->cap + PCI_MSIX_TABLE, 4), TABLE_OFF);
	/* Power-on table: all masked, zero addresses, nothing routed. */
	for (unsigned i = 0; i < NVEC; i++) {
		assert_int_equal(tbl_read(e, i, PCI_MSIX_ENTRY_VECTOR_CTRL), 1);
		assert_int_equal(tbl_read(e, i, PCI_MSIX_ENTRY_LOWER_ADDR), 0);
		assert_false(msix_vector_routed(e->msix, i));
	}
	assert_int_equal(msix_bad_route_count(e->msix), 0);
}

static void test_route_and_irqfd_lifecycle(void **state)
{
	struct env *e = *state;
	uint64_t q;

	assert_int_equal(msix_bind_fd(e->msix, 1, e->efd[0]), 0);
	program(e, 1, 0xfee01000, 0x4041);
	/* MSI-X still disabled: no route. */
	assert_false(msix_vector_routed(e->msix, 1));
	ctl_write(e, PCI_MSIX_FLAGS_ENABLE);
	assert_true(msix_vector_routed(e->msix, 1));
	assert_int_equal(e->r.adds, 1);
	assert_int_equal(e->r.addr[24], 0xfee01000);
	assert_int_equal(e->r.data[24], 0x4041);
	assert_int_equal(e->r.bound_fd[24][0], 0); /* masked: no irqfd */
	/* Unmask: the eventfd becomes an irqfd; signals go straight to the guest. */
	tbl_write(e, 1, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	assert_int_equal(e->r.bound_fd[24][0], e->efd[0]);
	for (int i = 0; i < 5; i++)
		backend_signal(&e->r, e->efd[0]);
	assert_int_equal(e->r.injected[24], 5);
	/* 64-bit table access (qword address write) works too. */
	q = 0xfee02000ull;
	assert_true(msix_bar_access(e->msix, 0, TABLE_OFF + 16, &q, 8, true));
	assert_int_equal(e->r.addr[24], 0xfee02000);
	assert_int_equal(e->r.updates, 1);
	assert_int_equal(e->r.bound_fd[24][0], e->efd[0]); /* stays bound */
	/* Data reprogrammed while unmasked: route updated in place. */
	tbl_write(e, 1, PCI_MSIX_ENTRY_DATA, 0x4042);
	assert_int_equal(e->r.data[24], 0x4042);
	assert_int_equal(e->r.adds, 1);
	/* Disable: irqfd unbound, route deleted. */
	ctl_write(e, 0);
	assert_false(msix_vector_routed(e->msix, 1));
	assert_int_equal(e->r.dels, 1);
	msix_unbind_fd(e->msix, 1, e->efd[0]);
}

static void test_mask_pending_unmask(void **state)
{
	struct env *e = *state;

	assert_int_equal(msix_bind_fd(e->msix, 0, e->efd[0]), 0);
	program(e, 0, 0xfee00000, 0x30);
	ctl_write(e, PCI_MSIX_FLAGS_ENABLE);
	tbl_write(e, 0, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	backend_signal(&e->r, e->efd[0]);
	assert_int_equal(e->r.injected[24], 1);
	assert_int_equal(pba(e), 0);
	/* Mask while traffic flows: signals are held, the PBA shows them. */
	tbl_write(e, 0, PCI_MSIX_ENTRY_VECTOR_CTRL, 1);
	assert_int_equal(e->r.bound_fd[24][0], 0);
	assert_int_equal(pba(e), 0);
	backend_signal(&e->r, e->efd[0]);
	backend_signal(&e->r, e->efd[0]);
	assert_int_equal(e->r.injected[24], 1);
	assert_int_equal(pba(e), 1);
	assert_true(msix_vector_pending(e->msix, 0));
	/* Reading the PBA does not consume the pending state. */
	assert_int_equal(pba(e), 1);
	/* Unmask: delivered exactly once (MSI is edge: coalescing is allowed). */
	tbl_write(e, 0, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	assert_int_equal(e->r.injected[24], 2);
	assert_int_equal(pba(e), 0);
	/* Function-wide mask-all behaves the same. */
	ctl_write(e, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	backend_signal(&e->r, e->efd[0]);
	assert_int_equal(pba(e), 1);
	ctl_write(e, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(e->r.injected[24], 3);
	assert_int_equal(pba(e), 0);
	msix_unbind_fd(e->msix, 0, e->efd[0]);
}

static void test_shared_vector(void **state)
{
	struct env *e = *state;

	/* Two queues on one vector: both sources are irqfds on one GSI. */
	assert_int_equal(msix_bind_fd(e->msix, 2, e->efd[0]), 0);
	assert_int_equal(msix_bind_fd(e->msix, 2, e->efd[1]), 0);
	assert_int_equal(msix_bind_fd(e->msix, 2, e->efd[1]), 0); /* idempotent */
	program(e, 2, 0xfee00000, 0x51);
	tbl_write(e, 2, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	ctl_write(e, PCI_MSIX_FLAGS_ENABLE);
	backend_signal(&e->r, e->efd[0]);
	backend_signal(&e->r, e->efd[1]);
	assert_int_equal(e->r.injected[24], 2);
	/* Unbinding one source while unmasked leaves the other bound. */
	msix_unbind_fd(e->msix, 2, e->efd[0]);
	assert_true(e->r.bound_fd[24][0] == e->efd[1] || e->r.bound_fd[24][1] == e->efd[1]);
	msix_unbind_fd(e->msix, 2, e->efd[1]);
	assert_int_equal(e->r.bound_fd[24][0] | e->r.bound_fd[24][1], 0);
	/* Binding while unmasked binds at once; a signalled fd injects on bind. */
	backend_signal(&e->r, e->efd[2]);
	assert_int_equal(msix_bind_fd(e->msix, 2, e->efd[2]), 0);
	assert_int_equal(e->r.injected[24], 3);
	msix_unbind_fd(e->msix, 2, e->efd[2]);
}

static void test_notify(void **state)
{
	struct env *e = *state;

	/* Config-change interrupt raised by the VMM while masked: pending. */
	program(e, 3, 0xfee00000, 0x61);
	ctl_write(e, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(msix_notify(e->msix, 3), 0);
	assert_int_equal(e->r.signals, 0);
	assert_int_equal(pba(e), 1u << 3);
	tbl_write(e, 3, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	assert_int_equal(e->r.signals, 1);
	assert_int_equal(e->r.sig_data, 0x61);
	assert_int_equal(pba(e), 0);
	/* Unmasked: immediate. */
	assert_int_equal(msix_notify(e->msix, 3), 0);
	assert_int_equal(e->r.signals, 2);
	assert_int_equal(msix_notify(e->msix, NVEC), -EINVAL);
	assert_int_equal(msix_notify(e->msix, MSIX_NO_VECTOR), -EINVAL);
	/* Reset: back to masked, disabled, pending cleared. */
	assert_int_equal(msix_notify(e->msix, 2), 0);
	msix_reset(e->msix);
	assert_false(msix_enabled(e->msix));
	assert_int_equal(tbl_read(e, 3, PCI_MSIX_ENTRY_VECTOR_CTRL), 1);
	assert_int_equal(pba(e), 0);
	assert_int_equal(pci_cfg_get(e->dev, e->cap + PCI_MSIX_FLAGS, 2), NVEC - 1);
}

static void test_garbage_address(void **state)
{
	struct env *e = *state;

	assert_int_equal(msix_bind_fd(e->msix, 0, e->efd[0]), 0);
	ctl_write(e, PCI_MSIX_FLAGS_ENABLE);
	/* An address in RAM: not routed, counted once, signals held. */
	program(e, 0, 0x00100000, 0x30);
	tbl_write(e, 0, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	assert_false(msix_vector_routed(e->msix, 0));
	assert_int_equal(msix_bad_route_count(e->msix), 1);
	tbl_write(e, 0, PCI_MSIX_ENTRY_LOWER_ADDR, 0x00100000); /* same again */
	assert_int_equal(msix_bad_route_count(e->msix), 1);
	backend_signal(&e->r, e->efd[0]);
	assert_int_equal(pba(e), 1);
	/* Upper half set: also refused. */
	tbl_write(e, 0, PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee00000);
	tbl_write(e, 0, PCI_MSIX_ENTRY_UPPER_ADDR, 1);
	assert_false(msix_vector_routed(e->msix, 0));
	assert_int_equal(msix_bad_route_count(e->msix), 2);
	/* Fixed: routed, the held signal is delivered. */
	tbl_write(e, 0, PCI_MSIX_ENTRY_UPPER_ADDR, 0);
	assert_true(msix_vector_routed(e->msix, 0));
	assert_int_equal(e->r.injected[24], 1);
	/* Router out of GSIs: counted, unrouted, no crash. */
	e->r.fail_add = true;
	program(e, 1, 0xfee00000, 0x40);
	tbl_write(e, 1, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	assert_false(msix_vector_routed(e->msix, 1));
	/* Two refusals: (0xfee00000, 0) then (0xfee00000, 0x40); unmasking
	 * the same message does not retry. */
	assert_int_equal(msix_bad_route_count(e->msix), 4);
	e->r.fail_add = false;
	msix_unbind_fd(e->msix, 0, e->efd[0]);
}

static void test_bad_accesses(void **state)
{
	struct env *e = *state;
	uint64_t v = 0x1234;
	uint16_t h = 0xffff;
	struct msix *m;

	/* Word write to the table: dropped. Word read: zero. */
	assert_true(msix_bar_access(e->msix, 0, TABLE_OFF + 12, &h, 2, true));
	assert_int_equal(tbl_read(e, 0, PCI_MSIX_ENTRY_VECTOR_CTRL), 1);
	assert_true(msix_bar_access(e->msix, 0, TABLE_OFF + 12, &h, 2, false));
	assert_int_equal(h, 0);
	/* Misaligned dword: dropped. */
	v = 0;
	assert_true(msix_bar_access(e->msix, 0, TABLE_OFF + 2, &v, 4, true));
	assert_int_equal(tbl_read(e, 0, 0), 0);
	/* PBA write: ignored. */
	v = ~0ull;
	assert_true(msix_bar_access(e->msix, 0, PBA_OFF, &v, 8, true));
	assert_int_equal(pba(e), 0);
	/* Outside table and PBA, or another BAR: not ours. */
	assert_false(msix_bar_access(e->msix, 0, 0, &v, 4, false));
	assert_false(msix_bar_access(e->msix, 0, TABLE_OFF + NVEC * 16, &v, 4, false));
	assert_false(msix_bar_access(e->msix, 1, TABLE_OFF, &v, 4, false));
	/* Binding to vectors that do not exist. */
	assert_int_equal(msix_bind_fd(e->msix, NVEC, e->efd[0]), -EINVAL);
	assert_int_equal(msix_bind_fd(e->msix, MSIX_NO_VECTOR, e->efd[0]), -EINVAL);
	assert_int_equal(msix_bind_fd(e->msix, 0, -1), -EINVAL);
	msix_unbind_fd(e->msix, 99, e->efd[0]); /* no-op */
	/* Layouts that do not fit. */
	assert_int_equal(msix_create(e->dev, 0, 0, 0, 0x100, &fr_ops, &e->r, &m), -EINVAL);
	assert_int_equal(msix_create(e->dev, 4, 0, 0x3ff8, 0, &fr_ops, &e->r, &m), -EINVAL);
	assert_int_equal(msix_create(e->dev, 4, 0, 0, 0x20, &fr_ops, &e->r, &m), -EINVAL);
	assert_int_equal(msix_create(e->dev, 4, 0, 4, 0x100, &fr_ops, &e->r, &m), -EINVAL);
	assert_int_equal(msix_create(e->dev, 4, 3, 0, 0x100, &fr_ops, &e->r, &m), -EINVAL);
}

static void test_guest_fuzz(void **state)
{
	struct env *e = *state;

	for (int i = 0; i < 4; i++)
		assert_int_equal(msix_bind_fd(e->msix, (unsigned)i, e->efd[i]), 0);
	srand(7);
	for (int i = 0; i < 100000; i++) {
		uint64_t v = ((uint64_t)rand() << 32) | (uint32_t)rand();
		unsigned len = 1u << (rand() % 4);
		uint64_t off = (uint64_t)(rand() % 0x4000);

		if (rand() % 8 == 0)
			v = 0xfee00000u | (v & 0xff000);
		if (rand() % 16 == 0)
			ctl_write(e, (uint16_t)rand());
		else if (rand() % 32 == 0)
			backend_signal(&e->r, e->efd[rand() % 4]);
		else
			msix_bar_access(e->msix, 0, off, &v, len, rand() % 2);
	}
	/* Invariant: a bound irqfd only ever sits on a routed GSI. */
	for (uint32_t g = 0; g < NGSI; g++)
		for (int i = 0; i < 4; i++)
			if (e->r.bound_fd[g][i])
				assert_true(e->r.used[g]);
	for (int i = 0; i < 4; i++)
		msix_unbind_fd(e->msix, (unsigned)i, e->efd[i]);
	for (uint32_t g = 0; g < NGSI; g++)
		for (int i = 0; i < 4; i++)
			assert_int_equal(e->r.bound_fd[g][i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_capability, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_route_and_irqfd_lifecycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mask_pending_unmask, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shared_vector, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notify, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_accesses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guest_fuzz, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
