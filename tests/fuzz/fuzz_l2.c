// SPDX-License-Identifier: MIT
/* libFuzzer target: the switch's L2 decision (dataplane/l2.c) on arbitrary
 * frames: VLAN tags (single, stacked, bad TPIDs), truncated headers, runts,
 * learning into a small FDB; and the port VLAN spec parser. Input: byte 0
 * picks the mode (bit 7: parse the rest as a VLAN spec string; bits 0-1: the
 * ingress port; bit 2: use the burst cache), then length-prefixed frames
 * (one length byte each). Tagged frames are popped and re-pushed in a copy
 * exactly like the PMD does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/l2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct l2 *setup(void)
{
	static const char *specs[] = {"access:10", "trunk:10,20-30", "access:20", "trunk:1-4094"};
	struct l2_port_cfg cfg;
	struct fdb *fdb;
	struct l2 *l2;
	unsigned p;

	if (fdb_create(64, 1000, &fdb) || l2_create(fdb, &l2))
		abort();
	for (p = 0; p < 4; p++) {
		if (l2_parse_vlan(specs[p], &cfg) || l2_port_attach(l2, p, &cfg))
			abort();
		l2_port_set_up(l2, p, true);
	}
	fdb_set_port_limit(fdb, 2, 4);
	return l2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct l2 *l2;
	static uint64_t now;
	uint8_t buf[256 + 2 * L2_TAG_LEN];
	struct l2_cache cache;
	struct l2_verdict v;
	size_t i = 1;

	if (!l2)
		l2 = setup();
	if (!size)
		return 0;
	if (data[0] & 0x80) {
		struct l2_port_cfg cfg;
		char s[128], out[256];
		size_t n = size - 1 < sizeof(s) - 1 ? size - 1 : sizeof(s) - 1;

		memcpy(s, data + 1, n);
		s[n] = '\0';
		if (!l2_parse_vlan(s, &cfg)) {
			l2_format_vlan(&cfg, out, sizeof(out));
			l2_cfg_allows(&cfg, (uint16_t)n);
		}
		return 0;
	}
	l2_cache_reset(&cache);
	while (i < size) {
		uint32_t len = data[i++];

		if (len > size - i)
			len = (uint32_t)(size - i);
		/* The frame is copied into a buffer of exactly len bytes at the
		 * end of a heap block so ASan sees any over-read. */
		uint8_t *frame = malloc(len ? len : 1);

		if (!frame)
			abort();
		memcpy(frame, data + i, len);
		if (data[0] & 4)
			l2_decide_cached(l2, &cache, data[0] & 3, frame, len, now, &v);
		else
			l2_decide(l2, data[0] & 3, frame, len, now, &v);
		if (v.drop == L2_FWD && len <= 256) {
			memcpy(buf + L2_TAG_LEN, frame, len);
			if (v.in_tagged) {
				l2_tag_pop(buf + L2_TAG_LEN);
				l2_tag_push(buf + L2_TAG_LEN, v.vlan);
			} else if (len >= 12) {
				l2_tag_push(buf, v.vlan);
			}
		}
		free(frame);
		i += len;
		now += 7;
	}
	return 0;
}
