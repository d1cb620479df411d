/* SPDX-License-Identifier: MIT */
/*
 * AP trampoline: copied to TRAMP_BASE (below 1 MiB) and entered by a
 * STARTUP IPI in real mode at TRAMP_BASE:0. It goes real -> protected ->
 * long mode on the BSP's page tables (paging_pml4, below 4 GiB) and jumps to
 * ap_entry64 in the image. Labels inside it are addressed relative to
 * TRAMP_BASE; kernel symbols (gdt, paging_pml4, ap_entry64) absolutely.
 */
#include "guest/layout.h"

#define REL(x) (TRAMP_BASE + ((x) - trampoline_start))

	.section .rodata.trampoline, "a"
	.code16
	.globl trampoline_start
trampoline_start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl REL(tramp_gdtr)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $KERNEL_CS32, $REL(tramp32)

	.code32
tramp32:
	movl $KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl $paging_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax		/* PG | PE */
	movl %eax, %cr0
	ljmp $KERNEL_CS, $ap_entry64

	.balign 8
tramp_gdtr:
	.word GDT_SIZE - 1
	.long gdt
	.globl trampoline_end
trampoline_end:

	.section .note.GNU-stack, "", @progbits
