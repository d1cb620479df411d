/* SPDX-License-Identifier: MIT */
/* vfio-nvme-check: drives vfio/ end to end on a host (or nested L1) with an
 * IOMMU and an SR-IOV NVMe controller, printing TAP:
 *   create a VF (sriov_numvfs + `nvme virt-mgmt` to bring it online), bind
 *   it to vfio-pci, open it through our container/group/device code, DMA-map
 *   guest RAM (vmm/mem), run an NVMe Identify through the admin queue by DMA
 *   and receive its completion as MSI-X on an eventfd, then restore the host.
 * Negative cases: VF count beyond sriov_totalvfs, VF count change while a VF
 * is assigned, DMA to an unmapped IOVA, a group held by another process, and
 * a non-viable multi-device group (the ICH9 group on QEMU q35).
 *
 *   vfio-nvme-check [--pf BDF] [--ich BDF] [--no-virt-mgmt]
 *   vfio-nvme-check --nvme BDF     whole-controller passthrough of one NVMe
 *   vfio-nvme-check --nic-pf BDF   SR-IOV NIC: VFs, netlink VF settings, VF via VFIO
 * Exit 0 if every check passed, 1 otherwise, 77 if the host lacks VFIO or
 * an SR-IOV NVMe PF (nothing is changed then). */
#define LOG_PREFIX "vfio-nvme-check"
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/vfio.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "common/log.h"
#include "tests/hw/tap.h"
#include "vfio/bind.h"
#include "vfio/container.h"
#include "vfio/device.h"
#include "vfio/sriov.h"
#include "vfio/sysfs.h"
#include "vfio/vf_netlink.h"
#include "vmm/mem.h"

/* NVMe controller registers and queue entries (NVMe 1.4 §3.1, §4.2, §4.6). */
#define NVME_CAP   0x00
#define NVME_CC	   0x14
#define NVME_CSTS  0x1c
#define NVME_AQA   0x24
#define NVME_ASQ   0x28
#define NVME_ACQ   0x30
#define NVME_DBELL 0x1000

struct nvme_sqe {
	uint32_t cdw0, nsid;
	uint64_t rsvd, mptr, prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
struct nvme_cqe {
	uint32_t dw0, dw1;
	uint16_t sqhd, sqid, cid, status;
};
_Static_assert(sizeof(struct nvme_sqe) == 64, "SQE size");
_Static_assert(sizeof(struct nvme_cqe) == 16, "CQE size");

/* Guest-physical (= IOVA) layout of the test buffers inside guest RAM. */
#define GUEST_RAM     (64ull << 20)
#define ASQ_GPA	      0x100000ull
#define ACQ_GPA	      0x101000ull
#define IDENT_GPA     0x102000ull
#define UNMAPPED_IOVA 0x40000000ull /* 1 GiB: above the 64 MiB of RAM */
#define RO_IOVA	      0x50000000ull /* a read-only test mapping */
#define QDEPTH	      8

static int run(const char *cmd)
{
	int rc;

	printf("# $ %s\n", cmd);
	fflush(stdout);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* First PCI device of class NVMe (0x010802) that is an SR-IOV PF. */
static int find_nvme_pf(struct sysfs *fs, char bdf[BDF_STRLEN])
{
	char dir[512], cls[32];
	struct dirent *de;
	int ret = -ENODEV;
	DIR *d;

	sysfs_path(fs, dir, sizeof(dir), "sys/bus/pci/devices");
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) != 12)
			continue;
		if (sysfs_read(fs, cls, sizeof(cls), "sys/bus/pci/devices/%s/class", de->d_name) ||
		    strcmp(cls, "0x010802") ||
		    !sysfs_exists(fs, "sys/bus/pci/devices/%s/sriov_totalvfs", de->d_name))
			continue;
		snprintf(bdf, BDF_STRLEN, "%s", de->d_name);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

/* /dev/nvmeN of a PF bound to the nvme driver. */
static int nvme_ctrl_name(struct sysfs *fs, const char *bdf, char *name, size_t len)
{
	char dir[512];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	sysfs_path(fs, dir, sizeof(dir), "sys/bus/pci/devices/%s/nvme", bdf);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "nvme", 4))
			continue;
		snprintf(name, len, "%.31s", de->d_name);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

/* Number of DMAR write-fault lines for `iova` in the kernel log (-1 if
 * dmesg cannot be read). */
static int dmar_faults(unsigned long long iova)
{
	char cmd[160], line[64];
	int n = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "dmesg 2>/dev/null | grep -cE 'DMAR: .*DMA Write.* fault addr 0x%llx'", iova);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		n = atoi(line);
	pclose(f);
	return n;
}

/* BAR0 access: through the mmap if we have one, else the region fd. */
struct bar {
	struct vfio_device *dev;
	volatile uint8_t *map;
	uint64_t size;
};
static uint32_t rd32(struct bar *b, uint32_t off)
{
	uint32_t v = 0xffffffff;

	if (b->map)
		return *(volatile uint32_t *)(b->map + off);
	vfio_region_read(b->dev, VFIO_PCI_BAR0_REGION_INDEX, off, &v, 4);
	return v;
}
static void wr32(struct bar *b, uint32_t off, uint32_t v)
{
	if (b->map)
		*(volatile uint32_t *)(b->map + off) = v;
	else
		vfio_region_write(b->dev, VFIO_PCI_BAR0_REGION_INDEX, off, &v, 4);
}
static void wr64(struct bar *b, uint32_t off, uint64_t v)
{
	wr32(b, off, (uint32_t)v);
	wr32(b, off + 4, (uint32_t)(v >> 32));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait until CSTS.RDY == want (or CFS): 0, -ETIMEDOUT, -EIO on fatal. */
static int wait_ready(struct bar *b, unsigned want, double timeout)
{
	double end = now_s() + timeout;

	while (now_s() < end) {
		uint32_t csts = rd32(b, NVME_CSTS);

		if (csts & 2)
			return -EIO;
		if ((csts & 1) == want)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

struct admin {
	struct bar *bar;
	struct guest_mem *mem;
	unsigned dstrd;
	unsigned sq_tail, cq_head, phase;
	uint16_t cid;
	int efd;
};

/* Submit one admin command; wait (up to timeout) for the MSI-X eventfd and
 * the completion. 0 and *status (the CQE status field, 0 = success),
 * -ETIMEDOUT if no interrupt/completion came, -EPROTO if an interrupt came
 * without a completion. *irq tells whether the eventfd fired. */
static int admin_cmd(struct admin *a, struct nvme_sqe *sqe, double timeout, uint16_t *status,
		     bool *irq)
{
	struct nvme_sqe *sq = guest_mem_ptr(a->mem, ASQ_GPA, 4096);
	struct nvme_cqe *cq = guest_mem_ptr(a->mem, ACQ_GPA, 4096);
	volatile struct nvme_cqe *e;
	struct pollfd pfd = {.fd = a->efd, .events = POLLIN};
	uint64_t cnt;

	*irq = false;
	sqe->cdw0 |= (uint32_t)(++a->cid) << 16;
	sq[a->sq_tail] = *sqe;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	a->sq_tail = (a->sq_tail + 1) % QDEPTH;
	wr32(a->bar, NVME_DBELL, a->sq_tail); /* SQ0 tail doorbell */
	if (poll(&pfd, 1, (int)(timeout * 1000)) == 1 && read(a->efd, &cnt, 8) == 8)
		*irq = true;
	e = &cq[a->cq_head];
	/* The completion may land just after the interrupt under TCG. */
	for (int i = 0; i < 1000 && (e->status & 1) != a->phase; i++)
		usleep(1000);
	if ((e->status & 1) != a->phase)
		return *irq ? -EPROTO : -ETIMEDOUT;
	*status = e->status >> 1;
	if (e->cid != a->cid)
		return -EPROTO;
	a->cq_head = (a->cq_head + 1) % QDEPTH;
	if (a->cq_head == 0)
		a->phase ^= 1;
	wr32(a->bar, NVME_DBELL + (4u << a->dstrd), a->cq_head); /* CQ0 head doorbell */
	return 0;
}

static void trim(char *s, size_t n)
{
	s[n] = '\0';
	for (size_t i = n; i > 0 && s[i - 1] == ' '; i--)
		s[i - 1] = '\0';
}

/* The NVMe part on an opened VFIO device. */
static void nvme_identify_checks(struct vfio_device *dev, struct vfio_container *vfio_c,
				 struct guest_mem *mem, uint16_t vid)
{
	int faults;
	bool intact = false;
	uint8_t *ro;
	const struct vfio_region *r0 = vfio_device_region(dev, VFIO_PCI_BAR0_REGION_INDEX);
	struct bar bar = {.dev = dev};
	struct admin a = {.bar = &bar, .mem = mem, .phase = 1, .efd = -1};
	struct nvme_sqe sqe;
	uint16_t cmd, status = 0;
	uint64_t cap;
	void *map = NULL;
	char mn[41], sn[21];
	uint8_t *id;
	bool irq;
	int ret, fd;

	if (r0 && vfio_region_mmap(dev, VFIO_PCI_BAR0_REGION_INDEX, 0, r0->size,
				   PROT_READ | PROT_WRITE, &map) == 0) {
		bar.map = map;
		bar.size = r0->size;
	}
	tap(r0 && r0->size >= 0x2000, "BAR0 region %" PRIu64 " bytes, %s", r0 ? r0->size : 0,
	    bar.map ? "mmap'ed" : "accessed through the device fd (not mmappable)");

	/* Memory space + bus master, as a guest driver would. */
	vfio_config_read(dev, 4, &cmd, 2);
	cmd |= 0x6;
	vfio_config_write(dev, 4, &cmd, 2);

	cap = rd32(&bar, NVME_CAP) | (uint64_t)rd32(&bar, NVME_CAP + 4) << 32;
	a.dstrd = (unsigned)(cap >> 32) & 0xf;
	tap(cap != 0, "controller CAP=0x%016" PRIx64 " (0 means the VF is offline: nvme virt-mgmt)",
	    cap);
	if (!cap)
		goto out;
	wr32(&bar, NVME_CC, 0);
	ret = wait_ready(&bar, 0, 10);
	tap(ret == 0, "controller disabled (CSTS.RDY=0): %s", ret ? strerror(-ret) : "ok");

	memset(guest_mem_ptr(mem, ASQ_GPA, 3 * 4096), 0, 3 * 4096);
	wr32(&bar, NVME_AQA, (QDEPTH - 1) << 16 | (QDEPTH - 1));
	wr64(&bar, NVME_ASQ, ASQ_GPA);
	wr64(&bar, NVME_ACQ, ACQ_GPA);

	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	a.efd = fd;
	ret = fd < 0 ? -errno : vfio_device_set_msix(dev, 0, 1, &fd);
	tap(ret == 0, "MSI-X vector 0 wired to an eventfd (VFIO_DEVICE_SET_IRQS)");

	wr32(&bar, NVME_CC, 1 | 6u << 16 | 4u << 20); /* EN, IOSQES 64 B, IOCQES 16 B */
	ret = wait_ready(&bar, 1, 30);
	tap(ret == 0, "controller enabled (CSTS.RDY=1): %s", ret ? strerror(-ret) : "ok");
	if (ret)
		goto out_irq;

	/* Identify Controller into guest RAM at IDENT_GPA. */
	memset(&sqe, 0, sizeof(sqe));
	sqe.cdw0 = 0x06;
	sqe.prp1 = IDENT_GPA;
	sqe.cdw10 = 1;
	ret = admin_cmd(&a, &sqe, 30, &status, &irq);
	tap(irq, "Identify completion raised MSI-X vector 0 on the eventfd");
	tap(ret == 0 && status == 0, "Identify completed with status 0x%x (%s)", status,
	    ret ? strerror(-ret) : "ok");
	id = guest_mem_ptr(mem, IDENT_GPA, 4096);
	memcpy(sn, id + 4, 20);
	trim(sn, 20);
	memcpy(mn, id + 24, 40);
	trim(mn, 40);
	tap(ret == 0 && mn[0] && (id[0] | id[1] << 8) == vid,
	    "Identify data arrived in guest RAM by DMA: VID=0x%02x%02x SN='%s' MN='%s'", id[1],
	    id[0], sn, mn);

	faults = dmar_faults(UNMAPPED_IOVA);
	/* Negative: a PRP outside the mapped guest RAM must not reach memory.
	 * QEMU's NVMe completes such a command successfully (it ignores DMA
	 * errors), so the evidence is the DMAR fault in the kernel log. */
	memset(&sqe, 0, sizeof(sqe));
	sqe.cdw0 = 0x06;
	sqe.prp1 = UNMAPPED_IOVA;
	sqe.cdw10 = 1;
	ret = admin_cmd(&a, &sqe, 10, &status, &irq);
	printf("# Identify to unmapped IOVA: %s, status 0x%x\n", ret ? strerror(-ret) : "completed",
	       status);
	faults = dmar_faults(UNMAPPED_IOVA) - faults;
	tap(faults > 0,
	    "device write to unmapped IOVA 0x%llx faulted in the IOMMU (%d new DMAR fault "
	    "lines in the kernel log)",
	    UNMAPPED_IOVA, faults);

	/* Negative: a read-only mapping must not be written by the device. */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro != MAP_FAILED) {
		memset(ro, 0xa5, 4096);
		ret = vfio_dma_map(vfio_c, RO_IOVA, 4096, ro, false);
		if (!ret) {
			memset(&sqe, 0, sizeof(sqe));
			sqe.cdw0 = 0x06;
			sqe.prp1 = RO_IOVA;
			sqe.cdw10 = 1;
			admin_cmd(&a, &sqe, 10, &status, &irq);
			intact = true;
			for (int i = 0; i < 4096; i++)
				intact &= ro[i] == 0xa5;
			vfio_dma_unmap(vfio_c, RO_IOVA, 4096);
		}
		munmap(ro, 4096);
	}
	tap(ret == 0 && intact, "device write to a read-only DMA mapping blocked (buffer intact)");

	/* The controller is still usable after the faults. */
	memset(id, 0, 4096);
	memset(&sqe, 0, sizeof(sqe));
	sqe.cdw0 = 0x06;
	sqe.prp1 = IDENT_GPA;
	sqe.cdw10 = 1;
	ret = admin_cmd(&a, &sqe, 30, &status, &irq);
	tap(ret == 0 && status == 0 && irq && !memcmp(id + 24, mn, strlen(mn)),
	    "Identify works again after the faults (MSI-X fired: %s)", irq ? "yes" : "no");

	wr32(&bar, NVME_CC, 0);
	wait_ready(&bar, 0, 10);
out_irq:
	tap(vfio_device_disable_irq(dev, VFIO_PCI_MSIX_IRQ_INDEX) == 0, "MSI-X disabled");
	if (fd >= 0)
		close(fd);
out:
	if (map)
		munmap(map, bar.size);
}

/* A child process holding an IOMMU group open (another "VM"). */
struct holder {
	pid_t pid;
	int go_fd; /* closing it lets the child exit */
};

static int hold_group(struct sysfs *fs, unsigned group, struct holder *h)
{
	int ready[2], go[2];
	char c = 'n';

	if (pipe(ready))
		return -errno;
	if (pipe(go)) {
		close(ready[0]);
		close(ready[1]);
		return -errno;
	}
	h->pid = fork();
	if (h->pid == 0) {
		struct vfio_container *c2;
		struct vfio_group *g2;

		close(ready[0]);
		close(go[1]);
		if (vfio_container_open(fs, &c2) == 0 &&
		    vfio_container_add_group(c2, group, &g2) == 0)
			c = 'y';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	h->go_fd = go[1];
	if (h->pid < 0 || read(ready[0], &c, 1) != 1 || c != 'y') {
		close(ready[0]);
		close(go[1]);
		if (h->pid > 0)
			waitpid(h->pid, NULL, 0);
		return -EIO;
	}
	close(ready[0]);
	return 0;
}

static void release_holder(struct holder *h)
{
	close(h->go_fd);
	waitpid(h->pid, NULL, 0);
}

static void ich_group_checks(struct sysfs *fs, const char *ich)
{
	char dir[512], drv[DRIVER_STRLEN], blocker[BDF_STRLEN] = "", victim[BDF_STRLEN] = "";
	struct vfio_container *c = NULL;
	struct pci_binding *b = NULL;
	struct vfio_group *g;
	struct dirent *de;
	unsigned group, n = 0;
	DIR *d;
	int ret;

	if (pcidev_iommu_group(fs, ich, &group)) {
		tap(false, "IOMMU group of %s", ich);
		return;
	}
	sysfs_path(fs, dir, sizeof(dir), "sys/kernel/iommu_groups/%u/devices", group);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		if (pcidev_driver(fs, de->d_name, drv))
			continue;
		if (drv[0] && strcmp(drv, "vfio-pci") && strcmp(drv, "pcieport"))
			snprintf(blocker, sizeof(blocker), "%.12s", de->d_name);
		else if (!drv[0] && !victim[0])
			snprintf(victim, sizeof(victim), "%.12s", de->d_name);
	}
	if (d)
		closedir(d);
	printf("# group %u of %s: %u devices, host-driver device '%s', free device '%s'\n", group,
	       ich, n, blocker, victim);
	if (n < 2 || !blocker[0] || !victim[0]) {
		tap(false,
		    "ICH9 group %u has a device on a host driver and a free one (load "
		    "lpc_ich)",
		    group);
		return;
	}
	ret = pci_bind_vfio(fs, victim, &b);
	tap(ret == 0, "bound %s (same group as %s) to vfio-pci", victim, blocker);
	if (ret)
		return;
	ret = vfio_container_open(fs, &c);
	if (!ret) {
		ret = vfio_container_add_group(c, group, &g);
		tap(ret == -EBUSY, "multi-device group %u refused as non-viable (%s), blocker %s",
		    group, strerror(-ret), blocker);
		char who[BDF_STRLEN] = "";
		tap(iommu_group_check_viable(fs, group, who) == -EBUSY && !strcmp(who, blocker),
		    "the refusal names the blocking device %s", who);
		vfio_container_close(c);
	}
	ret = pci_binding_release(b);
	pcidev_driver(fs, victim, drv);
	tap(ret == 0 && !drv[0], "%s released back to no driver", victim);
}

/* Everything through our kernel-VFIO code on one device already bound to
 * vfio-pci: busy group, container/group, guest RAM DMA map, device info,
 * reset, the NVMe checks, unmap and close. */
static void vfio_checks(struct sysfs *fs, const char *bdf, unsigned group, bool nvme)
{
	struct holder holder = {.pid = -1, .go_fd = -1};
	struct vfio_container *c = NULL;
	struct vfio_device *dev = NULL;
	struct guest_mem *mem = NULL;
	struct vfio_group *g;
	uint16_t vid = 0;
	int ret;

	ret = vfio_container_open(fs, &c);
	tap(ret == 0, "VFIO container opened (type1v2)%s",
	    vfio_host_has_iommufd(fs) ? "; host also has iommufd" : "");
	if (ret)
		return;
	/* Another process (a VM, the switch) holds the group: refused. */
	ret = hold_group(fs, group, &holder);
	tap(ret == 0, "child process %d holds IOMMU group %u", (int)holder.pid, group);
	if (!ret) {
		ret = vfio_container_add_group(c, group, &g);
		tap(ret == -EBUSY, "group held by another process refused (%s)", strerror(-ret));
		release_holder(&holder);
	}
	ret = vfio_container_add_device_group(c, bdf, &g);
	tap(ret == 0, "IOMMU group %u viable and attached", group);
	if (ret)
		goto close_container;

	ret = guest_mem_create(GUEST_RAM, HUGEPAGES_2M, &mem);
	if (ret)
		ret = guest_mem_create(GUEST_RAM, HUGEPAGES_NONE, &mem);
	tap(ret == 0, "64 MiB of guest RAM allocated (vmm/mem)");
	if (ret)
		goto close_container;
	ret = vfio_dma_map_guest(c, mem);
	tap(ret == 0 && vfio_dma_mapped_bytes(c) == GUEST_RAM,
	    "all guest RAM DMA-mapped at IOVA = GPA (%" PRIu64 " bytes pinned)",
	    vfio_dma_mapped_bytes(c));
	if (ret)
		goto free_mem;
	ret = vfio_device_open(g, bdf, &dev);
	tap(ret == 0, "device %s opened: %u regions, %u IRQ types, reset %s", bdf,
	    dev ? vfio_device_num_regions(dev) : 0, dev ? vfio_device_num_irqs(dev) : 0,
	    dev && vfio_device_can_reset(dev) ? "yes" : "no");
	if (ret)
		goto unmap;
	{
		uint16_t ids[2] = {0, 0};
		const struct vfio_irq *msix = vfio_device_irq(dev, VFIO_PCI_MSIX_IRQ_INDEX);

		vfio_config_read(dev, 0, ids, 4);
		vid = ids[0];
		tap(ids[0] != 0xffff && ids[0] != 0, "config space reads %04x:%04x", ids[0],
		    ids[1]);
		tap(msix && msix->count >= 1, "MSI-X: %u vectors", msix ? msix->count : 0);
		for (unsigned i = 0; i < vfio_device_num_regions(dev); i++) {
			const struct vfio_region *r = vfio_device_region(dev, i);

			if (r->size)
				printf("# region %u: size 0x%" PRIx64 " flags 0x%x sparse %u "
				       "msix_mappable %d\n",
				       i, r->size, r->flags, r->nr_sparse, r->msix_mappable);
		}
	}
	tap(vfio_device_reset(dev) == 0, "function reset before use");
	if (nvme) {
		nvme_identify_checks(dev, c, mem, vid);
		tap(vfio_device_reset(dev) == 0, "function reset after use");
	}
	vfio_device_close(dev);
unmap:
	/* Explicit unmap of the guest RAM mappings (close would do it too). */
	{
		const struct mem_region *r;
		size_t nr = guest_mem_regions(mem, &r);
		int bad = 0;

		for (size_t i = 0; i < nr; i++)
			bad |= vfio_dma_unmap(c, r[i].gpa, r[i].size);
		tap(!bad && vfio_dma_mapped_bytes(c) == 0, "guest RAM DMA mappings removed");
	}
free_mem:
	guest_mem_destroy(mem);
close_container:
	vfio_container_close(c);
}

static int sriov_pf_num_vfs_of(struct sysfs *fs, const char *bdf_in, unsigned *n)
{
	char bdf[BDF_STRLEN];
	int ret = pcidev_lookup(fs, bdf_in, bdf);

	return ret ? ret : sysfs_read_uint(fs, n, "sys/bus/pci/devices/%s/sriov_numvfs", bdf);
}

/* Whole-controller passthrough: bind (refused if the host uses it), the
 * VFIO checks, give it back to its driver. */
static void nvme_controller_checks(struct sysfs *fs, const char *arg)
{
	char bdf[BDF_STRLEN], orig[DRIVER_STRLEN], drv[DRIVER_STRLEN];
	struct pci_binding *b;
	unsigned group;
	int ret;

	ret = pci_bind_vfio(fs, arg, &b);
	tap(ret == 0, "NVMe controller %s bound to vfio-pci%s%s", arg, ret ? "" : ", was ",
	    ret ? "" : pci_binding_orig_driver(b));
	if (ret)
		return;
	snprintf(bdf, sizeof(bdf), "%s", pci_binding_bdf(b));
	snprintf(orig, sizeof(orig), "%s", pci_binding_orig_driver(b));
	ret = pcidev_iommu_group(fs, bdf, &group);
	if (!ret)
		vfio_checks(fs, bdf, group, true);
	ret = pci_binding_release(b);
	tap(ret == 0 && !pcidev_driver(fs, bdf, drv) && !strcmp(drv, orig),
	    "controller %s back on its driver '%s'", bdf, orig);
}

/* SR-IOV NIC: VFs, per-VF netlink settings read back, VF on vfio-pci
 * through our container/device code, then everything restored. */
static void nic_pf_checks(struct sysfs *fs, const char *arg)
{
	struct vf_config want = {
	    .fields = VF_CFG_MAC | VF_CFG_VLAN | VF_CFG_SPOOFCHK | VF_CFG_TRUST | VF_CFG_LINK_STATE,
	    .mac = {0x52, 0x54, 0x00, 0x6e, 0x66, 0x01},
	    .vlan = 100,
	    .qos = 0,
	    .spoofchk = true,
	    .trust = false,
	    .link_state = VF_LINK_ENABLE,
	};
	struct vf_config before = {0}, got = {0}, after = {0};
	char ifname[32], vf[BDF_STRLEN];
	struct sriov_pf *pf;
	struct vf_nl *nl = NULL;
	unsigned orig = 0, group, n;
	int ret;

	ret = sriov_pf_open(fs, arg, &pf);
	tap(ret == 0, "opened NIC PF %s", arg);
	if (ret)
		return;
	sriov_pf_num_vfs(pf, &orig);
	ret = sriov_pf_netdev(pf, ifname, sizeof(ifname));
	tap(ret == 0, "PF netdev %s", ret ? "?" : ifname);
	if (ret)
		goto release;
	ret = sriov_pf_set_num_vfs(pf, 2 <= sriov_pf_total_vfs(pf) ? 2 : 1);
	tap(ret == 0, "VFs created");
	if (ret)
		goto release;
	ret = vf_nl_open(ifname, &nl);
	tap(ret == 0 && !vf_nl_num_vfs(nl, &n) && n >= 1, "PF %s reports VFs over netlink", ifname);
	if (ret)
		goto release;
	ret = vf_nl_get(nl, 0, &before);
	tap(ret == 0, "VF 0 settings read over netlink");
	ret = vf_nl_apply(nl, 0, &want);
	tap(ret == 0, "VF 0 MAC/VLAN/spoofchk/trust/link-state set before binding");
	ret = vf_nl_get(nl, 0, &got);
	tap(ret == 0 && !memcmp(got.mac, want.mac, 6) && got.vlan == 100,
	    "VF 0 reads back MAC and VLAN 100");
	ret = sriov_pf_assign_vf(pf, 0) || sriov_pf_vf_bdf(pf, 0, vf) ||
	      sriov_pf_vf_group(pf, 0, &group);
	tap(ret == 0, "VF 0 bound to vfio-pci");
	if (!ret)
		vfio_checks(fs, vf, group, false);
	ret = vf_nl_restore(nl);
	vf_nl_get(nl, 0, &after);
	tap(ret == 0 && !memcmp(after.mac, before.mac, 6) && after.vlan == before.vlan,
	    "VF 0 netlink settings restored");
release:
	vf_nl_close(nl);
	ret = sriov_pf_release(pf);
	tap(ret == 0 && !sriov_pf_num_vfs_of(fs, arg, &n) && n == orig, "PF restored to %u VFs",
	    orig);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"pf", required_argument, NULL, 'p'},     {"ich", required_argument, NULL, 'i'},
	    {"no-virt-mgmt", no_argument, NULL, 'n'}, {"nvme", required_argument, NULL, 'N'},
	    {"nic-pf", required_argument, NULL, 'P'}, {NULL, 0, NULL, 0},
	};
	const char *pf_arg = NULL, *nvme_arg = NULL, *nic_arg = NULL, *ich = "0000:00:1f.0";
	char pf_bdf[BDF_STRLEN], vf[BDF_STRLEN], ctrl[32], cmd[256], drv[DRIVER_STRLEN];
	struct sriov_pf *pf = NULL;
	struct sysfs *fs;
	bool virt_mgmt = true;
	unsigned total, group, n;
	int opt, ret;

	log_set_program("vfio-nvme-check");
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			pf_arg = optarg;
			break;
		case 'i':
			ich = optarg;
			break;
		case 'n':
			virt_mgmt = false;
			break;
		case 'N':
			nvme_arg = optarg;
			break;
		case 'P':
			nic_arg = optarg;
			break;
		default:
			fprintf(stderr, "usage: vfio-nvme-check [--pf BDF] [--ich BDF] "
					"[--no-virt-mgmt] | --nvme BDF | --nic-pf BDF\n");
			return 2;
		}
	}
	if (sysfs_open(NULL, &fs))
		return 1;
	if (access("/dev/vfio/vfio", F_OK)) {
		printf("1..0 # SKIP no /dev/vfio/vfio on this host (see scripts/hwcheck.sh)\n");
		return 77;
	}
	if (nvme_arg) {
		nvme_controller_checks(fs, nvme_arg);
		goto done;
	}
	if (nic_arg) {
		nic_pf_checks(fs, nic_arg);
		goto done;
	}
	if (pf_arg) {
		snprintf(pf_bdf, sizeof(pf_bdf), "%.12s", pf_arg);
	} else if (find_nvme_pf(fs, pf_bdf)) {
		printf("1..0 # SKIP no SR-IOV NVMe PF found (pass --pf BDF)\n");
		return 77;
	}

	/* ---- SR-IOV VF management ---- */
	ret = sriov_pf_open(fs, pf_bdf, &pf);
	tap(ret == 0, "opened NVMe PF %s", pf_bdf);
	if (ret)
		goto done;
	total = sriov_pf_total_vfs(pf);
	tap(total >= 1, "PF %s: sriov_totalvfs=%u", pf_bdf, total);
	tap(sriov_pf_set_num_vfs(pf, total + 1) == -ERANGE,
	    "%u VFs (beyond sriov_totalvfs) refused", total + 1);
	ctrl[0] = '\0';
	ret = nvme_ctrl_name(fs, pf_bdf, ctrl, sizeof(ctrl));
	if (virt_mgmt && !ret) {
		/* Primary keeps no flexible resources; they go to the VF. */
		snprintf(cmd, sizeof(cmd),
			 "nvme virt-mgmt /dev/%s -c 0 -r 0 -a 1 -n 0 >/dev/null && "
			 "nvme virt-mgmt /dev/%s -c 0 -r 1 -a 1 -n 0 >/dev/null && "
			 "nvme reset /dev/%s",
			 ctrl, ctrl, ctrl);
		tap(run(cmd) == 0, "primary controller %s gave up its flexible resources", ctrl);
	}
	ret = sriov_pf_set_num_vfs(pf, 1);
	tap(ret == 0 && !sriov_pf_num_vfs(pf, &n) && n == 1, "1 VF created through sriov_numvfs");
	if (ret)
		goto release_pf;
	if (virt_mgmt && ctrl[0]) {
		snprintf(cmd, sizeof(cmd),
			 "nvme virt-mgmt /dev/%s -c 1 -r 1 -a 8 -n 1 >/dev/null && "
			 "nvme virt-mgmt /dev/%s -c 1 -r 0 -a 8 -n 2 >/dev/null && "
			 "nvme virt-mgmt /dev/%s -c 1 -r 0 -a 9 -n 0 >/dev/null",
			 ctrl, ctrl, ctrl);
		tap(run(cmd) == 0, "secondary controller 1 given 2 queues + 1 interrupt, online");
	}
	ret = sriov_pf_vf_bdf(pf, 0, vf) || sriov_pf_vf_group(pf, 0, &group);
	tap(ret == 0, "VF 0 is %s in IOMMU group %u", vf, group);
	if (ret)
		goto release_pf;
	tap(sriov_pf_vf_bdf(pf, 1, cmd) == -ERANGE, "VF index 1 (beyond the 1 VF) refused");
	ret = sriov_pf_assign_vf(pf, 0);
	tap(ret == 0 && !pcidev_driver(fs, vf, drv) && !strcmp(drv, "vfio-pci"),
	    "VF %s bound to vfio-pci (driver_override + drivers_probe)", vf);
	if (ret)
		goto release_pf;
	tap(sriov_pf_set_num_vfs(pf, total) == -EBUSY || total == 1,
	    "VF count change while VF 0 is assigned refused");
	tap(sriov_pf_set_num_vfs(pf, 0) == -EBUSY, "removing VFs while VF 0 is assigned refused");

	vfio_checks(fs, vf, group, true);
release_pf:
	if (virt_mgmt && ctrl[0]) {
		snprintf(cmd, sizeof(cmd), "nvme virt-mgmt /dev/%s -c 1 -r 0 -a 7 -n 0 >/dev/null",
			 ctrl);
		run(cmd);
	}
	ret = sriov_pf_release(pf);
	tap(ret == 0 && !sysfs_read_uint(fs, &n, "sys/bus/pci/devices/%s/sriov_numvfs", pf_bdf) &&
		n == 0 && !sysfs_exists(fs, "sys/bus/pci/devices/%s", vf),
	    "host restored: VF unbound and removed, sriov_numvfs back to 0");

	/* ---- non-viable group ---- */
	ich_group_checks(fs, ich);
done:
	tap_plan();
	sysfs_close(fs);
	return tap_failures() ? 1 : 0;
}
