/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "mem"
#include "vmm/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/layout.h"

#define HUGEPAGES_SYSFS "/sys/kernel/mm/hugepages"

struct guest_mem {
	uint64_t size;
	uint64_t page_size;
	int fd;
	void *base;
	size_t nregions;
	struct mem_region regions[2];
};

uint64_t hugepage_size(enum hugepage_kind kind)
{
	switch (kind) {
	case HUGEPAGES_2M:
		return 2ull << 20;
	case HUGEPAGES_1G:
		return 1ull << 30;
	case HUGEPAGES_NONE:
	default:
		return 4096;
	}
}

size_t guest_mem_layout(uint64_t size, struct mem_region out[2])
{
	uint64_t low = size < PCI_HOLE_START ? size : PCI_HOLE_START;

	out[0] = (struct mem_region){.gpa = 0, .size = low, .fd = -1, .fd_offset = 0};
	if (size <= PCI_HOLE_START)
		return 1;
	out[1] = (struct mem_region){
	    .gpa = RAM_ABOVE_4G_START,
	    .size = size - low,
	    .fd = -1,
	    .fd_offset = low,
	};
	return 2;
}

void *mem_regions_ptr(const struct mem_region *regions, size_t n, uint64_t gpa, uint64_t len)
{
	size_t i;

	if (len == 0 || gpa + len < gpa)
		return NULL;
	for (i = 0; i < n; i++) {
		const struct mem_region *r = &regions[i];

		/* Written so nothing can overflow: gpa >= r->gpa first. */
		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return (uint8_t *)r->hva + (gpa - r->gpa);
	}
	return NULL;
}

/* Read one unsigned counter file; -errno if missing or malformed. */
static int read_counter(const char *dir, const char *name, uint64_t *out)
{
	char path[512], buf[32], *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	errno = 0;
	*out = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EIO;
	return 0;
}

int hugepages_check_free(const char *sysfs_root, enum hugepage_kind kind, uint64_t size, char *msg,
			 size_t msg_len)
{
	uint64_t page = hugepage_size(kind), needed, free_pages, resv = 0, total, avail;
	const char *hsize = kind == HUGEPAGES_1G ? "1G" : "2M";
	char dir[512];

	if (msg_len)
		msg[0] = '\0';
	if (kind == HUGEPAGES_NONE)
		return 0;
	if (!sysfs_root)
		sysfs_root = HUGEPAGES_SYSFS;
	snprintf(dir, sizeof(dir), "%s/hugepages-%" PRIu64 "kB", sysfs_root, page >> 10);
	needed = size / page + (size % page != 0); /* rounds up, cannot wrap */
	if (read_counter(dir, "free_hugepages", &free_pages) ||
	    read_counter(dir, "nr_hugepages", &total)) {
		snprintf(msg, msg_len,
			 "this kernel has no %s hugepage pool (%s missing); use --hugepages %s or "
			 "--hugepages none",
			 hsize, dir, kind == HUGEPAGES_1G ? "2M" : "none");
		return -ENOENT;
	}
	/* Pages reserved by other mappings are counted free but are taken. */
	read_counter(dir, "resv_hugepages", &resv);
	avail = free_pages > resv ? free_pages - resv : 0;
	if (avail >= needed)
		return 0;
	snprintf(msg, msg_len,
		 "guest memory of %" PRIu64 " MiB needs %" PRIu64
		 " free %s hugepages, only %" PRIu64 " free; reserve them with: echo %" PRIu64
		 " > %s/nr_hugepages (or use "
		 "--hugepages none)",
		 size >> 20, needed, hsize, avail, total + (needed - avail), dir);
	return -ENOMEM;
}

/* Split [base, base+size) around the PCI hole; regions carry mem->fd. */
static void fill_regions(struct guest_mem *mem)
{
	size_t i;

	mem->nregions = guest_mem_layout(mem->size, mem->regions);
	for (i = 0; i < mem->nregions; i++) {
		mem->regions[i].hva = (uint8_t *)mem->base + mem->regions[i].fd_offset;
		mem->regions[i].fd = mem->fd;
	}
}

int guest_mem_create(uint64_t size, enum hugepage_kind kind, struct guest_mem **out)
{
	static const unsigned memfd_flags[] = {
	    [HUGEPAGES_NONE] = 0,
	    [HUGEPAGES_2M] = MFD_HUGETLB | MFD_HUGE_2MB,
	    [HUGEPAGES_1G] = MFD_HUGETLB | MFD_HUGE_1GB,
	};
	uint64_t page = hugepage_size(kind);
	struct guest_mem *mem;
	char msg[512];
	int ret;

	if ((unsigned)kind > HUGEPAGES_1G)
		return -EINVAL;
	if (size == 0 || size % page) {
		pr_err("guest memory size %" PRIu64
		       " bytes is not a positive multiple of the %" PRIu64
		       " KiB page size; round --memory up to a multiple of it",
		       size, page >> 10);
		return -EINVAL;
	}
	ret = hugepages_check_free(NULL, kind, size, msg, sizeof(msg));
	if (ret) {
		pr_err("%s", msg);
		return ret;
	}
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	mem->size = size;
	mem->page_size = page;
	mem->fd = memfd_create("nfvisor-guest-ram", MFD_CLOEXEC | memfd_flags[kind]);
	if (mem->fd < 0) {
		ret = -errno;
		pr_err("memfd_create for %" PRIu64 " MiB of guest RAM (%s): %s", size >> 20,
		       kind == HUGEPAGES_NONE ? "shared memory" : "hugetlb", strerror(-ret));
		goto err_free;
	}
	if (ftruncate(mem->fd, (off_t)size) < 0) {
		ret = -errno;
		pr_err("sizing guest RAM to %" PRIu64 " bytes: %s", size, strerror(-ret));
		goto err_close;
	}
	/* Hugepages: allocate every page now, so a shortage becomes an error
	 * here, never a SIGBUS in a vCPU or in the vhost-user backend later.
	 * Plain shared memory (--hugepages none) has no pool to run short of
	 * and is allocated as the guest touches it, as QEMU does by default. */
	ret = kind == HUGEPAGES_NONE ? 0 : fallocate(mem->fd, 0, 0, (off_t)size);
	if (ret < 0) {
		ret = -errno;
		pr_err("preallocating %" PRIu64 " MiB of guest RAM: %s (%s)", size >> 20,
		       strerror(-ret),
		       kind == HUGEPAGES_NONE ? "not enough host memory"
					      : "the hugepage pool shrank; reserve more pages");
		goto err_close;
	}
	mem->base = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | (kind == HUGEPAGES_NONE ? 0 : MAP_POPULATE), mem->fd, 0);
	if (mem->base == MAP_FAILED) {
		ret = -errno;
		pr_err("mapping %" PRIu64 " MiB of guest RAM: %s", size >> 20, strerror(-ret));
		goto err_close;
	}
	/* Guest RAM has no place in a VMM core dump. */
	madvise(mem->base, size, MADV_DONTDUMP);
	fill_regions(mem);
	*out = mem;
	return 0;

err_close:
	close(mem->fd);
err_free:
	free(mem);
	return ret;
}

/* Private anonymous memory starting on a 2 MiB boundary: KVM maps a guest
 * 2 MiB page with one NPT/EPT entry only if its host address is 2 MiB
 * aligned too (guest RAM regions start on 2 MiB boundaries). */
static void *map_thp_aligned(uint64_t size)
{
	const uint64_t align = 2ull << 20;
	uint8_t *p, *a;
	uint64_t head;

	p = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return MAP_FAILED;
	a = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	head = (uint64_t)(a - p);
	if (head)
		munmap(p, head);
	munmap(a + size, align - head);
	return a;
}

int guest_mem_create_private(uint64_t size, struct guest_mem **out)
{
	struct guest_mem *mem;
	int ret;

	if (size == 0 || size % 4096) {
		pr_err("guest memory size %" PRIu64
		       " bytes is not a positive multiple of 4 KiB; round --memory up",
		       size);
		return -EINVAL;
	}
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	mem->size = size;
	mem->page_size = 4096;
	mem->fd = -1;
	mem->base = map_thp_aligned(size);
	if (mem->base == MAP_FAILED) {
		ret = -errno;
		pr_err("mapping %" PRIu64 " MiB of guest RAM: %s", size >> 20, strerror(-ret));
		free(mem);
		return ret;
	}
	/* Transparent huge pages where the host allows them: KVM then maps
	 * guest RAM with 2 MiB NPT/EPT entries, one nested page fault per
	 * 2 MiB touched instead of one per 4 KiB (tens of thousands fewer
	 * exits while Linux boots). Advice only: failure changes nothing. */
	madvise(mem->base, size, MADV_HUGEPAGE);
	madvise(mem->base, size, MADV_DONTDUMP);
	fill_regions(mem);
	*out = mem;
	return 0;
}

void guest_mem_destroy(struct guest_mem *mem)
{
	if (!mem)
		return;
	munmap(mem->base, mem->size);
	if (mem->fd >= 0)
		close(mem->fd);
	free(mem);
}

uint64_t guest_mem_size(const struct guest_mem *mem)
{
	return mem->size;
}

size_t guest_mem_regions(const struct guest_mem *mem, const struct mem_region **regions)
{
	*regions = mem->regions;
	return mem->nregions;
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	return mem_regions_ptr(mem->regions, mem->nregions, gpa, len);
}

int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len)
{
	void *p = guest_mem_ptr(mem, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = guest_mem_ptr(mem, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

uint64_t guest_mem_page_size(const struct guest_mem *mem)
{
	return mem->page_size;
}
