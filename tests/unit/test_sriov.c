/* SPDX-License-Identifier: MIT */
/* vfio/sriov + vfio/bind against a fake sysfs tree with a fake kernel. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/fake_sysfs.h"
#include "vfio/bind.h"
#include "vfio/sriov.h"

#define PF  "0000:01:00.0"
#define VF0 "0000:01:10.0"
#define VF1 "0000:01:10.1"
#define VF2 "0000:01:10.2"

static int setup(void **state)
{
	static struct fake_sys f;

	fake_sys_init(&f);
	fake_add_dev(&f, PF, 20, "ixgbe", "ixgbe");
	fake_make_pf(&f, PF, 4, "enp1s0f0");
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	fake_sys_fini(*state);
	return 0;
}

static void test_open_reads_pf(void **state)
{
	struct fake_sys *f = *state;
	struct sriov_pf *pf;
	char name[32];
	unsigned n = 99;

	/* Short address form is normalised. */
	assert_int_equal(sriov_pf_open(f->fs, "01:00.0", &pf), 0);
	assert_string_equal(sriov_pf_bdf(pf), PF);
	assert_int_equal(sriov_pf_total_vfs(pf), 4);
	assert_int_equal(sriov_pf_num_vfs(pf, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sriov_pf_netdev(pf, name, sizeof(name)), 0);
	assert_string_equal(name, "enp1s0f0");
	assert_int_equal(sriov_pf_release(pf), 0);
	/* Nothing was changed, so nothing was written. */
	assert_int_equal(f->nwrites, 0);
}

static void test_open_errors(void **state)
{
	struct fake_sys *f = *state;
	struct sriov_pf *pf = NULL;
	const char *err;

	fake_stderr_begin(f);
	assert_int_equal(sriov_pf_open(f->fs, "0000:05:00.0", &pf), -ENODEV);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, "0000:05:00.0"));
	assert_non_null(strstr(err, "sys/bus/pci/devices/0000:05:00.0"));
	assert_non_null(strstr(err, "lspci -D"));

	fake_stderr_begin(f);
	assert_int_equal(sriov_pf_open(f->fs, "not-a-bdf", &pf), -EINVAL);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, "'not-a-bdf'"));

	fake_add_dev(f, "0000:02:00.0", 21, "ahci", "ahci");
	fake_stderr_begin(f);
	assert_int_equal(sriov_pf_open(f->fs, "0000:02:00.0", &pf), -EOPNOTSUPP);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, "not an SR-IOV physical function"));
	assert_non_null(strstr(err, "sriov_totalvfs"));
	assert_null(pf);
}

static void test_create_find_release(void **state)
{
	struct fake_sys *f = *state;
	struct sriov_pf *pf;
	char bdf[BDF_STRLEN];
	unsigned g, n;
	int a, b;

	assert_int_equal(sriov_pf_open(f->fs, PF, &pf), 0);
	assert_int_equal(sriov_pf_set_num_vfs(pf, 3), 0);
	/* autoprobe cleared before the VFs are created. */
	a = fake_find_write(f, 0, "/sriov_drivers_autoprobe", "0");
	b = fake_find_write(f, 0, "/sriov_numvfs", "3");
	assert_true(a >= 0 && b > a);
	assert_int_equal(sriov_pf_num_vfs(pf, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(sriov_pf_vf_bdf(pf, 0, bdf), 0);
	assert_string_equal(bdf, VF0);
	assert_int_equal(sriov_pf_vf_bdf(pf, 2, bdf), 0);
	assert_string_equal(bdf, VF2);
	assert_int_equal(sriov_pf_vf_group(pf, 1, &g), 0);
	assert_int_equal(g, 101);
	/* With autoprobe off no host VF driver grabbed them. */
	assert_string_equal(fake_driver(f, VF0), "");

	/* 3 -> 2 goes through 0. */
	b = f->nwrites;
	assert_int_equal(sriov_pf_set_num_vfs(pf, 2), 0);
	a = fake_find_write(f, b, "/sriov_numvfs", "0");
	assert_true(a >= 0);
	assert_true(fake_find_write(f, a, "/sriov_numvfs", "2") > a);
	/* Same count: no write at all. */
	b = f->nwrites;
	assert_int_equal(sriov_pf_set_num_vfs(pf, 2), 0);
	assert_int_equal(f->nwrites, b);

	/* Release restores 0 VFs and autoprobe=1. */
	b = f->nwrites;
	assert_int_equal(sriov_pf_release(pf), 0);
	assert_true(fake_find_write(f, b, "/sriov_numvfs", "0") >= 0);
	assert_true(fake_find_write(f, b, "/sriov_drivers_autoprobe", "1") >= 0);
	assert_false(sysfs_exists(f->fs, "sys/bus/pci/devices/" PF "/virtfn0"));
	assert_false(sysfs_exists(f->fs, "sys/bus/pci/devices/" VF0));
}

static void test_release_restores_original_count(void **state)
{
	struct fake_sys *f = *state;
	struct sriov_pf *pf;
	unsigned n;

	/* Host already had 2 VFs (with autoprobe on, so ixgbevf owns them). */
	assert_int_equal(sysfs_write(f->fs, "2", "sys/bus/pci/devices/" PF "/sriov_numvfs"), 0);
	assert_string_equal(fake_driver(f, VF1), "ixgbevf");
	assert_int_equal(sriov_pf_open(f->fs, PF, &pf), 0);
	assert_int_equal(sriov_pf_set_num_vfs(pf, 4), 0);
	assert_int_equal(sriov_pf_release(pf), 0);
	assert_int_equal(sysfs_read_uint(f->fs, &n, "sys/bus/pci/devices/" PF "/sriov_numvfs"), 0);
	assert_int_equal(n, 2);
	/* Restored with autoprobe back on: the host driver has its VFs again. */
	assert_string_equal(fake_driver(f, VF1), "ixgbevf");
}

static void test_range_errors(void **state)
{
	struct fake_sys *f = *state;
	struct sriov_pf *pf;
	char bdf[BDF_STRLEN];
	const char *err;
	int before;

	assert_int_equal(sriov_pf_open(f->fs, PF, &pf), 0);
	before = f->nwrites;
	fake_stderr_begin(f);
	assert_int_equal(sriov_pf_set_num_vfs(pf, 5), -ERANGE);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, "5 VFs requested but sriov_totalvfs is 4"));
	assert_int_equal(f->nwrites, before);

	assert_int_equal(sriov_pf_set_num_vfs(pf, 1), 0);
	fake_stderr_begin(f);
	assert_int_equal(sriov_pf_vf_bdf(pf, 1, bdf), -ERANGE);
	assert_int_equal(sriov_pf_vf_bdf(pf, 7, bdf), -ERANGE);
	assert_int_equal(sriov_pf_assign_vf(pf, 3), -ERANGE);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, "VF index 7 does not exist: 1 VFs enabled"));
	assert_non_null(strstr(err, "at most 4 (sriov_totalvfs)"));
	assert_int_equal(sriov_pf_release(pf), 0);
}

static void test_assign_blocks_count_change(void **state)
{
	struct fake_sys *f = *state;
	struct sriov_pf *pf;
	const char *err;
	int a, b, c, before;

	assert_int_equal(sriov_pf_open(f->fs, PF, &pf), 0);
	assert_int_equal(sriov_pf_set_num_vfs(pf, 2), 0);
	before = f->nwrites;
	assert_int_equal(sriov_pf_assign_vf(pf, 1), 0);
	assert_true(sriov_pf_vf_assigned(pf, 1));
	assert_false(sriov_pf_vf_assigned(pf, 0));
	assert_string_equal(fake_driver(f, VF1), "vfio-pci");
	assert_string_equal(fake_override(f, VF1), "vfio-pci");
	a = fake_find_write(f, before, VF1 "/driver_override", "vfio-pci");
	b = fake_find_write(f, before, "drivers_probe", VF1);
	assert_true(a >= 0 && b > a);
	/* It had no driver (autoprobe off): nothing to unbind. */
	assert_int_equal(fake_find_write(f, before, "/unbind", VF1), -1);
	assert_int_equal(sriov_pf_assign_vf(pf, 1), -EALREADY);

	before = f->nwrites;
	fake_stderr_begin(f);
	assert_int_equal(sriov_pf_set_num_vfs(pf, 1), -EBUSY);
	assert_int_equal(sriov_pf_set_num_vfs(pf, 0), -EBUSY);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, "VF 1 (" VF1 ") is assigned"));
	assert_int_equal(fake_find_write(f, before, "/sriov_numvfs", "0"), -1);

	/* Unassign: vfio-pci unbound, override cleared, no driver (as found). */
	before = f->nwrites;
	assert_int_equal(sriov_pf_unassign_vf(pf, 1), 0);
	c = fake_find_write(f, before, "vfio-pci/unbind", VF1);
	assert_true(c >= 0);
	assert_string_equal(fake_driver(f, VF1), "");
	assert_string_equal(fake_override(f, VF1), "");
	assert_int_equal(sriov_pf_unassign_vf(pf, 1), -ENOENT);
	assert_int_equal(sriov_pf_set_num_vfs(pf, 1), 0);
	assert_int_equal(sriov_pf_release(pf), 0);
}

static void test_foreign_vfio_vf_blocks_count_change(void **state)
{
	struct fake_sys *f = *state;
	struct sriov_pf *pf;
	const char *err;

	assert_int_equal(sriov_pf_open(f->fs, PF, &pf), 0);
	assert_int_equal(sriov_pf_set_num_vfs(pf, 2), 0);
	/* Someone else (another VMM, the switch) bound VF0 to vfio-pci. */
	assert_int_equal(
	    sysfs_write(f->fs, "vfio-pci", "sys/bus/pci/devices/" VF0 "/driver_override"), 0);
	assert_int_equal(sysfs_write(f->fs, VF0, "sys/bus/pci/drivers_probe"), 0);
	assert_string_equal(fake_driver(f, VF0), "vfio-pci");
	fake_stderr_begin(f);
	assert_int_equal(sriov_pf_set_num_vfs(pf, 1), -EBUSY);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, VF0 ") is bound to vfio-pci"));
	assert_non_null(strstr(err, "drivers/vfio-pci/unbind"));
	/* Release cannot put the count back either; it says how. */
	fake_stderr_begin(f);
	assert_int_equal(sriov_pf_release(pf), -EBUSY);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, "echo 0 > /sys/bus/pci/devices/" PF "/sriov_numvfs"));
}

static void test_bind_host_driver_and_restore(void **state)
{
	struct fake_sys *f = *state;
	struct pci_binding *b;
	int u, o, p, before;

	fake_add_dev(f, "0000:03:00.0", 30, "ixgbe", "ixgbe");
	assert_int_equal(pci_bind_vfio(f->fs, "03:00.0", &b), 0);
	assert_true(pci_binding_changed(b));
	assert_string_equal(pci_binding_bdf(b), "0000:03:00.0");
	assert_string_equal(pci_binding_orig_driver(b), "ixgbe");
	assert_string_equal(fake_driver(f, "0000:03:00.0"), "vfio-pci");
	/* Order: override, unbind host driver, probe. */
	o = fake_find_write(f, 0, "0000:03:00.0/driver_override", "vfio-pci");
	u = fake_find_write(f, 0, "drivers/ixgbe/unbind", "0000:03:00.0");
	p = fake_find_write(f, 0, "drivers_probe", "0000:03:00.0");
	assert_true(o >= 0 && u > o && p > u);

	before = f->nwrites;
	assert_int_equal(pci_binding_release(b), 0);
	assert_string_equal(fake_driver(f, "0000:03:00.0"), "ixgbe");
	assert_string_equal(fake_override(f, "0000:03:00.0"), "");
	assert_true(fake_find_write(f, before, "drivers/ixgbe/bind", "0000:03:00.0") >= 0);
}

static void test_prepared_release_without_open(void **state)
{
	struct fake_sys *f = *state;
	struct pci_binding *b;
	int before;

	fake_add_dev(f, "0000:03:00.0", 30, "ixgbe", "ixgbe");
	assert_int_equal(pci_bind_vfio(f->fs, "0000:03:00.0", &b), 0);
	assert_int_equal(pci_binding_prepare_release(b), 0);
	/* (The nested tier runs this under the real seccomp filter, where
	 * open/readlink would kill the VMM.) */
	before = f->nwrites;
	assert_int_equal(pci_binding_release(b), 0);
	/* Same kernel-visible sequence as the path-based release. */
	assert_true(fake_find_write(f, before, "drivers/vfio-pci/unbind", "0000:03:00.0") >= 0);
	assert_true(fake_find_write(f, before, "0000:03:00.0/driver_override", "") >= 0);
	assert_true(fake_find_write(f, before, "drivers/ixgbe/bind", "0000:03:00.0") >= 0);
	assert_string_equal(fake_driver(f, "0000:03:00.0"), "ixgbe");
	assert_string_equal(fake_override(f, "0000:03:00.0"), "");
}

static void test_bind_already_vfio_left_alone(void **state)
{
	struct fake_sys *f = *state;
	struct pci_binding *b;

	fake_add_dev(f, "0000:03:00.0", 30, "vfio-pci", "ixgbe");
	assert_int_equal(pci_bind_vfio(f->fs, "0000:03:00.0", &b), 0);
	assert_false(pci_binding_changed(b));
	assert_int_equal(pci_binding_release(b), 0);
	assert_string_equal(fake_driver(f, "0000:03:00.0"), "vfio-pci");
	assert_int_equal(f->nwrites, 0);
}

static void test_bind_errors(void **state)
{
	struct fake_sys *f = *state;
	struct pci_binding *b = NULL;
	const char *err;

	/* No IOMMU: no iommu_group link. */
	fake_add_dev(f, "0000:04:00.0", -1, "ixgbe", "ixgbe");
	fake_stderr_begin(f);
	assert_int_equal(pci_bind_vfio(f->fs, "0000:04:00.0", &b), -ENXIO);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, "0000:04:00.0 has no IOMMU group"));
	assert_non_null(strstr(err, "intel_iommu=on"));
	assert_non_null(strstr(err, "amd_iommu=on"));

	/* vfio-pci not loaded. */
	fake_add_dev(f, "0000:03:00.0", 30, "ixgbe", "ixgbe");
	fake_remove_driver(f, "vfio-pci");
	fake_stderr_begin(f);
	assert_int_equal(pci_bind_vfio(f->fs, "0000:03:00.0", &b), -ENOENT);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, "modprobe vfio-pci"));
	assert_non_null(strstr(err, "sys/bus/pci/drivers/vfio-pci"));
	assert_string_equal(fake_driver(f, "0000:03:00.0"), "ixgbe");
	assert_int_equal(f->nwrites, 0);
	assert_null(b);
}

static void test_bind_probe_failure_restores(void **state)
{
	struct fake_sys *f = *state;
	struct pci_binding *b = NULL;
	const char *err;

	fake_add_dev(f, "0000:03:00.0", 30, "ixgbe", "ixgbe");
	/* vfio-pci's probe refuses the device (e.g. a header type it rejects). */
	snprintf(f->fail_suffix, sizeof(f->fail_suffix), "drivers_probe");
	f->fail_errno = EINVAL;
	fake_stderr_begin(f);
	assert_int_equal(pci_bind_vfio(f->fs, "0000:03:00.0", &b), -EINVAL);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, "drivers_probe failed"));
	assert_null(b);
	/* Host left as found. */
	assert_string_equal(fake_driver(f, "0000:03:00.0"), "ixgbe");
	assert_string_equal(fake_override(f, "0000:03:00.0"), "");
}

static void test_group_viability(void **state)
{
	struct fake_sys *f = *state;
	char blocker[BDF_STRLEN] = "";
	const char *err;

	/* ICH9-like: LPC (no driver usable), SATA on ahci, SMBus unbound. */
	fake_add_dev(f, "0000:00:1f.0", 5, NULL, NULL);
	fake_add_dev(f, "0000:00:1f.2", 5, "ahci", "ahci");
	fake_add_dev(f, "0000:00:1f.3", 5, NULL, NULL);
	fake_stderr_begin(f);
	assert_int_equal(iommu_group_check_viable(f->fs, 5, blocker), -EBUSY);
	err = fake_stderr_end(f);
	assert_string_equal(blocker, "0000:00:1f.2");
	assert_non_null(strstr(err, "IOMMU group 5 is not viable: device 0000:00:1f.2 is bound "
				    "to host driver 'ahci'"));
	assert_non_null(strstr(err, "has 3 devices"));

	/* vfio-pci, pcieport and no driver are fine. */
	assert_int_equal(sysfs_write(f->fs, "0000:00:1f.2", "sys/bus/pci/drivers/ahci/unbind"), 0);
	fake_add_dev(f, "0000:00:1c.0", 5, "pcieport", "pcieport");
	fake_add_dev(f, "0000:00:1f.4", 5, "vfio-pci", NULL);
	assert_int_equal(iommu_group_check_viable(f->fs, 5, NULL), 0);
	fake_stderr_begin(f);
	assert_int_equal(iommu_group_check_viable(f->fs, 77, NULL), -ENOENT);
	fake_stderr_end(f);
}

static void test_storage_in_use_refused(void **state)
{
	struct fake_sys *f = *state;
	struct pci_binding *b = NULL;
	const char *err;

	fake_add_dev(f, "0000:06:00.0", 40, "nvme", "nvme");
	fake_link(f, "sys/block/nvme0n1",
		  "../devices/pci0000:00/0000:00:02.0/0000:06:00.0/nvme/nvme0/nvme0n1");
	fake_put(f, "proc/mounts", "proc /proc proc rw 0 0\n/dev/nvme0n1p2 / ext4 rw 0 0\n");
	fake_stderr_begin(f);
	assert_int_equal(pci_bind_vfio(f->fs, "0000:06:00.0", &b), -EBUSY);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, "0000:06:00.0 holds /dev/nvme0n1p2, mounted on /"));
	assert_int_equal(f->nwrites, 0);
	assert_string_equal(fake_driver(f, "0000:06:00.0"), "nvme");

	/* Held by device mapper instead (holders/ of the real block dir). */
	fake_put(f, "proc/mounts", "proc /proc proc rw 0 0\n");
	fake_put(f,
		 "sys/devices/pci0000:00/0000:00:02.0/0000:06:00.0/nvme/nvme0/nvme0n1/holders/"
		 "dm-0/dev",
		 "254:0\n");
	fake_stderr_begin(f);
	assert_int_equal(pcidev_check_unused(f->fs, "0000:06:00.0"), -EBUSY);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, "/dev/nvme0n1, which is in use by dm-0"));
	fake_put(f,
		 "sys/devices/pci0000:00/0000:00:02.0/0000:06:00.0/nvme/nvme0/nvme0n1/holders/"
		 "dm-0/dev",
		 "");
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd),
			 "rm -rf '%s/sys/devices/pci0000:00/0000:00:02.0/"
			 "0000:06:00.0/nvme/nvme0/nvme0n1/holders/dm-0'",
			 f->root);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(pcidev_check_unused(f->fs, "0000:06:00.0"), 0);

	/* Multipath NVMe: namespace under the subsystem, controller links to us. */
	fake_put(f, "sys/devices/virtual/nvme-subsystem/nvme-subsys1/nvme1n1/size", "8\n");
	fake_link(f, "sys/devices/virtual/nvme-subsystem/nvme-subsys1/nvme1n1/device", "..");
	fake_link(f, "sys/devices/virtual/nvme-subsystem/nvme-subsys1/nvme1/device",
		  "../../../../bus/pci/devices/0000:06:00.0");
	fake_link(f, "sys/block/nvme1n1", "../devices/virtual/nvme-subsystem/nvme-subsys1/nvme1n1");
	fake_put(f, "proc/swaps",
		 "Filename Type Size Used Priority\n/dev/nvme1n1 partition 1 0 -2\n");
	fake_stderr_begin(f);
	assert_int_equal(pcidev_check_unused(f->fs, "0000:06:00.0"), -EBUSY);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, "/dev/nvme1n1, used as swap"));
	/* A different controller is unaffected. */
	fake_add_dev(f, "0000:07:00.0", 41, "nvme", "nvme");
	assert_int_equal(pcidev_check_unused(f->fs, "0000:07:00.0"), 0);
}

static void test_kernel_write_error_propagates(void **state)
{
	struct fake_sys *f = *state;
	struct sriov_pf *pf;
	const char *err;

	assert_int_equal(sriov_pf_open(f->fs, PF, &pf), 0);
	snprintf(f->fail_suffix, sizeof(f->fail_suffix), "sriov_numvfs");
	f->fail_errno = ENOMEM;
	fake_stderr_begin(f);
	assert_int_equal(sriov_pf_set_num_vfs(pf, 2), -ENOMEM);
	err = fake_stderr_end(f);
	assert_non_null(strstr(err, "writing 2 to"));
	assert_non_null(strstr(err, PF "/sriov_numvfs failed"));
	/* Release puts autoprobe back. */
	assert_int_equal(sriov_pf_release(pf), 0);
	assert_true(fake_find_write(f, 0, "/sriov_drivers_autoprobe", "1") >= 0);
}

static void test_sysfs_root_checks(void **state)
{
	struct sysfs *fs;

	assert_int_equal(sysfs_open("/nonexistent/nfv-root", &fs), -ENOENT);
	assert_int_equal(sysfs_open(NULL, &fs), 0);
	assert_string_equal(sysfs_root(fs), "");
	sysfs_close(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_reads_pf, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_find_release, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_restores_original_count, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_range_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_assign_blocks_count_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_vfio_vf_blocks_count_change, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bind_host_driver_and_restore, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prepared_release_without_open, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bind_already_vfio_left_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bind_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bind_probe_failure_restores, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group_viability, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_storage_in_use_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kernel_write_error_propagates, setup, teardown),
	    cmocka_unit_test(test_sysfs_root_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
