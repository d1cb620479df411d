/* SPDX-License-Identifier: MIT */
/* Guest RAM: one shared (hugepage or plain) memfd, mapped MAP_SHARED and
 * preallocated when on hugepages, or private anonymous memory when nothing
 * else maps it (guest_mem_create_private), split around the 32-bit PCI hole. The one checked
 * guest-address gate of the VMM: every access to guest memory goes through
 * guest_mem_ptr() (or the copy helpers built on it). */
#ifndef NFV_VMM_MEM_H
#define NFV_VMM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hugepage_kind { HUGEPAGES_NONE, HUGEPAGES_2M, HUGEPAGES_1G };

struct guest_mem;

/* One contiguous guest-physical RAM range backed by [fd_offset, +size) of
 * the memfd. A vhost-user backend or VFIO maps these. */
struct mem_region {
	uint64_t gpa;
	uint64_t size;
	void *hva;
	int fd;
	uint64_t fd_offset;
};

/* Allocate `size` bytes of guest RAM (hugepages: preallocated). For hugepages, checks
 * the free pool first and fails with -ENOMEM and a message saying how many
 * pages are needed/free and the command that reserves them; size must be a
 * multiple of the page size (-EINVAL otherwise). Nothing is left behind on
 * failure (memfd pages are freed with the fd). */
int guest_mem_create(uint64_t size, enum hugepage_kind kind, struct guest_mem **out);
/* Plain guest RAM that no other process maps (no vhost-user or vfio-user
 * device): private anonymous memory, allocated as the guest touches it and
 * advised for transparent huge pages. Regions have fd -1, so it cannot be
 * shared later. size must be a positive multiple of 4 KiB (-EINVAL). */
int guest_mem_create_private(uint64_t size, struct guest_mem **out);
void guest_mem_destroy(struct guest_mem *mem);

uint64_t guest_mem_size(const struct guest_mem *mem);
/* Regions in guest-physical order (1 or 2: below the hole, above 4 GiB). */
size_t guest_mem_regions(const struct guest_mem *mem, const struct mem_region **regions);

/* The gate: host pointer for [gpa, gpa+len) if the whole range lies in one
 * RAM region (no wrap, no hole crossing), else NULL. len 0 is rejected. */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
/* Copy helpers through the gate: 0 or -EFAULT. */
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len);
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len);

/* Page size of the backing store (4096, 2 MiB or 1 GiB). */
uint64_t guest_mem_page_size(const struct guest_mem *mem);

/* Pure layout of `size` bytes of RAM around the PCI hole: fills out[0..n)
 * with gpa/size/fd_offset (hva NULL, fd -1) and returns n (1 or 2). */
size_t guest_mem_layout(uint64_t size, struct mem_region out[2]);
/* The gate's logic over any region table: host pointer for [gpa, gpa+len)
 * if it lies wholly inside one region, else NULL (len 0, wrap, hole). */
void *mem_regions_ptr(const struct mem_region *regions, size_t n, uint64_t gpa, uint64_t len);

/* Page size in bytes of a hugepage kind (4096 for HUGEPAGES_NONE). */
uint64_t hugepage_size(enum hugepage_kind kind);
/* Check the free pool for `size` bytes of `kind` hugepages under
 * `sysfs_root` (NULL: /sys/kernel/mm/hugepages; tests pass a fake tree).
 * 0 if enough are free (always for HUGEPAGES_NONE). -ENOMEM if short and
 * -ENOENT if the kernel has no pool of that size; both fill `msg` with one
 * line naming the needed and free page counts and the command that fixes it. */
int hugepages_check_free(const char *sysfs_root, enum hugepage_kind kind, uint64_t size, char *msg,
			 size_t msg_len);

#endif
