/* SPDX-License-Identifier: MIT */
/* vfio/device region-info parsing (capability chains, hostile ones too)
 * and vfio/container's errors on a host without VFIO. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <linux/vfio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/stderr_capture.h"
#include "vfio/container.h"
#include "vfio/device.h"

/* A region_info followed by an MSIX_MAPPABLE cap and a sparse-mmap cap
 * with two areas, laid out as vfio-pci returns them. */
struct info_buf {
	struct vfio_region_info info;
	struct vfio_info_cap_header msix;
	struct vfio_region_info_cap_sparse_mmap sparse;
	struct vfio_region_sparse_mmap_area areas[2];
};

static void make_info(struct info_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->info.argsz = sizeof(*b);
	b->info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS;
	b->info.index = VFIO_PCI_BAR0_REGION_INDEX;
	b->info.cap_offset = offsetof(struct info_buf, msix);
	b->info.size = 0x4000;
	b->info.offset = 0x0;
	b->msix.id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE;
	b->msix.version = 1;
	b->msix.next = offsetof(struct info_buf, sparse);
	b->sparse.header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	b->sparse.header.version = 1;
	b->sparse.header.next = 0;
	b->sparse.nr_areas = 2;
	b->areas[0] = (struct vfio_region_sparse_mmap_area){.offset = 0, .size = 0x2000};
	b->areas[1] = (struct vfio_region_sparse_mmap_area){.offset = 0x3000, .size = 0x1000};
}

static void test_parse_caps(void **state)
{
	struct info_buf b;
	struct vfio_region r;

	make_info(&b);
	assert_int_equal(vfio_region_parse(&b, sizeof(b), &r), 0);
	assert_int_equal(r.index, 0);
	assert_int_equal(r.size, 0x4000);
	assert_true(r.msix_mappable);
	assert_int_equal(r.nr_sparse, 2);
	assert_int_equal(r.sparse[1].offset, 0x3000);
	assert_int_equal(r.sparse[1].size, 0x1000);

	/* No CAPS flag: the chain is ignored. */
	b.info.flags &= ~VFIO_REGION_INFO_FLAG_CAPS;
	assert_int_equal(vfio_region_parse(&b, sizeof(b), &r), 0);
	assert_false(r.msix_mappable);
	assert_int_equal(r.nr_sparse, 0);

	/* Unknown capability ids are skipped. */
	make_info(&b);
	b.msix.id = 99;
	assert_int_equal(vfio_region_parse(&b, sizeof(b), &r), 0);
	assert_false(r.msix_mappable);
	assert_int_equal(r.nr_sparse, 2);
}

static void test_parse_hostile(void **state)
{
	struct info_buf b;
	struct vfio_region r;

	/* Too short for the header. */
	make_info(&b);
	assert_int_equal(vfio_region_parse(&b, sizeof(b.info) - 1, &r), -EINVAL);
	/* Loop: the second cap points back at the first. */
	make_info(&b);
	b.sparse.header.next = offsetof(struct info_buf, msix);
	assert_int_equal(vfio_region_parse(&b, sizeof(b), &r), -EINVAL);
	/* Self loop. */
	make_info(&b);
	b.msix.next = offsetof(struct info_buf, msix);
	assert_int_equal(vfio_region_parse(&b, sizeof(b), &r), -EINVAL);
	/* Cap offset inside the fixed header. */
	make_info(&b);
	b.info.cap_offset = 4;
	assert_int_equal(vfio_region_parse(&b, sizeof(b), &r), -EINVAL);
	/* Cap beyond the buffer. */
	make_info(&b);
	b.msix.next = sizeof(b) + 64;
	assert_int_equal(vfio_region_parse(&b, sizeof(b), &r), -EINVAL);
	/* Buffer truncated in the middle of the area list. */
	make_info(&b);
	assert_int_equal(vfio_region_parse(&b, sizeof(b) - 8, &r), -EINVAL);
	/* Area count far beyond the data. */
	make_info(&b);
	b.sparse.nr_areas = 0x40000000;
	assert_int_equal(vfio_region_parse(&b, sizeof(b), &r), -EINVAL);
	/* Area outside the region, and one whose end wraps. */
	make_info(&b);
	b.areas[1].offset = 0x3800;
	assert_int_equal(vfio_region_parse(&b, sizeof(b), &r), -EINVAL);
	make_info(&b);
	b.areas[1].offset = 0x1000;
	b.areas[1].size = UINT64_MAX;
	assert_int_equal(vfio_region_parse(&b, sizeof(b), &r), -EINVAL);
}

static void test_no_vfio_fake_root(void **state)
{
	char root[] = "/tmp/nfv-novfio.XXXXXX", path[64], cmd[96];
	struct vfio_container *c = NULL;
	struct sysfs *fs;
	const char *err;
	int fd;

	assert_non_null(mkdtemp(root));
	assert_int_equal(sysfs_open(root, &fs), 0);
	stderr_capture_begin();
	assert_int_equal(vfio_container_open(fs, &c), -ENOENT);
	err = stderr_capture_end();
	assert_null(c);
	assert_non_null(strstr(err, "/dev/vfio/vfio does not exist"));
	assert_non_null(strstr(err, "modprobe vfio-pci"));
	assert_non_null(strstr(err, "intel_iommu=on"));
	assert_non_null(strstr(err, "amd_iommu=on"));
	assert_false(vfio_host_has_iommufd(fs));

	/* Something at /dev/vfio/vfio that is not VFIO: refused, not trusted. */
	snprintf(path, sizeof(path), "%s/dev", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/dev/vfio", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/dev/vfio/vfio", root);
	fd = open(path, O_CREAT | O_RDWR, 0600);
	assert_true(fd >= 0);
	close(fd);
	stderr_capture_begin();
	assert_int_equal(vfio_container_open(fs, &c), -EPROTO);
	err = stderr_capture_end();
	assert_non_null(strstr(err, "is not a VFIO container"));
	sysfs_close(fs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* This host's real /dev: on a machine without VFIO the same clear error. */
static void test_no_vfio_this_host(void **state)
{
	struct vfio_container *c = NULL;
	struct sysfs *fs;
	const char *err;

	if (access("/dev/vfio/vfio", F_OK) == 0) {
		skip(); /* this host has VFIO; the nested tier tests the real thing */
		return;
	}
	assert_int_equal(sysfs_open(NULL, &fs), 0);
	stderr_capture_begin();
	assert_int_equal(vfio_container_open(fs, &c), -ENOENT);
	err = stderr_capture_end();
	assert_non_null(strstr(err, "VFIO is not available: /dev/vfio/vfio does not exist"));
	sysfs_close(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_caps),
	    cmocka_unit_test(test_parse_hostile),
	    cmocka_unit_test(test_no_vfio_fake_root),
	    cmocka_unit_test(test_no_vfio_this_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
