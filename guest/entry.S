/* SPDX-License-Identifier: MIT */
/*
 * nfguest entry points.
 *
 * _start64     64-bit entry (ELF e_entry) as a Linux-style 64-bit loader
 *              enters it: long mode on, the low 4 GiB identity mapped,
 *              rsi = physical address of a struct boot_params.
 * pvh_start32  PVH entry (XEN_ELFNOTE_PHYS32_ENTRY): 32-bit protected mode,
 *              paging off, ebx = physical address of a struct hvm_start_info.
 * ap_entry64   where every AP lands from the real-mode trampoline.
 *
 * Both boot paths zero .bss, load our GDT and a boot stack, and call
 * kmain(kind, info). The PVH path first builds boot page tables (4 GiB of
 * 2 MiB pages) to reach long mode; kmain then installs its own tables.
 */
#include "guest/layout.h"

#define MSR_EFER   0xc0000080
#define EFER_LME   0x100
#define CR0_PE     0x1
#define CR0_PG     0x80000000
#define CR4_PAE    0x20

/* ---- PVH ELF note: name "Xen", type 18, desc = 32-bit entry address ---- */
	.section .note.Xen, "a"
	.balign 4
	.long 4			/* namesz */
	.long 4			/* descsz */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start32

/* ---- 64-bit entry ---- */
	.section .text.entry, "ax"
	.code64
	.globl _start64
_start64:
	cli
	cld
	movq %rsi, %r15			/* boot_params survives the .bss clear */
	leaq __bss_start(%rip), %rdi
	leaq __bss_end(%rip), %rcx
	subq %rdi, %rcx
	xorl %eax, %eax
	rep stosb
	lgdt gdt_desc(%rip)
	leaq boot_stack_top(%rip), %rsp
	pushq $KERNEL_CS
	leaq 1f(%rip), %rax
	pushq %rax
	lretq
1:	movl $KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movl $BOOT_KIND_LINUX64, %edi
	movq %r15, %rsi
	call kmain
	jmp park

/* ---- PVH entry (32-bit protected mode, no paging) ---- */
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	movl %ebx, %esi			/* hvm_start_info survives the .bss clear */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	movl %esi, pvh_info_paddr
	lgdt gdt_desc
	movl $KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	ljmp $KERNEL_CS32, $1f
1:
	/* boot_pd: 2048 entries of 2 MiB covering 0..4 GiB */
	movl $boot_pd, %edi
	movl $0x83, %eax		/* present | writable | 2 MiB page */
	movl $2048, %ecx
2:	movl %eax, (%edi)
	movl $0, 4(%edi)
	addl $0x200000, %eax
	addl $8, %edi
	loop 2b
	/* boot_pdpt[0..3] -> the four boot_pd pages */
	movl $boot_pdpt, %edi
	movl $boot_pd + 3, %eax
	movl $4, %ecx
3:	movl %eax, (%edi)
	movl $0, 4(%edi)
	addl $0x1000, %eax
	addl $8, %edi
	loop 3b
	movl $boot_pdpt + 3, %eax
	movl %eax, boot_pml4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_PE), %eax
	movl %eax, %cr0
	ljmp $KERNEL_CS, $pvh_start64

	.code64
pvh_start64:
	movl $KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	leaq boot_stack_top(%rip), %rsp
	movl $BOOT_KIND_PVH, %edi
	movl pvh_info_paddr(%rip), %esi
	call kmain
	jmp park

/* ---- AP entry: from the trampoline, CS = KERNEL_CS, our page tables ---- */
	.globl ap_entry64
ap_entry64:
	movl $KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	lgdt gdt_desc(%rip)		/* full 64-bit base */
	movl $1, %eax
	lock xaddl %eax, ap_next_index(%rip)
	cmpl $(MAX_CPUS - 1), %eax	/* the BSP has its own stack */
	jae park
	movl %eax, %edi
	incl %eax
	shlq $AP_STACK_SHIFT, %rax
	leaq ap_stacks(%rip), %rsp
	addq %rax, %rsp
	call ap_main
	/* fall through */
	.globl park
park:
	cli
	hlt
	jmp park

/* ---- exception / interrupt stubs: 256 x 16 bytes at isr_stubs ---- */
	.balign 16
	.globl isr_stubs
isr_stubs:
	vector = 0
	.rept 256
	.balign 16
	.if (vector == 8) || ((vector >= 10) && (vector <= 14)) || (vector == 17) || (vector == 21) || (vector == 29) || (vector == 30)
	.else
	pushq $0			/* no CPU error code: keep the frame uniform */
	.endif
	pushq $vector
	jmp isr_common
	vector = vector + 1
	.endr

isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	movq %rsp, %rbx
	andq $-16, %rsp
	call isr_dispatch		/* does not return for exceptions */
	movq %rbx, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp			/* vector, error code */
	iretq

/* ---- data ---- */
	.section .data
	.balign 16
	.globl gdt
gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* KERNEL_CS: 64-bit code */
	.quad 0x00cf92000000ffff	/* KERNEL_DS: flat data */
	.quad 0x00cf9a000000ffff	/* KERNEL_CS32: flat 32-bit code */
gdt_end:
	.balign 8
	.globl gdt_desc
gdt_desc:
	.word gdt_end - gdt - 1
	.quad gdt
	.balign 4
pvh_info_paddr:
	.long 0
	.globl ap_next_index
ap_next_index:
	.long 0

	.section .bss
	.balign 4096
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4 * 4096
	.balign 16
boot_stack:
	.skip BOOT_STACK_SIZE
	.globl boot_stack_top
boot_stack_top:
	.balign 4096
	.globl ap_stacks
ap_stacks:
	.skip (MAX_CPUS - 1) * AP_STACK_SIZE

	.section .note.GNU-stack, "", @progbits
