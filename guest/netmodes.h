/* SPDX-License-Identifier: MIT */
/* virtio-net packet modes: gen, sink, reflect, fwd (see netmodes.c). */
#ifndef NFGUEST_NETMODES_H
#define NFGUEST_NETMODES_H

void mode_gen(void);
void mode_sink(void);
void mode_reflect(void);
void mode_fwd(void);

#endif
