/* SPDX-License-Identifier: MIT */
/* orch/hostprep against a fake sysfs tree (tests/unit/fake_sysfs): every
 * host change is journaled before it is made and undone exactly. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/plan.h"
#include "orch/hostprep.h"
#include "orch/state.h"
#include "tests/unit/fake_sysfs.h"

#define PF  "0000:01:00.0"
#define VF1 "0000:01:10.1"
#define HP  "sys/kernel/mm/hugepages/hugepages-2048kB"
#define HP0 "sys/devices/system/node/node0/hugepages/hugepages-2048kB"

struct t {
	struct fake_sys f;
	struct orch_state *st;
	char dir[300];
};

static int setup(void **state)
{
	static struct t t;

	memset(&t, 0, sizeof(t));
	fake_sys_init(&t.f);
	snprintf(t.dir, sizeof(t.dir), "%s/state", t.f.root);
	assert_int_equal(state_create(t.dir, &t.st), 0);
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	state_close(t->st);
	fake_sys_fini(&t->f);
	return 0;
}

static unsigned read_uint(struct t *t, const char *rel)
{
	unsigned v = 0;

	assert_int_equal(sysfs_read_uint(t->f.fs, &v, "%s", rel), 0);
	return v;
}

static size_t pending(struct t *t)
{
	struct journal_entry *e;
	size_t n;

	assert_int_equal(state_journal_pending(t->st, &e, &n), 0);
	free(e);
	return n;
}

static void test_hugepages_raise_and_undo(void **state)
{
	struct t *t = *state;
	struct plan p = {.hp_size = CFG_HP_2M, .nhp = 1};
	char sum[128];

	fake_put(&t->f, HP "/nr_hugepages", "10\n");
	p.hp[0].node = 0;
	p.hp[0].needed = 128;
	p.hp[0].free = 10;
	p.hp[0].add = 118;
	assert_int_equal(hostprep_hugepages(t->f.fs, t->st, &p, sum, sizeof(sum)), 0);
	assert_int_equal(read_uint(t, HP "/nr_hugepages"), 128);
	assert_string_equal(sum, "node 0: 10 -> 128 2M pages");
	assert_int_equal(pending(t), 1);
	assert_int_equal(hostprep_undo(t->f.fs, t->st, false), 0);
	assert_int_equal(read_uint(t, HP "/nr_hugepages"), 10);
	assert_int_equal(pending(t), 0);
	/* Undo is idempotent: nothing pending, nothing written. */
	fake_put(&t->f, HP "/nr_hugepages", "77\n");
	assert_int_equal(hostprep_undo(t->f.fs, t->st, false), 0);
	assert_int_equal(read_uint(t, HP "/nr_hugepages"), 77);
}

static void test_hugepages_per_node_and_nothing_to_do(void **state)
{
	struct t *t = *state;
	struct plan p = {.hp_size = CFG_HP_2M, .nhp = 1};
	char sum[128];

	fake_put(&t->f, HP0 "/nr_hugepages", "0\n");
	fake_put(&t->f, HP "/nr_hugepages", "5\n");
	p.hp[0].add = 0;
	assert_int_equal(hostprep_hugepages(t->f.fs, t->st, &p, sum, sizeof(sum)), 0);
	assert_string_equal(sum, "enough free, unchanged");
	assert_int_equal(pending(t), 0);
	p.hp[0].add = 64;
	assert_int_equal(hostprep_hugepages(t->f.fs, t->st, &p, sum, sizeof(sum)), 0);
	assert_int_equal(read_uint(t, HP0 "/nr_hugepages"), 64); /* the node's pool */
	assert_int_equal(read_uint(t, HP "/nr_hugepages"), 5);
	assert_int_equal(hostprep_undo(t->f.fs, t->st, false), 0);
	assert_int_equal(read_uint(t, HP0 "/nr_hugepages"), 0);
}

static void test_hugepages_write_fails_then_rollback(void **state)
{
	struct t *t = *state;
	struct plan p = {.hp_size = CFG_HP_2M, .nhp = 1};
	char sum[128];

	fake_put(&t->f, HP "/nr_hugepages", "3\n");
	p.hp[0].add = 5;
	snprintf(t->f.fail_suffix, sizeof(t->f.fail_suffix), "nr_hugepages");
	t->f.fail_errno = ENOMEM;
	fake_stderr_begin(&t->f);
	assert_int_equal(hostprep_hugepages(t->f.fs, t->st, &p, sum, sizeof(sum)), -ENOMEM);
	assert_non_null(strstr(fake_stderr_end(&t->f), "nr_hugepages"));
	/* Journaled before the write: the undo writes the old value back. */
	assert_int_equal(pending(t), 1);
	assert_int_equal(hostprep_undo(t->f.fs, t->st, false), 0);
	assert_int_equal(read_uint(t, HP "/nr_hugepages"), 3);
}

static void test_vfs_bind_and_undo(void **state)
{
	struct t *t = *state;
	struct cfg_pf pf = {.name = "pf0", .numvfs = 2};
	struct plan_action acts[2] = {0};
	struct plan p = {.actions = acts, .nactions = 2};
	char sum[160];

	fake_add_dev(&t->f, PF, 20, "ixgbe", "ixgbe");
	fake_make_pf(&t->f, PF, 4, "enp1s0f0");
	pf.at[PF_PCI].line = 3;
	assert_int_equal(parse_pci_bdf(PF, &pf.pci), 0);
	acts[0].kind = PLAN_SET_NUMVFS;
	snprintf(acts[0].bdf, sizeof(acts[0].bdf), PF);
	acts[0].pf = &pf;
	acts[0].to = 2;
	acts[1].kind = PLAN_BIND_VFIO;
	acts[1].is_vf = true;
	acts[1].vf_index = 1;
	acts[1].pf = &pf;
	snprintf(acts[1].user, sizeof(acts[1].user), "VM fw");

	assert_int_equal(hostprep_vfs(t->f.fs, t->st, &p, sum, sizeof(sum)), 0);
	assert_string_equal(sum, PF ": 0 -> 2 VFs");
	assert_string_equal(acts[1].bdf, VF1); /* filled in for the launch lines */
	assert_int_equal(read_uint(t, "sys/bus/pci/devices/" PF "/sriov_numvfs"), 2);
	/* Autoprobe was off while the VFs appeared: no host driver took them. */
	assert_string_equal(fake_driver(&t->f, VF1), "");
	assert_int_equal(hostprep_vfio(t->f.fs, t->st, &p, sum, sizeof(sum)), 0);
	assert_string_equal(fake_driver(&t->f, VF1), "vfio-pci");
	assert_string_equal(sum, "1 bound, 0 already on vfio-pci");
	assert_int_equal(pending(t), 2);

	assert_int_equal(hostprep_undo(t->f.fs, t->st, false), 0);
	assert_int_equal(read_uint(t, "sys/bus/pci/devices/" PF "/sriov_numvfs"), 0);
	assert_int_equal(read_uint(t, "sys/bus/pci/devices/" PF "/sriov_drivers_autoprobe"), 1);
	assert_false(sysfs_exists(t->f.fs, "sys/bus/pci/devices/%s", VF1));
	assert_string_equal(fake_driver(&t->f, PF), "ixgbe");
	/* The VF was unbound from vfio-pci before its PF's VF count went to 0. */
	assert_true(fake_find_write(&t->f, 0, "vfio-pci/unbind", VF1) >= 0);
	assert_true(fake_find_write(&t->f, 0, "vfio-pci/unbind", VF1) <
		    fake_find_write(&t->f, fake_find_write(&t->f, 0, "vfio-pci/unbind", VF1),
				    "sriov_numvfs", "0"));
	assert_int_equal(pending(t), 0);
}

static void test_bind_existing_device_restores_driver(void **state)
{
	struct t *t = *state;
	struct plan_action act = {.kind = PLAN_BIND_VFIO, .bdf = "0000:03:00.0"};
	struct plan p = {.actions = &act, .nactions = 1};
	char sum[160];

	fake_add_dev(&t->f, "0000:03:00.0", 7, "nvme", "nvme");
	fake_add_dev(&t->f, "0000:04:00.0", 8, "vfio-pci", "nvme");
	assert_int_equal(hostprep_vfio(t->f.fs, t->st, &p, sum, sizeof(sum)), 0);
	assert_string_equal(fake_driver(&t->f, "0000:03:00.0"), "vfio-pci");
	/* Already on vfio-pci: left alone, not journaled. */
	snprintf(act.bdf, sizeof(act.bdf), "0000:04:00.0");
	assert_int_equal(hostprep_vfio(t->f.fs, t->st, &p, sum, sizeof(sum)), 0);
	assert_string_equal(sum, "0 bound, 1 already on vfio-pci");
	assert_int_equal(pending(t), 1);
	assert_int_equal(hostprep_undo(t->f.fs, t->st, false), 0);
	assert_string_equal(fake_driver(&t->f, "0000:03:00.0"), "nvme");
	assert_string_equal(fake_override(&t->f, "0000:03:00.0"), "");
	assert_string_equal(fake_driver(&t->f, "0000:04:00.0"), "vfio-pci");
}

static void test_bind_refused_without_vfio_driver(void **state)
{
	struct t *t = *state;
	struct plan_action act = {.kind = PLAN_BIND_VFIO, .bdf = "0000:03:00.0"};
	struct plan p = {.actions = &act, .nactions = 1};
	char sum[160];

	fake_add_dev(&t->f, "0000:03:00.0", 7, "nvme", "nvme");
	fake_remove_driver(&t->f, "vfio-pci");
	fake_stderr_begin(&t->f);
	assert_int_equal(hostprep_vfio(t->f.fs, t->st, &p, sum, sizeof(sum)), -ENODEV);
	assert_non_null(strstr(fake_stderr_end(&t->f), "modprobe vfio-pci"));
	assert_string_equal(fake_driver(&t->f, "0000:03:00.0"), "nvme");
	assert_int_equal(pending(t), 0);
}

static void test_files_and_malformed_entries(void **state)
{
	struct t *t = *state;
	char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sock", t->f.root);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(hostprep_note_file(t->st, path), 0);
	assert_int_equal(hostprep_note_file(t->st, "/has space"), -EINVAL);
	assert_int_equal(state_journal_add(t->st, NULL, "bogus", "x"), 0);
	fake_stderr_begin(&t->f);
	/* The unknown entry is reported and kept; the file is still removed. */
	assert_int_equal(hostprep_undo(t->f.fs, t->st, false), -EINVAL);
	assert_non_null(strstr(fake_stderr_end(&t->f), "undo it by hand"));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(pending(t), 1);
}

/* dir entries (orch/jailprep.h): journaled before the files in them, so
 * undo removes the files first; a directory that is not empty again is
 * reported and its entry kept for the next down; a shareddir (a jail.dir
 * other appliances may use) that is not empty is kept quietly. */
static void test_dirs_undo(void **state)
{
	struct t *t = *state;
	char d1[400], d2[400], sock[420], stray[420];
	FILE *f;

	snprintf(d1, sizeof(d1), "%s/vhost-vm1", t->f.root);
	snprintf(d2, sizeof(d2), "%s/jail-vm1", t->f.root);
	snprintf(sock, sizeof(sock), "%s/p.sock", d1);
	snprintf(stray, sizeof(stray), "%s/left", d2);
	assert_int_equal(state_journal_add(t->st, NULL, "dir", "%s", d2), 0);
	assert_int_equal(mkdir(d2, 0755), 0);
	assert_int_equal(state_journal_add(t->st, NULL, "dir", "%s", d1), 0);
	assert_int_equal(mkdir(d1, 0750), 0);
	assert_int_equal(hostprep_note_file(t->st, sock), 0);
	f = fopen(sock, "w");
	assert_non_null(f);
	fclose(f);
	f = fopen(stray, "w");
	assert_non_null(f);
	fclose(f);
	fake_stderr_begin(&t->f);
	assert_int_equal(hostprep_undo(t->f.fs, t->st, false), -ENOTEMPTY);
	assert_non_null(strstr(fake_stderr_end(&t->f), "something was left in it"));
	assert_int_equal(access(d1, F_OK), -1);
	assert_int_equal(access(d2, F_OK), 0);
	assert_int_equal(pending(t), 1);
	/* Once it is empty, down again finishes; an absent dir is fine too. */
	assert_int_equal(unlink(stray), 0);
	assert_int_equal(hostprep_undo(t->f.fs, t->st, false), 0);
	assert_int_equal(access(d2, F_OK), -1);
	assert_int_equal(pending(t), 0);
	assert_int_equal(state_journal_add(t->st, NULL, "dir", "%s", d2), 0);
	assert_int_equal(hostprep_undo(t->f.fs, t->st, false), 0);
	/* A shared jail.dir someone else uses by now is kept without error. */
	assert_int_equal(state_journal_add(t->st, NULL, "shareddir", "%s", d2), 0);
	assert_int_equal(mkdir(d2, 0755), 0);
	assert_int_equal(mkdir(stray, 0755), 0);
	assert_int_equal(hostprep_undo(t->f.fs, t->st, false), 0);
	assert_int_equal(access(stray, F_OK), 0);
	assert_int_equal(pending(t), 0);
	assert_int_equal(rmdir(stray), 0);
	assert_int_equal(state_journal_add(t->st, NULL, "shareddir", "%s", d2), 0);
	assert_int_equal(hostprep_undo(t->f.fs, t->st, false), 0);
	assert_int_equal(access(d2, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_hugepages_raise_and_undo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hugepages_per_node_and_nothing_to_do, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_hugepages_write_fails_then_rollback, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_vfs_bind_and_undo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bind_existing_device_restores_driver, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bind_refused_without_vfio_driver, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_files_and_malformed_entries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dirs_undo, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
