/* SPDX-License-Identifier: MIT */
/* vfio-user client: a device served by another process over a UNIX socket
 * (`--device vfio-user:PATH`), presented through the same passthrough
 * device model as kernel VFIO (struct vfio_dev_ops). Guest RAM is shared
 * with the server by passing the memfd of each RAM region (DMA_MAP with
 * IOVA = GPA). Region accesses are messages (no region fds are requested,
 * so every BAR access traps); interrupts are eventfds handed over with
 * SET_IRQS. Requests are synchronous and serialised; any transport error
 * marks the device dead: later accesses fail fast (reads return all ones
 * through the model) and the error is logged once. */
#ifndef NFV_VFIO_VFIO_USER_H
#define NFV_VFIO_VFIO_USER_H

#include <stdbool.h>

#include "vfio/pci_passthrough.h"

struct guest_mem;
struct vfio_user;

/* Connect to the server at `path`, negotiate the version and read device,
 * region and IRQ info. -ENOENT/-ECONNREFUSED (no server: message says
 * which path), -EPROTO (bad reply), -EOPNOTSUPP (not a PCI device). */
int vfio_user_connect(const char *path, struct vfio_user **out);
/* Same over an already connected socket (taken over; closed on close). */
int vfio_user_attach(int sock, const char *name, struct vfio_user **out);
void vfio_user_close(struct vfio_user *vu);

/* DMA-map every guest RAM region (memfd + offset, IOVA = GPA). */
int vfio_user_dma_map_guest(struct vfio_user *vu, const struct guest_mem *mem);

/* Whether the connection failed (server died, protocol error). */
bool vfio_user_dead(const struct vfio_user *vu);

/* The backend ops for pci_passthrough (be = struct vfio_user *). */
extern const struct vfio_dev_ops vfio_user_dev_ops;

#endif
