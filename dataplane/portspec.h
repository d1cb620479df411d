/* SPDX-License-Identifier: MIT */
/* Port specifications as users write them (command line, control socket),
 * parsed into plain structs. No DPDK types: unit-tested without EAL. */
#ifndef NFV_DATAPLANE_PORTSPEC_H
#define NFV_DATAPLANE_PORTSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/l2.h"

#define PORT_MAX      L2_MAX_PORTS
#define PORT_MAX_Q    8
#define PORT_NAME_MAX 32
#define PORT_PATH_MAX 108

enum port_type { PORT_VHOST, PORT_VDEV, PORT_PCI };

/* A port as the user describes it (command line or control socket):
 *   name=vm1,type=vhost-user,path=/run/x.sock,mode=server|client,
 *       vlan=access:10|trunk:10+20+30-40,queues=2,mac-limit=N,flood-limit=PPS
 *   name=up0,type=vdev,dev=net_tap0,iface=nfvtap0,vlan=trunk:10+20
 *   name=vf0,type=pci,dev=0000:03:00.1,vlan=access:10
 * In vlan= lists '+' separates VIDs (',' separates options); ':' or ','
 * inside a trunk list are also accepted when vlan= is the last option.
 * Unknown keys of vdev/pci ports are passed to the driver as devargs. */
struct port_spec {
	char name[PORT_NAME_MAX];
	enum port_type type;
	char path[PORT_PATH_MAX]; /* vhost socket */
	bool client;		  /* vhost: switch connects and reconnects */
	char dev[256];		  /* vdev/pci: full devargs string */
	char devname[64];	  /* vdev/pci: device name (before the first ',') */
	struct l2_port_cfg vlan;
	unsigned queues;      /* vhost: max queue pairs used; ethdev: rx queues */
	uint32_t mac_limit;   /* 0 = none */
	uint32_t flood_limit; /* flooded frames/s per rx queue, 0 = none */
};

/* Parses a spec string; on error returns -EINVAL and writes a message naming
 * the bad key/value and the accepted forms into err. */
int port_spec_parse(const char *s, struct port_spec *spec, char *err, size_t errlen);

#endif
