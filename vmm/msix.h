/* SPDX-License-Identifier: MIT */
/* MSI-X for an emulated PCI function: the capability, the vector table and
 * the pending-bit array, placed in one of the device's memory BARs.
 *
 * Interrupt sources are eventfds bound to vectors (a vhost-user backend's
 * vring call fds). A vector whose function has MSI-X enabled and whose
 * address is a valid x86 MSI address gets a GSI route; while it is also
 * unmasked, each bound eventfd is an irqfd on that GSI, so interrupts never
 * pass through the VMM. Masking unbinds the irqfds: signals then accumulate
 * in the eventfd counter, show up as the vector's pending bit, and are
 * injected by KVM when unmasking binds the irqfd again — nothing is lost.
 * Interrupts the VMM raises itself (config change) go through msix_notify().
 *
 * Locking: one mutex per msix; router ops are called with it held. Never
 * takes the PCI bus lock, so it can be called from BAR/config callbacks. */
#ifndef NFV_VMM_MSIX_H
#define NFV_VMM_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/pci.h"

#define MSIX_VECTORS_MAX 2048
#define MSIX_NO_VECTOR	 0xffff

/* Interrupt routing backend (KVM in the VMM, a fake in unit tests). */
struct msi_router_ops {
	/* Create a route for the MSI (addr, data); store its GSI. */
	int (*route_add)(void *opaque, uint64_t addr, uint32_t data, uint32_t *gsi);
	/* Re-point an existing route (atomic for bound irqfds). */
	int (*route_update)(void *opaque, uint32_t gsi, uint64_t addr, uint32_t data);
	void (*route_del)(void *opaque, uint32_t gsi);
	/* Bind (assign) or unbind eventfd `fd` as an irqfd for `gsi`. */
	int (*irqfd)(void *opaque, int fd, uint32_t gsi, bool assign);
	/* Inject one MSI now. */
	int (*signal)(void *opaque, uint64_t addr, uint32_t data);
};

struct msix;

/* Add an MSI-X capability with `nvec` vectors (1..MSIX_VECTORS_MAX) to dev,
 * table at `table_off` and PBA at `pba_off` of memory BAR `bar` (8-byte
 * aligned, inside the BAR, not overlapping each other). All vectors start
 * masked, MSI-X disabled. The device must forward its config writes to
 * msix_cfg_write() and its BAR accesses to msix_bar_access(). */
int msix_create(struct pci_dev *dev, unsigned nvec, int bar, uint32_t table_off, uint32_t pba_off,
		const struct msi_router_ops *ops, void *opaque, struct msix **out);
/* Unbinds every irqfd, deletes every route. NULL is a no-op. */
void msix_destroy(struct msix *msix);

/* Config write hook: re-evaluates vectors when the control word changed. */
void msix_cfg_write(struct msix *msix, uint32_t off, uint32_t val, unsigned len);
/* A BAR access: true if it hit the table or PBA (and was handled). Table
 * accesses must be aligned dwords or qwords; other sizes read as zero and
 * are dropped. The PBA is read-only. */
bool msix_bar_access(struct msix *msix, int bar, uint64_t off, void *data, unsigned len,
		     bool write);

/* Attach/detach an interrupt source. A vector may have several (shared
 * vectors); MSIX_NO_VECTOR or an out-of-range vector is -EINVAL. The caller
 * keeps ownership of fd and must unbind it before closing it. */
int msix_bind_fd(struct msix *msix, unsigned vector, int fd);
void msix_unbind_fd(struct msix *msix, unsigned vector, int fd);

/* Raise `vector` from the VMM: delivered now if enabled, routed and
 * unmasked, else kept pending and delivered on unmask. -EINVAL for a bad
 * vector number. */
int msix_notify(struct msix *msix, unsigned vector);

/* Back to power-on state: disabled, all vectors masked, addresses zero,
 * VMM-pending bits clear (function-level reset). Bound fds stay bound. */
void msix_reset(struct msix *msix);

unsigned msix_vectors(const struct msix *msix);
bool msix_enabled(const struct msix *msix);
/* Whether `vector` currently has a GSI route / delivers directly. */
bool msix_vector_routed(const struct msix *msix, unsigned vector);
bool msix_vector_pending(struct msix *msix, unsigned vector);
/* Times a vector was programmed with an address that is not an x86 MSI
 * address (0xfeeXXXXX, upper half zero) while enabled, or routing failed. */
uint64_t msix_bad_route_count(const struct msix *msix);

#endif
