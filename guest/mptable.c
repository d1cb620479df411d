/* SPDX-License-Identifier: MIT */
#include "guest/errno.h"
#include "guest/io.h"
#include "guest/mp_tables.h"
#include "guest/mptable.h"
#include "guest/paging.h"

#define MP_CFG_MAX 0x10000

static uint64_t scan(uint64_t start, uint64_t len, uint64_t *cfg)
{
	uint64_t a;

	for (a = start; a + MP_FPS_LEN <= start + len; a += 16)
		if (!mp_fps_parse(phys_ptr(a), cfg))
			return a;
	return 0;
}

int mptable_cpus(struct cpu_list *out, uint64_t *fps_addr)
{
	uint64_t ebda = (uint64_t) * (volatile uint16_t *)phys_ptr(0x40e) << 4;
	uint64_t base_kb = *(volatile uint16_t *)phys_ptr(0x413);
	uint64_t cfg = 0, fps = 0;
	uint32_t len;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		fps = scan(ebda, 1024, &cfg);
	if (!fps && base_kb >= 512 && base_kb <= 640)
		fps = scan(base_kb * 1024 - 1024, 1024, &cfg);
	if (!fps)
		fps = scan(0x9fc00, 1024, &cfg);
	if (!fps)
		fps = scan(0xf0000, 0x10000, &cfg);
	*fps_addr = fps;
	if (!fps || !cfg || !paging_mapped(cfg, MP_CFG_HDR))
		return -ENODEV;
	len = mp_cfg_len(phys_ptr(cfg), MP_CFG_MAX);
	if (!len || !paging_mapped(cfg, len))
		return -ENODEV;
	if (mp_cfg_parse(phys_ptr(cfg), len, out))
		return -ENODEV;
	out->source = "mptable";
	return 0;
}
