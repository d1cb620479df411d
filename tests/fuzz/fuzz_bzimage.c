// SPDX-License-Identifier: MIT
/* libFuzzer target: bzImage setup-header validation and zero page start on
 * arbitrary bytes. Run: build/fuzz/fuzz_bzimage -close_fd_mask=2 (quiet). */
#include <stddef.h>
#include <stdint.h>

#include "vmm/bzimage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_params bp;
	struct bzimage_info bi;
	size_t len = size < BZIMAGE_PROBE_LEN ? size : BZIMAGE_PROBE_LEN;

	/* The file may be longer than what we see: also claim a bigger size. */
	if (bzimage_parse(data, len, size, "fuzz", &bi) == 0)
		bzimage_init_params(&bi, &bp);
	if (bzimage_parse(data, len, (uint64_t)size * 4096 + 1, "fuzz", &bi) == 0)
		bzimage_init_params(&bi, &bp);
	return 0;
}
