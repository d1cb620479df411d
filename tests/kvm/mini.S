/* SPDX-License-Identifier: MIT */
/* mini: the smallest guest the VMM KVM tests need, kept beside them.
 * Entered in 64-bit mode like Linux's 64-bit boot protocol (rsi = zero
 * page, identity-mapped low 4 GiB). The first byte of the command line
 * picks what it does after printing "mini: hello":
 *   p  power off through ACPI PM1a_CNT (SLP_TYP 5 | SLP_EN)   (default)
 *   r  reset through the i8042 (0xFE to port 0x64)
 *   h  halt with interrupts off forever (for SIGTERM tests)
 *   t  triple fault (empty IDT, then int3)
 *   u  touch unclaimed ports and MMIO, print what reads returned, power off
 *   e  echo COM1 input back until a newline, then power off */
#define COM1         0x3f8
#define COM1_LSR     0x3fd
#define PM1A_CNT     0x604
#define SLP_S5       0x3400 /* SLP_TYP 5 << 10 | SLP_EN */
#define I8042_CMD    0x64
#define ZP_CMDLINE   0x228  /* boot_params.hdr.cmd_line_ptr */
#define CMDLINE_ADDR 0x20000
#define UNCLAIMED_MMIO 0xfed00000

	.code64
	.text
	.globl _start
_start:
	mov	ZP_CMDLINE(%rsi), %r12d
	test	%r12, %r12
	jnz	1f
	mov	$CMDLINE_ADDR, %r12d
1:	lea	hello(%rip), %rdi
	call	puts
	movzbl	(%r12), %eax
	cmp	$'r', %al
	je	reset
	cmp	$'h', %al
	je	hang
	cmp	$'t', %al
	je	triple
	cmp	$'u', %al
	je	unclaimed
	cmp	$'e', %al
	je	echo
poweroff:
	lea	bye(%rip), %rdi
	call	puts
	mov	$PM1A_CNT, %dx
	mov	$SLP_S5, %ax
	outw	%ax, %dx
	jmp	hang

reset:
	mov	$0xfe, %al
	outb	%al, $I8042_CMD
hang:
	cli
2:	hlt
	jmp	2b

triple:
	lidt	empty_idt(%rip)
	int3
	jmp	hang

unclaimed:
	mov	$0x5555, %dx
	outb	%al, %dx
	outl	%eax, %dx
	inl	%dx, %eax
	mov	%eax, %edi
	call	puthex
	mov	$UNCLAIMED_MMIO, %ebx
	movl	$0x12345678, (%rbx)
	mov	(%rbx), %eax
	mov	%eax, %edi
	call	puthex
	jmp	poweroff

echo:
	mov	$COM1_LSR, %dx
3:	inb	%dx, %al
	test	$1, %al
	jz	3b
	mov	$COM1, %dx
	inb	%dx, %al
	outb	%al, %dx
	cmp	$'\n', %al
	je	poweroff
	mov	$COM1_LSR, %dx
	jmp	3b

/* puts(rdi): NUL-terminated string to COM1. */
puts:
	mov	$COM1, %dx
4:	movb	(%rdi), %al
	test	%al, %al
	jz	5f
	outb	%al, %dx
	inc	%rdi
	jmp	4b
5:	ret

/* puthex(edi): "0x%08x\n" to COM1. */
puthex:
	mov	$COM1, %dx
	mov	$'0', %al
	outb	%al, %dx
	mov	$'x', %al
	outb	%al, %dx
	mov	$8, %ecx
6:	rol	$4, %edi
	mov	%edi, %eax
	and	$0xf, %eax
	lea	hexdigits(%rip), %rsi
	movb	(%rsi,%rax), %al
	outb	%al, %dx
	dec	%ecx
	jnz	6b
	mov	$'\n', %al
	outb	%al, %dx
	ret

	.data
hello:	.asciz	"mini: hello\n"
bye:	.asciz	"mini: powering off\n"
hexdigits: .ascii "0123456789abcdef"
	.balign	16
empty_idt:
	.word	0
	.quad	0
