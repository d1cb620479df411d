/* SPDX-License-Identifier: MIT */
/* Benchmark modes over virtio-net: benchgen, benchsink (see benchnet.c). */
#ifndef NFGUEST_BENCHNET_H
#define NFGUEST_BENCHNET_H

void mode_benchgen(void);
void mode_benchsink(void);

#endif
