/* SPDX-License-Identifier: MIT */
/* The 8-byte guest-access record the PCI fuzz targets read their input as:
 *   byte 0: op (bits 0-1: target-specific kind; bit 4: write;
 *           bits 5-6: length 1, 2, 4 or 8)
 *   byte 1: flags (also bits 32-39 of the value)
 *   bytes 2-3: offset (LE16), bytes 4-7: value (LE32) */
#ifndef NFV_TESTS_FUZZ_ACCESS_RECORD_H
#define NFV_TESTS_FUZZ_ACCESS_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#define ACCESS_RECORD_SIZE 8

struct access_record {
	unsigned kind; /* op bits 0-1 */
	bool write;
	unsigned len;
	uint8_t flags;
	uint16_t off;
	uint64_t val;
};

/* Decode one record from r[0..ACCESS_RECORD_SIZE). */
void access_record_decode(const uint8_t *r, struct access_record *a);

#endif
