/* SPDX-License-Identifier: MIT */
/* What kmain found at boot, shared with the modes. */
#ifndef NFGUEST_NFGUEST_H
#define NFGUEST_NFGUEST_H

#include <stdint.h>

#include "guest/cpulist.h"
#include "guest/smp.h"

struct sysinfo {
	struct cpu_list cpus; /* from the MADT, else the MP table */
	uint64_t mp_fps;      /* MP floating pointer address, 0 if none */
	int acpi_err;	      /* acpi_init's result */
	uint64_t mem_mb;      /* e820_mem_mb of the boot E820 map */
	unsigned int cpus_up; /* BSP + APs that answered */
	struct smp_result smp;
};

extern struct sysinfo sysinfo;

struct mode {
	const char *name;
	const char *help;
	void (*run)(void); /* returns to kmain, which powers off */
};

/* mode_arg_u64: the value of key from the command line, def when absent.
 * A malformed or out-of-range value prints a message naming the key, the
 * value and the range, and returns -EINVAL. */
int mode_arg_u64(const char *key, uint64_t def, uint64_t min, uint64_t max, uint64_t *out);

/* Modes in diag.c */
void mode_ioport_spam(void);
void mode_mmio_spam(void);
void mode_triple_fault(void);
void mode_reset(void);

/* pciprobe.c */
void mode_pci_probe(void);
/* memprobe.c */
void mode_memprobe(void);

#endif
