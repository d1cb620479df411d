/* SPDX-License-Identifier: MIT */
/* Intel MultiProcessor Specification 1.4 table decoding (pure, bounded). */
#ifndef NFGUEST_MP_TABLES_H
#define NFGUEST_MP_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "guest/cpulist.h"

#define MP_FPS_LEN 16
#define MP_CFG_HDR 44

/* mp_fps_parse: validate a 16-byte floating pointer structure ("_MP_",
 * length 1, checksum) and return its configuration table address in *cfg
 * (0 for a default configuration). Returns 0 or -EINVAL. */
int mp_fps_parse(const uint8_t *p, uint64_t *cfg);

/* mp_cfg_len: the base table length of a "PCMP" header if it is within
 * [MP_CFG_HDR, max]; 0 otherwise. */
uint32_t mp_cfg_len(const uint8_t *cfg, uint32_t max);

/* mp_cfg_parse: add every enabled processor entry of a configuration table
 * of len bytes (signature and checksum are verified here) to out. Returns 0
 * or -EINVAL. */
int mp_cfg_parse(const uint8_t *cfg, uint32_t len, struct cpu_list *out);

#endif
