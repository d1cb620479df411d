/* SPDX-License-Identifier: MIT */
/*
 * nfguest memory layout and segment selectors, shared by C and assembly.
 * The image is linked and loaded at IMAGE_BASE (physical == virtual: every
 * address nfguest uses is identity mapped).
 */
#ifndef NFGUEST_LAYOUT_H
#define NFGUEST_LAYOUT_H

#define IMAGE_BASE 0x200000

/* GDT: null, 64-bit code, flat data, 32-bit code (for the mode switches). */
#define KERNEL_CS   0x08
#define KERNEL_DS   0x10
#define KERNEL_CS32 0x18
#define GDT_SIZE    32

/* How kmain was entered (first argument). */
#define BOOT_KIND_LINUX64 1 /* 64-bit entry, rsi = struct boot_params */
#define BOOT_KIND_PVH	  2 /* PVH 32-bit entry, ebx = struct hvm_start_info */

#define MAX_CPUS	64
#define BOOT_STACK_SIZE 0x8000
#define AP_STACK_SHIFT	14
#define AP_STACK_SIZE	(1 << AP_STACK_SHIFT)

/* Real-mode AP trampoline page (SIPI vector TRAMP_BASE >> 12). */
#define TRAMP_BASE 0x8000
#define TRAMP_MAX  0x1000

#endif
