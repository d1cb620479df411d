/* SPDX-License-Identifier: MIT */
/* The vfio-user test device (server side): a small PCI function with a
 * 4 KiB memory BAR0 of registers (nfguest's pci-probe contract, see
 * guest/README.md), a DMA engine into client memory (DMA_MAP'ed memfds) and
 * 2 MSI-X vectors (table/PBA in BAR0, raised through the eventfds the client
 * gives with SET_IRQS). */
#ifndef NFV_TESTS_VFIO_USER_TESTDEV_H
#define NFV_TESTS_VFIO_USER_TESTDEV_H

#include <stdint.h>

#define TD_VENDOR     0x4e46 /* "NF" */
#define TD_DEVICE     0x5444 /* "TD" */
#define TD_MAGIC      0x4e465444u
#define TD_BAR0_SIZE  4096u
#define TD_MSIX_VECS  2u
#define TD_MSIX_TABLE 0x800u
#define TD_MSIX_PBA   0x900u

/* BAR0 registers. */
#define TD_REG_MAGIC	  0x00
#define TD_REG_VERSION	  0x04
#define TD_REG_SCRATCH	  0x08
#define TD_REG_DMA_ADDR	  0x10
#define TD_REG_DMA_LEN	  0x18
#define TD_REG_DMA_SEED	  0x1c
#define TD_REG_DMA_CMD	  0x20
#define TD_REG_DMA_STATUS 0x24
#define TD_REG_DMA_RESULT 0x28
#define TD_REG_IRQ_CMD	  0x2c
#define TD_DMA_FILL	  1u
#define TD_DMA_SUM	  2u
#define TD_DMA_DONE	  1u
#define TD_DMA_ERROR	  2u

struct testdev;

int testdev_create(struct testdev **out);
void testdev_destroy(struct testdev *td);
/* Serve one client connection until it closes: 0 on orderly close, -errno
 * on a transport error. The client's DMA maps and IRQ fds are dropped at
 * the end; device state stays (as the protocol says). */
int testdev_serve(struct testdev *td, int sock);
/* Fault injection: end every connection abruptly after `n` messages (0:
 * never), as if the server crashed; testdev_serve then returns -ECONNABORTED. */
void testdev_set_crash_after(struct testdev *td, unsigned n);
/* Counters for tests. */
uint64_t testdev_irqs_sent(const struct testdev *td);

#endif
