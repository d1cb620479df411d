/* SPDX-License-Identifier: MIT */
/* A fake MSI router for the fuzz targets that aborts on any break of the
 * invariants KVM relies on: no update or delete of a route that does not
 * exist, no delete while irqfds are bound, no unbind of an unbound irqfd. */
#ifndef NFV_TESTS_FUZZ_CHECKED_ROUTER_H
#define NFV_TESTS_FUZZ_CHECKED_ROUTER_H

#include "vmm/msix.h"

/* Routes come from GSIs 24..1023; -ENOSPC after that. Opaque is unused. */
extern const struct msi_router_ops checked_msi_router;
/* Abort if a route or a bound irqfd is left (call after the device is gone). */
void checked_router_assert_idle(void);

#endif
