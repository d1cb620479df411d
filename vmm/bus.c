/* SPDX-License-Identifier: MIT */
#define LOG_PREFIX "bus"
#include "vmm/bus.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_handler_fn fn;
	void *opaque;
	const char *owner;
};

struct bus {
	const char *name;
	pthread_rwlock_t lock;
	struct bus_range *ranges; /* sorted by base, non-overlapping */
	size_t n, cap;
	_Atomic uint64_t unknown;
};

int bus_create(const char *name, struct bus **out)
{
	struct bus *bus = calloc(1, sizeof(*bus));
	int ret;

	if (!bus)
		return -ENOMEM;
	ret = -pthread_rwlock_init(&bus->lock, NULL);
	if (ret) {
		free(bus);
		return ret;
	}
	bus->name = name;
	*out = bus;
	return 0;
}

void bus_destroy(struct bus *bus)
{
	if (!bus)
		return;
	pthread_rwlock_destroy(&bus->lock);
	free(bus->ranges);
	free(bus);
}

/* Index of the first range whose base is > addr. */
static size_t upper_bound(const struct bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bus->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The range holding addr, or NULL. Caller holds the lock. */
static const struct bus_range *find(const struct bus *bus, uint64_t addr)
{
	size_t i = upper_bound(bus, addr);
	const struct bus_range *r;

	if (i == 0)
		return NULL;
	r = &bus->ranges[i - 1];
	return addr - r->base < r->len ? r : NULL;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_handler_fn fn, void *opaque,
		 const char *owner)
{
	const struct bus_range *clash = NULL;
	size_t i;
	int ret = 0;

	if (len == 0 || base + len - 1 < base || !fn)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	i = upper_bound(bus, base);
	if (i > 0 && base - bus->ranges[i - 1].base < bus->ranges[i - 1].len)
		clash = &bus->ranges[i - 1];
	else if (i < bus->n && bus->ranges[i].base - base < len)
		clash = &bus->ranges[i];
	if (clash) {
		pr_err("%s: %s at 0x%llx+0x%llx overlaps %s at 0x%llx+0x%llx", bus->name, owner,
		       (unsigned long long)base, (unsigned long long)len, clash->owner,
		       (unsigned long long)clash->base, (unsigned long long)clash->len);
		ret = -EEXIST;
		goto out;
	}
	if (bus->n == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *r = realloc(bus->ranges, cap * sizeof(*r));

		if (!r) {
			ret = -ENOMEM;
			goto out;
		}
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i], (bus->n - i) * sizeof(bus->ranges[0]));
	bus->ranges[i] = (struct bus_range){base, len, fn, opaque, owner};
	bus->n++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int bus_unregister(struct bus *bus, uint64_t base)
{
	size_t i;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	i = upper_bound(bus, base);
	if (i > 0 && bus->ranges[i - 1].base == base) {
		i--;
		memmove(&bus->ranges[i], &bus->ranges[i + 1],
			(bus->n - i - 1) * sizeof(bus->ranges[0]));
		bus->n--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

bool bus_dispatch(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	const struct bus_range *r;
	struct bus_range hit;
	bool found = false;

	pthread_rwlock_rdlock(&bus->lock);
	r = find(bus, addr);
	/* The whole access must fit in the range that holds its first byte. */
	if (r && len <= r->len - (addr - r->base)) {
		hit = *r;
		found = true;
	}
	pthread_rwlock_unlock(&bus->lock);

	if (!found) {
		atomic_fetch_add(&bus->unknown, 1);
		pr_debug("%s: unclaimed %s of %u bytes at 0x%llx ignored", bus->name,
			 is_write ? "write" : "read", len, (unsigned long long)addr);
		if (!is_write)
			memset(data, 0xff, len);
		return false;
	}
	hit.fn(hit.opaque, addr - hit.base, data, len, is_write);
	return true;
}

uint64_t bus_unknown_count(struct bus *bus)
{
	return atomic_load(&bus->unknown);
}
