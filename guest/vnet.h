/* SPDX-License-Identifier: MIT */
/*
 * virtio-net NICs: RX queue 0, TX queue 1 of each device, fixed 2 KiB
 * buffers, the 12-byte virtio-net v1 header (no offloads, no mergeable
 * buffers). Polling by default; in interrupt mode the RX queue gets an
 * MSI-X vector and vnet_wait halts until a frame (or the LAPIC timer's
 * periodic wake-up) arrives.
 */
#ifndef NFGUEST_VNET_H
#define NFGUEST_VNET_H

#include <stdint.h>

#include "guest/virtio.h"

#define VNET_MAX       2
#define VNET_HDR_LEN   12
#define VNET_FRAME_MAX (VQ_BUF_SIZE - VNET_HDR_LEN)

struct vnet {
	struct virtio_dev vd;
	struct virtq rx, tx;
	uint8_t mac[6];
	int irq_mode;
	uint8_t vector;
	uint64_t irqs;
	uint64_t rx_runts; /* frames shorter than a header + Ethernet header */
	uint64_t tx_full;  /* transmit attempts that found the ring full */
	char name[16];	   /* "net0 00:03.0" */
};

/* vnet_probe: initialise up to max virtio-net devices in PCI order. Each
 * failure prints one line naming the device and the step. Returns the
 * number ready (DRIVER_OK, RX ring full of buffers), or -EIO / -ENOMEM
 * (the virtqueue pool is not RAM) after printing why. */
int vnet_probe(struct vnet *nics, unsigned int max, int irq_mode);

/* vnet_recv: next received frame: 1 with *frame (Ethernet header first),
 * *len and the buffer *id to hand back with vnet_rx_done; 0 if none. */
int vnet_recv(struct vnet *n, uint8_t **frame, uint32_t *len, uint16_t *id);

/* vnet_rx_done: repost RX buffer id (kicks are batched: vnet_rx_flush). */
void vnet_rx_done(struct vnet *n, uint16_t id);
void vnet_rx_flush(struct vnet *n);

/* vnet_tx_get: a TX buffer (after reclaiming completed ones): returns the
 * frame area (VNET_FRAME_MAX bytes) and *id, or 0 if the ring is full. */
uint8_t *vnet_tx_get(struct vnet *n, uint16_t *id);

/* vnet_tx_put: queue frame id of len bytes (kick with vnet_tx_flush). */
void vnet_tx_put(struct vnet *n, uint16_t id, uint32_t len);
void vnet_tx_flush(struct vnet *n);

/* vnet_tx_reclaim: free completed TX buffers; returns how many. */
unsigned int vnet_tx_reclaim(struct vnet *n);

/* vnet_tx_idle: 1 when every TX buffer has come back. */
int vnet_tx_idle(struct vnet *n);

/* vnet_wait: nothing to do: in interrupt mode re-enable RX interrupts and
 * halt (woken by an RX interrupt or the periodic timer); else pause. */
void vnet_wait(struct vnet *nics, unsigned int count);

/* vnet_mac_str: "xx:xx:xx:xx:xx:xx" into buf (18 bytes). */
void vnet_mac_str(const uint8_t *mac, char *buf);

#endif
