/* SPDX-License-Identifier: MIT */
/* Find the MP table in guest memory (EBDA's first KiB, the last KiB of base
 * memory, 0xF0000-0xFFFFF) and list its processors. */
#ifndef NFGUEST_MPTABLE_H
#define NFGUEST_MPTABLE_H

#include <stdint.h>

#include "guest/cpulist.h"

/* mptable_cpus: fill out from the MP table. Returns 0 or -ENODEV. *fps_addr
 * receives the floating pointer's address (0 when none was found). */
int mptable_cpus(struct cpu_list *out, uint64_t *fps_addr);

#endif
