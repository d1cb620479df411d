/* SPDX-License-Identifier: MIT */
/* virtio-net whose data queues are served by a vhost-user backend.
 *
 * The VMM keeps the device model (config space: MAC, link status, queue
 * pairs), the control queue (walked here, bounded, every address through
 * the guest-memory gate) and the backend session: it connects to the
 * backend's socket (client) or accepts it on its own (server), and when the
 * backend goes away it reports the link down through the config interrupt,
 * reconnects (client: with backoff 100 ms .. 3.2 s) and re-sends the whole
 * state, so traffic resumes without a guest restart.
 *
 * Features offered: VERSION_1, MAC, STATUS always; MRG_RXBUF and EVENT_IDX
 * when the backend offers them; CTRL_VQ + MQ when queues >= 2 and the
 * backend has MQ with enough queues. Before the first backend session the
 * offer assumes MRG_RXBUF (every DPDK backend has it).
 *
 * Threads: session events and control-queue kicks run on the VM's
 * emulation thread (the watch callbacks); activation and reset run on the
 * vCPU thread that wrote the status register. One mutex per device. */
#ifndef NFV_VMM_VIRTIO_NET_H
#define NFV_VMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/vhost_user.h"
#include "vmm/virtio_pci.h"

#define VIRTIO_NET_PAIRS_MAX  8
#define VIRTIO_NET_QUEUE_SIZE 1024
/* How long the VMM waits for one vhost-user reply before it drops the
 * session and reconnects. Long on purpose: a backend whose socket is open
 * is slow, not gone (DPDK maps guest RAM in SET_MEM_TABLE; OVS's vhost
 * thread waited ~85 s for DPDK's memory lock in a loaded nested tier, and
 * a 10 s limit made every connection to it fail). A late reply is logged
 * every VHOST_USER_PROGRESS_MS meanwhile. */
#define VIRTIO_NET_TIMEOUT_MS 300000

/* Parsed `--net vhost-user:PATH[,server][,mac=MAC][,queues=N]`. */
struct virtio_net_opts {
	char path[108];
	bool server;
	bool has_mac;
	uint8_t mac[6];
	unsigned queues; /* queue pairs, 1..VIRTIO_NET_PAIRS_MAX */
};

/* 0 or -EINVAL with a message naming the bad part and the accepted form. */
int virtio_net_parse(const char *s, struct virtio_net_opts *out);

/* Event-loop access (the VM's emulation thread). */
struct virtio_net_host {
	struct virtio_pci_host pci;
	int (*watch)(void *opaque, int fd, uint32_t events, void (*cb)(void *arg, uint32_t ev),
		     void *arg);
	int (*unwatch)(void *opaque, int fd);
	void *watch_opaque;
	/* Ends a wait for the backend's reply when the VMM stops. */
	struct vhost_user_abort abort;
};

struct virtio_net;

/* Register the PCI function and start the backend session: server mode
 * listens (the backend may connect any time later); client mode tries once
 * now and then retries with backoff. A backend that is not there yet is
 * not an error: the link is down until it comes. `index` names the device
 * ("virtio-net0"). */
int virtio_net_create(const struct virtio_net_host *host, const struct virtio_net_opts *opts,
		      unsigned index, struct virtio_net **out);
/* Close the session (the backend sees a clean disconnect) and free. */
void virtio_net_destroy(struct virtio_net *net);

bool virtio_net_link_up(struct virtio_net *net);
/* Sessions established so far (1 after the first connect). */
unsigned virtio_net_sessions(struct virtio_net *net);
/* Queue pairs the driver has enabled (1 until an MQ command). */
unsigned virtio_net_pairs_enabled(struct virtio_net *net);
struct virtio_pci *virtio_net_transport(struct virtio_net *net);

#endif
