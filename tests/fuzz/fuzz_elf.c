// SPDX-License-Identifier: MIT
/* libFuzzer target: the ELF loader on arbitrary files, loading into a real
 * 32 MiB guest memory. Run: build/fuzz/fuzz_elf -close_fd_mask=2 (quiet). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/elf.h"
#include "vmm/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_mem *mem;
	static int fd = -1;
	struct elf_info ei;

	if (!mem && guest_mem_create(32 << 20, HUGEPAGES_NONE, &mem))
		abort();
	if (fd < 0 && (fd = memfd_create("fuzz-elf", MFD_CLOEXEC)) < 0)
		abort();
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	elf_load(mem, fd, size, "fuzz", &ei);
	return 0;
}
