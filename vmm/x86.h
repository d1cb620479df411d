/* SPDX-License-Identifier: MIT */
/* x86-64 entry state for the bootstrap processor: identity page tables for
 * the first 4 GiB, the boot GDT, and the register values of the Linux 64-bit
 * boot protocol (which our ELF entry and nfguest share). No ioctls: the
 * caller owns KVM_GET/SET_[S]REGS. */
#ifndef NFV_VMM_X86_H
#define NFV_VMM_X86_H

#include <stdint.h>
#include <linux/kvm.h>

#include "vmm/mem.h"

/* Segment selectors the Linux boot protocol expects (__BOOT_CS/__BOOT_DS). */
#define BOOT_CS 0x10
#define BOOT_DS 0x18

#define X86_CR0_PE   (1ull << 0)
#define X86_CR0_ET   (1ull << 4)
#define X86_CR0_NE   (1ull << 5)
#define X86_CR0_PG   (1ull << 31)
#define X86_CR4_PAE  (1ull << 5)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)

/* Write the boot GDT at GDT_ADDR and the identity map of [0, 4 GiB) with
 * 2 MiB pages (PML4 at PML4_ADDR, PDPT at PDPT_ADDR, 4 PDs at PD_ADDR).
 * 0 or -EFAULT if guest RAM does not cover those pages. */
int x86_setup_tables(struct guest_mem *mem);

/* Turn the reset state `sregs` (from KVM_GET_SREGS) into 64-bit long mode
 * with paging on CR3=PML4_ADDR, CS=BOOT_CS, data segments=BOOT_DS, the GDT
 * of x86_setup_tables(). Fields not named (TR, LDT, APIC base) are kept. */
void x86_fill_sregs(struct kvm_sregs *sregs);

/* General registers for the 64-bit entry: rip=entry, rsi=boot_params,
 * rsp=rbp=stack, rflags=2 (reserved bit only: interrupts off). */
void x86_fill_regs(struct kvm_regs *regs, uint64_t entry, uint64_t boot_params, uint64_t stack);

#endif
