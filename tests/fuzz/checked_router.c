/* SPDX-License-Identifier: MIT */
#include "tests/fuzz/checked_router.h"

#include <errno.h>
#include <stdlib.h>

#define NGSI 1024

static bool gsi_used[NGSI];
static int gsi_fds[NGSI];

static int r_add(void *o, uint64_t addr, uint32_t d, uint32_t *gsi)
{
	for (uint32_t g = 24; g < NGSI; g++) {
		if (!gsi_used[g]) {
			gsi_used[g] = true;
			*gsi = g;
			return 0;
		}
	}
	return -ENOSPC;
}

static int r_update(void *o, uint32_t gsi, uint64_t addr, uint32_t d)
{
	if (gsi >= NGSI || !gsi_used[gsi])
		abort();
	return 0;
}

static void r_del(void *o, uint32_t gsi)
{
	if (gsi >= NGSI || !gsi_used[gsi] || gsi_fds[gsi])
		abort(); /* double delete, or irqfds still bound */
	gsi_used[gsi] = false;
}

static int r_irqfd(void *o, int fd, uint32_t gsi, bool assign)
{
	if (gsi >= NGSI || !gsi_used[gsi] || (!assign && gsi_fds[gsi] <= 0))
		abort();
	gsi_fds[gsi] += assign ? 1 : -1;
	return 0;
}

static int r_signal(void *o, uint64_t addr, uint32_t d)
{
	return 1;
}

const struct msi_router_ops checked_msi_router = {
    .route_add = r_add,
    .route_update = r_update,
    .route_del = r_del,
    .irqfd = r_irqfd,
    .signal = r_signal,
};

void checked_router_assert_idle(void)
{
	for (unsigned g = 0; g < NGSI; g++)
		if (gsi_used[g] || gsi_fds[g])
			abort(); /* a route or irqfd leaked past the device's destroy */
}
