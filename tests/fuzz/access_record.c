/* SPDX-License-Identifier: MIT */
#include "tests/fuzz/access_record.h"

void access_record_decode(const uint8_t *r, struct access_record *a)
{
	static const unsigned lens[4] = {1, 2, 4, 8};

	a->kind = r[0] & 3;
	a->write = r[0] & 0x10;
	a->len = lens[(r[0] >> 5) & 3];
	a->flags = r[1];
	a->off = (uint16_t)(r[2] | r[3] << 8);
	a->val = (uint64_t)r[4] | (uint64_t)r[5] << 8 | (uint64_t)r[6] << 16 |
		 (uint64_t)r[7] << 24 | (uint64_t)r[1] << 32;
}
